"""One entry point for every method: ``InvariantTransformer`` and ``InvariantClassifier``."""

from __future__ import annotations

import contextlib
import inspect
from numbers import Real

from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin, _fit_context
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from ._docstrings import fill_doc
from ._fit_warnings import strength_alias
from ._params import COMMON, FAIRNESS_BOUND, _store
from ._validation import did_you_mean, takes_s_keyword
from .exceptions import TrainingDivergedError
from .methods import get_method

INVARIANCE_INVALID = (
    "invariance={value!r} is not valid for method={method!r}, where it sets {strength}: "
    "{reason}"
)
#: Parameters of the unified estimators passed on to the method's estimator when it has them.
_SHARED = ("n_components", "max_epochs", "batch_size", "lr", "device", "random_state",
           "verbose")

_unified_doc = fill_doc(
    unified_parameters="""
    Parameters
    ----------
    method : str, default='forgetting'
        Registered method name; ``fairrep.methods.available_methods()`` lists them.
    n_components : int or None, default=None
        Size of the representation (per task). None: the method's default (8 for
        ``'forgetting'``).
    invariance : float or None, default=None
        Invariance strength, mapped onto the method's own weight (``adversary_weight``, delta,
        for ``'forgetting'``). None keeps the method's default; 0 switches the invariance term
        off (not for ``'cpvae'``, whose alpha is at least 1: there alpha = 1 is the plain
        VAE objective).
    max_epochs : int or None, default=None
        Passes over the data. None: the method's default (30 for ``'forgetting'``; each
        estimator's docstring gives its own).
    batch_size : int, 'auto' or None, default=None
        Rows per step. None: the method's default (``'auto'`` for ``'forgetting'``:
        ``min(256, max(64, n_samples // 100))``).
    lr : float or None, default=None
        Learning rate. None: the method's default (1e-3 for ``'forgetting'``).
    device : str, default='cpu'
    random_state : int, RandomState instance or None, default=None
    verbose : int, default=0
    method_params : dict or None, default=None
        Further parameters of the method's estimator (e.g. ``{'adversary_steps': 5}``).
    constraint : {'demographic_parity', 'equalized_odds'}, callable or None, default=None
        Ask for a fairness level instead of a strength: one fit adapts the method's strength
        (starting from ``invariance``, or the method's default) so that the constraint of its
        predictions on held-out training rows stays <= ``bound`` (see the ``constraint``
        parameter of the method's estimator, e.g. ``ForgettingClassifier``). Only for the
        methods whose estimator takes it.
    bound : float, default=0.05
        The level ``constraint`` must not exceed.
    """,
    unified_attributes="""
    Attributes
    ----------
    estimator_ : estimator
        The fitted estimator of the chosen method.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` was a DataFrame with string column names.
    """,
    unified_references="""
    References
    ----------
    %(forgetting_paper)s

    %(information_dropout_paper)s

    %(infomin_paper)s

    %(invertible_paper)s

    %(cpvae_paper)s

    Y. Ganin, E. Ustinova, H. Ajakan, P. Germain, H. Larochelle, F. Laviolette,
    M. Marchand and V. Lempitsky, "Domain-adversarial training of neural
    networks", JMLR 17(59), 2016.

    Y. Li, K. Swersky and R. Zemel, "Learning unbiased features",
    arXiv:1412.5244, 2014.

    R. Lopez, J. Regier, M. I. Jordan and N. Yosef, "Information constraints
    on auto-encoding variational Bayes", NeurIPS 2018.

    C. Louizos, K. Swersky, Y. Li, M. Welling and R. Zemel, "The variational
    fair autoencoder", ICLR 2016.

    D. Moyer, S. Gao, R. Brekelmans, A. Galstyan and G. Ver Steeg, "Invariant
    representations without adversarial training", NeurIPS 2018.

    A. Jaiswal, Y. Wu, W. AbdAlmageed and P. Natarajan, "Unsupervised
    adversarial invariance", NeurIPS 2018.
    """)


