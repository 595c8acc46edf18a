"""The ``python -m fairrep`` commands: the demo, the benchmark tables and the frontier."""

from ._demo import evaluate_classifier, run_demo
from ._frontier import run_frontier
from ._run import DATASETS, default_methods, run_benchmark, summarize

__all__ = ["DATASETS", "default_methods", "evaluate_classifier", "run_benchmark", "run_demo",
           "run_frontier", "summarize"]
