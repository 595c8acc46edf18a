"""A fairness level instead of a weight: the constraints, the rule that picks among candidates,
and the one-fit bound (dual ascent of the method's strength inside one fit).

``ConstrainedSearchCV`` (:mod:`fairrep.model_selection`) picks among fits; the estimators'
``constraint=`` / ``bound=`` adapt the strength of one fit with :class:`FairnessBound`, on the
rows :func:`held_out` sets aside.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import torch
from sklearn.model_selection import ShuffleSplit, StratifiedShuffleSplit
from sklearn.utils import _safe_indexing
from sklearn.utils.validation import _num_samples
from skorch.callbacks import Callback

from ._fit_warnings import warn_at_caller
from ._training import evaluating
from ._validation import seed_from
from .exceptions import NoisyConstraintWarning
from .metrics import demographic_parity_difference, equalized_odds_difference

#: Constraints computed from predictions: name -> metric(y_true, y_pred, s=...).
PREDICTION_CONSTRAINTS = {
    "demographic_parity": demographic_parity_difference,
    "equalized_odds": equalized_odds_difference,
}

CONSTRAINT_INVALID = ("constraint={value!r} is not valid: use one of {choices} or a callable "
                      "(y_true, y_pred, s) -> float.")
BOUND_NEEDS_STRENGTH = ("constraint={constraint!r} adapts {strength} inside the fit, starting "
                        "from its value, which is {value!r}: set a positive {strength} (the "
                        "default is a good start).")
BOUND_NEEDS_S = ("constraint={constraint!r} measures the constraint on held-out rows of s: "
                 "call fit(X, y, s=s) with a 1-D s (one sensitive attribute).")
NOISY_CONSTRAINT = (
    "{estimator}: constraint={constraint!r} is measured after every epoch on {n_valid} "
    "held-out rows ({percent:.0f} % of the training rows), where the smallest groups of s have "
    "{n_1} and {n_2} rows: the measured gap has a standard error of about {se:.2g}, more "
    "than bound={bound:.4g}, so the strength adapted from it follows noise about as much as "
    "the gap, and the gap of the epoch kept may be well above the bound on new data. On a "
    "table this small use fairrep.model_selection.ConstrainedSearchCV (the constraint "
    "averaged over folds of all the rows), or ask for a larger bound.")
BOUND_NOT_MET = ("{estimator}: no epoch met {constraint} <= {bound:.4g} on the held-out rows "
                 "(averaged over epochs); the smallest was {best:.4g} (epoch {epoch}, kept). "
                 "Try a larger bound, more epochs (max_epochs, now {max_epochs}) or a larger "
                 "starting {strength}.")

#: Share of the training rows held out to measure the constraint each epoch.
BOUND_VALIDATION_FRACTION = 0.2
#: Step size of the multiplicative dual update, and the most one epoch may change the strength.
BOUND_STEP, BOUND_MAX_FACTOR = 1.0, 2.0
#: The multiplier stays within [1 / BOUND_RANGE, BOUND_RANGE] times the starting strength.
BOUND_RANGE = 1e3
#: An epoch can be kept as feasible only when its held-out accuracy exceeds the majority share
#: by more than this.
BOUND_MIN_GAIN = 0.01
#: Weight of the newest epoch in the exponential averages of the held-out accuracy and
#: constraint by which the epoch to keep is chosen (1 would choose on each epoch's own figures).
#: One epoch's figures on a few hundred rows are noisy, and the best of some 25 noisy epochs is
#: mostly the luckiest; the networks of neighbouring epochs differ little, so the average reads
#: the model better.
BOUND_SMOOTHING = 0.5


def select_candidate(mean_score, mean_constraint, bound):
    """Index of the candidate to refit: the best score among those within ``bound``.

    A candidate is feasible when its mean constraint is <= ``bound``; among the feasible ones
    the highest mean score wins (ties: the lower constraint, then the first). When none is
    feasible, the candidate with the smallest mean constraint (ties: the higher mean
    score, then the first).

    Parameters
    ----------
    mean_score, mean_constraint : array-like of shape (n_candidates,)
    bound : float

    Returns
    -------
    index : int
    feasible : ndarray of bool, shape (n_candidates,)
        Mean constraint <= ``bound``; all False when the fallback was taken.

    Examples
    --------
    >>> from fairrep.model_selection import select_candidate
    >>> select_candidate([0.9, 0.8, 0.7], [0.2, 0.04, 0.01], bound=0.05)[0]
    1
    >>> index, feasible = select_candidate([0.9, 0.8], [0.3, 0.2], bound=0.05)
    >>> index, feasible.tolist()
    (1, [False, False])
    """
    score = np.asarray(mean_score, dtype=float)
    constraint = np.asarray(mean_constraint, dtype=float)
    feasible = constraint <= bound
    if feasible.any():
        # lexsort: the last key is the primary one
        order = np.lexsort((np.arange(len(score)), constraint, -score))
        return int(next(i for i in order if feasible[i])), feasible
    return int(np.lexsort((np.arange(len(score)), -score, constraint))[0]), feasible


def prediction_constraint(constraint):
    """The metric ``(y_true, y_pred, s) -> float`` of a prediction constraint."""
    if callable(constraint):
        return constraint
    if constraint not in PREDICTION_CONSTRAINTS:
        raise ValueError(CONSTRAINT_INVALID.format(
            value=constraint, choices=", ".join(map(repr, PREDICTION_CONSTRAINTS))))
    metric = PREDICTION_CONSTRAINTS[constraint]
    return lambda y_true, y_pred, s: metric(y_true, y_pred, s=s)


class FairnessBound(Callback):
    """The one-fit bound: dual ascent of the module's strength attribute ``attr`` against a
    constraint measured after every epoch on held-out rows ``(X, codes, s)``.

    The strength applied in an epoch is the value the module holds at the epoch's start
    (the method's own, or a warm-up's ramp of it) times the multiplier mu; after each epoch
    past ``start``, mu <- mu * clip(exp(step * (c - bound) / max(bound, 0.01)), 1/2, 2).
    The epochs past ``start`` are candidates, each read by exponential averages over the
    candidates so far (weight ``BOUND_SMOOTHING`` on the newest) of the held-out accuracy and
    of c: ``smoothed_accuracy`` and ``smoothed_constraint`` in the history. At the end the
    weights of the candidate with the best smoothed accuracy whose smoothed c <= bound (and
    whose smoothed accuracy is above the majority share + ``BOUND_MIN_GAIN``) are kept
    (:func:`select_candidate` over the candidates), else the least violating one's, with a
    ConstraintNotMetWarning.
    """

    def __init__(self, estimator, X, codes, s, metric, bound, attr, start, name):
        self.estimator_name, self.X, self.codes, self.s = (type(estimator).__name__, X,
                                                           codes, s)
        self.metric, self.bound, self.attr, self.start, self.name = (metric, bound, attr,
                                                                       start, name)

    def on_train_begin(self, net, **kwargs):
        self.mu_, self.raw_, self.applied_ = 1.0, None, None
        # an epoch whose predictions do no better than the majority class is never kept as
        # feasible: a (near) constant predictor meets any parity bound and has learned nothing
        _, counts = np.unique(self.codes[:, 0], return_counts=True)
        self.min_score_ = counts.max() / counts.sum() + BOUND_MIN_GAIN
        self.scores_, self.constraints_, self.epochs_, self.states_ = [], [], [], []

    def on_epoch_begin(self, net, **kwargs):
        module = net.module_
        current = float(getattr(module, self.attr))
        # unchanged since this callback set it: the method's own value is still raw_;
        # otherwise a warm-up (or the first epoch) has just set the method's value
        raw = self.raw_ if self.applied_ is not None and current == self.applied_ else current
        self.raw_, self.applied_ = raw, raw * self.mu_
        setattr(module, self.attr, self.applied_)

    def on_epoch_end(self, net, **kwargs):
        module = net.module_
        parameter = next(module.parameters())
        with evaluating(module):
            inputs = torch.as_tensor(self.X, dtype=parameter.dtype, device=parameter.device)
            predicted = module.predict_logits(inputs)[0].argmax(dim=1).cpu().numpy()
        truth = self.codes[:, 0]
        value = float(self.metric(truth, predicted, self.s))
        score = float(np.mean(predicted == truth))
        net.history.record("strength", self.applied_)
        net.history.record("valid_constraint", value)
        net.history.record("valid_accuracy", score)
        epoch = len(net.history)
        if epoch <= self.start:
            return
        score, smoothed = self._add_candidate(score, value)
        net.history.record("smoothed_accuracy", score)
        net.history.record("smoothed_constraint", smoothed)
        self.epochs_.append(epoch)
        self.states_.append(copy.deepcopy(module.state_dict()))
        # keep only the states that can still be chosen: the best feasible and the least
        # violating so far (the others are dropped to hold at most two copies)
        index, _, eligible = self._choice()
        keep = {index, int(np.argmin(eligible))}
        self.states_ = [state if i in keep else None for i, state in enumerate(self.states_)]
        gap = (value - self.bound) / max(self.bound, 0.01)
        factor = min(BOUND_MAX_FACTOR, max(1 / BOUND_MAX_FACTOR, math.exp(BOUND_STEP * gap)))
        self.mu_ = min(BOUND_RANGE, max(1 / BOUND_RANGE, self.mu_ * factor))

    def _add_candidate(self, score, value):
        """Append a candidate epoch's held-out accuracy and constraint, as exponential
        averages over the candidates so far; returns the two averages."""
        if self.scores_:
            score = BOUND_SMOOTHING * score + (1 - BOUND_SMOOTHING) * self.scores_[-1]
            value = BOUND_SMOOTHING * value + (1 - BOUND_SMOOTHING) * self.constraints_[-1]
        self.scores_.append(score)
        self.constraints_.append(value)
        return score, value

    def _choice(self):
        """:func:`select_candidate` over the candidates so far (their averaged figures), with
        the constraint of a candidate that does not beat ``min_score_`` taken as infinite;
        returns (index, feasible, those constraints)."""
        eligible = np.where(np.asarray(self.scores_) > self.min_score_, self.constraints_,
                            np.inf)
        index, feasible = select_candidate(self.scores_, eligible, self.bound)
        return index, feasible, eligible

    def on_train_end(self, net, **kwargs):
        self.kept_epoch_, self.met_, self.kept_constraint_ = None, None, None
        if self.epochs_:
            index, feasible, _ = self._choice()
            net.module_.load_state_dict(self.states_[index])
            self.kept_epoch_, self.met_ = self.epochs_[index], bool(feasible.any())
            self.kept_constraint_ = self.constraints_[index]
        # the held-out rows, the saved states and the metric (perhaps a closure) are not
        # pickled with the fitted net
        self.X = self.codes = self.s = self.states_ = self.metric = None

    def not_met_message(self, max_epochs):
        """The ConstraintNotMetWarning's text when no epoch met the bound, else None."""
        if self.met_ is None or self.met_:
            return None
        return BOUND_NOT_MET.format(
            estimator=self.estimator_name, constraint=self.name, bound=self.bound,
            best=self.kept_constraint_, epoch=self.kept_epoch_, max_epochs=max_epochs,
            strength=self.attr)


