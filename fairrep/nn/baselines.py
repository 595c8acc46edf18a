"""Baselines of the invariant-representation papers, as pure PyTorch modules.

Three networks share one shape, an encoder z = E(x) and a predictor P(z) per target column,
and differ only in the invariance penalty on z (the ``penalty`` hook of
:class:`EncoderPredictorNetwork`):

- :class:`GradientReversalNetwork`: an adversary D predicts s from z through a gradient-reversal
  layer (CAI, Xie et al. NeurIPS 2017; DANN, Ganin et al. JMLR 2016; Fader networks, which
  coincide with them in the supervised setting);
- :class:`MMDNetwork`: the squared maximum mean discrepancy between the codes of the s groups
  (NN+MMD, Li, Swersky & Zemel 2014, "Learning Unbiased Features");
- :class:`HSICNetwork`: the Hilbert-Schmidt independence criterion HSIC(z, s) (the HCV penalty
  of Lopez et al., "Information Constraints on Auto-Encoding Variational Bayes", NeurIPS 2018).

Each function and network below names its sources; the full citations are these:

References
----------
Y. Ganin, E. Ustinova, H. Ajakan, P. Germain, H. Larochelle, F. Laviolette,
M. Marchand and V. Lempitsky, "Domain-adversarial training of neural
networks", JMLR 17(59), 2016.

Q. Xie, Z. Dai, Y. Du, E. Hovy and G. Neubig, "Controllable invariance
through adversarial feature learning", NeurIPS 2017.

Y. Li, K. Swersky and R. Zemel, "Learning unbiased features",
arXiv:1412.5244, 2014.

A. Gretton, K. M. Borgwardt, M. J. Rasch, B. Schölkopf and A. Smola, "A
kernel two-sample test", JMLR 13, 2012.

A. Gretton, O. Bousquet, A. Smola and B. Schölkopf, "Measuring
statistical dependence with Hilbert-Schmidt norms", ALT 2005.

R. Lopez, J. Regier, M. I. Jordan and N. Yosef, "Information constraints
on auto-encoding variational Bayes", NeurIPS 2018.
"""

from __future__ import annotations

import functools
import math

import torch
from torch import nn
from torch.nn import functional as F

from ._base import (InvariantModule, check_strength_scaling, head_cross_entropies, make_mlp,
                    multi_head_cross_entropy, scaled_strength)

#: Bandwidth multipliers of the MMD kernel (a mixture of Gaussians around the median heuristic).
MMD_SCALES = (0.5, 1.0, 2.0)


# -- gradient reversal -------------------------------------------------------------------------
class _ReverseGradient(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, coefficient):
        ctx.coefficient = coefficient
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad_output):
        c = ctx.coefficient
        if torch.is_tensor(c):  # keep the gradient's dtype (bfloat16 under autocast)
            c = c.to(grad_output.dtype)
        return -c * grad_output, None


class GradientReversal(nn.Module):
    """Identity in the forward pass; multiplies the gradient by ``-coefficient`` backwards.

    The gradient-reversal layer of Ganin et al. (JMLR 2016, section 5.2): placed between an
    encoder and a domain/sensitive-attribute classifier, one gradient step both trains the
    classifier to predict s and the encoder to make it fail.

    Parameters
    ----------
    coefficient : float, default=1.0
        lambda, the scale of the reversed gradient; may be changed between steps (a schedule).

    Examples
    --------
    >>> import torch
    >>> from fairrep.nn import GradientReversal
    >>> x = torch.ones(2, 3, requires_grad=True)
    >>> out = GradientReversal(coefficient=0.5)(x)
    >>> torch.equal(out, x)
    True
    >>> out.sum().backward()
    >>> x.grad
    tensor([[-0.5000, -0.5000, -0.5000],
            [-0.5000, -0.5000, -0.5000]])
    """

    def __init__(self, coefficient=1.0):
        super().__init__()
        self.coefficient = coefficient

    def forward(self, x):
        # a tensor coefficient (e.g. lambda times a detached task gain) stays on the device:
        # no host sync per step
        c = self.coefficient
        return _ReverseGradient.apply(x, c.detach() if torch.is_tensor(c) else float(c))

    def extra_repr(self):
        c = self.coefficient
        return f"coefficient={float(c) if torch.is_tensor(c) else c}"


