"""Docstring fragments shared by several docstrings, and :func:`fill_doc`, which fills them in.

Every fairrep docstring is a literal numpydoc docstring. Where several docstrings document the
same thing (the training parameters most methods take, ``constraint`` and ``bound``, the
``classes_`` attribute, the parameters that a method's transformer and classifier share, a
paper that several References sections cite), the text is written once as a named fragment
and each docstring names it with a placeholder ``%(name)s``; :func:`fill_doc`, applied to the
class or function, replaces the placeholders when the module is imported (the approach of
MNE-Python's ``fill_doc`` and Matplotlib's ``_docstring.interpd``)::

    _my_doc = fill_doc(strength="lambda", strength_param="my_weight", my_parameters='''
        Parameters
        ----------
        my_weight : float, default=1.0
            lambda, the weight of the invariance term.
        %(strength_scaling)s
        %(bound_params)s
        ''')

    @_my_doc
    class MyTransformer(TransformerMixin, _MyBase):
        \"\"\"Invariant representation by my method.

        %(my_parameters)s

        Attributes
        ----------
        net_ : fairrep._training.InvariantNet
        %(common_attributes)s
        \"\"\"

(``fairrep/methods/forgetting.py`` is a full example.)

Where the texts come from:

- :data:`FRAGMENTS`, below: the fragments that docstrings of several modules share (entries,
  e.g. ``strength_scaling``, the ``constraint`` and ``bound`` pair as ``bound_params``, or
  ``classes_attribute``, or a citation such as ``forgetting_paper``).
- The keyword arguments of ``fill_doc``: texts for the docstrings it decorates, e.g. a
  method's symbol for its strength (``strength="lambda"``, which the shared
  ``strength_scaling`` entry names), or the sections that a method's transformer and
  classifier share. A method module calls ``fill_doc(...)`` once and decorates its
  estimators with the result (a module with per-estimator texts keeps the shared ones in a
  dict and calls ``fill_doc(name=..., **texts)`` on each). These names may not reuse a name of
  :data:`FRAGMENTS`.

A section that the estimators of a method share whole (``<method>_parameters``, the CPVAE's
``cpvae_notes``, the unified estimators' ``unified_attributes`` and ``unified_references``)
is one text that carries its header; the other texts are entries of a section whose header
the docstring writes. (With every header written in each docstring, two estimators of a
method would repeat the same six lines around their placeholders.)

The rules:

- A placeholder alone on its line stands for a block: every line of the text is indented to
  the placeholder's column (an empty text removes the line). Texts are dedented first (blank
  lines at either end dropped), so a parameter entry written ``name : type`` with its
  description four spaces further in fits wherever a numpydoc entry goes.
- A placeholder inside a line of text takes a one-line text; one of several lines there is an
  error.
- Texts may name other texts, filled in the same way, recursively.
- An unknown name is a ``ValueError`` that names the docstring and the placeholder.
- Only ``%(name)s`` is special: a lone ``%`` or ``{`` is text and needs no escaping.
"""

from __future__ import annotations

import inspect
import re
import textwrap

__all__ = ["FRAGMENTS", "fill_doc"]

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")
#: Texts that name texts that name texts ... stop here (a cycle is an error).
_MAX_DEPTH = 10


def _dedented(texts):
    return {name: textwrap.dedent(text).strip("\n") for name, text in texts.items()}


def fill_doc(obj=None, /, **values):
    """Fill the ``%(name)s`` placeholders of a docstring (see the module's docstring).

    Use as ``@fill_doc``, or call ``fill_doc(name=text, ...)`` to give texts of one's own and
    decorate with the result. Returns the class or function with its ``__doc__`` filled in; one
    without a docstring (``python -OO``) is returned as it is. A class has the docstrings of
    the functions it defines filled in as well (its methods need no decorator of their own).

    Raises
    ------
    ValueError
        If the docstring names an unknown text, a text of several lines stands inside a line,
        or a keyword reuses a name of :data:`FRAGMENTS`.

    Examples
    --------
    >>> from fairrep._docstrings import fill_doc
    >>> @fill_doc(size_param='''
    ...     size : int, default=1
    ...         How many.
    ...     ''')
    ... def f(size=1, verbose=0):
    ...     '''Do something.
    ...
    ...     Parameters
    ...     ----------
    ...     %(size_param)s
    ...     %(training_switches)s
    ...     '''
    >>> print(f.__doc__.splitlines()[4:7])
    ['    size : int, default=1', '        How many.', '    verbose : int, default=0']
    >>> @fill_doc
    ... def g():
    ...     '''Train on %(devise)s.'''
    Traceback (most recent call last):
        ...
    ValueError: the docstring of g names an unknown text %(devise)s. Did you mean 'device'?
    """
    clash = sorted(set(values) & set(FRAGMENTS))
    if clash:
        raise ValueError(f"fill_doc keywords {clash} reuse names of fairrep._docstrings.FRAGMENTS")
    texts = {**FRAGMENTS, **_dedented({k: str(v) for k, v in values.items()})}

    def decorate(target):
        members = vars(target).values() if isinstance(target, type) else ()
        for item in (target, *(m for m in members if inspect.isfunction(m))):
            if item.__doc__:
                where = getattr(item, "__qualname__", repr(item))
                item.__doc__ = _fill(item.__doc__, texts, where, 0)
        return target

    return decorate if obj is None else decorate(obj)


