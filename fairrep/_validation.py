"""Checks of the sensitive attribute ``s`` and of training options.

Every error message is a module constant so tests (and users) can match it.
"""

from __future__ import annotations

import difflib
import functools
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state

from ._streaming import (LazyColumns, code_encoder, is_lazy_column_source, moments,
                         one_hot_encoder, scan_groups, standard_encoder)

S_REQUIRED = (
    "{estimator} needs the sensitive attribute: call fit(X, y, s=s) with one value of s "
    "per row of X."
)
S_LENGTH = (
    "s has {n_s} rows but X has {n_x}; pass one value of s per row of X "
    "(s may be 1-D, a pandas Series, or 2-D with one column per sensitive attribute)."
)
S_SINGLE_GROUP = (
    "s column {column!r} has a single group ({value!r}); an invariance term needs at least two "
    "groups. Drop that column, or fit with s=None for no invariance term."
)
S_MISSING = (
    "s column {column!r} contains missing values (NaN/None); impute them or drop those rows "
    "before fitting."
)
S_FAIRLEARN_KEYWORD = (
    "{method}() takes the sensitive attribute as s=, not {keyword}= (fairlearn's name): "
    "call {method}(X, y, s=...); in a Pipeline, pass <step name>__s=... to the Pipeline's "
    "{method}."
)
S_NDIM = "s must be 1-D or 2-D, got an array with {ndim} dimensions."
S_EMPTY_COLUMNS = "s has no columns; pass at least one sensitive attribute."
S_UNSEEN = (
    "s column {column!r} has values not seen during fit: {values}. Known values: {known}."
)
S_COLUMNS_MISMATCH = (
    "s has {n_cols} columns but the estimator was fitted with {n_fit}; pass the same "
    "sensitive attributes as in fit."
)
S_CONTINUOUS = (
    "s column {column!r} looks continuous ({n_unique} distinct float values); {estimator} "
    "treats s as categorical. Bin it first (e.g. pd.qcut(s, 4)), or use a method that "
    "supports continuous s."
)
DEVICE_UNAVAILABLE = (
    "device={device!r} was requested but CUDA is not available on this machine; "
    "use device='cpu'."
)
DEVICE_INVALID = "device must be 'cpu', 'cuda' or 'cuda:N', got {device!r}."
POSITIVE_INT = "{name} must be a positive integer, got {value!r}."
BATCH_SIZE_INVALID = "{name} must be a positive integer or 'auto', got {value!r}."
CHOICE_INVALID = "{name} must be one of {choices}, got {value!r}.{hint}"
NON_NEGATIVE = "{name} must be a non-negative finite number, got {value!r}."
POSITIVE = "{name} must be a positive finite number, got {value!r}."
HIDDEN_SIZES = (
    "{name} must be a tuple of positive integers such as (50,), got {value!r}."
)

#: More distinct float values than this in an s column means "continuous".
MAX_CATEGORICAL_FLOAT_LEVELS = 20


@dataclass(frozen=True)
class SensitiveEncoding:
    """Integer codes of a categorical ``s`` and the values they stand for.

    Attributes
    ----------
    codes : ndarray of shape (n_samples, n_columns), dtype int64
    classes : list of ndarray
        Sorted distinct values of each column; ``codes[:, j]`` indexes ``classes[j]``.
    names : list of str
        Column names (pandas names where given, else ``"s0"``, ``"s1"``, ...).
    was_1d : bool
        Whether ``s`` was given as a single column.
    """

    codes: np.ndarray
    classes: list
    names: list
    was_1d: bool

    @property
    def cardinalities(self):
        return [len(c) for c in self.classes]


def _as_columns(s):
    """Split ``s`` into a list of 1-D object/number arrays and column names."""
    if isinstance(s, pd.DataFrame):
        return [s.iloc[:, j] for j in range(s.shape[1])], [str(c) for c in s.columns], False
    if isinstance(s, pd.Series):
        return [s], [str(s.name) if s.name is not None else "s0"], True
    arr = np.asarray(s)
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim == 1:
        return [arr], ["s0"], True
    if arr.ndim == 2:
        return [arr[:, j] for j in range(arr.shape[1])], [f"s{j}" for j in range(arr.shape[1])], (
            arr.shape[1] == 1
        )
    raise ValueError(S_NDIM.format(ndim=arr.ndim))


