"""Large data: memory-mapped arrays and torch Datasets as X, and partial_fit."""

import tracemalloc

import numpy as np
import pytest
import torch
from skorch.dataset import Dataset as SkorchDataset
from torch.utils.data import TensorDataset

from fairrep import (CrossPopulationVAE, ForgettingClassifier, ForgettingTransformer,
                     GradientReversalClassifier, InformationDropoutClassifier,
                     InvertibleClassifier, MMDTransformer, SlicedInfominClassifier,
                     UAIClassifier, VFAETransformer)
from fairrep.metrics import majority_share, probe_accuracy

from conftest import make_biased

FAST = dict(max_epochs=3, batch_size=64, random_state=0)


@pytest.fixture(scope="module")
def data():
    X, y, s = make_biased(n=400, seed=3)
    return X.astype(np.float32), y, s


@pytest.fixture
def memmap(tmp_path):
    def make(array):
        path = tmp_path / "X.npy"
        np.save(path, array)
        return np.load(path, mmap_mode="r")
    return make


@pytest.mark.parametrize("Estimator", [ForgettingClassifier, SlicedInfominClassifier,
                                       MMDTransformer, GradientReversalClassifier])
def test_memmap_fit_equals_in_memory_fit(Estimator, data, memmap):
    X, y, s = data
    Xm = memmap(X)
    assert isinstance(Xm, np.memmap)
    a = Estimator(**FAST).fit(X, y, s=s)
    b = Estimator(**FAST).fit(Xm, y, s=s)
    np.testing.assert_array_equal(a.transform(X), b.transform(Xm))
    assert b.transform(Xm).dtype == np.float32
    assert b.n_features_in_ == X.shape[1]


def test_dataset_of_pairs_gives_y(data):
    X, y, s = data
    a = ForgettingClassifier(**FAST).fit(X, y, s=s)
    pairs = TensorDataset(torch.from_numpy(X), torch.from_numpy(y))
    b = ForgettingClassifier(**FAST).fit(pairs, s=s)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(pairs))
    np.testing.assert_array_equal(b.classes_, np.unique(y))


def test_skorch_dataset_and_y_alongside(data):
    X, y, s = data
    a = ForgettingClassifier(**FAST).fit(X, y, s=s)
    b = ForgettingClassifier(**FAST).fit(SkorchDataset(X, y), s=s)
    c = ForgettingClassifier(**FAST).fit(TensorDataset(torch.from_numpy(X)), y, s=s)
    np.testing.assert_array_equal(a.transform(X), b.transform(X))
    np.testing.assert_array_equal(a.transform(X), c.transform(X))


def test_dataset_items_are_flattened(data):
    X, y, s = data
    images = TensorDataset(torch.from_numpy(X[:, :4].reshape(-1, 1, 2, 2).copy()))
    est = ForgettingTransformer(**FAST).fit(images, y, s=s)
    assert est.n_features_in_ == 4
    assert est.transform(X[:, :4]).shape == (len(X), est.n_components)


def test_fit_from_memmap_does_not_copy_the_array(memmap):
    rng = np.random.RandomState(0)
    X = rng.randn(40000, 100).astype(np.float32)  # 16 MB
    y = (X[:, 0] > 0).astype(int)
    s = (X[:, 1] > 0).astype(int)
    Xm = memmap(X)
    del X
    params = dict(max_epochs=1, batch_size=256, adversary_steps=1, random_state=0)
    ForgettingClassifier(**params).fit(Xm[:300], y[:300], s=s[:300])  # one-time imports
    est = ForgettingClassifier(**params)
    tracemalloc.start()
    est.fit(Xm, y, s=s)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # numpy's allocations (the batches and the checks) stay far below one copy of X;
    # the in-memory path would allocate at least one full copy (16 MB) of it
    assert peak < Xm.nbytes / 4


def test_bad_streaming_input_is_a_clear_error(data, memmap):
    X, y, s = data
    with pytest.raises(ValueError, match="2-D arrays"):
        ForgettingClassifier(**FAST).fit(memmap(X[:, :4].reshape(len(X), 2, 2)), y, s=s)
    bad = X.copy()
    bad[123, 2] = np.nan
    with pytest.raises(ValueError, match="NaN or infinite values in rows 64 to 127"):
        ForgettingClassifier(**FAST).fit(memmap(bad), y, s=s)
    with pytest.raises(ValueError, match="y has 399 rows but the Dataset"):
        ForgettingClassifier(**FAST).fit(TensorDataset(torch.from_numpy(X)), y[:-1], s=s)
    with pytest.raises(ValueError, match="needs y: pass it to fit alongside the Dataset"):
        ForgettingClassifier(**FAST).fit(TensorDataset(torch.from_numpy(X)), s=s)


def test_bad_dataset_row_fails_and_keeps_the_previous_fit(data):
    X, y, s = data
    est = ForgettingClassifier(**FAST).fit(X, y, s=s)
    before = est.transform(X)
    bad = X.copy()
    bad[10, 0] = np.inf
    with pytest.raises(ValueError, match="NaN or infinite values in rows 10 to 10"):
        est.fit(TensorDataset(torch.from_numpy(bad)), y, s=s)
    np.testing.assert_array_equal(est.transform(X), before)


def test_inference_checks_the_number_of_features(data, memmap):
    X, y, s = data
    est = ForgettingClassifier(**FAST).fit(X, y, s=s)
    with pytest.raises(ValueError, match="X has 4 features, but ForgettingClassifier"):
        est.transform(memmap(X[:, :4]))


