"""scikit-learn's estimator checks over every public fairrep estimator, found automatically."""

import inspect

from sklearn.base import BaseEstimator
from sklearn.utils.estimator_checks import parametrize_with_checks

import fairrep

#: Small settings so each check's many fits stay fast; everything else is the default.
FAST = dict(max_epochs=30, batch_size=32)


def _public_estimators():
    for name in sorted(fairrep.__all__):
        obj = getattr(fairrep, name)
        if inspect.isclass(obj) and issubclass(obj, BaseEstimator):
            params = inspect.signature(obj.__init__).parameters
            yield obj(**{k: v for k, v in FAST.items() if k in params})


ESTIMATORS = list(_public_estimators())


def test_every_public_estimator_is_checked():
    names = {type(e).__name__ for e in ESTIMATORS}
    assert {"ForgettingTransformer", "ForgettingClassifier", "InvariantTransformer",
            "InvariantClassifier"} <= names


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
