"""Cross-population variational autoencoder estimators (CPVAE, ICLR 2020 submission
"Isolating Latent Structure with Cross-population Variational Autoencoders")."""

from __future__ import annotations

import math
import numbers
import warnings

import numpy as np
import torch
from sklearn.base import ClassifierMixin, TransformerMixin
from sklearn.exceptions import DataConversionWarning
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import check_is_fitted
from skorch.callbacks import Callback

from .. import _validation as V
from .._docstrings import fill_doc
from .._params import Number, POSITIVE_INT, _store
from .._sensitive import SingleGroupError
from .._training import to_tensor
from ..base import BaseInvariantEstimator
from ..nn.cpvae import COMBINE_NAMES, PARTS, CrossPopulationVAENetwork
from ._registry import MethodSpec, register_method

SCHEDULES = ("constant", "linear", "exponential")
#: Growth factor of the 'exponential' schedule, alpha(e) = min(1.1 ** e, alpha) (appendix B.1).
EXPONENTIAL_RATE = 1.1

POPULATION_REQUIRED = (
    "{estimator} requires y to be passed, but the target y is None: pass the population of "
    "each row of X, as fit(X, populations) or fit(X, s=populations)."
)
POPULATION_COLUMNS = (
    "the populations must be one label per row of X (1-D), got {n_cols} columns; combine "
    "several attributes into one label first (e.g. 'female/young')."
)
POPULATION_SINGLE = (
    "the populations have a single value ({value!r}); a cross-population VAE needs at least "
    "two populations."
)
Y_COLUMNS = (
    "y must be one population label per row (1-D), got {n_cols} columns; "
    "CrossPopulationClassifier predicts a single population."
)
ALPHA_HINT = ("(Eq. (6) weights the cross-population KL by alpha >= 1.) For the plain ELBO "
              "without the MI term use mi_regularization=False.")
ALPHA_SCHEDULE_VALUE = (
    "alpha_schedule({epoch}) returned {value!r}; it must return a finite number >= 1."
)
IMAGE_SHAPE_INVALID = (
    "image_shape must be None (tabular data) or (C, H, W), three positive integers, got "
    "{value!r}."
)
IMAGE_SHAPE_MISMATCH = (
    "image_shape={value!r} has {size} values but X has {n_features} columns; pass "
    "image_shape=(C, H, W) with C * H * W equal to the number of columns (flat images, "
    "channels first), or image_shape=None for tabular data."
)
CONV_CHANNELS_INVALID = (
    "conv_channels must be a non-empty tuple of positive integers such as (16, 32), got "
    "{value!r}."
)
PARTS_INVALID = "parts must be one of {names}, got {value!r}."
POPULATION_UNKNOWN = (
    "population has values not seen during fit: {values}. Known populations: {known}."
)
POPULATION_LENGTH = (
    "population has {n_pop} values but X has {n_x} rows; pass one label (for every row) or "
    "one label per row of X."
)
POPULATION_SCALAR = "population must be a single label, got an array of shape {shape}."
PRIORS_INVALID = (
    "priors must be None (the training frequencies), 'uniform' or {k} non-negative numbers "
    "summing to 1 (one per population, in the order of classes_), got {value!r}."
)


def alpha_at(epoch, alpha, schedule, max_epochs):
    """The weight alpha of the cross-population KL at ``epoch`` (0-based).

    'constant': alpha; 'linear': from 1 at the first epoch to alpha at the last;
    'exponential': min(1.1 ** epoch, alpha) (the paper's appendix B.1 with alpha = 1000);
    a callable: ``schedule(epoch)``.
    """
    if callable(schedule):
        value = schedule(epoch)
        if (isinstance(value, bool) or not isinstance(value, numbers.Real)
                or not math.isfinite(value) or value < 1):
            raise ValueError(ALPHA_SCHEDULE_VALUE.format(epoch=epoch, value=value))
        return float(value)
    if schedule == "constant":
        return alpha
    if schedule == "linear":
        return 1.0 + (alpha - 1.0) * min(1.0, epoch / max(max_epochs - 1, 1))
    return min(EXPONENTIAL_RATE ** epoch, alpha)


