"""One module per method; each registers itself in :mod:`fairrep.methods._registry`."""

from ._registry import MethodSpec, available_methods, get_method, register_method
from .forgetting import ForgettingClassifier, ForgettingTransformer

register_method(MethodSpec(
    name="forgetting",
    transformer=ForgettingTransformer,
    classifier=ForgettingClassifier,
    strength_param="adversary_weight",
    paper="Jaiswal et al., Invariant Representations through Adversarial Forgetting, AAAI 2020",
))

__all__ = [
    "ForgettingClassifier",
    "ForgettingTransformer",
    "MethodSpec",
    "available_methods",
    "get_method",
    "register_method",
]
