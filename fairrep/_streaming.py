"""Input that does not fit in memory: memory-mapped arrays and torch Datasets as ``X``.

``fit``, ``partial_fit``, ``transform``, ``predict`` and ``predict_proba`` accept, next to
in-memory arrays,

- a :class:`numpy.memmap` of shape (n_samples, n_features) (``np.load(path, mmap_mode="r")``
  or ``np.memmap(...)``): rows are read batch by batch, the array is never copied whole;
- a :class:`torch.utils.data.Dataset` (skorch's :class:`~skorch.dataset.Dataset` included)
  whose items are one row of ``X`` (any shape, flattened) or an ``(x, y)`` pair; ``y`` comes
  from the items when ``fit`` is not given one, ``s`` is passed alongside as usual.

``y`` and ``s`` given as in-memory arrays are encoded once and held in memory as compact codes
(one or two bytes a row). Given as memory maps too (``np.load(path, mmap_mode="r")``), they
are scanned once, a chunk at a time, for their groups, and encoded a batch at a time as the
batches are read (:class:`LazyColumns`), so a fit holds nothing per row. The epoch's shuffle of
streamed rows is a keyed pseudo-random permutation evaluated a batch of positions at a time
(:class:`FeistelOrder`), not a stored permutation of every position.
"""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import Dataset

STREAM_NDIM = (
    "X is a memory-mapped array with {ndim} dimensions; fairrep streams 2-D arrays of shape "
    "(n_samples, n_features). Reshape it, e.g. X.reshape(len(X), -1)."
)
STREAM_DTYPE = (
    "X is a memory-mapped array of dtype {dtype}; fairrep needs numbers (float or int). "
    "Convert the file to float32."
)
STREAM_TOO_SHORT = "X has {n} rows; fairrep needs at least 2 rows to fit."
STREAM_NONFINITE = (
    "X has NaN or infinite values in rows {start} to {stop}; impute or drop them before "
    "passing X to fairrep."
)
STREAM_RANGE = (
    "X has values beyond the float32 range (|x| > 3.4e38) in rows {start} to {stop} and "
    "fairrep computes in float32; rescale X."
)
STREAM_FEATURES = (
    "X has {n_features} features, but {estimator} was fitted with {n_fit} features."
)
DATASET_ITEM = (
    "item 0 of the Dataset passed as X is {kind}; fairrep needs each item to be one row of X "
    "(a tensor or array) or an (x, y) pair."
)
DATASET_Y_MISSING = (
    "{estimator} needs y: pass it to fit alongside the Dataset (fit(dataset, y, s=s)), or make "
    "the Dataset's items (x, y) pairs."
)
DATASET_Y_LENGTH = "y has {n_y} rows but the Dataset passed as X has {n_x} items."
STREAM_UNSUPPORTED = (
    "{method} needs X in memory, but X is {kind}. Streaming input works with fit, "
    "partial_fit, transform, predict and predict_proba; for {method} pass the rows you need "
    "as an array, e.g. np.asarray(X[rows])."
)


def is_stream(X):
    """Whether ``X`` is read batch by batch (memory-mapped array or torch Dataset)."""
    return isinstance(X, (np.memmap, Dataset))


def describe(X):
    """A short description of a streaming ``X`` for error messages."""
    return "a memory-mapped array" if isinstance(X, np.memmap) else "a torch Dataset"