def _checked_columns(s, n_samples, estimator, required):
    """The columns of ``s`` (see ``_as_columns``) after the checks every encoding shares."""
    if s is None:
        if required:
            raise ValueError(S_REQUIRED.format(estimator=estimator))
        return None
    columns, names, was_1d = _as_columns(s)
    if not columns:
        raise ValueError(S_EMPTY_COLUMNS)
    if len(columns[0]) != n_samples:
        raise ValueError(S_LENGTH.format(n_s=len(columns[0]), n_x=n_samples))
    return columns, names, was_1d


def distinct(column):
    """Sorted distinct values of one column and the integer code of each row."""
    if isinstance(column, pd.Series) and isinstance(column.dtype, pd.CategoricalDtype):
        if column.isna().any():
            raise ValueError(S_MISSING.format(column=column.name))
        classes = np.asarray(column.cat.categories[column.cat.categories.isin(column.unique())])
        codes = pd.Categorical(column, categories=classes).codes.astype(np.int64)
        return classes, codes
    raw = np.asarray(column)
    if raw.dtype.kind in "biuf":  # numbers: no per-value Python objects (large n)
        missing = raw.dtype.kind == "f" and np.isnan(raw).any()
    else:
        missing = pd.Series(raw if isinstance(column, pd.Series) or raw.dtype == object
                            else raw.astype(object)).isna().any()
    if missing:
        raise ValueError(S_MISSING.format(column=getattr(column, "name", None)))
    if raw.dtype.kind in "iu" and raw.size and 0 <= raw.min() and raw.max() < 2**16:
        # small non-negative integer codes (the usual s): a counting pass and one lookup,
        # without np.unique's sorted copies (tens of MB at 10**6 rows)
        present = np.flatnonzero(np.bincount(raw))
        lookup = np.zeros(present[-1] + 1, dtype=np.int64)
        lookup[present] = np.arange(len(present))
        return present.astype(raw.dtype), lookup[raw].reshape(-1)
    try:
        classes, codes = np.unique(raw, return_inverse=True)
    except TypeError:  # mixed types that do not sort: sort by their string form
        uniq = list(dict.fromkeys(raw.tolist()))
        uniq.sort(key=str)
        lookup = {v: i for i, v in enumerate(uniq)}
        classes = np.asarray(uniq, dtype=object)
        codes = np.asarray([lookup[v] for v in raw.tolist()])
    return classes, codes.astype(np.int64).reshape(-1)


def encode_sensitive(s, n_samples, *, estimator="This estimator", required=True,
                     allow_continuous=False, lazy=False):
    """Validate ``s`` at fit time and encode each column as integer codes.

    Parameters
    ----------
    s : array-like of shape (n_samples,) or (n_samples, n_columns), or None
    n_samples : int
        Number of rows of ``X``.
    estimator : str
        Name used in error messages.
    required : bool
        Whether ``s=None`` is an error.
    allow_continuous : bool
        If False, float columns with many distinct values raise a ``ValueError``.
    lazy : bool
        Encode a numeric memory-mapped ``s`` a batch at a time: ``codes`` is then a
        :class:`~fairrep._streaming.LazyColumns` (the groups are found in one chunked pass).

    Returns
    -------
    SensitiveEncoding or None
    """
    if lazy and is_lazy_column_source(s):
        return _encode_lazily(s, n_samples, estimator, allow_continuous, numeric=False)
    checked = _checked_columns(s, n_samples, estimator, required)
    if checked is None:
        return None
    columns, names, was_1d = checked
    classes, codes = [], []
    for column, name in zip(columns, names):
        col_classes, col_codes = distinct(column)
        if len(col_classes) < 2:
            value = col_classes[0] if len(col_classes) else None
            raise ValueError(S_SINGLE_GROUP.format(column=name, value=value))
        if (not allow_continuous and np.asarray(col_classes).dtype.kind == "f"
                and len(col_classes) > MAX_CATEGORICAL_FLOAT_LEVELS):
            raise ValueError(S_CONTINUOUS.format(column=name, n_unique=len(col_classes),
                                                 estimator=estimator))
        classes.append(col_classes)
        codes.append(col_codes)
    stacked = codes[0].reshape(-1, 1) if len(codes) == 1 else np.stack(codes, axis=1)
    return SensitiveEncoding(stacked, classes, names, was_1d)


