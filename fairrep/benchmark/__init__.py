"""The ``python -m fairrep`` commands: the demo and (later) the benchmark tables."""

from ._demo import evaluate_classifier, run_demo

__all__ = ["evaluate_classifier", "run_demo"]
