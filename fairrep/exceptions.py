"""Exceptions raised by fairrep."""


class TrainingDivergedError(ValueError, ArithmeticError):
    """Training produced a non-finite loss; the message names the loss term.

    Subclasses :class:`ValueError` (scikit-learn's convention for non-finite weights) and
    :class:`ArithmeticError`.
    """
