"""scikit-learn's estimator checks over every public fairrep estimator, found automatically."""

import inspect
from numbers import Integral

import numpy as np
import pytest
from sklearn.base import BaseEstimator, clone
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.estimator_checks import check_param_validation, parametrize_with_checks

import fairrep
from fairrep._params import Number

#: Small settings so each check's many fits stay fast; everything else is the default.
FAST = dict(max_epochs=30, batch_size=32)
#: Methods whose default networks are slow to fit dozens of times get smaller ones (still
#: enough for sklearn's accuracy check, check_classifiers_train).
_INVERTIBLE = dict(n_blocks=2, hidden_layer_sizes=(16,), nuisance_hidden_layer_sizes=(16,),
                   adversary_steps=1, max_epochs=8, lr=1e-2)
_CPVAE = dict(n_components=2, n_private_components=2, hidden_layer_sizes=(16,), max_epochs=8,
              batch_size=64, lr=0.02, n_importance_samples=8)
_VARIATIONAL = dict(max_epochs=4, batch_size=32, hidden_layer_sizes=(16,), lr=0.01,
                    adversary_steps=1)
OVERRIDES = {
    **{f"{method}{role}": _VARIATIONAL for method in ("VFAE", "CVIB", "UAI")
       for role in ("Classifier", "Transformer")},
    "CrossPopulationClassifier": _CPVAE,
    "CrossPopulationVAE": _CPVAE,
    "InvertibleClassifier": _INVERTIBLE,
    "InvertibleTransformer": _INVERTIBLE,
}


def _public_estimators():
    for name in sorted(fairrep.__all__):
        obj = getattr(fairrep, name)
        # meta-estimators (ConstrainedSearchCV) need an estimator and s:
        # tests/test_model_selection.py
        if (inspect.isclass(obj) and issubclass(obj, BaseEstimator)
                and not getattr(obj, "_required_parameters", None)):
            params = inspect.signature(obj.__init__).parameters
            settings = {**FAST, **OVERRIDES.get(name, {})}
            yield obj(**{k: v for k, v in settings.items() if k in params})


ESTIMATORS = list(_public_estimators())


def test_every_public_estimator_is_checked():
    names = {type(e).__name__ for e in ESTIMATORS}
    assert {"ForgettingTransformer", "ForgettingClassifier", "InvariantTransformer",
            "InvariantClassifier"} <= names


# The checks fit on small random data, often with labels nothing can predict: a
# TaskCollapseWarning there is true and beside the point (sklearn's own checks ignore
# ConvergenceWarning the same way). They also fit without s, which is what
# SensitiveMissingWarning is about.
@pytest.mark.filterwarnings("ignore::fairrep.TaskCollapseWarning")
@pytest.mark.filterwarnings("ignore::fairrep.SensitiveMissingWarning")
@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


def _every_public_estimator():
    """ESTIMATORS with one epoch, and the meta-estimator with one of them."""
    for estimator in ESTIMATORS:
        yield clone(estimator).set_params(max_epochs=1)
    yield fairrep.ConstrainedSearchCV(fairrep.ForgettingClassifier(max_epochs=1), cv=2)


# Each parameter in turn set to a value of no valid type, then to one outside its range:
# fit, partial_fit, fit_transform and fit_predict must each raise scikit-learn's
# InvalidParameterError, before any training.
@pytest.mark.parametrize("estimator", list(_every_public_estimator()),
                         ids=lambda e: type(e).__name__)
def test_every_parameter_is_validated_as_scikit_learn_checks(estimator):
    check_param_validation(type(estimator).__name__, estimator)


def test_every_public_estimator_has_its_parameters_validated():
    public = {name for name in fairrep.__all__ if inspect.isclass(getattr(fairrep, name))
              and issubclass(getattr(fairrep, name), BaseEstimator)}
    assert {type(e).__name__ for e in _every_public_estimator()} == public


def _numbers(estimator):
    """(parameter, Number constraint) of each numeric parameter of ``estimator``."""
    for name, constraints in estimator._parameter_constraints.items():
        for constraint in constraints:
            if isinstance(constraint, Number):
                yield name, constraint


# scikit-learn's Interval takes True for an int and inf for a float open to the right; no
# fairrep parameter means either, and the declarative check (no hand check after it) refuses
# them before any training, naming the parameter.
@pytest.mark.parametrize("estimator", list(_every_public_estimator()),
                         ids=lambda e: type(e).__name__)
def test_a_bool_or_an_infinite_number_is_refused_by_name(estimator):
    X, y = np.random.default_rng(0).normal(size=(20, 3)), np.arange(20) % 2
    checked = set()
    for name, constraint in _numbers(estimator):
        values = [True, np.bool_(False)] + ([np.inf] if constraint.type is not Integral else [])
        for value in values:
            with pytest.raises(InvalidParameterError, match=f"'{name}' parameter .* Got "):
                clone(estimator).set_params(**{name: value}).fit(X, y)
            checked.add(name)
    # those every network (and the unified wrappers) take, or the search's
    assert {"max_epochs", "lr"} <= checked or {"bound", "refine"} <= checked
