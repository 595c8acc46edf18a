"""fairrep inside scikit-learn: Pipeline, GridSearchCV, metadata routing, scorers needing s."""

import numpy as np
import pytest
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import make_scorer
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from fairrep import ForgettingClassifier, InvariantTransformer
from fairrep.metrics import demographic_parity_difference

from conftest import make_biased

TINY = dict(max_epochs=2, batch_size=64, adversary_steps=1, random_state=0)


class _Spy:
    """Record the s each fit received (wrapping fit keeps the estimator cloneable)."""

    seen = []


class SpyClassifier(ForgettingClassifier):
    def fit(self, X, y=None, s=None):
        _Spy.seen.append(None if s is None else len(s))
        return super().fit(X, y, s=s)


@pytest.fixture(scope="module")
def data():
    return make_biased(n=240)


def test_pipeline_grid_search_without_routing(data):
    X, y, s = data
    _Spy.seen.clear()
    pipe = Pipeline([("scale", StandardScaler()), ("clf", SpyClassifier(**TINY))])
    search = GridSearchCV(pipe, {"clf__adversary_weight": [0.1, 1.0]}, cv=2)
    search.fit(X, y, clf__s=s)
    # 2 candidates x 2 folds with s split by rows, then the refit on all rows
    assert _Spy.seen == [120] * 4 + [240]
    assert search.best_estimator_.named_steps["clf"].s_classes_.tolist() == [0, 1]


def test_pipeline_grid_search_with_routing_and_fairness_scorer(data):
    X, y, s = data
    _Spy.seen.clear()
    with sklearn.config_context(enable_metadata_routing=True):
        dp = make_scorer(demographic_parity_difference,
                         greater_is_better=False).set_score_request(s=True)
        pipe = Pipeline([("scale", StandardScaler()),
                         ("clf", SpyClassifier(**TINY).set_fit_request(s=True))])
        search = GridSearchCV(pipe, {"clf__adversary_weight": [0.1, 1.0]}, cv=2,
                              scoring={"accuracy": "accuracy", "dp": dp}, refit="accuracy")
        search.fit(X, y, s=s)
    assert _Spy.seen == [120] * 4 + [240]
    dp_scores = search.cv_results_["mean_test_dp"]
    assert np.all(np.isfinite(dp_scores)) and np.all(dp_scores <= 0)


def test_transformer_step_then_logistic_regression(data):
    X, y, s = data
    pipe = Pipeline([("rep", InvariantTransformer(max_epochs=2, batch_size=64,
                                                  random_state=0)),
                     ("lr", LogisticRegression())])
    pipe.fit(X, y, rep__s=s)
    assert pipe.predict(X).shape == y.shape
    with sklearn.config_context(enable_metadata_routing=True):
        rep = InvariantTransformer(max_epochs=2, batch_size=64, random_state=0)
        pipe = Pipeline([("rep", rep.set_fit_request(s=True)),
                         ("lr", LogisticRegression())])
        pipe.fit(X, y, s=s)
    assert pipe.named_steps["rep"].estimator_.s_classes_ is not None


def test_single_param_grid_sweeps_methods_and_strengths(data):
    X, y, s = data
    pipe = Pipeline([("rep", InvariantTransformer(max_epochs=1, batch_size=64,
                                                  random_state=0)),
                     ("lr", LogisticRegression())])
    grid = {"rep__method": ["forgetting"], "rep__invariance": [0.0, 1.0]}
    search = GridSearchCV(pipe, grid, cv=2).fit(X, y, rep__s=s)
    assert len(search.cv_results_["params"]) == 2
