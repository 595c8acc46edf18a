"""Information Dropout estimators (Achille & Soatto, TPAMI 2018).

Each estimator names the paper in its docstring's opening, as fairrep's estimators do; the
full citations are these.

References
----------
A. Achille and S. Soatto, "Information dropout: learning optimal
representations through noisy computation", IEEE TPAMI 40(12), 2018.

D. P. Kingma and M. Welling, "Auto-encoding variational Bayes", ICLR 2014.
"""

from __future__ import annotations

from numbers import Real

import numpy as np
from sklearn.base import ClassifierMixin, TransformerMixin
from sklearn.utils._param_validation import StrOptions

from .. import _validation as V
from .._classifier import InvariantClassifierMixin
from .._docstrings import fill_doc
from .._params import NON_NEGATIVE, Number, _store
from ..base import BaseInvariantEstimator
from ..nn.information_dropout import ACTIVATIONS
from ..nn.information_dropout import InformationDropoutAutoencoder as _AutoencoderNetwork
from ..nn.information_dropout import InformationDropoutNetwork, RowKeyedNoise
from ._registry import MethodSpec, register_method

#: What ``transform`` returns: the paper's noisy z, or f(h).
REPRESENTATIONS = ("noisy", "noise_free")


_information_doc = fill_doc(
    network="information_dropout.InformationDropoutNetwork",
    information_training_params="""
    max_epochs : int, default=100
        Passes over the training data.
    batch_size : int, default=128
    lr : float, default=1e-3
        Adam learning rate.
    weight_decay : float, default=0.0
        Adam weight decay.
    %(device)s
    random_state : int, RandomState instance or None, default=None
        Seeds parameter initialisation, batch order and the noise eps. With an int, CPU results
        are bit-identical from run to run.
    %(training_switches)s
    """,
    information_parameters="""
    Parameters
    ----------
    n_components : int, default=64
        Number of units of the last Information Dropout layer: the size of the representation
        z that ``transform`` returns.
    hidden_layer_sizes : tuple of int, default=()
        Widths of earlier Information Dropout layers (each a linear layer, the activation f and
        multiplicative noise), before the last one. ``()`` gives a single dropout layer.
    beta : float, default=1.0
        beta in eq. (3): weight of the KL term, which the loss adds as
        beta * KL / N_train (KL summed over units and layers, averaged over the batch, divided
        by the number of training samples, as in section 8). The invariance strength;
        ``InvariantTransformer(invariance=...)`` maps onto it. 0 leaves the noise scale free
        (it shrinks to its minimum, and the network is a plain MLP).
    activation : {'relu', 'softplus'}, default='relu'
        f. 'relu' uses the log-uniform prior and the KL of eq. (5),
        KL = -log(alpha / (max_alpha + 0.001)) per unit (zero at the largest alpha);
        'softplus' a factorized log-normal prior with learnable mu, sigma and the KL of
        eq. (6).
    max_alpha : float, default=0.7
        alpha(x) = 0.001 + max_alpha * sigmoid(W_alpha x + b_alpha) (section 8: the noise
        variance then stays near that of binary dropout with p = 0.5).
    representation : {'noisy', 'noise_free'}, default='noisy'
        What ``transform`` returns. 'noisy': the paper's representation z = f(h) * eps
        (Fig. 4 measures the nuisance in it), each row's noise a fixed function of the row
        and of ``noise_seed_`` (the same row gets the same z on every call, in any batch).
        beta acts on this code: the KL term of eq. (5) rewards noise, not a smaller f(h), so
        the noise-free f(h) ('noise_free', the paper's "D") can keep a nuisance that the
        noisy code has lost (see the user guide's Information Dropout page). ``predict``
        always uses f(h).
    %(information_training_params)s
    """,
    information_attributes="""
    %(net_attribute)s
    history_ : skorch.History
        Per epoch: ``train_task`` (cross-entropy of y), ``train_kl`` (KL summed over units and
        layers, per sample, not yet divided by N_train) and ``train_loss``
        (task + beta * kl / N_train).
    s_classes_ : None
        Information Dropout does not use ``s``.
    n_tasks_ : int
        Number of target columns (one linear head each).
    noise_seed_ : int
        The key of ``transform``'s noise (drawn from ``random_state`` at the end of ``fit``).
    %(common_attributes)s
    """)


