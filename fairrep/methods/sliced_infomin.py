"""Scalable infomin estimators (Chen, Sun, Li & Weller, NeurIPS 2022)."""

from __future__ import annotations

from numbers import Integral

import numpy as np
import torch
from skorch.callbacks import Callback
from sklearn.base import ClassifierMixin, TransformerMixin
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import check_is_fitted

from .. import _validation as V
from .._classifier import InvariantClassifierMixin
from .._docstrings import fill_doc
from .._params import (FAIRNESS_BOUND, LAYER_SIZES, NON_NEGATIVE, Number, POSITIVE_INT,
                       STRENGTH_SCALING, _store)
from ..base import BaseInvariantEstimator
from ..nn.sliced import SlicedInfominNetwork
from ._registry import MethodSpec, register_method

#: Dimension of Z for ``n_components='auto'`` without y (reconstruction needs room).
AUTO_UNSUPERVISED_COMPONENTS = 8

MAX_STEP_EVERY = (
    "max_step_every must be a positive integer (batches per max step), or 'epoch' (one max "
    "step at the start of every epoch) together with max_step_rows, got {value!r}."
)


class _CosineLR(Callback):
    """The encoder's learning rate annealed from ``lr`` towards 0 over ``max_epochs`` epochs.

    Epoch e of the training history (counted from 0 over ``fit`` and then ``partial_fit``
    calls) runs at ``lr * (1 + cos(pi * min(e, E - 1) / E)) / 2`` with E = ``max_epochs``:
    epochs past E keep the last, smallest rate. Only the model's optimizer is annealed (a
    Renyi adversary keeps its rate).
    """

    def __init__(self, lr, max_epochs):
        self.lr, self.max_epochs = lr, max_epochs

    def on_epoch_begin(self, net, **kwargs):
        epoch = min(len(net.history) - 1, self.max_epochs - 1)  # the net has opened its row
        rate = self.lr * (1 + np.cos(np.pi * epoch / self.max_epochs)) / 2
        for group in net.optimizer_.param_groups:
            group["lr"] = rate


class _SampledMaxStep(Callback):
    """Max steps on ``rows`` rows drawn from the training set, every ``every`` batches
    (before every epoch's first batch when ``every`` is 'epoch').

    Before the batch, the rows are drawn (a generator seeded from the net's seed, its state
    kept across ``partial_fit`` calls), encoded by the current f without gradient, and the
    module's slices and CCAs are solved on them (:meth:`SlicedInfominNetwork.max_step`).
    """

    def __init__(self, rows, every):
        # rows: an int, or None for every row; every: an int, or "epoch"
        self.rows, self.every = rows, every

    def on_train_begin(self, net, X=None, **kwargs):
        self.data_ = X
        self.generator_ = torch.Generator()
        state = self.__dict__.get("generator_state_")
        if state is not None and len(net.history):  # partial_fit after a fit: go on
            self.generator_.set_state(state)
        else:
            self.generator_.manual_seed(net.seed + 2)
            self.batches_ = 0

    def on_epoch_begin(self, net, **kwargs):
        if self.every == "epoch":
            self._max_step(net)

    def on_batch_begin(self, net, batch=None, training=False, **kwargs):
        if not training or self.every == "epoch":
            return
        if self.batches_ % self.every == 0:
            self._max_step(net)
        self.batches_ += 1

    def _max_step(self, net):
        module = net.module_
        if module.dim_t is None:
            return
        n = len(self.data_)
        if self.rows is None or self.rows >= n:
            rows = torch.arange(n)
        else:
            rows = torch.randperm(n, generator=self.generator_)[:self.rows]
        X, _, t = self.data_.batch(rows.to(self.data_.index_device))
        if t is None:  # fitted without s: no dependence term
            return
        with torch.no_grad(), torch.autocast(torch.device(net.device).type, enabled=False):
            z = module(X)
        module.max_step(z, t, self.generator_)

    def on_train_end(self, net, **kwargs):
        # torch.Generator does not pickle; its state does. The data is not kept.
        self.generator_state_ = self.generator_.get_state()
        del self.generator_, self.data_

