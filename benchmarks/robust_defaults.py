"""Every s-using classifier at its defaults, on tables and preprocessing it was not tuned on.

The protocol behind the defaults (issue "robust defaults"): for each table x preprocessing
recipe x sensitive attribute x seed, each method's classifier is fitted at its defaults
(only ``random_state`` set) with ``s``, and the same classifier is fitted with its strength
parameter at 0 ("the same network without s"); a logistic regression on X is the
unconstrained linear reference. On the test split it records

- ``acc``: accuracy of the method's own predictions;
- ``dp_gap``: demographic-parity gap of the predictions (largest minus smallest positive
  rate over the groups of s; for a continuous s over its quartiles);
- ``rho_pred``: binned maximal correlation between the predicted probability and s
  (:func:`fairrep.metrics.binned_max_correlation`, a held-out half), which a majority-share
  probe cannot hide;
- ``constant``: 1 when every test prediction is one class (a collapsed model);
- ``fit_s``: seconds of ``fit``;

and per row of the summary whether the method *acts* (dp_gap and rho_pred below the same
network without s) and whether it is *safe* (no constant predictions, accuracy no lower than
the majority share + 0.01).

Tables: Adult (UCI split; s = sex, race (5 groups) or age (continuous)), German credit
(3 stratified 70/30 splits, s = sex) and a generated table with a known amount of s-leakage
(binary, 4-group and continuous s). Recipes, applied to the raw columns: ``standard``
(one-hot + StandardScaler, the README's pipeline), ``log1p`` (log1p of non-negative skewed
columns first), ``quantile`` (QuantileTransformer to a normal), ``outliers`` (``standard``
after 0.5 % of the training rows got one numeric value multiplied by 50).

    python benchmarks/robust_defaults.py                        # the whole protocol (hours)
    python benchmarks/robust_defaults.py --tables german synthetic --seeds 0 1 2
    python benchmarks/robust_defaults.py --tables adult --recipes standard --seeds 0 \
        --methods forgetting cvib

Results go to ``benchmarks/results/robust_defaults/`` (``runs.csv``, ``summary.csv``,
``summary.md``, and ``methods.md`` / ``methods.rst``: one line per method over the whole
protocol; each with the command, date, machine and versions in a header); ``--resume``
keeps the runs already in ``runs.csv`` and fits only the missing ones; ``--update`` refits
``--methods`` on what the command names and keeps every other run (the references too). The
committed results come from ``benchmarks/run_robust_defaults.sh`` (the steps it lists, about
an hour on 2 cores).
"""

from __future__ import annotations

import argparse
import ast
import inspect
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import OneHotEncoder, QuantileTransformer, StandardScaler

from fairrep.benchmark._provenance import continued_command, header, read_csv, write_csv
from fairrep.datasets import load_adult, load_german
from fairrep.methods import get_method
from fairrep.metrics import binned_max_correlation

#: The classifiers whose invariance term reads s (the issue's list).
METHODS = ["forgetting", "sliced_infomin", "gradient_reversal", "mmd", "hsic", "vfae", "cvib"]
RECIPES = ["standard", "log1p", "quantile", "outliers"]
TABLES = ["adult", "german", "synthetic"]
#: table -> the sensitive attributes the protocol takes there
SENSITIVE = {"adult": ["sex", "race", "age"], "german": ["sex"],
             "synthetic": ["binary", "groups", "continuous"]}
#: reference fits, not methods of fairrep
REFERENCES = ("logreg", "fairlearn_adv")
OUT = Path(__file__).parent / "results" / "robust_defaults"


# -- tables: raw frames, y, s ------------------------------------------------------------------
def _adult(sensitive, seed):
    train = load_adult(as_frame=True, subset="train", sensitive=sensitive)
    test = load_adult(as_frame=True, subset="test", sensitive=sensitive)
    return (train.data, train.target.to_numpy(), train.sensitive.to_numpy(),
            test.data, test.target.to_numpy(), test.sensitive.to_numpy())


def _german(sensitive, seed):
    bunch = load_german(as_frame=True, sensitive=sensitive)
    X, y, s = bunch.data, bunch.target.to_numpy(), bunch.sensitive.to_numpy()
    idx_train, idx_test = train_test_split(np.arange(len(y)), test_size=0.3, stratify=y,
                                           random_state=seed)
    return (X.iloc[idx_train], y[idx_train], s[idx_train],
            X.iloc[idx_test], y[idx_test], s[idx_test])