class _InformationBase(BaseInvariantEstimator):
    """Shared fit and inference of the Information Dropout estimators.

    ``s`` is accepted for the uniform ``fit(X, y, s=s)`` API, checked to have one value per
    row of ``X``, and otherwise ignored: Information Dropout needs no nuisance labels, it
    discards what is not needed for the task.
    """
    _strength_param = "beta"
    _s_kind = "length_only"
    # the KL term is divided by the training-set size N (n_train): one fit sees all of it
    _supports_partial_fit = False
    _parameter_constraints = {
        **BaseInvariantEstimator._parameter_constraints,
        "beta": [NON_NEGATIVE],
        "max_alpha": [Number(Real, 0, 10, closed="right")],
    }

    def information(self, X):
        """KL(p(z|x) || q(z)) of each unit, averaged over ``X`` (nats; paper Fig. 2, 6).

        How much information about x each unit transmits (up to the prior's constant for
        ReLU: 0 means the largest noise, alpha = max_alpha + 0.001).

        Returns
        -------
        info : ndarray of shape (n_units,)
            Units of every Information Dropout layer, first layer first (computed on the
            deterministic path, noise off).
        """
        info = self._apply(X, lambda module, Xb: module.unit_information(Xb))
        return info.mean(axis=0)


class _ClassifierBase(_InformationBase):
    _module_class = InformationDropoutNetwork
    _parameter_constraints = {**_InformationBase._parameter_constraints,
                              "activation": [StrOptions(set(ACTIVATIONS))],
                              "representation": [StrOptions(set(REPRESENTATIONS))]}

    def __init__(self, n_components=64, hidden_layer_sizes=(), beta=1.0, activation="relu",
                 max_alpha=0.7, representation="noisy", max_epochs=100, batch_size=128,
                 lr=1e-3, weight_decay=0.0, device="cpu", random_state=None, verbose=0,
                 mixed_precision=False):
        _store(self, locals())

    def _commit(self, net, classes, y, s_enc):
        super()._commit(net, classes, y, s_enc)
        # the key of transform's noise: fixed for this fitted model (and by an int
        # random_state), so that transform gives a row the same z on every call
        self.noise_seed_ = V.seed_from(self.random_state)

    def transform(self, X):
        """The representation z of ``X``: with ``representation='noisy'`` (the default) the
        paper's z = f(h) * eps, the noise of each row a fixed function of the row and of
        ``noise_seed_``; with ``'noise_free'`` f(h).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The rows to encode; each row's noise depends on that row alone.

        Returns
        -------
        Z : ndarray of shape (n_samples, n_components)
            z = f(h) * eps ('noisy') or f(h) ('noise_free'), in X's floating dtype.
        """
        if self.representation == "noise_free":
            return super().transform(X)
        seed = self.noise_seed_
        return self._apply(X, lambda module, Xb: module(Xb, RowKeyedNoise(Xb, seed),
                                                        noisy=True))

    def _module_params(self, n_features, n_classes, s_enc, n_samples):
        hidden = V.check_hidden_layer_sizes(self.hidden_layer_sizes)
        return dict(
            n_features=n_features,
            n_classes=n_classes,
            layer_sizes=(*hidden, self.n_components),
            activation=self.activation,
            max_alpha=float(self.max_alpha),
            beta=float(self.beta),
            n_train=n_samples,
        )


    def sample_representation(self, X, random_state=None):
        """A noisy representation z = f(h) * eps (the paper's "N" in Fig. 4).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        random_state : int, RandomState instance or None, default=None
            Seeds the noise draw.

        Returns
        -------
        Z : ndarray of shape (n_samples, n_components)
        """
        generator = self._generator(random_state)
        return self._apply(X, lambda module, Xb: module(Xb, generator, noisy=True))


