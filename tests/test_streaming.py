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
from fairrep.methods import available_methods, get_method
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
def test_memmap_fit_equals_dataset_fit(Estimator, data, memmap):
    # every streamed X is read in the same (keyed) order: the same rows give the same model
    X, y, s = data
    Xm = memmap(X)
    assert isinstance(Xm, np.memmap)
    a = Estimator(**FAST).fit(TensorDataset(torch.from_numpy(X)), y, s=s)
    b = Estimator(**FAST).fit(Xm, y, s=s)
    np.testing.assert_array_equal(a.transform(X), b.transform(Xm))
    assert b.transform(Xm).dtype == np.float32
    assert b.n_features_in_ == X.shape[1]


def test_streamed_batches_hold_the_rows_of_in_memory_batches(data, memmap):
    # streamed and in-memory fits differ only in the order of the rows: a batch at the
    # same positions holds the same values
    from fairrep._streaming import RowSource, StreamBatches
    from fairrep._training import TensorBatches

    X, y, s = data
    index = torch.tensor([5, 0, 399, 17, 17])
    codes = y.reshape(-1, 1)
    streamed = StreamBatches(RowSource(memmap(X)), codes, s.reshape(-1, 1)).batch(index)
    held = TensorBatches(torch.from_numpy(X), torch.from_numpy(codes),
                         torch.from_numpy(s.reshape(-1, 1))).batch(index)
    for a, b in zip(streamed, held):
        torch.testing.assert_close(a, b.to(a.dtype), rtol=0, atol=0)


def test_streamed_fit_learns_like_in_memory_fit(data, memmap):
    X, y, s = data
    params = {**FAST, "max_epochs": 20}
    a = ForgettingClassifier(**params).fit(X, y, s=s)
    b = ForgettingClassifier(**params).fit(memmap(X), y, s=s)
    assert abs(a.score(X, y) - b.score(X, y)) < 0.05


def test_dataset_of_pairs_gives_y(data, memmap):
    X, y, s = data
    a = ForgettingClassifier(**FAST).fit(memmap(X), y, s=s)
    pairs = TensorDataset(torch.from_numpy(X), torch.from_numpy(y))
    b = ForgettingClassifier(**FAST).fit(pairs, s=s)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(pairs))
    np.testing.assert_array_equal(b.classes_, np.unique(y))


def test_skorch_dataset_and_y_alongside(data, memmap):
    X, y, s = data
    a = ForgettingClassifier(**FAST).fit(memmap(X), y, s=s)
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
    strong = dict(batch_size=64, adversary_weight=10.0, precision=1.0, adversary_steps=10,
                  strength_scaling="none", random_state=0)  # as test_forgetting.py STRONG
    results = {}
    for delta in (10.0, 0.0):
        est = ForgettingClassifier(**{**strong, "adversary_weight": delta})
        for _ in range(60):  # 60 passes, as the in-memory test in test_forgetting.py
            for start in (0, 500):
                est.partial_fit(Xm[start:start + 500], y[start:start + 500],
                                s=s[start:start + 500])
        Z_tr, Z_te = est.transform(Xm), est.transform(X[1000:])
        results[delta] = (probe_accuracy(Z_tr, s[:1000], Z_te, s[1000:], random_state=0),
                          est.score(X[1000:], y[1000:]))
    chance = majority_share(s[1000:])
    assert results[10.0][0] <= chance + 0.08
    assert results[10.0][1] >= 0.9
    # delta = 0 (the adversary off, only the noise of precision q): s stays predictable,
    # well above what the adversary leaves (measured: 0.634 against 0.538, chance 0.518)
    assert results[0.0][0] >= chance + 0.10
    assert results[0.0][0] >= results[10.0][0] + 0.06


def test_unified_estimators_offer_partial_fit_of_their_method(data):
    from fairrep import InvariantClassifier, InvariantTransformer

    X, y, s = data
    clf = InvariantClassifier(method="sliced_infomin", **FAST)
    for _ in range(2):
        clf.partial_fit(X, y, s=s)
    assert clf.estimator_.n_epochs_ == 2
    assert clf.predict(X).shape == y.shape
    assert not hasattr(InvariantTransformer(method="information_dropout"), "partial_fit")


