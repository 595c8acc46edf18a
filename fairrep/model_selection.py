"""Model selection under a fairness or invariance constraint: :class:`ConstrainedSearchCV`."""

from __future__ import annotations

import numbers
import warnings

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, MetaEstimatorMixin, _fit_context, clone, is_classifier
from sklearn.exceptions import FitFailedWarning
from sklearn.metrics import check_scoring, get_scorer_names
from sklearn.model_selection import ParameterGrid, check_cv
from sklearn.pipeline import Pipeline
from sklearn.utils import _safe_indexing
from sklearn.utils._param_validation import HasMethods, StrOptions
from sklearn.utils.metadata_routing import (MetadataRouter, MethodMapping, _routing_enabled,
                                             process_routing)
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import _check_method_params, check_is_fitted, indexable

from ._bound import select_candidate
from ._bound import PREDICTION_CONSTRAINTS as _PREDICTION_CONSTRAINTS
from ._params import NON_NEGATIVE, Number, _store
from .base import BaseInvariantEstimator
from .exceptions import ConstraintNotMetWarning
from .metrics import max_correlation
from .methods import get_method
from .unified import InvariantClassifier, _UnifiedBase

_CONSTRAINTS = (*_PREDICTION_CONSTRAINTS, "max_correlation")
#: Multiples of the default strength swept by ``param_grid=None`` (after 0).
_STRENGTH_FACTORS = (0.1, 0.3, 1.0, 3.0, 10.0)
#: Seed of ``max_correlation`` on every fold, so that all candidates are measured alike.
_RHO_SEED = 0

NO_PREDICT = ("constraint={constraint!r} needs predictions, but {estimator} has no predict "
              "(a transformer): use constraint='max_correlation'.")
NO_TRANSFORM = "constraint='max_correlation' needs transform, which {estimator} does not have."
NO_STRENGTH = ("param_grid=None sweeps the strength parameter of a fairrep estimator (or of a "
               "Pipeline ending in one), which {estimator} is not: pass param_grid.")
S_REQUIRED = "ConstrainedSearchCV.fit needs s, to measure the constraint on each fold."
FIT_FAILED = ("{n_failed} of {n_fits} fits failed and scored error_score={error_score!r} "
              "(their candidates are never selected). The first error, with {params}: {error}")
ALL_FAILED = ("Every fit failed; the first error, with {params}: {error}. Set "
              "error_score='raise' to see the traceback.")
ERROR_SCORE_INVALID = ("error_score must be 'raise' or a number (np.nan by default), got "
                       "{value!r}.")
NOT_MET = ("No candidate met the bound: the smallest mean constraint was {best:.4g} > "
           "bound={bound:.4g}, by {params}, which is selected. Try a larger bound, larger "
           "strengths in param_grid, or more epochs.")
MATPLOTLIB_MISSING = ("plot_frontier needs matplotlib: pip install 'fairrep[bench]' "
                      "(or matplotlib).")


def _pareto(score, constraint):
    """Whether each candidate is not dominated in (higher score, lower constraint)."""
    score, constraint = np.asarray(score, float), np.asarray(constraint, float)
    # [i, j]: candidate j dominates candidate i
    at_least = (score[None, :] >= score[:, None]) & (constraint[None, :] <= constraint[:, None])
    strictly = (score[None, :] > score[:, None]) | (constraint[None, :] < constraint[:, None])
    # a candidate whose fits failed (NaN) is on no front
    return ~(at_least & strictly).any(axis=1) & np.isfinite(score) & np.isfinite(constraint)


def _final_estimator(estimator):
    return estimator.steps[-1][1] if isinstance(estimator, Pipeline) else estimator


