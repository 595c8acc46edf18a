"""``python -m fairrep benchmark``: every method, measured the same way on the same data.

For each data set x method x seed the method's classifier is fitted on the training split
with ``s``; on the test split the table reports

- ``A_y``: test accuracy of the method's own predictor of y;
- ``A_s``: test accuracy of a post-hoc two-layer MLP probe of ``s`` trained on the frozen
  training representation (the forgetting paper's A_s), next to ``A_s_optimum``, the majority
  share of ``s`` in the test split (the value a perfectly invariant representation gives);
- ``DP_gap``: demographic parity difference of the predictions across ``s`` (binary y);
- ``EO_gap``: equalized-odds difference of the predictions across ``s`` (binary y; in
  ``results.csv``, not in the summary);
- ``rho_s``: held-out maximal correlation rho*(Z; s) by a neural HGR network (Scalable
  Infomin's evaluation);
- ``fit_s``: seconds of ``fit``;
- ``constant``: in how many seeds every test prediction is the same class (a majority-class
  model, whose A_y is the majority share and whose DP_gap of 0 means nothing); the Markdown
  table marks such rows and says so below it.

A ``plain`` row (the forgetting network with every invariance device off, trained without
``s``) is the non-invariant reference, and, when fairlearn is installed, fairlearn's
``AdversarialFairnessClassifier`` is a peer row (it has no representation, so only A_y and
DP_gap).
"""

from __future__ import annotations

import inspect
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .._inputs import auto_batch_rows
from ..methods import available_methods, get_method
from ..metrics import (demographic_parity_difference, equalized_odds_difference,
                       invariance_report, majority_share)

METHOD_UNKNOWN = (
    "--methods got {value!r}, which is neither a registered method nor a reference row; "
    "choose from {choices}."
)
DATASET_UNKNOWN = "--datasets got {value!r}; choose from {choices}."

#: Reference rows that are not registered methods.
PLAIN = "plain"
FAIRLEARN = "fairlearn_adversarial"


@dataclass
class BenchmarkData:
    """A data set with the protocol's train/test split."""

    name: str
    X_train: np.ndarray
    y_train: np.ndarray
    s_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    s_test: np.ndarray
    description: str = ""
    #: Per-method constructor parameters that differ from the method's defaults on this data.
    params: dict = field(default_factory=dict)


#: Epochs of a ``--quick`` run per data set (small data sets afford more); 30 otherwise.
QUICK_EPOCHS = {"adult": 5, "german": 30, "rotated_digits": 30}
FULL_EPOCHS = 30


def _epochs(dataset, quick, max_epochs):
    return max_epochs or (QUICK_EPOCHS[dataset] if quick else FULL_EPOCHS)


def _subsample(X, y, s, n, rng):
    if n is None or X.shape[0] <= n:
        return X, y, s
    idx = np.sort(rng.choice(X.shape[0], size=n, replace=False))
    return X[idx], y[idx], s[idx]


def _tabular(loader, name, quick, random_state, **kw):
    train = loader(subset="train", **kw)
    test = loader(subset="test", **kw)
    rng = np.random.RandomState(random_state)
    n_train, n_test = (2000, 1000) if quick else (None, None)
    X, y, s = _subsample(train.data, train.target, train.sensitive, n_train, rng)
    Xt, yt, st = _subsample(test.data, test.target, test.sensitive, n_test, rng)
    return BenchmarkData(name, X, y, s, Xt, yt, st,
                         description=f"{name}: s = {kw.get('sensitive')}")


def _adult(quick, random_state):
    from ..datasets import load_adult

    return _tabular(load_adult, "adult", quick, random_state, sensitive="sex")


def _german(quick, random_state):
    from ..datasets import load_german

    return _tabular(load_german, "german", quick, random_state, sensitive="sex")


