"""Cross-population variational autoencoder (CPVAE; "Isolating Latent Structure with
Cross-population Variational Autoencoders", ICLR 2020 submission), as pure PyTorch modules.

Generative model of a row x of population k (section 2.1, eq. (1))::

    z ~ N(0, I),   t ~ N(0, I),   x | z, t ~ N(g(f_s(z), f_k(t)), psi^2 I)

with a shared decoder f_s, one private decoder f_k per population, g(a, b) = a + b by default
and one learned isotropic standard deviation psi. Inference (eq. (2)): one network with a
shared trunk, a shared head q(z|x) and one private head q_k(t|x) per population, all Gaussian.

Training maximises eq. (6), per row (divided by the number of rows N)::

    J = E_q[log p(x|z, t)] - KL(q(z|x) || p(z))
        - alpha * sum_k pi_k / (K - 1) sum_{j != k} E_{x ~ population j} KL(q_k(t|x) || p(t))

(pi_k = n_k / N): the private KL of head k is applied to the *other* populations' rows (the
"fictitious codes" of Algorithm 1) and not to its own. ``mi_regularization=False`` gives the
plain ELBO of eq. (3) instead, the private KL applied to each row's own head.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from .._docstrings import fill_doc
from ._base import (BatchNorm2d, InvariantModule, gaussian_kl, make_mlp,
                    standard_normal_log_prob)

_LOG_2PI = math.log(2 * math.pi)
#: Lower bound of every standard deviation (posterior heads and the decoder's psi).
MIN_STD = 1e-3
COMBINE_NAMES = ("sum", "concat")
PARTS = ("both", "shared", "private")


def _positive_std(raw):
    return MIN_STD + F.softplus(raw)


#: (the name under which fitted modules were pickled before the layer moved to ``_base``)
_BatchNorm2d = BatchNorm2d


def _conv_sizes(height, width, n_levels):
    """Spatial sizes after each stride-2 convolution (kernel 3, padding 1): ceil(h / 2)."""
    sizes = [(height, width)]
    for _ in range(n_levels):
        h, w = sizes[-1]
        sizes.append(((h + 1) // 2, (w + 1) // 2))
    return sizes


class ConvEncoder(nn.Module):
    """Stride-2 convolutions (kernel 3), each followed by batch norm and ReLU, then flattened.

    Parameters
    ----------
    image_shape : tuple of int
        (C, H, W) of the images; the input is flat, of C * H * W columns, channels first.
    channels : sequence of int
        Channels of each convolution; each halves H and W (rounding up).
    """

    def __init__(self, image_shape, channels):
        super().__init__()
        self.image_shape = tuple(image_shape)
        c_in, height, width = self.image_shape
        layers = []
        for c in channels:
            layers += [nn.Conv2d(c_in, c, 3, stride=2, padding=1), BatchNorm2d(c), nn.ReLU()]
            c_in = c
        self.body = nn.Sequential(*layers)
        h, w = _conv_sizes(height, width, len(channels))[-1]
        self.n_out = c_in * h * w

    def forward(self, X):
        return self.body(X.reshape(-1, *self.image_shape)).flatten(1)


class _ResidualBlock(nn.Module):
    """x + BN(conv(ReLU(BN(conv(x))))), then ReLU: the residual skip of the decoders."""

    def __init__(self, channels):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(channels, channels, 3, padding=1), BatchNorm2d(channels), nn.ReLU(),
            nn.Conv2d(channels, channels, 3, padding=1), BatchNorm2d(channels))

    def forward(self, x):
        return F.relu(x + self.body(x))


class ConvDecoder(nn.Module):
    """The mirror of :class:`ConvEncoder`: a linear map to the smallest feature maps, then
    stride-2 transposed convolutions back to (H, W), each followed by batch norm, ReLU and a
    residual block; a last 3x3 convolution gives the C output channels (no activation).

    The output is flat, of C * H * W columns, channels first.
    """

    def __init__(self, n_latent, image_shape, channels):
        super().__init__()
        c_out, height, width = image_shape
        channels = list(channels)
        sizes = _conv_sizes(height, width, len(channels))
        self.start_shape = (channels[-1], *sizes[-1])
        self.linear = nn.Linear(n_latent, channels[-1] * sizes[-1][0] * sizes[-1][1])
        layers = [BatchNorm2d(channels[-1]), nn.ReLU()]
        for level in range(len(channels), 0, -1):
            c_in = channels[level - 1]
            c_next = channels[max(level - 2, 0)]
            (h_small, w_small), (h_big, w_big) = sizes[level], sizes[level - 1]
            # kernel 3, stride 2, padding 1 gives 2 * n - 1 + output_padding
            padding = (h_big - 2 * h_small + 1, w_big - 2 * w_small + 1)
            layers += [nn.ConvTranspose2d(c_in, c_next, 3, stride=2, padding=1,
                                          output_padding=padding),
                       BatchNorm2d(c_next), nn.ReLU(), _ResidualBlock(c_next)]
        layers.append(nn.Conv2d(channels[0], c_out, 3, padding=1))
        self.body = nn.Sequential(*layers)

    def forward(self, u):
        return self.body(self.linear(u).reshape(-1, *self.start_shape)).flatten(1)


class GroupedMLP(nn.Module):
    """K multi-layer perceptrons of the same shape, their weights stacked: one per population.

    Evaluating all K on every row is one batched product per layer (cheaper, for small
    tabular networks, than a Python loop over K separate MLPs and their optimizer states).

    Parameters
    ----------
    n_groups : int
        K.
    sizes : sequence of int
        Layer widths, input first; ReLU between layers, none after the last.
    """

    def __init__(self, n_groups, sizes):
        super().__init__()
        sizes = list(sizes)
        self.weights = nn.ParameterList()
        self.biases = nn.ParameterList()
        for n_in, n_out in zip(sizes[:-1], sizes[1:]):
            bound = 1.0 / math.sqrt(n_in)  # nn.Linear's default initialisation
            self.weights.append(nn.Parameter(torch.empty(n_groups, n_in, n_out).uniform_(
                -bound, bound)))
            self.biases.append(nn.Parameter(torch.empty(n_groups, n_out).uniform_(
                -bound, bound)))

    def forward_all(self, u):
        """Group k applied to ``u[:, k]``: u (n, K, n_in) -> (n, K, n_out)."""
        last = len(self.weights) - 1
        for i, (weight, bias) in enumerate(zip(self.weights, self.biases)):
            u = torch.einsum("nki,kio->nko", u, weight) + bias
            if i < last:
                u = F.relu(u)
        return u

    def forward_own(self, u, groups):
        """Group ``groups[i]`` applied to row ``u[i]``: u (n, n_in), groups (n,) -> (n, n_out)."""
        last = len(self.weights) - 1
        u = u[:, None, :]
        for i, (weight, bias) in enumerate(zip(self.weights, self.biases)):
            u = torch.bmm(u, weight[groups]) + bias[groups][:, None, :]
            if i < last:
                u = F.relu(u)
        return u[:, 0]


class PerPopulation(nn.ModuleList):
    """K separate networks (e.g. :class:`ConvDecoder`) with :class:`GroupedMLP`'s interface.

    ``forward_own`` runs each network only on the rows of its group, so a network with batch
    norm normalises over its own population's rows.
    """

    def forward_all(self, u):
        return torch.stack([net(u[:, k]) for k, net in enumerate(self)], dim=1)

    def forward_own(self, u, groups):
        outputs, rows = [], []
        for k, net in enumerate(self):
            idx = (groups == k).nonzero(as_tuple=True)[0]
            if idx.numel():
                outputs.append(net(u[idx]))
                rows.append(idx)
        out, rows = torch.cat(outputs), torch.cat(rows)
        return out[torch.argsort(rows)]


class _Sum(nn.Module):
    def forward(self, a, b):
        return a + b


class _ConcatLinear(nn.Module):
    """g(a, b) = W [a; b] + c, initialised at a + b.

    Tabular data: a full linear map of the 2 * D concatenated features; images: a 1x1
    convolution over the 2 * C concatenated channels (the same map at every pixel).
    """

    def __init__(self, n_features, image_shape=None):
        super().__init__()
        self.image_shape = None if image_shape is None else tuple(image_shape)
        if self.image_shape is None:
            self.map = nn.Linear(2 * n_features, n_features)
            eye = torch.eye(n_features)
        else:
            c = self.image_shape[0]
            self.map = nn.Conv2d(2 * c, c, 1)
            eye = torch.eye(c)[:, :, None, None]
        with torch.no_grad():
            self.map.weight.copy_(torch.cat([eye, eye], dim=1))
            self.map.bias.zero_()

    def forward(self, a, b):
        if self.image_shape is None:
            return self.map(torch.cat([a, b], dim=1))
        a, b = a.reshape(-1, *self.image_shape), b.reshape(-1, *self.image_shape)
        return self.map(torch.cat([a, b], dim=1)).flatten(1)


class _Callable(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, a, b):
        return self.fn(a, b)


def make_combine(combine, n_features, image_shape=None):
    """The module g(a, b) of eq. (1) from ``'sum'``, ``'concat'`` or a callable."""
    if callable(combine):
        return _Callable(combine)
    if combine == "sum":
        return _Sum()
    if combine == "concat":
        return _ConcatLinear(n_features, image_shape)
    raise ValueError(f"combine must be one of {COMBINE_NAMES} or a callable g(a, b), "
                     f"got {combine!r}.")


@fill_doc
class CrossPopulationVAENetwork(InvariantModule):
    """The CPVAE: shared and private latents, shared and per-population decoders.

    Parameters
    ----------
    n_features : int
        Dimension D of x.
    n_populations : int
        K, the number of populations (at least 2).
    n_shared : int
        Dimension of the shared latent z.
    n_private : int
        Dimension of each private latent t.
    hidden_layer_sizes : sequence of int
        MLP (tabular data): hidden widths of the encoder trunk (ReLU); every decoder uses them
        reversed. Unused for images.
    image_shape : tuple of int or None
        (C, H, W): convolutional encoder and decoders (:class:`ConvEncoder`,
        :class:`ConvDecoder`) on flat rows of C * H * W values, channels first; None: MLPs.
    conv_channels : sequence of int
        Channels of the stride-2 convolutions of the image encoder (the decoders mirror them).
    combine : {'sum', 'concat'} or callable
        g of eq. (1). 'sum': a + b (the paper's choice). 'concat': a learned linear map of the
        concatenation (see :class:`_ConcatLinear`), initialised at a + b. A callable
        ``g(a, b)`` receives two tensors of shape (n, D) and returns one of shape (n, D).
    mi_regularization : bool
        True: eq. (6), the private KL on the other populations' rows, weighted by ``alpha``.
        False: the ELBO of eq. (3).
    alpha : float
        Weight of the cross-population KL term of eq. (6) (set per epoch by the estimator's
        annealing schedule).
    population_prior : sequence of float or None
        pi_k = n_k / N, the share of each population in the training data (weights of
        eq. (6)); None: uniform.

    Notes
    -----
    Each posterior standard deviation and psi is ``0.001 + softplus(.)``.

    Batches are the rows of a shuffled mini-batch of all populations, grouped by population
    where it matters (each row is decoded by its own population's decoder). The cross term
    of eq. (6) is estimated from such a batch without bias by weighting the KL of head k on a
    row of population j != k by ``pi_k / ((K - 1) pi_j)``; Algorithm 1's per-population
    mini-batches are therefore not needed, and a population may have any number of rows
    (even none) in a batch.

    ``loss_terms`` returns, averaged over the batch: ``reconstruction`` (-log p(x|z, t), one
    draw), ``kl_shared``, ``kl_private`` (KL of each row's own private head, the ELBO's
    term), ``cross_kl`` (the weighted KL of the other heads, the last term of eq. (6) without
    alpha), ``mi`` (``kl_private - cross_kl``: the estimate of
    ``sum_k pi_k (I(x_k; t_k) - I(x_-k; t_k))``, eq. (4)-(5), whose marginal KLs cancel) and
    ``loss``: ``reconstruction + kl_shared + alpha * cross_kl`` with the MI term, else
    ``reconstruction + kl_shared + kl_private`` (the negative ELBO).

    References
    ----------
    %(cpvae_paper)s

    Examples
    --------
    The population of each row is passed as the first column of ``s``:

    >>> import torch
    >>> from fairrep.nn import CrossPopulationVAENetwork
    >>> g = torch.Generator().manual_seed(0)
    >>> X = torch.randn(8, 5, generator=g)
    >>> populations = torch.tensor([[0], [1], [0], [1], [0], [1], [0], [1]])
    >>> net = CrossPopulationVAENetwork(5, n_populations=2, n_shared=3, n_private=2,
    ...                                 hidden_layer_sizes=(8,))
    >>> net(X).shape, net.private_means(X).shape
    (torch.Size([8, 3]), torch.Size([8, 2, 2]))
    >>> sorted(net.loss_terms(X, None, populations, generator=g))
    ['cross_kl', 'kl_private', 'kl_shared', 'loss', 'mi', 'reconstruction']
    >>> net.sample(4, population=1, generator=g).shape
    torch.Size([4, 5])
    """

    def __init__(self, n_features, n_populations, n_shared=10, n_private=5,
                 hidden_layer_sizes=(64,), image_shape=None, conv_channels=(16, 32),
                 combine="sum", mi_regularization=True, alpha=1.0, population_prior=None):
        super().__init__()
        if n_populations < 2:
            raise ValueError(f"a CPVAE needs at least 2 populations, got {n_populations}.")
        self.n_features = n_features
        self.n_populations = n_populations
        self.n_shared = n_shared
        self.n_private = n_private
        self.image_shape = None if image_shape is None else tuple(image_shape)
        self.mi_regularization = mi_regularization
        self.alpha = float(alpha)
        hidden = list(hidden_layer_sizes)
        if self.image_shape is None:
            self.trunk = (make_mlp([n_features, *hidden], out_activation=nn.ReLU())
                          if hidden else nn.Identity())
            n_trunk = hidden[-1] if hidden else n_features
            self.shared_decoder = make_mlp([n_shared, *hidden[::-1], n_features])
            self.private_decoders = GroupedMLP(n_populations,
                                               [n_private, *hidden[::-1], n_features])
        else:
            self.trunk = ConvEncoder(self.image_shape, conv_channels)
            n_trunk = self.trunk.n_out
            self.shared_decoder = ConvDecoder(n_shared, self.image_shape, conv_channels)
            self.private_decoders = PerPopulation(
                ConvDecoder(n_private, self.image_shape, conv_channels)
                for _ in range(n_populations))
        self.shared_head = nn.Linear(n_trunk, 2 * n_shared)
        # the K private heads q_k(t|x), packed side by side in one linear layer
        self.private_heads = nn.Linear(n_trunk, n_populations * 2 * n_private)
        self.combine = make_combine(combine, n_features, self.image_shape)
        self.raw_std = nn.Parameter(torch.zeros(()))
        prior = (torch.full((n_populations,), 1.0 / n_populations) if population_prior is None
                 else torch.as_tensor(population_prior, dtype=torch.float32))
        prior = prior / prior.sum()
        self.register_buffer("population_prior", prior)
        # cross_weights[j, k] = pi_k / ((K - 1) pi_j) for k != j, 0 on the diagonal
        weights = prior[None, :] / ((n_populations - 1) * prior[:, None])
        self.register_buffer("cross_weights", weights * (1 - torch.eye(n_populations)))

    # -- inference network ---------------------------------------------------------------
    def posterior(self, X):
        """Means and standard deviations of q(z|x) (n, n_shared) and of every private head
        q_k(t|x) (n, K, n_private)."""
        h = self.trunk(X)
        z_mean, z_raw = self.shared_head(h).chunk(2, dim=1)
        t = self.private_heads(h).reshape(-1, self.n_populations, 2, self.n_private)
        return z_mean, _positive_std(z_raw), t[:, :, 0], _positive_std(t[:, :, 1])

    def forward(self, X):
        """The shared code: the posterior mean of z."""
        return self.posterior(X)[0]

    def private_means(self, X):
        """Posterior means of t under every private head: shape (n, K, n_private)."""
        return self.posterior(X)[2]

    # -- generative model ----------------------------------------------------------------
    def observation_std(self):
        """psi, the isotropic standard deviation of p(x|z, t)."""
        return _positive_std(self.raw_std)

    def decode_private(self, t, populations):
        """f_k(t) of each row with k its population: t (n, n_private), populations (n,)."""
        return self.private_decoders.forward_own(t, populations)

    def decode(self, z, t, populations, parts="both"):
        """The mean g(f_s(z), f_k(t)) of p(x|z, t); ``parts`` 'shared' ('private') replaces
        f_k(t) (f_s(z)) by zeros: the shared-only (private-only) reconstruction of Fig. 2."""
        if parts not in PARTS:
            raise ValueError(f"parts must be one of {PARTS}, got {parts!r}.")
        shared = self.shared_decoder(z) if parts != "private" else None
        private = self.decode_private(t, populations) if parts != "shared" else None
        if shared is None:
            shared = torch.zeros_like(private)
        if private is None:
            private = torch.zeros_like(shared)
        return self.combine(shared, private)

    def log_likelihood(self, X, mean):
        """log N(x; mean, psi^2 I) summed over features: shape (n,)."""
        std = self.observation_std()
        return (-0.5 * ((X - mean) / std).pow(2)).sum(-1) - X.shape[-1] * (
            torch.log(std) + 0.5 * _LOG_2PI)

    def sample(self, n_samples, population, generator=None):
        """Means of p(x|z, t) for z, t drawn from the prior, all of population ``population``
        (an int code): shape (n_samples, D)."""
        dtype, device = self.raw_std.dtype, self.raw_std.device
        z = torch.randn((n_samples, self.n_shared), generator=generator, dtype=dtype,
                        device=device)
        t = torch.randn((n_samples, self.n_private), generator=generator, dtype=dtype,
                        device=device)
        populations = torch.full((n_samples,), int(population), device=device)
        return self.decode(z, t, populations)

    # -- objectives ----------------------------------------------------------------------
    @staticmethod
    def select_population(per_head, populations):
        """The entry of each row's own population in a (n, K, ...) tensor: (n, ...)."""
        idx = populations.reshape(-1, *([1] * (per_head.dim() - 1)))
        return per_head.gather(1, idx.expand(-1, 1, *per_head.shape[2:])).squeeze(1)

    def _draw(self, mean, std, generator):
        noise = torch.randn(mean.shape, generator=generator, dtype=mean.dtype,
                            device=mean.device)
        return mean + std * noise

    def loss_terms(self, X, y, s, generator=None):
        """Eq. (6) (or eq. (3)) per row, one draw of z and t; the population is ``s[:, 0]``,
        or ``y[:, 0]`` when ``s`` is None."""
        populations = (s if s is not None else y)[:, 0]
        z_mean, z_std, t_mean, t_std = self.posterior(X)
        z = self._draw(z_mean, z_std, generator)
        t = self._draw(self.select_population(t_mean, populations),
                       self.select_population(t_std, populations), generator)
        reconstruction = -self.log_likelihood(X, self.decode(z, t, populations)).mean()
        kl_shared = gaussian_kl(z_mean, z_std).mean()
        kl_heads = gaussian_kl(t_mean, t_std)  # (n, K): every head on every row
        kl_private = self.select_population(kl_heads, populations).mean()
        cross_kl = (kl_heads * self.cross_weights[populations]).sum(1).mean()
        if self.mi_regularization:
            loss = reconstruction + kl_shared + self.alpha * cross_kl
        else:
            loss = reconstruction + kl_shared + kl_private
        return {"reconstruction": reconstruction, "kl_shared": kl_shared,
                "kl_private": kl_private, "cross_kl": cross_kl, "mi": kl_private - cross_kl,
                "loss": loss}

    def elbo(self, X, populations, generator=None, n_draws=1):
        """ELBO of eq. (3) of each row under its population's head and decoder: shape (n,).

        The KLs are exact, E_q[log p(x|z, t)] is averaged over ``n_draws`` draws.
        """
        z_mean, z_std, t_mean, t_std = self.posterior(X)
        t_mean = self.select_population(t_mean, populations)
        t_std = self.select_population(t_std, populations)
        log_lik = 0.0
        for _ in range(n_draws):
            z = self._draw(z_mean, z_std, generator)
            t = self._draw(t_mean, t_std, generator)
            log_lik = log_lik + self.log_likelihood(X, self.decode(z, t, populations))
        return log_lik / n_draws - gaussian_kl(z_mean, z_std) - gaussian_kl(t_mean, t_std)

    def log_marginal_likelihood(self, X, noise_shared, noise_private):
        """Importance-sampled log p(x | theta_s, theta_k) of every row and population, eq. (8).

        The proposal of population k is q(z|x) q_k(t|x); draw m is
        ``z = mean + std * noise_shared[m]``, ``t = mean_k + std_k * noise_private[m]``, the same
        standard-normal draws for every row and population (common random numbers: a row's
        estimate depends on that row alone).

        Parameters
        ----------
        X : Tensor of shape (n, D)
        noise_shared : Tensor of shape (S, n_shared)
        noise_private : Tensor of shape (S, n_private)

        Returns
        -------
        Tensor of shape (n, K)
            log (1/S) sum_m p(x|z_m, t_m) p(z_m) p(t_m) / (q(z_m|x) q_k(t_m|x)).
        """
        (n, n_features), n_draws = X.shape, noise_shared.shape[0]
        k = self.n_populations
        z_mean, z_std, t_mean, t_std = self.posterior(X)
        z = z_mean[None] + z_std[None] * noise_shared[:, None, :]  # (S, n, n_shared)
        # log p(z) - log q(z|x); log q uses the standardised draw (z - mean) / std = noise
        log_w = (standard_normal_log_prob(z)
                 - standard_normal_log_prob(noise_shared)[:, None]
                 + torch.log(z_std).sum(-1)[None])[:, :, None]
        t = t_mean[None] + t_std[None] * noise_private[:, None, None, :]  # (S, n, K, n_private)
        log_w = log_w + (standard_normal_log_prob(t)
                         - standard_normal_log_prob(noise_private)[:, None, None]
                         + torch.log(t_std).sum(-1)[None])
        shared = self.shared_decoder(z.reshape(n_draws * n, -1))
        private = self.private_decoders.forward_all(t.reshape(n_draws * n, k, -1))
        mean = self.combine(shared[:, None].expand_as(private).reshape(-1, n_features),
                            private.reshape(-1, n_features))
        log_w = log_w + self.log_likelihood(X[None, :, None, :],
                                            mean.reshape(n_draws, n, k, n_features))
        return torch.logsumexp(log_w, dim=0) - math.log(n_draws)
