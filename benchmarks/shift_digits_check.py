"""shiftMNIST on 8x8 digits: how much does a planted feature hurt a plain network?

The check behind the defaults of ``fairrep.datasets.make_shift_digits`` (Jacobsen et al.,
ICLR 2019, section 6, Fig. 8). For each kind of planted feature a plain
``MLPClassifier(hidden_layer_sizes=(256, 256), max_iter=200)`` is trained on the planted
training images and its error is reported on

- ``iid``: held-out images with the training coupling (the paper's D),
- ``shifted``: ``data_test``, the shifted test distribution (the paper's D_Adv: binary code
  removed, or the texture of a random other class),
- ``clean``: ``data_clean_test``, the held-out images with no planted feature,

next to ``reference``: the same MLP trained on the clean training images and scored on the
clean test images. A planted feature "bites" when ``shifted`` is far above ``reference``.
Not a test: run it and read the output (about a minute per seed on one core).

    python benchmarks/shift_digits_check.py --seed 0 1 2
    python benchmarks/shift_digits_check.py --seed 0 --max-iter 3   # a quick check that it runs
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from threadpoolctl import threadpool_limits

from fairrep.datasets import make_shift_digits


_HEADER = (f"{'seed':>4} {'kind':>7} {'strength':>8} {'code':>4} {'reference':>9} {'iid':>6} "
           f"{'shifted':>7} {'clean':>6} {'seconds':>7}")
_LINE = ("{seed:>4} {kind:>7} {strength:>8.2f} {code:>4} {reference:>9.3f} {iid:>6.3f} "
         "{shifted:>7.3f} {clean:>6.3f} {seconds:>7.1f}")


def _error(train_X, train_y, evaluations, seed, max_iter=200):
    """Fit the plain MLP once; its error on each (X, y) of ``evaluations``."""
    model = MLPClassifier(hidden_layer_sizes=(256, 256), max_iter=max_iter, random_state=seed)
    with warnings.catch_warnings(), threadpool_limits(limits=1):
        warnings.simplefilter("ignore", category=ConvergenceWarning)
        model.fit(train_X, train_y)
    return [float(np.mean(model.predict(X) != y)) for X, y in evaluations]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, nargs="+", default=[0],
                        help="seeds of the data set and of the MLP (one run each)")
    parser.add_argument("--texture-strength", type=float, default=None,
                        help="strength of kind='texture' (default: the generator's)")
    parser.add_argument("--binary-strength", type=float, default=None,
                        help="strength of kind='binary' (default: the generator's)")
    parser.add_argument("--max-iter", type=int, default=200,
                        help="epochs of each MLP (fewer: a quick check that the script runs)")
    args = parser.parse_args()

    digits = load_digits()
    clean_pixels = digits.data / 16.0
    settings = [
        ("binary", args.binary_strength, 1),
        ("binary", args.binary_strength, 2),
        ("texture", args.texture_strength, 1),
    ]
    rows = []
    print(_HEADER)
    for seed in args.seed:
        reference = None
        for kind, strength, code_pixels in settings:
            start = time.perf_counter()
            bunch = make_shift_digits(kind=kind, strength=strength, code_pixels=code_pixels,
                                      random_state=seed)
            if reference is None:  # the split depends on the seed only
                reference = _error(clean_pixels[bunch.source_index], bunch.target,
                                   [(bunch.data_clean_test, bunch.target_test)], seed,
                                   args.max_iter)[0]
            iid, shifted, clean = _error(
                bunch.data, bunch.target,
                [(bunch.data_iid_test, bunch.target_test),
                 (bunch.data_test, bunch.target_test),
                 (bunch.data_clean_test, bunch.target_test)],
                seed, args.max_iter,
            )
            rows.append({
                "seed": seed, "kind": kind, "strength": bunch.strength,
                "code_pixels": code_pixels if kind == "binary" else None,
                "reference": reference, "iid": iid, "shifted": shifted, "clean": clean,
                "seconds": time.perf_counter() - start,
            })
            print(_LINE.format(**rows[-1], code=code_pixels if kind == "binary" else "-"),
                  flush=True)
    table = pd.DataFrame(rows)
    summary = table.groupby(["kind", "strength", "code_pixels"], dropna=False)[
        ["reference", "iid", "shifted", "clean"]].agg(["mean", "std"])
    print("\nMLP test error (mean, std over seeds):")
    print(summary.to_string(float_format="%.3f"))


if __name__ == "__main__":
    main()
