"""``python -m fairrep benchmark --frontier``: accuracy against fairness over each strength.

For each data set x method x strength x seed the method's classifier is fitted with ``s`` on
the training split of the benchmark (the loaders of :data:`fairrep.benchmark.DATASETS`), its
strength parameter set to one value of the grid that
:class:`fairrep.model_selection.ConstrainedSearchCV` sweeps with ``param_grid=None``: 0 and
the default strength times 0.1, 0.3, 1, 3 and 10. On the test split each fit gives

- ``A_y``: accuracy of its predictions;
- ``DP_gap`` and ``EO_gap``: demographic-parity and equalized-odds differences of its
  predictions across ``s``;
- ``rho_s``: held-out maximal correlation rho*(Z; s) of its representation of the test rows,
  as the benchmark table measures it (empty for an estimator without ``transform``);
- ``fit_s``: seconds of ``fit``;
- ``constant``: 1 when every test prediction is one class: a majority-class model, whose
  DP_gap of 0 costs the accuracy above the majority share.

When fairlearn is installed, two of its estimators add points: ``fairlearn_reduction``,
``ExponentiatedGradient(LogisticRegression(max_iter=1000),
DemographicParity(difference_bound=b))`` for b in :data:`DIFFERENCE_BOUNDS`, and
``fairlearn_adversarial``, the benchmark's ``AdversarialFairnessClassifier`` (30 epochs, 256
rows a batch) at the adversary weights alpha of :data:`ADVERSARY_ALPHAS`. Neither has a
representation, so neither has ``rho_s``.

``frontier_runs.csv`` holds one row per fit. ``frontier.csv`` holds one row per data set x
method x strength, the mean over seeds, and marks the Pareto front of each data set:
``pareto`` when no other point has an ``A_y`` >= and a ``DP_gap`` <= its own, one of them
strictly; ``pareto_rho`` the same with ``rho_s`` in place of ``DP_gap``. ``frontier.md``
holds the front against ``DP_gap`` as a table (:func:`front_markdown`).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd

from ..exceptions import TrainingDivergedError
from ..methods import available_methods, get_method
from ..model_selection import _pareto, _strength_grid
from ._run import (DATASETS, FAIRLEARN, FULL_EPOCHS, _check_choices, _has_fairlearn,
                   _method_estimator, evaluate_representation, fairlearn_adversarial,
                   prediction_figures)

#: Data sets of the frontier (a binary y, for the parity gaps), and those of ``quick``.
FRONTIER_DATASETS = ("adult", "german")
QUICK_DATASETS = ("german",)
#: Epochs of every network in a ``quick`` run (FULL_EPOCHS otherwise).
QUICK_EPOCHS = 10
#: fairlearn's reductions approach: ExponentiatedGradient under DemographicParity.
FAIRLEARN_REDUCTION = "fairlearn_reduction"
DIFFERENCE_BOUNDS = (0.01, 0.02, 0.05, 0.1)
ADVERSARY_ALPHAS = (0.1, 1.0, 10.0)
FAIRLEARN_EPOCHS, FAIRLEARN_BATCH = 30, 256

FIGURES = ["A_y", "DP_gap", "EO_gap", "rho_s", "fit_s", "constant"]
POINT = ["dataset", "method", "strength_param", "strength"]
#: Columns of ``frontier_runs.csv`` and of ``frontier.csv``.
RUN_COLUMNS = [*POINT, "seed", "epochs", "quick", *FIGURES]
FRONT_COLUMNS = [*POINT, *FIGURES, "A_y_std", "DP_gap_std", "n_seeds", "pareto", "pareto_rho"]

DATASET_NOT_BINARY = ("--frontier got --datasets {value!r}; it needs a binary task for the "
                      "parity gaps: choose from {choices}.")
METHOD_NOT_SWEPT = ("--frontier got --methods {value!r}, which has no classifier with a "
                    "strength to sweep; choose from {choices}.")
FAIRLEARN_MISSING = "{method} needs fairlearn: pip install fairlearn"


def frontier_methods():
    """The registered methods whose classifier takes ``s`` and has a strength to sweep."""
    return [name for name in available_methods() if get_method(name).classifier is not None]


def default_frontier_methods():
    """:func:`frontier_methods`, and fairlearn's two estimators when it is installed."""
    return frontier_methods() + ([FAIRLEARN_REDUCTION, FAIRLEARN] if _has_fairlearn() else [])


