"""Baseline estimators of the papers' comparisons: gradient reversal, NN+MMD and HSIC.

Each is an encoder z = E(x) with a jointly trained predictor of y and one invariance penalty
on z (see :mod:`fairrep.nn.baselines`); all train with one optimizer step per batch.
"""

from __future__ import annotations

import math

from sklearn.base import ClassifierMixin, TransformerMixin
from sklearn.utils._param_validation import StrOptions

from .. import _validation as V
from .._classifier import InvariantClassifierMixin
from .._docstrings import fill_doc
from .._params import FAIRNESS_BOUND, NON_NEGATIVE, STRENGTH_SCALING, _store
from .._training import process_group
from ..base import BaseInvariantEstimator
from ..nn.baselines import GradientReversalNetwork, HSICNetwork, MMDNetwork
from ._registry import MethodSpec, register_method



class _BaselineBase(BaseInvariantEstimator):
    """Encoder + predictor + one penalty; subclasses say which network and penalty params."""

    def _penalty_params(self, s_enc, n_samples):  # pragma: no cover - abstract
        raise NotImplementedError

    def _module_params(self, n_features, n_classes, s_enc, n_samples):
        return dict(
            n_features=n_features,
            n_components=self.n_components,
            n_classes=n_classes,
            hidden_layer_sizes=V.check_hidden_layer_sizes(self.hidden_layer_sizes),
            **self._penalty_params(s_enc, n_samples),
        )


#: The docstring texts the three methods share (each method's fill_doc gives
#: ``hidden_parts``, ``method_params`` and the texts that the shared fragments name).
_DOC_TEXTS = dict(
    baseline_parameters="""
    Parameters
    ----------
    n_components : int, default=8
        Dimension of the code z.
    hidden_layer_sizes : tuple of int, default=(50,)
        Hidden widths of the %(hidden_parts)s.
    %(method_params)s
    %(strength_scaling)s
    %(training_params)s
    %(bound_params)s
    """)


# -- gradient reversal -------------------------------------------------------------------------
class _GradientReversalBase(_BaselineBase):
    _strength_param = "adversary_weight"
    _invariance_needs_s = True
    _module_class = GradientReversalNetwork
    _parameter_constraints = {
        **_BaselineBase._parameter_constraints, **STRENGTH_SCALING, **FAIRNESS_BOUND,
        "adversary_weight": [NON_NEGATIVE],
        "schedule": [StrOptions({"dann", "constant"})],
    }

    def __init__(self, n_components=8, hidden_layer_sizes=(50,), adversary_weight=20.0,
                 schedule="dann", strength_scaling="task_gain", max_epochs=30,
                 batch_size="auto", lr=1e-3, weight_decay=1e-4, device="cpu",
                 random_state=None, verbose=0, mixed_precision=False, constraint=None,
                 bound=0.05):
        _store(self, locals())

    def _penalty_params(self, s_enc, n_samples):
        return dict(
            s_cardinalities=None if s_enc is None else s_enc.cardinalities,
            adversary_weight=float(self.adversary_weight),
            schedule=self.schedule,
            strength_scaling=self.strength_scaling,
            # the steps of one process (data-parallel: each takes 1/world_size of the rows)
            total_steps=self.max_epochs * math.ceil(
                math.ceil(n_samples / process_group()[1]) / self._batch_rows(n_samples)),
        )


_grl_doc = fill_doc(
    strength="lambda", strength_param="adversary_weight",
    hidden_parts="encoder E and of the predictor P and of the adversary D",
    network="baselines.GradientReversalNetwork",
    history_terms="``train_adversary`` (D's cross-entropy on s; high means z hides s), "
                  "``train_reversal`` (the coefficient lambda_p)",
    method_params="""
    adversary_weight : float, default=20.0
        lambda, the coefficient of the gradient-reversal layer: the encoder receives
        -lambda times the gradient of D's cross-entropy (Ganin et al., eq. (13)-(14); gamma of
        Xie et al.). ``InvariantTransformer(invariance=...)`` maps onto it; 0 leaves D
        training but switches its effect on the encoder off.
        %(robust_default)s
    schedule : {'dann', 'constant'}, default='dann'
        'dann' ramps the coefficient as lambda * (2 / (1 + exp(-10 p)) - 1) over the training
        progress p in [0, 1] (batches done / max_epochs * batches per epoch; Ganin et al.,
        section 5.2.2), so D learns before the encoder fights it; 'constant' uses lambda from
        the first step.
    """,
    **_DOC_TEXTS)