class _UnifiedBase(BaseEstimator):
    _role = "transformer"
    # the shared parameters as every method takes them, or None for the method's own default;
    # the registry checks the method's name, the method's estimator the values it gets
    _parameter_constraints: dict = {
        **{name: [*COMMON[name], None] for name in _SHARED}, **FAIRNESS_BOUND,
        "random_state": COMMON["random_state"],  # None included
        "method": [str],
        "invariance": [Real, None],
        "method_params": [dict, None],
    }

    def __init__(self, method="forgetting", n_components=None, invariance=None,
                 max_epochs=None, batch_size=None, lr=None, device="cpu", random_state=None,
                 verbose=0, method_params=None, constraint=None, bound=0.05):
        _store(self, locals())

    def _estimator_class(self):
        cls = getattr(get_method(self.method), self._role)
        if cls is None:
            raise ValueError(f"method={self.method!r} has no {self._role}; use "
                             "InvariantTransformer for its representation.")
        return cls

    def _build(self):
        cls = self._estimator_class()
        accepted = set(inspect.signature(cls.__init__).parameters) - {"self"}
        # None leaves the method's own default (its tuned epochs, batch, learning rate, size)
        params = {name: getattr(self, name) for name in _SHARED
                  if name in accepted and getattr(self, name) is not None}
        if self.invariance is not None:
            params[cls._strength_param] = self.invariance
        extra = dict(self.method_params or {})
        for key in extra:
            if key not in accepted:
                raise ValueError(f"method_params has {key!r}, which {cls.__name__} does not "
                                 f"take.{did_you_mean(key, accepted)} Its parameters: "
                                 f"{', '.join(sorted(accepted))}.")
        params.update(extra)
        if self.constraint is not None:
            if "constraint" not in accepted:
                raise ValueError(f"constraint={self.constraint!r}: method={self.method!r} "
                                 f"({cls.__name__}) adapts no strength to a fairness bound; "
                                 "use fairrep.model_selection.ConstrainedSearchCV, or a method "
                                 "whose estimator takes constraint=.")
            params.update(constraint=self.constraint, bound=self.bound)
        return cls(**params)

    @_fit_context(prefer_skip_nested_validation=False)  # the method's estimator checks its own
    @takes_s_keyword
    def fit(self, X, y=None, s=None):
        """Fit the chosen method's estimator on ``X``, ``y`` and sensitive attribute ``s``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_tasks), default=None
        s : array-like of shape (n_samples,) or (n_samples, n_attributes), default=None

        Returns
        -------
        self : object
        """
        estimator = self._build()
        with self._errors_name_invariance():
            estimator.fit(X, y, s=s)
        self._set_fitted(estimator)
        return self

    @contextlib.contextmanager
    def _errors_name_invariance(self):
        """Re-raise the method's complaint about its strength parameter as one about
        ``invariance``, the argument the user typed (the other shared names are the same),
        and have a TaskCollapseWarning name it too."""
        try:
            with strength_alias(f"{type(self).__name__}'s invariance"):
                yield
        except TrainingDivergedError:
            raise
        except ValueError as exc:
            strength = self._estimator_class()._strength_param
            # fairrep's own check ("adversary_weight must be ...") or scikit-learn's ("The
            # 'adversary_weight' parameter of ForgettingClassifier must be ...")
            if self.invariance is None or not str(exc).startswith(
                    (strength, f"The {strength!r} parameter")):
                raise
            error = InvalidParameterError if isinstance(exc, InvalidParameterError) else ValueError
            raise error(INVARIANCE_INVALID.format(
                value=self.invariance, method=self.method, strength=strength,
                reason=exc)) from exc

    def _set_fitted(self, estimator):
        self.estimator_ = estimator
        self.n_features_in_ = estimator.n_features_in_
        if hasattr(estimator, "feature_names_in_"):
            self.feature_names_in_ = estimator.feature_names_in_
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_

    def _method_has_partial_fit(self):
        try:
            cls = self._estimator_class()
        except ValueError:
            return False
        return hasattr(cls(), "partial_fit")

    @available_if(_method_has_partial_fit)
    @_fit_context(prefer_skip_nested_validation=False)
    @takes_s_keyword
    def partial_fit(self, X, y=None, s=None, classes=None, s_classes=None):
        """One epoch of the chosen method's estimator over ``X``, ``y``, ``s``.

        The first call builds the method's estimator; later calls continue it (see the
        method's ``partial_fit`` for ``classes`` and ``s_classes``). Offered when the chosen
        method has ``partial_fit``.

        Returns
        -------
        self : object
        """
        estimator = self.__dict__.get("estimator_") or self._build()
        with self._errors_name_invariance():
            estimator.partial_fit(X, y, s=s, classes=classes, s_classes=s_classes)
        self._set_fitted(estimator)
        return self

    def transform(self, X):
        """The invariant representation of ``X`` (see the method's ``transform``)."""
        check_is_fitted(self)
        return self.estimator_.transform(X)

    @property
    def history_(self):
        """Training history of the fitted estimator."""
        check_is_fitted(self)
        return self.estimator_.history_

    def __sklearn_tags__(self):
        try:
            cls = self._estimator_class()
            inner = cls().__sklearn_tags__()
        except ValueError:  # unknown method: reported by fit, not here
            return super().__sklearn_tags__()
        tags = super().__sklearn_tags__()
        tags.target_tags = inner.target_tags
        tags.input_tags = inner.input_tags
        if tags.transformer_tags is not None and inner.transformer_tags is not None:
            tags.transformer_tags = inner.transformer_tags
        tags.non_deterministic = inner.non_deterministic
        return tags


