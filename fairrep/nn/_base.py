"""The protocol every method network follows, and small shared layers.

The protocol and the layers were first written for the networks of Adversarial Forgetting
(Jaiswal et al., AAAI 2020; full reference in :class:`~fairrep.nn.AdversarialForgettingNetwork`)
and Information Dropout (Achille & Soatto, TPAMI 2018; in :mod:`fairrep.nn.information_dropout`);
every network of :mod:`fairrep.nn` follows them.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F


class _OneValueSafe:
    """Batch normalisation that uses its running statistics when a training batch holds a
    single value per channel (one row, or one row of 1x1 maps), where batch statistics are
    undefined (the last batch of an epoch, or a population's rows in a batch, can be one
    row)."""

    def forward(self, x):
        if self.training and x.numel() == x.shape[1]:
            return F.batch_norm(x, self.running_mean, self.running_var, self.weight,
                                self.bias, False, 0.0, self.eps)
        return super().forward(x)


class BatchNorm1d(_OneValueSafe, nn.BatchNorm1d):
    """:class:`torch.nn.BatchNorm1d` that also trains on a batch of one row (running
    statistics then)."""


class BatchNorm2d(_OneValueSafe, nn.BatchNorm2d):
    """:class:`torch.nn.BatchNorm2d` that also trains on one row of 1x1 maps (running
    statistics then)."""


def make_mlp(sizes, activation=nn.ReLU, out_activation=None):
    """A multi-layer perceptron ``Linear-act-...-Linear[-out_activation]``.

    Parameters
    ----------
    sizes : sequence of int
        Layer widths, input first and output last (at least two entries).
    activation : type of nn.Module
        Hidden activation.
    out_activation : nn.Module or None
        Applied after the last linear layer.

    Examples
    --------
    >>> import torch
    >>> from fairrep.nn import make_mlp
    >>> mlp = make_mlp([5, 16, 2], out_activation=torch.nn.Softmax(dim=1))
    >>> mlp
    Sequential(
      (0): Linear(in_features=5, out_features=16, bias=True)
      (1): ReLU()
      (2): Linear(in_features=16, out_features=2, bias=True)
      (3): Softmax(dim=1)
    )
    >>> mlp(torch.zeros(3, 5)).shape
    torch.Size([3, 2])
    """
    sizes = list(sizes)
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(sizes) - 2:
            layers.append(activation())
    if out_activation is not None:
        layers.append(out_activation)
    return nn.Sequential(*layers)


def multi_head_cross_entropy(logits, targets, cardinalities):
    """Sum of cross-entropies of several categorical heads packed side by side.

    Parameters
    ----------
    logits : Tensor of shape (n, sum(cardinalities))
    targets : LongTensor of shape (n, n_heads)
    cardinalities : sequence of int
        Number of classes of each head.

    Examples
    --------
    Two heads, with 2 and 3 classes; uniform logits cost log 2 + log 3:

    >>> import torch
    >>> from fairrep.nn import multi_head_cross_entropy
    >>> logits = torch.zeros(4, 5)
    >>> targets = torch.tensor([[0, 2], [1, 0], [1, 1], [0, 2]])
    >>> round(float(multi_head_cross_entropy(logits, targets, [2, 3])), 4)
    1.7918
    """
    loss = logits.new_zeros(())
    start = 0
    for j, k in enumerate(cardinalities):
        loss = loss + F.cross_entropy(logits[:, start:start + k], targets[:, j])
        start += k
    return loss


class InvariantModule(nn.Module):
    """Base class of the network of a fairrep method.

    The training loop (:class:`fairrep._training.InvariantNet`) relies only on this protocol:

    - ``forward(X)`` returns the representation that ``transform`` exposes;
    - ``loss_terms(X, y, s, generator)`` returns a dict of scalar tensors, the total under
      ``"loss"`` and each (unweighted) component under its own name; ``y`` is a LongTensor of
      shape (n, n_tasks) or None, ``s`` a LongTensor (n, n_s_columns) or None (no invariance
      term); ``generator`` is the ``torch.Generator`` to draw any randomness from;
    - ``adversary_parameters()`` lists the parameters updated by the adversary optimizer
      (empty for methods without an adversary); every other parameter belongs to the model;
    - ``adversary_inputs(X, generator)`` and ``adversary_loss_terms(inputs, s)`` define the
      adversary's own update, run ``adversary_steps`` times per model update on the same
      batch with the inputs computed once (they carry no gradient to the model).

    Examples
    --------
    Every network of :mod:`fairrep.nn` follows the protocol:

    >>> import torch
    >>> from fairrep.nn import InvariantModule, MMDNetwork
    >>> g = torch.Generator().manual_seed(0)
    >>> X = torch.randn(8, 5, generator=g)
    >>> y = torch.randint(0, 2, (8, 1), generator=g)
    >>> s = torch.randint(0, 2, (8, 1), generator=g)
    >>> net = MMDNetwork(5, 3, [2], s_cardinalities=[2], hidden_layer_sizes=(8,))
    >>> isinstance(net, InvariantModule)
    True
    >>> net(X).shape
    torch.Size([8, 3])
    >>> sorted(net.loss_terms(X, y, s, generator=g))
    ['loss', 'mmd', 'task']
    >>> net.adversary_parameters()
    []
    """

    def adversary_parameters(self):
        return []

    def model_parameters(self):
        adversary = {id(p) for p in self.adversary_parameters()}
        return [p for p in self.parameters() if id(p) not in adversary]

    def predict_logits(self, X):
        """Logits of each target column, a list of (n, n_classes_j) tensors: here each module
        of ``self.predictors`` on the representation ``forward(X)``. A network whose
        predictors read something else overrides this; one without predictors raises
        NotImplementedError."""
        if not hasattr(self, "predictors"):  # pragma: no cover - no classifier's module
            raise NotImplementedError(f"{type(self).__name__} has no predictors")
        z = self.forward(X)
        return [p(z) for p in self.predictors]

    def loss_terms(self, X, y, s, generator=None):  # pragma: no cover - abstract
        raise NotImplementedError

    def adversary_inputs(self, X, generator=None):
        raise NotImplementedError(f"{type(self).__name__} has no adversary")

    def adversary_loss_terms(self, inputs, s):
        raise NotImplementedError(f"{type(self).__name__} has no adversary")


def shuffled(t, generator=None):
    """Rows of ``t`` in a random order: a draw from the batch's empirical distribution."""
    perm = torch.randperm(t.shape[0], generator=generator, device=t.device)
    return t[perm]


