"""ConstrainedSearchCV: the selection rule, the constraints, how s reaches the folds."""

import numpy as np
import pytest
from sklearn import config_context
from sklearn.base import clone
from sklearn.exceptions import FitFailedWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from fairrep import (ConstrainedSearchCV, ConstraintNotMetWarning, ForgettingClassifier,
                     GradientReversalClassifier, InvariantClassifier, MMDClassifier,
                     MMDTransformer, TrainingDivergedError)
from fairrep.metrics import (demographic_parity_difference, equalized_odds_difference,
                             max_correlation)
from fairrep import model_selection
from fairrep.model_selection import _strength_grid, select_candidate

#: lr=0.05 so that 5 epochs on 200 rows learn something and the candidates differ
TINY = dict(max_epochs=5, hidden_layer_sizes=(8,), batch_size=64, lr=0.05, random_state=0)
GRID = {"mmd_weight": [0.0, 50.0]}


@pytest.fixture(scope="module")
def data():
    rng = np.random.RandomState(0)
    s = rng.randint(0, 2, 200)
    X = np.c_[rng.normal(size=(200, 3)), s + 0.3 * rng.normal(size=200)]
    y = (X[:, 0] + s + 0.3 * rng.normal(size=200) > 0.5).astype(int)
    return X, y, s


def _search(estimator=None, param_grid=GRID, **kw):
    estimator = MMDClassifier(**TINY) if estimator is None else estimator
    return ConstrainedSearchCV(estimator, param_grid, **{"cv": 2, "bound": 1.0, **kw})


def _same_results(a, b):
    for key in ("mean_test_score", "mean_test_constraint", "split0_test_constraint",
                "split1_test_score"):
        np.testing.assert_array_equal(a.cv_results_[key], b.cv_results_[key])
    assert a.best_params_ == b.best_params_


# -- the selection rule --------------------------------------------------------------------
def test_select_most_accurate_feasible():
    index, feasible = select_candidate([0.9, 0.85, 0.8, 0.7], [0.2, 0.05, 0.01, 0.0], 0.05)
    assert index == 1 and feasible.tolist() == [False, True, True, True]
    # a tie in score goes to the lower constraint
    assert select_candidate([0.8, 0.8], [0.04, 0.02], 0.05)[0] == 1


def test_select_falls_back_to_smallest_constraint():
    index, feasible = select_candidate([0.9, 0.6, 0.8], [0.3, 0.1, 0.1], 0.05)
    assert index == 2 and not feasible.any()


def test_no_feasible_candidate_warns_and_refits_the_fairest(data):
    X, y, s = data
    search = _search(param_grid={"mmd_weight": [0.0, 1.0]}, bound=0.1,
                     constraint=lambda y_true, y_pred, s: 0.5 + 0.0 * y_pred.mean())
    with pytest.warns(ConstraintNotMetWarning, match=r"0\.5 > bound=0\.1.*Try a larger bound"):
        search.fit(X, y, s=s)
    assert issubclass(ConstraintNotMetWarning, UserWarning)
    assert search.best_index_ == int(np.argmax(search.cv_results_["mean_test_score"]))
    assert not search.cv_results_["feasible"].any()
    assert search.predict(X).shape == (200,)


# -- the constraints against the metrics on one fold ---------------------------------------
@pytest.mark.parametrize("constraint, metric", [
    ("demographic_parity", demographic_parity_difference),
    ("equalized_odds", equalized_odds_difference),
])
def test_prediction_constraints_match_the_metric(data, constraint, metric):
    X, y, s = data
    cv = StratifiedKFold(2)
    search = _search(param_grid={"mmd_weight": [0.0]}, constraint=constraint, cv=cv,
                     refit=False).fit(X, y, s=s)
    train, test = next(cv.split(X, y))
    est = MMDClassifier(mmd_weight=0.0, **TINY).fit(X[train], y[train], s=s[train])
    expected = metric(y[test], est.predict(X[test]), s=s[test])
    assert search.cv_results_["split0_test_constraint"][0] == pytest.approx(expected)
    assert search.cv_results_["split0_test_score"][0] == pytest.approx(
        est.score(X[test], y[test]))
    assert not hasattr(search, "best_estimator_")


