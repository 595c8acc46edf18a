"""The shared base, exercised through the Adversarial Forgetting estimators.

Input types, bad input, atomic fit, divergence, reproducibility, pickling, history, verbose.
"""

import pickle

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from fairrep import (ForgettingClassifier, ForgettingTransformer, InvariantClassifier,
                     InvariantTransformer, TrainingDivergedError)
from fairrep._sensitive import encode_sensitive, encode_sensitive_like

from conftest import make_biased

TINY = dict(max_epochs=2, batch_size=64, adversary_steps=2, random_state=0)


def tiny_clf(**kw):
    return ForgettingClassifier(**{**TINY, **kw})


@pytest.fixture(scope="module")
def data():
    return make_biased(n=200)


# -- input types ----------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["int", "str", "bool", "series", "categorical"])
def test_s_label_types(data, kind):
    X, y, s = data
    s_in = {"int": s, "str": np.where(s == 1, "m", "f"), "bool": s.astype(bool),
            "series": pd.Series(np.where(s == 1, "m", "f"), name="sex"),
            "categorical": pd.Series(pd.Categorical(np.where(s == 1, "m", "f")))}[kind]
    clf = tiny_clf().fit(X, y, s=s_in)
    assert len(clf.s_classes_) == 2
    assert clf.transform(X).shape == (len(X), 8)


def test_s_two_columns(data):
    X, y, s = data
    s2 = pd.DataFrame({"sex": s, "group": np.arange(len(s)) % 3})
    clf = tiny_clf().fit(X, y, s=s2)
    assert [len(c) for c in clf.s_classes_] == [2, 3]
    assert clf.net_.module_.discriminators[0][-1].out_features == 5


@pytest.mark.parametrize("kind", ["str", "bool", "categorical"])
def test_y_label_types_are_returned(data, kind):
    X, y, s = data
    y_in = {"str": np.where(y == 1, "yes", "no"), "bool": y.astype(bool),
            "categorical": pd.Series(pd.Categorical(np.where(y == 1, "yes", "no")))}[kind]
    clf = tiny_clf().fit(X, y_in, s=s)
    pred = clf.predict(X)
    assert set(np.unique(pred)) <= set(np.unique(np.asarray(y_in)))
    assert clf.predict_proba(X).shape == (len(X), 2)


def test_pandas_X_keeps_feature_names(data):
    X, y, s = data
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    clf = tiny_clf().fit(frame, y, s=s)
    assert list(clf.feature_names_in_) == list(frame.columns)
    assert clf.transform(frame).shape == (len(X), 8)


def test_float32_in_float32_out(data):
    X, y, s = data
    Z = tiny_clf().fit(X.astype(np.float32), y, s=s).transform(X.astype(np.float32))
    assert Z.dtype == np.float32


def test_multitask(data):
    X, y, s = data
    Y = np.c_[y, 1 - y]
    S = np.c_[s, (np.arange(len(s)) % 2)]
    clf = tiny_clf().fit(X, Y, s=S)
    assert clf.n_tasks_ == 2
    assert clf.predict(X).shape == (len(X), 2)
    assert clf.transform(X).shape == (len(X), 16)
    assert clf.forget_mask(X).shape == (len(X), 2, 8)
    assert [p.shape for p in clf.predict_proba(X)] == [(len(X), 2), (len(X), 2)]
    with pytest.raises(ValueError, match="one s column per task"):
        tiny_clf().fit(X, np.c_[y, y, 1 - y], s=S)


# -- bad input ------------------------------------------------------------------------------
@pytest.mark.parametrize("bad,match", [
    (lambda X: np.where(np.arange(X.size).reshape(X.shape) == 5, np.nan, X), "NaN"),
    (lambda X: np.where(np.arange(X.size).reshape(X.shape) == 5, np.inf, X), "infinity"),
    (lambda X: X[:0], "0 sample"),
    (lambda X: np.full_like(X, 1e39), "float32"),
])
def test_bad_X(data, bad, match):
    X, y, s = data
    with pytest.raises(ValueError, match=match):
        tiny_clf().fit(bad(X), y[:len(bad(X))], s=s[:len(bad(X))])


def test_one_sample(data):
    X, y, s = data
    with pytest.raises(ValueError, match="1 sample"):
        tiny_clf().fit(X[:1], y[:1], s=s[:1])


def test_sparse_X_is_rejected_clearly(data):
    X, y, s = data
    with pytest.raises(TypeError, match="[Ss]parse"):
        tiny_clf().fit(sp.csr_matrix(X), y, s=s)