_sliced_doc = fill_doc(
    strength="beta",
    strength_param="beta",
    sliced_parameters="""
    Parameters
    ----------
    beta : float, default=4.0
        beta, the weight of the dependence term: the model minimises
        L(f(X), Y) + beta * SI(f(X); T). The slides and this class put beta on SI; the
        authors' code weights the task term instead (beta * L + SI), which only rescales the
        learning rate. ``InvariantTransformer(invariance=...)`` maps onto it; 0 switches the
        dependence term off. The default goes with the default ``n_components='auto'`` of a
        supervised fit, where SI is a mean over slices that each see all of a 1-D Z. A
        Z of several dimensions wants a much larger beta (each random slice sees only part
        of it; e.g. 100 to 400 with ``n_components=4, degree=3``), and so does the
        unsupervised mode, where L is a squared error summed over the features. The
        default (with
        ``n_components='auto'`` and ``degree=5``) was chosen on Adult's raw columns with
        s = sex, 5 seeds, for rho*(Z; s) and then checked on the protocol of
        ``benchmarks/robust_defaults.py`` (several tables, preprocessing recipes and seeds;
        results in ``benchmarks/results/robust_defaults/``) and of
        ``benchmarks/representation_dependence.py``.
    n_slices : int, default=100
        S, the number of slice pairs (theta_i, phi_i) drawn at each max step (100 in the
        paper's fairness experiments, 200 in the code's default).
    degree : int, default=5
        Degree of the polynomials h_i, g_i on tanh(theta_i^T Z), tanh(phi_i^T T) (3 in the
        paper). Each slice's CCA sees the first ``degree`` moments of tanh(theta_i^T Z)
        within the groups of T; with 3, a 1-D Z kept rho*(Z; sex) about twice as high on
        Adult (see the user guide's sliced infomin page).
    max_step_every : int or 'epoch', default=1
        Min steps per max step: every ``max_step_every`` training batches the slices are
        redrawn and the CCAs re-solved; the batches in between minimise SI with those
        constants. 'epoch' (only with ``max_step_rows``): one max step before the first
        batch of every epoch. With ``cca='per_slice'`` the min step minimises the
        *mean* over the S slice pairs of ``|rho(h_i(theta_i^T Z), g_i(phi_i^T T))|`` (the
        paper's estimate takes the sup; the mean gives every slice pair a gradient, the sup
        only the best one).
    max_step_rows : int, 'all' or None, default=None
        Rows each max step solves on. None: the current batch (the CCAs fitted on one half,
        evaluated on the other). An int: that many rows drawn at random from the training
        set (all of them if it has fewer), encoded with the current f without gradient;
        'all': every training row. The CCA estimates are then far less noisy than on half a
        batch, at the cost of one forward pass over those rows per max step.
        ``max_step_rows='all', max_step_every='epoch'`` is the schedule of the authors' code
        (one max step on the whole training set, then an epoch of min steps).
    estimator : {'slice', 'renyi'}, default='slice'
        'slice' is the method: the analytic sliced estimate. 'renyi' is the adversarial
        baseline: a neural HGR network f(Z), g(T) (hidden width 200) trained for
        ``adversary_steps`` gradient steps per batch to maximise ``|rho(f(Z), g(T))|``, which the
        model then minimises with weight beta.
    adversary_steps : int, default=50
        L, gradient steps of the Renyi adversary per batch (only with ``estimator='renyi'``):
        the paper's neural baseline takes 50 per max step. With few, the encoder fools the one
        adversary it trains against while a fresh HGR network still reads s.
    n_components : int or 'auto', default='auto'
        Dimension of Z = f(X). 'auto': with y, the number of logits a linear read-out of the
        targets needs, the sum over target columns of (classes - 1), so 1 for a binary y,
        with a linear predictor on it (see ``predictor_hidden``): Z is then a score for y,
        the logits affine in it, made independent of T. Every dimension that y does not
        need is room for a dependence on T that the random slices see only in part (on
        Adult with s = sex, rho*(Z; sex) read about 0.20 with 8 dimensions where 1 reads
        under 0.10 at a higher accuracy). Without y, 8. The fitted value is
        ``n_components_``.
    hidden_layer_sizes : tuple of int, default=(100,)
        Hidden widths of the encoder f, of the predictor unless ``predictor_hidden`` says
        otherwise, and reversed of the decoder.
    max_epochs : int, default=30
    %(auto_batch)s
        Each max step solves its CCAs on half a batch: on a small table ``'auto'`` gives
        batches of 32 (more steps, noisier slices), which trained better than a few steps of
        256 rows on German credit (700 rows), where 256 predicted one class.
    lr : float, default=1e-3
        Adam learning rate.
    weight_decay : float, default=0.0
    %(device)s
    random_state : int, RandomState instance or None, default=None
        Seeds the initialisation, the batch order, the slices and the CCA halves.
    %(training_switches)s
    cca : {'per_slice', 'joint'}, default='per_slice'
        'per_slice': each max step solves S small CCAs, one per slice pair (the slides'
        sup over pairs i, j), and the min steps minimise their mean. 'joint': one CCA
        between the polynomial features of all S slices of Z and all S slices of T, as the
        authors' code solves it (``SliceInfominLayer``): SI is the top canonical correlation
        of h(Z) = sum_i h_i(theta_i^T Z) and g(T) = sum_j g_j(phi_j^T T), a combination of
        S * degree random features on each side, so it sees dependence that no single
        direction shows. The CCA is (S * degree)-square and fitted on half the rows of the
        max step: use it with ``max_step_rows`` well above 2 * S * degree (e.g. 'all').
        SI is then one correlation near rho*, not a mean over slices: beta wants to be
        about an order of magnitude smaller than with 'per_slice' (the Adult setting of the
        user guide's sliced infomin page: beta 1.25 with S = 60, ``max_step_rows='all'``,
        ``max_step_every=5``, ``whiten=True`` and ``lr_schedule='cosine'``).
    whiten : bool, default=True
        Whiten Z (covariance I, :func:`fairrep.nn.sliced.whiten`) before slicing, in the
        max and the min steps, instead of standardising each column. A trained encoder
        tends to put most of Z's variance along one direction; with columns merely
        standardised every random slice then sees mostly that direction, tanh saturates on
        it, and dependence on s carried by a low-variance direction stays invisible, so the
        encoder can move it there. Whitening closes that gap (SI is computed on an
        invertible linear map of Z, which carries the same information), and it is the
        view :func:`fairrep.metrics.max_correlation` evaluates Z in. False standardises
        each column instead: every slice then weighs Z's high-variance directions, where
        the prediction usually lies, and leaves the others less clean.
    lr_schedule : None or 'cosine', default=None
        None keeps ``lr`` constant. 'cosine' anneals the encoder's learning rate from ``lr``
        towards 0 over ``max_epochs`` epochs: epoch e of the training history (``fit``,
        then one per ``partial_fit`` call) runs at ``lr * (1 + cos(pi * e / max_epochs)) /
        2``, and epochs past ``max_epochs`` at the last of these rates. The min-max game between
        the encoder and the re-solved slices does not settle at a constant rate: the
        encoder keeps moving the dependence to where the last max step did not look, and
        the representation it stops at depends on where in that cycle training ends. A
        decaying rate lets the last max steps catch up with it (the authors' code decays
        its rate with ``ReduceLROnPlateau``).
    predictor_hidden : tuple of int or None, default=None
        Hidden widths of the predictor of y on Z (supervised mode only). ``()``: a linear
        predictor, so that Z is trained to carry y *linearly*, which is what a logistic
        regression on ``transform(X)`` reads. None: ``()`` with ``n_components='auto'``
        (the logits are then affine in Z, a monotone read-out that a linear model
        downstream follows; a hidden layer on a 1-D Z can learn a bump that it cannot),
        otherwise the same as ``hidden_layer_sizes``.
    %(strength_scaling)s
    %(bound_params)s
    """,
    sliced_attributes="""
    net_ : fairrep._training.InvariantNet
        ``net_.module_`` is the :class:`fairrep.nn.sliced.SlicedInfominNetwork`; its
        ``solution_`` holds the last max step's slices and CCA weights.
    history_ : skorch.History
        Per epoch: ``train_task`` (cross-entropy) or ``train_reconstruction``, ``train_si``
        (SI of the min steps) or ``train_hgr`` / ``train_adversary_hgr`` for 'renyi', and
        ``train_loss``.
    n_components_ : int
        The dimension of Z (``n_components``, with 'auto' resolved).
    s_classes_ : ndarray, None or list
        Groups of a categorical 1-D ``s``; None for a continuous one; a list (one entry per
        column) for 2-D ``s``.
    %(common_attributes)s
    """)