# -- streamed order and memory-mapped y / s ------------------------------------------------
@pytest.mark.parametrize("n", [2, 3, 1000, 4097])
def test_feistel_order_is_a_permutation_redrawn_each_epoch(n):
    from fairrep._streaming import FeistelOrder

    generator = torch.Generator().manual_seed(0)
    first = FeistelOrder(n, generator)(np.arange(n))
    second = FeistelOrder(n, generator)(np.arange(n))
    np.testing.assert_array_equal(np.sort(first), np.arange(n))
    np.testing.assert_array_equal(np.sort(second), np.arange(n))
    again = FeistelOrder(n, torch.Generator().manual_seed(0))(np.arange(n))
    np.testing.assert_array_equal(first, again)  # the same seed, the same order
    if n >= 1000:
        assert (first != second).mean() > 0.99  # a new order each epoch
        # no trace of the positions in the order: a shuffled epoch
        assert abs(np.corrcoef(np.arange(n), first)[0, 1]) < 0.1
        # positions asked for in pieces map as when asked for at once
        np.testing.assert_array_equal(
            np.concatenate([FeistelOrder(n, torch.Generator().manual_seed(0))(part)
                            for part in np.array_split(np.arange(n), 7)]), first)


def test_streamed_order_splits_over_processes_like_one_process_with_twice_the_batch():
    from fairrep._training import BatchIterator

    class Positions:  # streamed-data interface: the batch is its positions
        keyed_order = True

        def __len__(self):
            return 101

        def batch(self, index):
            return index.numpy()

    def batches(batch_size, rank=0, world_size=1):
        return list(BatchIterator(Positions(), batch_size,
                                  generator=torch.Generator().manual_seed(4),
                                  rank=rank, world_size=world_size))

    single = batches(20)
    ranks = [batches(10, rank, 2) for rank in (0, 1)]
    assert len(ranks[0]) == len(ranks[1]) == len(single) == 6
    for step, rows in enumerate(single[:-1]):
        np.testing.assert_array_equal(np.sort(np.concatenate([r[step] for r in ranks])),
                                      np.sort(rows))
    covered = np.concatenate([np.concatenate(r) for r in ranks])
    np.testing.assert_array_equal(np.unique(covered), np.arange(101))  # + 1 padding row


@pytest.mark.parametrize("Estimator", [ForgettingClassifier, SlicedInfominClassifier,
                                       MMDTransformer])
def test_memmap_y_and_s_give_the_in_memory_labels_fit(Estimator, data, memmap, tmp_path):
    X, y, s = data
    np.save(tmp_path / "y.npy", y)
    np.save(tmp_path / "s.npy", s)
    ym, sm = (np.load(tmp_path / f"{name}.npy", mmap_mode="r") for name in ("y", "s"))
    a = Estimator(**FAST).fit(memmap(X), y, s=s)
    b = Estimator(**FAST).fit(memmap(X), ym, s=sm)
    np.testing.assert_array_equal(a.transform(X), b.transform(X))
    np.testing.assert_array_equal(b.s_classes_, [0, 1])
    if hasattr(b, "classes_"):
        np.testing.assert_array_equal(b.classes_, [0, 1])


def test_memmap_continuous_s_is_standardised_batch_by_batch(data, memmap, tmp_path):
    X, y, _ = data
    s = (X[:, 3] * 2.0 + 1.0).astype(np.float64)
    np.save(tmp_path / "s.npy", s)
    sm = np.load(tmp_path / "s.npy", mmap_mode="r")
    a = SlicedInfominClassifier(**FAST).fit(memmap(X), y, s=s)
    b = SlicedInfominClassifier(**FAST).fit(memmap(X), y, s=sm)
    # the same model up to the last bits of the chunked mean and standard deviation
    np.testing.assert_allclose(a.transform(X), b.transform(X), rtol=1e-4, atol=1e-5)


def test_memmap_labels_are_read_a_batch_at_a_time(data, memmap, tmp_path, monkeypatch):
    from fairrep._streaming import LazyColumns

    X, y, s = data
    s2 = np.stack([s, (X[:, 0] > 0).astype(np.int16)], axis=1)
    np.save(tmp_path / "y.npy", y)
    np.save(tmp_path / "s.npy", s2)
    ym, sm = (np.load(tmp_path / f"{name}.npy", mmap_mode="r") for name in ("y", "s"))

    def whole(self, *args, **kwargs):
        raise AssertionError("every row of a memory-mapped label was encoded at once")

    monkeypatch.setattr(LazyColumns, "__array__", whole)
    for Estimator in (ForgettingClassifier, SlicedInfominClassifier):
        est = Estimator(**FAST).fit(memmap(X), ym, s=sm)
        assert len(est.s_classes_) == 2
        assert est.predict(X).shape == y.shape


