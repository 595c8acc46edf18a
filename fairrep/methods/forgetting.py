"""Adversarial Forgetting estimators (Jaiswal et al., AAAI 2020)."""

from __future__ import annotations

from numbers import Integral

from sklearn.base import ClassifierMixin, TransformerMixin
from sklearn.utils._param_validation import StrOptions
from skorch.callbacks import Callback

from .. import _validation as V
from .._classifier import InvariantClassifierMixin
from .._docstrings import fill_doc
from .._params import (FAIRNESS_BOUND, NON_NEGATIVE, Number, POSITIVE_INT, STRENGTH_SCALING,
                       _store)
from ..base import BaseInvariantEstimator
from ..nn.forgetting import ADVERSARY_LOSSES, AdversarialForgettingNetwork
from ._registry import MethodSpec, register_method

_forgetting_doc = fill_doc(
    strength="delta",
    network="AdversarialForgettingNetwork",
    strength_param="adversary_weight",
    forgetting_parameters="""
    Parameters
    ----------
    n_components : int, default=8
        Dimension d of the code z and of the invariant code z~ (8 on Adult in the reference
        re-implementation).
    hidden_layer_sizes : tuple of int, default=(50,)
        Hidden widths of the encoder E, forget-gate F, predictor P and discriminator D; the
        decoder R uses them reversed.
    reconstruction_weight : float, default=0.01
        rho in eq. (1): weight of the reconstruction loss L_x (squared error summed over the
        features of x, averaged over rows) of x from the *unmasked* z. L_x grows with the
        number and the spread of the features while L_y does not: at rho = 0.1 it swamps the
        task on a small table with wide-ranged columns (German credit after a
        QuantileTransformer: the same network without s predicted the majority class), hence
        0.01 (from the protocol of ``benchmarks/robust_defaults.py``).
    adversary_weight : float, default=8.0
        delta in eq. (1): weight of the discriminator's term in the model step (see
        ``adversary_loss``).
        The invariance strength; ``InvariantTransformer(invariance=...)`` maps onto it. 0
        switches the adversary off (the forget-gate then acts as a plain bottleneck).
        %(robust_default)s
    mask_weight : float, default=0.1
        lambda in eq. (1): weight of the mask regulariser m^T (1 - m), which pushes every
        mask component towards 0 or 1.
    precision : float, default=1.0
        q, the precision at which z~ = z * m is represented. Section 4.2 of the paper relies on
        the imprecision of computation to lose the information of components with a small but
        non-zero mask (scaling by m_i > 0 is otherwise invertible, and a probe recovers
        everything). fairrep makes that precision explicit: training adds uniform noise on
        [-q/2, q/2) to z~ (the epsilon of section 4.1); ``transform`` and ``predict`` hold z~
        at precision q as ``finite_precision`` says. ``precision=0`` is the exact product
        z * m. lambda = 0.1 and q = 1 come from a grid in the paper's spirit on Adult; rho
        and delta from the protocol of ``benchmarks/robust_defaults.py``.
    finite_precision : {'dither', 'round'}, default='dither'
        How ``transform``/``predict`` hold z~ at precision q. ``'dither'``: the same uniform
        noise as in training, drawn as a pseudo-random function of each input row (keyed by
        ``random_state``), so a row always maps to the same z~, in any batch and on any device,
        and z~ is the channel the discriminator was trained against. ``'round'``: z~ rounded
        to multiples of q, which re-creates differences the training noise hid from the
        discriminator (two codes q/10 apart on either side of a rounding boundary land q
        apart) and so leaks s to a post-hoc probe (see the user guide's forgetting page).
    %(strength_scaling)s
        With the paper's random targets and a fixed delta, the objective of eq. (1) is lowest
        at the all-closed mask once delta times the adversary's excess over H(s) exceeds the
        task's gain (on Adult with s = sex: delta around 10 with one discriminator step per
        batch, 30 with ten), and a closed mask (a saturated sigmoid) does not reopen: the
        predictor ends at the class shares. Scaled by g, the adversary's pull vanishes before
        that point.
    adversary_loss : {'reversed', 'random_targets'}, default='reversed'
        What the model step minimises for D. ``'random_targets'`` is the paper's (section 3):
        D's cross-entropy against random draws of s. Its gradient with respect to D's logits is
        D(z~) - p(s), which vanishes as soon as the current D outputs the marginal of s; one
        discriminator step per batch lags behind the model, so the model fools that D without
        removing s: on Adult (one-hot + StandardScaler, s = sex) the predictions keep most of
        an unconstrained network's DP gap, and at larger delta the accuracy falls before the
        gap does. ``'reversed'`` minimises minus D's cross-entropy on the true s (the
        gradient-reversal objective), whose gradient one-hot(s) - D(z~) keeps pointing at the
        s left in z~ while D is still weak. The default is the protocol's
        choice (``benchmarks/robust_defaults.py``); ``adversary_loss='random_targets',
        adversary_to_encoder=False, adversary_steps=10`` is the paper's training.
    adversary_to_encoder : bool, default=True
        False is the paper's design: D's gradient reaches only the forget-gate F (the break
        between z and the product in its figure 1), so removing s relies on F closing the
        components of z that carry it, and z itself keeps s. True lets D's gradient also reach
        the encoder E, which can then move s out of the components the mask keeps open.
    adversary_steps : int, default=1
        k: discriminator updates per model update (the paper's k : 1 schedule). Each batch
        first gets k discriminator steps on its z~ (computed once), then one model step.
        One step per batch is the schedule of the reference code and a tenth of the cost of
        k = 10.
    warmup_epochs : int, default=5
        delta and q grow linearly from 0 to their values over the first ``warmup_epochs``
        epochs, so the encoder and predictor learn y before the bottleneck and the adversary
        bite (without it, a fit on Adult can collapse to a constant prediction: the
        forget-gate closes every component before z has grown above the precision q). Not in
        the paper; 0 switches it off.
    max_epochs : int, default=30
        Passes over the training data.
    %(auto_batch)s
    lr : float, default=1e-3
        Adam learning rate of both optimizers (the paper uses 1e-4 with several hundred
        epochs).
    weight_decay : float, default=1e-4
        Adam weight decay of both optimizers.
    %(device)s
    random_state : int, RandomState instance or None, default=None
        Seeds parameter initialisation, batch order and the random s targets. With an int,
        CPU results are bit-identical from run to run.
    %(training_switches)s
    %(bound_params)s
    """,
    forgetting_attributes="""
    %(net_attribute)s
    history_ : skorch.History
        Per epoch: ``train_task`` (L_y), ``train_reconstruction`` (L_x),
        ``train_adversary`` (L_s of the model step, against random s), ``train_mask``
        (m^T (1 - m)), ``train_discriminator`` (D's cross-entropy on the true s) and
        ``train_loss`` (the weighted total of the model step).
    s_classes_ : ndarray or list of ndarray or None
        Groups of ``s`` seen in fit (a list with one array per column for 2-D ``s``).
    n_tasks_ : int
        Number of target columns T (multi-task extension of section 3).
    %(common_attributes)s
    """)


