"""The classifiers that do not use s, on tables: their defaults, and InvertibleClassifier's
against the settings they replaced.

robust_defaults.py checks the s-using methods; this script checks the classifiers that train no
invariance term on s (:class:`fairrep.InformationDropoutClassifier`,
:class:`fairrep.UAIClassifier` and :class:`fairrep.InvertibleClassifier`), which a new user
fits on a table just the same. It fits them on the raw columns of the tables of
``benchmarks/robust_defaults.py`` (its loaders, splits and preprocessing recipes) at their
defaults (only ``random_state`` set), and InvertibleClassifier also with

- ``no_early_stopping``: ``early_stopping=False`` (every epoch, every row);
- ``no_input_noise``: ``input_noise=0`` (no noise on x in training);
- ``neither``: both off, its defaults before either existed.

A fully invertible network is a large model for a table, and its likelihood term has no bound
on columns without a density (one-hot codes, counts): those two settings are what keep it
off both failures. Each fit records test accuracy, the majority share, a logistic regression's
accuracy on the same columns, whether every test prediction is one class, fairrep's warnings
(a TaskCollapseWarning says the predictor learned no more than the class shares), the epochs
trained, the epoch kept (early stopping) and the fit seconds. A fit that raises
:class:`fairrep.TrainingDivergedError` is kept with ``diverged=1`` and no accuracy. Writes
``runs.csv``, ``summary.md`` and ``summary.rst`` (means over seeds; each with the command, date,
machine and versions) to ``benchmarks/results/classifier_tables/``.

Usage::

    python benchmarks/classifier_tables.py                    # German 3 seeds, Adult 1
    python benchmarks/classifier_tables.py --tables german --recipes standard quantile \
        --seeds 0 1 2 3 4 --methods invertible --variants defaults neither --output /tmp/inv

``--update`` keeps the output's runs of other tables, recipes, methods, variants and seeds (the
header then lists the earlier command and this one). The committed results:
``--tables german --recipes standard quantile outliers``, then ``--update --tables adult
--methods invertible --max-epochs 30`` (30 epochs, the frontier's budget, so that the
variants without early stopping take about a minute each on Adult), then ``--update --tables
adult --methods information_dropout uai``.
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

from fairrep import TrainingDivergedError  # noqa: E402
from fairrep.benchmark._provenance import continued_command, read_header  # noqa: E402
from fairrep.methods import get_method  # noqa: E402

#: method -> its variants: name -> the parameters set besides random_state
VARIANTS = {
    "information_dropout": {"defaults": {}},
    "uai": {"defaults": {}},
    "invertible": {
        "defaults": {},
        "no_early_stopping": {"early_stopping": False},
        "no_input_noise": {"input_noise": 0.0},
        "neither": {"early_stopping": False, "input_noise": 0.0},
    },
}
ALL_VARIANTS = list(dict.fromkeys(v for variants in VARIANTS.values() for v in variants))
OUT = Path(__file__).parent / "results" / "classifier_tables"
KEYS = ["table", "recipe", "method", "variant"]
RUN_KEYS = [*KEYS, "seed"]


def run(tables, recipes, seeds, methods, variants, max_epochs=None):
    rows = []
    for table in tables:
        for seed in seeds[table]:
            X_train, y_train, _, X_test, y_test, _ = rd.LOADERS[table]("sex", seed)
            for recipe in recipes:
                A, B = rd.preprocess(recipe, X_train, X_test, seed)
                majority = max(np.mean(y_test == v) for v in np.unique(y_test))
                logreg = LogisticRegression(max_iter=1000).fit(A, y_train).score(B, y_test)
                for method in methods:
                    for variant in [v for v in VARIANTS[method] if v in variants]:
                        row = _fit(method, variant, seed, max_epochs, A, y_train, B, y_test)
                        rows.append(dict(table=table, recipe=recipe, method=method,
                                         variant=variant, seed=seed, majority=majority,
                                         logreg_acc=logreg, **row))
                        print(" ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}"
                                       for k, v in rows[-1].items()), flush=True)
    return pd.DataFrame(rows)


def _fit(method, variant, seed, max_epochs, X_train, y_train, X_test, y_test):
    """The figures of one fit of ``method``'s classifier at ``variant``."""
    cls = get_method(method).classifier
    params = dict(VARIANTS[method][variant], random_state=seed)
    if max_epochs:
        params["max_epochs"] = max_epochs
    clf = cls(**params)
    row = dict(max_epochs=clf.max_epochs)
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            clf.fit(X_train, y_train)
            diverged = False
        except TrainingDivergedError:
            diverged = True
    if diverged:  # the warnings issued before the divergence are kept
        row.update(acc=np.nan, one_class=0, epochs=np.nan, best_epoch=None, diverged=1,
                   warnings=rd.fairrep_warnings(caught))
    else:
        predicted = clf.predict(X_test)
        row.update(acc=float(np.mean(predicted == y_test)),
                   one_class=int(len(np.unique(predicted)) == 1), epochs=len(clf.history_),
                   best_epoch=getattr(clf, "best_epoch_", None), diverged=0,
                   warnings=rd.fairrep_warnings(caught))
    row["fit_s"] = time.perf_counter() - start
    return row


