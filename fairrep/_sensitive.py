"""How an estimator takes ``s``: encoded for fit, for a first ``partial_fit`` call with its
groups given (``s_classes``) and, on later calls, as the first call encoded it; the tensor
that training reads, and what ``s_classes_`` keeps.

Categorical by default (:class:`CategoricalSensitiveMixin`, a base of
:class:`~fairrep.base.BaseInvariantEstimator`); real-valued columns with
:class:`NumericSensitiveMixin`. A method that takes ``s`` otherwise overrides these hooks.
The checks and encodings themselves are :mod:`fairrep._validation`'s.
"""

from __future__ import annotations

import torch

from . import _validation as V
from ._training import to_tensor


class CategoricalSensitiveMixin:
    """``s`` as integer codes, every column categorical.

    - ``_requires_s``: ``fit`` raises a ``ValueError`` when ``s`` is None;
    - ``_continuous_s``: ``s`` may be continuous (:class:`NumericSensitiveMixin`).
    """

    _requires_s = False
    _continuous_s = False

    def _encode_s(self, s, n_samples):
        """Validate ``s`` and encode it; the default treats every column as categorical."""
        return V.encode_sensitive(s, n_samples, estimator=type(self).__name__,
                                  required=self._requires_s,
                                  allow_continuous=self._continuous_s,
                                  lazy=self._lazy_labels)

    def _encode_s_given(self, s, n_samples, s_classes):
        """Encode ``s`` with the groups given as ``s_classes`` (first partial_fit call)."""
        name = type(self).__name__
        if self._continuous_s:
            return V.encode_sensitive_numeric(s, n_samples, estimator=name, required=True,
                                              classes=s_classes)
        return V.encode_sensitive_given(s, n_samples, s_classes, estimator=name)

    def _encode_s_as_fitted(self, s, n_samples):
        """Encode ``s`` of a later partial_fit call as the first call did."""
        reference = self._s_reference_
        if isinstance(reference, (V.SensitiveEncoding, V.NumericSensitive)) or (
                reference is None):
            return V.encode_sensitive_as(s, n_samples, reference,
                                         estimator=type(self).__name__)
        # a method's own encoding (e.g. s unused): let the method redo it
        return self._encode_s(s, n_samples)

    def _s_tensor(self, s_enc, device):
        """The training tensor of ``s``: integer codes of shape (n, n_columns)."""
        return to_tensor(s_enc.codes, torch.long, device)

    def _s_classes(self, s_enc):
        """What ``s_classes_`` stores: the groups of a 1-D ``s``, a list for 2-D ``s``."""
        if s_enc is None:
            return None
        return s_enc.classes[0] if s_enc.was_1d else s_enc.classes


class NumericSensitiveMixin:
    """``s`` as real-valued columns T: categorical columns one-hot, continuous ones standardised.

    For methods that measure the dependence between the representation and ``s`` directly
    (sliced mutual information, HSIC); put it before
    :class:`~fairrep.base.BaseInvariantEstimator` in the bases. ``s_classes_`` keeps the
    groups of categorical columns (None for continuous ones).
    """

    _continuous_s = True

    def _encode_s(self, s, n_samples):
        return V.encode_sensitive_numeric(s, n_samples, estimator=type(self).__name__,
                                          required=self._requires_s, lazy=self._lazy_labels)

    def _s_tensor(self, s_enc, device):
        return to_tensor(s_enc.values, torch.float32, device)