_MASK32 = 0xFFFFFFFF


def _mix32(h):
    """A 32-bit integer hash (xor-shift-multiply) of each element of an int64 tensor."""
    h = h & _MASK32
    h = (((h >> 16) ^ h) * 0x45D9F3B) & _MASK32
    h = (((h >> 16) ^ h) * 0x45D9F3B) & _MASK32
    return (h >> 16) ^ h


def row_uniform(X, n_columns, key=0):
    """Pseudo-random numbers in [0, 1) that are a fixed function of each row of ``X``.

    Row i of the result depends only on the bits of row i of ``X`` (as float32), its column
    index and ``key``: the same row gets the same numbers whatever batch, order or device it
    is computed in, while numbers of different rows (or columns) look independent. Integer
    arithmetic only, so CPU and GPU agree exactly.

    Parameters
    ----------
    X : Tensor of shape (n, ...)
    n_columns : int
    key : int
        Selects one of 2**32 such functions.

    Returns
    -------
    Tensor of shape (n, n_columns), the dtype of ``X`` (float32 for integer input).
    """
    dtype = X.dtype if X.is_floating_point() else torch.float32
    bits = X.reshape(X.shape[0], -1).to(torch.float32).view(torch.int32).to(torch.int64)
    position = torch.arange(bits.shape[1], device=X.device, dtype=torch.int64)
    # sum of 32-bit hashes of (feature bits, position): < 2**32 per feature, no overflow
    row = _mix32(bits ^ _mix32(position * 0x9E3779B9 + key)).sum(dim=1)
    row = _mix32(row ^ (row >> 32))
    column = _mix32(torch.arange(n_columns, device=X.device, dtype=torch.int64) + key + 1)
    return (_mix32(row[:, None] ^ column[None, :]).to(torch.float64) / 2.0**32).to(dtype)