def dann_schedule(progress):
    """DANN's reversal schedule lambda_p = 2 / (1 + exp(-10 p)) - 1 for progress p in [0, 1]."""
    return 2.0 / (1.0 + math.exp(-10.0 * progress)) - 1.0


# -- kernels -----------------------------------------------------------------------------------
@functools.lru_cache(maxsize=8)
def _pairs(n, device):
    """The diagonal mask and the indices above the diagonal of an n x n matrix, built once
    per batch size and device (not on every training step)."""
    diagonal = torch.eye(n, dtype=torch.bool, device=device)
    return diagonal, torch.triu_indices(n, n, 1, device=device)


def _squared_distances(x):
    """Squared distances between the rows of ``x`` as ||a||^2 + ||b||^2 - 2 a.b: one matrix
    product, about 3x faster with its backward than the broadcast difference (256 x 8 batch,
    2 cores); clamped at 0 against rounding, the diagonal exactly 0."""
    sq = x.pow(2).sum(dim=1)
    d2 = (sq.unsqueeze(1) + sq.unsqueeze(0) - 2.0 * (x @ x.T)).clamp_min(0.0)
    return d2.masked_fill(_pairs(x.shape[0], x.device)[0], 0.0)


def median_heuristic(d2):
    """Median of the non-zero squared distances between distinct rows (the entries above the
    diagonal of ``d2``; 1 if there are none).

    Returned without gradient: the bandwidth is a constant of each step.
    """
    d2 = d2.detach()
    rows, columns = _pairs(d2.shape[0], d2.device)[1]
    pairs = d2[rows, columns]
    positive = pairs[pairs > 0]
    if positive.numel() == 0:
        return d2.new_ones(())
    return positive.median()


def gaussian_kernel(x, scales=(1.0,), bandwidth=None):
    """Gram matrix of a (mixture of) Gaussian kernel(s) on the rows of ``x``.

    k(a, b) = mean_c exp(-||a - b||^2 / (2 c^2 sigma^2)) over the ``scales`` c, with
    sigma^2 = ``bandwidth`` or, by default, the median heuristic (median non-zero squared
    distance between rows).
    """
    x = x.reshape(x.shape[0], -1)
    d2 = _squared_distances(x)
    sigma2 = median_heuristic(d2) if bandwidth is None else d2.new_tensor(float(bandwidth))
    return torch.stack([torch.exp(-d2 / (2 * c * c * sigma2)) for c in scales]).mean(dim=0)


def mmd2(x, y, scales=MMD_SCALES, bandwidth=None):
    """Biased (V-statistic) estimate of MMD^2 between the samples ``x`` and ``y``.

    The estimate of Gretton et al. (JMLR 2012) that Li, Swersky & Zemel (2014) use as a
    penalty (see the module's references).

    MMD^2 = mean k(x, x') + mean k(y, y') - 2 mean k(x, y) with the kernel of
    :func:`gaussian_kernel` on the pooled sample (median heuristic times ``scales``). It is
    the squared RKHS distance between the two empirical mean embeddings, hence >= 0.

    Examples
    --------
    >>> import torch
    >>> from fairrep.nn import mmd2
    >>> g = torch.Generator().manual_seed(0)
    >>> a = torch.randn(20, 2, generator=g)
    >>> b = torch.randn(20, 2, generator=g) + 3.0
    >>> float(mmd2(a, a))
    0.0
    >>> bool(mmd2(a, b) > mmd2(a, torch.randn(20, 2, generator=g)))
    True
    """
    n = x.shape[0]
    K = gaussian_kernel(torch.cat([x, y]), scales, bandwidth)
    return K[:n, :n].mean() + K[n:, n:].mean() - 2 * K[:n, n:].mean()


