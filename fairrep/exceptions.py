"""Exceptions raised by fairrep."""


class TrainingDivergedError(ValueError, ArithmeticError):
    """Training produced a non-finite loss; the message names the loss term.

    Subclasses :class:`ValueError` (scikit-learn's convention for non-finite weights) and
    :class:`ArithmeticError`.

    References
    ----------
    A. Jaiswal, D. Moyer, G. Ver Steeg, W. AbdAlmageed and P. Natarajan,
    "Invariant representations through adversarial forgetting", AAAI 2020.

    Examples
    --------
    Inputs of the order of 1e20 are finite in float32, but their squared reconstruction error
    is not:

    >>> import numpy as np
    >>> from fairrep import ForgettingClassifier, TrainingDivergedError
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(40, 3))
    >>> y = (X[:, 0] > 0).astype(int)
    >>> s = rng.randint(0, 2, 40)
    >>> try:
    ...     ForgettingClassifier(max_epochs=1, random_state=0).fit(X * 1e20, y, s=s)
    ... except TrainingDivergedError as exc:
    ...     print(exc)  # doctest: +ELLIPSIS
    training diverged at epoch 1: the 'reconstruction' loss is inf. Lower lr (now 0.001), ...
    >>> issubclass(TrainingDivergedError, ValueError)
    True
    """