def _rotated_digits(quick, random_state):
    from ..datasets import make_rotated_digits

    data = make_rotated_digits(random_state=0)
    rng = np.random.RandomState(random_state)
    n_train, n_test = (1500, 800) if quick else (None, None)
    X, y, s = _subsample(data.data, data.target, data.sensitive, n_train, rng)
    Xt, yt, st = _subsample(data.data_test, data.target_test, data.sensitive_test, n_test, rng)
    # Forgetting on images: a wider code and a coarser precision than the tabular defaults
    # (a sweep over n_components, delta and q; precision 0 leaves A_s at 0.98); delta 3, the
    # best of 0-30 over three seeds of benchmarks/forgetting_rotated.py (delta 10 lost A_y).
    # HSIC and MMD at their tabular strengths (10 and 1) collapse to chance accuracy from the
    # first epoch on two of three seeds here (the penalty's gradient swamps the task's while
    # the code still depends strongly on the angle); at 3 and 0.3 no seed collapses.
    params = {"forgetting": {"n_components": 16, "hidden_layer_sizes": (100,),
                             "adversary_weight": 3.0, "precision": 1.0},
              "hsic": {"hsic_weight": 3.0},
              "mmd": {"mmd_weight": 0.3}}
    return BenchmarkData("rotated_digits", X, y, s.astype(str), Xt, yt, st.astype(str),
                         description="8x8 digits (padded to 12x12) rotated by seen angles; "
                                     "s = angle", params=params)


#: name -> loader(quick, random_state) -> BenchmarkData
DATASETS = {"adult": _adult, "german": _german, "rotated_digits": _rotated_digits}


def _accepted(cls):
    return set(inspect.signature(cls.__init__).parameters) - {"self"}


def _method_estimator(method, *, max_epochs, batch_size, random_state, params):
    """The classifier of a registered method (or the plain reference network)."""
    from ..methods import ForgettingClassifier

    if method == PLAIN:
        return ForgettingClassifier(adversary_weight=0.0, mask_weight=0.0, precision=0.0,
                                    max_epochs=max_epochs, batch_size=batch_size,
                                    random_state=random_state), False
    spec = get_method(method)
    # a method without a predictor of y (the CPVAE) is measured on its transformer's code
    cls = spec.classifier or spec.transformer
    accepted = _accepted(cls)
    kw = {"max_epochs": max_epochs, "batch_size": batch_size, "random_state": random_state}
    kw.update(params)
    return cls(**{k: v for k, v in kw.items() if k in accepted}), True


def fairlearn_adversarial(n_rows, *, max_epochs, batch_size, random_state, alpha=1.0):
    """fairlearn's ``AdversarialFairnessClassifier`` as the table builds it (unfitted).

    ``batch_size='auto'`` gives the rows fairrep's own ``'auto'`` gives ``n_rows`` training
    rows; ``alpha`` is the adversary's weight.
    """
    from fairlearn.adversarial import AdversarialFairnessClassifier

    if batch_size == "auto":
        batch_size = auto_batch_rows(n_rows)
    return AdversarialFairnessClassifier(
        backend="torch", predictor_model=[50, "leaky_relu"], adversary_model=[3, "leaky_relu"],
        alpha=alpha, epochs=max_epochs, batch_size=batch_size, shuffle=True,
        random_state=random_state)


def _fairlearn_row(data, *, max_epochs, batch_size, random_state):
    clf = fairlearn_adversarial(len(data.X_train), max_epochs=max_epochs,
                                batch_size=batch_size, random_state=random_state)
    start = time.perf_counter()
    clf.fit(data.X_train, data.y_train, sensitive_features=data.s_train)
    fit_s = time.perf_counter() - start
    row = prediction_figures(data, clf.predict(data.X_test))
    row.update({"A_s_optimum": majority_share(data.s_test), "fit_s": fit_s})
    return row


