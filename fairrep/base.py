"""The scikit-learn-facing base every fairrep estimator shares.

A fairrep estimator is a plain scikit-learn estimator (``__init__`` only stores its arguments)
that *owns* the skorch net it builds in ``fit`` (``net_``). Subclasses (one per method, in
:mod:`fairrep.methods`) only say which :class:`fairrep.nn.InvariantModule` to build and with
which arguments; validation, seeding, the device, training and inference live here.
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from . import _validation as V
from ._training import EpochProgressBar, InvariantNet, TensorBatches, to_tensor

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

#: Parameters every estimator validates the same way: name -> checker.
_COMMON_CHECKS = {
    "max_epochs": V.check_positive_int,
    "batch_size": V.check_positive_int,
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
    _continuous_s = False

    # -- fit -----------------------------------------------------------------------------
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
        state = dict(self.__dict__)
        try:
            self._fit(X, y, s)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(state)
            raise
        return self

    def _fit(self, X, y, s):
        name = type(self).__name__
        if y is None and self._y_required(s):
            raise ValueError(Y_REQUIRED.format(estimator=name))
        if y is None:
            X = validate_data(self, X, dtype=[np.float64, np.float32], ensure_min_samples=2)
            y_codes, classes = None, None
        else:
            X, y = validate_data(self, X, y, dtype=[np.float64, np.float32],
                                 ensure_min_samples=2, multi_output=True,
                                 y_numeric=False)
            y_codes, classes = self._encode_targets(y)
        if X.size and np.abs(X).max() > np.finfo(np.float32).max:
            raise ValueError(X_FLOAT32_RANGE)
        s_enc = self._encode_s(s, X.shape[0])
        for param, check in _COMMON_CHECKS.items():
            if hasattr(self, param):
                check(getattr(self, param), param)
        device = V.check_device(self.device)
        seed = V.seed_from(self.random_state)

        n_classes = None if classes is None else [len(c) for c in classes]
        module_params = self._module_params(X.shape[1], n_classes, s_enc, X.shape[0])
        callbacks = self._callbacks()
        if self.verbose:
            callbacks.append(("progress", EpochProgressBar(desc=name)))
        net = InvariantNet(
            module=self._module_class,
            **{f"module__{k}": v for k, v in module_params.items()},
            adversary_steps=self._adversary_steps() if s_enc is not None else 0,
            optimizer=torch.optim.Adam,
            lr=self.lr,
            optimizer__weight_decay=self.weight_decay,
            batch_size=self.batch_size,
            max_epochs=self.max_epochs,
            device=device,
            callbacks=callbacks,
            verbose=int(self.verbose >= 2),
            seed=seed,
        )
        data = TensorBatches(
            to_tensor(X, torch.float32, device),
            to_tensor(y_codes, torch.long, device),
            None if s_enc is None else self._s_tensor(s_enc, device),
        )
        net.fit(data)
        if torch.device(device).type == "cpu":
            # Inference in float64 on CPU: float32 kernels give results that depend (in the
            # last bit) on a row's position in the batch; float64 makes predictions invariant
            # to sample order and subsets. The float32 weights convert exactly.
            net.module_.double()

        # commit the fitted state only now that training succeeded
        self.net_ = net
        self._set_target_attributes(classes, y)
        self.s_classes_ = self._s_classes(s_enc)
        self.n_epochs_ = len(net.history)

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
                                  allow_continuous=self._continuous_s)

    def _s_tensor(self, s_enc, device):
        """The training tensor of ``s``: integer codes of shape (n, n_columns)."""
        return to_tensor(s_enc.codes, torch.long, device)

    def _s_classes(self, s_enc):
        """What ``s_classes_`` stores: the groups of a 1-D ``s``, a list for 2-D ``s``."""
        if s_enc is None:
            return None
        return s_enc.classes[0] if s_enc.was_1d else s_enc.classes

    def _encode_targets(self, y):
        """Encode each target column; return codes (n, T) and the classes of each column."""
        check_classification_targets(y)
        y2 = y.reshape(-1, 1) if y.ndim == 1 else y
        codes, classes = [], []
        for j in range(y2.shape[1]):
            encoder = LabelEncoder().fit(y2[:, j])
            if len(encoder.classes_) < 2:
                raise ValueError(Y_SINGLE_CLASS.format(value=encoder.classes_[0],
                                                       estimator=type(self).__name__))
            codes.append(encoder.transform(y2[:, j]))
            classes.append(encoder.classes_)
        return np.stack(codes, axis=1), classes

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

    def _check_X(self, X):
        check_is_fitted(self)
        return validate_data(self, X, dtype=[np.float64, np.float32], reset=False)

    def _apply(self, X, fn):
        X = self._check_X(X)
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


class NumericSensitiveMixin:
    """``s`` as real-valued columns T: categorical columns one-hot, continuous ones standardised.

    For methods that measure the dependence between the representation and ``s`` directly
    (sliced mutual information, HSIC); put it before :class:`BaseInvariantEstimator` in the
    bases. ``s_classes_`` keeps the groups of categorical columns (None for continuous ones).
    """

    _continuous_s = True

    def _encode_s(self, s, n_samples):
        return V.encode_sensitive_numeric(s, n_samples, estimator=type(self).__name__,
                                          required=self._requires_s)

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