class _SlicedInfominBase(BaseInvariantEstimator):
    _strength_param = "beta"
    _s_kind = "numeric"
    _invariance_needs_s = True
    _module_class = SlicedInfominNetwork
    _parameter_constraints = {
        **BaseInvariantEstimator._parameter_constraints, **STRENGTH_SCALING, **FAIRNESS_BOUND,
        "beta": [NON_NEGATIVE],
        "n_slices": [POSITIVE_INT],
        "degree": [POSITIVE_INT],
        "max_step_every": [POSITIVE_INT, StrOptions({"epoch"})],
        "max_step_rows": [Number(Integral, 4, None, closed="left"), StrOptions({"all"}), None],
        "estimator": [StrOptions({"slice", "renyi"})],
        "adversary_steps": [POSITIVE_INT],
        "cca": [StrOptions({"per_slice", "joint"})],
        "whiten": ["boolean"],
        "lr_schedule": [StrOptions({"cosine"}), None],
        "predictor_hidden": [*LAYER_SIZES, None],
        "n_components": [POSITIVE_INT, StrOptions({"auto"})],
    }

    def __init__(self, beta=4.0, n_slices=100, degree=5, max_step_every=1, max_step_rows=None,
                 estimator="slice", adversary_steps=50, n_components="auto",
                 hidden_layer_sizes=(100,),
                 max_epochs=30, batch_size="auto", lr=1e-3, weight_decay=0.0, device="cpu",
                 random_state=None, verbose=0, mixed_precision=False, cca="per_slice",
                 whiten=True, lr_schedule=None, predictor_hidden=None,
                 strength_scaling="task_gain", constraint=None, bound=0.05):
        _store(self, locals())

    def _adversary_steps(self):
        if self.estimator != "renyi":
            return 0
        return int(self.adversary_steps)

    def _module_params(self, n_features, n_classes, s_enc, n_samples):
        return dict(
            n_features=n_features,
            n_components=self._n_components(n_classes),
            n_classes=n_classes,
            dim_t=None if s_enc is None else s_enc.values.shape[1],
            hidden_layer_sizes=V.check_hidden_layer_sizes(self.hidden_layer_sizes),
            beta=float(self.beta),
            n_slices=int(self.n_slices),
            degree=int(self.degree),
            # with max_step_rows the trainer runs the max steps (_SampledMaxStep)
            max_step_every=0 if self._sampled_max_steps() else self._max_step_every(),
            estimator=self.estimator,
            cca=self.cca,
            whiten=bool(self.whiten),
            predictor_hidden=self._predictor_hidden(),
            strength_scaling=self.strength_scaling,
        )

    def _n_components(self, n_classes):
        """The dimension of Z: ``n_components``, or its ``'auto'`` rule for these targets
        (``n_classes``: classes per target column, None without y)."""
        if self.n_components != "auto":
            return int(self.n_components)
        if n_classes is None:
            return AUTO_UNSUPERVISED_COMPONENTS
        return sum(max(k - 1, 1) for k in n_classes)

    def _predictor_hidden(self):
        """Hidden widths of the predictor: ``predictor_hidden``, or with None a linear one
        for ``n_components='auto'`` (the logits are then affine in Z) and the encoder's
        widths otherwise (None, which the module reads so)."""
        if self.predictor_hidden is None:
            return () if self.n_components == "auto" else None
        return V.check_hidden_layer_sizes(self.predictor_hidden, "predictor_hidden")

    @property
    def n_components_(self):
        """int: the dimension of Z of the fitted model (``n_components`` resolved)."""
        check_is_fitted(self, "net_")
        return self.net_.module_.encoder[-1].out_features

    def _sampled_max_steps(self):
        """True when the trainer solves the max steps on training rows (_SampledMaxStep)."""
        return self.max_step_rows is not None and self.estimator == "slice"

    def _max_step_rows(self):
        """None for every row, else the number of rows."""
        rows = self.max_step_rows
        return None if isinstance(rows, str) and rows == "all" else int(rows)

    def _max_step_every(self):
        # _parameter_constraints allow 'epoch'; it needs max_step_rows too
        every = self.max_step_every
        if isinstance(every, str):
            if not self._sampled_max_steps():
                raise ValueError(MAX_STEP_EVERY.format(value=every))
            return every
        return int(every)

    def _callbacks(self):
        callbacks = []
        if self.lr_schedule == "cosine":
            callbacks.append(("cosine_lr", _CosineLR(self.lr, self.max_epochs)))
        if self._sampled_max_steps():
            callbacks.append(("sampled_max_step",
                              _SampledMaxStep(self._max_step_rows(), self._max_step_every())))
        return callbacks


