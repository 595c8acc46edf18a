"""Baselines of the Adversarial Forgetting paper's tables: VFAE, CVIB and UAI.

Jaiswal et al. ("Invariant Representations through Adversarial Forgetting", AAAI 2020,
section 5, Tables 1-5) compare their model with NN+MMD, VFAE, CAI, CVIB and UAI on the same
two figures: A_y, the accuracy of the jointly trained predictor, and A_s, the accuracy of a
post-hoc two-layer MLP probe of s on the frozen representation (see
:func:`fairrep.metrics.probe_accuracy`). NN+MMD and CAI are in :mod:`fairrep.methods.baselines`;
the three here are built from the networks of :mod:`fairrep.nn.variational_baselines`:

- VFAE (Louizos et al., ICLR 2016): a VAE with latents z1, z2 conditioned on s and y, a
  classifier on z1 and an MMD penalty on z1 between the s groups;
- CVIB (Moyer et al., NeurIPS 2018): a variational information bottleneck with a
  non-adversarial bound on I(z; s) (reconstruction of x from (z, s) plus a pairwise-KL bound
  on I(z; x));
- UAI (Jaiswal et al., NeurIPS 2018): a split embedding (e1, e2), competitive prediction from
  e1 and reconstruction from (noisy e1, e2), and adversarial disentanglement of e1 and e2; it
  does not use s.
"""

from __future__ import annotations

from numbers import Real

import numpy as np
from sklearn.base import ClassifierMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from .._sensitive import S_LENGTH, encode_sensitive_like
from .._docstrings import fill_doc
from .._classifier import InvariantClassifierMixin
from .._params import (FAIRNESS_BOUND, NON_NEGATIVE, Number, POSITIVE_INT, STRENGTH_SCALING,
                       _store)
from ..nn.variational_baselines import CVIBNetwork, UAINetwork, VFAENetwork
from ._registry import MethodSpec, register_method
from .baselines import _BaselineBase

S_NOT_FITTED = (
    "{estimator} was fitted without s, so transform cannot take s; call transform(X)."
)


class _SampleMixin:
    """``sample_representation``: draws of the stochastic code instead of its mean."""

    def sample_representation(self, X, random_state=None):
        """A draw of the stochastic code z ~ q(z | x) for each row of ``X``.

        ``transform`` returns the posterior mean. The method's information terms bound what
        the *draws* carry about s; the mean can keep s in directions where the posterior is
        much wider than the spread of the means (the noise hides it from the draws, not from
        a probe that rescales the mean's columns). Probing the draws measures the invariance
        that the objective controls.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        random_state : int, RandomState instance or None, default=None
            Seeds the draws.

        Returns
        -------
        Z : ndarray of shape (n_samples, n_components)
        """
        generator = self._generator(random_state)
        return self._apply(X, lambda module, Xb: module.sample(Xb, generator))