@pytest.mark.parametrize("s_bad,match", [
    (lambda s: s[:-3], "s has 197 rows but X has 200"),
    (lambda s: np.zeros_like(s), "single group"),
    (lambda s: np.where(np.arange(len(s)) == 3, None, s.astype(object)), "missing"),
    (lambda s: np.random.RandomState(0).normal(size=len(s)), "continuous"),
    (lambda s: np.zeros((len(s), 2, 2)), "1-D or 2-D"),
])
def test_bad_s(data, s_bad, match):
    X, y, s = data
    with pytest.raises(ValueError, match=match):
        tiny_clf().fit(X, y, s=s_bad(s))


def test_y_missing_or_single_class(data):
    X, y, s = data
    with pytest.raises(ValueError, match="requires y"):
        ForgettingTransformer(**TINY).fit(X, s=s)
    with pytest.raises(ValueError, match="single class"):
        tiny_clf().fit(X, np.zeros_like(y), s=s)


def test_wrong_number_of_features_at_transform(data):
    X, y, s = data
    clf = tiny_clf().fit(X, y, s=s)
    with pytest.raises(ValueError, match="expecting 5 features"):
        clf.transform(X[:, :3])


def test_unseen_s_values_are_named():
    enc = encode_sensitive(np.array(["a", "b", "a"]), 3)
    with pytest.raises(ValueError, match=r"not seen during fit: \['c'\]"):
        encode_sensitive_like(np.array(["a", "c"]), enc.classes)


@pytest.mark.parametrize("param,value", [
    ("max_epochs", 0), ("batch_size", -1), ("lr", 0.0), ("weight_decay", -1.0),
    ("n_components", 2.5), ("adversary_steps", 0), ("adversary_weight", float("nan")),
    ("hidden_layer_sizes", (10, 0)), ("device", "tpu"),
])
def test_bad_parameters_name_the_argument(data, param, value):
    X, y, s = data
    with pytest.raises(ValueError, match=param if param != "device" else "device must be"):
        tiny_clf(**{param: value}).fit(X, y, s=s)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the no-CUDA message")
def test_cuda_requested_without_cuda(data):
    X, y, s = data
    with pytest.raises(ValueError, match="CUDA is not available"):
        tiny_clf(device="cuda").fit(X, y, s=s)


def test_unknown_method_lists_available(data):
    X, y, s = data
    with pytest.raises(ValueError, match="Available methods: .*forgetting"):
        InvariantTransformer(method="forgeting").fit(X, y, s=s)
    with pytest.raises(ValueError, match="Did you mean 'adversary_steps'"):
        InvariantTransformer(method_params={"adversary_step": 3}).fit(X, y, s=s)


# -- atomic fit and divergence -------------------------------------------------------------
def _fitted_attributes(est):
    return sorted(k for k in vars(est) if k.endswith("_") and not k.startswith("__"))


def test_failed_fit_leaves_no_state(data):
    X, y, s = data
    clf = tiny_clf()
    with pytest.raises(ValueError):
        clf.fit(X, y, s=s[:-1])
    assert _fitted_attributes(clf) == []
    with pytest.raises(NotFittedError):
        clf.transform(X)

    clf.fit(X, y, s=s)
    before = {k: getattr(clf, k) for k in _fitted_attributes(clf)}
    with pytest.raises(ValueError):
        clf.fit(X[:, :3], y, s=np.zeros_like(s))
    after = {k: getattr(clf, k) for k in _fitted_attributes(clf)}
    assert before.keys() == after.keys()
    assert all(before[k] is after[k] for k in before)
    assert clf.n_features_in_ == X.shape[1]


def test_divergence_names_the_loss_term(data):
    X, y, s = data
    clf = tiny_clf()
    # finite in float32, but the squared reconstruction error overflows
    with pytest.raises(TrainingDivergedError, match="'reconstruction' loss is inf"):
        clf.fit(X * 1e20, y, s=s)
    assert _fitted_attributes(clf) == []


# -- reproducibility, clone, pickle, history, verbose --------------------------------------
def test_random_state_makes_results_bit_identical(data):
    X, y, s = data
    Z1 = tiny_clf().fit(X, y, s=s).transform(X)
    Z2 = tiny_clf().fit(X, y, s=s).transform(X)
    Z3 = tiny_clf(random_state=1).fit(X, y, s=s).transform(X)
    assert np.array_equal(Z1, Z2)
    assert not np.allclose(Z1, Z3)


def test_fit_does_not_touch_global_rng(data):
    X, y, s = data
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    tiny_clf().fit(X, y, s=s)
    assert torch.equal(torch.rand(3), expected)


