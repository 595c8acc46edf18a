"""Fully invertible RevNets with the independence cross-entropy (Jacobsen et al., ICLR 2019)."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.base import ClassifierMixin, TransformerMixin
from sklearn.utils import check_array
from sklearn.utils._param_validation import StrOptions
from sklearn.utils import _safe_indexing
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import _num_samples, check_is_fitted

from .. import _validation as V
from .._classifier import InvariantClassifierMixin
from .._bound import validation_rows
from .._docstrings import fill_doc
from .._inputs import column_spacing, column_std
from .._params import LAYER_SIZES, NON_NEGATIVE, Number, POSITIVE_INT, _store
from .._sensitive import encode_sensitive_like
from .._training import EarlyStopping
from ..base import BaseInvariantEstimator
from ..nn.invertible import COUPLINGS, LOSSES, MIXINGS, NUISANCE_TARGETS, FullyInvertibleRevNet
from ._registry import MethodSpec, register_method

REPRESENTATIONS = ("logits", "nuisance", "full")
#: ``input_noise='auto'`` for feature vectors, in units of each column's scale.
AUTO_INPUT_NOISE = 0.05

TOO_FEW_FEATURES = (
    "X has n_features={n_features} but a fully invertible network needs at least "
    "{needed} ({n_logits} logits, one per class, and a non-empty nuisance z_n); "
    "{fix}"
)
IMAGE_SHAPE_INVALID = (
    "image_shape must be None or (channels, height, width) with positive integers and an "
    "even height and width, got {value!r}."
)
IMAGE_SHAPE_MISMATCH = (
    "image_shape={shape!r} has {size} pixels but X has n_features={n_features}; X holds one "
    "flattened (C, H, W) image per row."
)
PAD_IMAGES = (
    "pad_features={value!r} with image_shape: padding is only available for vectors; use "
    "pad_features='auto' or 0."
)
INVERSE_WIDTH = (
    "inverse_transform needs the full representation z with {expected} columns, got "
    "{got}; use representation='full' for transform."
)
METAMER_ROWS = (
    "X_semantic has {n_a} rows but X_nuisance has {n_b}; metamers pair row i of each."
)
LABELS_REQUIRED = (
    "InvertibleTransformer requires y to be passed, but the target y is None: its first "
    "dimensions are trained to predict s, or y when there is no s; pass s or y."
)
TARGET_SHAPE = (
    "s_target must be one value, one value per row of X, or an (n_samples, {n_cols}) array, "
    "got shape {shape}."
)


#: The classifier's early-stopping parameters (InvertibleTransformer has none).
EARLY_STOPPING_PARAMS = """
    early_stopping : bool or 'auto', default='auto'
        Hold out ``validation_fraction`` of the training rows (stratified on y), measure the
        cross-entropy of the logits on them after each epoch (``valid_task`` in the
        history), stop once ``n_iter_no_change`` epochs in a row have not lowered it, and keep
        the weights of the lowest epoch (``best_epoch_``). A flow is a large model for a table:
        on German credit (700 rows, one-hot + StandardScaler) the logits fit the training rows
        within a few epochs and the test accuracy then falls below the majority share 0.70
        over 100 epochs (0.67-0.70 on 3 splits, against 0.72-0.79 for a logistic regression;
        with early stopping 0.73-0.76: ``benchmarks/results/classifier_tables/``).
        'auto': on for feature vectors, off for images (``image_shape`` set; the shift-digit
        figures were measured with every epoch).
    validation_fraction : float, default=0.1
        Share of the training rows held out for early stopping (at least 2 rows).
    n_iter_no_change : int, default=10
        Epochs without a lower held-out cross-entropy before training stops.
    """

#: The docstring texts of both estimators (``representation``: each one's default).
_DOC_TEXTS = dict(
    invertible_parameters="""
    Parameters
    ----------
    loss : {'ice', 'ce'}, default='ice'
        'ce' trains with the cross-entropy of the logits z_s only (the paper's CE baseline);
        'ice' with eq. (6): the independence cross-entropy L_sCE - L_nCE of Definition 5 (a
        nuisance classifier D_nc, trained as an adversary, reads the labels from z_n and the
        network makes it fail) plus the maximum-likelihood term L_MLEn on z_n.
    representation : {'logits', 'nuisance', 'full'}, default=%(representation)s
        What ``transform`` returns: z_s, z_n or the whole z = F(x). ``inverse_transform``
        always takes the whole z.
    hidden_layer_sizes : tuple of int, default=(64,)
        Hidden widths of each coupling's network (an MLP; for images the channels of a small
        CNN with 3x3 convolutions first and last, 1x1 ones between).
    n_blocks : int, default=4
        Number of invertible steps (per level for images), each ActNorm -> channel mixing ->
        coupling (the reference code: 16 per level, 3 levels on MNIST).
    coupling : {'affine', 'additive'}, default='affine'
        Affine couplings have a bounded log-scale (``|log s| <= 2`` per block); additive ones are
        volume preserving.
    mixing : {'lu', 'permutation', 'reverse'}, default='lu'
        Channel mixing between couplings: Glow's learned LU-parametrised linear map (1x1
        convolution for images), a fixed random permutation, or the reversal of the reference
        code.
    image_shape : tuple of int or None, default=None
        (C, H, W) of images flattened row-major in the rows of X (e.g. (1, 8, 8) for sklearn's
        digits): builds a convolutional flow, squeeze (space-to-depth) then coupling blocks
        with small CNNs, flattened channels-last so the logits are the channels at one spatial
        position. None builds a fully connected flow on the feature vector.
    nuisance_weight : float, default=1.0
        Weight of L_nCE (1 in Definition 5; 0.05 in the reference code, on shuffled labels).
        0 keeps D_nc as a monitor only.
    likelihood_weight : float, default=1.0
        Weight of L_MLEn, eq. (6): -(sum_k log N(z_n,k; beta_k, gamma_k) + log|det J_x|),
        divided by the input dimension as flow code does (bits per dimension), with learned
        beta_k, gamma_k.
    nuisance_targets : {'true', 'shuffled'}, default='true'
        How the network fights D_nc: 'true' maximises D_nc's cross-entropy on the true
        labels (the min-max of Definition 5); 'shuffled' minimises it on a shuffle of the
        batch's labels, which pulls D_nc's output towards the labels' marginal. (The
        reference code subtracts 0.05 times the cross-entropy on shuffled labels, that is it
        maximises it.)
    nuisance_hidden_layer_sizes : tuple of int, default=(64, 64)
        Hidden widths of the nuisance classifier D_nc (512, 512 on MNIST in the paper).
    adversary_steps : int, default=5
        D_nc updates per network update (several inner steps per batch, as in the reference
        code); unused with ``loss='ce'``.
    batch_norm_logits : bool or 'auto', default='auto'
        Predict from BatchNorm1d(z_s) instead of z_s itself, as the reference code's head does
        (in eval mode a fixed affine map of each logit, so ``decision_function`` is that map
        of z_s; ``transform`` and ``inverse_transform`` keep the bare z_s of the bijection).
        'auto': the head for images (``image_shape`` set), the paper's bare logits for
        feature vectors. On the shift digits (:func:`fairrep.datasets.make_shift_digits`),
        with the head the CE network leans on the planted feature alone and iCE errs 14-31
        points less than CE on the texture shift (3 seeds; the paper's setting); with bare
        logits CE reads more of the digit and errs less than iCE there
        (``benchmarks/results/invertible_digits/``). On small tables the head trains less
        reliably (300 rows of 3 blobs, 8 epochs: accuracy 0.33-0.86 over seeds, against 0.87
        with bare logits).
        In data-parallel training each process keeps its own running statistics (gradients
        are averaged, buffers are not).
    logit_prior : bool, default=False
        Add a standard normal prior on z_s to L_MLEn, as the reference code does (its
        Gaussian prior covers the whole z). Eq. (6) has a prior on z_n only while log|det J|
        counts every dimension, so without one the flow gains likelihood by stretching z_s;
        the BatchNorm head (``batch_norm_logits``) already fixes the logits' scale, and on
        the texture shift the prior does not help (iCE's gain over CE -6 / 18 / 24 points
        on 3 seeds, against 15 / 14 / 31 without). Unused with ``loss='ce'``.
    input_noise : float or 'auto', default='auto'
        Gaussian noise added to x in training (not at prediction), in units of each
        column's scale: the larger of its training standard deviation and the mean gap between
        its distinct values (1 for a 0/1 column, however rare its ones; none on a constant
        column). A column with a few values (one-hot codes, counts, a point mass at 0) has
        no density: without noise the likelihood term L_MLEn grows without bound as the flow
        squeezes each value onto a point, and training overflows (one-hot Adult: L_MLEn falls
        from -1.3 to -3.8 per dimension in 24 epochs, then jumps to 859). Noise caps that
        gain, as the dequantisation of flow models does. 'auto': 0.05 for feature vectors, 0
        for images (``image_shape`` set; the shift-digit figures were measured without it).
        0 turns it off.
    pad_features : 'auto' or int, default='auto'
        Extra input dimensions for data with fewer features than the logits plus one
        (i-RevNet's injective padding, Jacobsen et al. 2018): small Gaussian noise (std 0.01)
        in training, zeros afterwards; ``inverse_transform`` drops them. 'auto' adds just enough
        (none when n_features > C); 0 makes such data a ``ValueError``. Vectors only.
    %(early_stopping_params)s
    max_epochs : int, default=100
    batch_size : int, default=64
    lr : float, default=1e-3
        Adam learning rate of both optimizers (the paper: Adamax, 1e-3).
    weight_decay : float, default=0.0
        Adam weight decay (L2) of both optimizers (1e-4 in the paper).
    %(device)s
    random_state : int, RandomState instance or None, default=None
        Seeds parameter initialisation, batch order, label shuffles and padding noise. With
        an int, CPU results are bit-identical from run to run.
    %(training_switches)s
    """,
    invertible_attributes="""
    net_ : fairrep._training.InvariantNet
        The fitted skorch net; ``net_.module_`` is the
        :class:`fairrep.nn.invertible.FullyInvertibleRevNet` (in float64 after a CPU fit, so
        that inverses are exact to ~1e-12).
    history_ : skorch.History
        Per epoch: ``train_task`` (L_sCE), ``train_nll`` (L_MLEn per dimension; recorded, not
        trained, with 'ce'), ``train_nuisance`` (L_nCE of the network's step),
        ``train_nuisance_classifier`` (D_nc's own cross-entropy on the true labels) and
        ``train_loss``.
    n_logits_ : int
        C, the number of logits z_s (the first dimensions of z).
    %(common_attributes)s
    """)


@fill_doc
class _InvertibleBase(BaseInvariantEstimator):
    _strength_param = "nuisance_weight"
    _module_class = FullyInvertibleRevNet
    # the classifier's group logits and z_s labels are computed over the whole fit set
    _supports_partial_fit = False
    _lazy_labels = False  # the codes are read whole when the net is built
    _parameter_constraints = {
        **BaseInvariantEstimator._parameter_constraints,
        "loss": [StrOptions(set(LOSSES))],
        "representation": [StrOptions(set(REPRESENTATIONS))],
        "n_blocks": [POSITIVE_INT],
        "coupling": [StrOptions(set(COUPLINGS))],
        "mixing": [StrOptions(set(MIXINGS))],
        "image_shape": ["array-like", None],
        "nuisance_weight": [NON_NEGATIVE],
        "likelihood_weight": [NON_NEGATIVE],
        "nuisance_targets": [StrOptions(set(NUISANCE_TARGETS))],
        "nuisance_hidden_layer_sizes": LAYER_SIZES,
        "adversary_steps": [POSITIVE_INT],
        "pad_features": [StrOptions({"auto"}), Number(Integral, 0, None, closed="left")],
        "batch_norm_logits": ["boolean", StrOptions({"auto"})],
        "logit_prior": ["boolean"],
        "input_noise": [StrOptions({"auto"}), NON_NEGATIVE],
    }
    del _parameter_constraints["n_components"]  # an invertible network keeps x's size

    # InvertibleClassifier's parameters; InvertibleTransformer's differ in one default
    def __init__(self, loss="ice", representation="logits", hidden_layer_sizes=(64,), n_blocks=4,
                 coupling="affine", mixing="lu", image_shape=None, nuisance_weight=1.0,
                 likelihood_weight=1.0, nuisance_targets="true",
                 nuisance_hidden_layer_sizes=(64, 64), adversary_steps=5, input_noise="auto",
                 pad_features="auto", batch_norm_logits="auto", logit_prior=False,
                 early_stopping="auto", validation_fraction=0.1, n_iter_no_change=10,
                 max_epochs=100, batch_size=64,
                 lr=1e-3, weight_decay=0.0, device="cpu", random_state=None, verbose=0,
                 mixed_precision=False):
        _store(self, locals())

    # -- fit -----------------------------------------------------------------------------
    @property
    def _y_stands_in_for_s(self):
        # iCE's nuisance classifier D_nc (the adversary) reads the labels of z_s from the s
        # slot: without s they are y's
        return self.loss == "ice"

    def _adversary_steps(self):
        if self.loss != "ice":
            return 0
        return int(self.adversary_steps)

    def _check_image_shape(self, n_features):
        shape = self.image_shape
        if shape is None:
            return None
        try:
            shape = tuple(shape)
        except TypeError:
            raise ValueError(IMAGE_SHAPE_INVALID.format(value=self.image_shape)) from None
        if (len(shape) != 3
                or any(isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1
                       for v in shape)
                or shape[1] % 2 or shape[2] % 2):
            raise ValueError(IMAGE_SHAPE_INVALID.format(value=self.image_shape))
        shape = tuple(int(v) for v in shape)
        if int(np.prod(shape)) != n_features:
            raise ValueError(IMAGE_SHAPE_MISMATCH.format(shape=shape, size=int(np.prod(shape)),
                                                         n_features=n_features))
        return shape

    def _n_pad(self, n_features, n_logits, image_shape):
        pad = self.pad_features
        needed = max(0, n_logits + 1 - n_features)
        if isinstance(pad, str) and pad == "auto":
            pad = 0 if image_shape is not None else needed
        elif pad and image_shape is not None:
            raise ValueError(PAD_IMAGES.format(value=pad))
        if n_features + pad < n_logits + 1:
            fix = ("images cannot be padded: use fewer classes or larger images."
                   if image_shape is not None else
                   "set pad_features='auto' to pad x with extra dimensions.")
            raise ValueError(TOO_FEW_FEATURES.format(n_features=n_features,
                                                     needed=n_logits + 1,
                                                     n_logits=n_logits, fix=fix))
        return int(pad)

    def _module_params(self, n_features, n_classes, s_enc, n_samples):
        heads = s_enc.cardinalities if s_enc is not None else n_classes
        image_shape = self._check_image_shape(n_features)
        n_pad = self._n_pad(n_features, sum(heads), image_shape)
        return dict(
            n_features=n_features,
            n_classes=heads,
            image_shape=image_shape,
            n_blocks=int(self.n_blocks),
            hidden_layer_sizes=V.check_hidden_layer_sizes(self.hidden_layer_sizes),
            coupling=self.coupling,
            mixing=self.mixing,
            n_pad=n_pad,
            loss=self.loss,
            nuisance_weight=float(self.nuisance_weight),
            likelihood_weight=float(self.likelihood_weight),
            nuisance_hidden_layer_sizes=V.check_hidden_layer_sizes(
                self.nuisance_hidden_layer_sizes),
            nuisance_targets=self.nuisance_targets,
            batch_norm_logits=(image_shape is not None if self.batch_norm_logits == "auto"
                               else bool(self.batch_norm_logits)),
            logit_prior=bool(self.logit_prior),
        )

    def _build_net(self, X, classes, sens):
        net = super()._build_net(X, classes, sens)
        return net.set_params(module__input_noise=self._input_noise(X))

    def _input_noise(self, X):
        """Standard deviation of the training noise of each column of X (None: none)."""
        scale = self.input_noise
        if isinstance(scale, str):  # 'auto'
            scale = 0.0 if self.image_shape is not None else AUTO_INPUT_NOISE
        if not scale:
            return None
        # a 0/1 column's scale is its gap, 1, however rare its ones (its sd, sqrt(p(1 - p)),
        # would give a rare category almost no noise); a constant column gets none: it
        # carries nothing, and on flattened images (examples/invertible_metamers.py) noise on
        # the blank border made the task loss jump
        unit = np.maximum(column_std(X), column_spacing(X))
        return (float(scale) * unit).tolist()

    @property
    def n_logits_(self):
        check_is_fitted(self, "net_")
        return self.net_.module_.n_logits

    # -- inference -----------------------------------------------------------------------
    def _full(self, X):
        return self._apply(X, lambda module, Xb: module(Xb))

    def transform(self, X):
        """z_s, z_n or the whole z = F(x), as ``representation`` says.

        %(X_parameters)s

        Returns
        -------
        Z : ndarray of shape (n_samples, n_components)
            n_components is C for 'logits', d - C for 'nuisance' and d (n_features plus any
            padding) for 'full'. Same floating dtype as ``X``.
        """
        part = self.representation
        return self._apply(X, lambda module, Xb: module.represent(Xb, part))

    def inverse_transform(self, Z):
        """x = F^-1(z) from the whole z (``representation='full'``).

        Parameters
        ----------
        Z : array-like of shape (n_samples, n_features + padding)

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
            Same floating dtype as ``Z`` (float64 for integer input).
        """
        check_is_fitted(self, "net_")
        Z = check_array(Z, dtype=[np.float64, np.float32], input_name="Z")
        expected = self.net_.module_.n_dims
        if Z.shape[1] != expected:
            raise ValueError(INVERSE_WIDTH.format(expected=expected, got=Z.shape[1]))
        X = self.net_.apply_batches(Z, lambda module, Zb: module.inverse(Zb))
        return X.astype(Z.dtype, copy=False)

    def metamers(self, X_semantic, X_nuisance):
        """Metameric samples x_met = F^-1(z_s of ``X_semantic``, z_n of ``X_nuisance``).

        Section 2.1: each metamer has exactly the logits of its semantic source (so the same
        prediction) and the nuisance variables of the other input. With a network trained by
        cross-entropy, metamers tend to look like the nuisance source (excessive
        invariance); with iCE, like the semantic one (Fig. 7).

        Parameters
        ----------
        X_semantic, X_nuisance : array-like of shape (n_samples, n_features)
            Row i of each makes metamer i.

        Returns
        -------
        X_met : ndarray of shape (n_samples, n_features)
            With padded inputs, the padding dimensions of F^-1(z) are dropped, so the logits
            of a metamer match only approximately.
        """
        Z_a, Z_b = self._full(X_semantic), self._full(X_nuisance)
        if Z_a.shape[0] != Z_b.shape[0]:
            raise ValueError(METAMER_ROWS.format(n_a=Z_a.shape[0], n_b=Z_b.shape[0]))
        C = self.n_logits_
        return self.inverse_transform(np.hstack([Z_a[:, :C], Z_b[:, C:]]))

    def nuisance_accuracy(self, X, y, X_test=None, y_test=None, *, hidden_layer_sizes=(64, 64),
                          random_state=0):
        """Accuracy of a freshly trained classifier reading ``y`` from z_n (Table 2).

        The "Nuisance" readout of the paper: an MLP
        (:func:`fairrep.metrics.probe_accuracy`) is trained on z_n of ``X`` and evaluated on
        held-out rows (``X_test``, or 30% of ``X`` split off when ``X_test`` is None). High
        accuracy means the labels are still encoded in the nuisances (excessive invariance of
        the logits); iCE brings it towards chance.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Labels to read (the class y, or s for :class:`InvertibleTransformer`).
        X_test, y_test : array-like, default=None
            Evaluation data.
        hidden_layer_sizes : tuple of int, default=(64, 64)
            Of the MLP.
        random_state : int, RandomState instance or None, default=0
            Seeds the split and the MLP.

        Returns
        -------
        accuracy : float
        """
        from ..metrics import probe_accuracy

        def nuisance(X):
            return self._apply(X, lambda module, Xb: module.represent(Xb, "nuisance"))

        Z_test = None if X_test is None else nuisance(X_test)
        return probe_accuracy(nuisance(X), y, Z_test, y_test,
                              hidden_layer_sizes=hidden_layer_sizes, random_state=random_state)


def _single_task(estimator):
    return getattr(estimator, "n_tasks_", 1) == 1


@fill_doc(representation="'logits'", early_stopping_params=EARLY_STOPPING_PARAMS,
          **_DOC_TEXTS)
class InvertibleClassifier(ClassifierMixin, TransformerMixin, InvariantClassifierMixin,
                           _InvertibleBase):
    """Fully invertible RevNet classifier, optionally trained with iCE.

    A bijection F: R^d -> R^d (Glow-style blocks: actnorm, invertible channel mixing, affine or
    additive couplings, and squeezing for images) with no final linear layer: the first C
    dimensions of z = F(x) are the logits z_s, the rest the nuisance variables z_n
    (Jacobsen et al., "Excessive Invariance Causes Adversarial Vulnerability", ICLR 2019,
    section 2.1, Fig. 3). Trained with cross-entropy the logits ignore much of what predicts y,
    which then stays in z_n (excessive invariance); the independence cross-entropy
    (Definition 5) adds a nuisance classifier D_nc that reads y from z_n, which the network
    defeats, and a maximum-likelihood term on z_n (eq. (6)), so that y is explained by z_s
    alone.

    ``predict``/``predict_proba`` apply the softmax to z_s; :meth:`metamers` and
    :meth:`inverse_transform` use the exact inverse; :meth:`nuisance_accuracy` is the
    paper's "Nuisance" readout (Table 2). ``s`` is not used (it is accepted for the uniform
    ``fit(X, y, s=s)`` API): the nuisance classifier predicts y. With T target columns the
    logits of the T tasks sit side by side in z_s and D_nc predicts all of them.

    %(invertible_parameters)s

    Attributes
    ----------
    %(invertible_attributes)s
    %(classes_attribute)s
    s_classes_ : None
    best_epoch_ : int or None
        With early stopping, the epoch whose weights were kept (the lowest held-out
        cross-entropy); None without.

    See Also
    --------
    InvertibleTransformer : the same network on s, returning the s-free z_n.

    Examples
    --------
    >>> import numpy as np
    >>> from fairrep.methods.invertible import InvertibleClassifier
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(300, 4))
    >>> y = np.where(X[:, 0] + X[:, 1] > 0, "yes", "no")
    >>> clf = InvertibleClassifier(n_blocks=2, lr=1e-2, max_epochs=20, random_state=0).fit(X, y)
    >>> clf.score(X, y) > 0.9
    True
    >>> clf.transform(X).shape                       # the logits z_s
    (300, 2)
    >>> Z = clf.set_params(representation="full").transform(X)
    >>> bool(np.allclose(clf.inverse_transform(Z), X))
    True
    """

    _s_kind = "length_only"  # s is not used: the labels are y
    _parameter_constraints = {
        **_InvertibleBase._parameter_constraints,
        "early_stopping": ["boolean", StrOptions({"auto"})],
        "validation_fraction": [Number(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [POSITIVE_INT],
    }

    def _early_stopping(self, X, y_codes, s):
        on = self.early_stopping
        if isinstance(on, str):  # 'auto'
            on = self.image_shape is None
        if (not on or y_codes is None or not isinstance(X, np.ndarray)
                or s is not None and _num_samples(s) != X.shape[0]):
            # a streamed X trains on every row; an s of another length: its check says so
            return X, y_codes, s, None
        codes = np.asarray(y_codes).reshape(X.shape[0], -1)
        train, valid = validation_rows(codes, float(self.validation_fraction),
                                       self.random_state)
        stopper = EarlyStopping(X[valid], codes[valid], patience=int(self.n_iter_no_change))
        return (X[train], np.asarray(y_codes)[train],
                None if s is None else _safe_indexing(s, train), stopper)

    def _fit(self, X, y, s, incremental, *args, **kwargs):
        super()._fit(X, y, s, incremental, *args, **kwargs)
        stopper = dict(self.net_.callbacks_).get("early_stopping")  # no partial_fit here
        self.best_epoch_ = None if stopper is None else stopper.best_epoch_

    @available_if(_single_task)
    def decision_function(self, X):
        """The logits z_s (sklearn's convention for two classes: z_1 - z_0, the log-odds).

        Only for a single target column (with several, ``transform`` gives every task's
        logits side by side).

        Returns
        -------
        scores : ndarray of shape (n_samples, n_classes), or (n_samples,) for two classes.
        """
        z = self._apply(X, lambda module, Xb: module.predict_logits(Xb))[0]
        return z[:, 1] - z[:, 0] if z.shape[1] == 2 else z


@fill_doc(representation="'nuisance'", early_stopping_params="", **_DOC_TEXTS)
class InvertibleTransformer(TransformerMixin, _InvertibleBase):
    """Representation without s from a fully invertible RevNet trained with iCE.

    The construction of :class:`InvertibleClassifier` (Jacobsen et al., ICLR 2019) with the
    sensitive or nuisance attribute ``s`` as the label: the first dimensions of z = F(x) (one
    per group of s, per column of s) are logits trained to predict s, and the independence
    cross-entropy's adversary D_nc, reading s from the rest z_n, pushes all information about
    s into those logits (Definition 5, eq. (6) with y := s). ``transform`` returns z_n, an
    invertible complement of the s-logits that carries (ideally) no information about s;
    ``inverse_transform`` maps the whole z back to x, and :meth:`counterfactuals` rebuilds x
    with the s-logits of another group.

    ``y`` is not used when ``s`` is given (and may then be omitted). Without ``s`` the model
    is that of :class:`InvertibleClassifier` on y, and ``transform`` returns z_n free of y.
    ``s`` is categorical (one or several columns).

    %(invertible_parameters)s

    Attributes
    ----------
    %(invertible_attributes)s
    group_logits_ : list of ndarray
        For each column of s (or of y without s), the mean logits z_s of each group on the
        training data, shape (n_groups, n_groups): what :meth:`counterfactuals` puts in.
    s_classes_ : ndarray or list of ndarray or None
        Groups of ``s`` seen in fit (a list for 2-D ``s``); None when fitted without s.

    See Also
    --------
    InvertibleClassifier : the network on y, with predictions.

    Examples
    --------
    >>> import numpy as np
    >>> from fairrep.methods.invertible import InvertibleTransformer
    >>> rng = np.random.RandomState(0)
    >>> s = rng.randint(0, 2, 300)
    >>> X = np.c_[rng.normal(size=(300, 3)), s + 0.1 * rng.normal(size=300)]
    >>> rep = InvertibleTransformer(n_blocks=2, max_epochs=10, random_state=0).fit(X, s=s)
    >>> rep.transform(X).shape                         # z_n: 4 dimensions - 2 s-logits
    (300, 2)
    >>> rep.counterfactuals(X[:5], s_target=1).shape
    (5, 4)
    """

    def __init__(self, loss="ice", representation="nuisance", hidden_layer_sizes=(64,),
                 n_blocks=4, coupling="affine", mixing="lu", image_shape=None,
                 nuisance_weight=1.0, likelihood_weight=1.0, nuisance_targets="true",
                 nuisance_hidden_layer_sizes=(64, 64), adversary_steps=5, input_noise="auto",
                 pad_features="auto", batch_norm_logits="auto", logit_prior=False,
                 max_epochs=100, batch_size=64,
                 lr=1e-3, weight_decay=0.0, device="cpu", random_state=None, verbose=0,
                 mixed_precision=False):
        _store(self, locals())

    @V.takes_s_keyword
    def fit(self, X, y=None, s=None):
        if y is None and s is None:
            raise ValueError(LABELS_REQUIRED)
        return super().fit(X, y, s)

    fit.__doc__ = BaseInvariantEstimator.fit.__doc__

    def _y_required(self, s):
        # the s-part is trained on s: y is optional when s is given
        return s is None

    def _fit(self, X, y, s, *args):
        super()._fit(X, y, s, *args)
        # the groups of each row (of s, or of y without s), coded as in fit
        codes = encode_sensitive_like(y if s is None else s, self._label_classes())
        logits = self._apply(X, lambda module, Xb: module.predict_logits(Xb))
        self.group_logits_ = [
            np.stack([z[codes[:, j] == g].mean(axis=0) for g in range(z.shape[1])])
            for j, z in enumerate(logits)
        ]

    def _label_classes(self):
        classes = self.classes_ if self.s_classes_ is None else self.s_classes_
        return list(classes) if isinstance(classes, list) else [classes]

    def counterfactuals(self, X, s_target):
        """x rebuilt with the s-logits of group ``s_target``: F^-1(mean z_s of the group, z_n).

        The s-part z_s of each row is replaced by the mean z_s of the target group on the
        training data (``group_logits_``), the s-free part z_n is kept, and the result is
        inverted. Fitted without s, the groups are the classes of y.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        s_target : scalar, array-like of shape (n_samples,) or (n_samples, n_s_columns)
            The target group(s), values seen in fit.

        Returns
        -------
        X_cf : ndarray of shape (n_samples, n_features)
        """
        Z = self._full(X)
        classes = self._label_classes()
        target = np.asarray(s_target, dtype=object)
        n = Z.shape[0]
        if target.ndim == 0 and len(classes) == 1:
            target = np.full((n, 1), target.item(), dtype=object)
        elif target.ndim == 1 and len(classes) == 1 and target.shape[0] == n:
            target = target.reshape(-1, 1)
        elif target.ndim == 2 and target.shape in ((n, len(classes)), (1, len(classes))):
            target = np.broadcast_to(target, (n, len(classes)))
        else:
            raise ValueError(TARGET_SHAPE.format(n_cols=len(classes), shape=target.shape))
        codes = encode_sensitive_like(target, classes)
        start = 0
        for j, means in enumerate(self.group_logits_):
            Z[:, start:start + means.shape[1]] = means[codes[:, j]]
            start += means.shape[1]
        return self.inverse_transform(Z)


register_method(MethodSpec(
    "invertible", InvertibleTransformer, InvertibleClassifier, strength_param="nuisance_weight",
    paper="Jacobsen, Behrmann, Zemel & Bethge, Excessive Invariance Causes Adversarial "
          "Vulnerability, ICLR 2019"))
