"""Scalable infomin (Chen, Sun, Li & Weller, NeurIPS 2022), as pure PyTorch parts.

Infomin learning solves::

    min_f  L(f(X), Y) + beta * I(f(X); T)

The paper replaces I(Z; T), Z = f(X), by a sliced proxy whose estimate has a closed form::

    SI(Z; T) ~= sup_{i, j} sup_{h_i, g_j} rho(h_i(theta_i^T Z), g_j(phi_j^T T))

with slices theta_i, phi_j drawn uniformly on the unit spheres of Z's and T's dimensions,
h_i, g_j one-dimensional polynomials of the (tanh-squashed) projections, and rho Pearson's
correlation. For polynomial h, g the inner sup is a linear CCA of the polynomial features
[a, a^2, ..., a^degree], solved analytically per slice pair; or, as the authors' code does
(``joint=True``), one CCA over the features of all slices together, which finds
h(Z) = sum_i h_i(theta_i^T Z) and g(T) = sum_j g_j(phi_j^T T). The training loop alternates:

- *max step* (:func:`fit_slices`, no gradient): draw S slice pairs and solve the S CCAs on one
  half of a batch; the held-out half gives the estimate of SI (as in the reference code);
- *min steps* (:func:`sliced_correlations`): with the slices and CCA weights held constant,
  SI(Z; T) is a differentiable function of Z.

:class:`HGRNetwork` is the neural Renyi (Hirschfeld-Gebelein-Renyi) baseline: two networks
f(Z), g(T) trained by gradient ascent on their correlation, which estimates the maximal
correlation rho*(Z; T) = sup_{f, g} rho(f(Z), g(T)) (Renyi 1959; the neural estimator of Grari
et al. 2020).

References
----------
Y. Chen, W. Sun, Y. Li and A. Weller, "Scalable infomin learning",
NeurIPS 2022.

A. Rényi, "On measures of dependence", Acta Mathematica Academiae
Scientiarum Hungarica 10, 1959.

V. Grari, B. Ruf, S. Lamprier and M. Detyniecki, "Fairness-aware neural
Rényi minimization for continuous features", IJCAI 2020.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from ._base import (InvariantModule, check_strength_scaling, head_cross_entropies, make_mlp,
                    scaled_strength)

#: Ridge added to both covariance matrices of every CCA (the reference's r1 = r2 = 1e-3).
CCA_RIDGE = 1e-3
_EPS = 1e-8


@dataclass
class SliceSolution:
    """Constants of one max step: S slice pairs and their CCA weights.

    Attributes
    ----------
    theta : Tensor of shape (S, d_z)
        Slices of Z, rows on the unit sphere.
    phi : Tensor of shape (S, d_t)
        Slices of T, rows on the unit sphere.
    w_z, w_t : Tensor of shape (S, degree)
        Top canonical directions of each slice pair's polynomial features (h_i and g_j).
    train_corr : Tensor of shape (S,)
        Top canonical correlation of each slice pair on the half the CCA was fitted on.
    heldout_corr : Tensor of shape (S,)
        |rho| of each slice pair on the other half; ``heldout_corr.max()`` estimates SI.
    joint : bool
        True when one CCA was solved over the features of all S slices together
        (``fit_slices(..., joint=True)``): ``w_z`` and ``w_t`` are then one canonical pair,
        read as h(Z) = sum_i h_i(theta_i^T Z), and both correlations have shape (1,).
    whiten : bool
        True when Z was whitened (:func:`whiten`) rather than standardised column by column
        before slicing (``fit_slices(..., whiten=True)``); the min step must do the same.
    """

    theta: torch.Tensor
    phi: torch.Tensor
    w_z: torch.Tensor
    w_t: torch.Tensor
    train_corr: torch.Tensor
    heldout_corr: torch.Tensor
    joint: bool = False
    whiten: bool = False

    @property
    def estimate(self):
        """The max step's held-out estimate of SI(Z; T): the sup over slice pairs."""
        return self.heldout_corr.max()


