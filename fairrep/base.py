"""The scikit-learn-facing base every fairrep estimator shares.

A fairrep estimator is a plain scikit-learn estimator (``__init__`` only stores its arguments)
that *owns* the skorch net it builds in ``fit`` (``net_``). Subclasses (one per method, in
:mod:`fairrep.methods`) only say which :class:`fairrep.nn.InvariantModule` to build and with
which arguments; validation, seeding, the device, training and inference live here.
"""

from __future__ import annotations

import copy
import warnings

import numpy as np
import torch
from scipy.stats import entropy
from skorch.callbacks import Callback
from sklearn.base import BaseEstimator, is_classifier
from sklearn.model_selection import ShuffleSplit, StratifiedShuffleSplit
from sklearn.utils import _safe_indexing
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _num_samples, check_array, check_is_fitted, validate_data

from . import _bound
from . import _validation as V
from ._streaming import (DATASET_Y_LENGTH, DATASET_Y_MISSING, STREAM_FEATURES,
                         STREAM_UNSUPPORTED, LazyColumns, RowSource, StreamBatches,
                         code_encoder, describe, is_lazy_column_source, is_stream, scan_groups)
from ._training import EpochProgressBar, InvariantNet, TensorBatches, to_tensor
from .exceptions import (ConstraintNotMetWarning, SensitiveMissingWarning,
                         TaskCollapseWarning)

