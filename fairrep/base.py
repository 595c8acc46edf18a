"""The scikit-learn-facing base every fairrep estimator shares.

A fairrep estimator is a plain scikit-learn estimator (``__init__`` only stores its arguments)
that *owns* the skorch net it builds in ``fit`` (``net_``). Subclasses (one per method, in
:mod:`fairrep.methods`) only say which :class:`fairrep.nn.InvariantModule` to build and with
which arguments. Here is the template of ``fit``, ``partial_fit`` and inference: seeding, the
device, building and training the net, committing the fitted attributes (or nothing, when a
call raises). Its neighbours check the parameters (:mod:`fairrep._params`) and X and y
(:mod:`fairrep._inputs`), encode the targets (:mod:`fairrep._targets`) and ``s``
(:mod:`fairrep._sensitive`), hold out the rows of ``constraint=`` (:mod:`fairrep._bound`) and
say what the fit learned (:mod:`fairrep._fit_warnings`).
"""

from __future__ import annotations

import copy

import torch
from sklearn.base import BaseEstimator, _fit_context
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from . import _bound
from . import _validation as V
from ._docstrings import fill_doc
from ._fit_warnings import (CollapseWatch, collapse_probe, label_entropy, warn_at_caller,
                            warn_if_s_missing, warn_if_task_collapsed)
from ._inputs import (auto_batch_rows, n_columns, n_rows, validate_fit_data, validate_X,
                      validate_X_batches)
from ._params import COMMON, validate_params
from ._sensitive import FIRST_CALL, sensitive
from ._streaming import LazyColumns, RowSource, StreamBatches
from ._targets import encode_targets, target_codes
from ._training import EpochProgressBar, InvariantNet, TensorBatches, to_tensor
from .exceptions import ConstraintNotMetWarning