@_grl_doc
class GradientReversalTransformer(TransformerMixin, _GradientReversalBase):
    """Invariant representation by adversarial training with gradient reversal.

    An encoder E maps x to z; a predictor P infers y from z and an adversary D infers s from
    z through a gradient-reversal layer, so that one gradient step of
    CE(P(z), y) + CE(D(z), s) trains D to predict s and E to defeat it. This is DANN
    (Ganin et al., "Domain-Adversarial Training of Neural Networks", JMLR 2016) with s as the
    domain, and Controllable Adversarial Invariance (Xie et al., "Controllable Invariance
    through Adversarial Feature Learning", NeurIPS 2017), with which Fader-network training
    coincides in this supervised setting. ``s`` is categorical (one or several columns, one
    softmax head of D each); without ``s`` the network trains with no adversary.

    A known weakness shows up readily: maximising D's cross-entropy pushes z to make D
    *wrong*, not uninformed, so training can cycle with D near chance (``train_adversary``
    near log 2) while a post-hoc probe still recovers s. A narrower code often helps more
    than a larger ``adversary_weight``: on small synthetic data a probe still reads s from an
    8-D code at large weights, while a 2-D code (``n_components=2``) lowers its accuracy.
    Measure invariance with a post-hoc probe (``fairrep.metrics.probe_accuracy``), not D.

    %(baseline_parameters)s

    Attributes
    ----------
    %(baseline_attributes)s

    See Also
    --------
    GradientReversalClassifier : the same model, predicting y with P.
    fairrep.nn.GradientReversal : the layer.

    Examples
    --------
    >>> import numpy as np
    >>> from fairrep import GradientReversalTransformer
    >>> rng = np.random.RandomState(0)
    >>> s = rng.randint(0, 2, 200)
    >>> X = np.c_[rng.normal(size=(200, 3)), s + 0.1 * rng.normal(size=200)]
    >>> y = (X[:, 0] > 0).astype(int)
    >>> rep = GradientReversalTransformer(max_epochs=3, strength_scaling="none", random_state=0)
    >>> reversal = rep.fit(X, y, s=s).history_[:, "train_reversal"]
    >>> bool(reversal[0] < reversal[1] < reversal[2] < 20.0)  # 'dann' ramps lambda_p up to 20
    True
    """


@_grl_doc
class GradientReversalClassifier(ClassifierMixin, TransformerMixin, InvariantClassifierMixin,
                                 _GradientReversalBase):
    """Classifier trained adversarially against s with gradient reversal.

    The model of :class:`GradientReversalTransformer` (Ganin et al., JMLR 2016; Xie et al.,
    NeurIPS 2017); ``predict`` and ``predict_proba`` use the predictor P on z = E(x),
    ``transform`` returns z.

    %(baseline_parameters)s

    Attributes
    ----------
    %(baseline_attributes)s
    %(classes_attribute)s

    Examples
    --------
    >>> import numpy as np
    >>> from fairrep import GradientReversalClassifier
    >>> from fairrep.metrics import probe_accuracy
    >>> rng = np.random.RandomState(0)
    >>> s = rng.choice(["a", "b"], 200)
    >>> X = np.c_[rng.normal(size=(200, 3)), (s == "a") + 0.1 * rng.normal(size=200)]
    >>> y = np.where(X[:, 0] > 0, "yes", "no")
    >>> def fit(n_components):
    ...     clf = GradientReversalClassifier(n_components=n_components, max_epochs=30,
    ...                                      batch_size=32, random_state=0)
    ...     return clf.fit(X, y, s=s)
    >>> def probe(clf):
    ...     return probe_accuracy(clf.transform(X), s, hidden_layer_sizes=(16,), random_state=0)
    >>> wide, narrow = fit(8), fit(2)
    >>> wide.history_[-1, "train_adversary"] > 0.6, probe(wide) > 0.9  # D near log 2, yet...
    (True, True)
    >>> probe(narrow) < 0.8, narrow.score(X, y) > 0.9  # a 2-D code hides s and keeps y
    (True, True)
    """


register_method(MethodSpec(
    "gradient_reversal", GradientReversalTransformer, GradientReversalClassifier,
    strength_param="adversary_weight",
    paper="Ganin et al., Domain-Adversarial Training of Neural Networks, JMLR 2016; Xie et "
          "al., Controllable Invariance through Adversarial Feature Learning, NeurIPS 2017"))


# -- MMD ---------------------------------------------------------------------------------------
class _MMDBase(_BaselineBase):
    _strength_param = "mmd_weight"
    _invariance_needs_s = True
    _module_class = MMDNetwork
    _parameter_constraints = {
        **_BaselineBase._parameter_constraints, **STRENGTH_SCALING, **FAIRNESS_BOUND,
        "mmd_weight": [NON_NEGATIVE],
    }

    def __init__(self, n_components=8, hidden_layer_sizes=(50,), mmd_weight=20.0,
                 strength_scaling="task_gain", max_epochs=30, batch_size="auto", lr=1e-3,
                 weight_decay=1e-4, device="cpu", random_state=None, verbose=0,
                 mixed_precision=False, constraint=None, bound=0.05):
        _store(self, locals())

    def _penalty_params(self, s_enc, n_samples):
        return dict(
            s_cardinalities=None if s_enc is None else s_enc.cardinalities,
            mmd_weight=float(self.mmd_weight),
            strength_scaling=self.strength_scaling,
        )


