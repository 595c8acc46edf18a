"""InvertibleClassifier on tables: its defaults against the settings they replaced.

A fully invertible network is a large model for a table, and its likelihood term has no
bound on columns without a density (one-hot codes, counts). This script fits
:class:`fairrep.InvertibleClassifier` on the raw columns of the tables of
``benchmarks/robust_defaults.py`` (its loaders, splits and preprocessing recipes) with

- ``defaults``: the estimator's defaults (only ``random_state`` set);
- ``no_early_stopping``: ``early_stopping=False`` (every epoch, every row);
- ``no_input_noise``: ``input_noise=0`` (no noise on x in training);
- ``neither``: both off, the defaults before either existed;

and records test accuracy, the majority share, a logistic regression's accuracy on the same
columns, the epochs trained, the epoch kept (early stopping) and the fit seconds. A fit that
raises :class:`fairrep.TrainingDivergedError` is kept with ``diverged=1`` and no accuracy.
``s`` is not used by the classifier. Writes ``runs.csv``, ``summary.md`` and ``summary.rst``
(means over seeds; each with the command, date, machine and versions) to
``benchmarks/results/invertible_tables/``.

Usage::

    python benchmarks/invertible_tables.py                    # German 3 seeds, Adult 1
    python benchmarks/invertible_tables.py --tables german --recipes standard quantile \
        --seeds 0 1 2 3 4 --variants defaults neither --output /tmp/inv

``--update`` keeps the output's runs of other tables, recipes, variants and seeds (the header
then lists the earlier command and this one). The committed results:
``--tables german --recipes standard quantile outliers``, then ``--update --tables adult
--max-epochs 30`` (30 epochs, the frontier's budget, so that the variants without early
stopping take about a minute each on Adult).
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
from sklearn.linear_model import LogisticRegression

sys.path.insert(0, str(Path(__file__).parent))
import robust_defaults as rd  # noqa: E402

from fairrep import InvertibleClassifier, TrainingDivergedError  # noqa: E402
from fairrep.benchmark._provenance import continued_command, read_header  # noqa: E402

VARIANTS = {
    "defaults": {},
    "no_early_stopping": {"early_stopping": False},
    "no_input_noise": {"input_noise": 0.0},
    "neither": {"early_stopping": False, "input_noise": 0.0},
}
OUT = Path(__file__).parent / "results" / "invertible_tables"
KEYS = ["table", "recipe", "variant"]
RUN_KEYS = [*KEYS, "seed"]


def run(tables, recipes, seeds, variants, max_epochs=None):
    rows = []
    for table in tables:
        for seed in seeds[table]:
            X_train, y_train, _, X_test, y_test, _ = rd.LOADERS[table]("sex", seed)
            for recipe in recipes:
                A, B = rd.preprocess(recipe, X_train, X_test, seed)
                majority = max(np.mean(y_test == v) for v in np.unique(y_test))
                logreg = LogisticRegression(max_iter=1000).fit(A, y_train).score(B, y_test)
                for variant in variants:
                    params = dict(VARIANTS[variant], random_state=seed)
                    if max_epochs:
                        params["max_epochs"] = max_epochs
                    start = time.perf_counter()
                    row = dict(table=table, recipe=recipe, variant=variant, seed=seed,
                               max_epochs=InvertibleClassifier(**params).max_epochs,
                               majority=majority, logreg_acc=logreg)
                    try:
                        with warnings.catch_warnings():
                            warnings.simplefilter("ignore")  # collapse notices: see the acc
                            clf = InvertibleClassifier(**params).fit(A, y_train)
                        row.update(acc=clf.score(B, y_test), epochs=len(clf.history_),
                                   best_epoch=clf.best_epoch_, diverged=0)
                    except TrainingDivergedError:
                        row.update(acc=np.nan, epochs=np.nan, best_epoch=None, diverged=1)
                    row["fit_s"] = time.perf_counter() - start
                    rows.append(row)
                    print(" ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}"
                                   for k, v in row.items()), flush=True)
    return pd.DataFrame(rows)


COLUMNS = ["table", "recipe", "variant", "seeds", "acc (min)", "majority", "logreg", "epochs",
           "max epochs", "fit s", "diverged"]
NOTE = ("InvertibleClassifier on the raw columns (robust_defaults' loaders and recipes); means "
        "over seeds. acc: test accuracy (min: its lowest seed); majority: the majority share of "
        "the test split; logreg: a logistic regression on the same columns; epochs: epochs "
        "trained of at most max epochs; diverged: fits that raised TrainingDivergedError (no "
        "accuracy).")


def summary_rows(runs):
    """A row of cell strings per table x recipe x variant (means over seeds)."""
    grouped = runs.groupby(KEYS, sort=False)
    table = grouped.agg(seeds=("seed", "count"), max_epochs=("max_epochs", "max"),
                        acc=("acc", "mean"), acc_min=("acc", "min"),
                        majority=("majority", "mean"), logreg_acc=("logreg_acc", "mean"),
                        epochs=("epochs", "mean"), fit_s=("fit_s", "mean"),
                        diverged=("diverged", "sum")).reset_index()
    return [[r.table, r.recipe, r.variant, str(r.seeds), f"{r.acc:.3f} ({r.acc_min:.3f})",
             f"{r.majority:.3f}", f"{r.logreg_acc:.3f}", f"{r.epochs:.0f}", str(r.max_epochs),
             f"{r.fit_s:.1f}", str(r.diverged)] for r in table.itertuples()]


def summary_markdown(runs, head):
    lines = [f"<!-- {' | '.join(head.strip().splitlines())} -->", "", NOTE, "",
             "| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(row) + " |" for row in summary_rows(runs)]
    return "\n".join(lines) + "\n"


def summary_rst(runs, head):
    """The table for the docs (``.. include::``), with the command that wrote it."""
    first = head.strip().splitlines()
    command = first[0].removeprefix("command: ")
    lines = [".. " + first[0], *("   " + line for line in first[1:]), "",
             *rd.list_table([COLUMNS, *summary_rows(runs)]), "",
             f"{NOTE} Written by ``{command}`` ({first[1].removeprefix('date: ')})."]
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", nargs="+", default=["german", "adult"],
                        choices=["german", "adult", "synthetic"])
    parser.add_argument("--recipes", nargs="+", default=["standard"], choices=rd.RECIPES)
    parser.add_argument("--seeds", nargs="+", type=int, default=None,
                        help="default: 0 1 2 on German and the synthetic table, 0 on Adult")
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument("--max-epochs", type=int, default=None,
                        help="default: the estimator's (100)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--output", type=Path, default=OUT)
    parser.add_argument("--update", action="store_true",
                        help="keep the output's runs that this command does not refit")
    parser.add_argument("--summarize", action="store_true",
                        help="no fits: rewrite the summaries from the output's runs.csv")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    path = args.output / "runs.csv"
    if args.summarize:
        head, runs = read_header(path), rd.read_csv(path)
    else:
        seeds = {t: args.seeds or ([0] if t == "adult" else [0, 1, 2]) for t in args.tables}
        command = "python benchmarks/invertible_tables.py " + shlex.join(argv or sys.argv[1:])
        runs = run(args.tables, args.recipes, seeds, args.variants, args.max_epochs)
        if args.update and path.exists():
            command = continued_command(path, command.strip())
            kept = rd.read_csv(path)
            refit = kept.set_index(RUN_KEYS).index.isin(runs.set_index(RUN_KEYS).index)
            runs = pd.concat([kept[~refit], runs], ignore_index=True)
        head = rd.header(command.strip())
        args.output.mkdir(parents=True, exist_ok=True)
        rd.write_csv(runs, path, head)
    (args.output / "summary.md").write_text(summary_markdown(runs, head))
    (args.output / "summary.rst").write_text(summary_rst(runs, head))
    print((args.output / "summary.md").read_text())


if __name__ == "__main__":
    main()
