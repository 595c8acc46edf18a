"""Information Dropout (Achille & Soatto, TPAMI 2018), as pure PyTorch modules.

Notation of the paper (section 6)::

    eps ~ logN(0, alpha(x)^2),     z = eps * f(x)

where f is the layer's activation (ReLU or Softplus) of the pre-activations h, and the noise
scale alpha(x) is computed from the layer input x. Training minimises the Information
Bottleneck Lagrangian, eq. (3)::

    L = 1/N sum_i E_{z ~ p(z|x_i)}[-log p(y_i|z)] + beta KL(p(z|x_i) || q(z))

with the KL of a ReLU layer under the log-uniform prior, eq. (5), or of a Softplus layer under a
log-normal prior, eq. (6). As in the authors' code (and section 8) the classifier divides the
KL by the number of training samples N_train; the autoencoder of section 7 does not, so that
with beta = 1 its loss is the negative ELBO of a VAE (Kingma & Welling).

The equations and sections that the docstrings below name are those of the paper.

References
----------
A. Achille and S. Soatto, "Information dropout: learning optimal
representations through noisy computation", IEEE TPAMI 40(12), 2018.

D. P. Kingma and M. Welling, "Auto-encoding variational Bayes", ICLR 2014.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ._base import InvariantModule, make_mlp

#: alpha(x) = ALPHA_MIN + max_alpha * sigmoid(.): alpha >= ALPHA_MIN keeps log(alpha) finite.
ALPHA_MIN = 1e-3
#: Softplus activations are clipped below at this value before their log (f(h) underflows to 0
#: in float32 for h < -88; the authors' code clips at 1e-4).
LOG_FLOOR = 1e-8
ACTIVATIONS = ("relu", "softplus")
_LOG_2PI = math.log(2 * math.pi)


_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)


def _mix64(x):
    """splitmix64's finaliser on uint64 arrays (wrapping arithmetic): a bijection of 64-bit
    words whose outputs look independent for inputs that differ in one bit."""
    with np.errstate(over="ignore"):
        x = (x + np.uint64(0x9E3779B97F4A7C15)) & _MASK64
        x = ((x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)) & _MASK64
        x = ((x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)) & _MASK64
        return x ^ (x >> np.uint64(31))


class RowKeyedNoise:
    """Standard normal noise that is a fixed function of (seed, row of x, layer, unit).

    Information Dropout's representation is the noisy z = f(h) * eps (Achille & Soatto,
    Fig. 4). A transformer must give a row the same output whatever else is in the batch and
    however often it is asked (scikit-learn's contract), so the noise of a row is drawn from
    a counter-based generator keyed by a hash of the row's values and ``seed``: two calls,
    two batchings or a subset of the rows give the same z for the same row; distinct rows
    get independent-looking draws.

    Parameters
    ----------
    rows : Tensor of shape (n, d)
        The network's input batch (its values key the noise).
    seed : int

    Examples
    --------
    >>> import torch
    >>> from fairrep.nn.information_dropout import RowKeyedNoise
    >>> x = torch.randn(5, 3)
    >>> a = RowKeyedNoise(x, seed=0).randn((5, 4), "cpu", torch.float32)
    >>> b = RowKeyedNoise(x[2:], seed=0).randn((3, 4), "cpu", torch.float32)
    >>> bool(torch.equal(a[2:], b))
    True
    """

    def __init__(self, rows, seed):
        values = np.ascontiguousarray(rows.detach().cpu().numpy(), dtype=np.float64)
        values = values + 0.0  # -0.0 and 0.0 key alike
        keys = np.full(values.shape[0], np.uint64(seed) & _MASK64, dtype=np.uint64)
        for column in values.view(np.uint64).T:
            keys = _mix64(keys ^ column)
        self.keys = keys
        self.layer = 0

    def randn(self, shape, device, dtype):
        """Standard normal draws of shape (n, units) for the next layer (Box-Muller)."""
        n, units = shape
        counters = (np.uint64(self.layer) << np.uint64(32)) + np.arange(units, dtype=np.uint64)
        self.layer += 1
        words = _mix64(self.keys[:, None] ^ _mix64(2 * counters))
        other = _mix64(words ^ np.uint64(0xD1B54A32D192ED03))
        # 53-bit uniforms in (0, 1] and [0, 1)
        u1 = ((words >> np.uint64(11)).astype(np.float64) + 1.0) / 2.0 ** 53
        u2 = (other >> np.uint64(11)).astype(np.float64) / 2.0 ** 53
        normal = np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)
        return torch.as_tensor(normal, dtype=dtype, device=device)


class InformationDropout(nn.Module):
    """One Information Dropout layer: z = f(h) * eps, eps ~ logN(0, alpha(x)^2).

    Parameters
    ----------
    n_inputs : int
        Dimension of the layer input x, from which alpha(x) is computed.
    n_units : int
        Number of units (dimension of h and z).
    activation : {'relu', 'softplus'}, default='relu'
        f. 'relu' uses the log-uniform prior q(z) = c / z and the KL of eq. (5);
        'softplus' uses a factorized log-normal prior q(z_i) = logN(mu_i, sigma_i^2) with
        learnable mu_i, sigma_i and the KL of eq. (6).
    max_alpha : float, default=0.7
        alpha(x) = 0.001 + max_alpha * sigmoid(W_alpha x + b_alpha) lies in
        (0.001, max_alpha + 0.001); 0.7 bounds the noise variance near that of binary dropout
        with p = 0.5 (section 8).
    noisy : bool, default=False
        Whether to draw the noise in eval mode too (the noisy representation "N" of the
        paper's Fig. 4). In training mode the noise is always drawn.

    Notes
    -----
    The noise is exp(alpha * n) with n ~ N(0, 1) (the authors' ``sample_lognormal``): its
    median is 1 and its mean exp(alpha^2 / 2).

    KL per unit (one value per sample and unit, see :meth:`divergence`):

    - ReLU, eq. (5): KL = -log(alpha / (max_alpha + 0.001)), the constant chosen, as in the
      authors' code, so that KL = 0 at the largest alpha. It is applied to every unit,
      including those with f(h) = 0 (whose exact KL -log q_0 is a constant).
    - Softplus: log z ~ N(log f(h), alpha^2) against the prior N(mu, sigma^2), whose closed
      form is KL = log(sigma / alpha) + (alpha^2 + (log f(h) - mu)^2) / (2 sigma^2) - 1/2.
      This is eq. (6) of the paper with the posterior mean log f(h) written out (the printed
      eq. (6) has mu^2 in place of (log f(h) - mu)^2, i.e. it takes f(h) = 1).

    Examples
    --------
    >>> import torch
    >>> from fairrep.nn import InformationDropout
    >>> g = torch.Generator().manual_seed(0)
    >>> x = torch.randn(8, 5, generator=g)
    >>> h = torch.randn(8, 3, generator=g)
    >>> layer = InformationDropout(n_inputs=5, n_units=3)
    >>> z, kl = layer(h, x, generator=g)
    >>> z.shape, kl.shape, bool((kl >= 0).all())
    (torch.Size([8, 3]), torch.Size([3]), True)
    >>> _ = layer.eval()
    >>> torch.equal(layer(h, x)[0], torch.relu(h))  # no noise in eval mode
    True
    """

    def __init__(self, n_inputs, n_units, activation="relu", max_alpha=0.7, noisy=False):
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}.")
        self.activation = activation
        self.max_alpha = float(max_alpha)
        self.noisy = noisy
        self.alpha_layer = nn.Linear(n_inputs, n_units)
        if activation == "softplus":
            # prior q(log z_i) = N(mu_i, sigma_i^2), learned jointly (section 7)
            self.prior_mu = nn.Parameter(torch.zeros(n_units))
            self.prior_log_sigma = nn.Parameter(torch.zeros(n_units))

    def activate(self, h):
        """f(h): the noiseless activation."""
        return F.relu(h) if self.activation == "relu" else F.softplus(h)

    def alpha(self, x):
        """alpha(x) = 0.001 + max_alpha * sigmoid(W_alpha x + b_alpha).

        In (0.001, max_alpha + 0.001): log(alpha) is always finite.
        """
        return ALPHA_MIN + self.max_alpha * torch.sigmoid(self.alpha_layer(x))

    def log_activation(self, f):
        """log f(h), the mean of the Gaussian log z (Softplus; clipped at LOG_FLOOR)."""
        return torch.log(f.clamp_min(LOG_FLOOR))

    def divergence(self, h, x):
        """KL(p(z|x) || q(z)) of each sample and unit: a tensor of shape (n, n_units)."""
        return self._kl(self.activate(h), self.alpha(x))

    def _kl(self, f, alpha):
        if self.activation == "relu":  # eq. (5), zero at alpha = max_alpha + 0.001
            return -torch.log(alpha / (self.max_alpha + ALPHA_MIN))
        return self._lognormal_kl(self.log_activation(f), alpha)

    def _lognormal_kl(self, log_f, alpha):
        mu, log_sigma = self.prior_mu, self.prior_log_sigma
        return (log_sigma - torch.log(alpha)
                + (alpha.pow(2) + (log_f - mu).pow(2)) / (2 * torch.exp(2 * log_sigma)) - 0.5)

    def sample_noise(self, alpha, generator=None):
        """eps = exp(alpha * n), n ~ N(0, 1) drawn from ``generator`` (a torch.Generator, or
        a :class:`RowKeyedNoise` for noise that is a fixed function of each row)."""
        if isinstance(generator, RowKeyedNoise):
            n = generator.randn(alpha.shape, alpha.device, alpha.dtype)
        else:
            n = torch.randn(alpha.shape, generator=generator, device=alpha.device,
                            dtype=alpha.dtype)
        return torch.exp(alpha * n)

    def forward(self, h, x, generator=None, noisy=None):
        """z = f(h) * eps and the KL per unit averaged over the batch.

        Parameters
        ----------
        h : Tensor of shape (n, n_units)
            Pre-activations.
        x : Tensor of shape (n, n_inputs)
            The layer input (alpha(x) is computed from it).
        generator : torch.Generator, optional
            Source of the noise.
        noisy : bool, optional
            Overrides ``self.noisy`` in eval mode.

        Returns
        -------
        z : Tensor of shape (n, n_units)
            f(h) * eps in training mode (or when noisy), else f(h).
        kl : Tensor of shape (n_units,)
            KL(p(z|x) || q(z)) of each unit, averaged over the batch.
        """
        f, alpha = self.activate(h), self.alpha(x)
        kl = self._kl(f, alpha).mean(dim=0)
        noisy = self.noisy if noisy is None else noisy
        if self.training or noisy:
            f = f * self.sample_noise(alpha, generator)
        return f, kl


class _DropoutStack(nn.Module):
    """Linear layers each followed by an Information Dropout layer."""

    def __init__(self, n_features, sizes, activation, max_alpha):
        super().__init__()
        widths = [n_features, *sizes]
        self.linears = nn.ModuleList(nn.Linear(a, b) for a, b in zip(widths[:-1], widths[1:]))
        self.dropouts = nn.ModuleList(
            InformationDropout(a, b, activation=activation, max_alpha=max_alpha)
            for a, b in zip(widths[:-1], widths[1:]))

    def forward(self, X, generator=None, noisy=None):
        """The output of the last dropout layer and the sum of every layer's KL (summed over
        units, averaged over the batch)."""
        kl = X.new_zeros(())
        for linear, dropout in zip(self.linears, self.dropouts):
            X, layer_kl = dropout(linear(X), X, generator, noisy)
            kl = kl + layer_kl.sum()
        return X, kl

    def unit_information(self, X):
        """Per-sample KL of every unit of every layer, deterministic path: shape (n, units)."""
        parts = []
        for linear, dropout in zip(self.linears, self.dropouts):
            h = linear(X)
            parts.append(dropout.divergence(h, X))
            X = dropout.activate(h)
        return torch.cat(parts, dim=1)


class InformationDropoutNetwork(InvariantModule):
    """Information Dropout layers and a linear classifier head per task, trained by eq. (3).

    Parameters
    ----------
    n_features : int
        Dimension of x.
    n_classes : sequence of int
        Number of classes of each task y_j.
    layer_sizes : sequence of int
        Widths of the Information Dropout layers; the last one is the representation z.
    activation : {'relu', 'softplus'}
        f and its prior (eq. (5) or eq. (6)).
    max_alpha : float
        Upper bound of alpha(x) (minus 0.001).
    beta : float
        beta in eq. (3).
    n_train : int
        N_train: the KL is divided by it, as in the paper's experiments (section 8).

    Notes
    -----
    ``loss_terms`` returns ``task`` (the cross-entropy, summed over tasks), ``kl`` (the KL
    summed over units and layers, averaged over the batch) and
    ``loss = task + beta * kl / n_train``.

    Examples
    --------
    >>> import torch
    >>> from fairrep.nn import InformationDropoutNetwork
    >>> g = torch.Generator().manual_seed(0)
    >>> X = torch.randn(8, 5, generator=g)
    >>> y = torch.randint(0, 2, (8, 1), generator=g)
    >>> net = InformationDropoutNetwork(5, [2], layer_sizes=(6, 4), n_train=8)
    >>> net(X, generator=g).shape
    torch.Size([8, 4])
    >>> sorted(net.loss_terms(X, y, None, generator=g))
    ['kl', 'loss', 'task']
    >>> net.unit_information(X).shape  # 6 + 4 units
    torch.Size([8, 10])
    """

    def __init__(self, n_features, n_classes, layer_sizes=(64,), activation="relu",
                 max_alpha=0.7, beta=1.0, n_train=1):
        super().__init__()
        self.n_classes = list(n_classes)
        self.beta = beta
        self.n_train = n_train
        self.stack = _DropoutStack(n_features, layer_sizes, activation, max_alpha)
        self.head = nn.Linear(layer_sizes[-1], sum(self.n_classes))

    def forward(self, X, generator=None, noisy=None):
        """The representation z after the last dropout layer (f(h) in eval mode)."""
        return self.stack(X, generator, noisy)[0]

    def _split(self, logits):
        return list(torch.split(logits, self.n_classes, dim=1))

    def predict_logits(self, X):
        return self._split(self.head(self.forward(X)))

    def unit_information(self, X):
        """KL(p(z|x) || q(z)) of each sample and unit of every layer (Fig. 2, 6)."""
        return self.stack.unit_information(X)

    def loss_terms(self, X, y, s, generator=None):
        """Eq. (3) with one noise draw per sample; ``s`` is not used."""
        z, kl = self.stack(X, generator)
        logits = self._split(self.head(z))
        task = sum(F.cross_entropy(out, y[:, j]) for j, out in enumerate(logits))
        return {"task": task, "kl": kl, "loss": task + self.beta * kl / self.n_train}


class _GaussianDecoder(nn.Module):
    """p(x|u) = N(x; g(u), diag(sigma_x^2)), sigma_x learned per feature or fixed."""

    def __init__(self, n_latent, hidden, n_features, decoder_std=None, min_std=1e-3):
        super().__init__()
        self.mean = make_mlp([n_latent, *hidden, n_features])
        self.min_std = min_std
        self.fixed_std = decoder_std
        if decoder_std is None:
            self.raw_std = nn.Parameter(torch.zeros(n_features))

    def std(self):
        if self.fixed_std is not None:
            return torch.full_like(self.mean[-1].bias, self.fixed_std)
        return self.min_std + F.softplus(self.raw_std)

    def log_likelihood(self, X, u):
        """log p(x|u) summed over features: shape (n,)."""
        std = self.std()
        return (-0.5 * ((X - self.mean(u)) / std).pow(2) - torch.log(std)
                - 0.5 * _LOG_2PI).sum(dim=1)


class InformationDropoutAutoencoder(InvariantModule):
    """The VAE of section 7 built from an Information Dropout layer (Softplus, log-normal prior).

    The encoder computes the layer input x_e (an MLP of x) and pre-activations h; the latent
    u = log z = log f(h) + alpha(x_e) * n, n ~ N(0, 1), is a Gaussian of mean log softplus(h)
    and standard deviation alpha(x_e); the prior is the factorized N(mu_i, sigma_i^2) on
    log z_i (a log-normal on z_i) with learnable mu_i, sigma_i; the decoder reads u.

    Parameters
    ----------
    n_features : int
    n_components : int
        Number of latent units.
    hidden_layer_sizes : sequence of int
        Hidden widths of the encoder (the decoder uses them reversed).
    max_alpha : float
    beta : float
        beta in eq. (9); 1 gives the VAE's negative ELBO.
    decoder_std : float or None
        Fixed standard deviation of the Gaussian decoder, or None for one learned per feature
        (bounded below by 1e-3).

    Notes
    -----
    ``loss_terms`` returns ``reconstruction`` (-log p(x|u), summed over features, one sample of
    u), ``kl`` (summed over units) and ``loss = reconstruction + beta * kl``, all averaged over
    the batch: per-sample quantities, not divided by N_train.

    Examples
    --------
    >>> import torch
    >>> from fairrep.nn import InformationDropoutAutoencoder
    >>> g = torch.Generator().manual_seed(0)
    >>> X = torch.randn(8, 5, generator=g)
    >>> vae = InformationDropoutAutoencoder(5, 3, hidden_layer_sizes=(8,))
    >>> vae(X).shape
    torch.Size([8, 3])
    >>> sorted(vae.loss_terms(X, None, None, generator=g))
    ['kl', 'loss', 'reconstruction']
    >>> vae.elbo(X, generator=g).shape
    torch.Size([8])
    """

    def __init__(self, n_features, n_components, hidden_layer_sizes=(64,), max_alpha=0.7,
                 beta=1.0, decoder_std=None):
        super().__init__()
        hidden = list(hidden_layer_sizes)
        self.beta = beta
        self.encoder = make_mlp([n_features, *hidden], out_activation=nn.Softplus()) \
            if hidden else nn.Identity()
        n_enc = hidden[-1] if hidden else n_features
        self.pre_activation = nn.Linear(n_enc, n_components)
        self._build_posterior(n_enc, n_components, max_alpha)
        self.decoder = _GaussianDecoder(n_components, hidden[::-1], n_features, decoder_std)

    def _build_posterior(self, n_enc, n_components, max_alpha):
        self.dropout = InformationDropout(n_enc, n_components, activation="softplus",
                                          max_alpha=max_alpha)

    def _posterior(self, X):
        """Mean log f(h) and standard deviation alpha(x_e) of the Gaussian latent u."""
        x_e = self.encoder(X)
        h = self.pre_activation(x_e)
        mean = self.dropout.log_activation(self.dropout.activate(h))
        alpha = self.dropout.alpha(x_e)
        return mean, alpha

    def forward(self, X):
        """The deterministic representation z = f(h) = softplus(h) (its log is the latent mean)."""
        return self.dropout.activate(self.pre_activation(self.encoder(X)))

    def _kl(self, mean, std):
        """KL(q(u|x) || p(u)) of each sample and unit, eq. (6)."""
        return self.dropout._lognormal_kl(mean, std)

    def unit_information(self, X):
        """KL of each sample and latent unit: shape (n, n_components)."""
        return self._kl(*self._posterior(X))

    def _terms(self, X, generator, n_draws=1):
        mean, std = self._posterior(X)
        kl = self._kl(mean, std).sum(dim=1)
        log_lik = 0.0
        for _ in range(n_draws):
            n = torch.randn(mean.shape, generator=generator, device=mean.device,
                            dtype=mean.dtype)
            log_lik = log_lik + self.decoder.log_likelihood(X, mean + std * n)
        return -log_lik / n_draws, kl

    def elbo(self, X, generator=None, n_draws=1):
        """Per-sample ELBO E_q[log p(x|u)] - KL(q(u|x) || p(u)) in nats: shape (n,)."""
        reconstruction, kl = self._terms(X, generator, n_draws)
        return -reconstruction - kl

    def loss_terms(self, X, y, s, generator=None):
        reconstruction, kl = self._terms(X, generator)
        reconstruction, kl = reconstruction.mean(), kl.mean()
        return {"reconstruction": reconstruction, "kl": kl,
                "loss": reconstruction + self.beta * kl}


class GaussianVAENetwork(InformationDropoutAutoencoder):
    """The plain Gaussian VAE (Kingma & Welling) of the same size, for comparison (Table 1).

    Encoder heads give the posterior mean and log-variance of u; the prior is N(0, I); the
    decoder is the same Gaussian decoder as :class:`InformationDropoutAutoencoder`, and the
    parameters are the same (``max_alpha`` is unused).
    """

    def _build_posterior(self, n_enc, n_components, max_alpha):
        self.log_var = nn.Linear(n_enc, n_components)

    def _posterior(self, X):
        x_e = self.encoder(X)
        return self.pre_activation(x_e), torch.exp(0.5 * self.log_var(x_e))

    def forward(self, X):
        """The posterior mean of u."""
        return self.pre_activation(self.encoder(X))

    def _kl(self, mean, std):
        """KL(N(mean, std^2) || N(0, 1)) of each sample and unit."""
        return 0.5 * (std.pow(2) + mean.pow(2) - 1) - torch.log(std)
