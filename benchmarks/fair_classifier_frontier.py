"""Accuracy against rho(probe; s) of a classifier trained to make its own logit independent of s.

A second reference line for the sliced infomin target on Adult with s = age ("rho*(Z; s) <=
0.10 with a logistic regression on Z within 0.02 of the unconstrained representation").
``parity_accuracy_bound.py`` gives a generous *upper* estimate: its group-wise thresholds read
s and are chosen on the test labels. This script instead trains what the target asks of the
representation, but for one scalar only: a network u = f(X) (X without s, as
``load_adult`` gives it) that predicts income by its logit u and minimises

    BCE(u, y) + lambda * sum_k eta^2(phi_k(u); b(s))

where b(s) cuts s into ``--bins`` quantile bins of the training rows, phi_k runs over u, tanh(u),
u^2 (u standardised in the batch) and sigmoid(u), and eta^2 is the squared correlation ratio,
Var(E[phi | b]) / Var(phi): the squared maximal correlation between phi and the binned s, in
closed form and differentiable. A representation Z with rho*(Z; s) <= eps lets a logistic
regression read at most such a u (its logit is one function of Z), so where this frontier
sits below the target's accuracy at eps, the representation has no easy way past it either.

It reports, on the Adult test file, the accuracy of u > 0 and rho(probe; s) =
``binned_max_correlation(u, s)``, the figure ``sliced_infomin_adult.py`` prints for the
logistic regression on Z. The frontier is that of this training, not a bound: a better
optimiser could do better. ``--s-as-feature`` gives the network s itself, as the group-wise
rule of ``parity_accuracy_bound.py`` reads it: where this training then stays below that
rule's accuracy, the gap is the training's, not the information's. Not a test: run it and
read the output.

    python benchmarks/fair_classifier_frontier.py
    python benchmarks/fair_classifier_frontier.py --lam 0 2 4 --batch-size 0 --epochs 800 \
        --lr 3e-3   # full-batch: the penalty on all training rows at once
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from fairrep.datasets import load_adult
from fairrep.metrics import binned_max_correlation
from fairrep.metrics._dependence import _bin_codes  # binned_max_correlation's binning of s
from sliced_infomin_adult import with_s_column  # this folder's script: s appended to X


def correlation_ratio_sq(f, bins, n_bins):
    """eta^2 of ``f`` on the integer groups ``bins``: Var(E[f | bin]) / Var(f)."""
    f = f - f.mean()
    sums = f.new_zeros(n_bins).index_add(0, bins, f)
    counts = f.new_zeros(n_bins).index_add(0, bins, torch.ones_like(f))
    return (sums.pow(2) / counts.clamp(min=1)).sum() / (f.pow(2).sum() + 1e-8)


def dependence_penalty(u, bins, n_bins):
    """Sum of eta^2 over u, tanh(u), u^2 (u standardised) and sigmoid(u)."""
    us = (u - u.mean()) / (u.std() + 1e-6)
    return sum(correlation_ratio_sq(phi, bins, n_bins)
               for phi in (us, torch.tanh(us), us.pow(2), torch.sigmoid(u)))


def fit_and_score(lam, args, data):
    X_train, y_train, bins, n_bins, X_test, y_test, s_test = data
    torch.manual_seed(args.seed)
    widths, layers = [X_train.shape[1], *args.hidden], []
    for fan_in, fan_out in zip(widths[:-1], widths[1:]):
        layers += [torch.nn.Linear(fan_in, fan_out), torch.nn.ReLU()]
    net = torch.nn.Sequential(*layers, torch.nn.Linear(widths[-1], 1))
    optimizer = torch.optim.Adam(net.parameters(), args.lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, args.epochs)
    n = len(X_train)
    batch = args.batch_size or n
    start = time.perf_counter()
    for _ in range(args.epochs):
        order = torch.randperm(n)
        for first in range(0, n, batch):
            rows = order[first:first + batch]
            u = net(X_train[rows]).squeeze(1)
            loss = F.binary_cross_entropy_with_logits(u, y_train[rows])
            if lam:
                loss = loss + lam * dependence_penalty(u, bins[rows], n_bins)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        schedule.step()
    with torch.no_grad():
        u_test = net(X_test).squeeze(1).numpy()
    return {"lambda": lam, "acc_y (u > 0)": float(((u_test > 0) == y_test).mean()),
            "rho(probe;s)": binned_max_correlation(u_test, s_test, random_state=args.seed),
            "fit_seconds": time.perf_counter() - start}


def load(args):
    train = load_adult(sensitive=args.sensitive, subset="train")
    test = load_adult(sensitive=args.sensitive, subset="test")
    if args.s_as_feature:
        train, test = with_s_column(train, test)
    bins, n_bins = _bin_codes(np.asarray(train.sensitive), "s", args.bins)  # groups or bins

    def tensor(a):
        return torch.tensor(np.asarray(a), dtype=torch.float32)

    return (tensor(train.data), tensor(train.target), torch.as_tensor(bins), n_bins,
            tensor(test.data), np.asarray(test.target), test.sensitive)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sensitive", default="age", choices=["age", "sex"])
    parser.add_argument("--lam", type=float, nargs="+",
                        default=[0.0, 0.3, 0.5, 0.6, 0.7, 0.8, 1.0])
    parser.add_argument("--hidden", type=int, nargs="*", default=[100])
    parser.add_argument("--bins", type=int, default=20)
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--batch-size", type=int, default=2000, help="0: full batch")
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--s-as-feature", action="store_true",
                        help="append s (standardised) to X, as parity_accuracy_bound.py's "
                             "group-wise rule reads it")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    data = load(args)
    print(f"Adult, s = {args.sensitive}, hidden {tuple(args.hidden)}, {args.epochs} epochs, "
          f"batch {args.batch_size or 'all'}, lr {args.lr}, {data[3]} groups of s, seed {args.seed}"
          f"{', s among the features' if args.s_as_feature else ''}")
    rows = [fit_and_score(lam, args, data) for lam in args.lam]
    print(pd.DataFrame(rows).to_string(index=False, float_format=lambda v: f"{v:.4f}"))


if __name__ == "__main__":
    main()
