"""Exceptions raised by fairrep."""

from ._docstrings import fill_doc


@fill_doc
class TrainingDivergedError(ValueError, ArithmeticError):
    """Training produced a non-finite loss; the message names the loss term.

    Subclasses :class:`ValueError` (scikit-learn's convention for non-finite weights) and
    :class:`ArithmeticError`.

    References
    ----------
    %(forgetting_paper)s

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


class TaskCollapseWarning(UserWarning):
    """A classifier's predictor learned no more than the class shares.

    Issued when the task loss of an epoch (the cross-entropy of the method's predictor of
    ``y``, summed over tasks) is within 3 % of the entropy of the training labels, the loss of
    predicting every row's class by its share: once during ``fit``, at the end of the first
    epoch after the method's warm-up (``warmup_epochs`` where it has one) with at least 100
    optimizer steps behind it and a loss that has not fallen below the entropy by more than
    0.5 % of it over the last 3 epochs (a small table that learns slowly is not yet called),
    so a long fit that learns nothing says so early; otherwise after ``fit``, on the last
    epoch, once at least 200 steps were taken.
    An invariance term that outweighs the task does this (its trivial minimiser is a
    representation that says nothing, about ``s`` or ``y``); the message names the method's
    strength parameter. The fit is kept: a user who wants that trade-off can silence the
    warning. Not checked after ``partial_fit`` (a stream of calls has no end to judge) nor for
    a memory-mapped ``y`` (its class shares would need another pass over it).

    Examples
    --------
    >>> import warnings
    >>> import numpy as np
    >>> from fairrep import ForgettingClassifier, TaskCollapseWarning
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(640, 4))
    >>> y = rng.randint(0, 2, 640)  # labels that X cannot predict
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     _ = ForgettingClassifier(adversary_weight=0.0, max_epochs=40, lr=1e-5,
    ...                              random_state=0).fit(X, y)
    >>> [w.category.__name__ for w in caught]
    ['TaskCollapseWarning']
    """


class SensitiveMissingWarning(UserWarning):
    """An invariance method was fitted without ``s``, so it trained no invariance term.

    Issued by ``fit`` of the estimators whose invariance term reads ``s`` (forgetting, sliced
    infomin, gradient reversal, MMD, HSIC, VFAE, CVIB) when ``s`` is None while their strength
    parameter is non-zero: the fit is the plain network, which is what a Pipeline trains when
    its ``<step>__s=s`` fit parameter was forgotten. Set the strength to 0 to train the plain
    network on purpose.

    Examples
    --------
    >>> import warnings
    >>> import numpy as np
    >>> from fairrep import MMDClassifier, SensitiveMissingWarning
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(60, 3))
    >>> y = (X[:, 0] > 0).astype(int)
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     _ = MMDClassifier(max_epochs=2, random_state=0).fit(X, y)  # no s=...
    >>> [w.category.__name__ for w in caught]
    ['SensitiveMissingWarning']
    """


class ConstraintNotMetWarning(UserWarning):
    """No candidate of a :class:`~fairrep.model_selection.ConstrainedSearchCV` met its bound.

    Issued by ``fit`` when every candidate's mean held-out constraint exceeds ``bound``: the
    candidate with the smallest mean constraint is selected (and refitted) instead. The
    message names the bound, the smallest constraint reached and what to try (a larger
    bound, larger strengths in ``param_grid``, more epochs).

    Examples
    --------
    >>> import warnings
    >>> import numpy as np
    >>> from fairrep import ConstraintNotMetWarning, MMDClassifier
    >>> from fairrep.model_selection import ConstrainedSearchCV
    >>> rng = np.random.RandomState(0)
    >>> s = rng.randint(0, 2, 80)
    >>> X = np.c_[rng.normal(size=(80, 2)), s]
    >>> y = s  # any accurate classifier has a demographic-parity gap of 1
    >>> search = ConstrainedSearchCV(
    ...     MMDClassifier(max_epochs=5, lr=0.05, hidden_layer_sizes=(8,), random_state=0),
    ...     {"mmd_weight": [0.0]}, bound=0.0, cv=2, refit=False)
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     _ = search.fit(X, y, s=s)
    >>> [w.category.__name__ for w in caught]
    ['ConstraintNotMetWarning']
    """


class NoisyConstraintWarning(UserWarning):
    """The one-fit bound measures its constraint on too few rows to steer by it.

    Issued by ``fit`` of an estimator with ``constraint=`` set when the gap measured on the
    held-out rows (20 % of the training rows) has a standard error above ``bound``: with the
    smallest groups of ``s`` there of n_1 and n_2 rows and a positive rate p, about
    ``sqrt(p (1 - p) (1 / n_1 + 1 / n_2))`` for a demographic-parity gap (p: the held-out
    share of the most frequent class of ``y``), and the same within each class of ``y`` for
    an equalized-odds gap (p = 1/2, the largest of these over the classes). The dual ascent
    of the strength then follows noise about as much as the gap, and the kept epoch's gap on
    new data can land well above the bound. The fit goes on; the message names the rows,
    the error and what to do instead
    (:class:`~fairrep.model_selection.ConstrainedSearchCV`, which averages the constraint
    over folds of all the rows, or a larger bound). Not issued for a callable constraint.

    Examples
    --------
    >>> import warnings
    >>> import numpy as np
    >>> from fairrep import MMDClassifier, NoisyConstraintWarning
    >>> rng = np.random.RandomState(0)
    >>> s = rng.randint(0, 2, 200)
    >>> X = np.c_[rng.normal(size=(200, 2)), s]
    >>> y = (X[:, 0] > 0).astype(int)
    >>> clf = MMDClassifier(max_epochs=2, constraint="demographic_parity", bound=0.05,
    ...                     random_state=0)
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     _ = clf.fit(X, y, s=s)
    >>> NoisyConstraintWarning in [w.category for w in caught]
    True
    """
