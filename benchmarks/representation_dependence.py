"""What a transformer's Z keeps of s, at its defaults, on the protocol's tables and recipes.

``robust_defaults.py`` measures the classifiers' predictions. A user of a transformer gets Z
and may fit anything on it, so this script measures Z itself. For each table x recipe x
sensitive attribute x seed (the loaders and recipes of ``robust_defaults.py``), each
method's transformer is fitted at its defaults (only ``random_state`` set, or a candidate
setting with ``--param``). On the test split it then records:

- ``rho_z``: held-out rho*(Z; s) from :func:`fairrep.metrics.max_correlation` at its default
  (the best on validation rows of ``--restarts`` neural HGR pairs and the boosted-trees ACE
  pair), on every test row;
- ``rho_z_neural``: the same with the neural pairs only (``estimator='neural'``, the papers'
  evaluation), which can read far lower on a Z that carries s in small offsets between
  codes;
- ``rho_probe``: held-out binned maximal correlation between s and the logit of a logistic
  regression on Z (:func:`fairrep.metrics.binned_max_correlation`). It is a lower bound of
  rho*(Z; s) that needs no network;
- ``acc_z`` / ``acc_x``: accuracy of a logistic regression on Z and of one on X;
- ``warnings``: the fairrep warnings the fit raised (``runs.csv`` only).

The sliced-infomin clause of issue 28 reads the Adult rows: ``rho_z`` <= 0.10 with
``acc_z`` >= ``acc_x`` - 0.02 (one-hot + StandardScaler on the raw columns, s = sex).

    python benchmarks/representation_dependence.py --methods sliced_infomin \
        --tables adult --recipes standard --sensitive sex --seeds 0 1 2 3 4
    python benchmarks/representation_dependence.py --methods sliced_infomin \
        --param sliced_infomin:whiten=False --output /tmp/unwhitened

Results go to ``benchmarks/results/representation_dependence/`` (``runs.csv`` and
``summary.md``, means over seeds; each with the command, date, machine and versions in a
header); ``--update`` refits what the command names and keeps the other runs.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import pandas as pd
import torch
from sklearn.linear_model import LogisticRegression

from fairrep.benchmark._provenance import continued_command, header, read_csv, write_csv
from fairrep.methods import get_method
from fairrep.metrics import binned_max_correlation
from fairrep.metrics._dependence import max_correlations

sys.path.insert(0, str(Path(__file__).parent))
from robust_defaults import (  # noqa: E402
    METHODS, RECIPES, TABLES, cells, fairrep_warnings, parse_params, preprocess,
    results_arguments, table_head)

OUT = Path(__file__).parent / "results" / "representation_dependence"
KEYS = ["table", "recipe", "sensitive", "method", "params"]


def measure(method, params, X_train, X_test, data, seed, restarts):
    """The figures of ``method``'s transformer fitted on one cell (``data``: the loader's
    tuple; ``X_train``, ``X_test``: its features after the recipe)."""
    _, y_train, s_train, _, y_test, s_test = data
    transformer = get_method(method).transformer(random_state=seed, **params)
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        transformer.fit(X_train, y_train, s=s_train)
    fit_s = time.perf_counter() - start
    Z_train, Z_test = transformer.transform(X_train), transformer.transform(X_test)
    rho = max_correlations(Z_test, s_test, n_restarts=restarts, random_state=seed)
    on_z = LogisticRegression(max_iter=2000).fit(Z_train, y_train)
    probe = binned_max_correlation(on_z.decision_function(Z_test), s_test, random_state=seed)
    return {"rho_z": rho["best"], "rho_z_neural": rho["neural"], "rho_probe": probe,
            "acc_z": on_z.score(Z_test, y_test), "fit_s": fit_s,
            "warnings": fairrep_warnings(caught)}


def summarize(runs):
    summary = runs.groupby(KEYS, sort=False).agg(
        seeds=("seed", "size"), rho_z=("rho_z", "mean"), rho_z_max=("rho_z", "max"),
        rho_z_neural=("rho_z_neural", "mean"), rho_probe=("rho_probe", "mean"),
        acc_z=("acc_z", "mean"), acc_x=("acc_x", "mean"), fit_s=("fit_s", "mean")).reset_index()
    return summary


def markdown(summary, head):
    lines = table_head(head, ["table", "recipe", "s", "method", "setting", "seeds",
                              "rho*(Z; s) (max)", "neural rho*", "rho(probe; s)",
                              "logreg on Z / on X", "fit s"])
    for r in summary.itertuples():
        lines.append(f"| {r.table} | {r.recipe} | {r.sensitive} | {r.method} | {r.params} | "
                     f"{r.seeds} | {r.rho_z:.3f} ({r.rho_z_max:.3f}) | {r.rho_z_neural:.3f} | "
                     f"{r.rho_probe:.3f} | "
                     f"{r.acc_z:.3f} / {r.acc_x:.3f} | {r.fit_s:.1f} |")
    lines += ["", "Means over seeds on the test split. rho*(Z; s): fairrep.metrics."
              "max_correlation on the transformer's Z (its default: the best on validation "
              "rows of the neural pairs and the boosted-trees pair); neural rho*: the same "
              "with estimator='neural' (the papers' evaluation); rho(probe; s): binned "
              "maximal correlation of a logistic regression's logit on Z with s (a lower "
              "bound of rho*)."]
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--methods", nargs="+", choices=METHODS, default=["sliced_infomin"])
    parser.add_argument("--tables", nargs="+", choices=TABLES, default=TABLES)
    parser.add_argument("--recipes", nargs="+", choices=RECIPES, default=["standard"])
    parser.add_argument("--sensitive", nargs="+", default=None,
                        help="sensitive attributes (default: every one the table has)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--restarts", type=int, default=3,
                        help="HGR pairs trained for rho*(Z; s) (max_correlation's n_restarts)")
    parser.add_argument("--param", action="append", default=[], metavar="METHOD:NAME=VALUE",
                        help="a candidate setting instead of a default, repeatable")
    results_arguments(parser, OUT, "keep the runs of --output that this command does not name",
                      summarize=False)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    overrides = parse_params(args.param)
    command = "python " + " ".join(["benchmarks/representation_dependence.py",
                                    *(argv if argv is not None else sys.argv[1:])])
    args.output.mkdir(parents=True, exist_ok=True)
    runs_path = args.output / "runs.csv"
    runs = []
    if args.update and runs_path.exists():
        command = continued_command(runs_path, command)
        runs = read_csv(runs_path).to_dict("records")
    head = header(command)
    for table, sensitive, seed, recipe, data in cells(args.tables, args.sensitive, args.seeds,
                                                      args.recipes):
        X_train, X_test = preprocess(recipe, data[0], data[3], seed)
        acc_x = LogisticRegression(max_iter=2000).fit(X_train, data[1]).score(X_test, data[4])
        for method in args.methods:
            params = overrides.get(method, {})
            setting = ",".join(f"{k}={v}" for k, v in params.items()) or "defaults"
            key = dict(table=table, recipe=recipe, sensitive=sensitive,
                       method=method, params=setting, seed=seed)
            runs = [r for r in runs if {k: r[k] for k in key} != key]
            row = {**key, **measure(method, params, X_train, X_test, data, seed,
                                    args.restarts), "acc_x": acc_x}
            runs.append(row)
            print(" ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}"
                           for k, v in row.items()), flush=True)
            write_csv(pd.DataFrame(runs), runs_path, head)
    summary = summarize(pd.DataFrame(runs))
    (args.output / "summary.md").write_text(markdown(summary, head))
    print(markdown(summary, head))


if __name__ == "__main__":
    main()
