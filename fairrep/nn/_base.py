"""The protocol every method network follows, and small shared layers."""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F


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
    - ``adversary_inputs(X, generator)`` and ``adversary_loss_terms(inputs, s)`` define the adversary's
      own update, run ``adversary_steps`` times per model update on the same batch with the
      inputs computed once (they carry no gradient to the model).
    """

    def adversary_parameters(self):
        return []

    def model_parameters(self):
        adversary = {id(p) for p in self.adversary_parameters()}
        return [p for p in self.parameters() if id(p) not in adversary]

    def predict_logits(self, X):  # pragma: no cover - implemented by classifiers' modules
        raise NotImplementedError

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


_LOG_2PI = math.log(2 * math.pi)


def gaussian_kl(mean, std):
    """KL(N(mean, std^2) || N(0, I)) summed over the last dimension."""
    return 0.5 * (mean.pow(2) + std.pow(2) - 1).sum(-1) - torch.log(std).sum(-1)


def standard_normal_log_prob(x):
    """log N(x; 0, I) summed over the last dimension."""
    return -0.5 * (x.pow(2) + _LOG_2PI).sum(-1)
