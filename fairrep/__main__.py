"""Command line: ``python -m fairrep demo`` and ``python -m fairrep benchmark``."""

from __future__ import annotations

import argparse
import sys


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m fairrep",
                                     description="fairrep command line")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser(
        "demo", help="Adversarial Forgetting on Adult (s = sex) vs a plain network",
        description="Train Adversarial Forgetting and the same network without invariance on "
                    "Adult (s = sex), print their accuracy, how much of s a probe reads from "
                    "their representation and the demographic-parity gap of their "
                    "predictions, and write the table (demo.csv) and a bar chart (demo.png) "
                    "to --output. About two to three minutes on 2 CPU cores.")
    demo.add_argument("--max-epochs", type=int, default=30, metavar="N",
                      help="training epochs of each network (default: %(default)s)")
    demo.add_argument("--random-state", type=int, default=0, metavar="SEED",
                      help="seed of the networks and the probes (default: %(default)s)")
    demo.add_argument("--device", default="cpu",
                      help="cpu, cuda or cuda:N (default: %(default)s)")
    demo.add_argument("--output", default="fairrep-demo", metavar="DIR",
                      help="directory for demo.csv and demo.png (default: %(default)s, in the "
                           "current directory)")
    demo.add_argument("--quiet", action="store_true",
                      help="no stage lines or progress bars, only the results")
    bench = sub.add_parser("benchmark", help="methods x datasets x seeds: A_y, A_s with its "
                                             "optimum, DP gap, rho*, fit seconds",
                           description=BENCHMARK_DESCRIPTION)
    add_benchmark_arguments(bench)
    args = parser.parse_args(argv)
    if args.command == "benchmark":
        return run_benchmark_command(args)
    if args.command == "demo":
        from .benchmark import run_demo

        run_demo(max_epochs=args.max_epochs, random_state=args.random_state,
                 verbose=0 if args.quiet else 1, device=args.device, output=args.output)
    return 0


BENCHMARK_DESCRIPTION = (
    "Fit every method (or those of --methods) on every data set (or those of --datasets) "
    "with every seed and write one table: A_y, A_s with its optimum, DP gap, rho*, fit "
    "seconds. Names may be given with spaces or commas: --datasets adult,german.")


def add_benchmark_arguments(parser):
    from .benchmark._run import DATASETS, FAIRLEARN, FULL_EPOCHS, PLAIN, QUICK_EPOCHS
    from .methods import available_methods

    parser.add_argument("--methods", nargs="+", default=None, metavar="METHOD",
                        help=f"registered methods: {', '.join(available_methods())}; reference "
                             f"rows: {PLAIN} (the forgetting network without invariance), "
                             f"{FAIRLEARN} (needs fairlearn) (default: all of them)")
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS), metavar="DATASET",
                        help=f"data sets: {', '.join(DATASETS)} (default: all of them)")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0], metavar="SEED",
                        help="seeds; each refits every model (default: 0)")
    parser.add_argument("--quick", action="store_true",
                        help="small subsamples and few epochs: the whole table in minutes")
    quick = ", ".join(f"{name} {epochs}" for name, epochs in QUICK_EPOCHS.items())
    parser.add_argument("--max-epochs", type=int, default=None, metavar="N",
                        help=f"epochs of every fit (default: {FULL_EPOCHS}; with --quick "
                             f"{quick})")
    parser.add_argument("--output", default="benchmark_results", metavar="DIR",
                        help="directory for results.csv, summary.csv and summary.md (default: "
                             "%(default)s)")
    parser.add_argument("--plots", default=None, metavar="DIR",
                        help='write t-SNE and trade-off figures (PNG) to DIR; needs matplotlib: '
                             'pip install "fairrep[bench]" (default: no figures)')
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--resume", action="store_true",
                        help="keep the runs already in results.csv of --output made with the same "
                             "settings and fit only the missing ones")


def _names(values):
    """``--datasets adult german`` and ``--datasets adult,german`` mean the same."""
    if values is None:
        return None
    return [name for value in values for name in value.split(",") if name]


def run_benchmark_command(args):
    from .benchmark._plots import MATPLOTLIB_MISSING, has_matplotlib

    if args.plots is not None and not has_matplotlib():  # say so before training, not after
        print(f"error: {MATPLOTLIB_MISSING}", file=sys.stderr)
        return 2
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
                                     description=BENCHMARK_DESCRIPTION)
    add_benchmark_arguments(parser)
    return run_benchmark_command(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