# -- VFAE --------------------------------------------------------------------------------------
class _VFAEBase(_SampleMixin, _BaselineBase):
    _strength_param = "mmd_weight"
    _invariance_needs_s = True
    _module_class = VFAENetwork
    _parameter_constraints = {
        **_BaselineBase._parameter_constraints, **STRENGTH_SCALING, **FAIRNESS_BOUND,
        "n_components_z2": [POSITIVE_INT], "classifier_weight": [NON_NEGATIVE],
        "mmd_weight": [NON_NEGATIVE], "encoder_uses_s": ["boolean"],
    }

    def __init__(self, n_components=8, n_components_z2=8, hidden_layer_sizes=(50,),
                 classifier_weight=10.0, mmd_weight=1000.0, encoder_uses_s=False,
                 strength_scaling="task_gain", max_epochs=20, batch_size="auto", lr=1e-3,
                 weight_decay=1e-4, device="cpu", random_state=None, verbose=0,
                 mixed_precision=False, constraint=None, bound=0.05):
        _store(self, locals())

    def _penalty_params(self, s_enc, n_samples):
        params = dict(
            n_components_z2=int(self.n_components_z2),
            classifier_weight=float(self.classifier_weight),
            mmd_weight=float(self.mmd_weight),
            encoder_uses_s=bool(self.encoder_uses_s),
            strength_scaling=self.strength_scaling,
        )
        if s_enc is not None:
            support, counts = np.unique(s_enc.codes, axis=0, return_counts=True)
            params.update(s_cardinalities=s_enc.cardinalities, s_support=support.tolist(),
                          s_weights=(counts / counts.sum()).tolist())
        return params

    def transform(self, X, s=None):
        """The representation of ``X``: the mean of q(z1 | x, s).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        s : array-like of shape (n_samples,) or (n_samples, n_attributes), default=None
            Read with ``encoder_uses_s=True``: the true s of each row. Checked either way:
            a value fit never saw is a ``ValueError``. None marginalises s out: the mean of
            z1 averaged over the combinations of s seen in training, weighted by their
            shares.

        Returns
        -------
        Z : ndarray of shape (n_samples, n_components)
        """
        if s is None:
            return super().transform(X)
        check_is_fitted(self)
        if self.s_classes_ is None:
            raise ValueError(S_NOT_FITTED.format(estimator=type(self).__name__))
        X = self._check_X(X)
        classes = (self.s_classes_ if isinstance(self.s_classes_, list)
                   else [self.s_classes_])
        # checked even where the encoder does not read s: a group fit never saw is the
        # user's mistake either way (S_UNSEEN), not something to drop silently
        codes = encode_sensitive_like(s, classes)
        if codes.shape[0] != X.shape[0]:
            raise ValueError(S_LENGTH.format(n_s=codes.shape[0], n_x=X.shape[0]))
        if not self.net_.module_.encoder_uses_s:
            return super().transform(X)
        n = X.shape[1]
        # s travels next to X through the batched inference path, as extra columns
        Z = self.net_.apply_batches(
            np.hstack([X, codes.astype(X.dtype)]),
            lambda module, Xs: module.encode(Xs[:, :n], Xs[:, n:].long()))
        return Z.astype(X.dtype, copy=False)


_vfae_doc = fill_doc(
    strength="beta", strength_param="mmd_weight", network="variational_baselines.VFAENetwork",
    history_terms="``train_reconstruction`` (-log p(x|z1,s) up to a constant), ``train_kl_z1`` "
                  "(one-draw KL(q(z1|x,s) || p(z1|z2,y))), ``train_kl_z2`` "
                  "(KL(q(z2|z1,y) || N(0, I))), ``train_mmd`` (the unweighted MMD^2, only "
                  "with s)",
    vfae_parameters="""
    Parameters
    ----------
    n_components : int, default=8
        Dimension of z1, the representation.
    n_components_z2 : int, default=8
        Dimension of z2, the latent that carries the variation of z1 within a class of y.
    hidden_layer_sizes : tuple of int, default=(50,)
        Hidden widths of q(z1|x,s), q(z2|z1,y), p(z1|z2,y) and the classifier q(y|z1); the
        decoder p(x|z1,s) uses them reversed.
    classifier_weight : float, default=10.0
        alpha of Louizos et al.: weight of the cross-entropy of the classifier
        q(y | z1), here applied to the posterior mean of z1 (the ELBO's reconstruction term is
        summed over the features of x, so the classifier needs a weight to be heard).
    mmd_weight : float, default=1000.0
        beta of Louizos et al.: weight of the unbiased MMD^2 between the posterior means of z1
        in the groups of s, the means standardised per column within each batch (Gaussian
        kernel mixture at 0.5, 1 and 2 times the median heuristic; with more than two groups,
        each group against the rest, averaged; several s columns add up). The MMD of a batch is
        small (of order 0.01), hence the large default (which ``strength_scaling='task_gain'``
        scales down by the classifier's gain on each batch). The invariance strength:
        ``InvariantTransformer(invariance=...)`` maps onto it; 0 leaves only the VAE's own
        factorisation (the paper's "VAE" model).
        %(robust_default)s
    encoder_uses_s : bool, default=False
        True is the paper's encoder q(z1 | x, s). ``transform(X)`` cannot know s, so it then
        returns the mean of z1 averaged over the combinations of s seen in training (weighted
        by their shares), ``transform(X, s=s)`` the mean given the true s, and ``predict``
        uses the averaged one. Beware: conditioned on s, the encoder can meet the MMD by
        encoding "x minus what s explains", which averaging over s turns back into a code of
        s; the default False, q(z1 | x), with only the decoder p(x | z1, s) seeing s, gives
        a ``transform(X)`` that is invariant by construction of the penalty.
    %(strength_scaling)s
    max_epochs : int, default=20
        Passes over the training data. Fewer than the other baselines' 30: the VFAE's six
        networks make each step about twice as dear, and on the protocol of
        ``benchmarks/robust_defaults.py`` 20 epochs (with ``mmd_weight=1000``) kept the
        accuracy and the parity of 30 (with 2500) at two thirds of the time.
    %(optimizer_params)s
    %(bound_params)s
    """)