def prediction_figures(data, y_pred):
    """A_y, DP_gap, EO_gap and constant of the test predictions ``y_pred`` on ``data``."""
    return {"A_y": float(np.mean(y_pred == data.y_test)), "DP_gap": _group_gap(data, y_pred),
            "EO_gap": _group_gap(data, y_pred, metric=equalized_odds_difference),
            "constant": _constant(y_pred)}


def _group_gap(data, y_pred, metric=demographic_parity_difference):
    """``metric`` of the test predictions across ``s`` (NaN unless y is binary)."""
    if len(np.unique(data.y_train)) != 2:
        return np.nan
    return metric(data.y_test, y_pred, s=data.s_test)


def evaluate_representation(clf, data, *, random_state=0, rho_iter=500, probe=True):
    """A_y, A_s, A_s_optimum, rho_s, DP_gap, EO_gap and constant of a fitted fairrep estimator.

    A_y is the accuracy of the method's own predictor (for a transformer without one, the
    CPVAE, of a logistic regression trained on its frozen training code); the figures about
    ``s`` come from :func:`fairrep.metrics.invariance_report` on the frozen representation.
    ``probe=False`` leaves out the probe's A_s and A_s_optimum (rho_s is the same either way).
    """
    Z_train, Z_test = clf.transform(data.X_train), clf.transform(data.X_test)
    if hasattr(clf, "predict"):
        y_pred = clf.predict(data.X_test)
    else:
        from sklearn.linear_model import LogisticRegression

        y_pred = LogisticRegression(max_iter=1000).fit(Z_train, data.y_train).predict(Z_test)
    report = invariance_report(Z_train, Z_test,
                               s_train=data.s_train, s_test=data.s_test,
                               dependence=("probe", "rho") if probe else ("rho",),
                               random_state=random_state, rho_params={"n_iter": rho_iter})
    figures = prediction_figures(data, y_pred)
    row = {"A_y": figures.pop("A_y")}
    row.update({c: float(report.iloc[0][c]) for c in ("A_s", "A_s_optimum", "rho_s")
                if c in report})
    row.update(figures)
    return row


def _constant(y_pred):
    """1.0 when every test prediction is the same label (a majority-class model), else 0.0."""
    return float(np.unique(np.asarray(y_pred).reshape(len(y_pred), -1), axis=0).shape[0] == 1)


def _check_choices(values, choices, message):
    for value in values:
        if value not in choices:
            raise ValueError(message.format(value=value, choices=", ".join(choices)))


def default_methods():
    """Every registered method, plus the reference rows."""
    rows = [PLAIN, *available_methods()]
    if _has_fairlearn():
        rows.append(FAIRLEARN)
    return rows


def _has_fairlearn():
    try:
        import fairlearn.adversarial  # noqa: F401
    except ImportError:
        return False
    return True