def standardize(x):
    """Columns of ``x`` centred and scaled to unit variance (constant columns stay 0).

    The scale is sqrt(variance + eps^2), not sqrt(variance) + eps (the same floor): the
    square root's gradient is infinite at 0, and a column that a strong penalty has made
    constant (dead units) would turn every gradient into NaN.
    """
    centred = x - x.mean(dim=0, keepdim=True)
    return centred / (centred.pow(2).mean(dim=0, keepdim=True) + _EPS ** 2).sqrt()


def whiten(x, rel_eps=1e-5):
    """Rows of ``x`` centred and whitened: sample covariance I (Cholesky whitening).

    ``x L^-T`` with L L^T the covariance of ``x`` plus ``rel_eps`` times its mean variance on
    the diagonal (so a constant or collinear column does not blow up). Differentiable in
    ``x``; all NaN when ``x`` is not finite. Unlike :func:`standardize`, no direction of the
    data keeps a small variance: a dependence on T carried by a low-variance direction of Z
    is as visible to the random slices as one carried by the dominant direction.

    Examples
    --------
    >>> import torch
    >>> from fairrep.nn.sliced import whiten
    >>> x = torch.randn(500, 3, generator=torch.Generator().manual_seed(0))
    >>> x = x @ torch.tensor([[1.0, 0.5, 0.0], [0.0, 0.5, 0.0], [0.0, 0.0, 2.0]])
    >>> w = whiten(x)
    >>> bool(torch.allclose(w.T @ w / 499, torch.eye(3), atol=1e-2))
    True
    """
    centred = x - x.mean(dim=0, keepdim=True)
    n, d = x.shape
    cov = centred.T @ centred / max(n - 1, 1)
    jitter = rel_eps * cov.diagonal().mean().clamp_min(_EPS)
    chol, info = torch.linalg.cholesky_ex(
        cov + jitter * torch.eye(d, dtype=x.dtype, device=x.device))
    white = torch.linalg.solve_triangular(chol, centred.T, upper=False).T
    # non-finite x (a diverging encoder): NaN, not an error, so the trainer's divergence
    # check names the loss term; no host sync on the happy path
    return torch.where(info == 0, white, float("nan"))


def pearson(a, b, dim=-1):
    """Pearson correlation of ``a`` and ``b`` along ``dim`` (0 where either is constant;
    finite gradient there too: see :func:`standardize`)."""
    a = a - a.mean(dim=dim, keepdim=True)
    b = b - b.mean(dim=dim, keepdim=True)
    cov = (a * b).sum(dim=dim)
    return cov / (a.pow(2).sum(dim=dim) * b.pow(2).sum(dim=dim) + _EPS ** 2).sqrt()


def sample_sphere(n, dim, generator=None, device=None, dtype=torch.float32):
    """``n`` directions drawn uniformly on the unit sphere of R^dim: shape (n, dim)."""
    v = torch.randn(n, dim, generator=generator, device=device, dtype=dtype)
    return v / v.norm(dim=1, keepdim=True).clamp_min(_EPS)


def polynomial_features(x, slices, degree):
    """Features of every slice: [a, a^2, ..., a^degree] with a = tanh(slice^T x).

    Parameters
    ----------
    x : Tensor of shape (n, d)
        Standardised data.
    slices : Tensor of shape (S, d)
    degree : int

    Returns
    -------
    features : Tensor of shape (S, degree, n)
        Powers by repeated products, laid out so that each slice's covariance is one
        contiguous matrix product (about 3x faster on CPU than (S, n, degree)).
    """
    a = torch.tanh(slices @ x.T)  # (S, n)
    powers = [a]
    for _ in range(degree - 1):
        powers.append(powers[-1] * a)
    return torch.stack(powers, dim=1)


