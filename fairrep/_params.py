"""The estimators' parameters, checked declaratively: the pieces of scikit-learn's
``_parameter_constraints`` (:mod:`sklearn.utils._param_validation`) that several estimators
share, and :func:`validate_params`, scikit-learn's check with fairrep's hint after its sentence.

``fit`` and ``partial_fit`` run these checks first, before anything changes; the hand checks of
:mod:`fairrep._validation` stay for what a constraint cannot say (the entries of a tuple, two
parameters together, the shape of the data). Numbers are constrained with :class:`Number`,
scikit-learn's ``Interval`` less the values it lets through that no fairrep parameter means.
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
import torch
from sklearn.utils._param_validation import (Interval, InvalidParameterError, StrOptions,
                                             validate_parameter_constraints)

from ._bound import PREDICTION_CONSTRAINTS
from ._validation import did_you_mean
from .nn._base import STRENGTH_SCALINGS


class Number(Interval):
    """scikit-learn's ``Interval`` constraint, refusing also a bool and an infinite value.

    ``Interval(Integral, 1, None)`` takes ``True`` (an int to Python, not one epoch) and
    ``Interval(Real, 0, None, closed="left")`` takes ``inf``; no fairrep parameter means
    either, so a ``Number`` refuses them where the parameter is checked, with the sentence
    scikit-learn writes for any value out of range. Used in ``_parameter_constraints`` as
    ``Interval`` is.

    Examples
    --------
    >>> from numbers import Integral
    >>> from fairrep._params import Number
    >>> epochs = Number(Integral, 1, None, closed="left")
    >>> epochs.is_satisfied_by(3), epochs.is_satisfied_by(True)
    (True, False)
    """

    def is_satisfied_by(self, val):
        if isinstance(val, (bool, np.bool_)):
            return False
        return super().is_satisfied_by(val) and bool(np.isfinite(val))


POSITIVE_INT = Number(Integral, 1, None, closed="left")
#: A weight of a loss term (finite, >= 0).
NON_NEGATIVE = Number(Real, 0, None, closed="left")
#: A step size or scale (finite, > 0).
POSITIVE = Number(Real, 0, None, closed="neither")
#: Widths of hidden layers: a tuple of positive ints (or one int).
LAYER_SIZES = ["array-like", POSITIVE_INT]

#: The parameters of every :class:`~fairrep.base.BaseInvariantEstimator` (the invertible
#: networks, which keep the size of x, drop n_components).
COMMON = {
    "n_components": [POSITIVE_INT],
    "hidden_layer_sizes": LAYER_SIZES,
    "max_epochs": [POSITIVE_INT],
    "batch_size": [POSITIVE_INT, StrOptions({"auto"})],
    "lr": [POSITIVE],
    "weight_decay": [NON_NEGATIVE],
    "device": [str, torch.device],
    "random_state": ["random_state"],
    "verbose": ["verbose"],
    "mixed_precision": ["boolean"],
}
#: ``constraint=`` and ``bound=``, of the estimators that adapt their strength to a bound.
FAIRNESS_BOUND = {
    "constraint": [StrOptions(set(PREDICTION_CONSTRAINTS)), callable, None],
    "bound": [NON_NEGATIVE],
}
STRENGTH_SCALING = {"strength_scaling": [StrOptions(set(STRENGTH_SCALINGS))]}


def _store(estimator, arguments):
    """``__init__`` only stores its arguments (as scikit-learn requires): ``locals()`` in."""
    for name, value in arguments.items():
        if name not in ("self", "__class__"):
            setattr(estimator, name, value)


def validate_params(estimator):
    """scikit-learn's check of ``estimator._parameter_constraints``, one parameter at a time
    in ``get_params`` order (as scikit-learn's): its ``InvalidParameterError`` ("The 'name'
    parameter of Estimator must be ... Got ... instead.") then says, where it can, what was
    meant: the estimator's ``_parameter_hints[name]``, and "Did you mean ...?" for a string
    close to a valid one."""
    caller = type(estimator).__name__
    for name, value in estimator.get_params(deep=False).items():
        constraints = estimator._parameter_constraints.get(name, "no_validation")
        try:
            validate_parameter_constraints({name: constraints}, {name: value}, caller)
        except InvalidParameterError as exc:
            options = sorted(option for constraint in constraints
                             if isinstance(constraint, StrOptions)
                             for option in constraint.options)
            hint = (getattr(estimator, "_parameter_hints", {}).get(name, "")
                    + did_you_mean(value, options))
            if not hint:
                raise
            raise InvalidParameterError(f"{exc} {hint.strip()}") from None