class RowSource:
    """Rows of a streaming ``X`` as float arrays, a batch of rows at a time.

    Parameters
    ----------
    X : numpy.memmap of shape (n_samples, n_features) or torch.utils.data.Dataset
    check_rows : int
        Rows read at a time by :meth:`check_finite`.

    Attributes
    ----------
    n_samples, n_features : int
    dtype : numpy dtype
        float64 for a float64 memory map, else float32 (the dtype of what inference returns).
    """

    def __init__(self, X, check_rows=1024):
        self.X = X
        self.check_rows = max(int(check_rows), 1)
        if isinstance(X, np.memmap):
            if X.ndim != 2:
                raise ValueError(STREAM_NDIM.format(ndim=X.ndim))
            if X.dtype.kind not in "fiub":
                raise ValueError(STREAM_DTYPE.format(dtype=X.dtype))
            self.n_samples, self.n_features = X.shape
            self.dtype = np.dtype(np.float64 if X.dtype == np.float64 else np.float32)
            self._pairs = False
        else:
            self.n_samples = len(X)
            if self.n_samples:
                first = X[0]
                self._pairs = isinstance(first, (tuple, list))
                row = first[0] if self._pairs else first
                if not isinstance(row, (torch.Tensor, np.ndarray, list, float, int)):
                    raise ValueError(DATASET_ITEM.format(kind=type(row).__name__))
                self.n_features = int(np.asarray(_numpy(row)).size)
            else:
                self._pairs, self.n_features = False, 0
            self.dtype = np.dtype(np.float32)
        if self.n_samples < 2:
            raise ValueError(STREAM_TOO_SHORT.format(n=self.n_samples))

    def rows(self, index):
        """The rows ``index`` (a slice or integer positions) as a float array."""
        if isinstance(self.X, np.memmap):
            return np.asarray(self.X[index], dtype=self.dtype)
        positions = range(self.n_samples)[index] if isinstance(index, slice) else index
        items = [self.X[int(i)] for i in positions]
        if self._pairs:
            items = [item[0] for item in items]
        out = np.stack([np.asarray(_numpy(x), dtype=self.dtype).reshape(-1) for x in items])
        if not np.isfinite(out).all():
            bad = [int(p) for p, ok in zip(positions, np.isfinite(out).all(axis=1)) if not ok]
            raise ValueError(STREAM_NONFINITE.format(start=bad[0], stop=bad[-1]))
        return out

    def check_finite(self):
        """Read a memory map once, a chunk at a time: no NaN, inf, or float32 overflow.

        A Dataset is checked lazily instead, batch by batch as its rows are read.
        """
        if not isinstance(self.X, np.memmap):
            return
        limit = np.finfo(np.float32).max
        for start in range(0, self.n_samples, self.check_rows):
            stop = min(start + self.check_rows, self.n_samples)
            chunk = np.asarray(self.X[start:stop])
            if chunk.dtype.kind == "f" and not np.isfinite(chunk).all():
                raise ValueError(STREAM_NONFINITE.format(start=start, stop=stop - 1))
            if chunk.size and np.abs(chunk).max() > limit:
                raise ValueError(STREAM_RANGE.format(start=start, stop=stop - 1))

    @property
    def has_labels(self):
        """Whether the items carry ``y``: (x, y) pairs (skorch: a Dataset built with y)."""
        from skorch.dataset import Dataset as SkorchDataset

        if isinstance(self.X, SkorchDataset):
            return self.X.y is not None
        return self._pairs and len(self.X[0]) >= 2

    def labels(self):
        """``y`` from the items (one pass over a Dataset of (x, y) pairs)."""
        from skorch.dataset import Dataset as SkorchDataset

        if isinstance(self.X, SkorchDataset):
            return np.asarray(self.X.y)
        return np.asarray([np.asarray(_numpy(self.X[i][1])).reshape(-1)[0]
                           for i in range(self.n_samples)])


class StreamBatches:
    """Training batches read from a :class:`RowSource`.

    ``y`` and ``s`` are numpy arrays of codes (or real values), kept compact (see
    :func:`compact`), or :class:`LazyColumns` encoding a memory map a batch at a time; either
    is moved to the device a batch at a time.

    Same interface as :class:`fairrep._training.TensorBatches`; the epoch's order is a
    :class:`FeistelOrder` (``keyed_order``), so a memory map and a torch Dataset of the same
    rows give the same fit.
    """

    index_device = torch.device("cpu")
    #: The epoch's order is a :class:`FeistelOrder` (positions computed a batch at a time).
    keyed_order = True

    def __init__(self, source, y=None, s=None, device="cpu"):
        self.source, self.device = source, torch.device(device)
        self.y, self.s = _compact_or_lazy(y), _compact_or_lazy(s)

    def __len__(self):
        return self.source.n_samples

    def batch(self, index):
        X = torch.from_numpy(self.source.rows(index.numpy())).to(self.device, torch.float32)
        return X, self._labels(self.y, index), self._labels(self.s, index)

    def _labels(self, codes, index):
        if codes is None:
            return None
        if isinstance(codes, LazyColumns):
            codes = torch.from_numpy(codes[index.numpy()])
        else:
            codes = codes[index]
        if codes.is_floating_point():
            return codes.to(self.device)
        return codes.to(self.device, torch.long)