def group_vs_rest_mmd2(z, s, cardinalities, scales=MMD_SCALES, unbiased=False):
    """Sum over the columns j of s of the mean over groups g of MMD^2(z[s_j = g], z[s_j != g]).

    A binary column contributes the MMD^2 between its two groups once. Each pair pools the
    whole batch, so one Gram matrix K of the batch (:func:`gaussian_kernel`, median heuristic
    times ``scales``) serves every group: with m the group's indicator, m^T K m,
    1^T K m and 1^T K 1 give the within- and between-sample sums, for all groups in two
    matrix products and with no device-to-host synchronisation. ``unbiased``: the
    U-statistic (no diagonal terms k(x_i, x_i) in the within means; a group or complement
    with fewer than two rows adds nothing), else the V-statistic of :func:`mmd2` (an empty
    group adds nothing). A column none of whose groups counts adds 0.
    """
    K = gaussian_kernel(z, scales)
    n = z.shape[0]
    diagonal = K.diagonal()
    total_sum, total_diagonal = K.sum(), diagonal.sum()
    smallest = 2 if unbiased else 1
    total = z.new_zeros(())
    for j, k in enumerate(cardinalities):
        inside = F.one_hot(s[:, j].long(), k)[:, :1 if k == 2 else k].to(K.dtype)  # (n, G)
        size = inside.sum(dim=0)
        rest = n - size
        K_inside = K @ inside
        within = (inside * K_inside).sum(dim=0)  # m^T K m
        between = K_inside.sum(dim=0) - within  # m^T K (1 - m)
        within_rest = total_sum - 2 * K_inside.sum(dim=0) + within
        counts = (size >= smallest) & (rest >= smallest)
        a = torch.where(counts, size, torch.full_like(size, 2.0))
        b = torch.where(counts, rest, torch.full_like(rest, 2.0))
        if unbiased:
            diagonal_inside = diagonal @ inside
            value = ((within - diagonal_inside) / (a * (a - 1))
                     + (within_rest - (total_diagonal - diagonal_inside)) / (b * (b - 1)))
        else:
            value = within / (a * a) + within_rest / (b * b)
        value = value - 2 * between / (a * b)
        used = counts.to(K.dtype)
        total = total + (value * used).sum() / used.sum().clamp(min=1.0)
    return total


def hsic(x, t, bandwidth_x=None, bandwidth_t=None):
    """Biased estimate of HSIC(x, t) with Gaussian kernels (Gretton et al., ALT 2005).

    HSIC_b = tr(K H L H) / (n - 1)^2, H the centring matrix, K and L Gaussian Gram matrices of
    the rows of ``x`` and ``t`` (median-heuristic bandwidths by default). On one-hot ``t`` the
    Gaussian kernel takes two values, i.e. it is an affine map of the delta kernel.

    Examples
    --------
    >>> import torch
    >>> from fairrep.nn import hsic
    >>> g = torch.Generator().manual_seed(0)
    >>> x = torch.randn(50, 2, generator=g)
    >>> dependent = hsic(x, x[:, :1] ** 2)
    >>> independent = hsic(x, torch.randn(50, 1, generator=g))
    >>> dependent.shape, bool(dependent > independent)
    (torch.Size([]), True)
    """
    n = x.shape[0]
    if n < 2:
        return x.new_zeros(())
    K = gaussian_kernel(x, bandwidth=bandwidth_x)
    L = gaussian_kernel(t, bandwidth=bandwidth_t)
    Kc = K - K.mean(dim=0, keepdim=True) - K.mean(dim=1, keepdim=True) + K.mean()
    return (Kc * L).sum() / (n - 1) ** 2


# -- networks ----------------------------------------------------------------------------------
class EncoderPredictorNetwork(InvariantModule):
    """Encoder E and one predictor P_j per target column; subclasses add a penalty on z.

    Model loss: sum_j CE(P_j(z), y_j) + the subclass's ``penalty(z, s, gain)`` (skipped
    without s). ``gain`` is 1, or with ``strength_scaling='task_gain'`` the mean over target
    columns of :func:`fairrep.nn.task_gain` on the batch (detached), by which the subclass
    scales its invariance term.

    Parameters
    ----------
    n_features : int
        Dimension of x.
    n_components : int
        Dimension of z.
    n_classes : sequence of int
        Classes of each target column.
    hidden_layer_sizes : tuple of int
        Hidden widths of E and of each P_j (and of the adversary of gradient reversal).
    strength_scaling : {'none', 'task_gain'}
        Whether the invariance term is scaled by the batch's task gain.
    """

    def __init__(self, n_features, n_components, n_classes, hidden_layer_sizes=(50,),
                 strength_scaling="none"):
        super().__init__()
        self.strength_scaling = check_strength_scaling(strength_scaling)
        self.hidden = list(hidden_layer_sizes)
        self.n_classes = list(n_classes)
        self.encoder = make_mlp([n_features, *self.hidden, n_components])
        self.predictors = nn.ModuleList(make_mlp([n_components, *self.hidden, k])
                                        for k in self.n_classes)

    def forward(self, X):
        """The representation z = E(x)."""
        return self.encoder(X)

    def penalty(self, z, s, gain=1.0):
        """``(terms, contribution)``: named unweighted terms and what is added to the loss
        (the invariance term scaled by ``gain``).

        None when the network has no penalty (built without s).
        """
        return None

    def loss_terms(self, X, y, s, generator=None):
        z = self.encoder(X)
        logits = torch.cat([p(z) for p in self.predictors], dim=1)
        heads = head_cross_entropies(logits, y, self.n_classes)
        task = sum(heads)
        terms = {"task": task}
        loss = task
        gain = 1.0 if s is None else scaled_strength(self, 1.0, heads, y, self.n_classes, terms)
        penalty = None if s is None else self.penalty(z, s, gain)
        if penalty is not None:
            named, contribution = penalty
            terms.update(named)
            loss = loss + contribution
        terms["loss"] = loss
        return terms