def test_max_correlation_constraint_on_a_transformer(data):
    X, y, s = data
    cv = StratifiedKFold(2)
    scoring = lambda est, X, y: float(np.mean(est.transform(X)))  # noqa: E731
    transformer = MMDTransformer(mmd_weight=0.0, **TINY)
    search = ConstrainedSearchCV(transformer, {"n_components": [2]}, cv=cv, bound=1.0,
                                 constraint="max_correlation", scoring=scoring).fit(X, y, s=s)
    train, test = next(cv.split(X, y))
    est = clone(transformer).set_params(n_components=2).fit(X[train], y[train], s=s[train])
    expected = max_correlation(est.transform(X[test]), s[test], random_state=0)
    assert search.cv_results_["split0_test_constraint"][0] == pytest.approx(expected)
    assert search.transform(X).shape == (200, 2)


# -- how s reaches the folds ---------------------------------------------------------------
def test_s_as_fit_parameter_and_with_metadata_routing(data):
    X, y, s = data
    clf = GradientReversalClassifier(**TINY)
    grid = {"adversary_weight": [0.0, 7.0]}
    plain = _search(clf, grid).fit(X, y, s=s)
    with config_context(enable_metadata_routing=True):
        routed = _search(clone(clf).set_fit_request(s=True), grid).fit(X, y, s=s)
        with pytest.raises(ValueError, match=r"\[s\] are passed but are not explicitly set"):
            _search(clone(clf), grid).fit(X, y, s=s)
    _same_results(plain, routed)
    # the invariance term changes the models: the comparison is not of two equal candidates
    assert len(set(plain.cv_results_["mean_test_constraint"])) == 2


def test_pipeline_gets_s_as_laststep_parameter(data):
    X, y, s = data
    # without s, MMDClassifier at mmd_weight=50 warns (SensitiveMissingWarning: an error here)
    pipe = make_pipeline(StandardScaler(), MMDClassifier(**TINY))
    grid = {"mmdclassifier__mmd_weight": [0.0, 50.0]}
    search = _search(pipe, grid).fit(X, y, s=s)
    assert search.best_estimator_.steps[0][0] == "standardscaler"
    assert set(search.frontier_.columns) >= {"mmdclassifier__mmd_weight", "pareto"}
    with config_context(enable_metadata_routing=True):
        pipe = make_pipeline(StandardScaler(), MMDClassifier(**TINY).set_fit_request(s=True))
        routed = _search(pipe, grid).fit(X, y, s=s)
    _same_results(search, routed)


# -- param_grid=None -----------------------------------------------------------------------
def test_default_grid_sweeps_the_strength():
    factors = [0.0, 0.1, 0.3, 1.0, 3.0, 10.0]
    default = ForgettingClassifier().adversary_weight
    grid = _strength_grid(ForgettingClassifier())
    np.testing.assert_allclose(grid["adversary_weight"], np.multiply(factors, default))
    grid = _strength_grid(GradientReversalClassifier(adversary_weight=2.0))
    np.testing.assert_allclose(grid["adversary_weight"], np.multiply(factors, 2.0))
    grid = _strength_grid(InvariantClassifier(method="mmd"))
    np.testing.assert_allclose(grid["invariance"], np.multiply(factors, 20.0))
    grid = _strength_grid(make_pipeline(StandardScaler(), MMDClassifier()))
    np.testing.assert_allclose(grid["mmdclassifier__mmd_weight"], np.multiply(factors, 20.0))


def test_default_grid_search_runs(data):
    X, y, s = data
    clf = InvariantClassifier(method="mmd", max_epochs=1, batch_size=64, random_state=0,
                              method_params={"hidden_layer_sizes": (8,)})
    search = _search(clf, None, bound=0.05, refine=0).fit(X, y, s=s)
    assert len(search.cv_results_["params"]) == 6 == len(search.frontier_)
    assert search.n_splits_ == 2


