"""Variational and disentangling baselines of the Adversarial Forgetting paper's tables.

Pure PyTorch modules of three methods that Jaiswal et al. ("Invariant Representations through
Adversarial Forgetting", AAAI 2020, section 5) compare against:

- :class:`VFAENetwork`: the Variational Fair Autoencoder (Louizos, Swersky, Li, Welling &
  Zemel, ICLR 2016), a VAE with latents z1 (the representation) and z2 whose decoder is given
  s, plus an MMD penalty between the z1 codes of the s groups (the supervised model);
- :class:`CVIBNetwork`: the conditional variational information bottleneck of Moyer, Gao,
  Brekelmans, Galstyan & Ver Steeg ("Invariant Representations without Adversarial
  Training", NeurIPS 2018): a VIB classifier plus a bound on I(z; s) made of a reconstruction
  of x from (z, s) and a pairwise-KL bound on I(z; x);
- :class:`UAINetwork`: Unsupervised Adversarial Invariance (Jaiswal, Wu, Abd-Almageed &
  Natarajan, NeurIPS 2018): a predictive embedding e1 and a nuisance embedding e2, a decoder
  from (noisy e1, e2) and two adversarial disentanglers between e1 and e2; it never sees s.

Every Gaussian here is diagonal; its standard deviation is ``MIN_STD + softplus(raw)``.
Reconstruction terms are -log N(x; x_hat, I) up to a constant: half the squared error summed
over the features of x, averaged over the rows of the batch.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from ._base import (InvariantModule, check_strength_scaling, gaussian_kl, head_cross_entropies,
                    make_mlp, multi_head_cross_entropy, scaled_strength, shuffled)
from .baselines import MMD_SCALES, gaussian_kernel, group_vs_rest_mmd2

#: Lower bound of every standard deviation of a Gaussian head.
MIN_STD = 1e-3
_HALF_LOG_2PI_E = 0.5 * math.log(2 * math.pi * math.e)
_LOG_2PI = math.log(2 * math.pi)


# -- small parts -------------------------------------------------------------------------------
def one_hot_columns(codes, cardinalities, dtype=torch.float32):
    """Integer codes (n, k) as one-hot blocks side by side: shape (n, sum(cardinalities))."""
    if not cardinalities:
        return torch.zeros(codes.shape[0], 0, dtype=dtype, device=codes.device)
    return torch.cat([F.one_hot(codes[:, j], k).to(dtype)
                      for j, k in enumerate(cardinalities)], dim=1)


def reparameterize(mean, std, generator=None):
    """A draw mean + std * eps, eps ~ N(0, I) from ``generator``."""
    eps = torch.randn(mean.shape, generator=generator, device=mean.device, dtype=mean.dtype)
    return mean + std * eps


def gaussian_log_prob(x, mean, std):
    """log N(x; mean, diag(std^2)) summed over the last dimension."""
    return (-0.5 * ((x - mean) / std).pow(2) - torch.log(std) - 0.5 * _LOG_2PI).sum(-1)


def gaussian_entropy(std):
    """Entropy of N(mean, diag(std^2)) summed over the last dimension."""
    return (torch.log(std) + _HALF_LOG_2PI_E).sum(-1)


def pairwise_gaussian_kl(mean, std):
    """Matrix of KL(q_i || q_j) between the diagonal Gaussians of the rows of a batch.

    Entry (i, j) is KL(N(mean_i, std_i^2) || N(mean_j, std_j^2)), summed over dimensions; the
    diagonal is zero. Moyer et al. (NeurIPS 2018) average it over all pairs of a batch to bound
    KL(q(z|x) || q(z)), hence I(z; x), by Jensen's inequality (q(z) being the mean of the
    q(z|x_j)).
    """
    var = std.pow(2)
    inv = 1.0 / var
    trace = var @ inv.T  # sum_d var_i / var_j
    mean_sq = mean.pow(2)
    # sum_d (mean_i - mean_j)^2 / var_j
    mahalanobis = mean_sq @ inv.T - 2 * mean @ (mean * inv).T + (mean_sq * inv).sum(1)
    log_det = torch.log(var).sum(1)
    return 0.5 * (trace + mahalanobis + log_det.unsqueeze(0) - log_det.unsqueeze(1)
                  - mean.shape[1])


def mmd2_unbiased(x, y, scales=MMD_SCALES):
    """Unbiased (U-statistic) estimate of MMD^2 between the samples ``x`` and ``y``.

    :func:`fairrep.nn.mmd2` without the diagonal terms k(x_i, x_i) of the within-sample means
    (Gretton et al., "A Kernel Two-Sample Test", JMLR 2012), with the kernel of
    :func:`fairrep.nn.baselines.gaussian_kernel` on the pooled sample (median heuristic times
    ``scales``). It may be slightly negative; it is zero in
    expectation when the two distributions are equal, where the biased estimate has a
    positive floor of order 1 / (group size) that dominates on small batches. A sample with
    fewer than two rows gives 0.
    """
    m, n = x.shape[0], y.shape[0]
    if m < 2 or n < 2:
        return x.new_zeros(())
    K = gaussian_kernel(torch.cat([x, y]), scales)
    Kxx, Kyy = K[:m, :m], K[m:, m:]
    return ((Kxx.sum() - Kxx.diagonal().sum()) / (m * (m - 1))
            + (Kyy.sum() - Kyy.diagonal().sum()) / (n * (n - 1))
            - 2 * K[:m, m:].mean())


def group_mmd2(z, s, cardinalities, scales=MMD_SCALES):
    """Sum over s columns of the mean over groups g of MMD_u^2(z[s = g], z[s != g]).

    The grouping of :class:`fairrep.nn.MMDNetwork`'s penalty with the unbiased estimate
    :func:`mmd2_unbiased`: with two groups the MMD^2 between them (computed once); a group
    with fewer than two rows in the batch, or its complement, adds nothing.
    """
    return group_vs_rest_mmd2(z, s, cardinalities, scales, unbiased=True)


def standardize(t, eps=1e-6):
    """Columns of ``t`` centred and scaled by their batch statistics (no gradient through them)."""
    mean = t.mean(dim=0, keepdim=True).detach()
    std = t.std(dim=0, unbiased=False, keepdim=True).detach()
    return (t - mean) / (std + eps)


def reconstruction_error(x_hat, x):
    """-log N(x; x_hat, I) up to its constant: 0.5 * ||x - x_hat||^2, averaged over rows."""
    return 0.5 * (x_hat - x).pow(2).sum(dim=1).mean()


class GaussianHead(nn.Module):
    """An MLP from its input to the mean and standard deviation of a diagonal Gaussian.

    Parameters
    ----------
    sizes : sequence of int
        Input width, hidden widths, then the latent dimension d (the MLP outputs 2 d).
    """

    def __init__(self, sizes):
        super().__init__()
        sizes = list(sizes)
        self.net = make_mlp([*sizes[:-1], 2 * sizes[-1]])

    def forward(self, inputs):
        mean, raw = self.net(inputs).chunk(2, dim=-1)
        return mean, MIN_STD + F.softplus(raw)


# -- VFAE --------------------------------------------------------------------------------------
class VFAENetwork(InvariantModule):
    """The supervised Variational Fair Autoencoder (Louizos et al., ICLR 2016).

    Generative model, with y one-hot (the columns of several tasks side by side) and s
    one-hot::

        z2 ~ N(0, I),   z1 | z2, y ~ N(mu(z2, y), sigma(z2, y)),   x | z1, s ~ N(f(z1, s), I)

    Inference: q(z1 | x, s) and q(z2 | z1, y), diagonal Gaussians; a classifier q(y | z1).
    Loss per row, averaged over the batch (the negative of their lower bound for labelled rows,
    the classifier's term and the MMD penalty)::

        -log p(x|z1,s) + [log q(z1|x,s) - log p(z1|z2,y)] + KL(q(z2|z1,y) || N(0, I))
        + alpha * CE(q(y|m1), y) + beta * MMD_u^2(std(m1) | s)

    with one draw of z1 and z2 (the middle bracket is a one-draw estimate of
    KL(q(z1|x,s) || p(z1|z2,y)), log q taken exactly as minus its entropy) and m1 the
    posterior mean of z1. Three choices of fairrep, not of the paper, all aimed at the
    representation that ``forward`` returns, m1:

    - the classifier is trained on m1 (the paper: on a draw of z1), the input it gets at
      prediction time;
    - the MMD is taken between the m1 of the s groups, not between draws: with draws, a
      posterior wider than the spread of the means hides s from the penalty but not from a
      probe of m1;
    - m1 is standardised per column with the batch's statistics before the kernel (a column
      of small spread that carries s would otherwise be invisible to a median-heuristic
      bandwidth, yet a probe that rescales its inputs reads it), and MMD^2 is the unbiased
      estimate :func:`group_mmd2` (the biased one has a floor of order 1 / group size whose
      gradient, at large beta, collapses the code).

    Parameters
    ----------
    n_features : int
        Dimension of x.
    n_components : int
        Dimension of z1, the representation.
    n_classes : sequence of int
        Classes of each target column.
    s_cardinalities : sequence of int or None
        Groups of each column of s; None: no s (a plain supervised VAE, no MMD).
    s_support, s_weights : sequence or None
        The combinations of s codes seen in training (rows of integer codes) and their shares,
        used by ``forward`` to marginalise s out of q(z1|x,s) (see ``encoder_uses_s``).
    n_components_z2 : int
        Dimension of z2.
    hidden_layer_sizes : tuple of int
        Hidden widths of every network (the decoder of x uses them reversed).
    classifier_weight : float
        alpha, weight of the classifier's cross-entropy.
    mmd_weight : float
        beta, weight of the MMD^2 penalty.
    encoder_uses_s : bool
        True: q(z1 | x, s) as in the paper, and ``forward(X)`` returns the mean of z1 averaged
        over the training combinations of s (weighted by their shares); ``encode(X, s)`` uses
        the true s. False: q(z1 | x), the decoder alone sees s.
    scales : tuple of float
        Bandwidth multipliers of the MMD's Gaussian kernel mixture.
    strength_scaling : {'none', 'task_gain'}
        'task_gain': beta of each batch times :func:`fairrep.nn.task_gain` of the classifier
        (the mean over target columns, detached).

    References
    ----------
    C. Louizos, K. Swersky, Y. Li, M. Welling and R. Zemel, "The variational
    fair autoencoder", ICLR 2016.

    Examples
    --------
    >>> import torch
    >>> from fairrep.nn import VFAENetwork
    >>> g = torch.Generator().manual_seed(0)
    >>> X = torch.randn(8, 5, generator=g)
    >>> y = torch.randint(0, 2, (8, 1), generator=g)
    >>> s = torch.randint(0, 2, (8, 1), generator=g)
    >>> net = VFAENetwork(5, 3, [2], s_cardinalities=[2], n_components_z2=2,
    ...                   hidden_layer_sizes=(8,))
    >>> net(X).shape
    torch.Size([8, 3])
    >>> sorted(net.loss_terms(X, y, s, generator=g))
    ['kl_z1', 'kl_z2', 'loss', 'mmd', 'reconstruction', 'task']
    """

    def __init__(self, n_features, n_components, n_classes, s_cardinalities=None,
                 s_support=None, s_weights=None, n_components_z2=8, hidden_layer_sizes=(50,),
                 classifier_weight=10.0, mmd_weight=100.0, encoder_uses_s=False,
                 scales=MMD_SCALES, strength_scaling="none"):
        super().__init__()
        self.strength_scaling = check_strength_scaling(strength_scaling)
        hidden = list(hidden_layer_sizes)
        self.n_classes = list(n_classes)
        self.s_cardinalities = [] if s_cardinalities is None else list(s_cardinalities)
        self.classifier_weight = classifier_weight
        self.mmd_weight = mmd_weight
        self.encoder_uses_s = bool(encoder_uses_s) and bool(self.s_cardinalities)
        self.scales = tuple(scales)
        dim_s, dim_y = sum(self.s_cardinalities), sum(self.n_classes)
        dim_s_enc = dim_s if self.encoder_uses_s else 0
        self.encoder_z1 = GaussianHead([n_features + dim_s_enc, *hidden, n_components])
        self.encoder_z2 = GaussianHead([n_components + dim_y, *hidden, n_components_z2])
        self.decoder_z1 = GaussianHead([n_components_z2 + dim_y, *hidden, n_components])
        self.decoder_x = make_mlp([n_components + dim_s, *hidden[::-1], n_features])
        self.classifiers = nn.ModuleList(make_mlp([n_components, *hidden, k])
                                         for k in self.n_classes)
        if self.encoder_uses_s:
            support = torch.as_tensor(s_support, dtype=torch.long).reshape(
                -1, len(self.s_cardinalities))
            weights = torch.as_tensor(s_weights, dtype=torch.float32).reshape(-1)
            self.register_buffer("s_support", one_hot_columns(support, self.s_cardinalities))
            self.register_buffer("s_weights", weights / weights.sum())
        else:
            self.s_support = self.s_weights = None

    def _s_input(self, s, like):
        if s is None:
            return like.new_zeros(like.shape[0], 0)
        return one_hot_columns(s, self.s_cardinalities, dtype=like.dtype)

    def encode(self, X, s=None):
        """Mean of q(z1 | x, s) with the true s (LongTensor of codes; ignored if x-only)."""
        if not self.encoder_uses_s:
            return self.encoder_z1(X)[0]
        return self.encoder_z1(torch.cat([X, self._s_input(s, X)], dim=1))[0]

    def forward(self, X):
        """The representation: the mean of z1, with s marginalised out if the encoder uses it.

        sum_g pi_g E[z1 | x, s = g] over the combinations g of s seen in training, pi_g their
        shares in the training data.
        """
        if not self.encoder_uses_s:
            return self.encoder_z1(X)[0]
        n, n_groups = X.shape[0], self.s_support.shape[0]
        inputs = torch.cat([X.repeat(n_groups, 1),
                            self.s_support.repeat_interleave(n, dim=0)], dim=1)
        means = self.encoder_z1(inputs)[0].unflatten(0, (n_groups, n))
        return (self.s_weights.reshape(-1, 1, 1) * means).sum(dim=0)

    def predict_logits(self, X):
        z1 = self.forward(X)
        return [c(z1) for c in self.classifiers]

    def sample(self, X, generator=None):
        """A draw of z1 from q(z1 | x) (from q(z1 | x, g), g ~ the training shares of s, if
        the encoder uses s)."""
        if not self.encoder_uses_s:
            return reparameterize(*self.encoder_z1(X), generator)
        groups = torch.multinomial(self.s_weights.expand(X.shape[0], -1), 1,
                                   generator=generator).squeeze(1)
        inputs = torch.cat([X, self.s_support[groups]], dim=1)
        return reparameterize(*self.encoder_z1(inputs), generator)

    def loss_terms(self, X, y, s, generator=None):
        use_s = s is not None and bool(self.s_cardinalities)
        s_in = self._s_input(s if use_s else None, X)
        y_in = one_hot_columns(y, self.n_classes, dtype=X.dtype)
        enc_in = torch.cat([X, s_in], dim=1) if self.encoder_uses_s else X
        mean1, std1 = self.encoder_z1(enc_in)
        z1 = reparameterize(mean1, std1, generator)
        mean2, std2 = self.encoder_z2(torch.cat([z1, y_in], dim=1))
        z2 = reparameterize(mean2, std2, generator)
        prior_mean1, prior_std1 = self.decoder_z1(torch.cat([z2, y_in], dim=1))
        x_hat = self.decoder_x(torch.cat([z1, s_in], dim=1))
        reconstruction = reconstruction_error(x_hat, X)
        kl_z1 = (-gaussian_entropy(std1)
                 - gaussian_log_prob(z1, prior_mean1, prior_std1)).mean()
        kl_z2 = gaussian_kl(mean2, std2).mean()
        logits = torch.cat([c(mean1) for c in self.classifiers], dim=1)
        heads = head_cross_entropies(logits, y, self.n_classes)
        task = sum(heads)
        loss = reconstruction + kl_z1 + kl_z2 + self.classifier_weight * task
        terms = {"task": task, "reconstruction": reconstruction, "kl_z1": kl_z1,
                 "kl_z2": kl_z2}
        if use_s:
            mmd = group_mmd2(standardize(mean1), s, self.s_cardinalities, self.scales)
            weight = scaled_strength(self, self.mmd_weight, heads, y, self.n_classes, terms)
            loss = loss + weight * mmd
            terms["mmd"] = mmd
        terms["loss"] = loss
        return terms


# -- CVIB --------------------------------------------------------------------------------------
class CVIBNetwork(InvariantModule):
    """The conditional variational information bottleneck (Moyer et al., NeurIPS 2018).

    An encoder q(z|x) (diagonal Gaussian), one predictor p(y_j|z) per target column and a
    decoder p(x|z, s). Loss per row, averaged over the batch (their supervised objective)::

        CE(p(y|z), y) + beta * KL(q(z|x) || N(0, I))
        + lambda * ( -log p(x|z, s) + mean_{i, j in batch} KL(q(z|x_i) || q(z|x_j)) )

    The lambda bracket bounds I(z; s) up to the constant -H(x|s): the pairwise KL
    bounds I(z; x) and the conditional reconstruction gives back whatever of x the decoder can
    take from s, so z pays for carrying s. One draw of z feeds the predictor and the decoder.
    Without s the bracket is skipped (a plain VIB classifier, Alemi et al. 2017).

    Parameters
    ----------
    n_features : int
        Dimension of x.
    n_components : int
        Dimension of z.
    n_classes : sequence of int
        Classes of each target column.
    s_cardinalities : sequence of int or None
        Groups of each column of s (one-hot inputs of the decoder); None: no invariance term.
    hidden_layer_sizes : tuple of int
        Hidden widths of the encoder and predictors (the decoder uses them reversed).
    kl_weight : float
        beta, weight of KL(q(z|x) || N(0, I)).
    invariance_weight : float
        lambda, weight of the bound on I(z; s).
    strength_scaling : {'none', 'task_gain'}
        'task_gain': lambda times the batch's :func:`fairrep.nn.task_gain` (mean over
        target columns, detached).

    References
    ----------
    D. Moyer, S. Gao, R. Brekelmans, A. Galstyan and G. Ver Steeg, "Invariant
    representations without adversarial training", NeurIPS 2018.

    Examples
    --------
    >>> import torch
    >>> from fairrep.nn import CVIBNetwork
    >>> g = torch.Generator().manual_seed(0)
    >>> X = torch.randn(8, 5, generator=g)
    >>> y = torch.randint(0, 2, (8, 1), generator=g)
    >>> s = torch.randint(0, 2, (8, 1), generator=g)
    >>> net = CVIBNetwork(5, 3, [2], s_cardinalities=[2], hidden_layer_sizes=(8,))
    >>> net(X).shape
    torch.Size([8, 3])
    >>> sorted(net.loss_terms(X, y, s, generator=g))
    ['kl', 'loss', 'pairwise_kl', 'reconstruction', 'task']
    """

    def __init__(self, n_features, n_components, n_classes, s_cardinalities=None,
                 hidden_layer_sizes=(50,), kl_weight=0.1, invariance_weight=0.1,
                 strength_scaling="none"):
        super().__init__()
        self.strength_scaling = check_strength_scaling(strength_scaling)
        hidden = list(hidden_layer_sizes)
        self.n_classes = list(n_classes)
        self.s_cardinalities = None if s_cardinalities is None else list(s_cardinalities)
        self.kl_weight = kl_weight
        self.invariance_weight = invariance_weight
        self.encoder = GaussianHead([n_features, *hidden, n_components])
        self.predictors = nn.ModuleList(make_mlp([n_components, *hidden, k])
                                        for k in self.n_classes)
        self.decoder = (None if self.s_cardinalities is None else
                        make_mlp([n_components + sum(self.s_cardinalities), *hidden[::-1],
                                  n_features]))

    def forward(self, X):
        """The representation: the mean of q(z|x)."""
        return self.encoder(X)[0]

    def sample(self, X, generator=None):
        """A draw of z from q(z | x)."""
        return reparameterize(*self.encoder(X), generator)

    def loss_terms(self, X, y, s, generator=None):
        mean, std = self.encoder(X)
        z = reparameterize(mean, std, generator)
        logits = torch.cat([p(z) for p in self.predictors], dim=1)
        heads = head_cross_entropies(logits, y, self.n_classes)
        task = sum(heads)
        kl = gaussian_kl(mean, std).mean()
        loss = task + self.kl_weight * kl
        terms = {"task": task, "kl": kl}
        if s is not None and self.decoder is not None:
            s_in = one_hot_columns(s, self.s_cardinalities, dtype=X.dtype)
            reconstruction = reconstruction_error(self.decoder(torch.cat([z, s_in], dim=1)), X)
            pairwise_kl = pairwise_gaussian_kl(mean, std).mean()
            weight = scaled_strength(self, self.invariance_weight, heads, y, self.n_classes,
                                     terms)
            loss = loss + weight * (reconstruction + pairwise_kl)
            terms.update(reconstruction=reconstruction, pairwise_kl=pairwise_kl)
        terms["loss"] = loss
        return terms


# -- UAI ---------------------------------------------------------------------------------------
class UAINetwork(InvariantModule):
    """Unsupervised Adversarial Invariance (Jaiswal et al., NeurIPS 2018).

    An encoder Enc splits its code into e1 (``n_components``, used for y) and e2
    (``nuisance_components``); a predictor Pred(e1) per target column; a decoder Dec
    reconstructs x from (psi(e1), e2), psi being dropout with rate ``dropout_rate`` (the
    "noisy-transformer", which makes e1 an unreliable source for the decoder so that
    everything the task does not need goes to e2); two disentanglers Dis1: e1 -> e2 and
    Dis2: e2 -> e1 trained by the adversary optimizer. Model loss::

        CE(Pred(e1), y) + beta * (-log p(x | psi(e1), e2))
        + gamma * ( ||Dis1(e1) - pi(e2~)||^2 + ||Dis2(e2) - pi(e1~)||^2 ) / dim

    with e~ the batch-standardised embedding (detached) and pi a random permutation of the
    batch's rows: when the rest of the model is updated, the disentanglers' targets are
    random draws from the embeddings' empirical distribution (the scheme that the forgetting
    paper takes from Jaiswal et al. 2019 for its discriminator, here for the disentanglers;
    in expectation it pulls Dis(e) to the mean target, i.e. to knowing nothing, where
    maximising the disentanglers' error would reward arbitrarily wrong predictions), and the
    true ones in the disentanglers' own step, ``||Dis1(e1) - e2~||^2 + ||Dis2(e2) - e1~||^2``
    (each a mean squared error of standardised targets: 1 means no better than the mean). s
    is never used.

    Parameters
    ----------
    n_features : int
        Dimension of x.
    n_components : int
        Dimension of e1, the representation.
    n_classes : sequence of int
        Classes of each target column.
    nuisance_components : int
        Dimension of e2.
    hidden_layer_sizes : tuple of int
        Hidden widths of Enc, Pred, Dis1, Dis2 (Dec uses them reversed).
    reconstruction_weight : float
        beta, weight of the reconstruction loss (half the squared error averaged over the
        input dimensions).
    disentanglement_weight : float
        gamma, weight of the disentanglers' loss against random targets.
    dropout_rate : float in [0, 1)
        Rate of psi's dropout on e1.

    References
    ----------
    A. Jaiswal, Y. Wu, W. AbdAlmageed and P. Natarajan, "Unsupervised
    adversarial invariance", NeurIPS 2018.

    Examples
    --------
    >>> import torch
    >>> from fairrep.nn import UAINetwork
    >>> g = torch.Generator().manual_seed(0)
    >>> X = torch.randn(8, 5, generator=g)
    >>> y = torch.randint(0, 2, (8, 1), generator=g)
    >>> net = UAINetwork(5, 3, [2], nuisance_components=2, hidden_layer_sizes=(8,))
    >>> net(X).shape
    torch.Size([8, 3])
    >>> sorted(net.loss_terms(X, y, None, generator=g))
    ['disentanglement', 'loss', 'reconstruction', 'task']
    """

    def __init__(self, n_features, n_components, n_classes, nuisance_components=8,
                 hidden_layer_sizes=(50,), reconstruction_weight=0.1,
                 disentanglement_weight=1.0, dropout_rate=0.5):
        super().__init__()
        hidden = list(hidden_layer_sizes)
        self.n_components = n_components
        self.n_classes = list(n_classes)
        self.reconstruction_weight = reconstruction_weight
        self.disentanglement_weight = disentanglement_weight
        self.dropout_rate = dropout_rate
        self.encoder = make_mlp([n_features, *hidden, n_components + nuisance_components])
        self.predictors = nn.ModuleList(make_mlp([n_components, *hidden, k])
                                        for k in self.n_classes)
        self.decoder = make_mlp([n_components + nuisance_components, *hidden[::-1],
                                 n_features])
        self.disentangler1 = make_mlp([n_components, *hidden, nuisance_components])
        self.disentangler2 = make_mlp([nuisance_components, *hidden, n_components])

    def embeddings(self, X):
        """(e1, e2) = Enc(x), split."""
        e = self.encoder(X)
        return e[:, :self.n_components], e[:, self.n_components:]

    def forward(self, X):
        """The representation e1."""
        return self.embeddings(X)[0]

    def noisy_transformer(self, e1, generator=None):
        """psi(e1): inverted dropout with rate ``dropout_rate``, drawn from ``generator``."""
        p = self.dropout_rate
        if not p:
            return e1
        keep = torch.rand(e1.shape, generator=generator, device=e1.device, dtype=e1.dtype) >= p
        return e1 * keep / (1 - p)

    def adversary_parameters(self):
        return [*self.disentangler1.parameters(), *self.disentangler2.parameters()]

    def _disentangler_error(self, e1, e2, target1, target2):
        return (F.mse_loss(self.disentangler1(e1), target2)
                + F.mse_loss(self.disentangler2(e2), target1))

    def loss_terms(self, X, y, s=None, generator=None):
        e1, e2 = self.embeddings(X)
        logits = torch.cat([p(e1) for p in self.predictors], dim=1)
        task = multi_head_cross_entropy(logits, y, self.n_classes)
        x_hat = self.decoder(torch.cat([self.noisy_transformer(e1, generator), e2], dim=1))
        # per input dimension: the paper's mean squared error (summed over a wide table it
        # outweighs the task)
        reconstruction = reconstruction_error(x_hat, X) / X.shape[1]
        random1 = shuffled(standardize(e1).detach(), generator)
        random2 = shuffled(standardize(e2).detach(), generator)
        disentanglement = self._disentangler_error(e1, e2, random1, random2)
        loss = (task + self.reconstruction_weight * reconstruction
                + self.disentanglement_weight * disentanglement)
        return {"task": task, "reconstruction": reconstruction,
                "disentanglement": disentanglement, "loss": loss}

    def adversary_inputs(self, X, generator=None):
        """The embeddings (e1, e2) concatenated, computed once per batch without gradient."""
        return self.encoder(X)

    def adversary_loss_terms(self, inputs, s=None):
        """Disentanglers' step: predict the true (standardised) e2 from e1 and e1 from e2."""
        e1, e2 = inputs[:, :self.n_components], inputs[:, self.n_components:]
        loss = self._disentangler_error(e1, e2, standardize(e1), standardize(e2))
        return {"disentangler": loss, "loss": loss}
