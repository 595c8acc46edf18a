"""Offline loaders for the UCI Adult and Statlog German credit data sets.

The raw UCI files ship gzip-compressed as package data in
``fairrep/datasets/data/`` and are read with :func:`importlib.resources`,
so the loaders work without network access from an editable install as
well as from a wheel.
"""

from __future__ import annotations

import functools
import json
from importlib import resources

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split
from sklearn.utils import Bunch

from .._docstrings import fill_doc
from .._validation import check_choice

__all__ = ["load_adult", "load_german"]

_PACKAGE = "fairrep.datasets"

# --------------------------------------------------------------------------
# Adult
# --------------------------------------------------------------------------

_ADULT_COLUMNS = [
    "age",
    "workclass",
    "fnlwgt",
    "education",
    "education-num",
    "marital-status",
    "occupation",
    "relationship",
    "race",
    "sex",
    "capital-gain",
    "capital-loss",
    "hours-per-week",
    "native-country",
    "income",
]
_ADULT_TARGET = "income"
_ADULT_NUMERIC = [
    "age",
    "fnlwgt",
    "education-num",
    "capital-gain",
    "capital-loss",
    "hours-per-week",
]
_ADULT_LOG1P = ["capital-gain", "capital-loss"]
_ADULT_CATEGORICAL = [
    c for c in _ADULT_COLUMNS if c not in _ADULT_NUMERIC and c != _ADULT_TARGET
]
_ADULT_SENSITIVE = ("sex", "race", "age")
_ADULT_SUBSETS = ("train", "test", "all")
_ADULT_FILES = {"train": "adult.data.gz", "test": "adult.test.gz"}

# --------------------------------------------------------------------------
# German credit
# --------------------------------------------------------------------------

_GERMAN_ATTRIBUTES = [
    "checking_status",
    "duration",
    "credit_history",
    "purpose",
    "credit_amount",
    "savings",
    "employment",
    "installment_rate",
    "personal_status",
    "other_debtors",
    "residence_since",
    "property",
    "age",
    "other_installment_plans",
    "housing",
    "existing_credits",
    "job",
    "num_dependents",
    "telephone",
    "foreign_worker",
]
_GERMAN_TARGET = "credit"
_GERMAN_NUMERIC = [
    "duration",
    "credit_amount",
    "installment_rate",
    "residence_since",
    "age",
    "existing_credits",
    "num_dependents",
]
_GERMAN_CATEGORICAL = [c for c in _GERMAN_ATTRIBUTES if c not in _GERMAN_NUMERIC]
# keys of the values-map json (as named in the shipped file) -> our column names
_GERMAN_MAP_KEYS = {
    "status": "checking_status",
    "credit_history": "credit_history",
    "purpose": "purpose",
    "savings": "savings",
    "present_employment": "employment",
    "status_sex": "personal_status",
    "other_debtors": "other_debtors",
    "property": "property",
    "installment_plans": "other_installment_plans",
    "housing": "housing",
    "job": "job",
    "telephone": "telephone",
    "foreign_worker": "foreign_worker",
}
_GERMAN_MALE_CODES = ("A91", "A93", "A94")
_GERMAN_FEMALE_CODES = ("A92", "A95")
_GERMAN_SENSITIVE = ("sex", "age")
_GERMAN_SUBSETS = ("all", "train", "test")
_GERMAN_TEST_SIZE = 0.3


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


def _data_file(name):
    return resources.files(_PACKAGE).joinpath("data", name)


def _read_text(name):
    return _data_file(name).read_text(encoding="utf-8")


def _strip_strings(df, columns):
    for col in columns:
        df[col] = df[col].astype(str).str.strip()
    return df


