"""A fairness level instead of a weight: the one-fit bound and the constrained search.

For each table, seed and s-using method: one fit at the method's default strength (the
reference time and figures) and one with ``constraint='demographic_parity', bound=b``
(the strength adapted inside the fit, starting from the default). Test accuracy, test DP gap
of the predictions, fit seconds, the epoch kept. With ``--search``, also
``ConstrainedSearchCV(clf, bound=b, cv=3)`` over the method's default grid (0 and the default
strength times 0.1, 0.3, 1, 3, 10, then ``refine``'s bisection): the pick's test accuracy and
DP gap and the search's seconds. With fairlearn installed, each table and seed also gets the
reference of the issue,
``ExponentiatedGradient(LogisticRegression(), DemographicParity(difference_bound=b))``.
Writes ``runs.csv``, ``summary.md`` and ``summary.rst`` to
``benchmarks/results/fairness_bound/`` (each with the command, date, machine and versions).

Usage::

    python benchmarks/fairness_bound.py --search              # Adult and German, 3 seeds
    python benchmarks/fairness_bound.py --tables german --seeds 0 --methods hsic
    python benchmarks/fairness_bound.py --search --tables synthetic --output /tmp/fb  # a third
    python benchmarks/fairness_bound.py --search --methods forgetting --update

``--update`` refits only what the command names and keeps the output's other runs (the
header then lists the earlier command and this one); without ``--search`` it keeps the
searches' figures of the runs it refits (the search fits fixed strengths, so a change to the
one-fit bound leaves them as they were).

Tables, recipe and splits are those of ``benchmarks/robust_defaults.py`` (raw columns, one-hot
+ StandardScaler, s removed from X; s = sex on Adult and German).
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import torch

sys.path.insert(0, str(Path(__file__).parent))
import robust_defaults as rd  # noqa: E402

import fairrep  # noqa: E402
from fairrep.benchmark._frontier import exponentiated_gradient as eg_classifier  # noqa: E402
from fairrep.benchmark._provenance import continued_command, read_header  # noqa: E402
from fairrep.methods import get_method  # noqa: E402
from fairrep.model_selection import ConstrainedSearchCV  # noqa: E402

METHODS = ["forgetting", "sliced_infomin", "hsic", "gradient_reversal"]
#: s of each table: sex on Adult and German; on robust_defaults' synthetic table, a binary
#: (70 / 30) s leaking into y, two proxies and a categorical column
SENSITIVE = {"adult": "sex", "german": "sex", "synthetic": "binary"}
OUT = Path(__file__).parent / "results" / "fairness_bound"


def fit(method, X, y, s, seed, **params):
    cls = get_method(method).classifier
    clf = cls(random_state=seed, **params)
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clf.fit(X, y, s=s)
    seconds = time.perf_counter() - start
    not_met = any(issubclass(w.category, fairrep.ConstraintNotMetWarning) for w in caught)
    return clf, seconds, not_met


def exponentiated_gradient(X, y, s, X_test, seed, bound):
    """Test predictions and fit seconds of fairlearn's reductions approach (None without
    fairlearn)."""
    try:
        clf = eg_classifier(bound)
    except ImportError:
        return None
    start = time.perf_counter()
    clf.fit(X, y, sensitive_features=s)
    seconds = time.perf_counter() - start
    return clf.predict(X_test, random_state=seed), seconds


def search(method, X, y, s, seed, bound):
    """The ConstrainedSearchCV pick over the method's default grid and the search's seconds."""
    clf = get_method(method).classifier(random_state=seed)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        picked = ConstrainedSearchCV(clf, bound=bound, cv=3).fit(X, y, s=s)
    return picked, time.perf_counter() - start


def run(tables, methods, seeds, bound, with_search=False):
    rows = []
    for table in tables:
        for seed in seeds:
            X_raw, y, s, X_test_raw, y_test, s_test = rd.LOADERS[table](SENSITIVE[table], seed)
            X, X_test = rd.preprocess("standard", X_raw, X_test_raw, seed)
            reference = exponentiated_gradient(X, y, s, X_test, seed, bound)
            if reference is not None:
                row = dict(table=table, seed=seed, method="fairlearn_eg", bound=bound,
                           fixed_acc=float(np.mean(reference[0] == y_test)),
                           fixed_dp=rd.dp_gap(reference[0], s_test), fixed_s=reference[1])
                print(row, flush=True)
                rows.append(row)
            for method in methods:
                row = dict(table=table, seed=seed, method=method, bound=bound)
                for kind, params in (("fixed", {}),
                                     ("bounded", dict(constraint="demographic_parity",
                                                      bound=bound))):
                    clf, seconds, not_met = fit(method, X, y, s, seed, **params)
                    pred = clf.predict(X_test)
                    row[f"{kind}_acc"] = float(np.mean(pred == y_test))
                    row[f"{kind}_dp"] = rd.dp_gap(pred, s_test)
                    row[f"{kind}_s"] = seconds
                    if kind == "bounded":
                        row["kept_epoch"] = clf.bound_epoch_
                        row["final_strength"] = float(clf.history_[-1, "strength"])
                        row["not_met"] = not_met
                row["time_ratio"] = row["bounded_s"] / row["fixed_s"]
                if with_search:
                    picked, seconds = search(method, X, y, s, seed, bound)
                    pred = picked.predict(X_test)
                    row.update(search_acc=float(np.mean(pred == y_test)),
                               search_dp=rd.dp_gap(pred, s_test), search_s=seconds,
                               search_pick=float(next(iter(picked.best_params_.values()))))
                print(", ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}"
                                for k, v in row.items()), flush=True)
                rows.append(row)
    return pd.DataFrame(rows)


COLUMNS = ["table", "method", "bound", "seeds", "default: acc / DP", "bounded: acc / DP (max DP)",
           "bounded / default time (max)", "met on held-out rows"]
SEARCH_COLUMNS = ["search pick: acc / DP (max DP)", "search / default time"]


def _figures(g, kind):
    """'acc / DP (max DP)' of the ``kind`` columns of a group of runs."""
    return (f"{g[f'{kind}_acc'].mean():.3f} / {g[f'{kind}_dp'].mean():.3f} "
            f"({g[f'{kind}_dp'].max():.3f})")


def summary_rows(runs):
    """One row per (table, method): means over seeds (max DP gap and time ratio).

    fairlearn's ExponentiatedGradient (``fairlearn_eg``) has its figures in the default
    column: it is fitted once, at the bound.
    """
    searched = "search_acc" in runs
    rows = []
    for (table, method), g in runs.groupby(["table", "method"], sort=False):
        bound = f"{g['bound'].iloc[0]:.2f}"
        if method == "fairlearn_eg":
            rows.append([table, "ExponentiatedGradient (fairlearn)", bound, _seeds(g),
                         _figures(g, "fixed"), *["–"] * (len(COLUMNS) - 5 + 2 * searched)])
            continue
        row = [table, method, bound, _seeds(g),
               f"{g['fixed_acc'].mean():.3f} / {g['fixed_dp'].mean():.3f}",
               _figures(g, "bounded"),
               f"{g['time_ratio'].mean():.2f}x ({g['time_ratio'].max():.2f}x)",
               f"{int((~g['not_met'].astype(bool)).sum())} of {len(g)} seeds"]
        if searched:
            row += _search_cells(g)
        rows.append(row)
    return rows


def _search_cells(g):
    """The search columns of a group of runs, over the seeds that ran the search (named in
    the cell when they are not all the row's seeds); '–' when none did."""
    h = g[g["search_acc"].notna()]
    if h.empty:
        return ["–", "–"]
    figures = _figures(h, "search")
    if len(h) < len(g):
        figures += f", seeds {_seeds(h)}"
    return [figures, f"{(h['search_s'] / h['fixed_s']).mean():.1f}x"]


def _seeds(g):
    """The seeds of a group of runs, e.g. '0-4' or '0, 2'."""
    seeds = sorted(int(seed) for seed in g["seed"].unique())
    if seeds == list(range(seeds[0], seeds[-1] + 1)) and len(seeds) > 2:
        return f"{seeds[0]}-{seeds[-1]}"
    return ", ".join(map(str, seeds))


def _columns(runs):
    return COLUMNS + (SEARCH_COLUMNS if "search_acc" in runs else [])


def _note(runs):
    text = ("Means over each row's seeds on the test split; DP: the demographic-parity gap "
            "of the predictions, with its largest value over the seeds in brackets.")
    if "search_acc" in runs:
        text += (" Search: ConstrainedSearchCV(bound, cv=3) over 0 and the default strength "
                 "times 0.1, 0.3, 1, 3, 10 (and, from the refine rule on, up to two "
                 "strengths bisecting the feasible boundary), the pick refitted on all "
                 "training rows; its time against one default fit.")
    return text


def summary_markdown(runs, head):
    columns = _columns(runs)
    lines = ["<!-- " + " | ".join(head.splitlines()) + " -->", "",
             "| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(row) + " |" for row in summary_rows(runs)]
    return "\n".join([*lines, "", _note(runs)]) + "\n"


def summary_rst(runs, head):
    """The table for the docs (``.. include::``), with the command that wrote it."""
    first = head.splitlines()
    lines = [".. " + first[0], *("   " + line for line in first[1:]), "",
             *rd.list_table([_columns(runs), *summary_rows(runs)])]
    command = first[0].removeprefix("command: ")
    return "\n".join([*lines, "", _note(runs) + f" Written by ``{command}`` "
                       f"({first[1].removeprefix('date: ')})."]) + "\n"


def _kept(old, new):
    """The rows of ``old`` that ``new`` does not refit: other (table, seed, method)
    triples, and the fairlearn reference of a table and seed that ``new`` has no row for."""
    refitted = set(zip(new["table"], new["seed"], new["method"]))
    keep = [(t, s, m) not in refitted for t, s, m in zip(old["table"], old["seed"],
                                                          old["method"])]
    return old[keep]


SEARCH_FIELDS = ["search_acc", "search_dp", "search_s", "search_pick"]


def _carry_search(old, new):
    """``new`` with, where it was run without ``--search``, the search columns of ``old``'s
    run of the same table, seed and method: the search fits each candidate at a fixed
    strength, so a change to the one-fit bound leaves its figures as they were."""
    if "search_acc" in new or not set(SEARCH_FIELDS) <= set(old):
        return new
    key = ["table", "seed", "method"]
    return new.merge(old[key + SEARCH_FIELDS], on=key, how="left")


def _ordered(runs):
    """Rows by table, the fairlearn reference first, then the methods in METHODS' order."""
    order = {}
    for m in ["fairlearn_eg", *METHODS, *rd.METHODS]:
        order.setdefault(m, len(order))
    key = runs["method"].map(order).fillna(len(order))
    return (runs.assign(_key=key).sort_values(["table", "_key", "seed"], kind="stable")
            .drop(columns="_key").reset_index(drop=True))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", nargs="+", default=["adult", "german"],
                        choices=list(SENSITIVE))
    parser.add_argument("--methods", nargs="+", default=METHODS, choices=rd.METHODS)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--bound", type=float, default=0.05)
    parser.add_argument("--search", action="store_true",
                        help="also ConstrainedSearchCV (cv=3) over each method's default grid")
    rd.results_arguments(parser, OUT, "keep the output's runs of other methods, tables and seeds")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    args.output.mkdir(parents=True, exist_ok=True)
    if args.summarize:
        head = read_header(args.output / "runs.csv")
        runs = _ordered(rd.read_csv(args.output / "runs.csv"))
    else:
        command = "python benchmarks/fairness_bound.py " + shlex.join(argv or sys.argv[1:])
        runs = run(args.tables, args.methods, args.seeds, args.bound, args.search)
        path = args.output / "runs.csv"
        if args.update and path.exists():
            command = continued_command(path, command.strip())
            old = rd.read_csv(path)
            runs = _carry_search(old, runs)
            runs = _ordered(pd.concat([_kept(old, runs), runs], ignore_index=True))
        head = rd.header(command.strip())
        rd.write_csv(runs, args.output / "runs.csv", head)
    (args.output / "summary.md").write_text(summary_markdown(runs, head))
    (args.output / "summary.rst").write_text(summary_rst(runs, head))
    print((args.output / "summary.md").read_text())


if __name__ == "__main__":
    main()