@_information_doc
class InformationDropoutTransformer(TransformerMixin, _ClassifierBase):
    """Representation learned by Information Dropout (Achille & Soatto, TPAMI 2018).

    Each layer multiplies its activations f(h) by log-normal noise eps ~ logN(0, alpha(x)^2)
    whose scale alpha(x) the network computes from the layer input; the network is trained on
    y with the Information Bottleneck Lagrangian, eq. (3)/(7): cross-entropy plus beta times
    the KL between p(z|x) and a factorized prior, which rewards noise, i.e. transmitting less
    information about x. For larger beta the representation keeps what is needed for y and
    drops the rest, nuisances included (section 8, Fig. 4) -- without being told what the
    nuisance is: ``s`` is not used in training (it is accepted, and ignored, for the uniform
    ``fit(X, y, s=s)`` API).

    ``transform`` returns the noisy representation z = f(h) * eps of the last dropout layer
    (the paper's "N"; ``representation='noise_free'``: f(h), the paper's "D");
    :meth:`sample_representation` draws fresh noise.

    %(information_parameters)s

    Attributes
    ----------
    %(information_attributes)s

    See Also
    --------
    InformationDropoutClassifier : the same model, predicting y with its linear head.

    Examples
    --------
    >>> import numpy as np
    >>> from fairrep import InformationDropoutTransformer
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(200, 4))
    >>> y = (X[:, 0] > 0).astype(int)
    >>> rep = InformationDropoutTransformer(n_components=8, max_epochs=5, random_state=0)
    >>> rep.fit(X, y).transform(X).shape
    (200, 8)
    >>> rep.information(X).shape
    (8,)
    """


@_information_doc
class InformationDropoutClassifier(ClassifierMixin, TransformerMixin, InvariantClassifierMixin,
                                   _ClassifierBase):
    """Classifier trained with Information Dropout, predicting y from z.

    The model of :class:`InformationDropoutTransformer` (Achille & Soatto, TPAMI 2018,
    eq. (3), (5)-(7)); ``predict`` and ``predict_proba`` use its linear head on the
    deterministic representation (noise off), ``transform`` returns that representation.
    ``s`` is not used in training. With T target columns, one head per task: ``predict``
    returns (n_samples, T) labels and ``predict_proba`` a list of T arrays.

    %(information_parameters)s

    Attributes
    ----------
    %(information_attributes)s
    %(classes_attribute)s

    Examples
    --------
    >>> import numpy as np
    >>> from fairrep import InformationDropoutClassifier
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(200, 4))
    >>> y = np.where(X[:, 0] > 0, "yes", "no")
    >>> clf = InformationDropoutClassifier(n_components=16, beta=1.0, max_epochs=30, lr=0.01,
    ...                                    random_state=0).fit(X, y)
    >>> clf.score(X, y) > 0.9
    True
    >>> clf.information(X).shape
    (16,)
    """


register_method(MethodSpec(
    "information_dropout", InformationDropoutTransformer, InformationDropoutClassifier,
    strength_param="beta", paper="Achille & Soatto, Information Dropout: Learning Optimal "
                                 "Representations Through Noisy Computation, TPAMI 2018"))


