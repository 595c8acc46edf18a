"""Command line: ``python -m fairrep demo`` and ``python -m fairrep benchmark``."""

from __future__ import annotations

import argparse
import sys


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m fairrep",
                                     description="fairrep command line")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="Adversarial Forgetting on Adult (s = sex) vs a plain "
                                       "network: A_y, A_s, majority share, DP gap")
    demo.add_argument("--max-epochs", type=int, default=30)
    demo.add_argument("--random-state", type=int, default=0)
    demo.add_argument("--device", default="cpu")
    demo.add_argument("--quiet", action="store_true", help="no progress bars")
    bench = sub.add_parser("benchmark", help="methods x datasets x seeds: A_y, A_s with its "
                                             "optimum, DP gap, rho*, fit seconds")
    add_benchmark_arguments(bench)
    args = parser.parse_args(argv)
    if args.command == "benchmark":
        return run_benchmark_command(args)
    if args.command == "demo":
        from .benchmark import run_demo

        run_demo(max_epochs=args.max_epochs, random_state=args.random_state,
                 verbose=0 if args.quiet else 1, device=args.device)
    return 0


def add_benchmark_arguments(parser):
    parser.add_argument("--methods", nargs="+", default=None,
                        help="registered method names, 'plain' and/or "
                             "'fairlearn_adversarial' (default: all)")
    parser.add_argument("--datasets", nargs="+", default=["adult", "german", "rotated_digits"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--quick", action="store_true",
                        help="small subsamples and few epochs: the whole table in minutes")
    parser.add_argument("--max-epochs", type=int, default=None)
    parser.add_argument("--output", default="benchmark_results",
                        help="directory for results.csv, summary.csv and summary.md")
    parser.add_argument("--plots", default=None, metavar="DIR",
                        help="write t-SNE and trade-off figures (PNG) to DIR")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--resume", action="store_true",
                        help="keep the runs already in OUTPUT/results.csv made with the same "
                             "settings and fit only the missing ones")


def _names(values):
    """``--datasets adult german`` and ``--datasets adult,german`` mean the same."""
    if values is None:
        return None
    return [name for value in values for name in value.split(",") if name]


def run_benchmark_command(args):
    import torch

    from .benchmark import run_benchmark

    torch.set_num_threads(1)  # the networks are small: threads cost more than they give
    try:
        run_benchmark(methods=_names(args.methods), datasets=_names(args.datasets),
                      seeds=args.seeds,
                      quick=args.quick, max_epochs=args.max_epochs, output=args.output,
                      plots=args.plots, progress=not args.quiet, resume=args.resume)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def benchmark_main(argv=None):
    """The ``fairrep-benchmark`` console script."""
    parser = argparse.ArgumentParser(prog="fairrep-benchmark",
                                     description="fairrep benchmark tables")
    add_benchmark_arguments(parser)
    return run_benchmark_command(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