def gap_standard_error(constraint, labels, groups):
    """About how far a prediction constraint measured on these rows moves by chance:
    ``(standard error, n_1, n_2)`` with n_1 <= n_2 the two smallest groups' rows, or None
    (a callable constraint, one group, or more than 20 groups, as a continuous s has).

    'demographic_parity': ``sqrt(p (1 - p) (1 / n_1 + 1 / n_2))`` with p the share of the
    most frequent label (the positive rate of a predictor near the labels).
    'equalized_odds': ``sqrt((1 / n_1 + 1 / n_2) / 4)`` within each label, the largest
    over the labels (n_1, n_2 then that label's two smallest groups).
    """
    if constraint not in PREDICTION_CONSTRAINTS:
        return None
    labels, groups = np.asarray(labels), np.asarray(groups)

    def smallest_two(rows):
        _, counts = np.unique(groups[rows], return_counts=True)
        return None if len(counts) < 2 or len(counts) > 20 else np.sort(counts)[:2]

    if constraint == "demographic_parity":
        counts = smallest_two(slice(None))
        if counts is None:
            return None
        share = np.unique(labels, return_counts=True)[1].max() / len(labels)
        se = math.sqrt(share * (1 - share) * (1 / counts[0] + 1 / counts[1]))
        return se, int(counts[0]), int(counts[1])
    worst = None
    for label in np.unique(labels):
        counts = smallest_two(labels == label)
        if counts is None:
            continue
        se = math.sqrt((1 / counts[0] + 1 / counts[1]) / 4)
        if worst is None or se > worst[0]:
            worst = se, int(counts[0]), int(counts[1])
    return worst


