"""VFAE, CVIB and UAI on Adult (s = sex): A_y, A_s and the majority share, per strength.

The protocol of the forgetting paper's Table 4 (Jaiswal et al., AAAI 2020): fit on the
training split; A_y is the test accuracy of the jointly trained predictor; A_s is the test
accuracy of a post-hoc two-layer MLP probe of s trained on the training representation
(``transform``), to be compared with the majority share of s on the test split. The first row
is the plain network (encoder + predictor, no invariance term: ``MMDClassifier`` with
``mmd_weight=0``); each method then runs at every strength given for it (its
``InvariantTransformer(invariance=...)`` parameter). ``--draws`` adds A_s_draw for VFAE and
CVIB: the probe on one draw z ~ q(z|x) (``sample_representation``) instead of the posterior
mean, the code whose information their objectives bound. Not a test: run it and read the
output.

    python benchmarks/variational_baselines_adult.py --seeds 0 --max-epochs 10
    python benchmarks/variational_baselines_adult.py --methods cvib --cvib 0 0.1 1 --draws
"""

from __future__ import annotations

import argparse
import time

import pandas as pd
import torch

from fairrep import MMDClassifier
from fairrep.datasets import load_adult
from fairrep.methods.variational_baselines import CVIBClassifier, UAIClassifier, VFAEClassifier
from fairrep.metrics import majority_share, probe_accuracy

#: method -> (classifier, strength parameter, default strengths)
METHODS = {
    "vfae": (VFAEClassifier, "mmd_weight", [0.0, 300.0]),
    "cvib": (CVIBClassifier, "invariance_weight", [0.0, 0.1]),
    "uai": (UAIClassifier, "disentanglement_weight", [0.0, 1.0]),
}


def evaluate(clf, train, test, seed, draws):
    """A_y, A_s (and A_s_draw) of a fitted classifier."""
    row = {
        "A_y": clf.score(test.data, test.target),
        "A_s": probe_accuracy(clf.transform(train.data), train.sensitive,
                              clf.transform(test.data), test.sensitive, random_state=seed),
    }
    if draws and hasattr(clf, "sample_representation"):
        row["A_s_draw"] = probe_accuracy(
            clf.sample_representation(train.data, random_state=seed), train.sensitive,
            clf.sample_representation(test.data, random_state=seed + 1), test.sensitive,
            random_state=seed)
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--max-epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--methods", nargs="+", choices=["plain", *METHODS],
                        default=["plain", *METHODS])
    for name, (_, param, default) in METHODS.items():
        parser.add_argument(f"--{name}", type=float, nargs="+", default=default,
                            metavar=param.upper(), help=f"strengths ({param}) of {name}")
    parser.add_argument("--draws", action="store_true",
                        help="also probe one draw of the stochastic code (VFAE, CVIB)")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    train = load_adult(sensitive="sex", subset="train")
    test = load_adult(sensitive="sex", subset="test")
    runs = []
    if "plain" in args.methods:
        runs.append(("plain", MMDClassifier, "mmd_weight", 0.0))
    for name, (cls, param, _) in METHODS.items():
        if name in args.methods:
            runs.extend((name, cls, param, value) for value in getattr(args, name))

    rows = []
    for seed in args.seeds:
        for name, cls, param, value in runs:
            clf = cls(max_epochs=args.max_epochs, batch_size=args.batch_size,
                      random_state=seed, **{param: value})
            start = time.perf_counter()
            clf.fit(train.data, train.target, s=train.sensitive)
            row = {"method": name, "strength": f"{param}={value:g}", "seed": seed,
                   "fit_seconds": time.perf_counter() - start}
            row.update(evaluate(clf, train, test, seed, args.draws))
            row["majority_s"] = majority_share(test.sensitive)
            rows.append(row)
            print(pd.DataFrame([row]).round(4).to_string(index=False, header=len(rows) == 1),
                  flush=True)
    table = pd.DataFrame(rows)
    summary = (table.drop(columns="seed")
               .groupby(["method", "strength"], sort=False).agg(["mean", "std"]).round(4))
    print(f"\nAdult, s = sex, {len(args.seeds)} seed(s), {args.max_epochs} epochs, batch "
          f"{args.batch_size}; A_s: MLP probe of s on transform(X), majority share "
          f"{majority_share(test.sensitive):.4f}")
    print(summary.to_string())


if __name__ == "__main__":
    main()