@functools.lru_cache(maxsize=None)
def _adult_raw(part):
    """Parse one Adult file (``"train"`` or ``"test"``); cached, do not mutate.

    Rows with a missing value (``"?"``) are dropped, strings are stripped,
    the target is mapped to int 0/1 (1 = ``>50K``).
    """
    with _data_file(_ADULT_FILES[part]).open("rb") as fh:
        df = pd.read_csv(
            fh,
            compression="gzip",
            header=None,
            names=_ADULT_COLUMNS,
            skiprows=1 if part == "test" else 0,
            sep=",",
            skipinitialspace=True,
            na_values=["?"],
            keep_default_na=False,
            skip_blank_lines=True,
            dtype={c: str for c in _ADULT_CATEGORICAL + [_ADULT_TARGET]},
        )
    df = df.dropna(axis=0, how="any").reset_index(drop=True)
    df = _strip_strings(df, _ADULT_CATEGORICAL + [_ADULT_TARGET])
    labels = df[_ADULT_TARGET].str.rstrip(".")
    unknown = set(labels.unique()) - {"<=50K", ">50K"}
    if unknown:  # pragma: no cover - guards against corrupted package data
        raise RuntimeError(f"Unexpected Adult income labels: {sorted(unknown)}")
    df[_ADULT_TARGET] = (labels == ">50K").astype(np.int64)
    for col in _ADULT_NUMERIC:
        df[col] = df[col].astype(np.int64)
    return df


@functools.lru_cache(maxsize=None)
def _adult_categories():
    """Fixed, sorted category lists: union of the cleaned train and test values."""
    train, test = _adult_raw("train"), _adult_raw("test")
    return {
        col: tuple(sorted(set(train[col].unique()) | set(test[col].unique())))
        for col in _ADULT_CATEGORICAL
    }


@functools.lru_cache(maxsize=None)
def _adult_numeric_stats():
    """Mean and (population) std of the transformed numeric columns on train."""
    train = _numeric_block(_adult_raw("train"), _ADULT_NUMERIC, _ADULT_LOG1P)
    return tuple(train.mean(axis=0)), tuple(train.std(axis=0))


@functools.lru_cache(maxsize=None)
def _german_raw():
    """Parse german.data into readable strings; cached, do not mutate."""
    with _data_file("german.data.gz").open("rb") as fh:
        df = pd.read_csv(
            fh,
            compression="gzip",
            header=None,
            sep=" ",
            names=_GERMAN_ATTRIBUTES + [_GERMAN_TARGET],
            index_col=False,
            dtype={c: str for c in _GERMAN_CATEGORICAL},
        )
    codes = df["personal_status"].copy()
    values_maps = json.loads(_read_text("german_values_maps.json"))
    for key, col in _GERMAN_MAP_KEYS.items():
        mapping = {}
        for code, value in values_maps[key].items():
            if isinstance(value, bool):
                value = "yes" if value else "no"
            mapping[code] = " ".join(str(value).split())
        mapped = df[col].map(mapping)
        if mapped.isna().any():  # pragma: no cover - corrupted package data
            raise RuntimeError(f"Unmapped codes in German column {col!r}")
        df[col] = mapped.astype(str)
    sex = pd.Series(np.full(len(df), "", dtype=object), index=df.index)
    sex[codes.isin(_GERMAN_MALE_CODES).to_numpy()] = "male"
    sex[codes.isin(_GERMAN_FEMALE_CODES).to_numpy()] = "female"
    if (sex == "").any():  # pragma: no cover - corrupted package data
        raise RuntimeError("Unexpected personal_status codes in German data")
    df.insert(df.columns.get_loc("personal_status") + 1, "sex", sex.astype(str))
    target = df[_GERMAN_TARGET].to_numpy()
    if not set(np.unique(target)) <= {1, 2}:  # pragma: no cover
        raise RuntimeError("Unexpected German credit labels")
    df[_GERMAN_TARGET] = (target == 1).astype(np.int64)
    for col in _GERMAN_NUMERIC:
        df[col] = df[col].astype(np.int64)
    return df


@functools.lru_cache(maxsize=None)
def _german_categories():
    df = _german_raw()
    return {
        col: tuple(sorted(df[col].unique())) for col in _GERMAN_CATEGORICAL + ["sex"]
    }


@functools.lru_cache(maxsize=None)
def _german_numeric_stats():
    block = _numeric_block(_german_raw(), _GERMAN_NUMERIC, ())
    return tuple(block.mean(axis=0)), tuple(block.std(axis=0))


@functools.lru_cache(maxsize=None)
def _german_split(random_state):
    y = _german_raw()[_GERMAN_TARGET].to_numpy()
    idx = np.arange(len(y))
    train_idx, test_idx = train_test_split(
        idx, test_size=_GERMAN_TEST_SIZE, stratify=y, random_state=random_state
    )
    return np.sort(train_idx), np.sort(test_idx)


