"""Small helpers that several method modules share."""

from __future__ import annotations

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