@_information_doc
class InformationDropoutAutoencoder(TransformerMixin, _InformationBase):
    """Variational autoencoder built from an Information Dropout layer (section 7).

    Achille & Soatto (TPAMI 2018) recover the variational autoencoder of Kingma & Welling
    (ICLR 2014) as a special case of Information Dropout (see the module's references).

    With the task "reconstruct x" (y = x), Softplus activations and a factorized log-normal
    prior, the Information Dropout loss, eq. (9), is beta times the KL plus the reconstruction
    term; at beta = 1 it is exactly the negative evidence lower bound (ELBO) of a VAE whose
    latent u = log z = log softplus(h) + alpha(x) * n, n ~ N(0, 1), has the Gaussian posterior
    N(log f(h), alpha^2) and the prior N(mu_i, sigma_i^2) with learnable mu_i, sigma_i.

    The decoder is Gaussian, p(x|u) = N(x; g(u), diag(sigma_x^2)), with sigma_x learned per
    feature (bounded below by 0.001) or fixed by ``decoder_std``; the log-likelihood is that of
    a density, so its value depends on the scale of x (scale x the same way to compare
    models). Unlike the classifier, the KL is *not* divided by N_train: the loss is per sample.
    ``y`` and ``s`` are ignored.

    Parameters
    ----------
    n_components : int, default=16
        Number of latent units (size of z).
    hidden_layer_sizes : tuple of int, default=(64,)
        Hidden widths of the encoder (Softplus); the decoder uses them reversed (ReLU).
    beta : float, default=1.0
        beta in eq. (9). 1 gives the VAE's negative ELBO; larger values compress more.
    max_alpha : float, default=0.7
        Upper bound of the posterior standard deviation alpha(x) (minus 0.001).
    decoder_std : float or None, default=None
        Fixed standard deviation sigma_x of the decoder, or None to learn one per feature.
    %(information_training_params)s

    Attributes
    ----------
    net_ : fairrep._training.InvariantNet
        ``net_.module_`` is the network,
        :class:`fairrep.nn.information_dropout.InformationDropoutAutoencoder`.
    history_ : skorch.History
        Per epoch: ``train_reconstruction`` (-log p(x|u), one draw of u), ``train_kl`` and
        ``train_loss`` (reconstruction + beta * kl), per sample.
    n_features_in_ : int
    n_epochs_ : int

    Examples
    --------
    >>> import numpy as np
    >>> from fairrep import InformationDropoutAutoencoder
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(200, 3)) @ rng.normal(size=(3, 6))
    >>> vae = InformationDropoutAutoencoder(n_components=4, max_epochs=20, random_state=0)
    >>> vae.fit(X).transform(X).shape
    (200, 4)
    >>> bool(np.isfinite(vae.score(X)))
    True
    """

    _module_class = _AutoencoderNetwork
    _requires_y = False
    _parameter_constraints = {**_InformationBase._parameter_constraints,
                              "decoder_std": [Number(Real, 0, None, closed="neither"), None]}

    def __init__(self, n_components=16, hidden_layer_sizes=(64,), beta=1.0, max_alpha=0.7,
                 decoder_std=None, max_epochs=100, batch_size=128, lr=1e-3, weight_decay=0.0,
                 device="cpu", random_state=None, verbose=0, mixed_precision=False):
        _store(self, locals())

    @V.takes_s_keyword
    def fit(self, X, y=None, s=None):
        """Fit the autoencoder on ``X`` (``y`` and ``s`` are ignored).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y, s : ignored

        Returns
        -------
        self : object
        """
        return super().fit(X, None, s)

    def _module_params(self, n_features, n_classes, s_enc, n_samples):
        std = self.decoder_std
        return dict(
            n_features=n_features,
            n_components=self.n_components,
            hidden_layer_sizes=V.check_hidden_layer_sizes(self.hidden_layer_sizes),
            max_alpha=float(self.max_alpha),
            beta=float(self.beta),
            decoder_std=None if std is None else float(std),
        )

    def elbo(self, X, n_draws=10, random_state=0):
        """Mean evidence lower bound per sample, E_q[log p(x|u)] - KL(q(u|x) || p(u)), in nats.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        n_draws : int, default=10
            Monte-Carlo draws of u per sample for the reconstruction term (the KL is exact).
        random_state : int, RandomState instance or None, default=0
            Seeds the draws (a fixed default makes ``score`` deterministic).

        Returns
        -------
        elbo : float
            A lower bound of the mean log-likelihood log p(x) (a density in x's units).
        """
        n_draws = V.check_positive_int(n_draws, "n_draws")
        generator = self._generator(random_state)
        values = self._apply(X, lambda module, Xb: module.elbo(Xb, generator, n_draws))
        return float(np.mean(values))

    def score(self, X, y=None):
        """The mean ELBO of ``X`` (:meth:`elbo` with its defaults); higher is better."""
        return self.elbo(X)