def encode_sensitive_like(s, classes):
    """Encode ``s`` with the classes seen in fit; unseen values are a ``ValueError``."""
    columns, names, _ = _as_columns(s)
    if len(columns) != len(classes):
        raise ValueError(S_COLUMNS_MISMATCH.format(n_cols=len(columns), n_fit=len(classes)))
    codes = []
    for column, name, known in zip(columns, names, classes):
        raw = np.asarray(column, dtype=object)
        lookup = {v: i for i, v in enumerate(np.asarray(known).tolist())}
        unseen = sorted({v for v in raw.tolist() if v not in lookup}, key=str)
        if unseen:
            raise ValueError(S_UNSEEN.format(column=name, values=unseen[:10],
                                             known=list(lookup)))
        codes.append(np.asarray([lookup[v] for v in raw.tolist()], dtype=np.int64))
    return np.stack(codes, axis=1)


S_CONSTANT = (
    "s column {column!r} is constant (every value is {value!r}); a dependence term between "
    "the representation and s needs s to vary. Drop that column, or fit with s=None for no "
    "invariance term."
)


@dataclass(frozen=True)
class NumericSensitive:
    """``s`` as real-valued columns T, for methods that measure dependence on s directly.

    Attributes
    ----------
    values : ndarray of shape (n_samples, n_encoded), dtype float64
        Categorical columns one-hot encoded, continuous columns standardised, side by side.
    classes : list of (ndarray or None)
        Groups of each categorical column; None for a continuous column.
    names : list of str
    was_1d : bool
    centers, scales : list of (float or None)
        Mean and standard deviation that standardised each continuous column (None for a
        categorical one); later batches of ``partial_fit`` are standardised with them.
    """

    values: np.ndarray
    classes: list
    names: list
    was_1d: bool
    centers: list = None
    scales: list = None


def encode_sensitive_numeric(s, n_samples, *, estimator="This estimator", required=True,
                             classes=None, lazy=False):
    """Validate ``s`` and encode it as real columns T (categorical or continuous).

    A numeric column with more than ``MAX_CATEGORICAL_FLOAT_LEVELS`` distinct values is
    continuous (standardised); any other column is categorical (one-hot). A constant column
    is a ``ValueError`` (``S_CONSTANT``). ``classes`` (one entry per column: the groups, or
    None to decide from the data) fixes the groups of categorical columns, for a first
    ``partial_fit`` call that does not hold every group. ``lazy``: as in
    :func:`encode_sensitive` (``values`` is then computed a batch at a time).

    Returns
    -------
    NumericSensitive or None
    """
    if lazy and classes is None and is_lazy_column_source(s):
        return _encode_lazily(s, n_samples, estimator, True, numeric=True)
    checked = _checked_columns(s, n_samples, estimator, required)
    if checked is None:
        return None
    columns, names, was_1d = checked
    given = _column_classes(classes, len(columns))
    blocks, col_classes_list, centers, scales = [], [], [], []
    for column, name, known in zip(columns, names, given):
        if known is not None:
            codes = _codes_in(column, known)
            col_classes = np.asarray(known)
            if len(col_classes) < 2:
                raise ValueError(S_CONSTANT.format(column=name, value=col_classes[0]))
        else:
            col_classes, codes = distinct(column)
            if len(col_classes) < 2:
                raise ValueError(S_CONSTANT.format(column=name, value=col_classes[0]))
        kind = np.asarray(col_classes).dtype.kind
        if known is None and kind in "iuf" and len(col_classes) > MAX_CATEGORICAL_FLOAT_LEVELS:
            x = np.asarray(column, dtype=np.float64)
            blocks.append(((x - x.mean()) / x.std()).reshape(-1, 1))
            col_classes_list.append(None)
            centers.append(float(x.mean()))
            scales.append(float(x.std()))
        else:
            blocks.append(np.eye(len(col_classes))[codes])
            col_classes_list.append(col_classes)
            centers.append(None)
            scales.append(None)
    return NumericSensitive(np.hstack(blocks), col_classes_list, names, was_1d, centers, scales)