class GradientReversalNetwork(EncoderPredictorNetwork):
    """Encoder, predictor and an adversary D on z behind a gradient-reversal layer.

    One step minimises CE(P(z), y) + CE(D(R_lambda(z)), s): D learns to predict s while the
    reversal hands the encoder -lambda times D's gradient (Ganin et al., JMLR 2016; Xie et al.,
    NeurIPS 2017). D's parameters are ordinary model parameters (no adversary optimizer).

    Parameters
    ----------
    s_cardinalities : sequence of int or None
        Groups of each column of s (D has one softmax head per column); None: no adversary.
    adversary_weight : float
        The final reversal coefficient lambda.
    schedule : {'dann', 'constant'}
        'dann': lambda_p = adversary_weight * (2 / (1 + exp(-10 p)) - 1), p the fraction of
        ``total_steps`` done; 'constant': lambda = adversary_weight throughout.
    total_steps : int
        Training batches of the whole fit (the module counts its training steps).

    Examples
    --------
    >>> import torch
    >>> from fairrep.nn import GradientReversalNetwork
    >>> g = torch.Generator().manual_seed(0)
    >>> X = torch.randn(8, 5, generator=g)
    >>> y = torch.randint(0, 2, (8, 1), generator=g)
    >>> s = torch.randint(0, 2, (8, 1), generator=g)
    >>> net = GradientReversalNetwork(5, 3, [2], s_cardinalities=[2], hidden_layer_sizes=(8,),
    ...                               schedule="constant")
    >>> net(X).shape
    torch.Size([8, 3])
    >>> sorted(net.loss_terms(X, y, s, generator=g))
    ['adversary', 'loss', 'reversal', 'task']
    >>> net.coefficient()
    1.0
    """

    def __init__(self, n_features, n_components, n_classes, s_cardinalities=None,
                 hidden_layer_sizes=(50,), adversary_weight=1.0, schedule="dann",
                 total_steps=1, strength_scaling="none"):
        super().__init__(n_features, n_components, n_classes, hidden_layer_sizes,
                         strength_scaling)
        self.s_cardinalities = None if s_cardinalities is None else list(s_cardinalities)
        self.adversary_weight = adversary_weight
        self.schedule = schedule
        self.total_steps = max(int(total_steps), 1)
        self.n_steps_ = 0
        self.reversal = GradientReversal(adversary_weight)
        self.adversary = (None if self.s_cardinalities is None else
                          make_mlp([n_components, *self.hidden, sum(self.s_cardinalities)]))

    def coefficient(self):
        """lambda at the current training progress."""
        if self.schedule == "constant":
            return float(self.adversary_weight)
        progress = min(self.n_steps_ / self.total_steps, 1.0)
        return self.adversary_weight * dann_schedule(progress)

    def penalty(self, z, s, gain=1.0):
        if self.adversary is None:
            return None
        # the gain scales what the encoder is handed, not the adversary's own learning
        # (a tensor gain stays a tensor: no device-to-host sync per training step)
        self.reversal.coefficient = self.coefficient() * gain
        if self.training:
            self.n_steps_ += 1
        adversary = multi_head_cross_entropy(self.adversary(self.reversal(z)), s,
                                             self.s_cardinalities)
        named = {"adversary": adversary,
                 "reversal": torch.as_tensor(self.reversal.coefficient, dtype=z.dtype,
                                             device=z.device)}
        return named, adversary