_LOG_2PI = math.log(2 * math.pi)


def gaussian_kl(mean, std):
    """KL(N(mean, std^2) || N(0, I)) summed over the last dimension."""
    return 0.5 * (mean.pow(2) + std.pow(2) - 1).sum(-1) - torch.log(std).sum(-1)


def standard_normal_log_prob(x):
    """log N(x; 0, I) summed over the last dimension."""
    return -0.5 * (x.pow(2) + _LOG_2PI).sum(-1)


#: How an invariance term's weight is applied: 'none' (fixed, as in the papers) or
#: 'task_gain' (times :func:`task_gain` of the batch).
STRENGTH_SCALINGS = ("none", "task_gain")


def check_strength_scaling(value):
    if not isinstance(value, str) or value not in STRENGTH_SCALINGS:
        raise ValueError(f"strength_scaling must be 'none' or 'task_gain', got {value!r}.")
    return value


def task_gain(task_loss, labels, n_classes):
    """(H(y) - L_y) / H(y) on a batch, clipped to [0, 1]: the share of the labels' entropy
    that the predictor explains.

    1 for a perfect predictor, 0 for one no better than the class shares (H(y) is the
    entropy of the batch's label shares; 0 for a one-class batch). Not in any of the papers:
    fairrep scales an invariance term by it (``strength_scaling='task_gain'``) so that the
    term's pull vanishes as the predictor approaches the class shares, and the fit settles
    where task and invariance balance instead of at the constant predictor.

    Parameters
    ----------
    task_loss : Tensor of shape ()
        The batch's mean cross-entropy of one target column (detach it first).
    labels : LongTensor of shape (n,)
        That column's class codes.
    n_classes : int

    Examples
    --------
    >>> import torch
    >>> from fairrep.nn import task_gain
    >>> labels = torch.tensor([0, 0, 1, 1])
    >>> float(task_gain(torch.tensor(0.0), labels, 2))  # a perfect predictor
    1.0
    >>> float(task_gain(torch.log(torch.tensor(2.0)), labels, 2))  # the class shares
    0.0
    """
    counts = torch.bincount(labels, minlength=n_classes).to(task_loss.dtype)
    shares = counts / counts.sum()
    entropy = -(shares * torch.log(shares.clamp_min(1e-12))).sum()
    if entropy <= 1e-6:
        return torch.zeros((), dtype=task_loss.dtype, device=task_loss.device)
    return ((entropy - task_loss) / entropy).clamp(0.0, 1.0)


def mean_task_gain(head_losses, labels, n_classes):
    """:func:`task_gain` averaged over target columns: ``head_losses[j]`` is column j's
    cross-entropy (detached here), ``labels[:, j]`` its codes."""
    gains = [task_gain(h.detach(), labels[:, j], k)
             for j, (h, k) in enumerate(zip(head_losses, n_classes))]
    return sum(gains) / len(gains)


def scaled_strength(module, strength, head_losses, labels, n_classes, terms):
    """``strength`` as a batch applies it: times :func:`mean_task_gain` when the module's
    ``strength_scaling`` is 'task_gain' (the gain is then recorded as ``terms['task_gain']``),
    unchanged otherwise (and for a module pickled before ``strength_scaling`` existed)."""
    if getattr(module, "strength_scaling", "none") != "task_gain":
        return strength
    gain = mean_task_gain(head_losses, labels, n_classes)
    terms["task_gain"] = gain
    return strength * gain


def head_cross_entropies(logits, targets, cardinalities):
    """The cross-entropy of each categorical head packed side by side (a list; their sum is
    :func:`multi_head_cross_entropy`)."""
    losses, start = [], 0
    for j, k in enumerate(cardinalities):
        losses.append(F.cross_entropy(logits[:, start:start + k], targets[:, j]))
        start += k
    return losses
