"""The targets ``y``: each column (task) checked and encoded as integer codes, with the
sorted classes those codes index.

Every error message is a module constant so tests (and users) can match it.
"""

from __future__ import annotations

import numpy as np
from sklearn.utils.multiclass import check_classification_targets

from ._streaming import LazyColumns, code_encoder, is_lazy_column_source, scan_groups
from ._sensitive import distinct

Y_SINGLE_CLASS = (
    "y has a single class ({value!r}); {estimator} needs at least two classes in every "
    "target column."
)
Y_REQUIRED = (
    "{estimator} is supervised and requires y to be passed, but the target y is None."
)
Y_UNSEEN = (
    "y has labels not seen by the first partial_fit call: {values}. Known labels: {known}. "
    "Pass every label as classes=... on the first call."
)
Y_UNEXPECTED = (
    "{estimator} was fitted without y, so partial_fit cannot take y now; refit with y from "
    "the first call, or keep passing y=None."
)
Y_NAN = "y contains NaN; drop or impute those rows before fitting."
CLASSES_TASKS = (
    "classes has {n_given} entries but y has {n_tasks} columns; give one array of labels per "
    "column of y (a single array for a 1-D y)."
)


def encode_targets(y, estimator):
    """Encode each target column; return codes (n, T) and the classes of each column.

    A memory-mapped ``y`` (streamed fits) is scanned for its classes a chunk at a time and
    its codes are computed a batch at a time (:class:`~fairrep._streaming.LazyColumns`).
    ``estimator``: the name the messages give.
    """
    if is_lazy_column_source(y):
        return _encode_lazily(y, estimator)
    check_classification_targets(y)
    y2 = y.reshape(-1, 1) if y.ndim == 1 else y
    codes, classes = [], []
    for j in range(y2.shape[1]):
        labels, column_codes = distinct(y2[:, j])  # LabelEncoder's classes and codes
        _check_several_classes(labels, estimator)
        codes.append(column_codes)
        classes.append(labels)
    stacked = codes[0].reshape(-1, 1) if len(codes) == 1 else np.stack(codes, axis=1)
    return stacked, classes


def _encode_lazily(y, estimator):
    raw = y.reshape(-1, 1) if y.ndim == 1 else y  # 1-D or 2-D: is_lazy_column_source
    classes = []
    for j in range(raw.shape[1]):
        labels, has_nan = scan_groups(raw[:, j])
        if has_nan:
            raise ValueError(Y_NAN)
        check_classification_targets(labels)  # continuous y: sklearn's error
        _check_several_classes(labels, estimator)
        classes.append(labels)
    return LazyColumns(raw, [code_encoder(c) for c in classes], np.int64), classes


def _check_several_classes(labels, estimator):
    if len(labels) < 2:
        raise ValueError(Y_SINGLE_CLASS.format(value=labels[0], estimator=estimator))


def given_classes(classes, y, estimator):
    """``classes`` of a first partial_fit call as one sorted array per task."""
    n_tasks = 1 if y.ndim == 1 else y.shape[1]
    given = [classes] if n_tasks == 1 else list(classes)
    if len(given) != n_tasks:
        raise ValueError(CLASSES_TASKS.format(n_given=len(given), n_tasks=n_tasks))
    out = []
    for labels in given:
        labels = np.unique(np.asarray(labels))
        _check_several_classes(labels, estimator)
        out.append(labels)
    return out


def encode_targets_as(y, classes):
    """Codes of ``y`` against known classes; a label outside them is a ValueError."""
    y2 = y.reshape(-1, 1) if y.ndim == 1 else y
    if y2.shape[1] != len(classes):
        raise ValueError(CLASSES_TASKS.format(n_given=len(classes), n_tasks=y2.shape[1]))
    codes = []
    for j, known in enumerate(classes):
        column = y2[:, j]
        unseen = np.setdiff1d(np.unique(column), known)
        if unseen.size:
            raise ValueError(Y_UNSEEN.format(values=unseen[:10].tolist(),
                                             known=np.asarray(known).tolist()))
        codes.append(np.searchsorted(known, column))
    return np.stack(codes, axis=1).astype(np.int64)


def target_codes(estimator, y, classes, first):
    """``(codes, classes)`` of ``y`` for a fit or partial_fit call of ``estimator``: encoded
    anew on a first call (``estimator._encode_targets``, or as the ``classes`` given to a
    first partial_fit call), else as the fit so far (classes then None: the target
    attributes stay as the first call set them)."""
    name = type(estimator).__name__
    if first:
        if y is None:
            return None, None
        if classes is None:
            return estimator._encode_targets(y)
        classes = given_classes(classes, y, name)
        return encode_targets_as(y, classes), classes
    fitted = (None if not hasattr(estimator, "classes_") else
              [estimator.classes_] if estimator.n_tasks_ == 1 else list(estimator.classes_))
    if y is not None and fitted is None:
        raise ValueError(Y_UNEXPECTED.format(estimator=name))
    return (None if y is None else encode_targets_as(y, fitted)), None