def _encode_lazily(s, n_samples, estimator, allow_continuous, numeric):
    """A memory-mapped ``s`` as a :class:`SensitiveEncoding` (``numeric=False``) or a
    :class:`NumericSensitive`, with the same checks and groups as the in-memory encoders, its
    rows encoded a batch at a time."""
    if s.shape[0] != n_samples:
        raise ValueError(S_LENGTH.format(n_s=s.shape[0], n_x=n_samples))
    raw = s.reshape(-1, 1) if s.ndim == 1 else s
    if raw.shape[1] == 0:
        raise ValueError(S_EMPTY_COLUMNS)
    names = [f"s{j}" for j in range(raw.shape[1])]
    classes, encoders, centers, scales = [], [], [], []
    for j, name in enumerate(names):
        column = raw[:, j]
        kind = column.dtype.kind
        # as the in-memory encoders: numbers with many levels are continuous for the numeric
        # encoding, floats with many levels an error for the categorical one
        may_be_continuous = (kind in "iuf") if numeric else (kind == "f" and not allow_continuous)
        groups, has_nan = scan_groups(
            column, max_levels=MAX_CATEGORICAL_FLOAT_LEVELS if may_be_continuous else None)
        if has_nan:
            raise ValueError(S_MISSING.format(column=name))
        center = scale = None
        if groups is None and numeric:  # continuous: standardised
            center, scale = moments(column)
            encoders.append(standard_encoder(center, scale))
        elif groups is None:
            raise ValueError(S_CONTINUOUS.format(
                column=name, n_unique=f"more than {MAX_CATEGORICAL_FLOAT_LEVELS}",
                estimator=estimator))
        elif len(groups) < 2:
            message = S_CONSTANT if numeric else S_SINGLE_GROUP
            raise ValueError(message.format(column=name,
                                            value=groups[0] if len(groups) else None))
        else:
            encoders.append(one_hot_encoder(groups) if numeric else code_encoder(groups))
        classes.append(groups)
        centers.append(center)
        scales.append(scale)
    was_1d = s.ndim == 1 or raw.shape[1] == 1
    if numeric:
        return NumericSensitive(LazyColumns(raw, encoders, np.float32), classes, names, was_1d,
                                centers, scales)
    return SensitiveEncoding(LazyColumns(raw, encoders, np.int64), classes, names, was_1d)


def _codes_in(column, known):
    """Codes of one column of ``s`` among the groups ``known`` (unseen values: ValueError)."""
    return encode_sensitive_like(np.asarray(column, dtype=object).reshape(-1, 1), [known])[:, 0]


S_WAS_NONE = (
    "{estimator} was fitted without s, so partial_fit cannot take s now; refit with s from "
    "the first call, or keep passing s=None."
)
S_CLASSES_COLUMNS = (
    "s_classes has {n_given} entries but s has {n_cols} columns; give one array of groups per "
    "column of s (a single array for a 1-D s)."
)


def _column_classes(classes, n_columns):
    """``classes`` as one entry per column (a 1-D array of groups stands for one column)."""
    if classes is None:
        return [None] * n_columns
    if n_columns == 1 and not (isinstance(classes, (list, tuple)) and len(classes)
                               and isinstance(classes[0], (list, tuple, np.ndarray))):
        return [np.asarray(classes)]
    if len(classes) != n_columns:
        raise ValueError(S_CLASSES_COLUMNS.format(n_given=len(classes), n_cols=n_columns))
    return [None if c is None else np.asarray(c) for c in classes]


def encode_sensitive_given(s, n_samples, classes, *, estimator="This estimator"):
    """Encode a categorical ``s`` with given groups (``s_classes`` of a first partial_fit)."""
    columns, names, was_1d = _checked_columns(s, n_samples, estimator, True)
    given = _column_classes(classes, len(columns))
    given = [distinct(c)[0] if g is None else g for c, g in zip(columns, given)]
    for name, groups in zip(names, given):
        if len(groups) < 2:
            raise ValueError(S_SINGLE_GROUP.format(column=name, value=groups[0]))
    codes = encode_sensitive_like(np.stack([np.asarray(c, dtype=object) for c in columns],
                                           axis=1), given)
    return SensitiveEncoding(codes, given, names, was_1d)


def reference_of(encoding):
    """What later ``partial_fit`` calls encode ``s`` against: ``encoding`` without its rows."""
    if isinstance(encoding, SensitiveEncoding):
        return replace(encoding, codes=encoding.codes[:0])
    if isinstance(encoding, NumericSensitive):
        return replace(encoding, values=encoding.values[:0])
    return encoding