def make_leaky_table(kind, n=6000, seed=0):
    """A table with a known amount of s-leakage.

    y depends on two latent factors u1, u2 and on s (through a shift of its logit); X holds
    noisy views of u1, u2, two proxies of s (0.5 noise), a skewed positive column and a
    categorical column whose distribution depends on s. ``kind``: 'binary' (two groups, 70/30),
    'groups' (four groups) or 'continuous' (a standard normal s).
    """
    rng = np.random.RandomState(1000 + seed)
    if kind == "binary":
        s = (rng.uniform(size=n) < 0.3).astype(int)
        s_num = s - s.mean()
    elif kind == "groups":
        s = rng.choice(4, size=n, p=[0.4, 0.3, 0.2, 0.1])
        s_num = (s - 1.5) / 1.1
    else:
        s = rng.normal(size=n)
        s_num = s
    u = rng.normal(size=(n, 2))
    logit = 1.5 * u[:, 0] + 1.0 * u[:, 1] + 1.2 * s_num
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-logit))).astype(int)
    frame = pd.DataFrame({
        "u1": u[:, 0] + 0.3 * rng.normal(size=n),
        "u2": u[:, 1] + 0.3 * rng.normal(size=n),
        "proxy1": s_num + 0.5 * rng.normal(size=n),
        "proxy2": s_num + 0.5 * rng.normal(size=n) + 0.3 * u[:, 0],
        "amount": np.exp(1.5 * rng.normal(size=n) + 0.5 * s_num),  # heavy-tailed, positive
    })
    p_cat = 1 / (1 + np.exp(-(s_num - 0.2)))
    frame["kind"] = pd.Categorical(np.where(rng.uniform(size=n) < p_cat, "a",
                                            rng.choice(["b", "c"], size=n)))
    return frame, y, s


def _synthetic(sensitive, seed):
    frame, y, s = make_leaky_table(sensitive, seed=seed)
    cut = int(0.7 * len(y))
    return frame.iloc[:cut], y[:cut], s[:cut], frame.iloc[cut:], y[cut:], s[cut:]


LOADERS = {"adult": _adult, "german": _german, "synthetic": _synthetic}


# -- preprocessing recipes ---------------------------------------------------------------------
def _skewed(frame):
    numeric = frame.select_dtypes("number")
    return [c for c in numeric if numeric[c].min() >= 0 and numeric[c].skew() > 2]