def _network(method, data, *, epochs, seed):
    clf, _ = _method_estimator(method, max_epochs=epochs, batch_size="auto", random_state=seed,
                               params=data.params.get(method, {}))
    return clf


def _grid(method, data, *, epochs):
    """``(parameter name, values)`` swept for ``method`` on ``data``."""
    if method == FAIRLEARN_REDUCTION:
        return "difference_bound", list(DIFFERENCE_BOUNDS)
    if method == FAIRLEARN:
        return "alpha", list(ADVERSARY_ALPHAS)
    # ConstrainedSearchCV's default grid, around the strength this data set gives the method
    (name, values), = _strength_grid(_network(method, data, epochs=epochs, seed=0)).items()
    return name.rsplit("__", 1)[-1], [float(v) for v in values]


def exponentiated_gradient(bound):
    """fairlearn's reductions approach at a demographic-parity bound (needs fairlearn):
    ``ExponentiatedGradient(LogisticRegression(max_iter=1000), DemographicParity(bound))``."""
    from fairlearn.reductions import DemographicParity, ExponentiatedGradient
    from sklearn.linear_model import LogisticRegression

    return ExponentiatedGradient(LogisticRegression(max_iter=1000),
                                 DemographicParity(difference_bound=bound))


def _fit_point(data, method, param, strength, *, epochs, seed, rho_iter):
    """The figures of one fit (a row of ``frontier_runs.csv`` without its keys)."""
    if method == FAIRLEARN_REDUCTION:
        clf = exponentiated_gradient(strength)
    elif method == FAIRLEARN:
        clf = fairlearn_adversarial(len(data.X_train), max_epochs=epochs,
                                    batch_size=FAIRLEARN_BATCH, random_state=seed,
                                    alpha=strength)
    else:
        clf = _network(method, data, epochs=epochs, seed=seed).set_params(**{param: strength})
    fit = {"sensitive_features" if method in (FAIRLEARN_REDUCTION, FAIRLEARN) else "s":
           data.s_train}
    start = time.perf_counter()
    clf.fit(data.X_train, data.y_train, **fit)
    fit_s = time.perf_counter() - start
    if method == FAIRLEARN_REDUCTION:  # a randomised mixture of classifiers: seed its draws
        row = prediction_figures(data, clf.predict(data.X_test, random_state=seed))
    elif method == FAIRLEARN:
        row = prediction_figures(data, clf.predict(data.X_test))
    else:
        row = evaluate_representation(clf, data, random_state=seed, rho_iter=rho_iter,
                                      probe=False)
    return {**row, "rho_s": row.get("rho_s", np.nan), "fit_s": fit_s}


def mark_front(points, *, score="A_y", gap="DP_gap", by="dataset"):
    """Whether each point is on the Pareto front of its ``by`` group.

    A point is on the front when no other point of its group has a ``score`` >= and a
    ``gap`` <= its own, one of them strictly (equal points are all on it). Points whose
    ``score`` or ``gap`` is missing are off the front and do not count.

    Parameters
    ----------
    points : pandas.DataFrame
        With the columns ``score``, ``gap`` and ``by``.

    Returns
    -------
    pandas.Series of bool, indexed like ``points``.

    Examples
    --------
    >>> import pandas as pd
    >>> from fairrep.benchmark._frontier import mark_front
    >>> points = pd.DataFrame({"dataset": "german", "A_y": [0.80, 0.75, 0.70, 0.74],
    ...                        "DP_gap": [0.10, 0.02, 0.00, 0.05]})
    >>> mark_front(points).tolist()
    [True, True, True, False]
    """
    front = pd.Series(False, index=points.index)
    for _, group in points.groupby(by, sort=False):
        group = group[group[[score, gap]].notna().all(axis=1)]
        front.loc[group.index] = _pareto(group[score], group[gap])
    return front