def test_fit_holds_no_per_row_state_with_memmap_x_y_and_s(tmp_path):
    # numpy allocations of a fit from memory maps do not grow with the number of rows
    rng = np.random.RandomState(0)
    peaks = {}
    for n in (20_000, 200_000):
        X = rng.randn(n, 5).astype(np.float32)
        for name, values in [("X", X), ("y", (X[:, 0] > 0).astype(np.int64)),
                             ("s", (X[:, 1] > 0).astype(np.int64))]:
            np.save(tmp_path / f"{name}{n}.npy", values)
        Xm, ym, sm = (np.load(tmp_path / f"{name}{n}.npy", mmap_mode="r") for name in "Xys")
        # large batches: skorch's per-batch history (~0.5 KB a batch) stays small here
        params = dict(max_epochs=1, batch_size=4096, random_state=0)
        ForgettingClassifier(**params).fit(Xm, ym, s=sm)  # one-time imports and caches
        tracemalloc.start()
        ForgettingClassifier(**params).fit(Xm, ym, s=sm)
        peaks[n] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    # 180 000 more rows, under 100 KB more: codes held for every row (one int8 each for y
    # and s) would add 360 KB, encoding them in memory transient int64 arrays of 1.4 MB
    assert peaks[200_000] - peaks[20_000] < 100_000, peaks


def test_bad_memmap_labels_are_clear_errors(data, memmap, tmp_path):
    X, y, s = data

    def mm(name, values):
        np.save(tmp_path / f"{name}.npy", values)
        return np.load(tmp_path / f"{name}.npy", mmap_mode="r")

    Xm = memmap(X)
    s_nan = s.astype(float)
    s_nan[7] = np.nan
    cases = [
        (dict(s=mm("s1", s_nan)), "contains missing values"),
        (dict(s=mm("s2", X[:, 0].astype(float))), "more than 20 distinct float values"),
        (dict(s=mm("s3", np.zeros(len(X), dtype=int))), "single group"),
        (dict(s=mm("s4", s[:-1])), "s has 399 rows but X has 400"),
        (dict(y=mm("y1", np.zeros(len(X), dtype=int))), "single class"),
        (dict(y=mm("y2", np.where(np.arange(len(X)) == 3, np.nan, y.astype(float)))),
         "y contains NaN"),
        (dict(y=mm("y3", X[:, 0].astype(float))), "Unknown label type"),
    ]
    for given, match in cases:
        kw = {"y": y, "s": s, **given}
        with pytest.raises(ValueError, match=match):
            ForgettingClassifier(**FAST).fit(Xm, kw["y"], s=kw["s"])


@pytest.mark.parametrize("Estimator", [InvertibleClassifier, CrossPopulationVAE])
def test_methods_that_count_their_groups_take_memmap_labels_whole(Estimator, data, memmap,
                                                                   tmp_path):
    X, y, s = data
    np.save(tmp_path / "y.npy", y)
    np.save(tmp_path / "s.npy", s)
    ym, sm = (np.load(tmp_path / f"{name}.npy", mmap_mode="r") for name in ("y", "s"))
    params = dict(max_epochs=1, batch_size=64, random_state=0)
    a = Estimator(**params).fit(memmap(X), y, s=s)
    b = Estimator(**params).fit(memmap(X), ym, s=sm)
    np.testing.assert_array_equal(a.transform(X), b.transform(X))


@pytest.mark.parametrize("method", sorted(available_methods()))
def test_memmap_labels_beside_in_memory_x(method, data, tmp_path):
    # an in-memory X with memory-mapped y and s: the labels are read whole, same fit
    X, y, s = data
    np.save(tmp_path / "y.npy", y)
    np.save(tmp_path / "s.npy", s)
    ym, sm = (np.load(tmp_path / f"{name}.npy", mmap_mode="r") for name in ("y", "s"))
    Estimator = get_method(method).classifier or get_method(method).transformer
    params = dict(max_epochs=1, batch_size=64, random_state=0)
    a = Estimator(**params).fit(X, y, s=s)
    b = Estimator(**params).fit(X, ym, s=sm)
    np.testing.assert_array_equal(a.transform(X), b.transform(X))
