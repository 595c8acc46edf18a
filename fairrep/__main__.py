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
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser.parse_args(argv)
    if args.command == "benchmark":
        return run_benchmark_command(args, command_line=" ".join(["python -m fairrep", *argv]))
    if args.command == "demo":
        from .benchmark import run_demo

        run_demo(max_epochs=args.max_epochs, random_state=args.random_state,
                 verbose=0 if args.quiet else 1, device=args.device, output=args.output)
    return 0


BENCHMARK_DESCRIPTION = (
    "Fit every method (or those of --methods) on every data set (or those of --datasets) "
    "with every seed and write one table: A_y, A_s with its optimum, DP gap, rho*, fit "
    "seconds. With --frontier, sweep instead the strength of every s-using classifier "
    "(0 and its default times 0.1, 0.3, 1, 3, 10; with fairlearn installed, also "
    "ExponentiatedGradient under DemographicParity and AdversarialFairnessClassifier at a "
    "few bounds and weights) on adult and german and write frontier.csv: A_y, DP gap, "
    "equalized-odds gap, rho*, fit seconds per strength, and the Pareto front of accuracy "
    "against DP gap. Names may be given with spaces or commas: --datasets adult,german.")


def add_benchmark_arguments(parser):
    from .benchmark._frontier import (FAIRLEARN_REDUCTION, FRONTIER_DATASETS, QUICK_DATASETS,
                                      frontier_methods)
    from .benchmark._frontier import QUICK_EPOCHS as FRONTIER_QUICK_EPOCHS
    from .benchmark._run import DATASETS, FAIRLEARN, FULL_EPOCHS, PLAIN, QUICK_EPOCHS
    from .methods import available_methods

    parser.add_argument("--frontier", action="store_true",
                        help="sweep each method's strength and write frontier.csv (and with "
                             "--plots frontier_<dataset>.png) instead of the table")
    parser.add_argument("--methods", nargs="+", default=None, metavar="METHOD",
                        help=f"registered methods: {', '.join(available_methods())}; reference "
                             f"rows: {PLAIN} (the forgetting network without invariance), "
                             f"{FAIRLEARN} (needs fairlearn) (default: all of them; with "
                             f"--frontier {', '.join(frontier_methods())}, and "
                             f"{FAIRLEARN_REDUCTION} and {FAIRLEARN} when fairlearn is "
                             f"installed)")
    parser.add_argument("--datasets", nargs="+", default=None, metavar="DATASET",
                        help=f"data sets: {', '.join(DATASETS)} (default: all of them; with "
                             f"--frontier {', '.join(FRONTIER_DATASETS)}, with --frontier "
                             f"--quick {', '.join(QUICK_DATASETS)})")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0], metavar="SEED",
                        help="seeds; each refits every model (default: 0)")
    parser.add_argument("--quick", action="store_true",
                        help="small subsamples and few epochs: the whole table in minutes")
    quick = ", ".join(f"{name} {epochs}" for name, epochs in QUICK_EPOCHS.items())
    parser.add_argument("--max-epochs", type=int, default=None, metavar="N",
                        help=f"epochs of every fit (default: {FULL_EPOCHS}; with --quick "
                             f"{quick}; with --frontier --quick {FRONTIER_QUICK_EPOCHS})")
    parser.add_argument("--output", default="benchmark_results", metavar="DIR",
                        help="directory for results.csv, summary.csv and summary.md, or with "
                             "--frontier frontier.csv, frontier.md and frontier_runs.csv (default: "
                             "%(default)s)")
    parser.add_argument("--plots", nargs="?", const=True, default=None, metavar="DIR",
                        help="write t-SNE and trade-off figures, or with --frontier "
                             "frontier_<dataset>.png, to DIR (no DIR: to --output); needs "
                             'matplotlib: pip install "fairrep[bench]" (default: no figures)')
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--resume", action="store_true",
                        help="keep the runs already in results.csv (with --frontier "
                             "frontier_runs.csv) of --output made with the same settings and "
                             "fit only the missing ones")


def _names(values):
    """``--datasets adult german`` and ``--datasets adult,german`` mean the same."""
    if values is None:
        return None
    return [name for value in values for name in value.split(",") if name]


def run_benchmark_command(args, command_line=None):
    from .benchmark._plots import MATPLOTLIB_MISSING, has_matplotlib

    if args.plots is not None and not has_matplotlib():  # say so before training, not after
        print(f"error: {MATPLOTLIB_MISSING}", file=sys.stderr)
        return 2
    import torch

    from .benchmark import DATASETS, run_benchmark, run_frontier

    torch.set_num_threads(1)  # the networks are small: threads cost more than they give
    plots = args.output if args.plots is True else args.plots  # a bare --plots: to --output
    kw = dict(methods=_names(args.methods), datasets=_names(args.datasets), seeds=args.seeds,
              quick=args.quick, max_epochs=args.max_epochs, output=args.output, plots=plots,
              progress=not args.quiet, resume=args.resume)
    try:
        if args.frontier:
            run_frontier(**kw, command=command_line)
        else:
            run_benchmark(**{**kw, "datasets": kw["datasets"] or list(DATASETS)})
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def benchmark_main(argv=None):
    """The ``fairrep-benchmark`` console script."""
    parser = argparse.ArgumentParser(prog="fairrep-benchmark",
                                     description=BENCHMARK_DESCRIPTION)
    add_benchmark_arguments(parser)
    argv = sys.argv[1:] if argv is None else list(argv)
    return run_benchmark_command(parser.parse_args(argv),
                                 command_line=" ".join(["fairrep-benchmark", *argv]))


if __name__ == "__main__":
    sys.exit(main())
