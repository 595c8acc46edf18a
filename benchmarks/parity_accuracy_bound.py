"""How accurate can any prediction be whose maximal correlation with s is at most epsilon?

A reference line for the sliced infomin target on Adult ("rho*(Z; s) <= 0.10 with accuracy
within 0.02 of the unconstrained representation"). If rho*(Z; s) <= eps, every prediction
y_hat = h(Z) has rho*(y_hat; s) <= eps, and so has rho*(y_hat; b(s)) for any binning b of s.
For a binary y_hat with positive rate r_a in group a (share w_a, overall rate p),

    rho*(y_hat; b(s))^2 = sum_a w_a (r_a - p)^2 / (p (1 - p))        (correlation ratio)

and, at a fixed r_a, no rule in group a is more accurate than predicting positive for the
r_a share of its rows with the highest posterior P(y = 1 | x). So the best accuracy under the
constraint is a problem over the r_a alone. This script estimates it on the Adult test file:

- the posterior is a gradient-boosting classifier on all features (s included), fitted on
  the training file: a far stronger model than a logistic regression on Z;
- group a's accuracy at rate r counts the *true* test labels of its top-r rows, with the
  concave hull taken (randomising between two thresholds reaches it), and the r_a are chosen
  on the test labels themselves;
- the group-wise rule reads s, which h(Z) cannot; the constraint uses binned s, which is
  looser than continuous s; and the mean p in the constraint is relaxed to a free value.

Each of these can only raise the figure, so it is generous: an upper estimate of what a
representation with rho*(Z; s) <= eps can give any classifier on these test rows (up to how
well the boosted posterior ranks rows within a group). Not a test: run it and read the output.

    python benchmarks/parity_accuracy_bound.py
    python benchmarks/parity_accuracy_bound.py --sensitive age --age-bins 40 --eps 0.1
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression

from fairrep.datasets import load_adult
from sliced_infomin_adult import with_s_column  # this folder's script: s appended to X


def hull_accuracy(score, y):
    """Accuracy of the best (randomised) top-k rule of one group at rates k / n, k = 0..n.

    Rows sorted by ``score``, descending; predicting the top k positive is right on the
    positives among them and the negatives after them. The upper concave hull of these
    points is what randomising between two thresholds reaches.
    """
    y = y[np.argsort(-score, kind="stable")]
    n = len(y)
    correct = np.concatenate([[0], np.cumsum(2 * y - 1)]) + (n - y.sum())
    points = np.column_stack([np.arange(n + 1) / n, correct / n])
    hull = []
    for point in points:  # monotone chain, upper hull (x increasing)
        while len(hull) >= 2:
            (x1, y1), (x2, y2) = hull[-2], hull[-1]
            if (x2 - x1) * (point[1] - y1) - (y2 - y1) * (point[0] - x1) >= 0:
                hull.pop()
            else:
                break
        hull.append(point)
    hull = np.array(hull)
    return points[:, 0], np.interp(points[:, 0], hull[:, 0], hull[:, 1])


def best_accuracy(groups, eps, n_rates=201, n_bisect=60):
    """max sum_a w_a acc_a(r_a) s.t. sum_a w_a (r_a - p)^2 <= eps^2 p (1 - p), over p and r_a.

    ``groups``: list of (weight, rates, accuracies) with concave accuracies. For a fixed p
    the problem is concave, so its Lagrangian is exact: every group maximises
    acc_a(r) - lam (r - p)^2 on its own grid of rates, and lam is bisected to the smallest
    value that meets the constraint. Returns (accuracy, overall positive rate, rates per group).
    """
    best = (-np.inf, None, None)
    for p in np.linspace(0.0, 1.0, n_rates)[1:-1]:
        budget = eps ** 2 * p * (1 - p)

        def solve(lam):
            """Each group's best grid index at multiplier lam, and their spread around p."""
            picks = [np.argmax(acc - lam * (r - p) ** 2) for _, r, acc in groups]
            spread = sum(w * (r[i] - p) ** 2 for (w, r, _), i in zip(groups, picks))
            return picks, spread

        picks, spread = solve(0.0)
        if spread > budget:
            high = 1.0
            while (found := solve(high))[1] > budget and high < 1e9:
                high *= 2
            if found[1] > budget:  # no grid of rates gets this close to p
                continue
            low, picks = 0.0, found[0]
            for _ in range(n_bisect):
                middle = (low + high) / 2
                trial, spread = solve(middle)
                if spread > budget:
                    low = middle
                else:
                    high, picks = middle, trial
        value = sum(w * acc[i] for (w, _, acc), i in zip(groups, picks))
        if value > best[0]:
            rates = [r[i] for (_, r, _), i in zip(groups, picks)]
            best = (value, sum(w * rate for (w, _, _), rate in zip(groups, rates)), rates)
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sensitive", nargs="+", default=["sex", "age"],
                        choices=["sex", "age"])
    parser.add_argument("--eps", type=float, nargs="+", default=[0.05, 0.1, 0.15, 0.2, 1.0])
    parser.add_argument("--age-bins", type=int, default=20,
                        help="quantile bins of age (more bins: closer to continuous age)")
    parser.add_argument("--model", choices=["boosting", "logreg"], default="boosting",
                        help="the posterior that ranks rows within a group")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    rows = []
    for sensitive in args.sensitive:
        train = load_adult(sensitive=sensitive, subset="train")
        test = load_adult(sensitive=sensitive, subset="test")
        model = (HistGradientBoostingClassifier(random_state=args.seed)
                 if args.model == "boosting" else LogisticRegression(max_iter=2000))
        # load_adult leaves s out of the features; the posterior reads it too
        with_s_train, with_s_test = with_s_column(train, test)
        X_train, X_test = with_s_train.data, with_s_test.data
        s = np.asarray(test.sensitive)
        model.fit(X_train, train.target)
        score = model.predict_proba(X_test)[:, 1]
        y = np.asarray(test.target, dtype=int)
        if sensitive == "age":
            edges = np.unique(np.quantile(s.astype(float), np.linspace(0, 1, args.age_bins + 1)))
            codes = np.clip(np.searchsorted(edges, s.astype(float), side="right") - 1, 0,
                            len(edges) - 2)
        else:
            codes = pd.factorize(s)[0]
        groups = []
        for code in np.unique(codes):
            member = codes == code
            groups.append((member.mean(), *hull_accuracy(score[member], y[member])))
        for eps in args.eps:
            accuracy, p, _ = best_accuracy(groups, eps)
            rows.append({"s": sensitive, "groups": len(groups), "eps": eps,
                         "best accuracy (upper estimate)": accuracy, "positive rate": p})
            print(pd.DataFrame([rows[-1]]).round(4).to_string(
                index=False, header=len(rows) == 1), flush=True)
        rows.append({"s": sensitive, "groups": len(groups), "eps": np.nan,
                     "best accuracy (upper estimate)": model.score(X_test, y),
                     "positive rate": (score > 0.5).mean()})
        print(f"  {args.model} on all features, no constraint: "
              f"{rows[-1]['best accuracy (upper estimate)']:.4f}", flush=True)
    print("\nAdult test file; the upper estimate of the accuracy of any prediction with "
          "rho*(y_hat; s) <= eps (see the module docstring):")
    print(pd.DataFrame(rows).round(4).to_string(index=False))


if __name__ == "__main__":
    main()