_mmd_doc = fill_doc(
    strength="mmd_weight", strength_param="mmd_weight", network="baselines.MMDNetwork",
    hidden_parts="encoder E and of the predictor P", method_params="""
    mmd_weight : float, default=20.0
        Weight of the MMD^2 penalty (beta of Li et al.). The kernel is a mixture of Gaussians
        with bandwidths 0.5, 1 and 2 times the median heuristic of each batch. With more
        than two groups, the penalty of an s column is the mean over the groups g present in
        the batch of MMD^2(z[s = g], z[s != g]) (each group against the rest); with several
        s columns the columns' penalties add up. ``InvariantTransformer(invariance=...)``
        maps onto it; 0 switches the penalty off.
        %(robust_default)s
    """,
    history_terms="``train_mmd`` (the unweighted MMD^2 penalty)",
    **_DOC_TEXTS)


@_mmd_doc
class MMDTransformer(TransformerMixin, _MMDBase):
    """Invariant representation with a maximum mean discrepancy penalty (NN+MMD).

    An encoder E maps x to z, trained with a predictor P of y to minimise
    CE(P(z), y) + mmd_weight * MMD^2 between the distributions of z in the groups of s
    (Li, Swersky & Zemel, "Learning Unbiased Features", NIPS 2014 workshop on transfer and
    multi-task learning, arXiv:1412.5244). MMD^2 is the biased estimate on each batch; a
    group absent from a batch is skipped. ``s`` is categorical (one or several columns);
    without ``s`` the network trains with no penalty.

    %(baseline_parameters)s

    Attributes
    ----------
    %(baseline_attributes)s

    See Also
    --------
    MMDClassifier : the same model, predicting y with P.
    fairrep.nn.mmd2 : the penalty.

    Examples
    --------
    >>> import numpy as np
    >>> from fairrep import MMDTransformer
    >>> rng = np.random.RandomState(0)
    >>> groups = np.c_[rng.randint(0, 2, 200), rng.randint(0, 3, 200)]  # two columns of s
    >>> X = np.c_[rng.normal(size=(200, 3)), groups + 0.1 * rng.normal(size=(200, 2))]
    >>> y = (X[:, 0] > 0).astype(int)
    >>> rep = MMDTransformer(n_components=4, max_epochs=3, random_state=0).fit(X, y, s=groups)
    >>> rep.transform(X).shape, [len(classes) for classes in rep.s_classes_]
    ((200, 4), [2, 3])
    """


@_mmd_doc
class MMDClassifier(ClassifierMixin, TransformerMixin, InvariantClassifierMixin, _MMDBase):
    """Classifier with a maximum mean discrepancy penalty between s groups (NN+MMD).

    The model of :class:`MMDTransformer` (Li, Swersky & Zemel 2014); ``predict`` and
    ``predict_proba`` use the predictor P on z = E(x), ``transform`` returns z.

    %(baseline_parameters)s

    Attributes
    ----------
    %(baseline_attributes)s
    %(classes_attribute)s

    Examples
    --------
    >>> import numpy as np
    >>> from fairrep import MMDClassifier
    >>> from fairrep.metrics import demographic_parity_difference
    >>> rng = np.random.RandomState(0)
    >>> s = rng.randint(0, 2, 400)
    >>> X = rng.normal(size=(400, 3)) + s[:, None]  # every feature is shifted by s
    >>> y = (X[:, 0] + rng.normal(size=400) > 0.5).astype(int)
    >>> def parity_gap(mmd_weight):
    ...     clf = MMDClassifier(mmd_weight=mmd_weight, max_epochs=20, random_state=0)
    ...     return demographic_parity_difference(None, clf.fit(X, y, s=s).predict(X), s=s)
    >>> before, after = parity_gap(0.0), parity_gap(20.0)  # the penalty narrows the gap
    >>> bool(before > 0.3), bool(after < 0.15)
    (True, True)
    """


register_method(MethodSpec(
    "mmd", MMDTransformer, MMDClassifier, strength_param="mmd_weight",
    paper="Li, Swersky & Zemel, Learning Unbiased Features, arXiv:1412.5244, 2014"))