def _strength_grid(estimator):
    """``param_grid=None``: 0 and the default strength times ``_STRENGTH_FACTORS``."""
    final = _final_estimator(estimator)
    prefix = f"{estimator.steps[-1][0]}__" if isinstance(estimator, Pipeline) else ""
    if isinstance(final, _UnifiedBase):
        name = "invariance"
        spec = get_method(final.method)
        inner = spec.classifier if isinstance(final, InvariantClassifier) else spec.transformer
        default = getattr(inner(), spec.strength_param)
        current = final.invariance
    elif isinstance(final, BaseInvariantEstimator) and final._strength_param is not None:
        name = final._strength_param
        default = getattr(type(final)(), name)
        current = getattr(final, name)
    else:
        raise ValueError(NO_STRENGTH.format(estimator=type(estimator).__name__))
    if isinstance(current, numbers.Real) and np.isfinite(current) and current > 0:
        default = current
    return {prefix + name: [0.0, *(float(default) * f for f in _STRENGTH_FACTORS)]}


def _bisected(strengths, feasible, index):
    """The strength halfway, in log scale, between the pick ``strengths[index]`` (feasible)
    and the largest infeasible strength below it: where a weaker, more accurate candidate
    may still meet the bound. None when the pick is infeasible, has no positive infeasible
    strength below it, or the midpoint is already a candidate.

    Examples
    --------
    >>> from fairrep.model_selection import _bisected
    >>> round(_bisected([0.0, 10.0, 30.0, 100.0], [False, False, True, True], 2), 2)
    17.32
    >>> _bisected([0.0, 10.0, 30.0], [False, True, True], 1) is None  # only 0 below
    True
    """
    strengths = np.asarray(strengths, dtype=float)
    feasible = np.asarray(feasible, dtype=bool)
    pick = strengths[index]
    below = strengths[(strengths < pick) & ~feasible & (strengths > 0)]
    if not feasible[index] or below.size == 0:
        return None
    between = float(np.sqrt(pick * below.max()))
    return None if np.isclose(strengths, between).any() else between


def _s_key(estimator, routed):
    """The name under which ``s`` reaches ``estimator.fit`` (None: not at all).

    With metadata routing, ``routed`` holds the fit parameters the estimator requested;
    without, a fairrep estimator takes ``s=`` and a Pipeline ``<laststep>__s=``.
    """
    if routed is not None:
        return "s" if "s" in routed else None
    return f"{estimator.steps[-1][0]}__s" if isinstance(estimator, Pipeline) else "s"


def _fit_and_evaluate(estimator, params, X, y, s, s_key, fit_params, train, test, scorer,
                      constraint, error_score="raise"):
    """Fit a clone with ``params`` on ``train``; (score, constraint, error) on ``test``.

    A fit that raises gives ``(error_score, nan, the error's text)`` unless ``error_score``
    is 'raise' (the error of a fit in a worker process would be lost with a warning there).
    """
    est = clone(estimator).set_params(**params)
    fit_params = _check_method_params(X, fit_params, train)
    if s_key is not None:
        fit_params[s_key] = _safe_indexing(s, train)
    X_test, y_test, s_test = (_safe_indexing(a, test) for a in (X, y, s))
    try:
        est.fit(_safe_indexing(X, train), _safe_indexing(y, train), **fit_params)
    except Exception as exc:
        if isinstance(error_score, str) and error_score == "raise":
            raise
        return float(error_score), np.nan, f"{type(exc).__name__}: {exc}"
    if constraint == "max_correlation":
        value = max_correlation(est.transform(X_test), s_test, random_state=_RHO_SEED)
    else:
        metric = _PREDICTION_CONSTRAINTS.get(constraint)
        y_pred = est.predict(X_test)
        value = (metric(y_test, y_pred, s=s_test) if metric is not None
                 else constraint(y_test, y_pred, s_test))
    return float(scorer(est, X_test, y_test)), float(value), None


def _best_has(attr):
    def check(self):
        best = getattr(self, "best_estimator_", None)
        return hasattr(self.estimator if best is None else best, attr)

    return check


