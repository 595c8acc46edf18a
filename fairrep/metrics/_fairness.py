"""Group-fairness gaps of a classifier's predictions.

Both metrics take the sensitive attribute ``s`` as a required keyword
argument, so they can be wrapped as scikit-learn scorers whose ``s`` is
routed with metadata routing::

    scorer = make_scorer(demographic_parity_difference,
                         greater_is_better=False).set_score_request(s=True)

(``set_score_request`` and the routing itself need
``sklearn.set_config(enable_metadata_routing=True)`` or a
``sklearn.config_context(enable_metadata_routing=True)`` block; then pass
``params={"s": s}`` to ``cross_validate`` or ``GridSearchCV.fit``.)

The definitions match those of fairlearn's ``demographic_parity_difference``
and ``equalized_odds_difference`` (with their default, worst-case
aggregation), without depending on fairlearn.
"""

import numbers

import numpy as np
import pandas as pd

from .._docstrings import fill_doc
from .._sensitive import as_1d, check_no_missing, group_ids

__all__ = ["demographic_parity_difference", "equalized_odds_difference"]


def _check_y(y_true, y_pred, *, require_true):
    y_pred = as_1d(y_pred, "y_pred")
    check_no_missing(y_pred, "y_pred")
    if y_true is None:
        if require_true:
            raise ValueError("y_true is required for this metric")
        return None, y_pred
    y_true = as_1d(y_true, "y_true")
    check_no_missing(y_true, "y_true")
    if y_true.shape[0] != y_pred.shape[0]:
        raise ValueError(
            f"y_true has {y_true.shape[0]} rows but y_pred has {y_pred.shape[0]}"
        )
    return y_true, y_pred


def _sensitive(s, sensitive_features):
    """``s``, given as ``s`` or as fairlearn's ``sensitive_features`` (exactly one)."""
    if s is not None and sensitive_features is not None:
        raise ValueError("Give s or sensitive_features (fairlearn's name for it), not both.")
    if s is None and sensitive_features is None:
        raise ValueError("s is required: the sensitive attribute, one value per row "
                         "(fairlearn's sensitive_features= is accepted too).")
    return s if s is not None else sensitive_features


def _is_real_number(v):
    return isinstance(v, (numbers.Real, np.bool_)) and not isinstance(v, complex)


def _resolve_pos_label(pos_label, *ys):
    labels = pd.unique(np.concatenate([np.asarray(y, dtype=object) for y in ys]))
    labels = set(labels.tolist())
    if pos_label is None:
        if labels and all(_is_real_number(v) for v in labels) and (
            labels <= {0, 1} or labels <= {-1, 1}
        ):
            # {0, 1}, {False, True} or {-1, 1}: the positive label is the larger one.
            return max(labels) if 1 in labels else 1
        raise ValueError(
            f"pos_label must be given: the labels {sorted(map(repr, labels))} are not "
            "{0, 1}, {False, True} or {-1, 1}, so the positive label is ambiguous"
        )
    if pos_label not in labels:
        raise ValueError(
            f"pos_label={pos_label!r} is not among the labels of y_true/y_pred "
            f"({sorted(map(repr, labels))})"
        )
    return pos_label


def _equals(y, value):
    if y.dtype.kind in "USO":
        y = y.astype(object)
    return np.asarray(y == value, dtype=bool)


def _gap(numerator, denominator):
    """max - min over the groups with a non-zero denominator (0 if < 2 groups)."""
    keep = denominator > 0
    if keep.sum() < 2:
        return 0.0
    rates = numerator[keep] / denominator[keep]
    return float(rates.max() - rates.min())


#: The end of the Parameters section and the Returns and Raises sections, which the two
#: gaps share (see :mod:`fairrep._docstrings`).
_gap_doc = fill_doc(gap_tail="""
    sensitive_features : array-like, default=None
        fairlearn's name for ``s``; give one of the two.

    Returns
    -------
    gap : float
        In [0, 1].

    Raises
    ------
    ValueError
        If ``s`` does not have one row per sample or holds a single group,
        if ``y_true`` and ``y_pred`` differ in length, or if ``pos_label`` is
        needed but missing, or not among the labels.
    """)