def slice_polynomial(x, slices, weights):
    """``h_i(slice_i^T x) = sum_p weights[i, p-1] * tanh(slice_i^T x)^p`` for every slice.

    Horner's rule on the (S, n) projections: the same values as weighting
    :func:`polynomial_features`, without building the (S, degree, n) features.

    Parameters
    ----------
    x : Tensor of shape (n, d)
    slices : Tensor of shape (S, d)
    weights : Tensor of shape (S, degree)

    Returns
    -------
    values : Tensor of shape (S, n)
    """
    a = torch.tanh(slices @ x.T)  # (S, n)
    h = weights[:, -1:].expand_as(a)
    for p in range(weights.shape[1] - 2, -1, -1):
        h = weights[:, p:p + 1] + a * h
    return a * h


def _inv_sqrt(cov):
    """C^{-1/2} of a batch of symmetric positive definite matrices (S, k, k)."""
    eigval, eigvec = torch.linalg.eigh(cov)
    return (eigvec * eigval.clamp_min(_EPS).rsqrt().unsqueeze(-2)) @ eigvec.transpose(-1, -2)


def batched_cca(fz, ft, ridge=CCA_RIDGE):
    """Top canonical pair of each of S CCAs, in closed form.

    With covariances C_zz + ridge I, C_tt + ridge I and C_zt of the features, the top
    singular pair (u, v, sigma) of K = C_zz^{-1/2} C_zt C_tt^{-1/2} gives the canonical
    directions w_z = C_zz^{-1/2} u, w_t = C_tt^{-1/2} v and correlation sigma.

    Parameters
    ----------
    fz, ft : Tensor of shape (S, k, n)
        Features of the S slice pairs (the layout of :func:`polynomial_features`).

    Returns
    -------
    w_z, w_t : Tensor of shape (S, k)
    corr : Tensor of shape (S,)
    """
    n = fz.shape[2]
    fz = fz - fz.mean(dim=2, keepdim=True)
    ft = ft - ft.mean(dim=2, keepdim=True)
    scale = 1.0 / max(n - 1, 1)

    def ridged(c):
        return c + ridge * torch.eye(c.shape[-1], device=c.device, dtype=c.dtype)

    czz_is = _inv_sqrt(ridged(scale * fz @ fz.transpose(1, 2)))
    ctt_is = _inv_sqrt(ridged(scale * ft @ ft.transpose(1, 2)))
    czt = scale * fz @ ft.transpose(1, 2)
    u, sigma, vh = torch.linalg.svd(czz_is @ czt @ ctt_is)
    w_z = (czz_is @ u[:, :, :1]).squeeze(-1)
    w_t = (ctt_is @ vh.transpose(1, 2)[:, :, :1]).squeeze(-1)
    return w_z, w_t, sigma[:, 0]


def slice_correlations(z, t, theta, phi, w_z, w_t, degree, joint=False, whiten=False):
    """``|rho(h_i(theta_i^T z), g_i(phi_i^T t))|`` of every slice pair: shape (S,).

    Differentiable in ``z`` (and ``t``); ``z`` and ``t`` are standardised over the batch first
    (``z`` whitened with ``whiten=True``, see :func:`whiten`). ``degree`` is the number of
    columns of ``w_z`` and ``w_t``. With ``joint=True`` the slices are summed first,
    ``|rho(sum_i h_i(theta_i^T z), sum_i g_i(phi_i^T t))|``: shape (1,).
    """
    if w_z.shape[1] != degree or w_t.shape[1] != degree:
        raise ValueError(f"w_z and w_t must have degree={degree} columns, got "
                         f"{w_z.shape[1]} and {w_t.shape[1]}.")
    hz = slice_polynomial(_normalise_z(z, whiten), theta, w_z)  # (S, n)
    gt = slice_polynomial(standardize(t), phi, w_t)
    if joint:
        hz, gt = hz.sum(dim=0, keepdim=True), gt.sum(dim=0, keepdim=True)
    return pearson(hz, gt).abs()