def test_clone_and_pickle_round_trip(data):
    X, y, s = data
    clf = tiny_clf().fit(X, y, s=s)
    assert clone(clf).get_params() == clf.get_params()
    assert not hasattr(clone(clf), "net_")
    loaded = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(loaded.transform(X), clf.transform(X))
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))


# fits without s on purpose
@pytest.mark.filterwarnings("ignore::fairrep.SensitiveMissingWarning")
def test_history_records_every_loss_term(data):
    X, y, s = data
    clf = tiny_clf().fit(X, y, s=s)
    assert clf.n_epochs_ == 2
    for key in ["train_task", "train_reconstruction", "train_mask", "train_adversary",
                "train_discriminator", "train_loss"]:
        values = clf.history_[:, key]
        assert len(values) == 2 and np.all(np.isfinite(values)), key
    no_s = tiny_clf().fit(X, y)
    assert "train_adversary" not in no_s.history_[-1]
    assert not no_s.net_.adversary_steps


def test_history_is_per_epoch_not_per_batch(data):
    """Per-batch entries would grow memory and the pickle with n / batch_size."""
    X, y, s = data
    small = tiny_clf(batch_size=8, max_epochs=3).fit(X, y, s=s)
    large = tiny_clf(batch_size=64, max_epochs=3).fit(X, y, s=s)
    assert small.history_[-1, "train_batch_count"] > 4 * large.history_[-1, "train_batch_count"]
    for clf in (small, large):
        assert all(row["batches"] == [] for row in clf.history_)
        losses = clf.history_[:, "train_loss"]
        best = [i == 0 or loss < min(losses[:i]) for i, loss in enumerate(losses)]
        assert clf.history_[:, "train_loss_best"] == best
    assert len(pickle.dumps(small.history_)) == len(pickle.dumps(large.history_))


def test_verbose_shows_progress(data, capsys):
    X, y, s = data
    tiny_clf(verbose=1).fit(X, y, s=s)
    err = capsys.readouterr().err
    assert "ForgettingClassifier" in err and "epoch" in err


def test_unified_maps_invariance_onto_the_method(data):
    X, y, s = data
    rep = InvariantTransformer(invariance=3.0, max_epochs=1, random_state=0,
                               method_params={"adversary_steps": 1}).fit(X, y, s=s)
    assert rep.estimator_.adversary_weight == 3.0
    assert rep.estimator_.adversary_steps == 1
    clf = InvariantClassifier(max_epochs=1, random_state=0).fit(X, np.where(y, "a", "b"), s=s)
    assert set(clf.classes_) == {"a", "b"}


@pytest.mark.parametrize("method", ["information_dropout", "sliced_infomin", "cpvae",
                                    "invertible"])
def test_unified_keeps_the_methods_own_defaults(data, method):
    """n_components, max_epochs, batch_size, lr left at None keep the method's defaults (the
    64 units of information dropout, sliced infomin's batches of 256, ...); a value given
    replaces them."""
    from fairrep.methods import get_method

    X, y, s = data
    cls = get_method(method).transformer
    defaults = cls().get_params()
    rep = InvariantTransformer(method=method, random_state=0)
    built = rep._build().get_params()
    for name in ("n_components", "max_epochs", "batch_size", "lr"):
        if name in defaults:
            assert built[name] == defaults[name], name
    rep.set_params(max_epochs=1, batch_size=32)
    fitted = rep.fit(X, y, s=s).estimator_
    assert (fitted.max_epochs, fitted.batch_size) == (1, 32)
    if "n_components" in defaults:
        assert fitted.n_components == defaults["n_components"]


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_fit_then_load_on_cpu(tmp_path, data):
    import os
    import subprocess
    import sys

    X, y, s = data
    clf = tiny_clf(device="cuda").fit(X, y, s=s)
    assert next(clf.net_.module_.parameters()).is_cuda
    path = tmp_path / "clf.pkl"
    path.write_bytes(pickle.dumps(clf))
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "Z.npy", clf.transform(X))
    code = (
        "import pickle, numpy as np, warnings; warnings.simplefilter('ignore');"
        f"clf = pickle.load(open({str(path)!r}, 'rb'));"
        f"Z = clf.transform(np.load({str(tmp_path / 'X.npy')!r}));"
        f"np.testing.assert_allclose(Z, np.load({str(tmp_path / 'Z.npy')!r}), atol=1e-5);"
        "print(clf.net_.device)"
    )
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "cpu"


def test_torch_modules_never_import_sklearn_or_skorch():
    import ast
    from pathlib import Path

    import fairrep.nn

    for path in Path(fairrep.nn.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not any(n.split(".")[0] in {"sklearn", "skorch"} for n in names), path
