"""How many importance samples does the CPVAE's marginal likelihood need? (eq. (8))

CrossPopulationClassifier on scikit-learn's 8x8 digits, one population per digit (the set-up
of ``benchmarks/cpvae_digits.py``, Table 2: pixels / 16, stratified 75/25 split, shared /
private sizes 2 / 5, MLP nets, batch 64). Each objective is fitted once; its held-out
population accuracy and the mean log marginal likelihood of each test image under its own
population (``score_samples``) are then read with S = 32, 256 and 1024 importance samples.

The log of an average of importance weights underestimates log p(x) in expectation (Jensen's
inequality) by less as S grows, so the mean log-likelihood rises with S; the accuracy moves
only where the bias differs between populations. Not a test: run it and read the output
(about a minute per objective on one core).

    python benchmarks/cpvae_importance_samples.py --seed 0
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from cpvae_digits import variants  # the Table 2 objectives (this script's folder)
from fairrep.methods.cpvae import CrossPopulationClassifier


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=160)
    parser.add_argument("--samples", type=int, nargs="+", default=[32, 256, 1024])
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    digits = load_digits()
    X, y = digits.data / 16.0, digits.target
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, stratify=y,
                                              random_state=args.seed)
    for name, params in variants(alpha_max=10.0).items():
        start = time.perf_counter()
        clf = CrossPopulationClassifier(n_components=2, n_private_components=5,
                                        max_epochs=args.epochs, batch_size=64, lr=1e-3,
                                        random_state=args.seed, **params).fit(X_tr, y_tr)
        own = np.searchsorted(clf.classes_, y_te)
        cells = []
        for n_samples in args.samples:
            clf.set_params(n_importance_samples=n_samples)
            log_lik = clf.score_samples(X_te)
            cells.append(f"S={n_samples}: accuracy {clf.score(X_te, y_te):.4f}, own-population "
                         f"log-likelihood {log_lik[np.arange(len(y_te)), own].mean():.2f}")
        print(f"seed {args.seed}, {name} ({time.perf_counter() - start:.0f} s): "
              + " | ".join(cells), flush=True)


if __name__ == "__main__":
    main()
