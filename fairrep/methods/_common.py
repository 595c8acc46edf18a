"""Small helpers that several method modules share."""

from __future__ import annotations

import numpy as np

from .. import _validation as V
from ..nn._base import STRENGTH_SCALINGS


def _store(estimator, arguments):
    """``__init__`` only stores its arguments (as scikit-learn requires): ``locals()`` in."""
    for name, value in arguments.items():
        if name not in ("self", "__class__"):
            setattr(estimator, name, value)


def _check_scaling(estimator):
    """The checked ``strength_scaling`` of ``estimator``."""
    return V.check_choice(estimator.strength_scaling, "strength_scaling", STRENGTH_SCALINGS)


def _check_unused_s(s, n_samples):
    """For a method that does not use ``s``: only check that it has one value per row."""
    if s is not None:
        n_s = s.shape[0] if hasattr(s, "shape") and len(s.shape) else len(np.atleast_1d(s))
        if n_s != n_samples:
            raise ValueError(V.S_LENGTH.format(n_s=n_s, n_x=n_samples))