class ConstrainedSearchCV(MetaEstimatorMixin, BaseEstimator):
    """Most accurate parameter setting whose held-out fairness gap stays within a bound.

    Every candidate of ``param_grid`` is fitted on the training part of each cross-validation
    fold and evaluated on the held-out part twice: with ``scoring`` and with ``constraint``
    (measured against that fold's ``s``). The candidate refitted on all the data is the one
    with the best mean score among those whose mean constraint is <= ``bound``; when no
    candidate is feasible, the one with the smallest mean constraint is refitted and a
    :class:`~fairrep.ConstraintNotMetWarning` names the bound, the smallest constraint and
    what to try.

    Parameters
    ----------
    estimator : estimator
        A fairrep estimator, a :class:`~sklearn.pipeline.Pipeline` whose last step is one, or
        any estimator whose ``fit`` takes ``s`` (then ``param_grid`` is needed).
    param_grid : dict, list of dict or None, default=None
        As :class:`~sklearn.model_selection.GridSearchCV`'s. None sweeps the estimator's
        strength parameter: ``0`` and its default times 0.1, 0.3, 1, 3 and 10 (6 values),
        then ``refine`` more (see there).
        The parameter is the class attribute ``_strength_param`` of a fairrep estimator
        (``adversary_weight`` for :class:`~fairrep.ForgettingClassifier`), ``invariance`` for
        :class:`~fairrep.InvariantClassifier` / :class:`~fairrep.InvariantTransformer`
        (default: the method's, ``fairrep.methods.get_method(method).strength_param``), and
        ``<laststep>__<param>`` for a Pipeline. A strength already set to a positive value
        replaces the default. Methods whose strength has a lower bound (``'cpvae'``, alpha
        >= 1) need an explicit ``param_grid``.
    constraint : {'demographic_parity', 'equalized_odds', 'max_correlation'} or callable, \
default='demographic_parity'
        The quantity kept <= ``bound``, lower meaning fairer:
        :func:`fairrep.metrics.demographic_parity_difference` or
        :func:`fairrep.metrics.equalized_odds_difference` of ``predict(X_test)`` (labels in
        {0, 1}, {False, True} or {-1, 1}; for others use a callable), or rho*,
        :func:`fairrep.metrics.max_correlation` between ``transform(X_test)`` and ``s``
        (no predictions: the constraint for transformers; seeded with 0 on every fold). A
        callable is called as ``constraint(y_true, y_pred, s)`` on each held-out fold.
    bound : float, default=0.05
        Largest acceptable mean constraint over the folds.
    scoring : str or callable, default='accuracy'
        One scorer (see :func:`sklearn.metrics.get_scorer`), higher is better; for a
        transformer (which has no ``score``), a callable ``scoring(estimator, X, y)``.
    cv : int, cross-validation generator or iterable, default=5
        As for :func:`sklearn.model_selection.check_cv`: an int gives stratified folds for a
        classifier.
    n_jobs : int or None, default=None
        Parallel (candidate, fold) fits through :class:`joblib.Parallel`, so that a joblib
        backend such as Dask's (``joblib.parallel_backend('dask')``) distributes them.
    refit : bool, default=True
        Refit the selected candidate on all the data (with ``s``). False leaves no
        ``best_estimator_`` (and so no ``predict``).
    error_score : 'raise' or float, default=np.nan
        The score of a fit that raises (a candidate whose training diverges, say), as in
        scikit-learn's searches: its constraint is then NaN, so the candidate is never
        selected, and a ``FitFailedWarning`` gives the first error. 'raise' re-raises it.
        When every fit fails, ``fit`` raises a ``ValueError``.
    verbose : int, default=0
        Prints the number of fits, and is passed on to :class:`joblib.Parallel`.
    refine : int, default=2
        With ``param_grid=None``, after the grid: up to this many more strengths, each
        halfway (in log scale) between the current pick and the largest infeasible strength
        below it, where a weaker and so more accurate candidate may still meet the bound
        (a bisection of the feasible boundary; the grid's steps are factors of about 3).
        Each is evaluated on the same folds and joins ``cv_results_`` and ``frontier_``.
        0 evaluates the grid only; ignored with an explicit ``param_grid``.

    Attributes
    ----------
    best_estimator_ : estimator
        The selected candidate refitted on all the data (only with ``refit=True``).
    best_params_ : dict
    best_index_ : int
        Index of the selected candidate in ``cv_results_['params']``.
    cv_results_ : dict of ndarray
        ``params``, ``mean_test_score``, ``std_test_score``, ``mean_test_constraint``,
        ``std_test_constraint``, ``split{k}_test_score``, ``split{k}_test_constraint`` and
        ``feasible`` (mean constraint <= ``bound``), one entry per candidate.
    frontier_ : pandas.DataFrame
        One row per candidate: its parameters as columns, ``mean_test_score``,
        ``std_test_score``, ``mean_test_constraint``, ``std_test_constraint``, ``feasible``
        and ``pareto`` (no other candidate has a higher or equal score with a lower or equal
        constraint, one of them strictly).
    n_splits_ : int

    See Also
    --------
    sklearn.model_selection.GridSearchCV : Selection by one score (or a refit callable).
    fairrep.metrics.demographic_parity_difference : The default constraint.

    Notes
    -----
    **How s reaches the folds.** ``s`` is an argument of :meth:`fit` itself. The search runs
    its own (candidate, fold) loop (:func:`sklearn.base.clone`,
    :func:`sklearn.model_selection.check_cv` and :class:`joblib.Parallel`) rather than
    subclassing scikit-learn's ``BaseSearchCV``, because the constraint needs the held-out
    fold's ``s``, which ``BaseSearchCV`` would only hand to scorers through metadata routing;
    here every fit and every evaluation index ``X``, ``y``, ``s`` and the other fit
    parameters with the same fold indices, with or without routing. The fit of each
    candidate receives the training part of ``s``:

    - without metadata routing, as ``s=`` for a fairrep estimator and as
      ``<laststep>__s=`` for a Pipeline (other fit parameters are passed as given, e.g.
      ``<step>__<param>=`` for a Pipeline);
    - with ``sklearn.set_config(enable_metadata_routing=True)``, ``s`` and the other fit
      parameters are routed to ``estimator.fit`` as requested: set
      ``set_fit_request(s=True)`` on the fairrep estimator (inside its Pipeline); with
      ``s=False`` the candidates are fitted without ``s``, still evaluated with it.

    The scorer is called as ``scorer(estimator, X_test, y_test)``. Each candidate is fitted
    with the estimator's own ``random_state``: with an int, results are deterministic, and
    ``n_jobs`` does not change them.

    Examples
    --------
    >>> import numpy as np
    >>> from fairrep import MMDClassifier
    >>> from fairrep.model_selection import ConstrainedSearchCV
    >>> rng = np.random.RandomState(0)
    >>> s = rng.randint(0, 2, 120)
    >>> X = np.c_[rng.normal(size=(120, 2)), s + 0.3 * rng.normal(size=120)]
    >>> y = (X[:, 0] + s > 0.5).astype(int)
    >>> clf = MMDClassifier(max_epochs=2, hidden_layer_sizes=(8,), batch_size=64,
    ...                     random_state=0)
    >>> search = ConstrainedSearchCV(clf, {"mmd_weight": [0.0, 10.0]}, bound=0.5, cv=2)
    >>> search = search.fit(X, y, s=s)
    >>> sorted(search.cv_results_["params"][0])
    ['mmd_weight']
    >>> search.frontier_.shape[0], search.predict(X).shape
    (2, (120,))
    """

    _required_parameters = ["estimator"]
    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit"])],
        "param_grid": [dict, list, None],
        "constraint": [StrOptions(set(_CONSTRAINTS)), callable],
        "bound": [NON_NEGATIVE],
        "scoring": [StrOptions(set(get_scorer_names())), callable, None],
        "cv": ["cv_object"],
        "n_jobs": [numbers.Integral, None],
        "refit": ["boolean"],
        "verbose": ["verbose"],
        "error_score": [StrOptions({"raise"}), numbers.Real],
        "refine": [Number(numbers.Integral, 0, None, closed="left")],
    }

    def __init__(self, estimator, param_grid=None, *, constraint="demographic_parity",
                 bound=0.05, scoring="accuracy", cv=5, n_jobs=None, refit=True, verbose=0,
                 error_score=np.nan, refine=2):
        _store(self, locals())

    def _check_params(self):
        name = type(self.estimator).__name__
        # _parameter_constraints take any Real, True included, where nan is the default
        if not ((isinstance(self.error_score, str) and self.error_score == "raise")
                or (isinstance(self.error_score, numbers.Real)
                    and not isinstance(self.error_score, bool))):
            raise ValueError(ERROR_SCORE_INVALID.format(value=self.error_score))
        if self.constraint == "max_correlation":
            if not hasattr(self.estimator, "transform"):
                raise ValueError(NO_TRANSFORM.format(estimator=name))
        elif not hasattr(self.estimator, "predict"):
            raise ValueError(NO_PREDICT.format(constraint=self.constraint, estimator=name))
        grid = _strength_grid(self.estimator) if self.param_grid is None else self.param_grid
        return list(ParameterGrid(grid))

    @_fit_context(prefer_skip_nested_validation=False)  # the estimator checks its own
    def fit(self, X, y, s=None, **fit_params):
        """Evaluate every candidate on the folds, select under the bound and refit it.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        s : array-like of shape (n_samples,) or (n_samples, n_attributes)
            The sensitive attribute: split with ``X`` and ``y``, passed to each fit (see
            Notes) and used by ``constraint`` on the held-out folds.
        **fit_params : dict
            Further parameters of ``estimator.fit``; array-likes of length ``n_samples``
            are split with the folds.

        Returns
        -------
        self : object
        """
        candidates = self._check_params()
        if s is None:
            raise ValueError(S_REQUIRED)
        X, y, s = indexable(X, y, s)
        routed = None
        if _routing_enabled():
            routed = process_routing(self, "fit", s=s, **fit_params).estimator.fit
            # the search splits s itself; the rest is what the estimator requested
            fit_params = {k: v for k, v in routed.items() if k != "s"}
        s_key = _s_key(self.estimator, routed)
        cv = check_cv(self.cv, y, classifier=is_classifier(self.estimator))
        folds = list(cv.split(X, y))
        scorer = check_scoring(self.estimator, scoring=self.scoring)
        if self.verbose > 0:
            print(f"Fitting {len(folds)} folds for each of {len(candidates)} candidates, "
                  f"totalling {len(folds) * len(candidates)} fits")
        def evaluate(params_list):
            return Parallel(n_jobs=self.n_jobs, verbose=self.verbose)(
                delayed(_fit_and_evaluate)(self.estimator, params, X, y, s, s_key,
                                           fit_params, train, test, scorer, self.constraint,
                                           self.error_score)
                for params in params_list for train, test in folds)

        def fold_values():  # (candidate, fold, score / constraint)
            return np.asarray([r[:2] for r in results], dtype=float).reshape(
                len(candidates), len(folds), 2)

        results = evaluate(candidates)
        for _ in range(self.refine if self.param_grid is None else 0):
            means = fold_values().mean(axis=1)
            index, feasible = select_candidate(means[:, 0], means[:, 1], self.bound)
            (name,) = candidates[0]
            between = _bisected([c[name] for c in candidates], feasible, index)
            if between is None:
                break
            candidates.append({name: between})
            results += evaluate(candidates[-1:])
        self._warn_failed(results, [p for p in candidates for _ in folds])
        values = fold_values()
        cv_results = {"params": candidates}
        for key, column in (("score", 0), ("constraint", 1)):
            for k in range(len(folds)):
                cv_results[f"split{k}_test_{key}"] = values[:, k, column]
            cv_results[f"mean_test_{key}"] = values[:, :, column].mean(axis=1)
            cv_results[f"std_test_{key}"] = values[:, :, column].std(axis=1)
        index, feasible = select_candidate(
            cv_results["mean_test_score"], cv_results["mean_test_constraint"], self.bound)
        cv_results["feasible"] = feasible
        if not feasible.any():
            warnings.warn(NOT_MET.format(best=cv_results["mean_test_constraint"][index],
                                         bound=self.bound, params=candidates[index]),
                          ConstraintNotMetWarning, stacklevel=2)
        frontier = pd.DataFrame(candidates)
        for key in ("mean_test_score", "std_test_score", "mean_test_constraint",
                    "std_test_constraint", "feasible"):
            frontier[key] = cv_results[key]
        frontier["pareto"] = _pareto(cv_results["mean_test_score"],
                                     cv_results["mean_test_constraint"])
        if self.refit:
            best = clone(self.estimator).set_params(**candidates[index])
            s_param = {} if s_key is None else {s_key: s}
            self.best_estimator_ = best.fit(X, y, **fit_params, **s_param)
        self.best_index_ = index
        self.best_params_ = candidates[index]
        self.cv_results_ = cv_results
        self.frontier_ = frontier
        self.n_splits_ = len(folds)
        return self

    def _warn_failed(self, results, params):
        """FitFailedWarning for the fits that raised (ValueError when all did)."""
        failed = [(p, r[2]) for p, r in zip(params, results) if r[2] is not None]
        if not failed:
            return
        if len(failed) == len(results):
            raise ValueError(ALL_FAILED.format(params=failed[0][0], error=failed[0][1]))
        warnings.warn(FIT_FAILED.format(n_failed=len(failed), n_fits=len(results),
                                        error_score=self.error_score, params=failed[0][0],
                                        error=failed[0][1]), FitFailedWarning, stacklevel=3)

    def get_metadata_routing(self):
        """Metadata routing: ``s`` is used here and, with the rest, routed to ``estimator.fit``.

        Returns
        -------
        routing : MetadataRouter
        """
        # the search consumes s itself (the constraint), and routes it as requested
        return MetadataRouter(owner=type(self).__name__).add_self_request(self).add(
            estimator=self.estimator, method_mapping=MethodMapping().add(caller="fit",
                                                                         callee="fit"))

    def plot_frontier(self, ax=None):
        """Mean score against mean constraint of every candidate, the pick highlighted.

        Needs matplotlib (``pip install 'fairrep[bench]'``).

        Parameters
        ----------
        ax : matplotlib Axes or None, default=None
            Where to draw; None makes a new figure.

        Returns
        -------
        ax : matplotlib Axes
        """
        check_is_fitted(self, "frontier_")
        try:
            import matplotlib.pyplot as plt
        except ImportError as exc:
            raise ImportError(MATPLOTLIB_MISSING) from exc
        if ax is None:
            _, ax = plt.subplots()
        f = self.frontier_
        ax.errorbar(f["mean_test_constraint"], f["mean_test_score"],
                    xerr=f["std_test_constraint"], yerr=f["std_test_score"], fmt="o",
                    color="tab:blue", alpha=0.6, label="candidates")
        front = f[f["pareto"]].sort_values("mean_test_constraint")
        ax.plot(front["mean_test_constraint"], front["mean_test_score"], "-",
                color="tab:blue", label="Pareto front")
        ax.axvline(self.bound, color="tab:red", linestyle="--", label=f"bound={self.bound:g}")
        best = f.iloc[self.best_index_]
        ax.plot(best["mean_test_constraint"], best["mean_test_score"], "*", color="tab:orange",
                markersize=16, label="selected")
        names = [v if isinstance(v, str) else default for v, default in
                 ((self.constraint, "constraint"), (self.scoring, "score"))]
        ax.set_xlabel(f"mean held-out {names[0]}")
        ax.set_ylabel(f"mean held-out {names[1]}")
        ax.legend()
        return ax

    @property
    def classes_(self):
        """Class labels of the refitted estimator."""
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_.classes_

    @available_if(_best_has("predict"))
    def predict(self, X):
        """``best_estimator_.predict(X)``."""
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_.predict(X)

    @available_if(_best_has("predict_proba"))
    def predict_proba(self, X):
        """``best_estimator_.predict_proba(X)``."""
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_.predict_proba(X)

    @available_if(_best_has("transform"))
    def transform(self, X):
        """``best_estimator_.transform(X)``."""
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_.transform(X)

    @available_if(_best_has("score"))
    def score(self, X, y=None, **params):
        """``best_estimator_.score(X, y, **params)``."""
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_.score(X, y, **params)