def frontier_table(runs):
    """One row per data set x method x strength: means over seeds, the fronts marked.

    A fit whose training diverged (its figures missing, see :func:`diverged_points`) is left
    out: ``n_seeds`` counts the fits that finished, and a point none of whose fits finished
    has no row.
    """
    runs = runs[runs["A_y"].notna()]
    grouped = runs.groupby(POINT, sort=False)
    table = grouped[FIGURES].mean()
    table["A_y_std"] = grouped["A_y"].std(ddof=0)
    table["DP_gap_std"] = grouped["DP_gap"].std(ddof=0)
    table["n_seeds"] = grouped.size()
    table = table.reset_index()
    table["pareto"] = mark_front(table)
    table["pareto_rho"] = mark_front(table, gap="rho_s")
    return table[FRONT_COLUMNS]


CONSTANT_FRONT = (
    "{dataset}: {n} more point(s) on the front predict one class for every test row in every "
    "seed (A_y {accuracy:.3f}, the majority share; DP_gap 0): {methods}.")


def format_front(table):
    """The points on each data set's front (A_y against DP_gap) as a Markdown table.

    Majority-class points (``constant`` 1) are summed up in one line per data set below it.
    """
    lines = ["| dataset | method | strength | A_y | DP_gap | EO_gap | rho_s |",
             "|---|---|---|---|---|---|---|"]
    front = table[table["pareto"]].sort_values(["dataset", "DP_gap"], kind="stable")
    constant = front["constant"] >= 1
    for _, row in front[~constant].iterrows():
        cells = ["–" if pd.isna(row[c]) else f"{row[c]:.3f}"
                 for c in ("A_y", "DP_gap", "EO_gap", "rho_s")]
        lines.append(f"| {row['dataset']} | {row['method']} | {row['strength_param']}="
                     f"{row['strength']:g} | " + " | ".join(cells) + " |")
    notes = [CONSTANT_FRONT.format(
        dataset=dataset, n=len(points), accuracy=points["A_y"].iloc[0],
        methods=", ".join(f"{m} ({k})" for m, k in points["method"].value_counts(
            sort=False).items()))
        for dataset, points in front[constant].groupby("dataset", sort=False)]
    return "\n".join(lines + ([""] + [f"- {note}" for note in notes] if notes else []))


def _fit_label(dataset, method, param, strength, seed):
    """How the printout, the progress bar and ``frontier.md`` name one fit."""
    return f"{dataset} / {method} {param}={strength:g} / seed {seed}"


def diverged_points(runs):
    """One line per fit of ``runs`` whose training diverged (its figures missing)."""
    failed = runs[runs["A_y"].isna()]
    return [_fit_label(r.dataset, r.method, r.strength_param, r.strength, r.seed)
            for r in failed.itertuples()]


def front_markdown(table, head, diverged=()):
    """``frontier.md``: the provenance ``head`` as a comment, then :func:`format_front` of
    ``table`` and what its figures are, and the fits that ``diverged`` (left out)."""
    seeds = ", ".join(f"{dataset} {int(n)}" for dataset, n in
                      table.groupby("dataset", sort=False)["n_seeds"].max().items())
    return "\n".join([
        "<!-- " + " | ".join(head.strip().splitlines()) + " -->", "",
        "The Pareto front of test accuracy (A_y) against the demographic-parity gap of the "
        "predictions (DP_gap): the points no other point beats on both. Means over seeds "
        f"(seeds per data set: {seeds}); EO_gap: the equalized-odds gap; rho_s: rho*(Z; s) of "
        "the representation (– for fairlearn's models, which have none). Every point, front "
        "or not, is in frontier.csv.", "",
        format_front(table), "",
        *([f"Left out, training diverged (TrainingDivergedError): {'; '.join(diverged)}.", ""]
          if diverged else [])])