class _AlphaSchedule(Callback):
    """Set the module's alpha at the start of every epoch and record it in ``history``."""

    def __init__(self, alpha, schedule, max_epochs):
        self.alpha, self.schedule, self.max_epochs = alpha, schedule, max_epochs

    def on_epoch_begin(self, net, **kwargs):
        epoch = len(net.history) - 1  # history already holds the row of this epoch
        value = alpha_at(epoch, self.alpha, self.schedule, self.max_epochs)
        net.module_.alpha = value
        net.history.record("alpha", value)


#: The docstring texts of both estimators (``mi_default``, ``mi_note``: each one's own).
_DOC_TEXTS = dict(
    network="cpvae.CrossPopulationVAENetwork",
    cpvae_params="""
    n_components : int, default=10
        Dimension of the shared latent z (what ``transform`` returns).
    n_private_components : int, default=5
        Dimension of each population's private latent t.
    hidden_layer_sizes : tuple of int, default=(64,)
        Tabular data: hidden widths (ReLU) of the encoder trunk shared by q(z|x) and every
        q_k(t|x); each decoder (f_s and every f_k) uses them reversed. Unused for images.
    image_shape : tuple of int or None, default=None
        (C, H, W) for images given as flat rows of C * H * W values, channels first: the
        encoder is then a stack of stride-2 convolutions with batch norm and ReLU, and every
        decoder mirrors it with transposed convolutions, batch norm and residual blocks
        (section 4). None: MLPs, for tabular data.
    conv_channels : tuple of int, default=(16, 32)
        Channels of the stride-2 convolutions of the image encoder (each halves H and W);
        only used with ``image_shape``.
    combine : {'sum', 'concat'} or callable, default='sum'
        g of eq. (1), combining the shared and private decoders' outputs into the mean of
        p(x|z, t). 'sum': g(a, b) = a + b (the paper's). 'concat': a learned linear map of
        [a; b] initialised at a + b (a full linear layer for tabular data, a 1x1 convolution
        over channels for images). A callable ``g(a, b)`` takes two tensors of shape
        (n, n_features) and returns one; it must be picklable (a module-level function, not a
        lambda) for the fitted estimator to pickle.
    alpha : float, default=1.0
        alpha >= 1: weight of the cross-population KL, the last term of eq. (6) (larger values
        push harder against shared features leaking into the private latents). With an
        annealing schedule, the value it grows to.
    alpha_schedule : {'constant', 'linear', 'exponential'} or callable, default='constant'
        How alpha changes over the epochs e = 0, 1, ...: 'constant' is alpha throughout;
        'linear' grows from 1 at the first epoch to alpha at the last; 'exponential' is
        min(1.1 ** e, alpha), the paper's annealing (appendix B.1, with alpha=1000); a
        callable returns alpha(e) >= 1. ``history_`` records the value of each epoch
        (``alpha``).
    mi_regularization : bool, default=%(mi_default)s
        True trains with the mutual-information regularised objective of eq. (6): each
        population's private KL is applied to the *other* populations' rows encoded by its
        head (Algorithm 1), not to its own. False trains with the plain ELBO of eq. (3) (the
        paper's "no MI" baseline).
        %(mi_note)s
    n_importance_samples : int, default=64
        Importance samples S per row and population in the marginal likelihood estimate of
        eq. (8) (:meth:`score_samples`).
    """,
    cpvae_training_params="""
    max_epochs : int, default=100
        Passes over the training data.
    batch_size : int, default=128
        Rows per mini-batch, drawn from all populations together (see Notes).
    lr : float, default=1e-3
        Adam learning rate (the paper's base rate).
    weight_decay : float, default=0.0
        Adam weight decay.
    %(device)s
    random_state : int, RandomState instance or None, default=None
        Seeds parameter initialisation, batch order, the reparameterised draws in training
        and the importance-sampling draws of :meth:`score_samples`. With an int, CPU results
        are bit-identical from run to run.
    %(training_switches)s
    """,
    cpvae_notes="""
    Notes
    -----
    Model (eq. (1)): z ~ N(0, I), t ~ N(0, I), x | z, t ~ N(g(f_s(z), f_k(t)), psi^2 I) for a
    row of population k, with a learned isotropic psi (>= 0.001). The log-likelihood is that
    of a density: its values depend on the scale of X.

    Batches: the base's shuffled mini-batches mix all populations; each row is decoded by
    its own population's decoder, and the cross-population term of eq. (6) is estimated
    without bias by weighting the KL of head k on a row of population j by
    pi_k / ((K - 1) pi_j) (pi: the populations' shares of the training rows). Algorithm 1
    draws one mini-batch per population instead; with the weights that is not needed, so a
    population may be small (even a single row; the cross term of a rare population is
    then noisy).

    The paper states that J of eq. (6) stays a lower bound of the marginal likelihood; it
    drops the KL of each row's own private head, so it is in fact *above* the ELBO of eq.
    (3). ``history_``'s ``train_loss`` is therefore a training objective, not a bound; the
    ELBO of eq. (3) (:meth:`elbo`) and the importance-sampled likelihood
    (:meth:`score_samples`) are.

    The KLs are the closed forms for Gaussians (Algorithm 1's "fictitious codes" enter only
    through them).
    """,
    cpvae_attributes="""
    %(net_attribute)s
    history_ : skorch.History
        Per epoch, averaged over rows: ``train_reconstruction`` (-log p(x|z, t), one draw),
        ``train_kl_shared``, ``train_kl_private`` (KL of each row's own private head),
        ``train_cross_kl`` (the weighted KL of the other populations' heads: the last term of
        eq. (6) without alpha), ``train_mi`` (kl_private - cross_kl, the estimate of the MI
        term of eq. (4)), ``alpha`` and ``train_loss``.
    populations_ : ndarray
        The populations seen in fit, sorted: the order of the private heads and of the
        columns of :meth:`score_samples`.
    population_prior_ : ndarray of shape (n_populations,)
        Share of each population among the training rows (pi_k = n_k / N).
    %(common_attributes)s
    """,
)