def test_refine_bisects_towards_the_feasible_boundary(data, monkeypatch):
    # Scripted folds: the constraint falls and the score with the strength w (feasible from
    # w = 100 on at bound 0.05), so the grid 0, 15, 45, 150, 450, 1500 (the default 150)
    # picks 150, and each refinement halves the log-gap to the largest infeasible one below.
    def scripted(estimator, params, *args):
        (w,) = params.values()
        return 1.0 - w / 1e4, 5.0 / (w + 1e-9), None

    monkeypatch.setattr(model_selection, "_fit_and_evaluate", scripted)
    X, y, s = data
    search = _search(MMDClassifier(mmd_weight=150.0), None, bound=0.05, refine=2,
                     refit=False).fit(X, y, s=s)
    strengths = [c["mmd_weight"] for c in search.cv_results_["params"]]
    assert strengths[:6] == pytest.approx([0.0, 15.0, 45.0, 150.0, 450.0, 1500.0])
    assert strengths[6:] == pytest.approx([np.sqrt(45 * 150), np.sqrt(np.sqrt(45 * 150) * 150)])
    assert search.best_params_ == {"mmd_weight": pytest.approx(np.sqrt(np.sqrt(45 * 150) * 150))}
    assert len(search.frontier_) == 8
    # an explicit grid is not refined
    explicit = _search(MMDClassifier(), {"mmd_weight": [45.0, 150.0]}, bound=0.05,
                       refine=2, refit=False).fit(X, y, s=s)
    assert len(explicit.cv_results_["params"]) == 2


# -- Dask ----------------------------------------------------------------------------------
def test_dask_n_jobs_equals_serial(data):
    distributed = pytest.importorskip("distributed")
    joblib = pytest.importorskip("joblib")
    X, y, s = data
    serial = _search().fit(X, y, s=s)
    # worker processes (as tests/test_distributed.py): two torch fits in threads of one
    # process are not bit-for-bit reproducible
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster), joblib.parallel_backend("dask"):
        parallel = _search(n_jobs=2).fit(X, y, s=s)
    _same_results(serial, parallel)
    assert len(set(serial.cv_results_["mean_test_score"])) == 2
    np.testing.assert_array_equal(serial.predict(X), parallel.predict(X))


# -- errors --------------------------------------------------------------------------------
@pytest.mark.parametrize("kw, match", [
    (dict(constraint="parity"), r"'constraint' parameter .* a str among \{.*'max_correlation'"
                                r".*\} or a callable. Got 'parity'"),
    (dict(bound=-0.1), r"'bound' parameter .* \[0.0, inf\). Got -0.1"),
    (dict(bound=float("nan")), r"'bound' parameter .* \[0.0, inf\)"),
    (dict(error_score="ignore"), r"'error_score' parameter .* \{'raise'\} or an instance of"),
])
def test_invalid_parameters(data, kw, match):
    X, y, s = data
    with pytest.raises(ValueError, match=match):
        _search(**kw).fit(X, y, s=s)


def test_a_failing_candidate_is_never_selected(data):
    # lr=1e6 diverges: TrainingDivergedError in each of its fits
    X, y, s = data
    grid = {"lr": [0.05, 1e6]}
    with pytest.warns(FitFailedWarning, match=r"2 of 4 fits failed .*'lr': 1000000.0.*"
                                              r"TrainingDivergedError"):
        search = _search(param_grid=grid).fit(X, y, s=s)
    assert search.best_params_ == {"lr": 0.05}
    assert np.isnan(search.cv_results_["mean_test_score"][1])
    assert not search.cv_results_["feasible"][1] and not search.frontier_["pareto"][1]
    with pytest.raises(TrainingDivergedError):
        _search(param_grid=grid, error_score="raise").fit(X, y, s=s)
    with pytest.raises(ValueError, match="Every fit failed; the first error"):
        _search(param_grid={"lr": [1e6]}).fit(X, y, s=s)


def test_prediction_constraint_on_a_transformer_is_an_error(data):
    X, y, s = data
    with pytest.raises(ValueError, match="use constraint='max_correlation'"):
        _search(MMDTransformer(**TINY), GRID).fit(X, y, s=s)


def test_default_grid_needs_a_fairrep_estimator(data):
    X, y, s = data
    with pytest.raises(ValueError, match="LogisticRegression is not: pass param_grid"):
        _search(LogisticRegression(), None).fit(X, y, s=s)


# -- frontier ------------------------------------------------------------------------------
def test_frontier_and_plot(data):
    X, y, s = data
    search = _search(param_grid={"mmd_weight": [0.0, 20.0, 200.0]}).fit(X, y, s=s)
    frontier = search.frontier_
    assert len(frontier) == 3 and frontier["pareto"].dtype == bool and frontier["pareto"].any()
    assert frontier["mmd_weight"].tolist() == [0.0, 20.0, 200.0]
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ax = search.plot_frontier()
    assert isinstance(ax, matplotlib.axes.Axes)
    plt.close(ax.figure)
