"""The data a fit or a prediction takes: ``X`` and ``y`` checked (arrays through
scikit-learn's ``validate_data``; memory-mapped arrays and Datasets as a
:class:`~fairrep._streaming.RowSource`), their rows and columns, and the rows per batch of
``batch_size='auto'``.

Every error message is a module constant so tests (and users) can match it.
"""

from __future__ import annotations

import numpy as np
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from ._streaming import (DATASET_Y_LENGTH, DATASET_Y_MISSING, STREAM_FEATURES,
                         STREAM_UNSUPPORTED, RowSource, chunked_moments, describe,
                         is_lazy_column_source, is_stream)
from ._targets import Y_REQUIRED

X_FLOAT32_RANGE = (
    "X has values beyond the float32 range (|x| > 3.4e38) and fairrep trains in float32; "
    "rescale X (e.g. with StandardScaler)."
)

#: ``batch_size='auto'``: n_samples // AUTO_BATCH_DIVISOR rows, clipped to AUTO_BATCH_RANGE.
AUTO_BATCH_DIVISOR = 100
AUTO_BATCH_RANGE = (64, 256)


def auto_batch_rows(n_samples):
    """Rows per batch that ``batch_size='auto'`` gives ``n_samples`` rows (None: the most)."""
    low, high = AUTO_BATCH_RANGE
    if n_samples is None:
        return high
    return min(high, max(low, n_samples // AUTO_BATCH_DIVISOR))


def n_rows(X):
    return X.n_samples if isinstance(X, RowSource) else X.shape[0]


def n_columns(X):
    return X.n_features if isinstance(X, RowSource) else X.shape[1]


def _row_chunks(X, chunk_rows):
    """``X`` (an array or a RowSource) as in-memory arrays of at most ``chunk_rows`` rows."""
    for start in range(0, n_rows(X), chunk_rows):
        stop = start + chunk_rows
        yield X.rows(slice(start, stop)) if isinstance(X, RowSource) else np.asarray(X[start:stop])


def column_std(X, chunk_rows=4096):
    """Standard deviation of each column of ``X`` (an array or a RowSource, read a chunk of
    rows at a time), in float64."""
    return chunked_moments(lambda: _row_chunks(X, chunk_rows))[1]


def column_spacing(X, max_rows=20000):
    """Mean gap between the distinct values of each column of ``X`` (an array or a
    RowSource): (max - min) / (number of distinct values - 1), 0 for a constant column; read
    on at most ``max_rows`` evenly spaced rows."""
    n = n_rows(X)
    rows = np.unique(np.linspace(0, n - 1, min(n, max_rows)).astype(np.int64))
    sample = X.rows(rows) if isinstance(X, RowSource) else np.asarray(X[rows])
    spacing = np.zeros(sample.shape[1])
    for j in range(sample.shape[1]):
        values = np.unique(sample[:, j])
        if len(values) > 1:
            spacing[j] = (values[-1] - values[0]) / (len(values) - 1)
    return spacing


def validate_fit_data(estimator, X, y, s, reset):
    """Validated ``X`` (an array, or a RowSource for streaming input) and ``y`` for
    ``estimator``'s fit (``reset``: a new fit, which sets ``n_features_in_``)."""
    name = type(estimator).__name__
    if is_stream(X):
        source = RowSource(X, check_rows=estimator._batch_rows(None))
        if y is None and not isinstance(X, np.memmap) and source.has_labels:
            y = source.labels()
        if y is None and estimator._y_required(s):
            message = Y_REQUIRED if isinstance(X, np.memmap) else DATASET_Y_MISSING
            raise ValueError(message.format(estimator=name))
        source.check_finite()
        check_stream_features(estimator, source, reset)
        if y is not None:
            if not (estimator._lazy_labels and is_lazy_column_source(y)):
                # a memory-mapped y stays one: encode_targets reads it in chunks
                y = check_array(y, ensure_2d=False, dtype=None, input_name="y")
            if y.shape[0] != source.n_samples:
                raise ValueError(DATASET_Y_LENGTH.format(n_y=y.shape[0],
                                                         n_x=source.n_samples))
        return source, y
    if y is None and estimator._y_required(s):
        raise ValueError(Y_REQUIRED.format(estimator=name))
    if y is None:
        X = validate_data(estimator, X, dtype=[np.float64, np.float32], ensure_min_samples=2,
                          reset=reset)
    else:
        X, y = validate_data(estimator, X, y, dtype=[np.float64, np.float32],
                             ensure_min_samples=2, multi_output=True,
                             y_numeric=False, reset=reset)
    if X.size and np.abs(X).max() > np.finfo(np.float32).max:
        raise ValueError(X_FLOAT32_RANGE)
    return X, y


def check_stream_features(estimator, source, reset):
    if reset:
        estimator.n_features_in_ = source.n_features
        estimator.__dict__.pop("feature_names_in_", None)
    elif source.n_features != estimator.n_features_in_:
        raise ValueError(STREAM_FEATURES.format(n_features=source.n_features,
                                                estimator=type(estimator).__name__,
                                                n_fit=estimator.n_features_in_))


def validate_X(estimator, X, method=None):
    """Validated ``X`` for inference (in memory; see :func:`validate_X_batches`)."""
    check_is_fitted(estimator)
    if is_stream(X) and not isinstance(X, np.memmap):
        raise ValueError(STREAM_UNSUPPORTED.format(
            method=method or "this method", kind=describe(X)))
    return validate_data(estimator, X, dtype=[np.float64, np.float32], reset=False)


def validate_X_batches(estimator, X):
    """Validated ``X`` for batch-wise inference: a RowSource for streaming input."""
    if not is_stream(X):
        return validate_X(estimator, X)
    check_is_fitted(estimator)
    source = RowSource(X, check_rows=max(estimator._batch_rows(None), 1024))
    source.check_finite()
    check_stream_features(estimator, source, reset=False)
    return source
