"""The ``python -m fairrep`` commands: the demo and the benchmark tables."""

from ._demo import evaluate_classifier, run_demo
from ._run import DATASETS, default_methods, run_benchmark, summarize

__all__ = ["DATASETS", "default_methods", "evaluate_classifier", "run_benchmark", "run_demo",
           "summarize"]
