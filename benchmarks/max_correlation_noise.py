"""How much the held-out rho*(Z; s) moves with the seed of the neural HGR estimator alone.

Fits one SlicedInfominTransformer on Adult (the authors' max-step schedule), freezes Z on the
test file and calls ``fairrep.metrics.max_correlation(..., estimator='neural')`` with
random_state 0-4, on the 6000 test
rows the sliced-infomin benchmark uses (same ``--seed``) and on all 15060, on the whitened Z
(``max_correlation``'s default) and on standardised columns (``whiten=False``, the estimate
before whitening); it also prints the accuracy of a logistic regression on Z, as the benchmark
does. The spread is the resolution of a one-seed rho* figure. It also prints where Z's
variance sits (the eigenvalues of the correlation matrix of the training Z, summing to the
number of components) and the joint slice estimate SI(Z; T) on the training Z (the max step
of ``cca='joint'``, S = ``n_slices``, slice seeds 0 to ``--restarts`` - 1) with Z
standardised and whitened, the two views of Z the training step can take. Not a test: run
it and read the output.

    python benchmarks/max_correlation_noise.py                 # age, beta 40, 60 epochs
    python benchmarks/max_correlation_noise.py --sensitive sex --beta 50 --max-epochs 30
    python benchmarks/max_correlation_noise.py --beta 2 --param cca=joint --param n_slices=60 \
        --param max_step_every=5 --seed 0     # other SlicedInfominTransformer parameters
"""

import argparse

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression

from fairrep import SlicedInfominTransformer
from fairrep.datasets import load_adult
from fairrep._sensitive import encode_sensitive_numeric
from fairrep.metrics import max_correlation
from fairrep.nn.sliced import fit_slices
from sliced_infomin_adult import parse_params  # benchmarks/ is on sys.path when run as a script


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sensitive", default="age", choices=["sex", "age"])
    parser.add_argument("--beta", type=float, default=40.0)
    parser.add_argument("--max-epochs", type=int, default=60)
    parser.add_argument("--restarts", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0, help="random_state of the fit")
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                        help="a SlicedInfominTransformer parameter, repeatable")
    args = parser.parse_args()
    torch.set_num_threads(1)
    train = load_adult(sensitive=args.sensitive, subset="train")
    test = load_adult(sensitive=args.sensitive, subset="test")
    # the authors' schedule on an 8-dimensional Z with cubic slices (the library's defaults
    # before n_components='auto' and degree=5), where the views of Z below differ
    params = dict(n_slices=100, batch_size=500, max_step_rows="all", max_step_every="epoch",
                  n_components=8, degree=3)
    params.update(parse_params(args.param))
    rep = SlicedInfominTransformer(beta=args.beta, max_epochs=args.max_epochs,
                                   random_state=args.seed, **params)
    rep.fit(train.data, train.target, s=train.sensitive)
    Z = rep.transform(test.data)
    logreg = LogisticRegression(max_iter=1000).fit(rep.transform(train.data), train.target)
    print(f"acc_y (logreg on Z): {logreg.score(Z, test.target):.4f}", flush=True)
    print_training_views(rep, train, args.restarts)
    for whiten in (True, False):
        for n in (6000, len(Z)):  # the 6000 rows of sliced_infomin_adult.py, same --seed
            rows = np.random.RandomState(args.seed).permutation(len(Z))[:n]
            values = [max_correlation(Z[rows], test.sensitive[rows], whiten=whiten,
                                      estimator="neural", random_state=k)
                      for k in range(args.restarts)]
            print(f"s = {args.sensitive}, beta {args.beta:g}, {args.max_epochs} epochs, seed "
                  f"{args.seed}, {parse_params(args.param)}, {n} test rows, "
                  f"{'whitened' if whiten else 'standardised'} Z: rho* over HGR seeds "
                  f"0-{args.restarts - 1}: {np.round(values, 3)}", flush=True)


def print_training_views(rep, train, n_seeds):
    """Correlation-matrix spectrum of the training Z and the joint slice estimate on it."""
    Z = rep.transform(train.data)
    spectrum = np.linalg.eigvalsh(np.atleast_2d(np.corrcoef(Z, rowvar=False)))[::-1]
    print(f"training Z: eigenvalues of its correlation matrix {np.round(spectrum, 2)}",
          flush=True)
    z = torch.tensor(Z, dtype=torch.float32)
    t = torch.tensor(encode_sensitive_numeric(train.sensitive, len(Z)).values,
                     dtype=torch.float32)
    for whiten in (False, True):
        values = [float(fit_slices(z, t, rep.n_slices, rep.degree,
                                   torch.Generator().manual_seed(k), joint=True,
                                   whiten=whiten).estimate) for k in range(n_seeds)]
        print(f"joint slice estimate SI(Z; T), S = {rep.n_slices}, training rows, "
              f"{'whitened' if whiten else 'standardised'} Z, slice seeds 0-{n_seeds - 1}: "
              f"{np.round(values, 3)}", flush=True)


if __name__ == "__main__":
    main()