def _compact_or_lazy(codes):
    return codes if isinstance(codes, LazyColumns) else compact(codes)


_MIX1, _MIX2 = np.uint64(0x9E3779B97F4A7C15), np.uint64(0xBF58476D1CE4E5B9)


class FeistelOrder:
    """A pseudo-random permutation of ``range(n)`` evaluated position by position.

    A balanced Feistel network of ``rounds`` rounds on ``2 * half`` bits (the smallest even
    width whose domain holds ``n``, so fewer than four times ``n`` values), keyed by
    ``rounds`` 32-bit keys drawn from ``generator``, is a bijection of that domain; positions
    that land outside ``range(n)`` are mapped again until they fall inside (cycle walking),
    which keeps it a bijection of ``range(n)``. ``order(positions)`` costs memory in the
    number of positions asked for, not in ``n``: an epoch over 10**6 streamed rows shuffles
    without the 4-8 MB of a stored permutation.

    Parameters
    ----------
    n : int
    generator : torch.Generator
        CPU generator the keys are drawn from (one draw of ``rounds`` integers).
    rounds : int
    """

    def __init__(self, n, generator, rounds=4):
        self.n = int(n)
        bits = max(int(self.n - 1).bit_length(), 2)
        self.half = np.uint64((bits + 1) // 2)
        self.mask = np.uint64((1 << int(self.half)) - 1)
        keys = torch.randint(0, 2**32, (rounds,), generator=generator, dtype=torch.int64)
        self.keys = [np.uint64(k) for k in keys.tolist()]

    def _once(self, x):
        left, right = x >> self.half, x & self.mask
        for key in self.keys:
            mixed = (right ^ key) * _MIX1
            mixed ^= mixed >> np.uint64(29)
            mixed *= _MIX2
            mixed ^= mixed >> np.uint64(32)
            left, right = right, left ^ (mixed & self.mask)
        return (left << self.half) | right

    def __call__(self, positions):
        """The permuted index of each position (int64 array of values in ``range(n)``)."""
        x = self._once(np.asarray(positions, dtype=np.uint64))
        outside = np.flatnonzero(x >= self.n)
        while outside.size:
            x[outside] = self._once(x[outside])
            outside = outside[x[outside] >= self.n]
        return x.astype(np.int64)


#: Rows of a memory-mapped y or s read at a time when scanning it for its groups (64 KB of
#: int64 values: the scan's temporaries stay well below a batch of X).
SCAN_ROWS = 1 << 13


def is_lazy_column_source(values):
    """Whether ``values`` (y or s) is a numeric memory map: encoded a batch at a time."""
    return (isinstance(values, np.memmap) and values.ndim in (1, 2)
            and values.dtype.kind in "biuf")


def chunks(column, rows=SCAN_ROWS):
    """``column`` (a 1-D memory map) as in-memory arrays of at most ``rows`` values."""
    for start in range(0, column.shape[0], rows):
        yield np.asarray(column[start:start + rows])


def scan_groups(column, max_levels=None):
    """Sorted distinct values of a numeric memory-mapped column, read a chunk at a time.

    Returns ``(groups, has_nan)``; ``groups`` is None when the column has more than
    ``max_levels`` distinct values (a continuous column: no need to collect them all).
    """
    groups, has_nan = np.empty(0, dtype=column.dtype), False
    for values in chunks(column):
        if values.dtype.kind == "f" and np.isnan(values).any():
            has_nan = True
            values = values[~np.isnan(values)]
        groups = np.union1d(groups, np.unique(values))
        if max_levels is not None and len(groups) > max_levels:
            return None, has_nan
    return groups, has_nan


def chunked_moments(read_chunks):
    """Mean and standard deviation (population, float64) of each column of the rows that
    ``read_chunks()`` yields as in-memory blocks, in two passes: one block at a time, so a
    memory-mapped array is never read whole."""
    n, total = 0, 0.0
    for rows in read_chunks():
        n += rows.shape[0]
        total = total + rows.sum(axis=0, dtype=np.float64)
    mean = total / n
    squares = sum(((rows.astype(np.float64) - mean) ** 2).sum(axis=0) for rows in read_chunks())
    return mean, np.sqrt(squares / n)


def moments(column):
    """Mean and standard deviation of a memory-mapped column, read a chunk at a time."""
    mean, std = chunked_moments(lambda: chunks(column))
    return float(mean), float(std)


class LazyColumns:
    """Encoded columns of a memory-mapped ``y`` or ``s``, computed a batch of rows at a time.

    Parameters
    ----------
    raw : numpy.memmap of shape (n_samples,) or (n_samples, n_columns)
    encoders : list of callables
        ``encoders[j](values)`` maps the raw values of column ``j`` (a 1-D array) to a block
        of shape (len(values), width_j).
    dtype : numpy dtype
        dtype of the encoded rows (int64 codes, or float32 values).

    ``columns[index]`` (a slice or integer positions) returns the encoded rows as a numpy
    array; ``numpy.asarray(columns)`` encodes every row (for code that needs them all).
    """

    def __init__(self, raw, encoders, dtype):
        self.raw = raw.reshape(-1, 1) if raw.ndim == 1 else raw
        self.encoders, self.dtype = encoders, np.dtype(dtype)
        self.shape = (self.raw.shape[0], self[:1].shape[1])

    def __len__(self):
        return self.shape[0]

    @property
    def ndim(self):
        return 2

    def __getitem__(self, index):
        values = np.asarray(self.raw[index])
        blocks = [encode(values[:, j]) for j, encode in enumerate(self.encoders)]
        out = blocks[0] if len(blocks) == 1 else np.hstack(blocks)
        return out.astype(self.dtype, copy=False)

    def __array__(self, dtype=None, copy=None):
        out = np.concatenate([self[start:start + SCAN_ROWS]
                              for start in range(0, max(len(self), 1), SCAN_ROWS)])
        return out if dtype is None else out.astype(dtype, copy=False)


def code_encoder(groups):
    """Values -> integer codes (one column) among the sorted ``groups``."""
    return lambda values: np.searchsorted(groups, values).reshape(-1, 1)


def one_hot_encoder(groups):
    """Values -> one-hot rows among the sorted ``groups``."""
    eye = np.eye(len(groups))
    return lambda values: eye[np.searchsorted(groups, values)]


def standard_encoder(center, scale):
    """Values -> standardised values (one column)."""
    return lambda values: ((values.astype(np.float64) - center) / scale).reshape(-1, 1)


def compact(codes):
    """A CPU tensor of ``codes`` (numpy or CPU tensor); integer codes in the smallest integer
    dtype that holds them (int64 is 8 bytes a row), real values in float32."""
    if codes is None:
        return None
    codes = codes.numpy() if isinstance(codes, torch.Tensor) else np.asarray(codes)
    if codes.dtype.kind == "f":
        return torch.from_numpy(codes.astype(np.float32, copy=False))
    low, high = (codes.min(), codes.max()) if codes.size else (0, 0)
    for dtype in (np.int8, np.int16, np.int32, np.int64):
        if np.iinfo(dtype).min <= low and high <= np.iinfo(dtype).max:
            return torch.from_numpy(codes.astype(dtype, copy=False))


def _numpy(value):
    return value.detach().cpu().numpy() if isinstance(value, torch.Tensor) else value
