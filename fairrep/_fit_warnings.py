"""What fit says about what it trained, as warnings issued at the user's line
(:func:`warn_at_caller`): the predictor learned no more than the class shares
(TaskCollapseWarning, during fit and after it), or an invariance method was fitted without
``s`` (SensitiveMissingWarning)."""

from __future__ import annotations

import contextlib
import contextvars
import os
import sys
import warnings

import numpy as np
from scipy.stats import entropy
from sklearn.base import is_classifier
from skorch.callbacks import Callback

from ._training import predicted_task_loss
from .exceptions import SensitiveMissingWarning, TaskCollapseWarning

TASK_COLLAPSED = (
    "{estimator}'s predictor learned no more than the class shares: its task loss {when} "
    "is {task:.4f} nats against {prior:.4f} for predicting every row "
    "by its class share, so its predictions are close to chance. {hint}"
)
S_MISSING_FOR_INVARIANCE = (
    "{estimator} was fitted without s, so it trained no invariance term ({strength}={value} "
    "had no effect): this is the plain network. Pass s to fit: fit(X, y, s=s); in a Pipeline "
    "fit(X, y, <step>__s=s), or with metadata routing <step>.set_fit_request(s=True). Set "
    "{strength}=0 to train the plain network on purpose without this warning."
)
#: TaskCollapseWarning: after at least this many optimizer steps, a task loss within this
#: share of the labels' entropy.
_COLLAPSE_STEPS, _COLLAPSE_MARGIN = 200, 0.03
#: ... and during fit, at the end of the first epoch after the method's warm-up that has at
#: least this many steps behind it (a predictor still at chance there rarely recovers).
_EARLY_COLLAPSE_STEPS = 100
#: ... unless the task loss is still falling below the labels' entropy: by more than this
#: share of it over the last this many epochs (a small table learns slowly at first; the
#: check then waits for a later epoch).
_PROGRESS_SHARE, _PROGRESS_EPOCHS = 0.005, 3
#: Training rows the collapse check predicts (evenly spaced over the table).
_PROBE_ROWS = 2048
#: Another name of the strength parameter, the one the user typed (see strength_alias).
_STRENGTH_ALIAS = contextvars.ContextVar("fairrep_strength_alias", default=None)


@contextlib.contextmanager
def strength_alias(alias):
    """Within this block, the TaskCollapseWarning of a fit names its estimator's strength
    parameter also as ``alias``: what a wrapper's user set (``InvariantClassifier``'s
    ``invariance``), given by the wrapper around the fit of the estimator it builds."""
    token = _STRENGTH_ALIAS.set(alias)
    try:
        yield
    finally:
        _STRENGTH_ALIAS.reset(token)


def warn_at_caller(message, category):
    """``warnings.warn`` attributed to the first frame outside fairrep, skorch, sklearn and
    torch (the user's call of fit), however deep in training it is raised."""
    skip = tuple(os.path.dirname(module.__file__) for module in
                 (sys.modules["fairrep"], sys.modules["skorch"], sys.modules["sklearn"],
                  sys.modules["torch"]))
    frame = sys._getframe(1)
    while frame.f_back is not None and frame.f_code.co_filename.startswith(skip):
        frame = frame.f_back
    registry = frame.f_globals.setdefault("__warningregistry__", {})
    warnings.warn_explicit(message, category, frame.f_code.co_filename, frame.f_lineno,
                           module=frame.f_globals.get("__name__"), registry=registry)


def warn_if_s_missing(estimator, s):
    """SensitiveMissingWarning: an invariance method at a non-zero strength, fitted
    without ``s`` (a Pipeline whose ``<step>__s=`` was forgotten)."""
    strength = estimator._strength_param
    if s is not None or not estimator._invariance_needs_s or not getattr(estimator, strength):
        return
    warn_at_caller(S_MISSING_FOR_INVARIANCE.format(
        estimator=type(estimator).__name__, strength=strength,
        value=getattr(estimator, strength)), SensitiveMissingWarning)


