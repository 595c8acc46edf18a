"""One module per method; each registers itself in :mod:`fairrep.methods._registry`."""

from ._registry import MethodSpec, available_methods, get_method, register_method
from .baselines import (GradientReversalClassifier, GradientReversalTransformer,
                        HSICClassifier, HSICTransformer, MMDClassifier, MMDTransformer)
from .cpvae import CrossPopulationClassifier, CrossPopulationVAE
from .forgetting import ForgettingClassifier, ForgettingTransformer
from .invertible import InvertibleClassifier, InvertibleTransformer
from .information_dropout import (InformationDropoutAutoencoder, InformationDropoutClassifier,
                                  InformationDropoutTransformer)
from .sliced_infomin import SlicedInfominClassifier, SlicedInfominTransformer
from .variational_baselines import (CVIBClassifier, CVIBTransformer, UAIClassifier,
                                    UAITransformer, VFAEClassifier, VFAETransformer)

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
register_method(MethodSpec(
    name="invertible",
    transformer=InvertibleTransformer,
    classifier=InvertibleClassifier,
    strength_param="nuisance_weight",
    paper="Jacobsen, Behrmann, Zemel & Bethge, Excessive Invariance Causes Adversarial "
          "Vulnerability, ICLR 2019",
))
register_method(MethodSpec(
    name="cpvae",
    transformer=CrossPopulationVAE,
    classifier=None,  # its classifier predicts the population, not y
    strength_param="alpha",
    paper="Isolating Latent Structure with Cross-population Variational Autoencoders "
          "(anonymous ICLR 2020 submission)",
))
register_method(MethodSpec(
    name="gradient_reversal",
    transformer=GradientReversalTransformer,
    classifier=GradientReversalClassifier,
    strength_param="adversary_weight",
    paper="Ganin et al., Domain-Adversarial Training of Neural Networks, JMLR 2016; Xie et "
          "al., Controllable Invariance through Adversarial Feature Learning, NeurIPS 2017",
))
register_method(MethodSpec(
    name="mmd",
    transformer=MMDTransformer,
    classifier=MMDClassifier,
    strength_param="mmd_weight",
    paper="Li, Swersky & Zemel, Learning Unbiased Features, arXiv:1412.5244, 2014",
))
register_method(MethodSpec(
    name="hsic",
    transformer=HSICTransformer,
    classifier=HSICClassifier,
    strength_param="hsic_weight",
    paper="Lopez, Regier, Jordan & Yosef, Information Constraints on Auto-Encoding "
          "Variational Bayes, NeurIPS 2018",
))
register_method(MethodSpec(
    name="vfae",
    transformer=VFAETransformer,
    classifier=VFAEClassifier,
    strength_param="mmd_weight",
    paper="Louizos, Swersky, Li, Welling & Zemel, The Variational Fair Autoencoder, ICLR 2016",
))
register_method(MethodSpec(
    name="cvib",
    transformer=CVIBTransformer,
    classifier=CVIBClassifier,
    strength_param="invariance_weight",
    paper="Moyer, Gao, Brekelmans, Galstyan & Ver Steeg, Invariant Representations without "
          "Adversarial Training, NeurIPS 2018",
))
register_method(MethodSpec(
    name="uai",
    transformer=UAITransformer,
    classifier=UAIClassifier,
    strength_param="disentanglement_weight",
    paper="Jaiswal, Wu, Abd-Almageed & Natarajan, Unsupervised Adversarial Invariance, "
          "NeurIPS 2018",
))

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