def _numeric_block(df, columns, log1p_columns):
    out = np.empty((len(df), len(columns)), dtype=np.float64)
    for j, col in enumerate(columns):
        values = df[col].to_numpy(dtype=np.float64)
        if col in log1p_columns:
            values = np.log1p(values)
        out[:, j] = values
    return out


def _encode(df, numeric, categorical, categories, stats, log1p_columns):
    """Standardise numeric columns and one-hot encode categoricals.

    ``stats`` is ``(mean, std)`` for the ``numeric`` columns, in order.
    Returns a float64 array and the matching feature names.
    """
    blocks, names = [], []
    if numeric:
        block = _numeric_block(df, numeric, log1p_columns)
        mean = np.asarray(stats[0], dtype=np.float64)
        std = np.asarray(stats[1], dtype=np.float64)
        std = np.where(std > 0, std, 1.0)
        blocks.append((block - mean) / std)
        names.extend(numeric)
    for col in categorical:
        cats = categories[col]
        codes = pd.Categorical(df[col].to_numpy(dtype=object), categories=cats).codes
        if (codes < 0).any():  # pragma: no cover - cannot happen with fixed cats
            raise RuntimeError(f"Unknown category in column {col!r}")
        onehot = np.zeros((len(df), len(cats)), dtype=np.float64)
        onehot[np.arange(len(df)), codes] = 1.0
        blocks.append(onehot)
        names.extend(f"{col}={c}" for c in cats)
    data = np.hstack(blocks) if blocks else np.empty((len(df), 0))
    return np.ascontiguousarray(data, dtype=np.float64), names


def _as_category(df, categories):
    for col, cats in categories.items():
        if col in df.columns:
            df[col] = pd.Categorical(df[col].to_numpy(dtype=object), categories=cats)
    return df


def _bunch(raw, target, sens, sensitive, *, as_frame, target_column, feature_columns,
           numeric, categorical, categories, numeric_stats, all_numeric, log1p_columns=()):
    """The loaders' Bunch: the raw columns as frames, or the encoded float64 array.

    ``numeric_stats`` is the (cached) function giving (mean, std) of ``all_numeric``; only
    the entries of the kept ``numeric`` columns are used, and only to encode.
    """
    if as_frame:
        frame = _as_category(raw, categories)
        data = frame[feature_columns].copy()
        target_s = pd.Series(target, name=target_column, index=frame.index)
        if sensitive == "age":
            sens_s = pd.Series(sens, name="age", index=frame.index, dtype=np.float64)
        else:
            sens_s = pd.Series(sens, name=sensitive, index=frame.index).astype(str)
        return Bunch(
            data=data,
            target=target_s,
            sensitive=sens_s,
            frame=frame,
            feature_names=list(feature_columns),
        )
    mean, std = numeric_stats()
    pos = [all_numeric.index(c) for c in numeric]
    stats = tuple(mean[i] for i in pos), tuple(std[i] for i in pos)
    data, names = _encode(raw, numeric, categorical, categories, stats, log1p_columns)
    return Bunch(
        data=data, target=target, sensitive=sens, frame=None, feature_names=names
    )


def _finish(bunch, return_X_y):
    if return_X_y:
        return bunch.data, bunch.target, bunch.sensitive
    return bunch


#: The docstring texts that the two loaders share (see :mod:`fairrep._docstrings`).
_loader_doc = fill_doc(
    return_X_y_param="""
    return_X_y : bool, default=False
        If True, return ``(data, target, sensitive)`` instead of a Bunch.
    """,
    return_X_y_return="""
    (data, target, sensitive) : tuple
        If ``return_X_y`` is True.
    """,
    loader_raises="""
    Raises
    ------
    ValueError
        If ``sensitive`` or ``subset`` is not one of the allowed values.
    """)


# --------------------------------------------------------------------------
# public loaders
# --------------------------------------------------------------------------