@_unified_doc
class InvariantTransformer(TransformerMixin, _UnifiedBase):
    """Invariant representation with any registered method, chosen by name.

    A single parameter grid can sweep methods and invariance strengths::

        {"rep__method": ["forgetting", ...], "rep__invariance": [0.1, 1, 10]}

    %(unified_parameters)s

    %(unified_attributes)s

    %(unified_references)s

    Examples
    --------
    ``method="mmd"`` with ``invariance=5`` is :class:`~fairrep.MMDTransformer` with
    ``mmd_weight=5``:

    >>> import numpy as np
    >>> from fairrep import InvariantTransformer, MMDTransformer
    >>> rng = np.random.RandomState(0)
    >>> s = rng.randint(0, 2, 100)
    >>> X = np.c_[rng.normal(size=(100, 3)), s]
    >>> y = (X[:, 0] > 0).astype(int)
    >>> rep = InvariantTransformer(method="mmd", invariance=5.0, max_epochs=3, random_state=0)
    >>> mmd = MMDTransformer(mmd_weight=5.0, max_epochs=3, random_state=0)
    >>> Z = rep.fit(X, y, s=s).transform(X)
    >>> Z.shape, np.allclose(Z, mmd.fit(X, y, s=s).transform(X))
    ((100, 8), True)
    """


@_unified_doc
class InvariantClassifier(ClassifierMixin, TransformerMixin, _UnifiedBase):
    """Classifier of any registered method, chosen by name.

    %(unified_parameters)s

    %(unified_attributes)s

    %(unified_references)s

    Examples
    --------
    In a :class:`~sklearn.pipeline.Pipeline`, ``s`` goes to the step as ``<step>__s``:

    >>> import numpy as np
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from fairrep import InvariantClassifier
    >>> rng = np.random.RandomState(0)
    >>> s = rng.randint(0, 2, 100)
    >>> X = np.c_[rng.normal(size=(100, 3)), s]
    >>> y = np.where(X[:, 0] > 0, "yes", "no")
    >>> pipe = make_pipeline(StandardScaler(),
    ...                      InvariantClassifier(method="hsic", max_epochs=3, random_state=0))
    >>> pipe.fit(X, y, invariantclassifier__s=s).classes_
    array(['no', 'yes'], dtype='<U3')
    >>> type(pipe[-1].estimator_).__name__
    'HSICClassifier'
    """

    _role = "classifier"

    @property
    def classes_(self):
        check_is_fitted(self)
        return self.estimator_.classes_

    def predict(self, X):
        """Predicted labels (see the method's ``predict``)."""
        check_is_fitted(self)
        return self.estimator_.predict(X)

    def predict_proba(self, X):
        """Class probabilities (see the method's ``predict_proba``)."""
        check_is_fitted(self)
        return self.estimator_.predict_proba(X)

    def score(self, X, y, sample_weight=None):
        """Accuracy of the method's classifier (see its ``score``)."""
        check_is_fitted(self)
        return self.estimator_.score(X, y, sample_weight=sample_weight)