@_gap_doc
def demographic_parity_difference(y_true, y_pred, *, s=None, pos_label=None,
                                  sensitive_features=None):
    """Demographic-parity gap: spread of selection rates across groups.

    The selection rate of group ``g`` is ``P(y_pred == pos_label | s = g)``;
    the gap is the largest minus the smallest selection rate over the groups
    present in ``s``. Zero means demographic (statistical) parity, the
    criterion of Calders & Verwer (2010) and Zemel et al. (2013). This
    matches fairlearn's ``demographic_parity_difference`` (worst-case
    ``between_groups`` difference of ``selection_rate``).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or None
        True labels. Ignored apart from a length check; accepted so that the
        function can be wrapped with :func:`sklearn.metrics.make_scorer`.
    y_pred : array-like of shape (n_samples,)
        Predicted labels.
    s : array-like of shape (n_samples,) or (n_samples, n_attributes)
        Sensitive attribute(s), any label type (numbers, strings, bools,
        pandas categoricals). With several columns the groups are their
        intersections (the distinct rows of ``s``). Keyword-only, so that a
        scorer can request it with ``set_score_request(s=True)``.
    pos_label : object, default=None
        The label counted as a positive decision. If None, the labels of
        ``y_true`` and ``y_pred`` must be {0, 1}, {False, True} or {-1, 1}
        (or a subset), and the larger one is used.
    %(gap_tail)s

    See Also
    --------
    equalized_odds_difference : Gap in error rates conditional on ``y_true``.

    References
    ----------
    T. Calders and S. Verwer, "Three naive Bayes approaches for
    discrimination-free classification", Data Mining and Knowledge
    Discovery, 2010.

    R. Zemel, Y. Wu, K. Swersky, T. Pitassi and C. Dwork, "Learning fair
    representations", ICML 2013.

    Examples
    --------
    >>> from fairrep.metrics import demographic_parity_difference
    >>> y_pred = [1, 1, 0, 0, 1, 0, 0, 0]
    >>> s = ["a", "a", "a", "a", "b", "b", "b", "b"]
    >>> demographic_parity_difference(None, y_pred, s=s)  # 2/4 - 1/4
    0.25
    >>> demographic_parity_difference(
    ...     None, ["yes", "no", "no", "yes"], s=[0, 0, 1, 1], pos_label="yes")
    0.0
    """
    s = _sensitive(s, sensitive_features)
    y_true, y_pred = _check_y(y_true, y_pred, require_true=False)
    ids, n_groups = group_ids(s, y_pred.shape[0])
    ys = (y_pred,) if y_true is None else (y_true, y_pred)
    pos_label = _resolve_pos_label(pos_label, *ys)
    selected = _equals(y_pred, pos_label).astype(float)
    counts = np.bincount(ids, minlength=n_groups).astype(float)
    return _gap(np.bincount(ids, weights=selected, minlength=n_groups), counts)


@_gap_doc
def equalized_odds_difference(y_true, y_pred, *, s=None, pos_label=None,
                              sensitive_features=None):
    """Equalized-odds gap: worst spread of TPR or FPR across groups.

    For each group ``g`` the true-positive rate
    ``P(y_pred == pos | y_true == pos, s = g)`` and the false-positive rate
    ``P(y_pred == pos | y_true != pos, s = g)`` are computed; the result is
    the larger of the TPR gap (max - min over groups) and the FPR gap.
    Zero means equalized odds (Hardt, Price & Srebro, 2016). This matches
    fairlearn's ``equalized_odds_difference`` (default ``agg="worst_case"``).
    Groups without positives are left out of the TPR gap and groups without
    negatives out of the FPR gap; a rate with fewer than two groups left
    contributes 0.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_pred : array-like of shape (n_samples,)
        Predicted labels.
    s : array-like of shape (n_samples,) or (n_samples, n_attributes)
        Sensitive attribute(s), any label type. With several columns the
        groups are their intersections (the distinct rows of ``s``).
        Keyword-only, so that a scorer can request it with
        ``set_score_request(s=True)``.
    pos_label : object, default=None
        The positive label. If None, the labels of ``y_true`` and ``y_pred``
        must be {0, 1}, {False, True} or {-1, 1} (or a subset), and the
        larger one is used.
    %(gap_tail)s

    See Also
    --------
    demographic_parity_difference : Gap in selection rates.

    References
    ----------
    M. Hardt, E. Price and N. Srebro, "Equality of opportunity in supervised
    learning", NeurIPS 2016.

    Examples
    --------
    >>> from fairrep.metrics import equalized_odds_difference
    >>> y_true = [1, 1, 0, 0, 1, 1, 0, 0]
    >>> y_pred = [1, 1, 0, 0, 1, 0, 1, 0]
    >>> s = [0, 0, 0, 0, 1, 1, 1, 1]
    >>> equalized_odds_difference(y_true, y_pred, s=s)  # max(1 - 1/2, 1/2 - 0)
    0.5
    """
    s = _sensitive(s, sensitive_features)
    y_true, y_pred = _check_y(y_true, y_pred, require_true=True)
    ids, n_groups = group_ids(s, y_pred.shape[0])
    pos_label = _resolve_pos_label(pos_label, y_true, y_pred)
    positive = _equals(y_true, pos_label)
    predicted = _equals(y_pred, pos_label).astype(float)
    n_pos = np.bincount(ids, weights=positive.astype(float), minlength=n_groups)
    n_neg = np.bincount(ids, weights=(~positive).astype(float), minlength=n_groups)
    tp = np.bincount(ids, weights=predicted * positive, minlength=n_groups)
    fp = np.bincount(ids, weights=predicted * ~positive, minlength=n_groups)
    return max(_gap(tp, n_pos), _gap(fp, n_neg))