@_sliced_doc
class SlicedInfominTransformer(TransformerMixin, _SlicedInfominBase):
    """Invariant representation by scalable (sliced) infomin learning.

    An encoder f maps x to Z = f(X), trained to minimise L(f(X), Y) + beta * SI(f(X); T)
    where T is the sensitive attribute ``s`` and SI the sliced mutual-information proxy of
    Chen, Sun, Li & Weller, "Scalable Infomin Learning" (NeurIPS 2022):
    SI(Z; T) ~= sup_{i, j} sup_{h_i, g_j} rho(h_i(theta_i^T Z), g_j(phi_j^T T)) with random
    slices theta_i, phi_j on the unit spheres and polynomial h, g. No adversary is trained:
    each max step draws S fresh slice pairs and solves their CCAs analytically (ridge 1e-3)
    on half a batch, or on ``max_step_rows`` rows of the training set; the min steps minimise
    SI with those slices and weights held constant.

    With ``y``, L is the cross-entropy of a jointly trained predictor on Z (one per target
    column). With ``y=None`` the transformer is unsupervised: L is the squared error of a
    decoder reconstructing x from Z, so Z keeps as much of x as it can while forgetting T.

    ``s`` may be categorical (one-hot encoded for T) or continuous (numeric with more than 20
    distinct values, standardised), in one or several columns; a constant column is a
    ``ValueError``. Without ``s`` the network trains with no dependence term.

    %(sliced_parameters)s

    Attributes
    ----------
    %(sliced_attributes)s

    See Also
    --------
    SlicedInfominClassifier : the same model, predicting y.
    fairrep.metrics.max_correlation : rho*(Z; T), the paper's evaluation.

    Examples
    --------
    >>> import numpy as np
    >>> from fairrep import SlicedInfominTransformer
    >>> rng = np.random.RandomState(0)
    >>> age = rng.uniform(20, 70, 300)
    >>> X = np.c_[rng.normal(size=(300, 3)), age / 50 + 0.1 * rng.normal(size=300)]
    >>> y = (X[:, 0] > 0).astype(int)
    >>> rep = SlicedInfominTransformer(beta=5.0, max_epochs=3, random_state=0)
    >>> rep.fit(X, y, s=age).transform(X).shape  # n_components='auto': one score for y
    (300, 1)
    >>> rep.fit(X, s=age).transform(X).shape  # without y: Z reconstructs X
    (300, 8)
    """

    _requires_y = False


