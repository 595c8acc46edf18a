"""How much the held-out rho*(Z; s) moves with the seed of the neural HGR estimator alone.

Fits one SlicedInfominTransformer on Adult (the authors' max-step schedule), freezes Z on the
test file and calls ``fairrep.metrics.max_correlation`` with random_state 0-4, on the 6000 test
rows the sliced-infomin benchmark uses and on all 15060. The spread is the resolution of a
one-seed rho* figure. Not a test: run it and read the output.

    python benchmarks/max_correlation_noise.py                 # age, beta 40, 60 epochs
    python benchmarks/max_correlation_noise.py --sensitive sex --beta 50 --max-epochs 30
"""

import argparse

import numpy as np
import torch

from fairrep import SlicedInfominTransformer
from fairrep.datasets import load_adult
from fairrep.metrics import max_correlation


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sensitive", default="age", choices=["sex", "age"])
    parser.add_argument("--beta", type=float, default=40.0)
    parser.add_argument("--max-epochs", type=int, default=60)
    parser.add_argument("--restarts", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(1)
    train = load_adult(sensitive=args.sensitive, subset="train")
    test = load_adult(sensitive=args.sensitive, subset="test")
    rep = SlicedInfominTransformer(beta=args.beta, n_slices=100, max_epochs=args.max_epochs,
                                   batch_size=500, max_step_rows="all",
                                   max_step_every="epoch", random_state=0)
    rep.fit(train.data, train.target, s=train.sensitive)
    Z = rep.transform(test.data)
    for n in (6000, len(Z)):
        rows = np.random.RandomState(0).permutation(len(Z))[:n]
        values = [max_correlation(Z[rows], test.sensitive[rows], random_state=k)
                  for k in range(args.restarts)]
        print(f"s = {args.sensitive}, beta {args.beta:g}, {args.max_epochs} epochs, {n} test "
              f"rows: rho* over HGR seeds 0-{args.restarts - 1}: {np.round(values, 3)}",
              flush=True)


if __name__ == "__main__":
    main()