@_vfae_doc
class VFAETransformer(TransformerMixin, _VFAEBase):
    """Invariant representation by the Variational Fair Autoencoder (VFAE).

    Louizos, Swersky, Li, Welling & Zemel, "The Variational Fair Autoencoder", ICLR 2016: a
    variational autoencoder whose latent z1 is encouraged to be independent of s twice over.
    The generative model p(x | z1, s) p(z1 | z2, y) p(z2) gives s to the decoder, so z1 need
    not encode it; an MMD penalty between the distributions of z1 in the groups of s
    removes what the factorisation leaves. A classifier q(y | z1) is trained jointly (the
    supervised model: every training row has its y). ``transform`` returns the posterior mean
    of z1. One of the baselines of the Adversarial Forgetting paper (Jaiswal et al., AAAI
    2020, Tables 1-5). ``s`` is categorical (one or several columns); without ``s`` the
    network is a plain supervised VAE (no s inputs, no MMD).

    %(vfae_parameters)s

    Attributes
    ----------
    %(baseline_attributes)s

    See Also
    --------
    VFAEClassifier : the same model, predicting y with q(y | z1).
    MMDTransformer : the MMD penalty on a plain encoder (NN+MMD).

    Examples
    --------
    >>> import numpy as np
    >>> from fairrep.methods.variational_baselines import VFAETransformer
    >>> rng = np.random.RandomState(0)
    >>> s = rng.randint(0, 2, 200)
    >>> X = np.c_[rng.normal(size=(200, 3)), s + 0.1 * rng.normal(size=200)]
    >>> y = (X[:, 0] > 0).astype(int)
    >>> rep = VFAETransformer(encoder_uses_s=True, max_epochs=3, random_state=0).fit(X, y, s=s)
    >>> averaged, given_s = rep.transform(X), rep.transform(X, s=s)  # q(z1 | x, s)'s mean
    >>> averaged.shape, np.allclose(averaged, given_s)
    ((200, 8), False)
    """


@_vfae_doc
class VFAEClassifier(ClassifierMixin, TransformerMixin, InvariantClassifierMixin, _VFAEBase):
    """Classifier of the Variational Fair Autoencoder, predicting y with q(y | z1).

    The model of :class:`VFAETransformer` (Louizos et al., ICLR 2016; a baseline of Jaiswal et
    al., AAAI 2020); ``predict`` and ``predict_proba`` apply q(y | z1) to the posterior mean
    of z1 (averaged over s when ``encoder_uses_s=True``), ``transform`` returns that mean.

    %(vfae_parameters)s

    Attributes
    ----------
    %(baseline_attributes)s
    %(classes_attribute)s

    Examples
    --------
    >>> import numpy as np
    >>> from fairrep.methods.variational_baselines import VFAEClassifier
    >>> rng = np.random.RandomState(0)
    >>> s = rng.choice(["a", "b"], 200)
    >>> X = np.c_[rng.normal(size=(200, 3)), (s == "a") + 0.1 * rng.normal(size=200)]
    >>> y = np.where(X[:, 0] > 0, "yes", "no")
    >>> clf = VFAEClassifier(max_epochs=30, batch_size=32, random_state=0).fit(X, y, s=s)
    >>> elbo_and_mmd = {"train_reconstruction", "train_kl_z1", "train_kl_z2", "train_mmd"}
    >>> elbo_and_mmd <= set(clf.history_[-1])  # logged per epoch, unweighted
    True
    >>> clf.score(X, y) > 0.9
    True
    """


register_method(MethodSpec(
    "vfae", VFAETransformer, VFAEClassifier, strength_param="mmd_weight",
    paper="Louizos, Swersky, Li, Welling & Zemel, The Variational Fair Autoencoder, ICLR 2016"))