def run_benchmark(*, methods=None, datasets=("adult", "german", "rotated_digits"),
                  seeds=(0,), quick=False, max_epochs=None, output=None, plots=None,
                  progress=True, resume=False, print_fn=print):
    """Run methods x datasets x seeds and return the per-run and summary tables.

    Parameters
    ----------
    methods : sequence of str or None
        Registered method names and/or ``'plain'`` / ``'fairlearn_adversarial'``; None runs
        :func:`default_methods`.
    datasets : sequence of str
        Keys of :data:`DATASETS`.
    seeds : sequence of int
        Each seed refits every model (and draws the subsample in ``quick`` mode).
    quick : bool
        Small subsamples and few epochs (5 on the tabular data, 30 on the 1500 digit images):
        a smoke run of the whole table in a few minutes.
    max_epochs : int or None
        Overrides the epochs (default: 30, or each data set's quick epochs with ``quick``).
    output : str or Path or None
        Directory for ``results.csv`` (one row per run), ``summary.csv`` and ``summary.md``.
    plots : str or Path or None
        Directory for the PNG figures of :mod:`fairrep.benchmark._plots`. They need
        matplotlib; without it an ``ImportError`` is raised before any training.
    progress : bool
        A progress bar over runs.
    resume : bool
        Keep the runs already in ``output/results.csv`` that match this call's settings
        (data set, method, seed, epochs, ``quick``) and fit only the missing ones; rows made
        with other settings stay in the file but not in the returned tables. Rows are written
        to ``results.csv`` as each run ends, so an interrupted benchmark loses at most the run
        in progress. Without ``resume`` the file is started afresh.

    Returns
    -------
    runs : pandas.DataFrame
        One row per dataset x method x seed.
    summary : pandas.DataFrame
        Mean and standard deviation over seeds, one row per dataset x method.
    """
    methods = list(default_methods() if methods is None else methods)
    _check_choices(methods, [PLAIN, FAIRLEARN, *available_methods()], METHOD_UNKNOWN)
    _check_choices(datasets, list(DATASETS), DATASET_UNKNOWN)
    if FAIRLEARN in methods and not _has_fairlearn():
        raise ValueError("fairlearn_adversarial needs fairlearn: pip install fairlearn")
    if resume and output is None:
        raise ValueError("resume=True needs output: the directory whose results.csv to resume.")
    if plots is not None:  # before any training, not after it
        from ._plots import MATPLOTLIB_MISSING, has_matplotlib

        if not has_matplotlib():
            raise ImportError(MATPLOTLIB_MISSING)
    batch_size = "auto"  # each estimator's rule (_inputs.AUTO_BATCH_*): 32 rows on German
    jobs = [(d, m, s) for d in datasets for m in methods for s in seeds]
    results_csv = None if output is None else Path(output) / "results.csv"
    done, others = {}, []
    if resume:
        done, others = _finished_runs(results_csv, quick=quick, max_epochs=max_epochs)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(jobs), desc="benchmark", leave=False)
    rows, cache, fitted = [], {}, {}
    unvisited = dict(done)  # finished runs not reached yet: kept in every write of the file
    for dataset, method, seed in jobs:
        if (dataset, method, seed) in done:
            rows.append(unvisited.pop((dataset, method, seed)))
            if bar is not None:
                bar.update()
            continue
        if bar is not None:
            bar.set_postfix_str(f"{dataset} / {method} / seed {seed}")
        key = (dataset, seed if quick else 0)
        if key not in cache:
            cache[key] = DATASETS[dataset](quick, seed)
        data = cache[key]
        epochs = _epochs(dataset, quick, max_epochs)
        if method == FAIRLEARN:
            row = _fairlearn_row(data, max_epochs=epochs, batch_size=batch_size,
                                 random_state=seed)
        else:
            clf, uses_s = _method_estimator(method, max_epochs=epochs, batch_size=batch_size,
                                            random_state=seed,
                                            params=data.params.get(method, {}))
            start = time.perf_counter()
            clf.fit(data.X_train, data.y_train, s=data.s_train if uses_s else None)
            fit_s = time.perf_counter() - start
            row = evaluate_representation(clf, data, random_state=seed,
                                          rho_iter=200 if quick else 500)
            row["fit_s"] = fit_s
            if seed == seeds[0]:
                fitted[(dataset, method)] = clf
        rows.append({"dataset": dataset, "method": method, "seed": seed, "epochs": epochs,
                     "quick": bool(quick), **row})
        if results_csv is not None:
            results_csv.parent.mkdir(parents=True, exist_ok=True)
            pd.DataFrame(others + rows + list(unvisited.values())).to_csv(results_csv,
                                                                          index=False)
        if bar is not None:
            bar.update()
    if bar is not None:
        bar.close()
    runs = pd.DataFrame(rows)
    summary = summarize(runs)
    print_fn(format_markdown(summary))
    if output is not None:
        out = Path(output)
        out.mkdir(parents=True, exist_ok=True)
        # runs resumed from the file but not asked for this time stay in it and in its table,
        # in the file's order, the new runs after them
        kept = list(done.values()) + [row for row in rows if _key(row) not in done]
        pd.DataFrame(others + kept).to_csv(out / "results.csv", index=False)
        table = summarize(pd.DataFrame(kept))
        table.to_csv(out / "summary.csv")
        (out / "summary.md").write_text(format_markdown(table) + "\n")
        print_fn(f"wrote {out / 'results.csv'}, {out / 'summary.csv'}, {out / 'summary.md'}")
    if plots is not None:
        from ._plots import benchmark_plots

        written = benchmark_plots(fitted, cache, plots, seed=seeds[0])
        print_fn(f"wrote {len(written)} figure(s) to {plots}")
    return runs, summary