def preprocess(recipe, X_train, X_test, seed):
    """Dense float arrays of the raw train / test frames under ``recipe`` (fit on train)."""
    X_train, X_test = X_train.copy(), X_test.copy()
    numeric = list(X_train.select_dtypes("number").columns)
    if recipe == "log1p":
        for c in _skewed(X_train):
            X_train[c], X_test[c] = np.log1p(X_train[c]), np.log1p(X_test[c])
    if recipe == "outliers":
        rng = np.random.RandomState(seed)
        rows = rng.choice(len(X_train), size=max(1, len(X_train) // 200), replace=False)
        for r in rows:
            c = numeric[rng.randint(len(numeric))]
            X_train.iloc[r, X_train.columns.get_loc(c)] *= 50.0
    scaler = (QuantileTransformer(output_distribution="normal", n_quantiles=200,
                                  random_state=seed) if recipe == "quantile"
              else StandardScaler())
    prep = ColumnTransformer([
        ("cat", OneHotEncoder(handle_unknown="ignore"),
         make_column_selector(dtype_include="category")),
        ("num", scaler, make_column_selector(dtype_include="number")),
    ], sparse_threshold=0)
    return (prep.fit_transform(X_train).astype(np.float64),
            prep.transform(X_test).astype(np.float64))


# -- figures -----------------------------------------------------------------------------------
def _groups(s):
    s = np.asarray(s)
    if s.dtype.kind == "f" and len(np.unique(s)) > 10:
        return pd.qcut(s, 4, labels=False, duplicates="drop")
    return s


def dp_gap(y_pred, s):
    groups = _groups(s)
    rates = [np.mean(y_pred[groups == g] == 1) for g in np.unique(groups)]
    return float(max(rates) - min(rates))


def figures(y_test, y_pred, proba, s_test, seed):
    return {
        "acc": float(np.mean(y_pred == y_test)),
        "dp_gap": dp_gap(y_pred, s_test),
        "rho_pred": float(binned_max_correlation(proba, s_test, bins=10, random_state=seed)),
        "constant": float(len(np.unique(y_pred)) == 1),
        "pos_rate": float(np.mean(y_pred == 1)),
    }


def fit_method(method, strength_off, X_train, y_train, s_train, seed, overrides=None):
    spec = get_method(method)
    cls = spec.classifier
    params = {"random_state": seed, **(overrides or {})}
    if strength_off:
        params[spec.strength_param] = 0.0
    clf = cls(**params)
    accepted = set(inspect.signature(cls.__init__).parameters)
    assert set(params) <= accepted
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clf.fit(X_train, y_train, s=None if strength_off else s_train)
    fit_s = time.perf_counter() - start
    return clf, fit_s, fairrep_warnings(caught)


def fairrep_warnings(caught):
    """The names of fairrep's own warning classes (a collapsed task, a missing s, a bound not
    met or measured on too few rows) among the recorded warnings ``caught``, sorted and joined
    by ';': they say a row's figures need a caveat. Other libraries' warnings are left out."""
    return ";".join(sorted({w.category.__name__ for w in caught
                            if w.category.__module__ == "fairrep.exceptions"}))


def fit_fairlearn_adversarial(X_train, y_train, s_train, seed):
    """The timing reference of the issue: fairlearn's AdversarialFairnessClassifier,
    30 epochs of 256 rows (a 50-unit predictor, a 3-unit adversary)."""
    from fairlearn.adversarial import AdversarialFairnessClassifier

    clf = AdversarialFairnessClassifier(
        backend="torch", predictor_model=[50, "leaky_relu"],
        adversary_model=[3, "leaky_relu"], epochs=30, batch_size=256, random_state=seed)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(np.asarray(X_train, dtype=np.float32), np.asarray(y_train),
                sensitive_features=np.asarray(s_train))
    return _ProbaFromDecision(clf), time.perf_counter() - start


class _ProbaFromDecision:
    """fairlearn's classifier, fed float32 rows; predict_proba from its predictor's output
    (``_raw_predict``: the sigmoid of the logit for a binary y; fairlearn has no public
    predict_proba)."""

    def __init__(self, clf):
        self.clf = clf

    def predict(self, X):
        return self.clf.predict(np.asarray(X, dtype=np.float32))

    def predict_proba(self, X):
        p = np.asarray(self.clf._raw_predict(np.asarray(X, dtype=np.float32))).reshape(-1)
        return np.column_stack([1 - p, p])


def summarize(runs):
    """Per table x recipe x s x method: means over seeds, against the same network without s."""
    keys = ["table", "recipe", "sensitive"]
    fitted = runs[runs.variant == "with_s"]
    plain = runs[runs.variant == "strength_0"].set_index(keys + ["method", "seed"])
    logreg = runs[runs.variant == "logreg"].set_index(keys + ["seed"])
    adv = runs[runs.variant == "reference"].set_index(keys + ["seed"])
    rows = []
    for (table, recipe, sensitive, method), group in fitted.groupby(keys + ["method"],
                                                                     sort=False):
        ref = plain.reindex([(table, recipe, sensitive, method, s) for s in group.seed])
        lr = logreg.reindex([(table, recipe, sensitive, s) for s in group.seed])
        fl = adv.reindex([(table, recipe, sensitive, s) for s in group.seed])
        rows.append({
            "table": table, "recipe": recipe, "sensitive": sensitive, "method": method,
            "seeds": len(group),
            "acc": group.acc.mean(), "dp_gap": group.dp_gap.mean(),
            "rho_pred": group.rho_pred.mean(),
            "acc_without_s": ref.acc.mean(), "dp_gap_without_s": ref.dp_gap.mean(),
            "rho_pred_without_s": ref.rho_pred.mean(),
            "acc_logreg": lr.acc.mean(), "dp_gap_logreg": lr.dp_gap.mean(),
            "collapsed": int((group.constant > 0).sum()),
            "acts": bool((group.dp_gap.to_numpy() < ref.dp_gap.to_numpy()).mean() > 0.5
                         and group.rho_pred.mean() < ref.rho_pred.mean()),
            "fit_s": group.fit_s.mean(),
            "fit_vs_fairlearn": (group.fit_s.to_numpy() / fl.fit_s.to_numpy()).max(),
        })
    return pd.DataFrame(rows)


def results_arguments(parser, output, update_help, summarize=True):
    """The options shared by the scripts that write a results folder: ``--threads`` (torch
    threads, default 2), ``--output`` (default ``output``), ``--update`` (``update_help``: the
    runs it keeps) and, with ``summarize``, ``--summarize`` (no fits: the summaries rewritten
    from the output's runs.csv)."""
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--output", type=Path, default=output)
    parser.add_argument("--update", action="store_true", help=update_help)
    if summarize:
        parser.add_argument("--summarize", action="store_true",
                            help="no fits: rewrite the summaries from the output's runs.csv")


def table_head(head, columns):
    """The first lines of a results markdown: the provenance header as a comment, then the
    table's header row and rule for ``columns``."""
    return ["<!-- " + head.replace("\n", " | ") + "-->", "",
            "| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]


def list_table(rows):
    """Lines of a reStructuredText list-table: ``rows`` of cell strings, the header row
    first."""
    lines = [".. list-table::", "   :header-rows: 1", ""]
    for row in rows:
        lines += [f"   * - {row[0]}", *(f"     - {cell}" for cell in row[1:])]
    return lines


def markdown(summary, head):
    lines = table_head(head, [
        "table", "recipe", "s", "method", "acc", "DP gap", "rho(pred; s)",
        "without s: acc / DP / rho", "logreg acc / DP", "collapsed", "acts", "fit s",
        "fit / fairlearn adv."])
    for r in summary.itertuples():
        lines.append(
            f"| {r.table} | {r.recipe} | {r.sensitive} | {r.method} | {r.acc:.3f} | "
            f"{r.dp_gap:.3f} | {r.rho_pred:.3f} | {r.acc_without_s:.3f} / "
            f"{r.dp_gap_without_s:.3f} / {r.rho_pred_without_s:.3f} | {r.acc_logreg:.3f} / "
            f"{r.dp_gap_logreg:.3f} | {r.collapsed} of {r.seeds} | "
            f"{'yes' if r.acts else '**no**'} | {r.fit_s:.1f} | {r.fit_vs_fairlearn:.1f}x |")
    return "\n".join(lines) + "\n"


def method_lines(summary):
    """One line per method over every row of the summary: collapses, how often it acts,
    and its figures on the README's recipe (Adult, one-hot + StandardScaler, s = sex)."""
    rows = []
    for method, group in summary.groupby("method", sort=False):
        adult = group[(group.table == "adult") & (group.recipe == "standard")
                      & (group.sensitive == "sex")]
        rows.append({
            "method": method,
            "collapsed": f"{int(group.collapsed.sum())} of {int(group.seeds.sum())} fits",
            "acts": f"{int(group.acts.sum())} of {len(group)} settings",
            "adult_sex": ("not run" if adult.empty else
                          f"acc {adult.acc.iloc[0]:.3f}, DP gap {adult.dp_gap.iloc[0]:.3f} "
                          f"(without s {adult.acc_without_s.iloc[0]:.3f}, "
                          f"{adult.dp_gap_without_s.iloc[0]:.3f}; {int(adult.seeds.iloc[0])} "
                          f"seeds), fit {adult.fit_vs_fairlearn.iloc[0]:.1f}x fairlearn's "
                          "adversarial"),
        })
    return pd.DataFrame(rows)


def method_markdown(lines, head):
    out = ["<!-- " + head.replace("\n", " | ") + "-->", "",
           "| method | collapsed | acts (DP gap and rho below the same net without s) | "
           "Adult, one-hot + StandardScaler, s = sex |", "|---|---|---|---|"]
    out += [f"| {r.method} | {r.collapsed} | {r.acts} | {r.adult_sex} |"
            for r in lines.itertuples()]
    return "\n".join(out) + "\n"


def method_rst(lines, head):
    """methods.md as an reStructuredText list-table (the docs include it)."""
    columns = ["method", "collapsed", "acts (DP gap and rho below the same net without s)",
               "Adult, one-hot + StandardScaler, s = sex"]
    rows = [[f"``{r.method}``", r.collapsed, r.acts, r.adult_sex] for r in lines.itertuples()]
    out = [".. " + line for line in head.splitlines()] + ["", *list_table([columns, *rows])]
    return "\n".join(out) + "\n"


def _named(runs, args):
    """Rows of ``runs`` that ``--update`` refits: the named methods' own fits (not the
    references) on the named tables, recipes, sensitive attributes and seeds."""
    sensitive = runs.apply(lambda r: r.sensitive in (args.sensitive or SENSITIVE[r.table]),
                           axis=1)
    return (runs.method.isin(args.methods) & runs.variant.isin(["with_s", "strength_0"])
            & runs.table.isin(args.tables) & runs.recipe.isin(args.recipes)
            & runs.seed.isin(args.seeds) & sensitive)


def cells(tables, sensitive, seeds, recipes):
    """``(table, sensitive, seed, recipe, raw)`` for each cell of the protocol that the
    arguments name (``sensitive`` None: every attribute each table has); ``raw`` is the
    table loader's ``(X_train, y_train, s_train, X_test, y_test, s_test)``, loaded once per
    seed."""
    for table in tables:
        for name in sensitive or SENSITIVE[table]:
            if name not in SENSITIVE[table]:
                continue
            for seed in seeds:
                raw = LOADERS[table](name, seed)
                for recipe in recipes:
                    yield table, name, seed, recipe, raw


def parse_params(items):
    """``METHOD:NAME=VALUE`` items -> {method: {name: value}}; a value is True / False / None,
    a number, a tuple written as a Python literal (``hidden_layer_sizes=(64,32)``, ``()``), or
    else the string."""
    overrides = {}
    for item in items:
        method, _, assignment = item.partition(":")
        name, _, value = assignment.partition("=")
        if value in ("True", "False", "None"):
            value = {"True": True, "False": False, "None": None}[value]
        elif value.startswith("("):
            value = tuple(ast.literal_eval(value))
        else:
            try:
                value = float(value) if "." in value or "e" in value else int(value)
            except ValueError:
                pass
        overrides.setdefault(method, {})[name] = value
    return overrides


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", nargs="+", choices=TABLES, default=TABLES)
    parser.add_argument("--recipes", nargs="+", choices=RECIPES, default=RECIPES)
    parser.add_argument("--sensitive", nargs="+", default=None,
                        help="sensitive attributes (default: every one the table has)")
    parser.add_argument("--methods", nargs="+", choices=METHODS, default=METHODS)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--output", type=Path, default=OUT)
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--update", action="store_true",
                        help="refit --methods on the named tables, recipes, attributes and "
                             "seeds, keeping every other run of --output (the header then "
                             "lists the earlier command and this one)")
    parser.add_argument("--param", action="append", default=[], metavar="METHOD:NAME=VALUE",
                        help="a candidate setting instead of a default, repeatable (the runs "
                             "are then not the defaults': write them to another --output)")
    args = parser.parse_args(argv)
    overrides = parse_params(args.param)
    torch.set_num_threads(args.threads)
    command = "python " + " ".join([sys.argv[0].split("/work/main/")[-1], *(argv or sys.argv[1:])])
    args.output.mkdir(parents=True, exist_ok=True)
    runs_path = args.output / "runs.csv"
    runs = []
    if (args.resume or args.update) and runs_path.exists():
        kept = read_csv(runs_path)
        if args.update:
            command = continued_command(runs_path, command)
            kept = kept[~_named(kept, args)]
        runs = kept.to_dict("records")
    head = header(command)
    done = {(r["table"], r["recipe"], r["sensitive"], r["method"], r["variant"], r["seed"])
            for r in runs}
    for table, sensitive, seed, recipe, raw in cells(args.tables, args.sensitive, args.seeds,
                                                     args.recipes):
        X_train, X_test = preprocess(recipe, raw[0], raw[3], seed)
        y_train, s_train, y_test, s_test = raw[1], raw[2], raw[4], raw[5]
        continuous = np.asarray(s_train).dtype.kind == "f"
        todo = [("logreg", "logreg"), ("fairlearn_adv", "reference")] + [
            (m, v) for m in args.methods for v in ("with_s", "strength_0")]
        for method, variant in todo:
            key = (table, recipe, sensitive, method, variant, seed)
            if key in done:
                continue
            if continuous and method not in REFERENCES and getattr(
                    get_method(method).classifier, "_s_kind", None) != "numeric":
                continue  # the method takes a categorical s only
            if continuous and method == "fairlearn_adv":
                continue
            if method == "logreg":
                start = time.perf_counter()
                clf = LogisticRegression(max_iter=2000).fit(X_train, y_train)
                fit_s, warned = time.perf_counter() - start, ""
            elif method == "fairlearn_adv":
                clf, fit_s = fit_fairlearn_adversarial(X_train, y_train, s_train,
                                                       seed)
                warned = ""
            else:
                clf, fit_s, warned = fit_method(method, variant == "strength_0",
                                                X_train, y_train, s_train, seed,
                                                overrides.get(method))
            y_pred = clf.predict(X_test)
            proba = clf.predict_proba(X_test)[:, 1]
            row = {"table": table, "recipe": recipe, "sensitive": sensitive,
                   "method": method, "variant": variant, "seed": seed,
                   **figures(y_test, y_pred, proba, s_test, seed),
                   "fit_s": fit_s, "warnings": warned}
            runs.append(row)
            print(" ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}"
                           for k, v in row.items()), flush=True)
            write_csv(pd.DataFrame(runs), runs_path, head)
    frame = pd.DataFrame(runs)
    summary = summarize(frame)
    write_csv(summary, args.output / "summary.csv", head)
    (args.output / "summary.md").write_text(markdown(summary, head))
    lines = method_lines(summary)
    (args.output / "methods.md").write_text(method_markdown(lines, head))
    (args.output / "methods.rst").write_text(method_rst(lines, head))
    print(markdown(summary, head))


if __name__ == "__main__":
    main()