def test_methods_that_need_x_in_memory_say_so(data):
    X, y, s = data
    est = VFAETransformer(encoder_uses_s=True, **FAST).fit(X, y, s=s)
    with pytest.raises(ValueError, match="needs X in memory, but X is a torch Dataset"):
        est.transform(TensorDataset(torch.from_numpy(X)), s=s)


# -- partial_fit ---------------------------------------------------------------------------
@pytest.mark.parametrize("Estimator, continuous", [(ForgettingClassifier, False),
                                                   (SlicedInfominClassifier, True)])
def test_partial_fit_calls_equal_one_fit(Estimator, continuous, data):
    X, y, s = data
    s = X[:, 3] * 2.0 + 1.0 if continuous else s
    fitted = Estimator(**FAST).fit(X, y, s=s)
    stepped = Estimator(**FAST)
    for _ in range(FAST["max_epochs"]):
        stepped.partial_fit(X, y, s=s)
    np.testing.assert_array_equal(fitted.transform(X), stepped.transform(X))
    assert stepped.n_epochs_ == FAST["max_epochs"]


def test_partial_fit_continues_after_fit(data):
    X, y, s = data
    est = ForgettingClassifier(**FAST).fit(X, y, s=s)
    est.partial_fit(X, y, s=s)
    longer = ForgettingClassifier(**{**FAST, "max_epochs": 4}).fit(X, y, s=s)
    assert est.n_epochs_ == 4
    np.testing.assert_array_equal(est.transform(X), longer.transform(X))


def test_partial_fit_first_chunk_without_every_class(data, memmap):
    X, y, s = data
    order = np.lexsort((s, y))  # the first chunk holds only y == 0 and s == 0
    X, y, s = X[order], y[order], s[order]
    first = slice(0, 50)
    assert len(np.unique(y[first])) == 1 and len(np.unique(s[first])) == 1
    est = ForgettingClassifier(**FAST)
    est.partial_fit(X[first], y[first], s=s[first], classes=[0, 1], s_classes=[0, 1])
    est.partial_fit(memmap(X[50:]), y[50:], s=s[50:])
    np.testing.assert_array_equal(est.classes_, [0, 1])
    np.testing.assert_array_equal(est.s_classes_, [0, 1])
    with pytest.raises(ValueError, match="single class"):
        ForgettingClassifier(**FAST).partial_fit(X[first], y[first], s=s[first])


def test_partial_fit_unseen_label_rolls_back(data):
    X, y, s = data
    est = ForgettingClassifier(**FAST)
    est.partial_fit(X, y, s=s)
    before = est.transform(X)
    with pytest.raises(ValueError, match=r"labels not seen by the first partial_fit call: \[7\]"):
        est.partial_fit(X, np.where(y == 1, 7, y), s=s)
    with pytest.raises(ValueError, match="values not seen during fit"):
        est.partial_fit(X, y, s=s + 5)
    with pytest.raises(ValueError, match="needs the sensitive attribute"):
        est.partial_fit(X, y)
    assert est.n_epochs_ == 1 and len(est.history_) == 1
    np.testing.assert_array_equal(est.transform(X), before)
    plain = ForgettingClassifier(**FAST).partial_fit(X, y)
    with pytest.raises(ValueError, match="fitted without s"):
        plain.partial_fit(X, y, s=s)


def test_partial_fit_without_s_for_unsupervised_split(data):
    X, y, _ = data
    est = UAIClassifier(**FAST)
    est.partial_fit(X, y)
    est.partial_fit(X, y)
    assert est.n_epochs_ == 2


@pytest.mark.parametrize("Estimator", [InformationDropoutClassifier, InvertibleClassifier,
                                       CrossPopulationVAE])
def test_partial_fit_is_absent_where_the_fit_needs_all_rows(Estimator):
    assert not hasattr(Estimator(), "partial_fit")
    assert hasattr(ForgettingClassifier(), "partial_fit")


@pytest.mark.slow
def test_partial_fit_over_memmap_chunks_forgets_s(memmap):
    # the invariance mechanism works when the data only ever arrives in chunks
    X, y, s = make_biased(n=1500, seed=1)
    Xm = memmap(X[:1000].astype(np.float32))
    strong = dict(batch_size=64, adversary_weight=10.0, precision=1.0, random_state=0)
    results = {}
    for delta in (10.0, 0.0):
        est = ForgettingClassifier(**{**strong, "adversary_weight": delta})
        for _ in range(30):
            for start in (0, 500):
                est.partial_fit(Xm[start:start + 500], y[start:start + 500],
                                s=s[start:start + 500])
        Z_tr, Z_te = est.transform(Xm), est.transform(X[1000:])
        results[delta] = (probe_accuracy(Z_tr, s[:1000], Z_te, s[1000:], random_state=0),
                          est.score(X[1000:], y[1000:]))
    chance = majority_share(s[1000:])
    assert results[10.0][0] <= chance + 0.08
    assert results[10.0][1] >= 0.9
    # delta = 0 (the adversary off): s stays predictable
    assert results[0.0][0] >= chance + 0.12


def test_unified_estimators_offer_partial_fit_of_their_method(data):
    from fairrep import InvariantClassifier, InvariantTransformer

    X, y, s = data
    clf = InvariantClassifier(method="sliced_infomin", **FAST)
    for _ in range(2):
        clf.partial_fit(X, y, s=s)
    assert clf.estimator_.n_epochs_ == 2
    assert clf.predict(X).shape == y.shape
    assert not hasattr(InvariantTransformer(method="information_dropout"), "partial_fit")