def encode_sensitive_as(s, n_samples, reference, *, estimator="This estimator"):
    """Encode ``s`` exactly as the first ``partial_fit`` call did (see :func:`reference_of`).

    A batch may hold a single group; values outside the first call's groups are a
    ``ValueError`` (``S_UNSEEN``).
    """
    if reference is None:
        if s is not None:
            raise ValueError(S_WAS_NONE.format(estimator=estimator))
        return None
    columns, names, _ = _checked_columns(s, n_samples, estimator, True)
    if len(columns) != len(reference.classes):
        raise ValueError(S_COLUMNS_MISMATCH.format(n_cols=len(columns),
                                                   n_fit=len(reference.classes)))
    if isinstance(reference, SensitiveEncoding):
        stacked = np.stack([np.asarray(c, dtype=object) for c in columns], axis=1)
        return replace(reference, codes=encode_sensitive_like(stacked, reference.classes))
    blocks = []
    for column, known, center, scale in zip(columns, reference.classes, reference.centers,
                                            reference.scales):
        if known is None:
            x = np.asarray(column, dtype=np.float64)
            blocks.append(((x - center) / scale).reshape(-1, 1))
        else:
            blocks.append(np.eye(len(known))[_codes_in(column, known)])
    return replace(reference, values=np.hstack(blocks))


def check_device(device):
    """Return ``device`` if it is usable here, else raise a ``ValueError``."""
    import torch

    if not isinstance(device, str) and not isinstance(device, torch.device):
        raise ValueError(DEVICE_INVALID.format(device=device))
    name = str(device)
    if name == "cpu":
        return name
    if name == "cuda" or name.startswith("cuda:"):
        if not torch.cuda.is_available():
            raise ValueError(DEVICE_UNAVAILABLE.format(device=name))
        return name
    raise ValueError(DEVICE_INVALID.format(device=device))


def did_you_mean(value, choices):
    """`` Did you mean 'x'?`` for the closest of ``choices`` to a string ``value``, else ''.

    Case-insensitive: ``'Slice'`` suggests ``'slice'``.
    """
    if not isinstance(value, str):
        return ""
    by_lower = {choice.lower(): choice for choice in choices}
    close = difflib.get_close_matches(value.lower(), list(by_lower), n=1)
    return f" Did you mean {by_lower[close[0]]!r}?" if close else ""


def check_choice(value, name, choices):
    """``value`` if it is one of the strings ``choices``, else a ValueError naming ``name``."""
    if isinstance(value, str) and value in choices:
        return value
    raise ValueError(CHOICE_INVALID.format(name=name, choices=", ".join(map(repr, choices)),
                                           value=value, hint=did_you_mean(value, choices)))


def check_bool(value, name):
    """``value`` as a bool if it is True or False (numpy's included), else a ValueError."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise ValueError(f"{name} must be True or False, got {value!r}.")


def check_positive_int(value, name):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(POSITIVE_INT.format(name=name, value=value))
    return int(value)


def check_batch_size(value, name="batch_size"):
    """A positive int, or ``'auto'`` (returned as is)."""
    if isinstance(value, str) and value == "auto":
        return value
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(BATCH_SIZE_INVALID.format(name=name, value=value))
    return int(value)


def check_non_negative(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) or not (
        np.isfinite(value) and value >= 0
    ):
        raise ValueError(NON_NEGATIVE.format(name=name, value=value))
    return float(value)


def check_positive(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) or not (
        np.isfinite(value) and value > 0
    ):
        raise ValueError(POSITIVE.format(name=name, value=value))
    return float(value)


def check_hidden_layer_sizes(value, name="hidden_layer_sizes"):
    sizes = (value,) if isinstance(value, (int, np.integer)) else value
    try:
        sizes = tuple(sizes)
    except TypeError:
        raise ValueError(HIDDEN_SIZES.format(name=name, value=value)) from None
    if any(isinstance(h, bool) or not isinstance(h, (int, np.integer)) or h < 1 for h in sizes):
        raise ValueError(HIDDEN_SIZES.format(name=name, value=value))
    return tuple(int(h) for h in sizes)


def seed_from(random_state):
    """An int seed drawn from ``random_state`` (int, RandomState or None), for torch."""
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


def takes_s_keyword(method):
    """Decorate ``fit``/``partial_fit`` so that fairlearn's ``sensitive_features=`` (or
    ``sensitive_feature=``) gets a ``TypeError`` saying to pass ``s=`` instead; any other
    unknown keyword gets Python's usual error. The signature stays the method's own
    (``functools.wraps``), so scikit-learn's metadata routing sees ``s``."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        for keyword in ("sensitive_features", "sensitive_feature"):
            if keyword in kwargs:
                raise TypeError(S_FAIRLEARN_KEYWORD.format(method=method.__name__,
                                                           keyword=keyword))
        return method(self, *args, **kwargs)

    return wrapper
