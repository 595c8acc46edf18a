"""Small helpers that several method modules share."""

from __future__ import annotations


def _store(estimator, arguments):
    """``__init__`` only stores its arguments (as scikit-learn requires): ``locals()`` in."""
    for name, value in arguments.items():
        if name not in ("self", "__class__"):
            setattr(estimator, name, value)