# -- CVIB --------------------------------------------------------------------------------------
class _CVIBBase(_SampleMixin, _BaselineBase):
    _strength_param = "invariance_weight"
    _invariance_needs_s = True
    _module_class = CVIBNetwork
    _parameter_constraints = {
        **_BaselineBase._parameter_constraints, **STRENGTH_SCALING, **FAIRNESS_BOUND,
        "kl_weight": [NON_NEGATIVE], "invariance_weight": [NON_NEGATIVE],
    }

    def __init__(self, n_components=8, hidden_layer_sizes=(50,), kl_weight=0.1,
                 invariance_weight=0.5, strength_scaling="task_gain", max_epochs=30,
                 batch_size="auto", lr=1e-3, weight_decay=1e-4, device="cpu",
                 random_state=None, verbose=0, mixed_precision=False, constraint=None,
                 bound=0.05):
        _store(self, locals())

    def _penalty_params(self, s_enc, n_samples):
        return dict(
            s_cardinalities=None if s_enc is None else s_enc.cardinalities,
            kl_weight=float(self.kl_weight),
            invariance_weight=float(self.invariance_weight),
            strength_scaling=self.strength_scaling,
        )


_cvib_doc = fill_doc(
    strength="lambda", strength_param="invariance_weight",
    network="variational_baselines.CVIBNetwork",
    history_terms="``train_kl`` (KL(q(z|x) || N(0, I))), ``train_reconstruction`` (-log "
                  "p(x|z,s) up to a constant, only with s), ``train_pairwise_kl`` (the "
                  "pairwise-KL bound on I(z; x), only with s)",
    cvib_parameters="""
    Parameters
    ----------
    n_components : int, default=8
        Dimension of z.
    hidden_layer_sizes : tuple of int, default=(50,)
        Hidden widths of the encoder q(z|x) and the predictor p(y|z); the decoder p(x|z,s)
        uses them reversed.
    kl_weight : float, default=0.1
        beta of Moyer et al.: weight of KL(q(z|x) || N(0, I)), the information bottleneck's
        bound on I(z; x).
    invariance_weight : float, default=0.5
        lambda of Moyer et al.: weight of their bound on I(z; s), the reconstruction error
        -log p(x | z, s) (half the squared error summed over features) plus the mean over the
        pairs of a batch of KL(q(z|x_i) || q(z|x_j)). The invariance strength;
        ``InvariantTransformer(invariance=...)`` maps onto it; 0 leaves a plain variational
        information bottleneck. Both terms compress: on Adult (s = sex, 10 epochs,
        ``benchmarks/variational_baselines_adult.py``) lambda >= 0.3 already collapses z to
        the prior and the predictor to the majority class with the paper's fixed weight
        (``strength_scaling='none'``), while a probe of the posterior mean still finds s (see
        :meth:`sample_representation`).
        %(robust_default)s
    %(strength_scaling)s
    %(training_params)s
    %(bound_params)s
    """)


@_cvib_doc
class CVIBTransformer(TransformerMixin, _CVIBBase):
    """Invariant representation by the conditional variational information bottleneck.

    Moyer, Gao, Brekelmans, Galstyan & Ver Steeg, "Invariant Representations without
    Adversarial Training", NeurIPS 2018 (named CVIB by Jaiswal et al., AAAI 2020, who compare
    with it in Tables 1-5). A variational encoder q(z|x) feeds a predictor of y; the loss adds
    beta * KL(q(z|x) || N(0, I)) and lambda times a variational upper bound on I(z; s),
    I(z; s) <= -H(x|s) - E log p(x | z, s) + I(z; x), with a decoder p(x | z, s) that is
    given s (so z gains nothing by keeping s for it) and I(z; x) bounded by the mean pairwise
    KL between the encodings of a batch. No adversary: the bound is minimised directly.
    ``transform`` returns the posterior mean of z. ``s`` is categorical (one or several
    columns, one-hot inputs of the decoder); without ``s`` the lambda term is skipped.

    %(cvib_parameters)s

    Attributes
    ----------
    %(baseline_attributes)s

    See Also
    --------
    CVIBClassifier : the same model, predicting y with p(y | z).

    Examples
    --------
    >>> import numpy as np
    >>> from fairrep.methods.variational_baselines import CVIBTransformer
    >>> rng = np.random.RandomState(0)
    >>> s = rng.randint(0, 3, 200)  # three groups: the decoder p(x | z, s) sees s one-hot
    >>> X = np.c_[rng.normal(size=(200, 3)), s + 0.1 * rng.normal(size=200)]
    >>> y = (X[:, 0] > 0).astype(int)
    >>> rep = CVIBTransformer(n_components=2, max_epochs=3, random_state=0).fit(X, y, s=s)
    >>> mean, draw = rep.transform(X), rep.sample_representation(X, random_state=0)
    >>> mean.shape == draw.shape, np.allclose(mean, draw)  # draws of q(z|x) around its mean
    (True, False)
    """