@_loader_doc
def load_adult(*, sensitive="sex", subset="train", as_frame=False, return_X_y=False):
    """Load the UCI Adult (census income) data set, offline.

    The raw UCI files are shipped with the package. Rows with any missing
    value (``"?"``) are dropped, as is standard in the fairness literature,
    which leaves 30162 training and 15060 test rows.

    Parameters
    ----------
    sensitive : {"sex", "race", "age"}, default="sex"
        Sensitive attribute returned in ``sensitive``; its column is removed
        from ``data``. ``"sex"`` gives the strings ``"Female"``/``"Male"``,
        ``"race"`` the UCI race strings, ``"age"`` the age in years as a
        float. Age is continuous: methods that need a categorical sensitive
        attribute require it binarised, e.g. ``s >= 40``.
    subset : {"train", "test", "all"}, default="train"
        Standard UCI split: ``"train"`` is ``adult.data``, ``"test"`` is
        ``adult.test``, ``"all"`` both concatenated (train first).
    as_frame : bool, default=False
        If True, ``data`` is a :class:`pandas.DataFrame` of the raw feature
        columns (categoricals as ``category`` dtype), ``target`` and
        ``sensitive`` are :class:`pandas.Series` and ``frame`` holds the full
        table. If False, ``data`` is a float64 array: numeric columns
        (``capital-gain``/``capital-loss`` log1p-transformed first)
        standardised with the mean/std of the *training file* whatever the
        subset, followed by one-hot encoded categoricals with a fixed
        category list, so every subset has the same columns.
    %(return_X_y_param)s

    Returns
    -------
    bunch : :class:`sklearn.utils.Bunch`
        With ``data``, ``target`` (int 0/1, 1 meaning income ``>50K``),
        ``sensitive``, ``feature_names``, ``target_names``
        (``["<=50K", ">50K"]``), ``sensitive_name``, ``frame`` (None unless
        ``as_frame=True``; its ``income`` column is the int target) and
        ``DESCR``.
    %(return_X_y_return)s

    %(loader_raises)s

    Notes
    -----
    Source: UCI Machine Learning Repository (Becker & Kohavi, 1996),
    licensed CC BY 4.0; see ``bunch.DESCR`` for the attribution. Only the
    sensitive column is removed from ``data``; other protected attributes
    (e.g. ``race`` when ``sensitive="sex"``) stay as features.

    References
    ----------
    B. Becker and R. Kohavi, "Adult", UCI Machine Learning Repository, 1996.

    R. Kohavi, "Scaling up the accuracy of naive-Bayes classifiers: a
    decision-tree hybrid", KDD 1996.

    Examples
    --------
    >>> from fairrep.datasets import load_adult
    >>> X, y, s = load_adult(subset="test", return_X_y=True)
    >>> X.shape, y.shape, sorted(set(s))
    ((15060, 102), (15060,), ['Female', 'Male'])
    >>> adult = load_adult(sensitive="race", as_frame=True)  # the raw columns, race left out
    >>> adult.data.shape, "race" in adult.data.columns, adult.sensitive.nunique()
    ((30162, 13), False, 5)
    """
    check_choice(sensitive, "sensitive", _ADULT_SENSITIVE)
    check_choice(subset, "subset", _ADULT_SUBSETS)

    if subset == "all":
        raw = pd.concat(
            [_adult_raw("train"), _adult_raw("test")], axis=0, ignore_index=True
        )
    else:
        raw = _adult_raw(subset).copy(deep=True)

    target = raw[_ADULT_TARGET].to_numpy(dtype=np.int64, copy=True)
    if sensitive == "age":
        sens = raw["age"].to_numpy(dtype=np.float64, copy=True)
    else:
        sens = raw[sensitive].to_numpy(dtype=object).astype(str).astype(object)

    numeric = [c for c in _ADULT_NUMERIC if c != sensitive]
    categorical = [c for c in _ADULT_CATEGORICAL if c != sensitive]
    feature_columns = [
        c for c in _ADULT_COLUMNS if c != _ADULT_TARGET and c != sensitive
    ]
    descr = _read_text("adult.rst")
    bunch = _bunch(
        raw, target, sens, sensitive, as_frame=as_frame, target_column=_ADULT_TARGET,
        feature_columns=feature_columns, numeric=numeric, categorical=categorical,
        categories=_adult_categories(), numeric_stats=_adult_numeric_stats,
        all_numeric=_ADULT_NUMERIC, log1p_columns=_ADULT_LOG1P,
    )
    bunch.target_names = ["<=50K", ">50K"]
    bunch.sensitive_name = sensitive
    bunch.DESCR = descr
    return _finish(bunch, return_X_y)