class _WarmUp(Callback):
    """Ramp delta and q linearly from 0 to their values over the first ``epochs`` epochs."""

    def __init__(self, epochs, adversary_weight, precision):
        self.epochs, self.adversary_weight, self.precision = epochs, adversary_weight, precision

    def on_epoch_begin(self, net, **kwargs):
        done = len(net.history) - 1  # history already holds the row of this epoch
        scale = min(1.0, done / self.epochs) if self.epochs else 1.0
        net.module_.adversary_weight = scale * self.adversary_weight
        net.module_.precision = scale * self.precision

    def on_train_end(self, net, **kwargs):
        # the fitted model (transform's finite precision) uses the full values
        net.module_.adversary_weight = self.adversary_weight
        net.module_.precision = self.precision


class _ForgettingBase(BaseInvariantEstimator):
    _strength_param = "adversary_weight"
    _invariance_needs_s = True
    _module_class = AdversarialForgettingNetwork
    _parameter_constraints = {
        **BaseInvariantEstimator._parameter_constraints, **STRENGTH_SCALING, **FAIRNESS_BOUND,
        "reconstruction_weight": [NON_NEGATIVE],
        "adversary_weight": [NON_NEGATIVE],
        "mask_weight": [NON_NEGATIVE],
        "precision": [NON_NEGATIVE],
        "finite_precision": [StrOptions({"dither", "round"})],
        "adversary_loss": [StrOptions(set(ADVERSARY_LOSSES))],
        "adversary_to_encoder": ["boolean"],
        "adversary_steps": [POSITIVE_INT],
        "warmup_epochs": [Number(Integral, 0, None, closed="left")],
    }

    def __init__(self, n_components=8, hidden_layer_sizes=(50,), reconstruction_weight=0.01,
                 adversary_weight=8.0, mask_weight=0.1, precision=1.0,
                 finite_precision="dither", strength_scaling="task_gain",
                 adversary_loss="reversed", adversary_to_encoder=True, adversary_steps=1,
                 warmup_epochs=5, max_epochs=30, batch_size="auto", lr=1e-3, weight_decay=1e-4,
                 device="cpu", random_state=None, verbose=0, mixed_precision=False,
                 constraint=None, bound=0.05):
        _store(self, locals())

    def _adversary_steps(self):
        return int(self.adversary_steps)

    def _callbacks(self):
        return [("warmup", _WarmUp(int(self.warmup_epochs), self.adversary_weight,
                                   self.precision))]

    def _module_params(self, n_features, n_classes, s_enc, n_samples):
        if s_enc is None:
            cards, columns = None, None
        else:
            n_s = s_enc.codes.shape[1]
            n_tasks = len(n_classes)
            if n_tasks == 1:
                columns = [list(range(n_s))]
            elif n_s == n_tasks:
                columns = [[j] for j in range(n_tasks)]
            elif n_s == 1:
                columns = [[0] for _ in range(n_tasks)]
            else:
                raise ValueError(
                    f"y has {n_tasks} columns (tasks) but s has {n_s}; for the multi-task "
                    "extension pass one s column per task, or a single s column shared by all "
                    "tasks.")
            cards = s_enc.cardinalities
        return dict(
            n_features=n_features,
            n_components=self.n_components,
            n_classes=n_classes,
            s_cardinalities=cards,
            s_columns=columns,
            hidden_layer_sizes=V.check_hidden_layer_sizes(self.hidden_layer_sizes),
            reconstruction_weight=float(self.reconstruction_weight),
            adversary_weight=float(self.adversary_weight),
            mask_weight=float(self.mask_weight),
            precision=float(self.precision),
            finite_precision=self.finite_precision,  # checked by the module
            dither_key=V.seed_from(self.random_state),
            strength_scaling=self.strength_scaling,
            adversary_loss=self.adversary_loss,
            adversary_to_encoder=bool(self.adversary_to_encoder),
        )

    def forget_mask(self, X):
        """The forget mask m = F(x), each component in (0, 1).

        Returns
        -------
        m : ndarray of shape (n_samples, n_components), or (n_samples, n_tasks,
            n_components) with several tasks.
        """
        m = self._apply(X, lambda module, Xb: module.masks(Xb))
        return m[:, 0] if m.shape[1] == 1 else m

    def encode(self, X):
        """The unmasked code z = E(x), which also encodes s.

        Returns
        -------
        z : ndarray of shape (n_samples, n_components)
        """
        return self._apply(X, lambda module, Xb: module.code(Xb))


