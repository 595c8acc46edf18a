"""Fully invertible RevNet on 8x8 digits: CE vs a plain MLP, CE vs iCE (Jacobsen et al. 2019).

Two tables, each row one fit (seeded), errors in percent on held-out data:

1. ``digits``: sklearn's 8x8 digits (pixels / 16, stratified split). The fully invertible
   RevNet (``InvertibleClassifier`` with ``image_shape=(1, 8, 8)``) trained with cross-entropy
   next to a non-invertible network of about the same number of parameters
   (``MLPClassifier`` with one hidden layer), and the RevNet trained with iCE. ``nuisance``
   is the error of a freshly trained MLP reading y from z_n (train z_n -> test z_n), the
   "Nuisance" readout of the paper's Table 2; chance is about 90 %.
2. ``shift-<kind>`` (when ``fairrep.datasets.make_shift_digits`` exists): shiftMNIST on
   digits (paper section 6, Fig. 8), CE vs iCE: error on the training distribution (``iid``)
   and on the shifted test distribution (``shifted``, D_Adv), and the nuisance readout.

Not a test: run it and read the output (a few minutes on one core); with ``--output DIR``
it also writes ``DIR/runs.csv`` (a row per fit) and ``DIR/summary.md`` / ``summary.rst``
(means over seeds and, for the shifts, iCE's gain over CE per seed), each under a header of
the command, date, machine and versions::

    python benchmarks/invertible_digits.py --seeds 0
    python benchmarks/invertible_digits.py --skip-digits --shift texture binary --seeds 0 1 2 \
        --output benchmarks/results/invertible_digits
    python benchmarks/invertible_digits.py --skip-digits --no-batch-norm-logits --seeds 0 1 2

The RevNet runs at ``InvertibleClassifier``'s defaults unless a flag says otherwise (the
reference code's iCE: ``--nuisance-targets shuffled --nuisance-weight 0.05``).
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from threadpoolctl import threadpool_limits

from fairrep.benchmark._provenance import header, write_csv
from fairrep.methods.invertible import InvertibleClassifier

sys.path.insert(0, str(Path(__file__).parent))
from robust_defaults import list_table, table_head  # noqa: E402


def _n_params(clf):
    """Parameters of the bijection F (without D_nc and the Gaussian prior of z_n)."""
    return sum(p.numel() for p in clf.net_.module_.flow.parameters())


def _mlp_of_size(n_params, n_features, n_classes, seed):
    hidden = max(1, round((n_params - n_classes) / (n_features + 1 + n_classes)))
    return MLPClassifier(hidden_layer_sizes=(hidden,), max_iter=300, random_state=seed)


def _fit(model, X, y):
    start = time.perf_counter()
    with warnings.catch_warnings(), threadpool_limits(limits=1):
        warnings.simplefilter("ignore", category=ConvergenceWarning)
        model.fit(X, y)
    return time.perf_counter() - start


def _error(model, X, y):
    return 100.0 * float(np.mean(model.predict(X) != y))


def _revnet(loss, args, seed):
    return InvertibleClassifier(
        loss=loss, image_shape=(1, 8, 8), n_blocks=args.n_blocks,
        hidden_layer_sizes=tuple(args.hidden), nuisance_weight=args.nuisance_weight,
        likelihood_weight=args.likelihood_weight, nuisance_targets=args.nuisance_targets,
        adversary_steps=args.adversary_steps, batch_norm_logits=args.batch_norm_logits,
        logit_prior=args.logit_prior,
        max_epochs=args.max_epochs,
        batch_size=args.batch_size, lr=args.lr, random_state=seed)


def _print(rows):
    table = pd.DataFrame(rows)
    print(table.round(2).to_string(index=False), flush=True)
    return table


def digits_table(args):
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    rows = []
    for seed in args.seeds:
        X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.3, stratify=y,
                                                  random_state=seed)
        for loss in ("ce", "ice"):
            clf = _revnet(loss, args, seed)
            seconds = _fit(clf, X_tr, y_tr)
            nuisance = 100.0 * (1 - clf.nuisance_accuracy(X_tr, y_tr, X_te, y_te,
                                                           random_state=seed))
            rows.append(dict(data="digits", seed=seed, model=f"fi-RevNet {loss}",
                             params=_n_params(clf), train=_error(clf, X_tr, y_tr),
                             test=_error(clf, X_te, y_te), nuisance=nuisance,
                             seconds=seconds))
            print(f"  {rows[-1]['model']}, seed {seed}: test error {rows[-1]['test']:.2f} %",
                  flush=True)
            if loss == "ce":
                mlp = _mlp_of_size(rows[-1]["params"], X.shape[1], 10, seed)
                seconds = _fit(mlp, X_tr, y_tr)
                rows.append(dict(data="digits", seed=seed,
                                 model=f"MLP {mlp.hidden_layer_sizes}",
                                 params=sum(w.size for w in mlp.coefs_ + mlp.intercepts_),
                                 train=_error(mlp, X_tr, y_tr), test=_error(mlp, X_te, y_te),
                                 nuisance=np.nan, seconds=seconds))
    return rows


def shift_table(args, make_shift_digits):
    rows = []
    for kind in args.shift:
        for seed in args.seeds:
            data = make_shift_digits(kind=kind, random_state=seed)
            for loss in ("ce", "ice"):
                clf = _revnet(loss, args, seed)
                seconds = _fit(clf, data.data, data.target)
                nuisance = 100.0 * (1 - clf.nuisance_accuracy(
                    data.data, data.target, data.data_iid_test, data.target_test,
                    random_state=seed))
                rows.append(dict(data=f"shift-{kind}", seed=seed, model=f"fi-RevNet {loss}",
                                 params=_n_params(clf),
                                 train=_error(clf, data.data, data.target),
                                 iid=_error(clf, data.data_iid_test, data.target_test),
                                 shifted=_error(clf, data.data_test, data.target_test),
                                 nuisance=nuisance, seconds=seconds))
                print(f"  {rows[-1]['model']}, {kind}, seed {seed}: shifted error "
                      f"{rows[-1]['shifted']:.2f} %", flush=True)
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--max-epochs", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--n-blocks", type=int, default=4)
    parser.add_argument("--hidden", type=int, nargs="+", default=[64],
                        help="channels of each coupling's CNN")
    # iCE at the estimator's defaults: the paper's min-max ('true' targets, weight 1)
    parser.add_argument("--nuisance-weight", type=float, default=1.0)
    parser.add_argument("--likelihood-weight", type=float, default=1.0)
    parser.add_argument("--nuisance-targets", choices=["true", "shuffled"], default="true")
    parser.add_argument("--adversary-steps", type=int, default=5)
    parser.add_argument("--shift", nargs="*", default=["binary", "texture"],
                        choices=["binary", "texture"], help="shiftMNIST kinds (none: skip)")
    parser.add_argument("--batch-norm-logits", action=argparse.BooleanOptionalAction,
                        default=True,
                        help="predict from BatchNorm1d(z_s), the reference code's head")
    parser.add_argument("--logit-prior", action="store_true",
                        help="a standard normal prior on z_s in the likelihood term")
    parser.add_argument("--skip-digits", action="store_true",
                        help="only the shiftMNIST table")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--output", type=Path, default=None,
                        help="write runs.csv, summary.md and summary.rst into this folder")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    command = "python " + " ".join(["benchmarks/invertible_digits.py",
                                    *(argv if argv is not None else sys.argv[1:])])

    tables = []
    if not args.skip_digits:
        print("digits (8x8, pixels / 16, 30 % stratified test split); errors in %")
        tables.append(_print(digits_table(args)))
    try:
        from fairrep.datasets._images import make_shift_digits
    except ImportError:
        make_shift_digits = None
        print("\nfairrep.datasets._images.make_shift_digits is not available: no shiftMNIST")
    if make_shift_digits is not None and args.shift:
        print("\nshiftMNIST on digits: iid = training distribution D, shifted = D_Adv")
        tables.append(_print(shift_table(args, make_shift_digits)))

    print(f"\n{len(args.seeds)} seed(s), {args.max_epochs} epochs, batch {args.batch_size}, "
          f"lr {args.lr}, {args.n_blocks} blocks of {args.hidden} channels; iCE: nuisance "
          f"weight {args.nuisance_weight} ({args.nuisance_targets} targets), likelihood "
          f"weight {args.likelihood_weight}, {args.adversary_steps} adversary steps"
          + ("; logits BatchNorm1d(z_s)" if args.batch_norm_logits else "; bare logits z_s")
          + ("; N(0, I) prior on z_s" if args.logit_prior else ""))
    for table in tables:
        print(seed_means(table).round(2).to_string(), "\n")
    if args.output is not None and tables:
        write_results(pd.concat(tables, ignore_index=True), args.output, header(command))


def seed_means(runs):
    """Means over seeds of each (data, model) pair's columns, indexed by the pair."""
    return runs.drop(columns=["seed"]).groupby(["data", "model"], sort=False).mean()