class MMDNetwork(EncoderPredictorNetwork):
    """Encoder and predictor with an MMD^2 penalty between the codes of the s groups.

    Loss: CE(P(z), y) + mmd_weight * sum over s columns of mean over the groups g present in
    the batch of MMD^2(z[s = g], z[s != g]) (Li, Swersky & Zemel 2014). With two groups this
    is the MMD^2 between them (computed once); a group absent from the batch, or a batch with
    a single group, contributes nothing.

    Parameters
    ----------
    s_cardinalities : sequence of int or None
        Groups of each column of s; None: no penalty.
    mmd_weight : float
        Weight of the MMD^2 term.
    scales : tuple of float
        Bandwidth multipliers of the Gaussian mixture kernel around the median heuristic.

    Examples
    --------
    >>> import torch
    >>> from fairrep.nn import MMDNetwork
    >>> g = torch.Generator().manual_seed(0)
    >>> X = torch.randn(8, 5, generator=g)
    >>> y = torch.randint(0, 2, (8, 1), generator=g)
    >>> s = torch.randint(0, 2, (8, 1), generator=g)
    >>> net = MMDNetwork(5, 3, [2], s_cardinalities=[2], hidden_layer_sizes=(8,))
    >>> net(X).shape
    torch.Size([8, 3])
    >>> terms = net.loss_terms(X, y, s, generator=g)
    >>> sorted(terms), bool(terms["mmd"] >= 0)
    (['loss', 'mmd', 'task'], True)
    """

    def __init__(self, n_features, n_components, n_classes, s_cardinalities=None,
                 hidden_layer_sizes=(50,), mmd_weight=1.0, scales=MMD_SCALES,
                 strength_scaling="none"):
        super().__init__(n_features, n_components, n_classes, hidden_layer_sizes,
                         strength_scaling)
        self.s_cardinalities = None if s_cardinalities is None else list(s_cardinalities)
        self.mmd_weight = mmd_weight
        self.scales = tuple(scales)

    def penalty(self, z, s, gain=1.0):
        if self.s_cardinalities is None:
            return None
        total = group_vs_rest_mmd2(z, s, self.s_cardinalities, self.scales)
        return {"mmd": total}, self.mmd_weight * gain * total


class HSICNetwork(EncoderPredictorNetwork):
    """Encoder and predictor with an HSIC(z, T) penalty (Lopez et al., NeurIPS 2018).

    Loss: CE(P(z), y) + hsic_weight * HSIC_b(z, T), T the numeric encoding of s (one-hot for
    categorical columns, standardised for continuous ones, side by side), Gaussian kernels with
    median-heuristic bandwidths.

    Parameters
    ----------
    dim_t : int or None
        Dimension of T; None: no penalty.
    hsic_weight : float
        Weight of the HSIC term.

    Examples
    --------
    ``s`` enters the penalty as its numeric encoding T (here one-hot):

    >>> import torch
    >>> from fairrep.nn import HSICNetwork
    >>> g = torch.Generator().manual_seed(0)
    >>> X = torch.randn(8, 5, generator=g)
    >>> y = torch.randint(0, 2, (8, 1), generator=g)
    >>> T = torch.nn.functional.one_hot(torch.randint(0, 2, (8,), generator=g), 2)
    >>> net = HSICNetwork(5, 3, [2], dim_t=2, hidden_layer_sizes=(8,))
    >>> net(X).shape
    torch.Size([8, 3])
    >>> sorted(net.loss_terms(X, y, T, generator=g))
    ['hsic', 'loss', 'task']
    """

    def __init__(self, n_features, n_components, n_classes, dim_t=None,
                 hidden_layer_sizes=(50,), hsic_weight=1.0, strength_scaling="none"):
        super().__init__(n_features, n_components, n_classes, hidden_layer_sizes,
                         strength_scaling)
        self.dim_t = dim_t
        self.hsic_weight = hsic_weight

    def penalty(self, z, s, gain=1.0):
        if self.dim_t is None:
            return None
        value = hsic(z, s.to(z.dtype))
        return {"hsic": value}, self.hsic_weight * gain * value