def fit_slices(z, t, n_slices, degree, generator=None, ridge=CCA_RIDGE, joint=False,
               whiten=False):
    """Max step: draw S slice pairs and solve their CCAs on one half of the batch.

    The rows are split into two halves in a random order drawn from ``generator``; the CCA
    weights are fitted on the first and the correlation of every slice pair is evaluated on
    the second. Runs without gradient; every returned tensor is a constant.

    With ``joint=True`` one CCA is solved between the features of all S slices of Z
    (S * degree columns) and those of T, as the authors' code does: h(Z) =
    sum_i h_i(theta_i^T Z) is a combination of S * degree random features, a much richer
    class than one slice's polynomial, at the cost of one (S * degree)-square CCA. The rows
    of the fitted half should well outnumber S * degree, or the CCA fits noise.

    Z is standardised column by column before slicing, or with ``whiten=True`` whitened
    (:func:`whiten`). Standardising leaves the covariance of Z's columns in place: a
    representation whose variance lies along one direction (common for a trained encoder)
    projects onto every random slice mostly along that direction, tanh saturates on it, and a
    dependence on T carried by a low-variance direction goes unseen; an encoder trained
    against the estimator can learn to put it there. Whitening removes that blind spot (SI
    of a whitened Z is the SI of an invertible linear map of Z).

    Parameters
    ----------
    z : Tensor of shape (n, d_z)
        Representation Z (n >= 4).
    t : Tensor of shape (n, d_t)
        The variable T to be independent of (one-hot or standardised columns).
    n_slices : int
        S, the number of slice pairs (theta_i, phi_i).
    degree : int
        Degree of the polynomials h_i, g_i.
    generator : torch.Generator or None
    ridge : float
        Added to the diagonal of both feature covariances.
    joint : bool
        One CCA over all slices' features instead of one per slice pair.
    whiten : bool
        Whiten Z instead of standardising its columns.

    Returns
    -------
    SliceSolution

    Examples
    --------
    >>> import torch
    >>> from fairrep.nn import fit_slices
    >>> g = torch.Generator().manual_seed(0)
    >>> z = torch.randn(64, 3, generator=g)
    >>> t = z[:, :1] ** 3
    >>> solution = fit_slices(z, t, n_slices=10, degree=3, generator=g)
    >>> solution.theta.shape, solution.phi.shape, solution.heldout_corr.shape
    (torch.Size([10, 3]), torch.Size([10, 1]), torch.Size([10]))
    """
    with torch.no_grad(), _full_precision(z):
        z = _at_least_float32(z.detach())
        t = t.detach().to(z.dtype)
        n = z.shape[0]
        order = torch.randperm(n, generator=generator, device=z.device)
        fit_rows, eval_rows = order[: n // 2], order[n // 2:]
        theta = sample_sphere(n_slices, z.shape[1], generator, z.device, z.dtype)
        phi = sample_sphere(n_slices, t.shape[1], generator, z.device, z.dtype)
        z_fit, t_fit = z[fit_rows], t[fit_rows]
        # standardise with the fitted half's statistics, as the min step standardises its batch
        z_norm = _normalise_z(z_fit, whiten)
        if not bool(torch.isfinite(z_norm).all()):
            # a diverging encoder: NaN constants make the min step's SI NaN, which the
            # trainer reports by name (the CCA's eigendecomposition would raise instead)
            nan = torch.full((n_slices, degree), float("nan"), dtype=z.dtype, device=z.device)
            corr = nan[:1, 0] if joint else nan[:, 0]
            return SliceSolution(theta, phi, nan, nan, corr, corr, joint, whiten)
        fz = polynomial_features(z_norm, theta, degree)
        ft = polynomial_features(standardize(t_fit), phi, degree)
        if joint:  # one CCA of the (S * degree)-column features
            fz, ft = fz.reshape(1, -1, fz.shape[2]), ft.reshape(1, -1, ft.shape[2])
        w_z, w_t, corr = batched_cca(fz, ft, ridge)
        w_z, w_t = w_z.reshape(n_slices, degree), w_t.reshape(n_slices, degree)
        heldout = slice_correlations(z[eval_rows], t[eval_rows], theta, phi, w_z, w_t, degree,
                                     joint, whiten)
    return SliceSolution(theta, phi, w_z, w_t, corr, heldout, joint, whiten)


def sliced_information(z, t, solution, degree, reduction="max"):
    """Min step: SI(Z; T) with the max step's slices and CCA weights held constant.

    Returns the sup (``reduction='max'``, the paper's estimate) or the mean
    (``reduction='mean'``) over slice pairs of ``|rho(h_i(theta_i^T z), g_i(phi_i^T t))|`` on this
    batch, a scalar in [0, 1] through which the gradient reaches ``z``.

    Examples
    --------
    >>> import torch
    >>> from fairrep.nn import fit_slices, sliced_information
    >>> g = torch.Generator().manual_seed(0)
    >>> z = torch.randn(64, 3, generator=g, requires_grad=True)
    >>> t = z.detach()[:, :1] ** 3
    >>> solution = fit_slices(z, t, n_slices=10, degree=3, generator=g)
    >>> si = sliced_information(z, t, solution, degree=3)
    >>> si.shape, bool(0 <= si <= 1), si.requires_grad
    (torch.Size([]), True, True)
    """
    with _full_precision(z):
        z = _at_least_float32(z)
        corr = slice_correlations(z, t.to(z.dtype), solution.theta.to(z.dtype),
                                  solution.phi.to(z.dtype), solution.w_z.to(z.dtype),
                                  solution.w_t.to(z.dtype), degree, solution.joint,
                                  getattr(solution, "whiten", False))
    return corr.max() if reduction == "max" else corr.mean()


def _normalise_z(z, whiten_z):
    return whiten(z) if whiten_z else standardize(z)


def _full_precision(x):
    """Autocast off: the CCA whitening (eigh) and the correlations need float32 or more."""
    return torch.autocast(x.device.type, enabled=False)


def _at_least_float32(x):
    return x.float() if x.dtype in (torch.float16, torch.bfloat16) else x


class HGRNetwork(nn.Module):
    """Neural Renyi / HGR maximal correlation: rho(f(Z), g(T)) for two MLPs f and g.

    rho*(Z; T) = sup_{f, g} rho(f(Z), g(T)) (Hirschfeld-Gebelein-Renyi). f and g each map to
    one dimension and are trained by gradient *ascent* on the Pearson correlation of their
    outputs over a batch: the normalised-correlation objective of the definition (not the
    soft-HGR surrogate, whose trace penalty matters only for multi-dimensional f, g).

    Parameters
    ----------
    dim_z, dim_t : int
        Dimensions of Z and T.
    hidden_layer_sizes : tuple of int, default=(200,)

    Examples
    --------
    >>> import torch
    >>> from fairrep.nn import HGRNetwork
    >>> g = torch.Generator().manual_seed(0)
    >>> z = torch.randn(32, 3, generator=g)
    >>> t = torch.randn(32, 2, generator=g)
    >>> rho = HGRNetwork(dim_z=3, dim_t=2, hidden_layer_sizes=(8,))(z, t)
    >>> rho.shape, bool(rho.abs() <= 1)
    (torch.Size([]), True)
    """

    def __init__(self, dim_z, dim_t, hidden_layer_sizes=(200,)):
        super().__init__()
        self.f = make_mlp([dim_z, *hidden_layer_sizes, 1])
        self.g = make_mlp([dim_t, *hidden_layer_sizes, 1])

    def forward(self, z, t):
        """rho(f(z), g(t)) over the batch (signed; f, g can flip the sign at will)."""
        return pearson(self.f(z).squeeze(-1), self.g(t.to(z.dtype)).squeeze(-1))


class SlicedInfominNetwork(InvariantModule):
    """Encoder f, a task head, and the estimator of the dependence between Z = f(X) and T.

    Loss of the min (model) step::

        L(f(X), Y) + beta * SI(f(X); T)

    (beta on the dependence term, as on the slides; the authors' code puts it on L.)

    with L the cross-entropy of a predictor on Z (summed over tasks), or, without ``y``, the
    squared reconstruction error of X from Z (summed over features, averaged over rows).

    Parameters
    ----------
    n_features : int
        Dimension of x.
    n_components : int
        Dimension of Z.
    n_classes : sequence of int or None
        Classes of each target column; None builds a decoder (unsupervised mode).
    dim_t : int or None
        Dimension of T (one-hot / standardised s); None: no dependence term.
    hidden_layer_sizes : tuple of int
        Hidden widths of the encoder, the predictors and (reversed) the decoder.
    beta : float
        beta, the weight of the dependence term.
    n_slices : int
        S, slice pairs drawn at each max step.
    degree : int
        Degree of the polynomial features.
    max_step_every : int
        Min steps per max step: the slices are redrawn and the CCAs re-solved on the current
        batch every ``max_step_every`` training batches. 0: never in ``loss_terms``; the
        trainer calls :meth:`max_step` itself (on rows drawn from the training set).
    estimator : {'slice', 'renyi'}
        'slice': the sliced proxy, solved analytically; 'renyi': a neural HGR adversary
        (:class:`HGRNetwork`) trained by the adversary optimizer.
    adversary_hidden : tuple of int
        Hidden widths of f and g of the Renyi adversary.
    reduction : {'mean', 'max'}
        How the min step combines the S slice pairs' correlations. The paper's estimate is the
        sup ('max'); the default 'mean' averages them, which spreads the gradient over every
        slice instead of the single (noisiest) best one and removed far more of s on the
        synthetic and Adult data (see tests/test_sliced_infomin.py). SI in ``history`` is
        then the mean over slices.
    cca : {'per_slice', 'joint'}
        'per_slice': one CCA per slice pair (S estimates, combined by ``reduction``).
        'joint': one CCA between the features of all S slices of Z and of T, as the
        authors' code solves it; SI is then that single canonical correlation of
        h(Z) = sum_i h_i(theta_i^T Z) and g(T) = sum_j g_j(phi_j^T T).
    whiten : bool
        Whiten Z (:func:`whiten`) before slicing, in both steps, instead of standardising
        its columns (see :func:`fit_slices`).
    predictor_hidden : tuple of int or None
        Hidden widths of the predictors; None: ``hidden_layer_sizes``; ``()``: one linear
        layer on Z.
    strength_scaling : {'none', 'task_gain'}
        'task_gain': beta of each batch times :func:`fairrep.nn.task_gain` of the predictor
        (the mean over target columns, detached); without ``n_classes`` (reconstruction)
        beta is used as given.

    Examples
    --------
    >>> import torch
    >>> from fairrep.nn import SlicedInfominNetwork
    >>> g = torch.Generator().manual_seed(0)
    >>> X = torch.randn(8, 5, generator=g)
    >>> y = torch.randint(0, 2, (8, 1), generator=g)
    >>> T = torch.nn.functional.one_hot(torch.randint(0, 2, (8,), generator=g), 2)
    >>> net = SlicedInfominNetwork(5, 3, n_classes=[2], dim_t=2, hidden_layer_sizes=(8,),
    ...                            n_slices=5)
    >>> net(X).shape
    torch.Size([8, 3])
    >>> sorted(net.loss_terms(X, y, T, generator=g))
    ['loss', 'si', 'task']

    Without ``n_classes`` the task is to reconstruct X; the Renyi estimator adds an adversary:

    >>> net = SlicedInfominNetwork(5, 3, dim_t=2, hidden_layer_sizes=(8,), estimator="renyi",
    ...                            adversary_hidden=(8,))
    >>> sorted(net.loss_terms(X, None, T, generator=g))
    ['hgr', 'loss', 'reconstruction']
    """

    def __init__(self, n_features, n_components, n_classes=None, dim_t=None,
                 hidden_layer_sizes=(100,), beta=1.0, n_slices=100, degree=3,
                 max_step_every=1, estimator="slice", adversary_hidden=(200,),
                 reduction="mean", cca="per_slice", whiten=False, predictor_hidden=None,
                 strength_scaling="none"):
        super().__init__()
        self.strength_scaling = check_strength_scaling(strength_scaling)
        hidden = list(hidden_layer_sizes)
        predictor_hidden = hidden if predictor_hidden is None else list(predictor_hidden)
        self.n_classes = None if n_classes is None else list(n_classes)
        self.dim_t = dim_t
        self.beta = beta
        self.n_slices = n_slices
        self.degree = degree
        self.max_step_every = max_step_every
        self.estimator = estimator
        self.reduction = reduction
        self.cca = cca
        self.whiten = whiten
        self.encoder = make_mlp([n_features, *hidden, n_components])
        if self.n_classes is None:
            self.decoder = make_mlp([n_components, *hidden[::-1], n_features])
            self.predictors = nn.ModuleList()
        else:
            self.decoder = None
            self.predictors = nn.ModuleList(make_mlp([n_components, *predictor_hidden, k])
                                            for k in self.n_classes)
        self.adversary = (HGRNetwork(n_components, dim_t, tuple(adversary_hidden))
                          if estimator == "renyi" and dim_t is not None else None)
        #: State of the slice estimator: the last max step's constants and the batch counter.
        self.solution_ = None
        self.n_min_steps_ = 0

    def forward(self, X):
        """The representation Z = f(X)."""
        return self.encoder(X)

    def adversary_parameters(self):
        return [] if self.adversary is None else list(self.adversary.parameters())

    def _task_loss(self, X, z, y):
        """``(name, loss, heads)``: the task's loss and its per-column cross-entropies
        (None for the reconstruction)."""
        if self.n_classes is None or y is None:
            return "reconstruction", (self.decoder(z) - X).pow(2).sum(dim=1).mean(), None
        logits = torch.cat([p(z) for p in self.predictors], dim=1)
        heads = head_cross_entropies(logits, y, self.n_classes)
        return "task", sum(heads), heads

    def max_step(self, z, t, generator=None):
        """Re-solve the slices and CCAs on this batch (no gradient); keep them on the module."""
        joint = getattr(self, "cca", "per_slice") == "joint"  # modules pickled before 'cca'
        self.solution_ = fit_slices(z, t, self.n_slices, self.degree, generator, joint=joint,
                                    whiten=getattr(self, "whiten", False))
        return self.solution_

    def loss_terms(self, X, y, s, generator=None):
        z = self.encoder(X)
        name, task, heads = self._task_loss(X, z, y)
        terms = {name: task}
        loss = task
        if s is not None and self.dim_t is not None:
            if self.estimator == "renyi":
                dependence = self.adversary(z, s).abs()
                terms["hgr"] = dependence
            else:
                if (self.max_step_every and self.n_min_steps_ % self.max_step_every == 0
                        and X.shape[0] >= 4):
                    self.max_step(z, s, generator)
                self.n_min_steps_ += 1
                if self.solution_ is None:  # a first batch too small to solve on
                    dependence = z.new_zeros(())
                else:
                    dependence = sliced_information(z, s, self.solution_, self.degree,
                                                    self.reduction)
                terms["si"] = dependence
            weight = (self.beta if heads is None else
                      scaled_strength(self, self.beta, heads, y, self.n_classes, terms))
            loss = loss + weight * dependence
        terms["loss"] = loss
        return terms

    def adversary_inputs(self, X, generator=None):
        """Z for the Renyi adversary's steps, without gradient to the encoder."""
        return self.encoder(X)

    def adversary_loss_terms(self, inputs, s):
        """Renyi adversary step: gradient ascent on rho(f(Z), g(T))."""
        corr = self.adversary(inputs, s).abs()
        return {"adversary_hgr": corr, "loss": -corr}