COLUMNS = ["table", "recipe", "method", "variant", "seeds", "acc (min)", "majority", "logreg",
           "one class", "warned", "epochs", "max epochs", "fit s", "diverged"]
NOTE = ("The classifiers that do not use s, on the raw columns (robust_defaults' loaders and "
        "recipes); means over seeds. acc: test accuracy (min: its lowest seed); majority: the "
        "majority share of the test split; logreg: a logistic regression on the same columns; "
        "one class: fits whose test predictions are all one class; warned: fits with a "
        "fairrep warning (the names are in runs.csv); epochs: epochs trained of at most max "
        "epochs; diverged: fits that raised TrainingDivergedError (no accuracy).")


def summary_rows(runs):
    """A row of cell strings per table x recipe x method x variant (means over seeds)."""
    grouped = runs.groupby(KEYS, sort=False)
    table = grouped.agg(seeds=("seed", "count"), max_epochs=("max_epochs", "max"),
                        acc=("acc", "mean"), acc_min=("acc", "min"),
                        majority=("majority", "mean"), logreg_acc=("logreg_acc", "mean"),
                        one_class=("one_class", "sum"), warned=("warnings", _count_warned),
                        epochs=("epochs", "mean"), fit_s=("fit_s", "mean"),
                        diverged=("diverged", "sum")).reset_index()
    return [[r.table, r.recipe, r.method, r.variant, str(r.seeds),
             f"{r.acc:.3f} ({r.acc_min:.3f})", f"{r.majority:.3f}", f"{r.logreg_acc:.3f}",
             f"{r.one_class} of {r.seeds}", f"{r.warned} of {r.seeds}", f"{r.epochs:.0f}",
             str(r.max_epochs), f"{r.fit_s:.1f}", str(r.diverged)] for r in table.itertuples()]


def _count_warned(names):
    """Fits whose recorded fairrep warnings are not empty (an empty cell reads back as NaN)."""
    return int(sum(isinstance(name, str) and bool(name) for name in names))


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
    parser.add_argument("--methods", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument("--variants", nargs="+", default=ALL_VARIANTS, choices=ALL_VARIANTS,
                        help="InvertibleClassifier's settings; the others have 'defaults' only")
    parser.add_argument("--max-epochs", type=int, default=None,
                        help="default: each estimator's")
    rd.results_arguments(parser, OUT, "keep the output's runs that this command does not refit")
    args = parser.parse_args(argv)
    if not any(v in VARIANTS[m] for m in args.methods for v in args.variants):
        parser.error(f"--variants {' '.join(args.variants)} names no setting of --methods "
                     f"{' '.join(args.methods)} (only invertible has more than 'defaults')")
    torch.set_num_threads(args.threads)
    path = args.output / "runs.csv"
    if args.summarize:
        head, runs = read_header(path), rd.read_csv(path)
    else:
        seeds = {t: args.seeds or ([0] if t == "adult" else [0, 1, 2]) for t in args.tables}
        command = "python benchmarks/classifier_tables.py " + shlex.join(argv or sys.argv[1:])
        runs = run(args.tables, args.recipes, seeds, args.methods, args.variants,
                   args.max_epochs)
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