Y_SINGLE_CLASS = (
    "y has a single class ({value!r}); {estimator} needs at least two classes in every "
    "target column."
)
X_FLOAT32_RANGE = (
    "X has values beyond the float32 range (|x| > 3.4e38) and fairrep trains in float32; "
    "rescale X (e.g. with StandardScaler)."
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
CLASSES_TASKS = (
    "classes has {n_given} entries but y has {n_tasks} columns; give one array of labels per "
    "column of y (a single array for a 1-D y)."
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


#: Parameters every estimator validates the same way: name -> checker.
_COMMON_CHECKS = {
    "max_epochs": V.check_positive_int,
    "batch_size": V.check_batch_size,
    "lr": V.check_positive,
    "weight_decay": V.check_non_negative,
    "n_components": V.check_positive_int,
}


class BaseInvariantEstimator(BaseEstimator):
    """Template for fairrep estimators (not public).

    Subclasses define ``__init__`` (storing parameters), ``_module_class`` and
    ``_module_params(n_features, n_classes, s_encoding, n_samples)``, and may set:

    - ``_requires_s``: ``fit`` raises a ``ValueError`` when ``s`` is None;
    - ``_requires_y``: ``fit`` raises a ``ValueError`` when ``y`` is None;
    - ``_continuous_s``: ``s`` may be continuous (see the ``_encode_s`` / ``_s_tensor`` /
      ``_s_classes`` hooks).
    """

    _requires_s = False
    _requires_y = True
    #: The method's strength parameter (what ``InvariantClassifier(invariance=...)`` sets and
    #: the TaskCollapseWarning names); None for an estimator with none.
    _strength_param = None
    #: Whether the invariance term needs ``s`` (fitting without it, at a non-zero strength,
    #: trains the plain network: SensitiveMissingWarning).
    _invariance_needs_s = False
    _continuous_s = False
    #: Whether ``partial_fit`` is offered (False where the model depends on all the data
    #: at once, e.g. a prior estimated from every row).
    _supports_partial_fit = True
    #: Whether a memory-mapped ``y`` / ``s`` beside a streamed ``X`` is encoded a batch at a
    #: time (False where the method needs every code at once, e.g. to count its groups).
    _lazy_labels = True

    # -- fit -----------------------------------------------------------------------------
    @V.takes_s_keyword
    def fit(self, X, y=None, s=None):
        """Fit the representation (and predictor) on ``X`` with sensitive attribute ``s``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Numeric input (numpy array or pandas DataFrame).
        y : array-like of shape (n_samples,) or (n_samples, n_tasks)
            Target labels (any label type).
        s : array-like of shape (n_samples,) or (n_samples, n_attributes), default=None
            Sensitive or nuisance attribute(s), one value per row of ``X``. ``None`` trains
            without the invariance term (the plain network of the method).

        Returns
        -------
        self : object
            The fitted estimator. If ``fit`` raises, the estimator is left exactly as it was
            before the call (no half-fitted state).
        """
        return self._rolled_back_on_error(self._fit, X, y, s)

    def _rolled_back_on_error(self, step, *args, copy_net=False):
        """Run ``step(*args)``; if it raises, restore the estimator as it was before.

        ``copy_net``: the step trains the fitted net in place (partial_fit), so keep a copy.
        """
        state = dict(self.__dict__)
        if copy_net and "net_" in state:
            state["net_"] = copy.deepcopy(self.net_)
        try:
            step(*args)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(state)
            raise
        return self

    def _fit(self, X, y, s):
        X, y = self._validate_X_y(X, y, s, reset=True)
        y_codes, classes = (None, None) if y is None else self._encode_targets(y)
        X, y_codes, s, bound = self._fairness_bound(X, y_codes, s)
        s_enc = self._encode_s(s, _n_rows(X))
        net = self._build_net(X, classes, s_enc)
        data = self._batches(X, y_codes, s_enc, net.device)
        # the batches hold their own copies of the codes: keep only what s was (its groups)
        s_enc = V.reference_of(s_enc)
        prior_entropy = _label_entropy(y_codes)
        probe = _collapse_probe(X, y_codes)
        del y_codes
        watch = _CollapseWatch(self, prior_entropy, with_s=s is not None, probe=probe)
        callbacks = [*net.callbacks, ("collapse_watch", watch)]
        if bound is not None:
            callbacks.append(("fairness_bound", bound))
        net.set_params(callbacks=callbacks)
        net.fit(data)
        self._commit(net, classes, y, s_enc)
        if hasattr(self, "constraint"):
            self.bound_epoch_ = None if bound is None else bound.kept_epoch_
        not_met = None if bound is None else bound.not_met_message(net.max_epochs)
        if not_met:
            _warn_at_caller(not_met, ConstraintNotMetWarning)
        self._warn_if_s_missing(s)
        if not watch.warned:
            self._warn_if_task_collapsed(prior_entropy, with_s=s is not None, probe=probe)

    def _fairness_bound(self, X, y_codes, s):
        """``(X, y_codes, s, callback)``: with ``constraint`` set, the training rows without
        the held-out ones and the :class:`fairrep._bound.FairnessBound` that measures the
        constraint on those; otherwise the rows as they are and None."""
        constraint = getattr(self, "constraint", None)
        if constraint is None:
            return X, y_codes, s, None
        metric = _bound.prediction_constraint(constraint)
        bound = _bound.check_bound(self.bound)
        strength = self._strength_param
        start = getattr(self, strength)
        if (isinstance(start, bool) or not isinstance(start, (int, float, np.number))
                or not start > 0):
            raise ValueError(_bound.BOUND_NEEDS_STRENGTH.format(
                constraint=constraint, strength=strength, value=start))
        name = getattr(constraint, "__name__", constraint)
        n = _n_rows(X)
        if s is None or np.ndim(s) != 1 and np.shape(s)[1:] != (1,):
            raise ValueError(_bound.BOUND_NEEDS_S.format(constraint=name))
        if _num_samples(s) != n or y_codes is None or not isinstance(X, np.ndarray):
            return X, y_codes, s, None  # _encode_s / the stream path say what is wrong
        codes = np.asarray(y_codes).reshape(n, -1)
        n_valid = max(2, int(round(_bound.BOUND_VALIDATION_FRACTION * n)))
        seed = V.seed_from(self.random_state)
        try:  # stratified on the first task; a class too rare for that: a plain split
            train, valid = next(StratifiedShuffleSplit(1, test_size=n_valid, random_state=seed)
                                .split(X, codes[:, 0]))
        except ValueError:
            train, valid = next(ShuffleSplit(1, test_size=n_valid, random_state=seed).split(X))
        train.sort()
        s_valid = np.asarray(_safe_indexing(s, valid)).reshape(len(valid))
        callback = _bound.FairnessBound(
            self, X[valid], codes[valid], s_valid, metric, bound, attr=strength,
            start=getattr(self, "warmup_epochs", 0) or 0, name=name)
        return X[train], np.asarray(y_codes)[train], _safe_indexing(s, train), callback

    def _warn_if_s_missing(self, s):
        """SensitiveMissingWarning: an invariance method at a non-zero strength, fitted
        without ``s`` (a Pipeline whose ``<step>__s=`` was forgotten)."""
        strength = self._strength_param
        if s is not None or not self._invariance_needs_s or not getattr(self, strength):
            return
        _warn_at_caller(S_MISSING_FOR_INVARIANCE.format(
            estimator=type(self).__name__, strength=strength, value=getattr(self, strength)),
            SensitiveMissingWarning)

    def _warn_if_task_collapsed(self, prior_entropy, with_s, history=None, min_steps=None,
                                max_epochs=None, probe=None, module=None):
        """TaskCollapseWarning when the predictor's loss stayed at the labels' entropy.

        After fit (``history`` None: the fitted net's), once at least ``_COLLAPSE_STEPS``
        steps were taken; during fit (:class:`_CollapseWatch`, which passes the fit's
        ``history``, ``max_epochs`` and the training ``module``), from ``min_steps`` steps
        on. The training loss (of sampled codes, noise, dropout: higher than what
        ``predict`` does) is only the first sign: with a ``probe`` (training rows and their
        label codes) the warning needs the deterministic predictions' cross-entropy there to
        be at the labels' entropy too. Returns whether it warned.
        """
        history = self.net_.history if history is None else history
        min_steps = _COLLAPSE_STEPS if min_steps is None else min_steps
        if (prior_entropy is None or prior_entropy < 1e-3 or not is_classifier(self)
                or "train_task" not in history[-1]
                or sum(history[:, "train_batch_count"]) < min_steps):
            return False
        task = float(history[-1, "train_task"])
        if task < (1 - _COLLAPSE_MARGIN) * prior_entropy:
            return False
        if probe is not None:
            try:
                task = _probe_loss(self.net_.module_ if module is None else module, *probe)
            except NotImplementedError:  # a module that predicts otherwise: the loss says it
                pass
            if task < (1 - _COLLAPSE_MARGIN) * prior_entropy:
                return False
        strength = self._strength_param
        alias = getattr(self, "_strength_alias", None)  # set by the unified estimators
        named = strength if alias is None else f"{strength} ({alias})"
        hint = ("Train more epochs or raise lr." if strength is None or not with_s else
                f"An invariance term that outweighs the task does this: try a smaller "
                f"{named} (now {getattr(self, strength)}, e.g. "
                f"{float(getattr(self, strength)) / 10:g}), more epochs or a higher lr.")
        when = (f"in the last of {len(history)} epochs" if max_epochs is None else
                f"in epoch {len(history)} of {max_epochs} (training goes on)")
        _warn_at_caller(TASK_COLLAPSED.format(estimator=type(self).__name__, when=when,
                                              task=task, prior=prior_entropy, hint=hint),
                        TaskCollapseWarning)
        return True

    def _validate_X_y(self, X, y, s, reset):
        """Validated ``X`` (an array, or a RowSource for streaming input) and ``y``."""
        name = type(self).__name__
        if is_stream(X):
            source = RowSource(X, check_rows=self._batch_rows(None))
            if y is None and not isinstance(X, np.memmap) and source.has_labels:
                y = source.labels()
            if y is None and self._y_required(s):
                message = Y_REQUIRED if isinstance(X, np.memmap) else DATASET_Y_MISSING
                raise ValueError(message.format(estimator=name))
            source.check_finite()
            self._check_stream_features(source, reset)
            if y is not None:
                if not (self._lazy_labels and is_lazy_column_source(y)):
                    # a memory-mapped y stays one: _encode_targets reads it in chunks
                    y = check_array(y, ensure_2d=False, dtype=None, input_name="y")
                if y.shape[0] != source.n_samples:
                    raise ValueError(DATASET_Y_LENGTH.format(n_y=y.shape[0],
                                                             n_x=source.n_samples))
            return source, y
        if y is None and self._y_required(s):
            raise ValueError(Y_REQUIRED.format(estimator=name))
        if y is None:
            X = validate_data(self, X, dtype=[np.float64, np.float32], ensure_min_samples=2,
                              reset=reset)
        else:
            X, y = validate_data(self, X, y, dtype=[np.float64, np.float32],
                                 ensure_min_samples=2, multi_output=True,
                                 y_numeric=False, reset=reset)
        if X.size and np.abs(X).max() > np.finfo(np.float32).max:
            raise ValueError(X_FLOAT32_RANGE)
        return X, y

    def _check_stream_features(self, source, reset):
        if reset:
            self.n_features_in_ = source.n_features
            self.__dict__.pop("feature_names_in_", None)
        elif source.n_features != self.n_features_in_:
            raise ValueError(STREAM_FEATURES.format(n_features=source.n_features,
                                                    estimator=type(self).__name__,
                                                    n_fit=self.n_features_in_))

    def _build_net(self, X, classes, s_enc):
        """The unfitted skorch net for data of this shape, classes and ``s`` encoding."""
        for param, check in _COMMON_CHECKS.items():
            if hasattr(self, param):
                check(getattr(self, param), param)
        device = V.check_device(self.device)
        n_samples, n_features = _n_rows(X), _n_columns(X)
        n_classes = None if classes is None else [len(c) for c in classes]
        module_params = self._module_params(n_features, n_classes, s_enc, n_samples)
        callbacks = self._callbacks()
        if self.verbose:
            callbacks.append(("progress", EpochProgressBar(desc=type(self).__name__)))
        return InvariantNet(
            module=self._module_class,
            **{f"module__{k}": v for k, v in module_params.items()},
            adversary_steps=self._adversary_steps() if s_enc is not None else 0,
            optimizer=torch.optim.Adam,
            lr=self.lr,
            optimizer__weight_decay=self.weight_decay,
            batch_size=self._batch_rows(n_samples),
            max_epochs=self.max_epochs,
            device=device,
            callbacks=callbacks,
            verbose=int(self.verbose >= 2),
            seed=V.seed_from(self.random_state),
            mixed_precision=self._check_mixed_precision(),
        )

    def _batch_rows(self, n_samples):
        """Rows per training batch: ``batch_size``, or the ``'auto'`` rule for ``n_samples``
        rows (None: the largest batch the rule gives)."""
        batch_size = V.check_batch_size(self.batch_size)
        return batch_size if batch_size != "auto" else auto_batch_rows(n_samples)

    def _check_mixed_precision(self):
        return V.check_bool(getattr(self, "mixed_precision", False), "mixed_precision")

    def _batches(self, X, y_codes, s_enc, device):
        """Training batches: tensors on the device, or rows streamed from a RowSource."""
        if isinstance(X, RowSource):
            held = getattr(s_enc, "codes", getattr(s_enc, "values", None))
            if isinstance(held, LazyColumns):  # a memory-mapped s, encoded batch by batch
                s_rows = held
            else:
                s_rows = None if s_enc is None else self._s_tensor(s_enc, "cpu")
            return StreamBatches(X, y_codes, s_rows, device)
        return TensorBatches(
            to_tensor(X, torch.float32, device),
            to_tensor(y_codes, torch.long, device),
            None if s_enc is None else self._s_tensor(s_enc, device),
        )

    def _commit(self, net, classes, y, s_enc):
        """Set the fitted attributes, now that training succeeded."""
        if torch.device(net.device).type == "cpu":
            # Inference in float64 on CPU: float32 kernels give results that depend (in the
            # last bit) on a row's position in the batch; float64 makes predictions invariant
            # to sample order and subsets. The float32 weights convert exactly.
            net.module_.double()
        self.net_ = net
        self._set_target_attributes(classes, y)
        self.s_classes_ = self._s_classes(s_enc)
        self.n_epochs_ = len(net.history)
        self._s_reference_ = V.reference_of(s_enc)

    # -- partial_fit -----------------------------------------------------------------------
    def _partial_fit_supported(self):
        return self._supports_partial_fit

    @available_if(_partial_fit_supported)
    @V.takes_s_keyword
    def partial_fit(self, X, y=None, s=None, classes=None, s_classes=None):
        """One epoch over ``X``, ``y``, ``s``, continuing from the current fit (if any).

        For data that arrives in chunks or is too large for one ``fit``: call it once per
        chunk (each call is one pass over that chunk, in mini-batches of ``batch_size``).
        The first call (on an unfitted estimator) builds the network; later calls keep its
        weights, optimizer state and ``history_``. After ``fit``, ``partial_fit`` continues
        training (warm start).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), memory-mapped array or Dataset
        y : array-like of shape (n_samples,) or (n_samples, n_tasks), default=None
        s : array-like of shape (n_samples,) or (n_samples, n_attributes), default=None
            Pass ``s`` on every call or on none (the network is built with or without its
            invariance term on the first call).
        classes : array-like, or list of array-like for several tasks, default=None
            Every label of ``y``, needed on the first call when its chunk does not hold
            every class (as for scikit-learn's ``partial_fit``). Ignored on later calls.
        s_classes : array-like, or list of array-like for several columns, default=None
            Every group of a categorical ``s``, needed on the first call when its chunk does
            not hold every group. Ignored on later calls.

        Returns
        -------
        self : object
            If the call raises, the estimator is left as it was before the call.
        """
        return self._rolled_back_on_error(self._partial_fit, X, y, s, classes, s_classes,
                                          copy_net=True)

    def _partial_fit(self, X, y, s, classes, s_classes):
        first = not hasattr(self, "net_")
        X, y = self._validate_X_y(X, y, s, reset=first)
        n_samples = _n_rows(X)
        if first:
            if y is None:
                y_codes, classes = None, None
            elif classes is None:
                y_codes, classes = self._encode_targets(y)
            else:
                classes = self._given_classes(classes, y)
                y_codes = self._encode_targets_as(y, classes)
            if s_classes is None:
                s_enc = self._encode_s(s, n_samples)
            else:
                s_enc = self._encode_s_given(s, n_samples, s_classes)
            net = self._build_net(X, classes, s_enc)
        else:
            net = self.net_
            classes = (None if not hasattr(self, "classes_") else
                       [self.classes_] if self.n_tasks_ == 1 else list(self.classes_))
            if y is not None and classes is None:
                raise ValueError(Y_UNEXPECTED.format(estimator=type(self).__name__))
            y_codes = None if y is None else self._encode_targets_as(y, classes)
            reference = self._s_reference_
            if isinstance(reference, (V.SensitiveEncoding, V.NumericSensitive)) or (
                    reference is None):
                s_enc = V.encode_sensitive_as(s, n_samples, reference,
                                              estimator=type(self).__name__)
            else:  # a method's own encoding (e.g. s unused): let the method redo it
                s_enc = self._encode_s(s, n_samples)
            classes = None  # the target attributes stay as the first call set them
            net.module_.float()  # trains in float32 (see _commit)
        data = self._batches(X, y_codes, s_enc, net.device)
        s_enc = V.reference_of(s_enc)
        del y_codes
        net.partial_fit(data, epochs=1)
        self._commit(net, classes, y, s_enc)

    def _encode_s_given(self, s, n_samples, s_classes):
        """Encode ``s`` with the groups given as ``s_classes`` (first partial_fit call)."""
        name = type(self).__name__
        if self._continuous_s:
            return V.encode_sensitive_numeric(s, n_samples, estimator=name, required=True,
                                              classes=s_classes)
        return V.encode_sensitive_given(s, n_samples, s_classes, estimator=name)

    def _given_classes(self, classes, y):
        """``classes`` of a first partial_fit call as one sorted array per task."""
        n_tasks = 1 if y.ndim == 1 else y.shape[1]
        given = [classes] if n_tasks == 1 else list(classes)
        if len(given) != n_tasks:
            raise ValueError(CLASSES_TASKS.format(n_given=len(given), n_tasks=n_tasks))
        out = []
        for labels in given:
            labels = np.unique(np.asarray(labels))
            if len(labels) < 2:
                raise ValueError(Y_SINGLE_CLASS.format(value=labels[0],
                                                       estimator=type(self).__name__))
            out.append(labels)
        return out

    def _encode_targets_as(self, y, classes):
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

    def _adversary_steps(self):
        return 0

    def _generator(self, random_state):
        """A ``torch.Generator`` on the fitted net's device, seeded from ``random_state``
        (for the draws of sampling methods after fit)."""
        generator = torch.Generator(device=torch.device(self.net_.device))
        generator.manual_seed(V.seed_from(random_state))
        return generator

    def _y_required(self, s):
        """Whether this fit needs ``y`` (a method may make it optional once ``s`` is given)."""
        return self._requires_y

    def _callbacks(self):
        """Method-specific skorch callbacks, as a list of ``(name, callback)``."""
        return []

    # -- hooks for how s is encoded (a method with continuous s overrides all three) --------
    def _encode_s(self, s, n_samples):
        """Validate ``s`` and encode it; the default treats every column as categorical."""
        return V.encode_sensitive(s, n_samples, estimator=type(self).__name__,
                                  required=self._requires_s,
                                  allow_continuous=self._continuous_s,
                                  lazy=self._lazy_labels)

    def _s_tensor(self, s_enc, device):
        """The training tensor of ``s``: integer codes of shape (n, n_columns)."""
        return to_tensor(s_enc.codes, torch.long, device)

    def _s_classes(self, s_enc):
        """What ``s_classes_`` stores: the groups of a 1-D ``s``, a list for 2-D ``s``."""
        if s_enc is None:
            return None
        return s_enc.classes[0] if s_enc.was_1d else s_enc.classes

    def _encode_targets(self, y):
        """Encode each target column; return codes (n, T) and the classes of each column.

        A memory-mapped ``y`` (streamed fits) is scanned for its classes a chunk at a time and
        its codes are computed a batch at a time (:class:`~fairrep._streaming.LazyColumns`).
        """
        if is_lazy_column_source(y):
            return self._encode_targets_lazily(y)
        check_classification_targets(y)
        y2 = y.reshape(-1, 1) if y.ndim == 1 else y
        codes, classes = [], []
        for j in range(y2.shape[1]):
            labels, column_codes = V.distinct(y2[:, j])  # LabelEncoder's classes and codes
            self._check_several_classes(labels)
            codes.append(column_codes)
            classes.append(labels)
        stacked = codes[0].reshape(-1, 1) if len(codes) == 1 else np.stack(codes, axis=1)
        return stacked, classes

    def _encode_targets_lazily(self, y):
        raw = y.reshape(-1, 1) if y.ndim == 1 else y  # 1-D or 2-D: is_lazy_column_source
        classes = []
        for j in range(raw.shape[1]):
            labels, has_nan = scan_groups(raw[:, j])
            if has_nan:
                raise ValueError(Y_NAN)
            check_classification_targets(labels)  # continuous y: sklearn's error
            self._check_several_classes(labels)
            classes.append(labels)
        return LazyColumns(raw, [code_encoder(c) for c in classes], np.int64), classes

    def _check_several_classes(self, labels):
        if len(labels) < 2:
            raise ValueError(Y_SINGLE_CLASS.format(value=labels[0],
                                                   estimator=type(self).__name__))

    def _set_target_attributes(self, classes, y):
        """Store the target classes; a single task keeps sklearn's 1-D ``classes_``."""
        if classes is None:
            return
        self.n_tasks_ = len(classes)
        self._y_was_2d = y.ndim == 2
        self.classes_ = classes[0] if len(classes) == 1 else classes

    # -- inference -----------------------------------------------------------------------
    @property
    def history_(self):
        """skorch ``History`` of the fit: one row per epoch with every loss term."""
        check_is_fitted(self, "net_")
        return self.net_.history

    def _check_X(self, X, method=None):
        """Validated ``X`` for inference (in memory; see :meth:`_check_X_stream`)."""
        check_is_fitted(self)
        if is_stream(X) and not isinstance(X, np.memmap):
            raise ValueError(STREAM_UNSUPPORTED.format(
                method=method or "this method", kind=describe(X)))
        return validate_data(self, X, dtype=[np.float64, np.float32], reset=False)

    def _check_X_stream(self, X):
        """Validated ``X`` for batch-wise inference: a RowSource for streaming input."""
        if not is_stream(X):
            return self._check_X(X)
        check_is_fitted(self)
        source = RowSource(X, check_rows=max(self._batch_rows(None), 1024))
        source.check_finite()
        self._check_stream_features(source, reset=False)
        return source

    def _apply(self, X, fn):
        X = self._check_X_stream(X)
        out = self.net_.apply_batches(X, fn)
        if isinstance(out, list):
            return out
        return out.astype(X.dtype, copy=False)

    def transform(self, X):
        """The invariant representation of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        Z : ndarray of shape (n_samples, n_features_out)
            Same floating dtype as ``X`` (float64 for integer input).
        """
        return self._apply(X, lambda module, Xb: module(Xb))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = self._requires_y
        tags.target_tags.multi_output = True
        tags.non_deterministic = False
        if tags.transformer_tags is not None:
            tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


class _CollapseWatch(Callback):
    """Warn during fit, once, when the task loss is still at the labels' entropy after the
    method's warm-up (``warmup_epochs``, 0 where there is none) and ``_EARLY_COLLAPSE_STEPS``
    steps, so that a long fit that learns nothing says so early. Never on the first epoch:
    its mean loss includes the untrained start (a table of 100+ batches an epoch would
    otherwise warn on a model that learns fine in epoch 2)."""

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
        self.checked = True  # one look: the end-of-fit check covers the rest
        self.warned = self.estimator._warn_if_task_collapsed(
            self.prior_entropy, self.with_s, history=net.history,
            min_steps=_EARLY_COLLAPSE_STEPS, max_epochs=net.max_epochs, probe=self.probe,
            module=net.module_)

    def on_train_end(self, net, **kwargs):
        # the fitted net keeps this callback: drop the estimator and the probe rows (no
        # reference cycle or data to pickle or copy); stay quiet in later partial_fit calls
        self.estimator, self.probe, self.checked = None, None, True


def _warn_at_caller(message, category):
    """``warnings.warn`` attributed to the first frame outside fairrep, skorch, sklearn and
    torch (the user's call of fit), however deep in training it is raised."""
    import os
    import sys

    skip = tuple(os.path.dirname(module.__file__) for module in
                 (sys.modules["fairrep"], sys.modules["skorch"], sys.modules["sklearn"],
                  sys.modules["torch"]))
    frame = sys._getframe(1)
    while frame.f_back is not None and frame.f_code.co_filename.startswith(skip):
        frame = frame.f_back
    registry = frame.f_globals.setdefault("__warningregistry__", {})
    warnings.warn_explicit(message, category, frame.f_code.co_filename, frame.f_lineno,
                           module=frame.f_globals.get("__name__"), registry=registry)


#: Training rows the collapse check predicts (evenly spaced over the table).
_PROBE_ROWS = 2048


def _collapse_probe(X, y_codes):
    """``(X rows, label codes)`` of up to ``_PROBE_ROWS`` training rows for the collapse
    check's deterministic predictions; None for streamed input or without y."""
    if y_codes is None or not isinstance(X, np.ndarray) or isinstance(X, np.memmap):
        return None
    codes = np.asarray(y_codes)
    rows = np.unique(np.linspace(0, X.shape[0] - 1, min(_PROBE_ROWS, X.shape[0])).astype(int))
    return X[rows], codes.reshape(codes.shape[0], -1)[rows]


def _probe_loss(module, X, codes):
    """Summed over tasks, the cross-entropy of ``module``'s predictions (eval mode, as
    ``predict``) on the probe rows."""
    parameter = next(module.parameters())
    was_training = module.training
    module.eval()
    try:
        with torch.no_grad():
            inputs = torch.as_tensor(X, dtype=parameter.dtype, device=parameter.device)
            targets = torch.as_tensor(codes, dtype=torch.long, device=parameter.device)
            logits = module.predict_logits(inputs)
            return float(sum(torch.nn.functional.cross_entropy(l, targets[:, j])
                             for j, l in enumerate(logits)))
    finally:
        module.train(was_training)


def _label_entropy(y_codes):
    """Entropy (nats) of the label shares, summed over tasks; None for labels read lazily."""
    if not isinstance(y_codes, np.ndarray):
        return None
    return float(sum(entropy(np.bincount(column))
                     for column in y_codes.reshape(len(y_codes), -1).T))


def _n_rows(X):
    return X.n_samples if isinstance(X, RowSource) else X.shape[0]


def _n_columns(X):
    return X.n_features if isinstance(X, RowSource) else X.shape[1]


class NumericSensitiveMixin:
    """``s`` as real-valued columns T: categorical columns one-hot, continuous ones standardised.

    For methods that measure the dependence between the representation and ``s`` directly
    (sliced mutual information, HSIC); put it before :class:`BaseInvariantEstimator` in the
    bases. ``s_classes_`` keeps the groups of categorical columns (None for continuous ones).
    """

    _continuous_s = True

    def _encode_s(self, s, n_samples):
        return V.encode_sensitive_numeric(s, n_samples, estimator=type(self).__name__,
                                          required=self._requires_s, lazy=self._lazy_labels)

    def _s_tensor(self, s_enc, device):
        return to_tensor(s_enc.values, torch.float32, device)


class InvariantClassifierMixin:
    """Prediction methods of fairrep classifiers (softmax over each task's logits)."""

    def _proba(self, X):
        logits = self._apply(X, lambda module, Xb: [torch.softmax(t, dim=1)
                                                    for t in module.predict_logits(Xb)])
        return logits

    def predict_proba(self, X):
        """Class probabilities.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes), or a list of such arrays (one per
            task) when ``y`` had several columns.
        """
        proba = [p.astype(np.float64) for p in self._proba(X)]
        return proba[0] if self.n_tasks_ == 1 else proba

    def predict(self, X):
        """Predicted labels, of the same type as the ``y`` given to ``fit``.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,), or (n_samples, n_tasks) for several tasks.
        """
        proba = self._proba(X)
        if self.n_tasks_ == 1:
            pred = self.classes_[np.argmax(proba[0], axis=1)]
            return pred.reshape(-1, 1) if self._y_was_2d else pred
        return np.stack([c[np.argmax(p, axis=1)] for c, p in zip(self.classes_, proba)], axis=1)

    def score(self, X, y, sample_weight=None):
        """Mean accuracy; with several tasks, the share of rows with every task right."""
        from sklearn.metrics import accuracy_score

        y_pred = self.predict(X)
        y = np.asarray(y)
        if self.n_tasks_ == 1:
            return accuracy_score(y.reshape(-1), y_pred.reshape(-1), sample_weight=sample_weight)
        correct = np.all(y == y_pred, axis=1)
        return float(np.average(correct, weights=sample_weight))
