"""Seconds per slice max step and per min step (forward and backward) of sliced infomin.

Times :func:`fairrep.nn.fit_slices` (the max step: draw S slice pairs, solve S CCAs on half
the rows, read the correlations on the other half) and :func:`fairrep.nn.sliced_information`
with its gradient (the min step) on synthetic data, one torch thread, median of
``--repeats`` calls after a warm-up. Only the public functions are used, so the same script
times an older checkout of the package::

    python benchmarks/slice_step_timing.py
    python benchmarks/slice_step_timing.py --rows 500 5000 30162 --n-slices 100 200 1000
    git worktree add /tmp/fairrep-old 5bf02e2 && \\
        PYTHONPATH=/tmp/fairrep-old python benchmarks/slice_step_timing.py

Not a test: timings depend on the machine and on what else runs on it.
"""

from __future__ import annotations

import argparse
import statistics
import time

import pandas as pd
import torch

import fairrep
from fairrep.nn import fit_slices, sliced_information


def median_seconds(step, repeats):
    step()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[500, 5000])
    parser.add_argument("--n-slices", type=int, nargs="+", default=[100, 200])
    parser.add_argument("--dim-z", type=int, default=8)
    parser.add_argument("--dim-t", type=int, default=1)
    parser.add_argument("--degree", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args()
    torch.set_num_threads(1)

    rows = []
    for n in args.rows:
        gen = torch.Generator().manual_seed(0)
        z = torch.randn(n, args.dim_z, generator=gen)
        t = z[:, :args.dim_t] ** 3 + torch.randn(n, args.dim_t, generator=gen)
        for n_slices in args.n_slices:
            solution = fit_slices(z, t, n_slices, args.degree, gen)

            def max_step():
                fit_slices(z, t, n_slices, args.degree, gen)

            def min_step():
                zz = z.clone().requires_grad_(True)
                sliced_information(zz, t, solution, args.degree, "mean").backward()

            rows.append({"rows": n, "S": n_slices,
                         "max step (s)": median_seconds(max_step, args.repeats),
                         "min step fwd+bwd (s)": median_seconds(min_step, args.repeats)})
    print(f"fairrep {fairrep.__version__} from {fairrep.__file__}; d_z = {args.dim_z}, "
          f"d_t = {args.dim_t}, degree {args.degree}, one thread, median of {args.repeats}")
    print(pd.DataFrame(rows).round(4).to_string(index=False))


if __name__ == "__main__":
    main()
