"""Adversarial Forgetting on Adult and German credit: A_y, A_s, majority share, DP gap.

The forgetting paper's protocol (Tables 3-4): train on the training split, freeze z~, train a
post-hoc two-layer MLP probe of s on the training representation, report its test accuracy
A_s next to the majority share of s; A_y is the test accuracy of the jointly trained
predictor. Each seed refits everything. Not a test: run it and read the output.

    python benchmarks/forgetting_tabular.py --dataset adult --seeds 0 1 2
    python benchmarks/forgetting_tabular.py --dataset german --seeds 0 1 2 --max-epochs 100 \
        --batch-size 64
"""

from __future__ import annotations

import argparse
import time

import pandas as pd
import torch

from fairrep import ForgettingClassifier
from sliced_infomin_adult import parse_params  # NAME=VALUE parsing (this script's folder)
from fairrep.benchmark import evaluate_classifier
from fairrep.datasets import load_adult, load_german

LOADERS = {"adult": load_adult, "german": load_german}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=sorted(LOADERS), default="adult")
    parser.add_argument("--sensitive", default="sex")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--max-epochs", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                        help="a ForgettingClassifier parameter (a number; a,b for hidden "
                             "sizes; a word), repeatable")
    args = parser.parse_args()
    params = parse_params(args.param)
    torch.set_num_threads(args.threads)

    load = LOADERS[args.dataset]
    train = load(sensitive=args.sensitive, subset="train")
    test = load(sensitive=args.sensitive, subset="test")
    rows = []
    for seed in args.seeds:
        clf = ForgettingClassifier(max_epochs=args.max_epochs, batch_size=args.batch_size,
                                   random_state=seed, **params)
        start = time.perf_counter()
        clf.fit(train.data, train.target, s=train.sensitive)
        row = {"seed": seed, "fit_seconds": time.perf_counter() - start}
        row.update(evaluate_classifier(clf, train, test, random_state=seed))
        rows.append(row)
        print(pd.DataFrame([row]).round(4).to_string(index=False, header=len(rows) == 1),
              flush=True)
    table = pd.DataFrame(rows)
    table["A_s - majority"] = table["A_s"] - table["majority_s"]
    summary = table.drop(columns="seed").agg(["mean", "std"]).round(4)
    print(f"\n{args.dataset}, s = {args.sensitive}, {len(args.seeds)} seed(s), "
          f"{args.max_epochs} epochs, batch {args.batch_size}, ForgettingClassifier "
          f"{params or 'defaults'}")
    print(summary.to_string())


if __name__ == "__main__":
    main()