def _fill(text, texts, where, depth):
    if depth > _MAX_DEPTH:
        raise ValueError(f"the docstring of {where}: its texts name each other in a cycle")

    def lookup(name):
        if name not in texts:
            from ._validation import did_you_mean

            raise ValueError(f"the docstring of {where} names an unknown text %({name})s."
                             f"{did_you_mean(name, list(texts))}")
        return _fill(texts[name], texts, where, depth + 1)

    def inline(match):
        value = lookup(match.group(1))
        if "\n" in value:
            raise ValueError(f"the docstring of {where}: %({match.group(1)})s has several "
                             "lines, so it must stand alone on its line")
        return value

    lines = []
    for line in text.split("\n"):
        alone = _PLACEHOLDER.fullmatch(line.strip())
        if alone:
            indent = line[:len(line) - len(line.lstrip())]
            block = lookup(alone.group(1))
            if block:  # an empty text takes its line with it
                lines.extend(indent + part if part.strip() else "" for part in block.split("\n"))
        else:
            lines.append(_PLACEHOLDER.sub(inline, line))
    return "\n".join(lines)


#: The fragments that docstrings of several modules share, by name.
FRAGMENTS = _dedented({
    # -- training parameters
    "auto_batch": """
    batch_size : int or 'auto', default='auto'
        Rows per mini-batch. ``'auto'``: ``min(256, max(64, n_samples // 100))``, so a large
        table trains on batches of 256 and a small one (German credit, 700 rows) on batches
        of 64: about 10 steps per epoch, where batches of 32 fit the noise of so few rows
        (for ``partial_fit``, n_samples of the first chunk).
    """,
    "device": """
    device : str, default='cpu'
        'cpu', 'cuda' or 'cuda:N'. A model fitted on a GPU pickles and loads on a CPU machine.
    """,
    "training_switches": """
    verbose : int, default=0
        0 is silent, 1 shows a progress bar over epochs, 2 also prints skorch's epoch table.
    mixed_precision : bool, default=False
        Run the training forward passes under ``torch.autocast`` in bfloat16 (CPU and GPU);
        weights, gradients and optimizer state stay float32, inference is unchanged.
    """,

    # the training parameters of the baselines (fairrep.methods.baselines and
    # fairrep.methods.variational_baselines), whose defaults are the same
    "training_params": """
    max_epochs : int, default=30
        Passes over the training data.
    %(optimizer_params)s
    """,
    # the same without max_epochs, for a baseline whose max_epochs default differs
    "optimizer_params": """
    %(auto_batch)s
    lr : float, default=1e-3
        Adam learning rate.
    weight_decay : float, default=1e-4
        Adam weight decay.
    %(device)s
    random_state : int, RandomState instance or None, default=None
        Seeds parameter initialisation and batch order. With an int, CPU results are
        bit-identical from run to run.
    %(training_switches)s
    """,
    # ``strength`` (a fill_doc value): the method's symbol for its strength
    "strength_scaling": """
    strength_scaling : {'task_gain', 'none'}, default='task_gain'
        How %(strength)s is applied. ``'task_gain'``: the invariance term of each batch is
        scaled by g = (H(y) - L_y) / H(y), the share of the labels' entropy the predictor
        explains on that batch (:func:`fairrep.nn.task_gain`; detached, in [0, 1]). The term's
        pull fades as the predictor approaches the class shares (g = 0 there), so strengths
        well past the point where a fixed weight collapses the fit to the constant predictor
        still leave a predictor that learned y (ever larger strengths still approach
        chance). In data-parallel training each process computes g on its share of the
        batch. Not in the paper; ``'none'``: the paper's fixed weight.
    """,
    # ``strength_param`` (a fill_doc value): the name of the method's strength parameter
    "bound_params": """
    constraint : {'demographic_parity', 'equalized_odds'}, callable or None, default=None
        Ask for a fairness level instead of a weight. None: ``%(strength_param)s`` is used as
        given. Otherwise ``fit`` holds out a stratified 20 % of the training rows and, after
        every epoch (past the warm-up), measures the constraint of the predictions there
        against ``s`` (``fairrep.metrics``' gap, or a callable
        ``(y_true, y_pred, s) -> float``), multiplies ``%(strength_param)s`` by
        ``exp((c - bound) / max(bound, 0.01))`` (at most a factor 2 an epoch: dual ascent of
        the multiplier) and, at the end, keeps the weights of the most accurate epoch on
        those rows whose constraint was ``<= bound`` and whose accuracy beat the majority
        class's by more than 0.01 (a constant predictor meets any parity bound), each epoch
        read by its accuracy and constraint averaged over the epochs before it (an
        exponential average, weight 1/2 on the epoch's own: one epoch's figures on a few
        hundred rows are noisy); ConstraintNotMetWarning and the least-violating epoch when
        none was. ``%(strength_param)s`` is the starting value. The path is in ``history_``:
        ``strength``, ``valid_constraint``, ``valid_accuracy`` per epoch, and
        ``smoothed_constraint``, ``smoothed_accuracy`` past the warm-up; ``bound_epoch_`` is
        the epoch kept (None without a constraint). Needs a 1-D ``s``; not used by
        ``partial_fit``. NoisyConstraintWarning when the held-out rows are too few for the
        gap measured there to be steered by (its standard error above ``bound``: on a
        table the size of German credit, use ``ConstrainedSearchCV`` instead).
    bound : float, default=0.05
        The level ``constraint`` must not exceed (e.g. a demographic-parity gap of 0.05).
    """,
    # the last lines of a strength parameter whose default the robustness protocol chose
    "robust_default": """
    The default is chosen on the protocol of ``benchmarks/robust_defaults.py`` (several
    tables, preprocessing recipes and seeds; results in
    ``benchmarks/results/robust_defaults/``).
    """,

    # -- inference: the Parameters section of a method that takes X alone
    "X_parameters": """
    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    """,

    # -- fitted attributes
    # ``network`` (a fill_doc value): the module's path below fairrep.nn
    "net_attribute": """
    net_ : fairrep._training.InvariantNet
        The fitted skorch net; ``net_.module_`` is the :class:`fairrep.nn.%(network)s`.
    """,
    "common_attributes": """
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` was a DataFrame with string column names.
    n_epochs_ : int
    """,
    # the attributes of the baselines but ``classes_`` (``network``, ``history_terms``: texts
    # that each method gives fill_doc)
    "baseline_attributes": """
    %(net_attribute)s
    history_ : skorch.History
        Per epoch: ``train_task`` (cross-entropy of P, summed over target columns),
        %(history_terms)s
        and ``train_loss`` (the total of the step).
    s_classes_ : ndarray or list of ndarray or None
        Groups of ``s`` seen in fit (a list with one entry per column for 2-D ``s``).
    n_tasks_ : int
        Number of target columns.
    %(common_attributes)s
    """,
    "classes_attribute": """
    classes_ : ndarray or list of ndarray
        Labels of y (a list with one array per task for several tasks).
    """,

    # -- references: one paper each, for the References section the docstring writes
    "forgetting_paper": """
    A. Jaiswal, D. Moyer, G. Ver Steeg, W. AbdAlmageed and P. Natarajan,
    "Invariant representations through adversarial forgetting", AAAI 2020.
    """,
    "information_dropout_paper": """
    A. Achille and S. Soatto, "Information dropout: learning optimal
    representations through noisy computation", IEEE TPAMI 40(12), 2018.
    """,
    "cpvae_paper": """
    Anonymous authors, "Isolating latent structure with cross-population
    variational autoencoders", ICLR 2020 submission (under double-blind review).
    """,
    "invertible_paper": """
    J.-H. Jacobsen, J. Behrmann, R. Zemel and M. Bethge, "Excessive
    invariance causes adversarial vulnerability", ICLR 2019.
    """,
    "infomin_paper": """
    Y. Chen, W. Sun, Y. Li and A. Weller, "Scalable infomin learning",
    NeurIPS 2022.
    """,
    "renyi_paper": """
    A. Rényi, "On measures of dependence", Acta Mathematica Academiae
    Scientiarum Hungarica 10, 1959.
    """,
    "neural_renyi_paper": """
    V. Grari, B. Ruf, S. Lamprier and M. Detyniecki, "Fairness-aware neural
    Rényi minimization for continuous features", IJCAI 2020.
    """,
})
