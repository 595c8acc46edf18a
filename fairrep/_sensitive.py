"""The sensitive attribute ``s``: one value per fit, :class:`Sensitive`, built by one function,
:func:`sensitive`, from what the user passed and what the method declares.

A method declares how it takes ``s`` with two class attributes of its estimator:

- ``_s_kind``: ``'categorical'`` (integer codes of each column, the default), ``'numeric'``
  (real-valued columns: categorical ones one-hot, continuous ones standardised; for methods
  that measure dependence on ``s`` directly) or ``'length_only'`` (``s`` is not used: only
  its length is checked);
- ``_y_stands_in_for_s``: without ``s`` (or with a ``'length_only'`` s), the codes of ``y``
  fill the ``s`` slot (a :class:`Sensitive` of kind ``'labels'``), as the invertible
  network's nuisance classifier reads its labels there.

Here too are the checks of ``s`` that the metrics share and the encodings of ``s`` after fit
(:func:`encode_sensitive_like`). Every error message is a module constant so tests (and
users) can match it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

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
S_CONSTANT = (
    "s column {column!r} is constant (every value is {value!r}); a dependence term between "
    "the representation and s needs s to vary. Drop that column, or fit with s=None for no "
    "invariance term."
)
S_WAS_NONE = (
    "{estimator} was fitted without s, so partial_fit cannot take s now; refit with s from "
    "the first call, or keep passing s=None."
)
S_CLASSES_COLUMNS = (
    "s_classes has {n_given} entries but s has {n_cols} columns; give one array of groups per "
    "column of s (a single array for a 1-D s)."
)

#: More distinct float values than this in an s column means "continuous".
MAX_CATEGORICAL_FLOAT_LEVELS = 20

#: What a method may declare as its ``_s_kind``.
KINDS = ("categorical", "numeric", "length_only")
#: ``fitted=`` of :func:`sensitive` when the call is a fit or a first partial_fit call.
FIRST_CALL = object()


@dataclass(frozen=True)
class Sensitive:
    """``s`` as training reads it, and what it was.

    Attributes
    ----------
    kind : {'categorical', 'numeric', 'labels'}
        Integer codes of each column; real-valued columns; or the codes of ``y`` standing in
        for ``s`` (see the module's docstring).
    classes : list of (ndarray or None)
        Sorted groups of each column (``codes[:, j]`` indexes ``classes[j]``); None for a
        continuous column of a numeric ``s``.
    names : list of str
        Column names (pandas names where given, else ``"s0"``, ``"s1"``, ..., ``"y0"``, ...).
    was_1d : bool
        Whether ``s`` was given as a single column.
    codes : ndarray of shape (n_samples, n_columns), dtype int64, or LazyColumns, or None
        The categorical or labels kinds.
    values : ndarray of shape (n_samples, n_encoded), or LazyColumns, or None
        The numeric kind: categorical columns one-hot, continuous ones standardised, side
        by side.
    centers, scales : list of (float or None) or None
        Mean and standard deviation that standardised each continuous column (None for a
        categorical one); later ``partial_fit`` calls standardise with them.
    """

    kind: str
    classes: list
    names: list
    was_1d: bool
    codes: object = None
    values: object = None
    centers: list = None
    scales: list = None

    @property
    def rows(self):
        """What training reads: ``values`` for the numeric kind, else ``codes``."""
        return self.values if self.kind == "numeric" else self.codes

    @property
    def n_samples(self):
        return len(self.rows)

    @property
    def cardinalities(self):
        """Groups per column (None for a continuous column)."""
        return [None if c is None else len(c) for c in self.classes]

    @property
    def continuous(self):
        """Positions of the continuous columns (numeric kind)."""
        return [j for j, c in enumerate(self.classes) if c is None]

    @property
    def s_classes(self):
        """What ``s_classes_`` keeps: the groups of a 1-D ``s``, a list for 2-D ``s``, None
        for labels standing in for ``s``."""
        if self.kind == "labels":
            return None
        return self.classes[0] if self.was_1d else self.classes

    def without_rows(self):
        """This value without its rows: what later ``partial_fit`` calls encode ``s`` as."""
        if self.kind == "numeric":
            return replace(self, values=self.values[:0])
        return replace(self, codes=self.codes[:0])


class SingleGroupError(ValueError):
    """A column of ``s`` holds a single group (``column``, ``value``): no invariance term
    can be trained on it."""

    def __init__(self, message, column, value):
        super().__init__(message)
        self.column, self.value = column, value


def sensitive(s, n_samples, kind="categorical", *, estimator="This estimator", labels=None,
              s_classes=None, fitted=FIRST_CALL, lazy=False):
    """The :class:`Sensitive` value of one fit or partial_fit call; None when nothing of ``s``
    reaches training. Every check of ``s`` at fit time happens here (a method may say one in
    its own words: :class:`SingleGroupError`).

    Parameters
    ----------
    s : array-like of shape (n_samples,) or (n_samples, n_columns), or None
    n_samples : int
        Number of rows of ``X``.
    kind : {'categorical', 'numeric', 'length_only'}
        What the method declares (``_s_kind``; see the module's docstring).
    estimator : str
        Name used in error messages.
    labels : ndarray of shape (n_samples, n_tasks), default=None
        Codes of ``y`` that stand in for ``s`` when it is None or ``'length_only'``
        (``_y_stands_in_for_s``).
    s_classes : array-like or list of array-like, default=None
        The groups of each column of ``s``, given to a first ``partial_fit`` call whose rows
        need not hold every group (then ``s`` is required).
    fitted : Sensitive or None, default=FIRST_CALL
        For a later ``partial_fit`` call, what the first call built (without its rows; None
        when it had no ``s``): ``s`` is encoded as it was.
    lazy : bool, default=False
        Encode a numeric memory-mapped ``s`` a batch at a time (``codes`` / ``values`` are
        then a :class:`~fairrep._streaming.LazyColumns`; the groups are found in one chunked
        pass).

    Returns
    -------
    Sensitive or None
    """
    if kind not in KINDS:
        raise ValueError(f"_s_kind must be one of {KINDS}, got {kind!r}.")
    if kind == "length_only":
        _check_length(s, n_samples)
        s = None
    if s is None and labels is not None:
        codes = np.asarray(labels)
        return Sensitive("labels", [np.unique(c) for c in codes.T],
                         [f"y{j}" for j in range(codes.shape[1])], codes.shape[1] == 1,
                         codes=codes)
    if kind == "length_only":
        return None
    if fitted is not FIRST_CALL:
        return _encode_as(s, n_samples, fitted, estimator)
    if kind == "numeric":
        return encode_sensitive_numeric(s, n_samples, estimator=estimator,
                                        required=s_classes is not None, classes=s_classes,
                                        lazy=lazy)
    if s_classes is not None:
        return _encode_given(s, n_samples, s_classes, estimator)
    return encode_sensitive(s, n_samples, estimator=estimator, required=False, lazy=lazy)


def _check_length(s, n_samples):
    """For a method that does not use ``s``: only check that it has one value per row."""
    if s is not None:
        n_s = s.shape[0] if hasattr(s, "shape") and len(s.shape) else len(np.atleast_1d(s))
        if n_s != n_samples:
            raise ValueError(S_LENGTH.format(n_s=n_s, n_x=n_samples))


# -- encodings -----------------------------------------------------------------------------
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
    Sensitive or None
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
            raise SingleGroupError(S_SINGLE_GROUP.format(column=name, value=value), name, value)
        if (not allow_continuous and np.asarray(col_classes).dtype.kind == "f"
                and len(col_classes) > MAX_CATEGORICAL_FLOAT_LEVELS):
            raise ValueError(S_CONTINUOUS.format(column=name, n_unique=len(col_classes),
                                                 estimator=estimator))
        classes.append(col_classes)
        codes.append(col_codes)
    stacked = codes[0].reshape(-1, 1) if len(codes) == 1 else np.stack(codes, axis=1)
    return Sensitive("categorical", classes, names, was_1d, codes=stacked)


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
    Sensitive or None
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
        else:
            col_classes, codes = distinct(column)
        if len(col_classes) < 2:
            raise SingleGroupError(S_CONSTANT.format(column=name, value=col_classes[0]), name,
                                   col_classes[0])
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
    return Sensitive("numeric", col_classes_list, names, was_1d, values=np.hstack(blocks),
                     centers=centers, scales=scales)


def _encode_lazily(s, n_samples, estimator, allow_continuous, numeric):
    """A memory-mapped ``s`` as a categorical (``numeric=False``) or numeric :class:`Sensitive`,
    with the same checks and groups as the in-memory encoders, its
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
            value = groups[0] if len(groups) else None
            raise SingleGroupError(message.format(column=name, value=value), name, value)
        else:
            encoders.append(one_hot_encoder(groups) if numeric else code_encoder(groups))
        classes.append(groups)
        centers.append(center)
        scales.append(scale)
    was_1d = s.ndim == 1 or raw.shape[1] == 1
    if numeric:
        return Sensitive("numeric", classes, names, was_1d,
                         values=LazyColumns(raw, encoders, np.float32), centers=centers,
                         scales=scales)
    return Sensitive("categorical", classes, names, was_1d,
                     codes=LazyColumns(raw, encoders, np.int64))


def _codes_in(column, known):
    """Codes of one column of ``s`` among the groups ``known`` (unseen values: ValueError)."""
    return encode_sensitive_like(np.asarray(column, dtype=object).reshape(-1, 1), [known])[:, 0]


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


def _encode_given(s, n_samples, classes, estimator):
    """Encode a categorical ``s`` with given groups (``s_classes`` of a first partial_fit)."""
    columns, names, was_1d = _checked_columns(s, n_samples, estimator, True)
    given = _column_classes(classes, len(columns))
    given = [distinct(c)[0] if g is None else g for c, g in zip(columns, given)]
    for name, groups in zip(names, given):
        if len(groups) < 2:
            raise SingleGroupError(S_SINGLE_GROUP.format(column=name, value=groups[0]), name,
                                   groups[0])
    codes = encode_sensitive_like(np.stack([np.asarray(c, dtype=object) for c in columns],
                                           axis=1), given)
    return Sensitive("categorical", given, names, was_1d, codes=codes)


def _encode_as(s, n_samples, reference, estimator):
    """Encode ``s`` exactly as the first ``partial_fit`` call did (``reference``: its value
    without rows, :meth:`Sensitive.without_rows`; None when it had no ``s``).

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
    if reference.kind != "numeric":
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


# -- the checks of s that the metrics share ------------------------------------------------
def as_1d(y, name):
    """Return ``y`` as a 1-D numpy array, or raise a ValueError naming it."""
    if isinstance(y, (pd.Series, pd.Index)):
        return y.to_numpy()
    if isinstance(y, pd.DataFrame):
        if y.shape[1] != 1:
            raise ValueError(
                f"{name} must be 1-D, got a DataFrame with {y.shape[1]} columns"
            )
        return y.iloc[:, 0].to_numpy()
    arr = np.asarray(y)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got an array of shape {arr.shape}")
    return arr


def check_no_missing(col, name):
    if pd.isna(col).any():
        raise ValueError(
            f"{name} contains missing values (NaN/None); "
            "encode them as an explicit group label first"
        )


def group_ids(s, n_rows, name="s"):
    """Encode ``s`` as integer group ids ``0..n_groups-1``.

    ``s`` is 1-D (any label type) or 2-D with one sensitive attribute per
    column; with several columns the groups are the intersections, i.e. the
    distinct rows of ``s``.
    """
    if s is None:
        raise ValueError(f"{name} is required: pass the sensitive attribute(s), one per row")
    if isinstance(s, pd.DataFrame):
        columns = [s.iloc[:, j].to_numpy() for j in range(s.shape[1])]
        n = s.shape[0]
    elif isinstance(s, (pd.Series, pd.Index)):
        columns = [s.to_numpy()]
        n = len(s)
    else:
        arr = np.asarray(s)
        if arr.ndim == 1:
            columns = [arr]
        elif arr.ndim == 2:
            columns = [arr[:, j] for j in range(arr.shape[1])]
        else:
            raise ValueError(
                f"{name} must be 1-D or 2-D (one column per sensitive attribute), "
                f"got an array of shape {arr.shape}"
            )
        n = arr.shape[0]
    if n != n_rows:
        raise ValueError(
            f"{name} has {n} rows but y has {n_rows}; pass one sensitive value per sample"
        )
    if not columns:
        raise ValueError(f"{name} has no columns")
    codes = []
    for col in columns:
        check_no_missing(col, name)
        codes.append(pd.factorize(col)[0])
    codes = np.column_stack(codes)
    _, ids = np.unique(codes, axis=0, return_inverse=True)
    ids = np.asarray(ids).reshape(-1)
    n_groups = int(ids.max()) + 1 if ids.size else 0
    if n_groups < 2:
        raise ValueError(
            f"{name} has a single group ({n_groups} distinct value(s) in {n} rows); "
            "a fairness gap needs at least two groups"
        )
    return ids, n_groups


def labels_per_row(s, Z, s_name, Z_name):
    """``s`` as one label per row of ``Z`` (1-D, no missing values), for the metrics."""
    if s is None:
        raise ValueError(f"{s_name} is required: pass one label per row of {Z_name}")
    s = as_1d(s, s_name)
    if s.shape[0] != Z.shape[0]:
        raise ValueError(
            f"{s_name} has {s.shape[0]} rows but {Z_name} has {Z.shape[0]}; "
            f"pass one label per row of {Z_name}"
        )
    check_no_missing(s, s_name)
    return s