@fill_doc
class _CPVAEBase(BaseInvariantEstimator):
    """Shared parameters, fit and inference of the CPVAE estimators."""
    _strength_param = "alpha"
    # the population prior and the alpha schedule are set from the whole fit
    _supports_partial_fit = False
    _lazy_labels = False  # the codes are read whole when the net is built

    _module_class = CrossPopulationVAENetwork
    _parameter_constraints = {
        **BaseInvariantEstimator._parameter_constraints,
        "n_private_components": [POSITIVE_INT],
        "image_shape": ["array-like", None],
        "conv_channels": ["array-like"],
        "combine": [StrOptions(set(COMBINE_NAMES)), callable],
        "alpha": [Number(numbers.Real, 1, None, closed="left")],
        "alpha_schedule": [StrOptions(set(SCHEDULES)), callable],
        "mi_regularization": ["boolean"],
        "n_importance_samples": [POSITIVE_INT],
    }
    _parameter_hints = {"alpha": ALPHA_HINT}

    def __init__(self, n_components=10, n_private_components=5, hidden_layer_sizes=(64,),
                 image_shape=None, conv_channels=(16, 32), combine="sum", alpha=1.0,
                 alpha_schedule="constant", mi_regularization=True, n_importance_samples=64,
                 max_epochs=100, batch_size=128, lr=1e-3, weight_decay=0.0, device="cpu",
                 random_state=None, verbose=0, mixed_precision=False):
        _store(self, locals())

    # -- fit -----------------------------------------------------------------------------
    def _fit(self, X, y, s, *args):
        super()._fit(X, y, s, *args)
        # the population shares the net was built with (see _module_params)
        self.population_prior_ = np.asarray(self.net_.module__population_prior)
        self.populations_ = self._fitted_populations()

    def _check_params(self, n_features):
        """The image shape and the conv channels, checked against the data (what
        ``_parameter_constraints`` cannot say)."""
        image_shape = None
        if self.image_shape is not None:
            image_shape = _check_int_tuple(self.image_shape, IMAGE_SHAPE_INVALID, length=3)
            if int(np.prod(image_shape)) != n_features:
                raise ValueError(IMAGE_SHAPE_MISMATCH.format(
                    value=self.image_shape, size=int(np.prod(image_shape)),
                    n_features=n_features))
        channels = _check_int_tuple(self.conv_channels, CONV_CHANNELS_INVALID)
        return image_shape, channels

    def _module_params(self, n_features, n_classes, s_enc, n_samples):
        image_shape, channels = self._check_params(n_features)
        # the populations are the codes of s (of y for the classifier, which declares
        # _y_stands_in_for_s): their shares are the prior p(k) of eq. (7)
        counts = np.bincount(s_enc.codes[:, 0], minlength=s_enc.cardinalities[0]).astype(float)
        return dict(
            n_features=n_features,
            n_populations=len(counts),
            n_shared=self.n_components,
            n_private=int(self.n_private_components),
            hidden_layer_sizes=V.check_hidden_layer_sizes(self.hidden_layer_sizes),
            image_shape=image_shape,
            conv_channels=channels,
            combine=self.combine,
            mi_regularization=bool(self.mi_regularization),
            alpha=alpha_at(0, float(self.alpha), self.alpha_schedule, self.max_epochs),
            population_prior=(counts / counts.sum()).tolist(),
        )

    def _callbacks(self):
        return [("alpha_schedule",
                 _AlphaSchedule(float(self.alpha), self.alpha_schedule, self.max_epochs))]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # the populations are required (as y or s), and there is a single column of them
        tags.target_tags.required = True
        tags.target_tags.multi_output = False
        return tags

    # -- helpers for inference -----------------------------------------------------------
    def _population_codes(self, population, n_samples):
        """Integer codes of a single label (n_samples None) or of one label or one per row."""
        lookup = {v: i for i, v in enumerate(np.asarray(self.populations_).tolist())}
        labels = np.asarray(population, dtype=object)
        if n_samples is None and labels.ndim != 0:
            raise ValueError(POPULATION_SCALAR.format(shape=labels.shape))
        if labels.ndim > 1 or (labels.ndim == 1 and labels.shape[0] != n_samples):
            raise ValueError(POPULATION_LENGTH.format(n_pop=labels.size, n_x=n_samples))
        values = labels.reshape(-1).tolist()
        unseen = sorted({v for v in values if v not in lookup}, key=str)
        if unseen:
            raise ValueError(POPULATION_UNKNOWN.format(values=unseen[:10], known=list(lookup)))
        codes = np.asarray([lookup[v] for v in values], dtype=np.int64)
        if n_samples is None:
            return int(codes[0])
        return np.broadcast_to(codes, (n_samples,)) if labels.ndim == 0 else codes

    def _map_rows(self, X, codes, fn, batch_size=1024):
        """``fn(module, X_batch, codes_batch)`` over the rows in eval mode, as numpy."""
        module = self.net_.module_
        module.eval()
        dtype = next(module.parameters()).dtype
        outputs = []
        with torch.inference_mode():
            for start in range(0, X.shape[0], batch_size):
                stop = start + batch_size
                outputs.append(fn(module, to_tensor(X[start:stop], dtype, self.net_.device),
                                  to_tensor(codes[start:stop], torch.long, self.net_.device)))
        return torch.cat(outputs).cpu().numpy()

    def _log_posterior(self, log_likelihood, log_prior):
        joint = log_likelihood + log_prior
        top = joint.max(axis=1, keepdims=True)
        return joint - (top + np.log(np.exp(joint - top).sum(axis=1, keepdims=True)))

    # -- inference -----------------------------------------------------------------------
    def transform(self, X):
        """The shared code: the posterior mean of z, invariant to the population.

        %(X_parameters)s

        Returns
        -------
        Z : ndarray of shape (n_samples, n_components)
        """
        return self._apply(X, lambda module, Xb: module(Xb))

    def transform_private(self, X, population=None):
        """The private code: the posterior mean of t under the private head(s).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        population : label, array-like of shape (n_samples,) or None, default=None
            A label: every row through that population's head. One label per row: each row
            through its own population's head (e.g. the populations given to ``fit``). None:
            every head, side by side.

        Returns
        -------
        T : ndarray of shape (n_samples, n_private_components), or
            (n_samples, n_populations * n_private_components) for ``population=None``
            (head k in columns ``k * n_private_components`` onwards, k in the order of
            ``populations_``).
        """
        X = self._check_X(X)
        means = self.net_.apply_batches(X, lambda module, Xb: module.private_means(Xb))
        means = means.astype(X.dtype, copy=False)
        if population is None:
            return means.reshape(X.shape[0], -1)
        codes = self._population_codes(population, X.shape[0])
        return means[np.arange(X.shape[0]), codes]

    def score_samples(self, X):
        """Importance-sampled log marginal likelihood of each row under each population.

        log p(x | theta_s, theta_k) of eq. (7), estimated by eq. (8) with
        ``n_importance_samples`` draws from q(z|x) q_k(t|x). The draws are the same
        standard-normal numbers for every row (seeded from ``random_state``), so the result
        is deterministic and each row's value depends on that row alone. The log of an
        average of importance weights underestimates log p(x) in expectation, by less with
        more draws: on 8x8 digits the mean value under each image's own population rises by
        0.9-1.3 nats from 32 to 256 draws and by 0.7-3.3 more at 1024
        (``benchmarks/cpvae_importance_samples.py``); raise ``n_importance_samples`` (it is
        read at scoring time, ``set_params`` after ``fit`` is enough) where the values
        themselves matter.

        %(X_parameters)s

        Returns
        -------
        log_likelihood : ndarray of shape (n_samples, n_populations)
            In nats, columns in the order of ``populations_``. A density in X's units.
        """
        X = self._check_X(X)
        n_draws = int(self.n_importance_samples)
        module = self.net_.module_
        dtype = next(module.parameters()).dtype
        generator = self._generator(self.net_.seed)
        device = self.net_.device
        noise_shared = torch.randn((n_draws, module.n_shared), generator=generator,
                                   dtype=dtype, device=device)
        noise_private = torch.randn((n_draws, module.n_private), generator=generator,
                                    dtype=dtype, device=device)
        out = self.net_.apply_batches(
            X, lambda m, Xb: m.log_marginal_likelihood(Xb, noise_shared, noise_private),
            batch_size=max(1, 4096 // n_draws))
        return out.astype(np.float64)

    def elbo(self, X, population, n_draws=10, random_state=0):
        """The ELBO of eq. (3) of each row under its population, in nats.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        population : label or array-like of shape (n_samples,)
            The population of every row, or one label for all.
        n_draws : int, default=10
            Monte-Carlo draws of (z, t) for E_q[log p(x|z, t)] (the KLs are exact).
        random_state : int, RandomState instance or None, default=0
            Seeds the draws.

        Returns
        -------
        elbo : ndarray of shape (n_samples,)
            A lower bound of log p(x | population), in nats (a density in X's units).
        """
        X = self._check_X(X)
        n_draws = V.check_positive_int(n_draws, "n_draws")
        codes = self._population_codes(population, X.shape[0])
        generator = self._generator(random_state)
        return self._map_rows(X, codes, lambda m, Xb, cb: m.elbo(Xb, cb, generator, n_draws)
                              ).astype(np.float64)

    def _most_likely_codes(self, X):
        log_post = self._log_posterior(self.score_samples(X), np.log(self._prior()))
        return np.argmax(log_post, axis=1)

    def _prior(self):
        return self.population_prior_

    def reconstruct(self, X, population=None, parts="both"):
        """Reconstructions of ``X`` from its posterior means, whole or in parts.

        With ``parts='shared'`` (``'private'``) only the shared (private) decoder is used,
        the other part replaced by zeros in g: the paper's denoising by parts (Fig. 2).
        Passing another population than a row's own swaps the decoder (Fig. 4): the row is
        encoded by that population's head and decoded by its decoder.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        population : label, array-like of shape (n_samples,) or None, default=None
            The population whose private head and decoder to use: one label for every row,
            or one per row. None: each row's most likely population (the classifier's
            prediction, :meth:`score_samples` plus the log prior).
        parts : {'both', 'shared', 'private'}, default='both'
            g(f_s(z), f_k(t)), g(f_s(z), 0) or g(0, f_k(t)).

        Returns
        -------
        X_rec : ndarray of shape (n_samples, n_features)
        """
        if parts not in PARTS:
            raise ValueError(PARTS_INVALID.format(names=PARTS, value=parts))
        X = self._check_X(X)
        if population is None:
            codes = (np.zeros(X.shape[0], dtype=np.int64) if parts == "shared"
                     else self._most_likely_codes(X))
        else:
            codes = self._population_codes(population, X.shape[0])

        def decode(module, Xb, cb):
            z_mean, _, t_mean, _ = module.posterior(Xb)
            return module.decode(z_mean, module.select_population(t_mean, cb), cb, parts)

        return self._map_rows(X, codes, decode).astype(X.dtype, copy=False)

    def sample(self, n_samples, population, random_state=None):
        """Draw new rows of a population from the generative model (eq. (1)).

        Parameters
        ----------
        n_samples : int
        population : label
            One of ``populations_``.
        random_state : int, RandomState instance or None, default=None
            Seeds the draws of z and t from the prior.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features)
            The means g(f_s(z), f_k(t)) of p(x|z, t) (without the observation noise psi).
        """
        check_is_fitted(self)
        n_samples = V.check_positive_int(n_samples, "n_samples")
        code = self._population_codes(population, None)
        generator = self._generator(random_state)
        module = self.net_.module_
        module.eval()
        with torch.inference_mode():
            out = module.sample(n_samples, code, generator)
        return out.cpu().numpy().astype(np.float64)


def _check_int_tuple(value, message, length=None):
    try:
        values = tuple(value)
    except TypeError:
        raise ValueError(message.format(value=value)) from None
    if (not values or (length is not None and len(values) != length)
            or any(isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer))
                   or v < 1 for v in values)):
        raise ValueError(message.format(value=value))
    return tuple(int(v) for v in values)