def warn_if_task_collapsed(estimator, prior_entropy, with_s, history=None, min_steps=None,
                           max_epochs=None, probe=None, module=None):
    """TaskCollapseWarning when the predictor's loss stayed at the labels' entropy.

    After fit (``history`` None: the fitted net's), once at least ``_COLLAPSE_STEPS``
    steps were taken; during fit (:class:`CollapseWatch`, which passes the fit's
    ``history``, ``max_epochs`` and the training ``module``), from ``min_steps`` steps
    on. The training loss (of sampled codes, noise, dropout: higher than what
    ``predict`` does) is only the first sign: with a ``probe`` (training rows and their
    label codes) the warning needs the deterministic predictions' cross-entropy there to
    be at the labels' entropy too. Returns whether it warned.
    """
    history = estimator.net_.history if history is None else history
    min_steps = _COLLAPSE_STEPS if min_steps is None else min_steps
    if (prior_entropy is None or prior_entropy < 1e-3 or not is_classifier(estimator)
            or "train_task" not in history[-1]
            or sum(history[:, "train_batch_count"]) < min_steps):
        return False
    task = float(history[-1, "train_task"])
    if task < (1 - _COLLAPSE_MARGIN) * prior_entropy:
        return False
    if probe is not None:
        try:
            task = predicted_task_loss(estimator.net_.module_ if module is None else module,
                                       *probe)
        except NotImplementedError:  # a module that predicts otherwise: the loss says it
            pass
        if task < (1 - _COLLAPSE_MARGIN) * prior_entropy:
            return False
    strength = estimator._strength_param
    alias = _STRENGTH_ALIAS.get()
    named = strength if alias is None else f"{strength} ({alias})"
    hint = ("Train more epochs or raise lr." if strength is None or not with_s else
            f"An invariance term that outweighs the task does this: try a smaller "
            f"{named} (now {getattr(estimator, strength)}, e.g. "
            f"{float(getattr(estimator, strength)) / 10:g}), more epochs or a higher lr.")
    when = (f"in the last of {len(history)} epochs" if max_epochs is None else
            f"in epoch {len(history)} of {max_epochs} (training goes on)")
    warn_at_caller(TASK_COLLAPSED.format(estimator=type(estimator).__name__, when=when,
                                         task=task, prior=prior_entropy, hint=hint),
                   TaskCollapseWarning)
    return True


class CollapseWatch(Callback):
    """Warn during fit, once, when the task loss is still at the labels' entropy after the
    method's warm-up (``warmup_epochs``, 0 where there is none) and ``_EARLY_COLLAPSE_STEPS``
    steps, so that a long fit that learns nothing says so early. Never on the first epoch:
    its mean loss includes the untrained start (a table of 100+ batches an epoch would
    otherwise warn on a model that learns fine in epoch 2). Nor while the loss is still
    falling below the entropy (:func:`still_learning`): the look then moves to a later
    epoch."""

    def __init__(self, estimator, prior_entropy, with_s, probe=None):
        self.estimator, self.prior_entropy, self.with_s = estimator, prior_entropy, with_s
        self.probe = probe
        self.warned, self.checked = False, False

    def on_epoch_end(self, net, **kwargs):
        warmup = getattr(self.estimator, "warmup_epochs", 0) or 0
        if self.checked or len(net.history) <= max(warmup, 1):
            return
        if sum(net.history[:, "train_batch_count"]) < _EARLY_COLLAPSE_STEPS:
            return
        if still_learning(net.history, self.prior_entropy):
            return
        self.checked = True  # one look: the end-of-fit check covers the rest
        self.warned = warn_if_task_collapsed(
            self.estimator, self.prior_entropy, self.with_s, history=net.history,
            min_steps=_EARLY_COLLAPSE_STEPS, max_epochs=net.max_epochs, probe=self.probe,
            module=net.module_)

    def on_train_end(self, net, **kwargs):
        # the fitted net keeps this callback: drop the estimator and the probe rows (no
        # reference cycle or data to pickle or copy); stay quiet in later partial_fit calls
        self.estimator, self.probe, self.checked = None, None, True


def still_learning(history, prior_entropy):
    """Whether the training task loss fell, over the last ``_PROGRESS_EPOCHS`` epochs, by more
    than ``_PROGRESS_SHARE`` of the labels' entropy below that entropy (a loss that only
    comes down from an untrained start to the entropy has learned the class shares, not
    more)."""
    if prior_entropy is None or len(history) <= _PROGRESS_EPOCHS:
        return False
    try:
        before = float(history[-1 - _PROGRESS_EPOCHS, "train_task"])
        now = float(history[-1, "train_task"])
    except KeyError:
        return False
    return min(before, prior_entropy) - now > _PROGRESS_SHARE * prior_entropy


def collapse_probe(X, y_codes):
    """``(X rows, label codes)`` of up to ``_PROBE_ROWS`` training rows for the collapse
    check's deterministic predictions; None for streamed input or without y."""
    if y_codes is None or not isinstance(X, np.ndarray) or isinstance(X, np.memmap):
        return None
    codes = np.asarray(y_codes)
    rows = np.unique(np.linspace(0, X.shape[0] - 1, min(_PROBE_ROWS, X.shape[0])).astype(int))
    return X[rows], codes.reshape(codes.shape[0], -1)[rows]


def label_entropy(y_codes):
    """Entropy (nats) of the label shares, summed over tasks; None for labels read lazily."""
    if not isinstance(y_codes, np.ndarray):
        return None
    return float(sum(entropy(np.bincount(column))
                     for column in y_codes.reshape(len(y_codes), -1).T))