def validation_rows(codes, fraction, random_state):
    """``(train, valid)`` positions of the rows of ``codes`` (an (n, k) array of label codes):
    ``fraction`` of them (at least 2) held out, stratified on the first task (a plain split
    when a class is too rare for that); ``train`` sorted."""
    n_rows = codes.shape[0]
    n_valid = max(2, int(round(fraction * n_rows)))
    seed = seed_from(random_state)
    rows = np.zeros((n_rows, 1))
    try:
        train, valid = next(StratifiedShuffleSplit(1, test_size=n_valid, random_state=seed)
                            .split(rows, codes[:, 0]))
    except ValueError:
        train, valid = next(ShuffleSplit(1, test_size=n_valid, random_state=seed).split(rows))
    train.sort()
    return train, valid


def held_out(estimator, X, y_codes, s, n_rows):
    """``(X, y_codes, s, callback)`` for ``estimator``'s fit on ``n_rows`` rows: with its
    ``constraint`` set, the training rows without the held-out ones and the
    :class:`FairnessBound` that measures the constraint on those; otherwise the rows as they
    are and None."""
    constraint = getattr(estimator, "constraint", None)
    if constraint is None:
        return X, y_codes, s, None
    metric = prediction_constraint(constraint)
    bound = float(estimator.bound)  # checked by _parameter_constraints
    strength = estimator._strength_param
    start = getattr(estimator, strength)
    if not start > 0:  # a number >= 0 by _parameter_constraints; 0 leaves nothing to adapt
        raise ValueError(BOUND_NEEDS_STRENGTH.format(
            constraint=constraint, strength=strength, value=start))
    name = getattr(constraint, "__name__", constraint)
    if s is None or np.ndim(s) != 1 and np.shape(s)[1:] != (1,):
        raise ValueError(BOUND_NEEDS_S.format(constraint=name))
    if _num_samples(s) != n_rows or y_codes is None or not isinstance(X, np.ndarray):
        return X, y_codes, s, None  # the encoding of s / the stream path say what is wrong
    codes = np.asarray(y_codes).reshape(n_rows, -1)
    train, valid = validation_rows(codes, BOUND_VALIDATION_FRACTION, estimator.random_state)
    s_valid = np.asarray(_safe_indexing(s, valid)).reshape(len(valid))
    noise = gap_standard_error(constraint, codes[valid, 0], s_valid)
    if noise is not None and noise[0] > max(bound, 0.01):
        warn_at_caller(NOISY_CONSTRAINT.format(
            estimator=type(estimator).__name__, constraint=constraint, n_valid=len(valid),
            n_1=noise[1], n_2=noise[2], se=noise[0], bound=bound,
            percent=100 * BOUND_VALIDATION_FRACTION), NoisyConstraintWarning)
    callback = FairnessBound(
        estimator, X[valid], codes[valid], s_valid, metric, bound, attr=strength,
        start=getattr(estimator, "warmup_epochs", 0) or 0, name=name)
    return X[train], np.asarray(y_codes)[train], _safe_indexing(s, train), callback
