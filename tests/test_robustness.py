"""Never silent: divergence, a forgotten s, the unified wrappers' messages, unseen groups."""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

import fairrep
from fairrep import (InvariantClassifier, InvariantTransformer, MMDClassifier,
                     SensitiveMissingWarning, TrainingDivergedError, VFAEClassifier)
from fairrep.benchmark._run import format_markdown, summarize
from fairrep.methods import available_methods, get_method
from test_common import ESTIMATORS


@pytest.fixture(scope="module")
def table():
    rng = np.random.RandomState(0)
    s = rng.randint(0, 2, 200)
    X = rng.normal(size=(200, 6))
    X[:, 0] += s
    y = (X[:, 1] + 0.5 * s > 0).astype(int)
    return X, y, s


@pytest.mark.filterwarnings("ignore::fairrep.TaskCollapseWarning")
@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda e: type(e).__name__)
def test_a_runaway_learning_rate_raises_naming_the_term(estimator, table):
    X, y, s = table
    est = clone(estimator).set_params(lr=1e6, max_epochs=5)  # test_common's own stay as they are
    target = s if type(est).__name__.startswith("CrossPopulation") else y  # y is population
    with pytest.raises(TrainingDivergedError, match=r"the '\w+' loss is .*Lower lr \(now"):
        est.fit(X, target, s=s)
    assert not hasattr(est, "net_")  # no half-fitted state


@pytest.mark.parametrize("method", ["forgetting", "mmd", "sliced_infomin", "cvib"])
def test_the_unified_wrappers_errors_name_invariance(method, table):
    X, y, s = table
    strength = get_method(method).strength_param
    for cls in (InvariantClassifier, InvariantTransformer):
        with pytest.raises(ValueError, match=rf"^invariance=-1 is not valid for method="
                                             rf"'{method}', where it sets {strength}: "):
            cls(method=method, invariance=-1, max_epochs=1).fit(X, y, s=s)


def test_an_unseen_group_at_transform_is_an_error_whatever_the_encoder_reads(table):
    X, y, s = table
    for encoder_uses_s in (False, True):
        vfae = VFAEClassifier(max_epochs=1, encoder_uses_s=encoder_uses_s,
                              random_state=0).fit(X, y, s=s)
        assert vfae.transform(X, s=s).shape == (len(X), 8)
        with pytest.raises(ValueError, match=r"has values not seen during fit: \[7\]"):
            vfae.transform(X, s=np.where(s == 1, 7, s))


def _needs_s():
    for name in available_methods():
        spec = get_method(name)
        for cls in (spec.classifier, spec.transformer):
            if cls is not None:
                yield cls


@pytest.mark.parametrize("cls", list(_needs_s()), ids=lambda c: c.__name__)
def test_every_estimator_declares_the_registered_strength(cls):
    assert cls._strength_param == get_method(
        next(n for n in available_methods()
             if cls in (get_method(n).classifier, get_method(n).transformer))).strength_param
    assert cls._strength_param in cls().get_params()


@pytest.mark.filterwarnings("ignore::fairrep.TaskCollapseWarning")
@pytest.mark.parametrize("cls", [c for c in _needs_s() if c._invariance_needs_s],
                         ids=lambda c: c.__name__)
def test_fitting_an_invariance_method_without_s_warns(cls, table):
    X, y, s = table
    with pytest.warns(SensitiveMissingWarning, match=rf"{cls.__name__} was fitted without s.*"
                                                     rf"{cls._strength_param}=0"):
        cls(max_epochs=1, random_state=0).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", SensitiveMissingWarning)
        cls(max_epochs=1, random_state=0).fit(X, y, s=s)  # with s: quiet
        cls(max_epochs=1, random_state=0, **{cls._strength_param: 0.0}).fit(X, y)  # on purpose


def test_the_warning_names_the_pipeline_step_route(table):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y, s = table
    pipe = make_pipeline(StandardScaler(), MMDClassifier(max_epochs=1, random_state=0))
    with pytest.warns(SensitiveMissingWarning, match=r"<step>__s=s") as record:
        pipe.fit(X, y)  # mmdclassifier__s=s forgotten
    assert record[0].filename == __file__


def test_methods_whose_invariance_needs_no_s_do_not_warn(table):
    X, y, _ = table
    with warnings.catch_warnings():
        warnings.simplefilter("error", SensitiveMissingWarning)
        warnings.simplefilter("ignore", fairrep.TaskCollapseWarning)
        fairrep.UAIClassifier(max_epochs=1, random_state=0).fit(X, y)
        fairrep.InformationDropoutClassifier(max_epochs=1, random_state=0).fit(X, y)


def test_the_benchmark_table_flags_constant_predictions():
    runs = pd.DataFrame([
        {"dataset": "german", "method": "plain", "seed": k, "A_y": 0.7, "DP_gap": 0.0,
         "constant": 1.0, "fit_s": 1.0} for k in range(2)] + [
        {"dataset": "german", "method": "mmd", "seed": 0, "A_y": 0.74, "DP_gap": 0.05,
         "constant": 0.0, "fit_s": 1.0}])
    table = format_markdown(summarize(runs))
    assert "| german | plain |" in table and "**2 of 2**" in table
    assert ("german / plain: every test prediction is one class in 2 of 2 seed(s)" in table)
    assert "german / mmd" not in table.split("\n\n")[-1]


@pytest.mark.parametrize("estimator", [*ESTIMATORS, InvariantClassifier(), InvariantTransformer()],
                         ids=lambda e: type(e).__name__)
def test_fairlearns_sensitive_features_keyword_says_to_pass_s(estimator, table):
    X, y, s = table
    est = clone(estimator)
    with pytest.raises(TypeError, match=r"fit\(\) takes the sensitive attribute as s=, not "
                                        r"sensitive_features="):
        est.fit(X, y, sensitive_features=s)
    assert not hasattr(est, "net_")
    if hasattr(est, "partial_fit"):
        with pytest.raises(TypeError, match=r"partial_fit\(X, y, s=\.\.\.\)"):
            est.partial_fit(X, y, sensitive_features=s)
    with pytest.raises(TypeError, match="unexpected keyword"):  # any other: Python's error
        est.fit(X, y, sensitive=s)
