"""Adversarial Forgetting (Jaiswal et al., AAAI 2020), as a pure PyTorch module.

Notation of the paper (eq. 1)::

    min_{E,F,P,R} max_D  L_y(y, P(z~)) + rho L_x(x, R(z)) + delta L_s(s, D(z~)) + lambda m^T(1 - m)

with z = E(x), m = F(x) in (0, 1)^d, z~ = z * m.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from .._docstrings import fill_doc
from ._base import (InvariantModule, check_strength_scaling, make_mlp, multi_head_cross_entropy,
                    row_uniform, shuffled, task_gain)


#: What the model step minimises for the discriminators (see ``adversary_loss``).
ADVERSARY_LOSSES = ("random_targets", "reversed")


@fill_doc
class AdversarialForgettingNetwork(InvariantModule):
    """Encoder E, decoder R, forget-gates F_j, predictors P_j and discriminators D_j.

    One encoder is shared by ``len(n_classes)`` tasks (the multi-task extension of section 3):
    task j has its own forget-gate, predictor and discriminator.

    Parameters
    ----------
    n_features : int
        Dimension of x.
    n_components : int
        Dimension d of z and of each z~_j.
    n_classes : sequence of int
        Number of classes of each task y_j.
    s_cardinalities : sequence of int or None
        Number of groups of each column of s; None builds no discriminator.
    s_columns : sequence of sequence of int or None
        For each task, the columns of s its discriminator D_j predicts.
    hidden_layer_sizes : tuple of int
        Hidden widths of E, F, P, D (R uses them reversed).
    reconstruction_weight, adversary_weight, mask_weight : float
        rho, delta and lambda of eq. (1).
    precision : float
        q, the precision at which z~ is represented (see :meth:`forget`); 0 is exact.
    finite_precision : {'dither', 'round'}
        How z~ is held at precision q outside training (see :meth:`forget`).
    dither_key : int
        Selects the pseudo-random dither of ``finite_precision='dither'``.
    adversary_loss : {'random_targets', 'reversed'}
        What the model step minimises for D_j. ``'random_targets'`` (the paper, section 3):
        D_j's cross-entropy against random draws of s, whose gradient with respect to D_j's
        logits is D_j(z~) - p(s) and so vanishes once the current D_j outputs the marginal,
        whatever a fresh discriminator could still read. ``'reversed'``: minus D_j's
        cross-entropy on the true s (the gradient-reversal objective), whose gradient
        one-hot(s) - D_j(z~) keeps pointing at the s left in z~.
    adversary_to_encoder : bool
        False (the paper's break between z and the product): D_j's gradient reaches only the
        forget-gate F_j. True: also the encoder E.

    References
    ----------
    %(forgetting_paper)s

    Examples
    --------
    >>> import torch
    >>> from fairrep.nn import AdversarialForgettingNetwork
    >>> g = torch.Generator().manual_seed(0)
    >>> X = torch.randn(8, 5, generator=g)
    >>> y = torch.randint(0, 2, (8, 1), generator=g)
    >>> s = torch.randint(0, 2, (8, 1), generator=g)
    >>> net = AdversarialForgettingNetwork(5, 3, [2], s_cardinalities=[2], s_columns=[[0]],
    ...                                    hidden_layer_sizes=(8,))
    >>> net(X).shape, net.masks(X).shape
    (torch.Size([8, 3]), torch.Size([8, 1, 3]))
    >>> sorted(net.loss_terms(X, y, s, generator=g))
    ['adversary', 'loss', 'mask', 'reconstruction', 'task']
    >>> inputs = net.adversary_inputs(X, generator=g).detach()
    >>> sorted(net.adversary_loss_terms(inputs, s))
    ['discriminator', 'loss']
    """

    def __init__(self, n_features, n_components, n_classes, s_cardinalities=None,
                 s_columns=None, hidden_layer_sizes=(50,), reconstruction_weight=1e-2,
                 adversary_weight=1.0, mask_weight=1e-2, precision=0.0,
                 finite_precision="dither", dither_key=0, strength_scaling="none",
                 adversary_loss="random_targets", adversary_to_encoder=False):
        super().__init__()
        self.strength_scaling = check_strength_scaling(strength_scaling)
        if not isinstance(finite_precision, str) or finite_precision not in ("dither", "round"):
            raise ValueError("finite_precision must be 'dither' or 'round', got "
                             f"{finite_precision!r}.")
        if not isinstance(adversary_loss, str) or adversary_loss not in ADVERSARY_LOSSES:
            raise ValueError(f"adversary_loss must be one of {ADVERSARY_LOSSES}, got "
                             f"{adversary_loss!r}.")
        self.adversary_loss = adversary_loss
        self.adversary_to_encoder = bool(adversary_to_encoder)
        hidden = list(hidden_layer_sizes)
        self.n_components = n_components
        self.n_classes = list(n_classes)
        self.reconstruction_weight = reconstruction_weight
        self.adversary_weight = adversary_weight
        self.mask_weight = mask_weight
        self.precision = precision
        self.finite_precision = finite_precision
        self.dither_key = int(dither_key)
        self.encoder = make_mlp([n_features, *hidden, n_components])
        self.decoder = make_mlp([n_components, *hidden[::-1], n_features])
        self.forget_gates = nn.ModuleList(
            make_mlp([n_features, *hidden, n_components], out_activation=nn.Sigmoid())
            for _ in self.n_classes
        )
        self.predictors = nn.ModuleList(
            make_mlp([n_components, *hidden, k]) for k in self.n_classes
        )
        self.s_cardinalities = None if s_cardinalities is None else list(s_cardinalities)
        if self.s_cardinalities is None:
            self.s_columns = None
            self.discriminators = nn.ModuleList()
        else:
            self.s_columns = [list(cols) for cols in s_columns]
            self.discriminators = nn.ModuleList(
                make_mlp([n_components, *hidden,
                          sum(self.s_cardinalities[c] for c in cols)])
                for cols in self.s_columns
            )

    # -- the representation -------------------------------------------------------------
    def code(self, X):
        """The unmasked code z = E(x)."""
        return self.encoder(X)

    def masks(self, X):
        """Forget masks m_j = F_j(x), stacked to shape (n, n_tasks, d)."""
        return torch.stack([gate(X) for gate in self.forget_gates], dim=1)

    def forget(self, gated, generator=None, X=None):
        """z * m at finite precision q (section 4.2): information below q is lost.

        In training, uniform noise on [-q/2, q/2) (the paper's epsilon) drawn from
        ``generator``. In eval mode with ``finite_precision='dither'``, the same uniform noise,
        but a pseudo-random function of the row of ``X`` (:func:`fairrep.nn._base.row_uniform`
        keyed by ``dither_key``): a row always gets the same z~, and z~ carries what the
        discriminator was trained on. With ``'round'``, z~ rounded to multiples of q, which
        keeps differences the training noise hides (two codes 0.45 and 0.55 apart by q/10
        round to 0 and 1). q = 0 is exact.
        """
        q = self.precision
        if not q:
            return gated
        if self.training:
            noise = torch.rand(gated.shape, generator=generator, device=gated.device,
                               dtype=gated.dtype)
            return gated + (noise - 0.5) * q
        # a module pickled before finite_precision existed keeps rounding
        if getattr(self, "finite_precision", "round") == "round":
            return torch.round(gated / q) * q
        if X is None:
            raise ValueError("forget() in eval mode with finite_precision='dither' needs the "
                             "input rows X: the dither is a function of each row. Pass "
                             "X=..., or use finite_precision='round'.")
        n_columns = gated[0].numel()
        noise = row_uniform(X, n_columns, self.dither_key).to(gated.dtype)
        return gated + (noise.view(gated.shape) - 0.5) * q

    def forward(self, X):
        """The invariant codes z~_j = z * m_j, concatenated over tasks: shape (n, n_tasks*d)."""
        z = self.code(X)
        return self.forget(z.unsqueeze(1) * self.masks(X), X=X).flatten(1)

    def predict_logits(self, X):
        """Logits of each task's predictor P_j(z~_j), a list of (n, n_classes_j) tensors."""
        z_tilde = self.forward(X).unflatten(1, (len(self.n_classes), self.n_components))
        return [p(z_tilde[:, j]) for j, p in enumerate(self.predictors)]

    # -- training --------------------------------------------------------------------------
    def adversary_parameters(self):
        return list(self.discriminators.parameters())

    def _head_cards(self, j):
        return [self.s_cardinalities[c] for c in self.s_columns[j]]

    def loss_terms(self, X, y, s, generator=None):
        """Model-step terms of eq. (1).

        With ``adversary_loss='random_targets'`` the discriminators' targets are random draws
        of s; with ``'reversed'`` the term is minus their cross-entropy on the true s (the
        recorded ``adversary`` is that cross-entropy, positive). With
        ``adversary_to_encoder=False`` the discriminator sees z.detach() * m_j, so its gradient
        reaches only the forget-gates.
        """
        z = self.encoder(X)
        m = self.masks(X)  # (n, T, d)
        z_tilde = self.forget(z.unsqueeze(1) * m, generator, X)
        task_terms = [F.cross_entropy(p(z_tilde[:, j]), y[:, j])
                      for j, p in enumerate(self.predictors)]
        task = sum(task_terms)
        reconstruction = (self.decoder(z) - X).pow(2).sum(dim=1).mean()
        mask = (m * (1 - m)).sum(dim=(1, 2)).mean()
        loss = task + self.reconstruction_weight * reconstruction + self.mask_weight * mask
        terms = {"task": task, "reconstruction": reconstruction, "mask": mask}
        if s is not None and self.s_cardinalities is not None:
            # modules pickled before these options existed keep the paper's objective
            reversed_ = getattr(self, "adversary_loss", "random_targets") == "reversed"
            z_seen = z if getattr(self, "adversary_to_encoder", False) else z.detach()
            targets = s if reversed_ else shuffled(s, generator)
            z_gated = self.forget(z_seen.unsqueeze(1) * m, generator, X)
            heads = [multi_head_cross_entropy(d(z_gated[:, j]), targets[:, self.s_columns[j]],
                                              self._head_cards(j))
                     for j, d in enumerate(self.discriminators)]
            adversary = sum(heads)
            if reversed_:
                heads = [-h for h in heads]
            if getattr(self, "strength_scaling", "none") == "task_gain":
                gains = [task_gain(task_terms[j].detach(), y[:, j], k)
                         for j, k in enumerate(self.n_classes)]
                weighted = sum(g * h for g, h in zip(gains, heads))
                terms["task_gain"] = sum(gains) / len(gains)
            else:
                weighted = sum(heads)
            loss = loss + self.adversary_weight * weighted
            terms["adversary"] = adversary
        terms["loss"] = loss
        return terms

    def adversary_inputs(self, X, generator=None):
        """The discriminators' inputs z~_j, without gradient to the model: shape (n, T, d)."""
        return self.forget(self.encoder(X).unsqueeze(1) * self.masks(X), generator, X)

    def adversary_loss_terms(self, inputs, s):
        """Discriminator step: predict the true s from z~."""
        loss = sum(
            multi_head_cross_entropy(d(inputs[:, j]), s[:, self.s_columns[j]],
                                     self._head_cards(j))
            for j, d in enumerate(self.discriminators)
        )
        return {"discriminator": loss, "loss": loss}
