"""One module per method; each registers itself in :mod:`fairrep.methods._registry`."""

from ._registry import MethodSpec, available_methods, get_method, register_method
# each module registers its methods when imported: this order is the registry's order
from .forgetting import ForgettingClassifier, ForgettingTransformer
from .information_dropout import (InformationDropoutAutoencoder, InformationDropoutClassifier,
                                  InformationDropoutTransformer)
from .sliced_infomin import SlicedInfominClassifier, SlicedInfominTransformer
from .invertible import InvertibleClassifier, InvertibleTransformer
from .cpvae import CrossPopulationClassifier, CrossPopulationVAE
from .baselines import (GradientReversalClassifier, GradientReversalTransformer,
                        HSICClassifier, HSICTransformer, MMDClassifier, MMDTransformer)
from .variational_baselines import (CVIBClassifier, CVIBTransformer, UAIClassifier,
                                    UAITransformer, VFAEClassifier, VFAETransformer)

__all__ = [
    "CVIBClassifier",
    "CVIBTransformer",
    "CrossPopulationClassifier",
    "CrossPopulationVAE",
    "ForgettingClassifier",
    "ForgettingTransformer",
    "GradientReversalClassifier",
    "GradientReversalTransformer",
    "HSICClassifier",
    "HSICTransformer",
    "InformationDropoutAutoencoder",
    "InformationDropoutClassifier",
    "InformationDropoutTransformer",
    "InvertibleClassifier",
    "InvertibleTransformer",
    "MMDClassifier",
    "MMDTransformer",
    "MethodSpec",
    "SlicedInfominClassifier",
    "SlicedInfominTransformer",
    "UAIClassifier",
    "UAITransformer",
    "VFAEClassifier",
    "VFAETransformer",
    "available_methods",
    "get_method",
    "register_method",
]