@_loader_doc
def load_german(
    *, sensitive="sex", subset="all", as_frame=False, return_X_y=False, random_state=0
):
    """Load the UCI Statlog German credit data set, offline.

    1000 loan applicants described by 20 attributes, with the coded UCI
    values (``"A11"``...) translated into readable strings and readable
    column names.

    Parameters
    ----------
    sensitive : {"sex", "age"}, default="sex"
        Sensitive attribute returned in ``sensitive``. ``"sex"`` gives
        ``"male"``/``"female"``, derived from ``personal_status`` (A91, A93,
        A94 male; A92, A95 female); since ``personal_status`` encodes sex,
        that column is removed from ``data``. ``"age"`` gives the age in
        years as a float (continuous: binarise it, e.g. ``s >= 25``, for
        methods needing a categorical attribute) and removes ``age`` from
        ``data``.
    subset : {"all", "train", "test"}, default="all"
        There is no standard split. ``"train"``/``"test"`` are a
        deterministic 70/30 split (700/300 rows) stratified by the target,
        made with :func:`sklearn.model_selection.train_test_split` and
        ``random_state``; rows keep their file order.
    as_frame : bool, default=False
        If True, ``data`` is a :class:`pandas.DataFrame` of the readable
        feature columns (categoricals as ``category`` dtype), ``target`` and
        ``sensitive`` are Series and ``frame`` holds the 20 attributes plus
        a derived ``sex`` column and the int target column ``credit``. If
        False, ``data`` is a float64 array: numeric columns standardised
        with the mean/std of the *whole file* (the same for every subset),
        followed by one-hot encoded categoricals with a fixed category list.
    %(return_X_y_param)s
    random_state : int, default=0
        Seed of the stratified train/test split; ignored for ``"all"``.

    Returns
    -------
    bunch : :class:`sklearn.utils.Bunch`
        With ``data``, ``target`` (int, 1 = good credit, 0 = bad),
        ``sensitive``, ``feature_names``, ``target_names``
        (``["bad", "good"]``), ``sensitive_name``, ``frame`` (None unless
        ``as_frame=True``) and ``DESCR``.
    %(return_X_y_return)s

    %(loader_raises)s

    Notes
    -----
    Source: UCI Machine Learning Repository (Hofmann, 1994), licensed
    CC BY 4.0; see ``bunch.DESCR`` for the attribution.

    References
    ----------
    H. Hofmann, "Statlog (German credit data)", UCI Machine Learning
    Repository, 1994.

    Examples
    --------
    >>> from fairrep.datasets import load_german
    >>> X_train, y_train, s_train = load_german(subset="train", return_X_y=True)
    >>> y_test = load_german(subset="test").target
    >>> X_train.shape, len(y_test), sorted(set(s_train))
    ((700, 57), 300, ['female', 'male'])
    >>> float(y_train.mean()), float(y_test.mean())  # the split is stratified by y
    (0.7, 0.7)
    >>> age = load_german(sensitive="age").sensitive  # years; binarise it for categorical s
    >>> float(age.min()), float((age >= 25).mean())
    (19.0, 0.851)
    """
    check_choice(sensitive, "sensitive", _GERMAN_SENSITIVE)
    check_choice(subset, "subset", _GERMAN_SUBSETS)

    raw = _german_raw()
    if subset != "all":
        train_idx, test_idx = _german_split(random_state)
        rows = train_idx if subset == "train" else test_idx
        raw = raw.iloc[rows].reset_index(drop=True)
    else:
        raw = raw.copy(deep=True)

    target = raw[_GERMAN_TARGET].to_numpy(dtype=np.int64, copy=True)
    if sensitive == "age":
        sens = raw["age"].to_numpy(dtype=np.float64, copy=True)
        dropped = {"age"}
    else:
        sens = raw["sex"].to_numpy(dtype=object).astype(str).astype(object)
        dropped = {"personal_status"}

    feature_columns = [c for c in _GERMAN_ATTRIBUTES if c not in dropped]
    numeric = [c for c in _GERMAN_NUMERIC if c not in dropped]
    categorical = [c for c in _GERMAN_CATEGORICAL if c not in dropped]
    descr = _read_text("german.rst")
    bunch = _bunch(
        raw, target, sens, sensitive, as_frame=as_frame, target_column=_GERMAN_TARGET,
        feature_columns=feature_columns, numeric=numeric, categorical=categorical,
        categories=_german_categories(), numeric_stats=_german_numeric_stats,
        all_numeric=_GERMAN_NUMERIC,
    )
    bunch.target_names = ["bad", "good"]
    bunch.sensitive_name = sensitive
    bunch.DESCR = descr
    return _finish(bunch, return_X_y)