@fill_doc
class BaseInvariantEstimator(BaseEstimator):
    """Template for fairrep estimators (not public).

    Subclasses define ``__init__`` (storing parameters), ``_module_class`` and
    ``_module_params(n_features, n_classes, s_enc, n_samples)`` (``s_enc``: the
    :class:`~fairrep._sensitive.Sensitive` value of the fit, or None), and may set
    ``_requires_y`` (``fit`` raises a ``ValueError`` when ``y`` is None) and the attributes
    below.
    """

    _requires_y = True
    #: How the method takes ``s`` ('categorical', 'numeric' or 'length_only'), and whether
    #: the codes of ``y`` stand in for it (:mod:`fairrep._sensitive`).
    _s_kind = "categorical"
    _y_stands_in_for_s = False
    #: Whether the adversary's step reads ``s`` (it runs only when ``s`` is given), or trains
    #: on ``X`` alone (it runs in every fit).
    _adversary_reads_s = True
    #: The method's strength parameter (what ``InvariantClassifier(invariance=...)`` sets and
    #: the TaskCollapseWarning names); None for an estimator with none.
    _strength_param = None
    #: Whether the invariance term needs ``s`` (fitting without it, at a non-zero strength,
    #: trains the plain network: SensitiveMissingWarning).
    _invariance_needs_s = False
    #: Whether ``partial_fit`` is offered (False where the model depends on all the data
    #: at once, e.g. a prior estimated from every row).
    _supports_partial_fit = True
    #: Whether a memory-mapped ``y`` / ``s`` beside a streamed ``X`` is encoded a batch at a
    #: time (False where the method needs every code at once, e.g. to count its groups).
    _lazy_labels = True
    #: scikit-learn's declarative checks of the parameters, run first by fit and partial_fit;
    #: each method extends them with its own (:mod:`fairrep._params`).
    _parameter_constraints: dict = {**COMMON}

    def _validate_params(self):
        validate_params(self)  # scikit-learn's check, with fairrep's hint

    # -- fit and partial_fit -----------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
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
        return self._rolled_back_on_error(X, y, s, incremental=False)

    def _partial_fit_supported(self):
        return self._supports_partial_fit

    @available_if(_partial_fit_supported)
    @_fit_context(prefer_skip_nested_validation=True)
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
        return self._rolled_back_on_error(X, y, s, incremental=True, classes=classes,
                                          s_classes=s_classes)

    def _rolled_back_on_error(self, X, y, s, incremental, classes=None, s_classes=None):
        """``_fit``; if it raises, the estimator is restored as it was before the call."""
        state = dict(self.__dict__)
        if incremental and "net_" in state:  # partial_fit trains the fitted net in place
            state["net_"] = copy.deepcopy(self.net_)
        try:
            self._fit(X, y, s, incremental, classes, s_classes)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(state)
            raise
        return self

    def _fit(self, X, y, s, incremental, classes=None, s_classes=None):
        """The one path of ``fit`` (``incremental=False``: a new fit of ``max_epochs``, with
        the fairness bound and the collapse checks) and ``partial_fit`` (one epoch, continuing
        the current fit, if any; ``classes``, ``s_classes``: those of a first call)."""
        first = not (incremental and hasattr(self, "net_"))
        X, y = validate_fit_data(self, X, y, s, reset=first)
        y_codes, classes = target_codes(self, y, classes, first)
        bound = None
        stopper = None
        if not incremental:
            X, y_codes, s, bound = _bound.held_out(self, X, y_codes, s, n_rows(X))
            X, y_codes, s, stopper = self._early_stopping(X, y_codes, s)
        sens = self._sensitive(s, n_rows(X), y_codes, s_classes, first)
        net = self._build_net(X, classes, sens) if first else self.net_
        if not first:
            net.module_.float()  # trains in float32 (see _commit)
        data = self._batches(X, y_codes, sens, net.device)
        # the batches hold their own copies of the rows: keep only what s was (its groups)
        sens = None if sens is None else sens.without_rows()
        if incremental:
            del y_codes
            net.partial_fit(data, epochs=1)
            self._commit(net, classes, y, sens)
            return
        prior_entropy, probe = label_entropy(y_codes), collapse_probe(X, y_codes)
        del y_codes
        watch = CollapseWatch(self, prior_entropy, with_s=s is not None, probe=probe)
        callbacks = [*net.callbacks, ("collapse_watch", watch)]
        if bound is not None:
            callbacks.append(("fairness_bound", bound))
        if stopper is not None:
            callbacks.append(("early_stopping", stopper))
        net.set_params(callbacks=callbacks)
        net.fit(data)
        self._commit(net, classes, y, sens)
        if hasattr(self, "constraint"):
            self.bound_epoch_ = None if bound is None else bound.kept_epoch_
        not_met = None if bound is None else bound.not_met_message(net.max_epochs)
        if not_met:
            warn_at_caller(not_met, ConstraintNotMetWarning)
        warn_if_s_missing(self, s)
        if not watch.warned:
            warn_if_task_collapsed(self, prior_entropy, with_s=s is not None, probe=probe)

    def _early_stopping(self, X, y_codes, s):
        """``(X, y_codes, s, callback)`` of a new fit: an estimator with early stopping holds
        rows out for the callback that watches them; by default the rows as they are and
        None."""
        return X, y_codes, s, None

    def _sensitive(self, s, n_samples, y_codes, s_classes, first):
        """The :class:`~fairrep._sensitive.Sensitive` value of this call, as the method
        declares (``_s_kind``, ``_y_stands_in_for_s``); None when no ``s`` trains."""
        return sensitive(s, n_samples, self._s_kind, estimator=type(self).__name__,
                         labels=y_codes if self._y_stands_in_for_s else None,
                         s_classes=s_classes, lazy=self._lazy_labels,
                         fitted=FIRST_CALL if first else self._s_reference_)

    def _build_net(self, X, classes, sens):
        """The unfitted skorch net for data of this shape, classes and ``s``."""
        device = V.check_device(self.device)
        n_samples, n_features = n_rows(X), n_columns(X)
        n_classes = None if classes is None else [len(c) for c in classes]
        module_params = self._module_params(n_features, n_classes, sens, n_samples)
        callbacks = self._callbacks()
        if self.verbose:
            callbacks.append(("progress", EpochProgressBar(desc=type(self).__name__)))
        return InvariantNet(
            module=self._module_class,
            **{f"module__{k}": v for k, v in module_params.items()},
            adversary_steps=(self._adversary_steps()
                             if sens is not None or not self._adversary_reads_s else 0),
            optimizer=torch.optim.Adam,
            lr=self.lr,
            optimizer__weight_decay=self.weight_decay,
            batch_size=self._batch_rows(n_samples),
            max_epochs=self.max_epochs,
            device=device,
            callbacks=callbacks,
            verbose=int(self.verbose >= 2),
            seed=V.seed_from(self.random_state),
            mixed_precision=bool(getattr(self, "mixed_precision", False)),
        )

    def _batch_rows(self, n_samples):
        """Rows per training batch: ``batch_size``, or the ``'auto'`` rule for ``n_samples``
        rows (None: the largest batch the rule gives)."""
        # checked by _parameter_constraints (fit, partial_fit)
        return auto_batch_rows(n_samples) if self.batch_size == "auto" else int(self.batch_size)

    def _batches(self, X, y_codes, sens, device):
        """Training batches: tensors on the device, or rows streamed from a RowSource."""
        s_rows = None if sens is None else sens.rows
        if isinstance(X, RowSource):
            if s_rows is not None and not isinstance(s_rows, LazyColumns):
                s_rows = _s_tensor(sens, "cpu")  # a memory-mapped s stays lazy: by batch
            return StreamBatches(X, y_codes, s_rows, device)
        return TensorBatches(to_tensor(X, torch.float32, device),
                             to_tensor(y_codes, torch.long, device),
                             None if sens is None else _s_tensor(sens, device))

    def _commit(self, net, classes, y, sens):
        """Set the fitted attributes, now that training succeeded (``sens`` without rows)."""
        if torch.device(net.device).type == "cpu":
            # Inference in float64 on CPU: float32 kernels give results that depend (in the
            # last bit) on a row's position in the batch; float64 makes predictions invariant
            # to sample order and subsets. The float32 weights convert exactly.
            net.module_.double()
        self.net_ = net
        self._set_target_attributes(classes, y)
        self.s_classes_ = None if sens is None else sens.s_classes
        self.n_epochs_ = len(net.history)
        self._s_reference_ = sens

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

    def _encode_targets(self, y):
        """Codes (n, T) of each target column and the classes of each column."""
        return encode_targets(y, type(self).__name__)

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
        """Validated ``X`` for inference, in memory (:func:`fairrep._inputs.validate_X`)."""
        return validate_X(self, X, method)

    def _apply(self, X, fn):
        X = validate_X_batches(self, X)
        out = self.net_.apply_batches(X, fn)
        if isinstance(out, list):
            return out
        return out.astype(X.dtype, copy=False)

    def transform(self, X):
        """The invariant representation of ``X``.

        %(X_parameters)s

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


def _s_tensor(sens, device):
    """The training tensor of ``s``: float values of the numeric kind, else integer codes."""
    return to_tensor(sens.rows, torch.float32 if sens.kind == "numeric" else torch.long, device)