def _run_key(dataset, method, strength, seed):
    return dataset, method, float(f"{float(strength):.12g}"), int(seed)


def _same_epochs(a, b):
    return (pd.isna(a) and pd.isna(b)) or (not pd.isna(a) and not pd.isna(b) and a == b)


def _finished_runs(path, jobs, quick):
    """The rows of ``path`` that are runs of ``jobs`` with these settings, ``key -> row``,
    and the list of the other rows."""
    from ._provenance import read_csv

    if not path.exists():
        return {}, []
    rows = read_csv(path).to_dict("records")
    if not set(RUN_COLUMNS) <= set(rows[0] if rows else {}):
        return {}, rows
    epochs = {_run_key(d, m, v, s): e for d, m, _, v, s, e in jobs}
    done, others = {}, []
    for row in rows:
        key = _run_key(row["dataset"], row["method"], row["strength"], row["seed"])
        if (key in epochs and bool(row["quick"]) == bool(quick)
                and _same_epochs(row["epochs"], epochs[key])):
            done[key] = row
        else:
            others.append(row)
    return done, others


def run_frontier(*, methods=None, datasets=None, seeds=(0,), quick=False, max_epochs=None,
                 output=None, plots=None, progress=True, resume=False, command=None,
                 print_fn=print):
    """Sweep each method's strength on each data set; return the fits and the fronts.

    Parameters
    ----------
    methods : sequence of str or None
        Names of :func:`frontier_methods` and/or ``'fairlearn_reduction'`` /
        ``'fairlearn_adversarial'`` (both need fairlearn); None runs
        :func:`default_frontier_methods`.
    datasets : sequence of str or None
        Of :data:`FRONTIER_DATASETS`; None gives all of them, or :data:`QUICK_DATASETS` with
        ``quick``.
    seeds : sequence of int
        Each seed refits every point (and draws the subsample in ``quick`` mode).
    quick : bool
        The benchmark's small subsamples and :data:`QUICK_EPOCHS` epochs: German alone by
        default, about a minute on one CPU thread.
    max_epochs : int or None
        Epochs of every network, fairlearn's adversarial one included (default:
        ``FULL_EPOCHS``, ``QUICK_EPOCHS`` with ``quick``; 30 for fairlearn's).
    output : str or Path or None
        Directory for ``frontier_runs.csv`` (one row per fit, written as each ends),
        ``frontier.csv`` (one row per point, the fronts marked) and ``frontier.md`` (the
        front as a table), each under a header naming ``command``, the date, the machine and
        the package versions.
    plots : str or Path or None
        Directory for ``frontier_<dataset>.png``: A_y against DP_gap and against rho_s, the
        front drawn as a step line. They need matplotlib; without it an ``ImportError`` is
        raised before any training.
    progress : bool
        A progress bar over fits.
    resume : bool
        Keep the fits already in ``output/frontier_runs.csv`` made with these settings (data
        set, method, strength, seed, epochs, ``quick``) and fit only the missing ones; the
        file's other rows stay in it but not in the returned tables.
    command : str or None
        The command named in the files' header (default: this function's call).

    Returns
    -------
    runs : pandas.DataFrame
        One row per fit, the columns :data:`RUN_COLUMNS`.
    table : pandas.DataFrame
        One row per data set x method x strength, the columns :data:`FRONT_COLUMNS`.
    """
    methods = list(default_frontier_methods() if methods is None else methods)
    datasets = list((QUICK_DATASETS if quick else FRONTIER_DATASETS) if datasets is None
                    else datasets)
    _check_choices(methods, [*frontier_methods(), FAIRLEARN_REDUCTION, FAIRLEARN],
                   METHOD_NOT_SWEPT)
    _check_choices(datasets, list(FRONTIER_DATASETS), DATASET_NOT_BINARY)
    for method in (FAIRLEARN_REDUCTION, FAIRLEARN):
        if method in methods and not _has_fairlearn():
            raise ValueError(FAIRLEARN_MISSING.format(method=method))
    if resume and output is None:
        raise ValueError("resume=True needs output: the directory whose frontier_runs.csv "
                         "to resume.")
    if plots is not None:  # before any training, not after it
        from ._plots import MATPLOTLIB_MISSING, has_matplotlib

        if not has_matplotlib():
            raise ImportError(MATPLOTLIB_MISSING)
    from ._provenance import header, write_csv

    if command is None:
        command = (f"run_frontier(methods={methods}, datasets={datasets}, seeds={list(seeds)}, "
                   f"quick={quick}, max_epochs={max_epochs})")
    head = header(command)
    epochs = max_epochs or (QUICK_EPOCHS if quick else FULL_EPOCHS)
    cache = {}

    def load(dataset, seed):
        key = (dataset, seed if quick else 0)
        if key not in cache:
            cache[key] = DATASETS[dataset](quick, seed)
        return cache[key]

    jobs = []  # (dataset, method, parameter, strength, seed, epochs)
    for dataset in datasets:
        for method in methods:
            method_epochs = {FAIRLEARN_REDUCTION: np.nan,
                             FAIRLEARN: max_epochs or FAIRLEARN_EPOCHS}.get(method, epochs)
            param, values = _grid(method, load(dataset, seeds[0]), epochs=epochs)
            jobs += [(dataset, method, param, value, seed, method_epochs)
                     for value in values for seed in seeds]
    runs_csv = None if output is None else Path(output) / "frontier_runs.csv"
    done, others = _finished_runs(runs_csv, jobs, quick) if resume else ({}, [])
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(jobs), desc="frontier", leave=False)
    rows, unvisited = [], dict(done)
    for dataset, method, param, value, seed, method_epochs in jobs:
        key = _run_key(dataset, method, value, seed)
        if key in done:
            rows.append(unvisited.pop(key))
        else:
            if bar is not None:
                bar.set_postfix_str(_fit_label(dataset, method, param, value, seed))
            try:
                figures = _fit_point(load(dataset, seed), method, param, value,
                                     epochs=method_epochs, seed=seed,
                                     rho_iter=200 if quick else 500)
            except TrainingDivergedError as error:
                # one point of a long sweep: recorded without figures (so --resume does not
                # fit it again), left out of the table and named in the printout
                figures = {name: np.nan for name in FIGURES}
                print_fn(f"{_fit_label(dataset, method, param, value, seed)}: training "
                         f"diverged ({error})")
            rows.append({"dataset": dataset, "method": method, "strength_param": param,
                         "strength": value, "seed": seed, "epochs": method_epochs,
                         "quick": bool(quick), **figures})
            if runs_csv is not None:  # every finished fit is on disk
                runs_csv.parent.mkdir(parents=True, exist_ok=True)
                write_csv(pd.DataFrame(others + rows + list(unvisited.values()),
                                       columns=RUN_COLUMNS), runs_csv, head)
        if bar is not None:
            bar.update()
    if bar is not None:
        bar.close()
    runs = pd.DataFrame(rows, columns=RUN_COLUMNS)
    table = frontier_table(runs)
    print_fn(format_front(table))
    diverged = diverged_points(runs)
    if diverged:
        print_fn(f"left out, training diverged: {'; '.join(diverged)}")
    if output is not None:
        out = Path(output)
        out.mkdir(parents=True, exist_ok=True)
        write_csv(pd.DataFrame(others + rows, columns=RUN_COLUMNS), runs_csv, head)
        write_csv(table, out / "frontier.csv", head)
        (out / "frontier.md").write_text(front_markdown(table, head, diverged))
        print_fn(f"wrote {runs_csv}, {out / 'frontier.csv'} and {out / 'frontier.md'}")
    if plots is not None:
        from ._plots import frontier_plots

        written = frontier_plots(table, plots)
        print_fn(f"wrote {', '.join(str(path) for path in written)}")
    return runs, table
