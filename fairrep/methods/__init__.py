"""One module per method; each registers itself in :mod:`fairrep.methods._registry`."""

from ._registry import MethodSpec, available_methods, get_method, register_method
from .forgetting import ForgettingClassifier, ForgettingTransformer
from .information_dropout import (InformationDropoutAutoencoder, InformationDropoutClassifier,
                                  InformationDropoutTransformer)
from .sliced_infomin import SlicedInfominClassifier, SlicedInfominTransformer

register_method(MethodSpec(
    name="forgetting",
    transformer=ForgettingTransformer,
    classifier=ForgettingClassifier,
    strength_param="adversary_weight",
    paper="Jaiswal et al., Invariant Representations through Adversarial Forgetting, AAAI 2020",
))
register_method(MethodSpec(
    name="information_dropout",
    transformer=InformationDropoutTransformer,
    classifier=InformationDropoutClassifier,
    strength_param="beta",
    paper="Achille & Soatto, Information Dropout: Learning Optimal Representations Through "
          "Noisy Computation, TPAMI 2018",
))
register_method(MethodSpec(
    name="sliced_infomin",
    transformer=SlicedInfominTransformer,
    classifier=SlicedInfominClassifier,
    strength_param="beta",
    paper="Chen, Sun, Li & Weller, Scalable Infomin Learning, NeurIPS 2022",
))

__all__ = [
    "ForgettingClassifier",
    "ForgettingTransformer",
    "InformationDropoutAutoencoder",
    "InformationDropoutClassifier",
    "InformationDropoutTransformer",
    "MethodSpec",
    "SlicedInfominClassifier",
    "SlicedInfominTransformer",
    "available_methods",
    "get_method",
    "register_method",
]