@_forgetting_doc
class ForgettingTransformer(TransformerMixin, _ForgettingBase):
    """Invariant representation by Adversarial Forgetting.

    An encoder E maps x to a code z that keeps everything about x (it is trained to
    reconstruct x through a decoder R); a forget-gate F computes a mask m from x, and the
    invariant code is z~ = z * m. A predictor P infers y from z~ while a discriminator D,
    whose gradient reaches only the forget-gate, tries to infer s from z~; the model is
    updated to make D's output look like a random draw of s (Jaiswal et al., "Invariant
    Representations through Adversarial Forgetting", AAAI 2020, eq. (1) and section 3).

    ``transform`` returns z~ (with T target columns, the T codes z~_j side by side, shape
    (n_samples, T * n_components)). ``s`` is categorical (one or several columns); without
    ``s`` the model trains with no invariance term.

    %(forgetting_parameters)s

    Attributes
    ----------
    %(forgetting_attributes)s

    See Also
    --------
    ForgettingClassifier : the same model, predicting y with P.

    Examples
    --------
    >>> import numpy as np
    >>> from fairrep import ForgettingTransformer
    >>> rng = np.random.RandomState(0)
    >>> s = rng.randint(0, 2, 200)
    >>> X = np.c_[rng.normal(size=(200, 3)), s + 0.1 * rng.normal(size=200)]
    >>> y = (X[:, 0] > 0).astype(int)
    >>> Z = ForgettingTransformer(max_epochs=5, random_state=0).fit(X, y, s=s).transform(X)
    >>> Z.shape
    (200, 8)
    """


@_forgetting_doc
class ForgettingClassifier(ClassifierMixin, TransformerMixin, InvariantClassifierMixin,
                           _ForgettingBase):
    """Classifier trained by Adversarial Forgetting, predicting y from z~.

    The model of :class:`ForgettingTransformer` (Jaiswal et al., AAAI 2020, eq. (1)); ``predict``
    and ``predict_proba`` use the jointly trained predictor P on the invariant code
    z~ = E(x) * F(x), and ``transform`` returns z~. With T target columns (multi-task
    extension, section 3) ``predict`` returns (n_samples, T) labels and ``predict_proba`` a
    list of T arrays.

    %(forgetting_parameters)s

    Attributes
    ----------
    %(forgetting_attributes)s
    %(classes_attribute)s

    Examples
    --------
    >>> import numpy as np
    >>> from fairrep import ForgettingClassifier
    >>> rng = np.random.RandomState(0)
    >>> s = rng.choice(["a", "b"], 200)
    >>> X = np.c_[rng.normal(size=(200, 3)), (s == "a") + 0.1 * rng.normal(size=200)]
    >>> y = np.where(X[:, 0] > 0, "yes", "no")
    >>> clf = ForgettingClassifier(max_epochs=50, batch_size=32, random_state=0)
    >>> clf.fit(X, y, s=s).predict(X[:3]).tolist()
    ['no', 'no', 'yes']
    >>> clf.score(X, y) > 0.9
    True
    >>> clf.forget_mask(X).shape
    (200, 8)
    """


register_method(MethodSpec(
    "forgetting", ForgettingTransformer, ForgettingClassifier, strength_param="adversary_weight",
    paper="Jaiswal et al., Invariant Representations through Adversarial Forgetting, AAAI 2020"))