@_sliced_doc
class SlicedInfominClassifier(ClassifierMixin, TransformerMixin, InvariantClassifierMixin,
                              _SlicedInfominBase):
    """Classifier trained by scalable (sliced) infomin learning.

    The model of :class:`SlicedInfominTransformer` (Chen et al., NeurIPS 2022) with its
    jointly trained predictor: minimises cross-entropy + beta * SI(f(X); T). ``predict`` and
    ``predict_proba`` use the predictor on Z = f(X); ``transform`` returns Z.

    %(sliced_parameters)s

    Attributes
    ----------
    %(sliced_attributes)s
    %(classes_attribute)s

    Examples
    --------
    >>> import numpy as np
    >>> from fairrep import SlicedInfominClassifier
    >>> from fairrep.metrics import demographic_parity_difference, sliced_mutual_information
    >>> rng = np.random.RandomState(0)
    >>> s = rng.choice(["a", "b"], 300)
    >>> X = np.c_[rng.normal(size=(300, 3)), (s == "a") + 0.1 * rng.normal(size=300)]
    >>> y = np.where(X[:, 0] + X[:, 3] > 0.5, "yes", "no")  # s enters y through X[:, 3]
    >>> def fit(beta):
    ...     return SlicedInfominClassifier(beta=beta, max_epochs=30, random_state=0).fit(X, y, s=s)
    >>> plain, infomin = fit(0.0), fit(4.0)  # 4.0 is the default
    >>> def si(clf):  # the held-out sliced proxy of I(z; s) that beta penalises
    ...     return sliced_mutual_information(clf.transform(X), s, random_state=0)
    >>> def gap(clf):
    ...     return demographic_parity_difference(y, clf.predict(X), s=s, pos_label="yes")
    >>> bool(si(plain) > 0.3), bool(si(infomin) < 0.1), infomin.score(X, y) > 0.75
    (True, True, True)
    >>> bool(gap(plain) > 0.3), bool(gap(infomin) < 0.1)
    (True, True)
    >>> infomin.n_components_  # 'auto': one score for a binary y
    1
    """


register_method(MethodSpec(
    "sliced_infomin", SlicedInfominTransformer, SlicedInfominClassifier, strength_param="beta",
    paper="Chen, Sun, Li & Weller, Scalable Infomin Learning, NeurIPS 2022"))