# -- HSIC --------------------------------------------------------------------------------------
class _HSICBase(_BaselineBase):
    _strength_param = "hsic_weight"
    _s_kind = "numeric"
    _invariance_needs_s = True
    _module_class = HSICNetwork
    _parameter_constraints = {
        **_BaselineBase._parameter_constraints, **STRENGTH_SCALING, **FAIRNESS_BOUND,
        "hsic_weight": [NON_NEGATIVE],
    }

    def __init__(self, n_components=8, hidden_layer_sizes=(50,), hsic_weight=300.0,
                 strength_scaling="task_gain", max_epochs=30, batch_size="auto", lr=1e-3,
                 weight_decay=1e-4, device="cpu", random_state=None, verbose=0,
                 mixed_precision=False, constraint=None, bound=0.05):
        _store(self, locals())

    def _penalty_params(self, s_enc, n_samples):
        return dict(
            dim_t=None if s_enc is None else s_enc.values.shape[1],
            hsic_weight=float(self.hsic_weight),
            strength_scaling=self.strength_scaling,
        )


_hsic_doc = fill_doc(
    strength="hsic_weight", strength_param="hsic_weight", network="baselines.HSICNetwork",
    hidden_parts="encoder E and of the predictor P", method_params="""
    hsic_weight : float, default=300.0
        Weight of the HSIC(z, s) penalty (the lambda of the HCV objective of Lopez et al.).
        HSIC with Gaussian kernels in [0, 1] is small (at most 1), hence the large default.
        ``InvariantTransformer(invariance=...)`` maps onto it; 0 switches the penalty off.
        %(robust_default)s
    """,
    history_terms="``train_hsic`` (the unweighted HSIC penalty)",
    **_DOC_TEXTS)


@_hsic_doc
class HSICTransformer(TransformerMixin, _HSICBase):
    """Invariant representation with a Hilbert-Schmidt independence penalty.

    An encoder E maps x to z, trained with a predictor P of y to minimise
    CE(P(z), y) + hsic_weight * HSIC(z, T): the HSIC penalty of the HSIC-constrained VAE
    (HCV) of Lopez, Regier, Jordan & Yosef, "Information Constraints on Auto-Encoding
    Variational Bayes" (NeurIPS 2018), here on a supervised encoder. HSIC is the biased
    estimate on each batch (Gretton et al. 2005) with Gaussian kernels and median-heuristic
    bandwidths; T is ``s`` one-hot encoded (categorical columns) or standardised (continuous
    numeric columns with more than 20 distinct values), several columns side by side. A
    constant column is a ``ValueError``; without ``s`` the network trains with no penalty.

    %(baseline_parameters)s

    Attributes
    ----------
    %(baseline_attributes)s

    See Also
    --------
    HSICClassifier : the same model, predicting y with P.
    fairrep.nn.hsic : the penalty.

    Examples
    --------
    >>> import numpy as np
    >>> from fairrep import HSICTransformer
    >>> rng = np.random.RandomState(0)
    >>> age = rng.uniform(20, 70, 200)
    >>> X = np.c_[rng.normal(size=(200, 3)), age / 50 + 0.1 * rng.normal(size=200)]
    >>> y = (X[:, 0] > 0).astype(int)
    >>> HSICTransformer(max_epochs=3, random_state=0).fit(X, y, s=age).transform(X).shape
    (200, 8)
    """


@_hsic_doc
class HSICClassifier(ClassifierMixin, TransformerMixin, InvariantClassifierMixin, _HSICBase):
    """Classifier with a Hilbert-Schmidt independence penalty between z and s.

    The model of :class:`HSICTransformer` (Lopez et al., NeurIPS 2018); ``predict`` and
    ``predict_proba`` use the predictor P on z = E(x), ``transform`` returns z.

    %(baseline_parameters)s

    Attributes
    ----------
    %(baseline_attributes)s
    %(classes_attribute)s

    Examples
    --------
    >>> import numpy as np
    >>> from fairrep import HSICClassifier
    >>> rng = np.random.RandomState(0)
    >>> age, group = rng.uniform(20, 70, 200), rng.randint(0, 2, 200)
    >>> X = np.c_[rng.normal(size=(200, 3)), age / 50, group]
    >>> y = np.where(X[:, 0] > 0, "yes", "no")
    >>> s = np.c_[age, group]  # age is standardised, group one-hot encoded
    >>> clf = HSICClassifier(max_epochs=60, batch_size=32, random_state=0).fit(X, y, s=s)
    >>> clf.score(X, y) > 0.9
    True
    """


register_method(MethodSpec(
    "hsic", HSICTransformer, HSICClassifier, strength_param="hsic_weight",
    paper="Lopez, Regier, Jordan & Yosef, Information Constraints on Auto-Encoding "
          "Variational Bayes, NeurIPS 2018"))