def shift_gains(runs):
    """Per shift kind and seed: the shifted-test error of CE and iCE and iCE's gain (CE's
    error minus iCE's, in points)."""
    shifts = runs[runs["data"].str.startswith("shift-")]
    if shifts.empty:
        return pd.DataFrame(columns=["data", "seed", "ce", "ice", "gain"])
    wide = shifts.pivot_table(index=["data", "seed"], columns="model", values="shifted")
    wide = wide.rename(columns={"fi-RevNet ce": "ce", "fi-RevNet ice": "ice"})
    wide["gain"] = wide["ce"] - wide["ice"]
    return wide[["ce", "ice", "gain"]].reset_index()


def _cells(frame):
    """Header and rows of ``frame`` as strings (numbers to 2 decimals)."""
    return [list(map(str, frame.columns)),
            *([f"{v:.2f}" if isinstance(v, float) else str(v) for v in row]
              for row in frame.itertuples(index=False))]


def _markdown(frame):
    """A pipe table of ``frame`` (numbers to 2 decimals), without extra dependencies."""
    columns, *rows = _cells(frame)
    return "\n".join(table_head("", columns)[2:] + ["| " + " | ".join(row) + " |"
                                                    for row in rows])


def write_results(runs, output, head):
    """``runs.csv``, ``summary.md`` and ``summary.rst`` (the docs include it) in ``output``:
    means over seeds, and iCE's gain over CE per seed on the shifted test images."""
    output.mkdir(parents=True, exist_ok=True)
    write_csv(runs, output / "runs.csv", head)
    means = seed_means(runs).reset_index()
    means["params"] = means["params"].round().astype(int)
    gains = shift_gains(runs)
    means_text = "Errors in % on held-out images, means over seeds; shifted = D_Adv."
    gains_text = ("iCE's gain on the shifted test images (CE's error - iCE's error, in "
                  "points), per seed:")
    md = [*table_head(head, [])[:2], means_text, "", _markdown(means), ""]
    rst = [".. " + line for line in head.strip().splitlines()] + [
        "", means_text, "", *list_table(_cells(means)), ""]
    if not gains.empty:
        md += [gains_text, "", _markdown(gains), ""]
        rst += [gains_text, "", *list_table(_cells(gains)), ""]
    (output / "summary.md").write_text("\n".join(md))
    (output / "summary.rst").write_text("\n".join(rst))


if __name__ == "__main__":
    main()
