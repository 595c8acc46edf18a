"""Fully invertible RevNets and the independence cross-entropy (Jacobsen et al., ICLR 2019).

The building blocks are bijections with a tractable Jacobian: every block maps ``x`` to
``(y, logdet)``, where ``logdet`` is log|det dy/dx| per sample, and has an exact ``inverse``.
Blocks work on feature vectors of shape (n, d) and, where it makes sense, on images of shape
(n, C, H, W) (then the "features" are the channels).

The classifier of section 2.1 is a bijection F: R^d -> R^d with no final linear layer; its
first C outputs are the logits z_s, the other d - C the nuisance variables z_n (Fig. 3). The
independence cross-entropy (Definition 5, eq. (6)) trains it as::

    min_theta max_theta_nc  L_sCE(theta) - L_nCE(theta, theta_nc) + L_MLEn(theta)

with L_sCE the cross-entropy of the logits, L_nCE that of a nuisance classifier D_nc reading y
from z_n, and L_MLEn the negative log-likelihood of z_n under a factorial Gaussian, counting
the log-determinant of F.

The blocks are those of the flows that the paper builds on: NICE's additive and RealNVP's
affine couplings, RealNVP's and i-RevNet's squeeze, Glow's actnorm, invertible 1x1
convolution and multi-scale split; each block's docstring names its source, and the
references below are the full citations.

References
----------
J.-H. Jacobsen, J. Behrmann, R. Zemel and M. Bethge, "Excessive
invariance causes adversarial vulnerability", ICLR 2019.

J.-H. Jacobsen, A. Smeulders and E. Oyallon, "i-RevNet: deep invertible
networks", ICLR 2018.

D. P. Kingma and P. Dhariwal, "Glow: generative flow with invertible 1x1
convolutions", NeurIPS 2018.

L. Dinh, J. Sohl-Dickstein and S. Bengio, "Density estimation using Real
NVP", ICLR 2017.

L. Dinh, D. Krueger and Y. Bengio, "NICE: non-linear independent
components estimation", ICLR 2015 (workshop track).

Examples
--------
>>> import torch
>>> from fairrep.nn.invertible import dense_flow
>>> flow = dense_flow(6, n_blocks=2, hidden_layer_sizes=(8,))
>>> x = torch.randn(5, 6, dtype=torch.float64)
>>> flow = flow.double()
>>> z, logdet = flow(x)
>>> z.shape, logdet.shape
(torch.Size([5, 6]), torch.Size([5]))
>>> torch.allclose(flow.inverse(z), x)
True
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ._base import (BatchNorm1d, InvariantModule, make_mlp, multi_head_cross_entropy, shuffled,
                    standard_normal_log_prob)

COUPLINGS = ("affine", "additive")
MIXINGS = ("lu", "permutation", "reverse")
LOSSES = ("ce", "ice")
NUISANCE_TARGETS = ("true", "shuffled")


def _spatial_size(x):
    """Number of positions each channel has: 1 for vectors, H * W for images."""
    return x[0, 0].numel()


def _per_channel(v, x):
    """A (C,) parameter shaped to broadcast against ``x`` along dimension 1."""
    return v.view(1, -1, *([1] * (x.dim() - 2)))


# -- blocks ------------------------------------------------------------------------------------
class InvertibleModule(nn.Module):
    """A bijection: ``forward(x) -> (y, logdet)`` with logdet of shape (n,), and ``inverse``."""

    def forward(self, x):  # pragma: no cover - abstract
        raise NotImplementedError

    def inverse(self, y):  # pragma: no cover - abstract
        raise NotImplementedError


class ActNorm(InvertibleModule):
    """Per-channel affine map ``y = (x + bias) * exp(log_scale)`` (Glow's actnorm).

    The first forward pass in training mode sets ``bias`` and ``log_scale`` so that the batch
    has zero mean and (about) unit variance per channel (data-dependent initialisation,
    Kingma & Dhariwal 2018, see the module's references); the ``initialized`` flag is a bool
    buffer, so it survives ``.double()``, ``state_dict`` and pickling.

    Parameters
    ----------
    n_channels : int
        Number of features (vectors) or channels (images).
    eps : float, default=1e-2
        Added to the batch variance at initialisation: a (nearly) constant channel gets a
        scale of at most ``eps ** -0.5`` instead of blowing up.

    Examples
    --------
    >>> import torch
    >>> from fairrep.nn import ActNorm
    >>> x = 3.0 + 2.0 * torch.randn(16, 4, generator=torch.Generator().manual_seed(0))
    >>> actnorm = ActNorm(4)
    >>> y, logdet = actnorm(x)  # the first training batch initialises bias and scale
    >>> y.shape, logdet.shape, bool(actnorm.initialized)
    (torch.Size([16, 4]), torch.Size([16]), True)
    >>> torch.allclose(y.mean(dim=0), torch.zeros(4), atol=1e-5)
    True
    >>> torch.allclose(actnorm.inverse(y), x, atol=1e-5)
    True
    """

    def __init__(self, n_channels, eps=1e-2):
        super().__init__()
        self.eps = eps
        self.bias = nn.Parameter(torch.zeros(n_channels))
        self.log_scale = nn.Parameter(torch.zeros(n_channels))
        self.register_buffer("initialized", torch.tensor(False))

    @torch.no_grad()
    def _initialize(self, x):
        dims = [d for d in range(x.dim()) if d != 1]
        mean = x.mean(dim=dims)
        var = x.var(dim=dims, unbiased=False)
        self.bias.copy_(-mean)
        self.log_scale.copy_(-0.5 * torch.log(var + self.eps))
        self.initialized.fill_(True)

    def forward(self, x):
        if self.training and not bool(self.initialized):
            self._initialize(x)
        y = (x + _per_channel(self.bias, x)) * _per_channel(self.log_scale.exp(), x)
        logdet = self.log_scale.sum() * _spatial_size(x)
        return y, logdet.expand(x.shape[0])

    def inverse(self, y):
        return y * _per_channel(torch.exp(-self.log_scale), y) - _per_channel(self.bias, y)


class InvertibleLinear(InvertibleModule):
    """A learned invertible channel mixing W (a dense layer, or Glow's 1x1 convolution).

    LU-parametrised as in Glow (Kingma & Dhariwal 2018, see the module's references):
    W = P L (U + diag(sign * exp(log_s))) with P a fixed permutation, L unit lower-triangular,
    U strictly upper-triangular, so log|det W| = sum(log_s). W starts as a random rotation
    (drawn from torch's global generator).

    Parameters
    ----------
    n_channels : int

    Examples
    --------
    >>> import torch
    >>> from fairrep.nn import InvertibleLinear
    >>> x = torch.randn(8, 4, generator=torch.Generator().manual_seed(0))
    >>> mixing = InvertibleLinear(4)
    >>> y, logdet = mixing(x)
    >>> y.shape, logdet.shape
    (torch.Size([8, 4]), torch.Size([8]))
    >>> torch.allclose(mixing.inverse(y), x, atol=1e-5)
    True
    """

    def __init__(self, n_channels):
        super().__init__()
        w = torch.linalg.qr(torch.randn(n_channels, n_channels))[0]
        p, lower, upper = torch.linalg.lu(w)
        s = torch.diagonal(upper)
        self.register_buffer("permutation", p)
        self.register_buffer("sign", torch.sign(s))
        self.register_buffer("lower_mask", torch.tril(torch.ones(n_channels, n_channels), -1))
        self.register_buffer("eye", torch.eye(n_channels))
        self.lower = nn.Parameter(lower * self.lower_mask)
        self.upper = nn.Parameter(torch.triu(upper, 1))
        self.log_s = nn.Parameter(torch.log(torch.abs(s)))

    def weight(self):
        """The mixing matrix W (n_channels, n_channels)."""
        lower = self.lower * self.lower_mask + self.eye
        upper = self.upper * self.lower_mask.T + torch.diag(self.sign * self.log_s.exp())
        return self.permutation @ lower @ upper

    @staticmethod
    def _mix(x, w):
        if x.dim() == 2:
            return x @ w.T
        return torch.einsum("ij,nj...->ni...", w, x)

    def forward(self, x):
        logdet = self.log_s.sum() * _spatial_size(x)
        return self._mix(x, self.weight()), logdet.expand(x.shape[0])

    def inverse(self, y):
        return self._mix(y, torch.linalg.inv(self.weight()))


class Permutation(InvertibleModule):
    """A fixed channel permutation (log-determinant 0).

    RealNVP's alternation of the coupling's halves (Dinh et al. 2017), which Glow replaces by
    a learned :class:`InvertibleLinear`; see the module's references.

    Parameters
    ----------
    n_channels : int
    kind : {'reverse', 'random'}, default='reverse'
        'reverse' flips the channel order (the reference code's choice); 'random' draws a
        permutation from torch's global generator.

    Examples
    --------
    >>> import torch
    >>> from fairrep.nn import Permutation
    >>> y, logdet = Permutation(4)(torch.tensor([[0.0, 1.0, 2.0, 3.0]]))
    >>> y, logdet
    (tensor([[3., 2., 1., 0.]]), tensor([0.]))
    """

    def __init__(self, n_channels, kind="reverse"):
        super().__init__()
        if kind == "reverse":
            perm = torch.arange(n_channels - 1, -1, -1)
        elif kind == "random":
            perm = torch.randperm(n_channels)
        else:
            raise ValueError(f"kind must be 'reverse' or 'random', got {kind!r}.")
        self.register_buffer("perm", perm)
        self.register_buffer("inverse_perm", torch.argsort(perm))

    def forward(self, x):
        return x[:, self.perm], x.new_zeros(x.shape[0])

    def inverse(self, y):
        return y[:, self.inverse_perm]


def _conditioner(n_in, n_out, hidden, conv):
    """The network of a coupling: an MLP (vectors) or a small CNN (images), last layer zero.

    The zero last layer makes every coupling start as the identity (as in Glow).
    """
    if conv:
        sizes = [n_in, *hidden, n_out]
        layers = []
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
            first_or_last = i == 0 or i == len(sizes) - 2
            kernel = 3 if first_or_last else 1
            layers.append(nn.Conv2d(a, b, kernel, padding=kernel // 2))
            if i < len(sizes) - 2:
                layers.append(nn.ReLU())
        net = nn.Sequential(*layers)
    else:
        net = make_mlp([n_in, *hidden, n_out])
    last = net[-1]
    nn.init.zeros_(last.weight)
    nn.init.zeros_(last.bias)
    return net


class _Coupling(InvertibleModule):
    """Split the channels into (x1, x2); x1 passes unchanged and conditions the map of x2."""

    n_params = 1

    def __init__(self, n_channels, hidden_layer_sizes=(64,), conv=False):
        super().__init__()
        if n_channels < 2:
            raise ValueError(f"a coupling needs at least 2 channels, got {n_channels}.")
        self.n_first = n_channels // 2
        self.n_second = n_channels - self.n_first
        self.net = _conditioner(self.n_first, self.n_params * self.n_second,
                                tuple(hidden_layer_sizes), conv)

    def _split(self, x):
        return x[:, :self.n_first], x[:, self.n_first:]


class AdditiveCoupling(_Coupling):
    """Additive (NICE / RevNet) coupling: y1 = x1, y2 = x2 + t(x1); volume preserving.

    The coupling of NICE (Dinh et al. 2015) and of i-RevNet (Jacobsen et al. 2018); see the
    module's references.

    Parameters
    ----------
    n_channels : int
        Features (vectors) or channels (images); the first ``n_channels // 2`` condition.
    hidden_layer_sizes : tuple of int, default=(64,)
        Widths of t's hidden layers (convolution channels for images: a 3x3 convolution
        first and last, 1x1 ones between them).
    conv : bool, default=False
        Whether the input is an image (n, C, H, W).

    Examples
    --------
    >>> import torch
    >>> from fairrep.nn import AdditiveCoupling
    >>> x = torch.randn(8, 4, generator=torch.Generator().manual_seed(0))
    >>> coupling = AdditiveCoupling(4, hidden_layer_sizes=(8,))
    >>> y, logdet = coupling(x)
    >>> torch.equal(y[:, :2], x[:, :2]), bool((logdet == 0).all())
    (True, True)
    >>> torch.allclose(coupling.inverse(y), x, atol=1e-6)
    True
    """

    def forward(self, x):
        x1, x2 = self._split(x)
        return torch.cat([x1, x2 + self.net(x1)], dim=1), x.new_zeros(x.shape[0])

    def inverse(self, y):
        y1, y2 = self._split(y)
        return torch.cat([y1, y2 - self.net(y1)], dim=1)


class AffineCoupling(_Coupling):
    """Affine (RealNVP) coupling: y1 = x1, y2 = x2 * exp(log_s(x1)) + t(x1).

    The coupling of RealNVP (Dinh et al. 2017; see the module's references), with the
    log-scale bounded, log_s = bound * tanh(h / bound), so one block scales any coordinate by
    a factor in [exp(-bound), exp(bound)] (no overflow, stable inverse).

    Parameters
    ----------
    n_channels, hidden_layer_sizes, conv
        As in :class:`AdditiveCoupling`.
    scale_bound : float, default=2.0
        The bound of ``|log_s|``.

    Examples
    --------
    >>> import torch
    >>> from fairrep.nn import AffineCoupling
    >>> g = torch.Generator().manual_seed(0)
    >>> coupling = AffineCoupling(4, hidden_layer_sizes=(8,), scale_bound=0.5)
    >>> with torch.no_grad():  # large weights instead of the identity that it starts as
    ...     for weight in coupling.parameters():
    ...         _ = weight.normal_(0.0, 3.0, generator=g)
    >>> x = torch.randn(8, 4, generator=g)
    >>> y, logdet = coupling(x)
    >>> torch.equal(y[:, :2], x[:, :2]), bool(logdet.abs().max() <= 2 * 0.5)  # 2 scaled
    (True, True)
    >>> torch.allclose(coupling.inverse(y), x, atol=1e-4)
    True
    """

    n_params = 2

    def __init__(self, n_channels, hidden_layer_sizes=(64,), conv=False, scale_bound=2.0):
        super().__init__(n_channels, hidden_layer_sizes, conv)
        self.scale_bound = scale_bound

    def _scale_shift(self, x1):
        h = self.net(x1)
        raw, shift = h[:, :self.n_second], h[:, self.n_second:]
        return self.scale_bound * torch.tanh(raw / self.scale_bound), shift

    def forward(self, x):
        x1, x2 = self._split(x)
        log_s, shift = self._scale_shift(x1)
        y2 = x2 * log_s.exp() + shift
        return torch.cat([x1, y2], dim=1), log_s.flatten(1).sum(dim=1)

    def inverse(self, y):
        y1, y2 = self._split(y)
        log_s, shift = self._scale_shift(y1)
        return torch.cat([y1, (y2 - shift) * torch.exp(-log_s)], dim=1)


class Squeeze(InvertibleModule):
    """Space-to-depth: (n, C, H, W) -> (n, 4C, H/2, W/2), each 2x2 patch into channels.

    The invertible downsampling of RealNVP / i-RevNet (Dinh et al. 2017; Jacobsen et al.
    2018; see the module's references), log-determinant 0; H and W must be even.

    Examples
    --------
    >>> import torch
    >>> from fairrep.nn import Squeeze
    >>> image = torch.arange(16.0).reshape(1, 1, 4, 4)
    >>> squeeze = Squeeze()
    >>> y, logdet = squeeze(image)
    >>> y.shape
    torch.Size([1, 4, 2, 2])
    >>> y[0, :, 0, 0]  # the top-left 2x2 patch
    tensor([0., 1., 4., 5.])
    >>> torch.equal(squeeze.inverse(y), image)
    True
    """

    def forward(self, x):
        n, c, h, w = x.shape
        if h % 2 or w % 2:
            raise ValueError(f"Squeeze needs an even height and width, got {h}x{w}.")
        y = x.reshape(n, c, h // 2, 2, w // 2, 2).permute(0, 1, 3, 5, 2, 4)
        return y.reshape(n, 4 * c, h // 2, w // 2), x.new_zeros(n)

    def inverse(self, y):
        n, c4, h, w = y.shape
        c = c4 // 4
        x = y.reshape(n, c, 2, 2, h, w).permute(0, 1, 4, 2, 5, 3)
        return x.reshape(n, c, 2 * h, 2 * w)


def flatten_channels_last(x):
    """(n, C, H, W) -> (n, H * W * C), channels varying fastest (so the first C entries are
    all channels at one spatial position, the reference code's readout of the logits)."""
    return x.permute(0, 2, 3, 1).flatten(1)


def unflatten_channels_last(z, shape):
    """Inverse of :func:`flatten_channels_last` for an image ``shape`` = (C, H, W)."""
    c, h, w = shape
    return z.reshape(z.shape[0], h, w, c).permute(0, 3, 1, 2)


def split_dims(z, n_first):
    """The dimension split (z[:, :n_first], z[:, n_first:]), e.g. into z_s and z_n."""
    return z[:, :n_first], z[:, n_first:]


class ToImage(InvertibleModule):
    """(n, C*H*W) row-major vectors (numpy's image flattening) -> (n, C, H, W)."""

    def __init__(self, image_shape):
        super().__init__()
        self.image_shape = tuple(image_shape)

    def forward(self, x):
        return x.reshape(x.shape[0], *self.image_shape), x.new_zeros(x.shape[0])

    def inverse(self, y):
        return y.flatten(1)


class FlattenChannelsLast(InvertibleModule):
    """(n, C, H, W) -> (n, H*W*C) with :func:`flatten_channels_last`."""

    def __init__(self, image_shape):
        super().__init__()
        self.image_shape = tuple(image_shape)

    def forward(self, x):
        return flatten_channels_last(x), x.new_zeros(x.shape[0])

    def inverse(self, y):
        return unflatten_channels_last(y, self.image_shape)


class InvertibleSequential(InvertibleModule):
    """A chain of invertible blocks; log-determinants add up, the inverse runs backwards.

    A Glow "step of flow" is a chain of actnorm, channel mixing and coupling (Kingma &
    Dhariwal 2018); the networks of Jacobsen et al. (2019) chain such steps (see the module's
    references).

    Examples
    --------
    >>> import torch
    >>> from fairrep.nn import ActNorm, AdditiveCoupling, InvertibleSequential, Permutation
    >>> x = torch.randn(8, 4, generator=torch.Generator().manual_seed(0))
    >>> flow = InvertibleSequential(ActNorm(4), Permutation(4),
    ...                             AdditiveCoupling(4, hidden_layer_sizes=(8,)))
    >>> y, logdet = flow(x)
    >>> len(flow), y.shape, logdet.shape
    (3, torch.Size([8, 4]), torch.Size([8]))
    >>> torch.allclose(flow.inverse(y), x, atol=1e-5)
    True
    """

    def __init__(self, *blocks):
        super().__init__()
        self.blocks = nn.ModuleList(blocks)

    def __len__(self):
        return len(self.blocks)

    def __getitem__(self, index):
        return self.blocks[index]

    def forward(self, x):
        logdet = x.new_zeros(x.shape[0])
        for block in self.blocks:
            x, ld = block(x)
            logdet = logdet + ld
        return x, logdet

    def inverse(self, y):
        for block in reversed(self.blocks):
            y = block.inverse(y)
        return y


class FactorOut(InvertibleModule):
    """Glow's multi-scale split: the first ``n_keep`` channels go on through ``inner``, the
    others are factored out unchanged.

    Input (n, C, H, W); ``inner`` maps (n, n_keep, H, W) to flat vectors (n, D1). The output is
    [inner's output, the factored-out channels flattened channels-last]: the deepest
    variables come first, so the logits are read from them.
    """

    def __init__(self, n_keep, inner, image_shape):
        super().__init__()
        self.n_keep = n_keep
        self.inner = inner
        c, h, w = image_shape
        self.out_shape = (c - n_keep, h, w)
        self.n_inner = n_keep * h * w

    def forward(self, x):
        kept, out = split_dims(x, self.n_keep)
        y, logdet = self.inner(kept)
        return torch.cat([y, flatten_channels_last(out)], dim=1), logdet

    def inverse(self, y):
        inner, out = split_dims(y, self.n_inner)
        return torch.cat([self.inner.inverse(inner),
                          unflatten_channels_last(out, self.out_shape)], dim=1)


# -- builders ----------------------------------------------------------------------------------
def _check_choice(value, name, choices):
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}, "
                         f"got {value!r}.")


def _mixing(n_channels, mixing):
    if mixing == "lu":
        return InvertibleLinear(n_channels)
    return Permutation(n_channels, "random" if mixing == "permutation" else "reverse")


def _steps(n_channels, n_blocks, hidden_layer_sizes, coupling, mixing, conv):
    """n_blocks Glow steps: actnorm, channel mixing, coupling."""
    _check_choice(coupling, "coupling", COUPLINGS)
    _check_choice(mixing, "mixing", MIXINGS)
    cls = AffineCoupling if coupling == "affine" else AdditiveCoupling
    blocks = []
    for _ in range(n_blocks):
        blocks += [ActNorm(n_channels), _mixing(n_channels, mixing),
                   cls(n_channels, hidden_layer_sizes, conv=conv)]
    return blocks


def dense_flow(n_features, n_blocks=4, hidden_layer_sizes=(64,), coupling="affine",
               mixing="lu"):
    """A fully connected invertible network on vectors of shape (n, n_features).

    ``n_blocks`` Glow steps (Kingma & Dhariwal 2018) with RealNVP's affine or NICE's additive
    couplings, the dense network of Jacobsen et al. (2019); see the module's references.

    Parameters
    ----------
    n_features : int
        d, at least 2.
    n_blocks : int, default=4
        Number of steps, each ActNorm -> mixing -> coupling.
    hidden_layer_sizes : tuple of int, default=(64,)
        Hidden widths of each coupling's MLP.
    coupling : {'affine', 'additive'}, default='affine'
    mixing : {'lu', 'permutation', 'reverse'}, default='lu'
        A learned LU-parametrised linear map, a fixed random permutation, or reversal.

    Returns
    -------
    InvertibleSequential
        R^d -> R^d.

    Examples
    --------
    >>> import torch
    >>> from fairrep.nn import dense_flow
    >>> x = torch.randn(8, 4, generator=torch.Generator().manual_seed(0))
    >>> flow = dense_flow(4, n_blocks=2, hidden_layer_sizes=(8,))
    >>> len(flow)  # two steps of ActNorm, mixing and coupling
    6
    >>> z, logdet = flow(x)
    >>> z.shape, torch.allclose(flow.inverse(z), x, atol=1e-5)
    (torch.Size([8, 4]), True)
    """
    return InvertibleSequential(*_steps(n_features, n_blocks, hidden_layer_sizes, coupling,
                                        mixing, conv=False))


def conv_flow(image_shape, n_blocks=4, hidden_layer_sizes=(32,), coupling="affine",
              mixing="lu", n_levels=1):
    """A convolutional invertible network on flattened images (n, C*H*W).

    Each level squeezes (space-to-depth) and applies ``n_blocks`` steps (ActNorm, 1x1
    convolution, coupling with a small CNN); between levels half of the channels are factored
    out (Fig. 3 of Jacobsen et al. 2019; Glow's multi-scale architecture, with i-RevNet's
    squeeze; see the module's references). The output is flattened channels-last, deepest
    level first, so its first entries are the channels of the last level at its first spatial
    position.

    Parameters
    ----------
    image_shape : tuple of int
        (C, H, W); H and W divisible by 2 ** n_levels. Inputs are numpy's row-major flattening
        of (C, H, W) images.
    n_blocks : int, default=4
        Steps per level.
    hidden_layer_sizes : tuple of int, default=(32,)
        Channels of each coupling's CNN (3x3 convolutions first and last, 1x1 between).
    coupling, mixing
        As in :func:`dense_flow`.
    n_levels : int, default=1

    Returns
    -------
    InvertibleSequential
        R^(C*H*W) -> R^(C*H*W).

    Examples
    --------
    >>> import torch
    >>> from fairrep.nn import conv_flow
    >>> x = torch.randn(2, 16, generator=torch.Generator().manual_seed(0))  # 1x4x4 images
    >>> flow = conv_flow((1, 4, 4), n_blocks=1, hidden_layer_sizes=(4,))
    >>> z, logdet = flow(x)
    >>> z.shape, logdet.shape
    (torch.Size([2, 16]), torch.Size([2]))
    >>> torch.allclose(flow.inverse(z), x, atol=1e-5)
    True
    """
    c, h, w = image_shape
    if h % 2 ** n_levels or w % 2 ** n_levels:
        raise ValueError(f"image height and width must be divisible by 2 ** n_levels = "
                         f"{2 ** n_levels}, got {h}x{w}.")

    def level(shape, remaining):
        c, h, w = shape
        shape = (4 * c, h // 2, w // 2)
        blocks = [Squeeze(), *_steps(shape[0], n_blocks, hidden_layer_sizes, coupling, mixing,
                                     conv=True)]
        if remaining == 1:
            return blocks + [FlattenChannelsLast(shape)]
        keep = shape[0] // 2
        inner = InvertibleSequential(*level((keep, *shape[1:]), remaining - 1))
        return blocks + [FactorOut(keep, inner, shape)]

    return InvertibleSequential(ToImage(image_shape), *level((c, h, w), n_levels))


# -- the classifier network --------------------------------------------------------------------
class FullyInvertibleRevNet(InvariantModule):
    """A bijection F with z = F(x), logits z_s = z[:, :C], nuisances z_n = z[:, C:].

    The fully invertible RevNet of section 2.1 (Fig. 3) of Jacobsen et al. (2019), built on
    i-RevNet (Jacobsen et al. 2018; see the module's references): no final linear layer, the first
    ``C = sum(n_classes)`` outputs are the logits (one block per head). With ``loss='ice'`` it
    trains with the independence cross-entropy and the maximum-likelihood term, eq. (6); the
    nuisance classifier D_nc is the adversary (updated by the adversary optimizer).

    The labels z_s predicts and z_n must not: ``s`` when the training loop passes it, else
    ``y`` (the paper's setting, where both are the class; fairrep's classifier passes y's
    codes in the s slot so the adversary sees them).

    Parameters
    ----------
    n_features : int
        Dimension of x.
    n_classes : sequence of int
        Number of classes of each head; the logits take the first sum(n_classes) dimensions.
    image_shape : tuple of int or None, default=None
        (C, H, W) to build :func:`conv_flow`, else :func:`dense_flow`.
    n_blocks, hidden_layer_sizes, coupling, mixing, n_levels
        Of the flow (``n_levels`` only for images).
    n_pad : int, default=0
        Extra input dimensions (i-RevNet's injective padding, Jacobsen et al. 2018) for inputs
        with too few features for the logits plus a non-empty z_n: Gaussian noise of standard
        deviation ``pad_std`` in training (with exact zeros the likelihood term would be
        unbounded: the flow could expand the padding directions for free), zeros in eval
        mode; ``inverse`` drops them.
    loss : {'ce', 'ice'}, default='ice'
        'ce' trains the logits only; 'ice' adds the nuisance and likelihood terms of eq. (6).
    nuisance_weight : float, default=1.0
        Weight of L_nCE (1 in Definition 5).
    likelihood_weight : float, default=1.0
        Weight of L_MLEn (1 in eq. (6)); the term is taken per input dimension.
    nuisance_hidden_layer_sizes : tuple of int, default=(64, 64)
        Hidden widths of D_nc.
    nuisance_targets : {'true', 'shuffled'}, default='true'
        'true': the model maximises D_nc's cross-entropy on the true labels (the min-max of
        Definition 5); 'shuffled': it minimises D_nc's cross-entropy on a shuffle of the
        batch's labels (the reference code).
    pad_std : float, default=0.01
        Standard deviation of the padding noise in training.
    input_noise : sequence of float or None, default=None
        Standard deviation, per input dimension, of Gaussian noise added to x in training
        (not in eval mode). A column with a few values (one-hot codes, counts, a point mass
        at 0) has no density: without noise the likelihood term grows without bound as the
        flow squeezes each value onto a point, and training ends in overflow. Noise of
        standard deviation sigma caps what the flow gains there at about -log(sigma) per
        dimension (the dequantisation of flow models).
    batch_norm_logits : bool, default=False
        Read the logits as BatchNorm1d(z_s) (the reference code's head: batch statistics in
        training, running ones in eval mode, where it is a fixed affine map of each logit)
        instead of z_s itself. z_s stays a coordinate of the bijection: ``represent`` and
        ``inverse`` do not see the normalisation.
    logit_prior : bool, default=False
        Add a standard normal prior on z_s to L_MLEn, as the reference code's prior does (it
        covers the whole z, the logits included). Eq. (6) puts a prior on z_n only, while
        log|det J| counts every dimension, so without it the flow can stretch z_s for free:
        the likelihood term then rewards ever larger logits.

    Examples
    --------
    >>> import torch
    >>> from fairrep.nn import FullyInvertibleRevNet
    >>> g = torch.Generator().manual_seed(0)
    >>> X = torch.randn(8, 4, generator=g)
    >>> y = torch.randint(0, 2, (8, 1), generator=g)
    >>> net = FullyInvertibleRevNet(4, [2], n_blocks=2, hidden_layer_sizes=(8,),
    ...                             nuisance_hidden_layer_sizes=(8,))
    >>> z = net(X)
    >>> z.shape, net.predict_logits(X)[0].shape, net.represent(X, "nuisance").shape
    (torch.Size([8, 4]), torch.Size([8, 2]), torch.Size([8, 2]))
    >>> torch.allclose(net.inverse(z), X, atol=1e-4)
    True
    >>> sorted(net.loss_terms(X, y, y, generator=g))
    ['loss', 'nll', 'nuisance', 'task']
    """

    def __init__(self, n_features, n_classes, image_shape=None, n_blocks=4,
                 hidden_layer_sizes=(64,), coupling="affine", mixing="lu", n_levels=1,
                 n_pad=0, loss="ice", nuisance_weight=1.0, likelihood_weight=1.0,
                 nuisance_hidden_layer_sizes=(64, 64), nuisance_targets="true", pad_std=0.01,
                 batch_norm_logits=False, logit_prior=False, input_noise=None):
        super().__init__()
        _check_choice(loss, "loss", LOSSES)
        _check_choice(nuisance_targets, "nuisance_targets", NUISANCE_TARGETS)
        self.n_classes = list(n_classes)
        self.n_logits = sum(self.n_classes)
        self.n_features = n_features
        self.n_pad = n_pad
        self.pad_std = pad_std
        self.n_dims = n_features + n_pad
        self.n_nuisance = self.n_dims - self.n_logits
        if self.n_nuisance < 1:
            raise ValueError(
                f"a fully invertible network with {self.n_logits} logits needs at least "
                f"{self.n_logits + 1} input dimensions (the logits and a non-empty z_n), got "
                f"n_features={n_features} (+ {n_pad} padding).")
        self.loss = loss
        self.nuisance_weight = nuisance_weight
        self.likelihood_weight = likelihood_weight
        self.nuisance_targets = nuisance_targets
        if image_shape is None:
            self.flow = dense_flow(self.n_dims, n_blocks, hidden_layer_sizes, coupling, mixing)
        else:
            if n_pad:
                raise ValueError("padding is only available for vector inputs (no image_shape)")
            self.flow = conv_flow(image_shape, n_blocks, hidden_layer_sizes, coupling, mixing,
                                  n_levels)
        # beta_k, gamma_k of eq. (6): the learned factorial Gaussian of z_n
        self.prior_mean = nn.Parameter(torch.zeros(self.n_nuisance))
        self.prior_log_std = nn.Parameter(torch.zeros(self.n_nuisance))
        self.nuisance_classifier = (
            make_mlp([self.n_nuisance, *nuisance_hidden_layer_sizes, self.n_logits])
            if loss == "ice" else None)
        self.logit_norm = BatchNorm1d(self.n_logits) if batch_norm_logits else None
        self.logit_prior = bool(logit_prior)
        noise = None if input_noise is None else torch.as_tensor(input_noise,
                                                                  dtype=torch.float32)
        if noise is not None and noise.shape not in ((), (n_features,)):
            raise ValueError(f"input_noise must be one value or {n_features} (one per input "
                             f"dimension), got shape {tuple(noise.shape)}")
        self.register_buffer("input_noise", noise)

    # -- the bijection -------------------------------------------------------------------
    def _perturb(self, X, generator=None):
        noise = getattr(self, "input_noise", None)  # None in a module pickled before it
        if noise is None or not self.training:
            return X
        return X + noise.to(X.dtype) * torch.randn(X.shape, generator=generator,
                                                   device=X.device, dtype=X.dtype)

    def _pad(self, X, generator=None):
        if not self.n_pad:
            return X
        shape = (X.shape[0], self.n_pad)
        if self.training:
            pad = self.pad_std * torch.randn(shape, generator=generator, device=X.device,
                                             dtype=X.dtype)
        else:
            pad = X.new_zeros(shape)
        return torch.cat([X, pad], dim=1)

    def encode(self, X, generator=None):
        """z = F(x) and log|det dF/dx| per sample (``generator`` draws the training noise:
        ``input_noise`` and the padding)."""
        return self.flow(self._pad(self._perturb(X, generator), generator))

    def forward(self, X):
        """The full z = F(x), shape (n, n_features + n_pad)."""
        return self.encode(X)[0]

    def inverse(self, Z):
        """x = F^-1(z) for full z; the padding dimensions are dropped."""
        return self.flow.inverse(Z)[:, :self.n_features]

    def split(self, Z):
        """(z_s, z_n)."""
        return split_dims(Z, self.n_logits)

    def represent(self, X, part="full"):
        """'logits' (z_s), 'nuisance' (z_n) or 'full' (z)."""
        z = self.forward(X)
        if part == "full":
            return z
        z_s, z_n = self.split(z)
        return z_s if part == "logits" else z_n

    def logits(self, z_s):
        """The logits read from z_s: z_s itself, or BatchNorm1d(z_s) (``batch_norm_logits``)."""
        norm = getattr(self, "logit_norm", None)  # None in a module pickled before the option
        return z_s if norm is None else norm(z_s)

    def predict_logits(self, X):
        """The logits of each head, read from z_s (no final linear layer)."""
        z_s = self.split(self.forward(X))[0]
        return list(torch.split(self.logits(z_s), self.n_classes, dim=1))

    # -- training ------------------------------------------------------------------------
    def negative_log_likelihood(self, z_n, logdet, z_s=None):
        """L_MLEn of eq. (6) per input dimension: -(sum_k log p_k(z_n,k) + logdet) / d,
        averaged over the batch (d counts every input dimension, padding included); with
        ``logit_prior`` and ``z_s`` given, plus -log N(z_s; 0, I) inside the sum."""
        log_std = self.prior_log_std
        log_p = (-0.5 * ((z_n - self.prior_mean) * torch.exp(-log_std)) ** 2 - log_std
                 - 0.5 * math.log(2 * math.pi)).sum(dim=1)
        if z_s is not None and getattr(self, "logit_prior", False):  # pickled before it
            log_p = log_p + standard_normal_log_prob(z_s)
        return -(log_p + logdet).mean() / self.n_dims

    def adversary_parameters(self):
        return [] if self.nuisance_classifier is None else list(
            self.nuisance_classifier.parameters())

    def _nuisance_ce(self, z_n, labels):
        return multi_head_cross_entropy(self.nuisance_classifier(z_n), labels, self.n_classes)

    def loss_terms(self, X, y, s, generator=None):
        """Model step: ``task`` (L_sCE), ``nll`` (L_MLEn), ``nuisance`` (L_nCE, with 'ice').

        'ce': loss = task. 'ice': loss = task + likelihood_weight * nll -/+ nuisance_weight *
        nuisance (minus with the true labels, plus with shuffled ones). ``nll`` is recorded
        for 'ce' too (it is not trained then).
        """
        labels = y if s is None else s
        z, logdet = self.encode(X, generator)
        z_s, z_n = self.split(z)
        task = multi_head_cross_entropy(self.logits(z_s), labels, self.n_classes)
        nll = self.negative_log_likelihood(z_n, logdet, z_s)
        terms = {"task": task, "nll": nll}
        loss = task
        if self.loss == "ice":
            loss = loss + self.likelihood_weight * nll
            if s is not None:
                if self.nuisance_targets == "true":
                    nuisance = self._nuisance_ce(z_n, labels)
                    loss = loss - self.nuisance_weight * nuisance
                else:
                    nuisance = self._nuisance_ce(z_n, shuffled(labels, generator))
                    loss = loss + self.nuisance_weight * nuisance
                terms["nuisance"] = nuisance
        terms["loss"] = loss
        return terms

    def adversary_inputs(self, X, generator=None):
        """z_n, without gradient to the flow, of x without ``input_noise``: D_nc learns to
        read the data's z_n (the noise only bounds the likelihood term)."""
        return self.split(self.flow(self._pad(X, generator))[0])[1]

    def adversary_loss_terms(self, inputs, s):
        """D_nc's step: predict the labels from z_n (the max over theta_nc)."""
        loss = self._nuisance_ce(inputs, s)
        return {"nuisance_classifier": loss, "loss": loss}