def _key(row):
    return row["dataset"], row["method"], int(row["seed"])


def _finished_runs(path, *, quick, max_epochs):
    """The runs in ``path`` made with these settings, ``(dataset, method, seed) -> row``,
    and the list of the other rows."""
    if path is None or not path.exists():
        return {}, []
    runs = pd.read_csv(path)
    if not {"dataset", "method", "seed", "epochs", "quick"} <= set(runs.columns):
        return {}, runs.to_dict("records")
    done, others = {}, []
    for row in runs.to_dict("records"):
        if (row["dataset"] in QUICK_EPOCHS and bool(row["quick"]) == bool(quick)
                and int(row["epochs"]) == _epochs(row["dataset"], quick, max_epochs)):
            done[_key(row)] = row
        else:
            others.append(row)
    return done, others


#: Columns of the summary, in the papers' order.
COLUMNS = ["A_y", "A_s", "A_s_optimum", "DP_gap", "rho_s", "fit_s", "constant"]
CONSTANT_NOTE = (
    "{dataset} / {method}: every test prediction is one class in {k} of {n} seed(s) (a "
    "majority-class model): its A_y is the majority share and its DP_gap of 0 says nothing.")


def summarize(runs):
    """Mean and standard deviation over seeds of every figure, per dataset x method."""
    columns = [c for c in COLUMNS if c in runs]
    grouped = runs.groupby(["dataset", "method"], sort=False)[columns]
    mean, std = grouped.mean(), grouped.std(ddof=0)
    summary = pd.concat({"mean": mean, "std": std}, axis=1)
    summary[("n_seeds", "")] = grouped.size()
    return summary


def format_markdown(summary):
    """The summary as a Markdown table of ``mean ± std`` cells."""
    columns = [c for c in COLUMNS if ("mean", c) in summary.columns]
    header = "| dataset | method | " + " | ".join(columns) + " | seeds |"
    lines = [header, "|" + "---|" * (len(columns) + 3)]
    for (dataset, method), row in summary.iterrows():
        cells = []
        for c in columns:
            mean, std = row[("mean", c)], row[("std", c)]
            if pd.isna(mean):
                cells.append("–")
            elif c == "fit_s":
                cells.append(f"{mean:.1f}")
            elif c == "constant":  # seeds whose predictions are one class
                k = int(round(mean * row[("n_seeds", "")]))
                cells.append(f"**{k} of {int(row[('n_seeds', '')])}**" if k else "0")
            elif row[("n_seeds", "")] == 1:
                cells.append(f"{mean:.3f}")
            else:
                cells.append(f"{mean:.3f} ± {std:.3f}")
        lines.append(f"| {dataset} | {method} | " + " | ".join(cells)
                     + f" | {int(row[('n_seeds', '')])} |")
    notes = [CONSTANT_NOTE.format(dataset=dataset, method=method, n=int(row[("n_seeds", "")]),
                                  k=int(round(row[("mean", "constant")] * row[("n_seeds", "")])))
             for (dataset, method), row in summary.iterrows()
             if ("mean", "constant") in summary.columns and row[("mean", "constant")] > 0]
    return "\n".join(lines + ([""] + [f"- {note}" for note in notes] if notes else []))