@_cvib_doc
class CVIBClassifier(ClassifierMixin, TransformerMixin, InvariantClassifierMixin, _CVIBBase):
    """Classifier trained with the conditional variational information bottleneck.

    The model of :class:`CVIBTransformer` (Moyer et al., NeurIPS 2018; a baseline of Jaiswal
    et al., AAAI 2020); ``predict`` and ``predict_proba`` apply p(y | z) to the posterior mean
    of z, ``transform`` returns that mean.

    %(cvib_parameters)s

    Attributes
    ----------
    %(baseline_attributes)s
    %(classes_attribute)s

    Examples
    --------
    >>> import numpy as np
    >>> from fairrep.methods.variational_baselines import CVIBClassifier
    >>> rng = np.random.RandomState(0)
    >>> s = rng.choice(["a", "b"], 200)
    >>> X = np.c_[rng.normal(size=(200, 3)), (s == "a") + 0.1 * rng.normal(size=200)]
    >>> y = np.where(X[:, 0] > 0, "yes", "no")
    >>> clf = CVIBClassifier(max_epochs=30, batch_size=32, random_state=0).fit(X, y, s=s)
    >>> clf.history_[-1, "train_pairwise_kl"] >= 0  # the pairwise-KL bound on I(z; x)
    True
    >>> clf.score(X, y) > 0.9
    True
    """


register_method(MethodSpec(
    "cvib", CVIBTransformer, CVIBClassifier, strength_param="invariance_weight",
    paper="Moyer, Gao, Brekelmans, Galstyan & Ver Steeg, Invariant Representations without "
          "Adversarial Training, NeurIPS 2018"))


# -- UAI ---------------------------------------------------------------------------------------
class _UAIBase(_BaselineBase):
    """UAI needs no s (only its length is checked); its adversaries, the disentanglers, read
    the embeddings alone and train on every batch whether or not s was passed."""
    _strength_param = "disentanglement_weight"
    _s_kind = "length_only"
    _adversary_reads_s = False

    _module_class = UAINetwork
    _parameter_constraints = {
        **_BaselineBase._parameter_constraints,
        "nuisance_components": [POSITIVE_INT], "reconstruction_weight": [NON_NEGATIVE],
        "disentanglement_weight": [NON_NEGATIVE], "adversary_steps": [POSITIVE_INT],
        "dropout_rate": [Number(Real, 0, 1, closed="left")],
    }

    def __init__(self, n_components=8, nuisance_components=8, hidden_layer_sizes=(50,),
                 reconstruction_weight=0.1, disentanglement_weight=1.0, dropout_rate=0.5,
                 adversary_steps=5, max_epochs=30, batch_size="auto", lr=1e-3,
                 weight_decay=1e-4, device="cpu", random_state=None, verbose=0,
                 mixed_precision=False):
        _store(self, locals())

    def _adversary_steps(self):
        return int(self.adversary_steps)

    def _penalty_params(self, s_enc, n_samples):
        rate = self.dropout_rate
        return dict(
            nuisance_components=int(self.nuisance_components),
            reconstruction_weight=float(self.reconstruction_weight),
            disentanglement_weight=float(self.disentanglement_weight),
            dropout_rate=float(rate),
        )


