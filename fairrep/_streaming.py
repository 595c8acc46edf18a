"""Input that does not fit in memory: memory-mapped arrays and torch Datasets as ``X``.

``fit``, ``partial_fit``, ``transform``, ``predict`` and ``predict_proba`` accept, next to
in-memory arrays,

- a :class:`numpy.memmap` of shape (n_samples, n_features) (``np.load(path, mmap_mode="r")``
  or ``np.memmap(...)``): rows are read batch by batch, the array is never copied whole;
- a :class:`torch.utils.data.Dataset` (skorch's :class:`~skorch.dataset.Dataset` included)
  whose items are one row of ``X`` (any shape, flattened) or an ``(x, y)`` pair; ``y`` comes
  from the items when ``fit`` is not given one, ``s`` is passed alongside as usual.

``y`` and ``s`` (one small value per row) are held in memory; only ``X`` streams.
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
    """Training batches read from a :class:`RowSource`; ``y`` and ``s`` stay in memory.

    ``y`` and ``s`` are numpy arrays of codes (or real values), kept compact (see
    :func:`compact`) and moved to the device a batch at a time.

    Same interface as :class:`fairrep._training.TensorBatches`, and the same batches: rows
    are read in the order of the epoch's permutation, so a fit from a memory map equals the
    fit from the same array in memory.
    """

    index_device = torch.device("cpu")

    def __init__(self, source, y=None, s=None, device="cpu"):
        self.source, self.device = source, torch.device(device)
        self.y, self.s = compact(y), compact(s)

    def __len__(self):
        return self.source.n_samples

    def batch(self, index):
        X = torch.from_numpy(self.source.rows(index.numpy())).to(self.device, torch.float32)
        return X, self._labels(self.y, index), self._labels(self.s, index)

    def _labels(self, codes, index):
        if codes is None:
            return None
        if codes.is_floating_point():
            return codes[index].to(self.device)
        return codes[index].to(self.device, torch.long)


def compact(codes):
    """A CPU tensor of ``codes`` (numpy or CPU tensor); integer codes in the smallest integer dtype that
    holds them (int64 is 8 bytes a row), real values in float32."""
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