@fill_doc(mi_default="True", mi_note="", **_DOC_TEXTS)
class CrossPopulationVAE(TransformerMixin, _CPVAEBase):
    """Cross-population variational autoencoder (CPVAE, ICLR 2020 submission).

    Models data from K populations that share some latent structure: each row x of
    population k is generated from a shared latent z, decoded by a decoder f_s shared by
    every population, and a private latent t, decoded by population k's own decoder f_k
    (eq. (1)). One inference network gives q(z|x) and one head q_k(t|x) per population.
    Trained with the mutual-information regularised objective of eq. (6), each private head
    is pushed to the prior on the *other* populations' rows, so that what the populations
    share goes to z and what sets them apart to t (weak supervision by the population
    label only).

    ``fit(X, populations)`` -- or ``fit(X, s=populations)``: the population labels (any
    label type, at least two populations) are ``s`` when given, else ``y`` (so that the
    estimator works in scikit-learn pipelines and model selection, which pass ``y``).
    ``transform`` returns the shared code z (posterior mean), which does not depend on the
    population; :meth:`transform_private` the private code t; :meth:`reconstruct` shared-only
    or private-only reconstructions (denoising, Fig. 2) and decoder swapping (Fig. 4);
    :meth:`sample` new rows of a population; :meth:`score_samples` the log marginal
    likelihood under each population (eq. (7)-(8)).

    Parameters
    ----------
    %(cpvae_params)s
    %(cpvae_training_params)s

    %(cpvae_notes)s

    Attributes
    ----------
    %(cpvae_attributes)s

    See Also
    --------
    CrossPopulationClassifier : the same model, predicting the population by maximum
        marginal likelihood.

    Examples
    --------
    >>> import numpy as np
    >>> from fairrep import CrossPopulationVAE
    >>> rng = np.random.RandomState(0)
    >>> population = rng.randint(0, 2, 200)
    >>> X = rng.normal(size=(200, 2)) @ rng.normal(size=(2, 6)) + 3.0 * population[:, None]
    >>> vae = CrossPopulationVAE(n_components=2, n_private_components=2, max_epochs=5,
    ...                          random_state=0).fit(X, population)
    >>> vae.transform(X).shape, vae.transform_private(X, population).shape
    ((200, 2), (200, 2))
    >>> vae.reconstruct(X[:3], population=1, parts="private").shape
    (3, 6)
    >>> vae.sample(4, population=0, random_state=0).shape
    (4, 6)
    """

    _requires_y = False

    @V.takes_s_keyword
    def fit(self, X, y=None, s=None):
        """Fit the CPVAE on ``X`` with the population of each row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,), default=None
            The populations, used when ``s`` is None (scikit-learn passes its ``y`` here).
        s : array-like of shape (n_samples,), default=None
            The populations (any label type); when given, ``y`` is ignored.

        Returns
        -------
        self : object
            If ``fit`` raises, the estimator is left exactly as it was before the call.
        """
        return super().fit(X, None, y if s is None else s)

    def _sensitive(self, s, n_samples, *args):
        if s is None:
            raise ValueError(POPULATION_REQUIRED.format(estimator=type(self).__name__))
        try:
            sens = super()._sensitive(s, n_samples, *args)
        except SingleGroupError as exc:  # said in the populations' words
            value = np.unique(np.asarray(s, dtype=object).reshape(-1).astype(str))[0]
            raise ValueError(POPULATION_SINGLE.format(value=value)) from exc
        if len(sens.classes) != 1:
            raise ValueError(POPULATION_COLUMNS.format(n_cols=len(sens.classes)))
        return sens

    def _fitted_populations(self):
        return self.s_classes_