_uai_doc = fill_doc(
    network="variational_baselines.UAINetwork",
    uai_parameters="""
    Parameters
    ----------
    n_components : int, default=8
        Dimension of e1, the predictive embedding that ``transform`` returns.
    nuisance_components : int, default=8
        Dimension of e2, the nuisance embedding.
    hidden_layer_sizes : tuple of int, default=(50,)
        Hidden widths of the encoder, the predictor and both disentanglers; the decoder uses
        them reversed.
    reconstruction_weight : float, default=0.1
        beta of Jaiswal et al. (2018), relative to the predictor's weight alpha = 1: weight of
        the reconstruction error of x from (psi(e1), e2), half the squared error averaged
        over features (the mean squared error of the paper's L_x). Summed over features, it
        outweighed the task on German credit's 61 columns: with the quantile recipe the
        classifier predicted the majority class on 3 of 3 splits (0.720-0.787 per feature).
        Reconstruction and disentanglement both compete with the task for the
        information of y (e2 wants it to reconstruct x, the disentangler Dis2 then finds it in
        e1); with beta = 1 and only two features (sklearn's blobs) the predictor loses.
    disentanglement_weight : float, default=1.0
        gamma of Jaiswal et al. (2018): weight of the disentanglers' loss against random
        targets in the model's step, which pushes e1 and e2 to be unpredictable from each
        other. ``InvariantTransformer(invariance=...)`` maps onto it; 0 leaves the
        disentanglers training but without effect on the embeddings (the competition between
        prediction from e1 and reconstruction through psi alone then splits them).
    dropout_rate : float, default=0.5
        Rate of the noisy-transformer psi, dropout on e1 before the decoder.
    adversary_steps : int, default=5
        Disentangler updates per model update (the k : 1 schedule of Jaiswal et al. 2019).
    %(training_params)s
    """,
    uai_attributes="""
    %(net_attribute)s
    history_ : skorch.History
        Per epoch: ``train_task`` (cross-entropy of the predictor on e1, summed over target
        columns), ``train_reconstruction``, ``train_disentanglement`` (the disentanglers' mean
        squared error against random targets, model step), ``train_disentangler`` (their
        error on the true standardised targets in their own step, the sum of two mean squared
        errors: near 2 means e1 and e2 do not predict each other) and ``train_loss`` (the
        weighted total of the model step).
    s_classes_ : None
        UAI does not use ``s``.
    n_tasks_ : int
        Number of target columns (one predictor each; the paper's UAI has one).
    %(common_attributes)s
    """)


@_uai_doc
class UAITransformer(TransformerMixin, _UAIBase):
    """Predictive embedding learned by Unsupervised Adversarial Invariance (UAI).

    Jaiswal, Wu, Abd-Almageed & Natarajan, "Unsupervised Adversarial Invariance", NeurIPS
    2018. The encoder splits x into e1, from which y is predicted, and e2; a decoder
    reconstructs x from e2 and a dropout-noised copy of e1 (the noisy-transformer psi), so
    prediction and reconstruction compete: what y needs goes to e1, everything else to e2.
    Two disentanglers try to predict e2 from e1 and e1 from e2 and the encoder is trained to
    defeat them (the rest of the model is updated against random targets drawn from the
    batch, the disentanglers against the true ones, k : 1). ``transform`` returns e1.

    UAI needs no labels of the nuisance: ``s`` is accepted for the uniform
    ``fit(X, y, s=s)`` API, checked to have one value per row, and ignored. The forgetting
    paper (Jaiswal et al., AAAI 2020) compares with UAI on the nuisance benchmarks (Tables 1-3:
    A_s is a post-hoc probe of the nuisance s on e1), not on Adult or German, where s is a
    biasing factor correlated with y that an unsupervised split need not remove.

    %(uai_parameters)s

    Attributes
    ----------
    %(uai_attributes)s

    See Also
    --------
    UAIClassifier : the same model, predicting y from e1.

    Examples
    --------
    >>> import numpy as np
    >>> from fairrep.methods.variational_baselines import UAITransformer
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(200, 4))
    >>> y = (X[:, 0] > 0).astype(int)
    >>> UAITransformer(max_epochs=3, random_state=0).fit(X, y).transform(X).shape
    (200, 8)
    """


@_uai_doc
class UAIClassifier(ClassifierMixin, TransformerMixin, InvariantClassifierMixin, _UAIBase):
    """Classifier trained with Unsupervised Adversarial Invariance, predicting y from e1.

    The model of :class:`UAITransformer` (Jaiswal et al., NeurIPS 2018; a baseline of Jaiswal
    et al., AAAI 2020); ``predict`` and ``predict_proba`` use the predictor on e1,
    ``transform`` returns e1. ``s`` is accepted and ignored.

    %(uai_parameters)s

    Attributes
    ----------
    %(uai_attributes)s
    %(classes_attribute)s

    Examples
    --------
    >>> import numpy as np
    >>> from fairrep.methods.variational_baselines import UAIClassifier
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(200, 4))
    >>> y = np.where(X[:, 0] > 0, "yes", "no")
    >>> clf = UAIClassifier(max_epochs=20, batch_size=50, adversary_steps=1,
    ...                     random_state=0).fit(X, y)
    >>> clf.score(X, y) > 0.9
    True
    """


register_method(MethodSpec(
    "uai", UAITransformer, UAIClassifier, strength_param="disentanglement_weight",
    paper="Jaiswal, Wu, Abd-Almageed & Natarajan, Unsupervised Adversarial Invariance, "
          "NeurIPS 2018"))
