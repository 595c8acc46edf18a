"""Pure PyTorch building blocks of fairrep's methods.

Nothing in this package imports scikit-learn or skorch: the modules here are the networks and
losses of each method, and the estimators in :mod:`fairrep.methods` wrap them.
"""

from ._base import InvariantModule, make_mlp, multi_head_cross_entropy, task_gain
from .baselines import (GradientReversal, GradientReversalNetwork, HSICNetwork, MMDNetwork,
                        hsic, mmd2)
from .forgetting import AdversarialForgettingNetwork
from .information_dropout import (InformationDropout, InformationDropoutAutoencoder,
                                  InformationDropoutNetwork)
from .invertible import (ActNorm, AdditiveCoupling, AffineCoupling, FullyInvertibleRevNet,
                         InvertibleLinear, InvertibleSequential, Permutation, Squeeze,
                         conv_flow, dense_flow)
from .cpvae import CrossPopulationVAENetwork
from .variational_baselines import CVIBNetwork, UAINetwork, VFAENetwork
from .sliced import HGRNetwork, SlicedInfominNetwork, fit_slices, sliced_information

__all__ = [
    "ActNorm",
    "AdditiveCoupling",
    "AdversarialForgettingNetwork",
    "AffineCoupling",
    "CVIBNetwork",
    "CrossPopulationVAENetwork",
    "FullyInvertibleRevNet",
    "GradientReversal",
    "GradientReversalNetwork",
    "HGRNetwork",
    "HSICNetwork",
    "InformationDropout",
    "InformationDropoutAutoencoder",
    "InformationDropoutNetwork",
    "InvariantModule",
    "InvertibleLinear",
    "InvertibleSequential",
    "MMDNetwork",
    "Permutation",
    "SlicedInfominNetwork",
    "Squeeze",
    "UAINetwork",
    "VFAENetwork",
    "conv_flow",
    "dense_flow",
    "fit_slices",
    "hsic",
    "make_mlp",
    "mmd2",
    "multi_head_cross_entropy",
    "sliced_information",
    "task_gain",
]