@fill_doc(
    mi_default="False",
    mi_note="""
    The classifier defaults to False, unlike :class:`CrossPopulationVAE`: eq. (6) puts
    no KL on a population's private posterior for its *own* rows, so nothing keeps it
    near the prior, and the marginal likelihood of a row under its own population, eq.
    (7), pays for every nat it drifts away. In ``benchmarks/cpvae_digits.py`` (one
    population per digit, MLP, seeds 0-2) the ELBO classifies best: mean held-out
    accuracy 0.987, against 0.981 with alpha = 1, 0.984 annealed to alpha = 10 and 0.967
    with the paper's annealing to alpha = 1000. On low-dimensional data, where the
    private latents explain everything and the shared one collapses, the MI objective
    can even predict worse than chance (3 blobs in 2-D, 60 epochs). Set True (with
    ``alpha_schedule='exponential'``, ``alpha=1000``) for the paper's Table 2 setting.
    """,
    **_DOC_TEXTS)
class CrossPopulationClassifier(ClassifierMixin, TransformerMixin, _CPVAEBase):
    """Population classifier by maximum marginal likelihood under a CPVAE (sec. 4.3).

    Fits the model of :class:`CrossPopulationVAE` with one population per class of ``y``
    and predicts the population that maximises the marginal likelihood of a row, eq. (7),
    estimated by importance sampling with the row's posterior as proposal, eq. (8). No
    discriminative training: how well it classifies measures how much each private latent
    holds what is unique to its population (Table 2 of the paper).
    ``predict_proba`` normalises prior times marginal likelihood over the populations,
    p(k|x) = pi_k p(x|k) / sum_j pi_j p(x|j); ``predict`` is its argmax, which is eq. (7)
    exactly with ``priors='uniform'`` (and with the default when the classes are balanced).
    ``transform`` returns the shared code z.

    Parameters
    ----------
    %(cpvae_params)s
    priors : None, 'uniform' or array-like of shape (n_classes,), default=None
        pi_k in ``predict_proba``: None uses the class frequencies of ``y`` in fit,
        'uniform' gives eq. (7)'s maximum likelihood decision; an array gives one
        probability per class, in the order of ``classes_``.
    %(cpvae_training_params)s

    %(cpvae_notes)s

    Attributes
    ----------
    %(cpvae_attributes)s
    classes_ : ndarray
        The populations (labels of y), sorted; same as ``populations_``.
    class_prior_ : ndarray of shape (n_classes,)
        The prior used by ``predict_proba``.

    Examples
    --------
    >>> import numpy as np
    >>> from fairrep import CrossPopulationClassifier
    >>> rng = np.random.RandomState(0)
    >>> y = rng.choice(["a", "b"], 300)
    >>> X = rng.normal(size=(300, 4)) + 3.0 * (y == "b")[:, None]
    >>> clf = CrossPopulationClassifier(n_components=2, n_private_components=2,
    ...                                 max_epochs=10, lr=0.01, random_state=0).fit(X, y)
    >>> clf.score(X, y) > 0.9
    True
    >>> clf.score_samples(X).shape
    (300, 2)
    """

    _requires_y = True
    _s_kind = "length_only"  # the populations are y, whose codes fill the s slot
    _y_stands_in_for_s = True
    _parameter_constraints = {**_CPVAEBase._parameter_constraints,
                              "priors": [StrOptions({"uniform"}), "array-like", None]}

    def __init__(self, n_components=10, n_private_components=5, hidden_layer_sizes=(64,),
                 image_shape=None, conv_channels=(16, 32), combine="sum", alpha=1.0,
                 alpha_schedule="constant", mi_regularization=False, n_importance_samples=64,
                 priors=None, max_epochs=100, batch_size=128, lr=1e-3, weight_decay=0.0,
                 device="cpu", random_state=None, verbose=0, mixed_precision=False):
        _store(self, locals())

    @V.takes_s_keyword
    def fit(self, X, y, s=None):
        """Fit the CPVAE with one population per class of ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            The population of each row (any label type, at least two).
        s : array-like of shape (n_samples,), default=None
            Not used (the populations are ``y``); accepted for the uniform
            ``fit(X, y, s=s)`` API, and only checked to have one value per row of ``X``.

        Returns
        -------
        self : object
        """
        return super().fit(X, y, s)

    def _encode_targets(self, y):
        if y.ndim == 2:
            if y.shape[1] != 1:
                raise ValueError(Y_COLUMNS.format(n_cols=y.shape[1]))
            warnings.warn("A column-vector y was passed when a 1d array was expected. Please "
                          "change the shape of y to (n_samples,), for example using ravel().",
                          DataConversionWarning, stacklevel=3)
        return super()._encode_targets(y.reshape(-1))

    def _check_priors(self, n_classes):
        priors = self.priors
        if priors is None:
            return None
        if isinstance(priors, str):
            if priors != "uniform":
                raise ValueError(PRIORS_INVALID.format(k=n_classes, value=priors))
            return np.full(n_classes, 1.0 / n_classes)
        try:
            values = np.asarray(priors, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(PRIORS_INVALID.format(k=n_classes, value=priors)) from None
        if (values.shape != (n_classes,) or not np.all(np.isfinite(values))
                or np.any(values < 0) or not np.isclose(values.sum(), 1.0)):
            raise ValueError(PRIORS_INVALID.format(k=n_classes, value=priors))
        return values / values.sum()

    def _module_params(self, n_features, n_classes, s_enc, n_samples):
        self._check_priors(n_classes[0])  # fail before training
        return super()._module_params(n_features, n_classes, s_enc, n_samples)

    def _fit(self, X, y, s, *args):
        super()._fit(X, y, s, *args)
        priors = self._check_priors(len(self.classes_))
        self.class_prior_ = self.population_prior_ if priors is None else priors

    def _fitted_populations(self):
        return self.classes_

    def _prior(self):
        return self.class_prior_

    def predict_proba(self, X):
        """p(k|x) proportional to pi_k times the marginal likelihood of x under population k.

        %(X_parameters)s

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        log_post = self._log_posterior(self.score_samples(X), np.log(self.class_prior_))
        return np.exp(log_post)

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba` (computed in log space)."""
        return self._log_posterior(self.score_samples(X), np.log(self.class_prior_))

    def predict(self, X):
        """The most probable population of each row (eq. (7) with the prior ``class_prior_``).

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Labels of the type of the ``y`` given to ``fit``.
        """
        codes = self._most_likely_codes(X)
        return self.classes_[codes]


register_method(MethodSpec(
    # CrossPopulationClassifier predicts the population, not y: no classifier here
    "cpvae", CrossPopulationVAE, None, strength_param="alpha",
    paper="Isolating Latent Structure with Cross-population Variational Autoencoders "
          "(anonymous ICLR 2020 submission)"))
