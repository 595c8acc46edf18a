"""Post-hoc probes: how much information about ``s`` is left in a representation."""

import warnings

import numpy as np
import pandas as pd
from sklearn import config_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import check_array
from threadpoolctl import threadpool_limits

from .._docstrings import fill_doc
from .._sensitive import as_1d, labels_per_row

__all__ = ["majority_share", "probe_accuracy", "probe_report"]


def majority_share(s):
    """Share of the most frequent value of ``s``.

    This is the accuracy of always predicting the majority label: the chance
    level that a probe predicting ``s`` has to beat (the references are those
    of :func:`probe_accuracy`).

    Parameters
    ----------
    s : array-like of shape (n_samples,)
        Labels of any type (numbers, strings, bools, pandas categoricals).
        Missing values (NaN/None) count as one label of their own.

    Returns
    -------
    share : float
        In (0, 1].

    Raises
    ------
    ValueError
        If ``s`` is empty or not 1-D.

    Examples
    --------
    >>> from fairrep.metrics import majority_share
    >>> majority_share(["f", "m", "m", "m"])
    0.75
    >>> majority_share([True, False])
    0.5
    """
    s = as_1d(s, "s")
    if s.shape[0] == 0:
        raise ValueError("s is empty; majority_share needs at least one label")
    codes, _ = pd.factorize(s, use_na_sentinel=False)
    return float(np.bincount(codes).max() / s.shape[0])


def _check_Z(Z, name):
    if Z is None:
        raise ValueError(f"{name} is required")
    try:
        return check_array(Z, dtype="numeric", ensure_all_finite=True, input_name=name)
    except ValueError as exc:
        if name in str(exc):
            raise
        raise ValueError(
            f"{name} must be a 2-D array of finite numbers (n_samples, n_components): {exc}"
        ) from exc


def _fit_probe(Z_train, s_train, Z_test, s_test, *, hidden_layer_sizes, test_size,
               max_iter, random_state, balanced=False):
    """Validate, split if needed, fit the probe; return (accuracy, s_eval)."""
    Z_train = _check_Z(Z_train, "Z_train")
    s_train = labels_per_row(s_train, Z_train, "s_train", "Z_train")
    if (Z_test is None) != (s_test is None):
        raise ValueError(
            "pass both Z_test and s_test, or neither (then Z_train/s_train are split)"
        )
    if Z_test is None:
        _, counts = np.unique(pd.factorize(s_train)[0], return_counts=True)
        stratify = s_train if counts.min() >= 2 else None
        try:
            Z_train, Z_test, s_train, s_test = train_test_split(
                Z_train, s_train, test_size=test_size, stratify=stratify,
                random_state=random_state,
            )
        except ValueError:
            if stratify is None:
                raise
            # Too few rows per class for a stratified split: split unstratified.
            Z_train, Z_test, s_train, s_test = train_test_split(
                Z_train, s_train, test_size=test_size, random_state=random_state,
            )
    else:
        Z_test = _check_Z(Z_test, "Z_test")
        s_test = labels_per_row(s_test, Z_test, "s_test", "Z_test")
        if Z_test.shape[1] != Z_train.shape[1]:
            raise ValueError(
                f"Z_test has {Z_test.shape[1]} columns but Z_train has "
                f"{Z_train.shape[1]}; both must come from the same representation"
            )
    if pd.unique(np.asarray(s_train, dtype=object)).shape[0] < 2:
        raise ValueError(
            "s_train has a single class in the probe's training data; "
            "a probe needs at least two classes"
        )
    probe = make_pipeline(
        StandardScaler(),
        MLPClassifier(
            hidden_layer_sizes=hidden_layer_sizes,
            max_iter=max_iter,
            early_stopping=False,
            random_state=random_state,
        ),
    )
    # The MLP trains on mini-batches of at most 200 rows, so its matrix products
    # are tiny: multi-threaded BLAS only adds synchronisation overhead (and can
    # slow training down by an order of magnitude on a busy machine).
    # The probe is fairrep's own internal pipeline: its sample weights go straight to the MLP
    # whatever the user's metadata-routing setting (with routing on, Pipeline.fit rejects
    # step__param arguments).
    with (warnings.catch_warnings(), threadpool_limits(limits=1, user_api="blas"),
          config_context(enable_metadata_routing=False)):
        warnings.simplefilter("ignore", category=ConvergenceWarning)
        weights = None
        if balanced:
            codes, uniques = pd.factorize(np.asarray(s_train, dtype=object))
            weights = len(codes) / (len(uniques) * np.bincount(codes)[codes])
        probe.fit(Z_train, s_train, mlpclassifier__sample_weight=weights)
    s_pred = probe.predict(Z_test)
    if balanced:
        return float(balanced_accuracy_score(s_test, s_pred)), s_test
    return float(np.mean(s_pred == s_test)), s_test


@fill_doc
def probe_accuracy(Z_train, s_train, Z_test=None, s_test=None, *,
                   hidden_layer_sizes=(64, 64), test_size=0.3, max_iter=300,
                   random_state=None, balanced=False):
    """Accuracy of a post-hoc MLP probe predicting ``s`` from a frozen ``Z``.

    This is the adversarial probe ``A_s`` of Jaiswal et al., "Invariant
    representations through adversarial forgetting" (AAAI 2020): the
    representation is frozen, a two-layer MLP is trained to predict the
    nuisance/sensitive labels from it, and its accuracy on held-out data
    measures how much information about ``s`` is left. Compare it with
    :func:`majority_share` of the evaluation labels (the chance level), or
    use :func:`probe_report`.

    The probe is ``make_pipeline(StandardScaler(), MLPClassifier(...))``
    without early stopping; convergence warnings are silenced, and BLAS is
    limited to one thread while it trains (its mini-batch products are too
    small to gain from more).

    Parameters
    ----------
    Z_train : array-like of shape (n_samples, n_components)
        Representation of the probe's training samples (finite numbers).
    s_train : array-like of shape (n_samples,)
        Labels to probe for, any label type.
    Z_test : array-like of shape (n_test, n_components), default=None
        Representation of the evaluation samples. If None (together with
        ``s_test``), ``Z_train``/``s_train`` are split with
        :func:`sklearn.model_selection.train_test_split`, stratified by the
        labels when every class has at least two rows.
    s_test : array-like of shape (n_test,), default=None
        Labels of the evaluation samples.
    hidden_layer_sizes : tuple of int, default=(64, 64)
        Hidden layers of the MLP.
    test_size : float or int, default=0.3
        Held-out share (or count) when splitting internally.
    max_iter : int, default=300
        Maximum number of epochs of the MLP.
    random_state : int, RandomState instance or None, default=None
        Seeds the split and the MLP.
    balanced : bool, default=False
        If True, train the probe with class weights inversely proportional to the class
        frequencies and return its balanced accuracy (chance level ``1 / n_classes``). With
        an imbalanced ``s`` a plain probe can sit at the majority share while the
        representation still carries ``s`` (every region of Z keeps the majority class the
        most likely one); the balanced probe sees that.

    Returns
    -------
    accuracy : float
        Accuracy (or balanced accuracy) of the probe on the evaluation samples.

    Raises
    ------
    ValueError
        If a ``Z`` is not a 2-D finite numeric array, if a label array does
        not have one label per row of its ``Z``, if only one of ``Z_test``
        and ``s_test`` is given, or if the probe's training labels hold a
        single class.

    See Also
    --------
    probe_report : Accuracy together with the chance level.
    majority_share : Chance level of the probe.

    References
    ----------
    %(forgetting_paper)s

    %(information_dropout_paper)s

    Examples
    --------
    >>> import numpy as np
    >>> from fairrep.metrics import probe_accuracy
    >>> rng = np.random.RandomState(0)
    >>> Z = rng.normal(size=(300, 2))
    >>> s = np.where(Z[:, 0] > 0, "a", "b")   # s is readable from Z
    >>> probe_accuracy(Z, s, hidden_layer_sizes=(16,), random_state=0) > 0.9
    True
    """
    accuracy, _ = _fit_probe(
        Z_train, s_train, Z_test, s_test, hidden_layer_sizes=hidden_layer_sizes,
        test_size=test_size, max_iter=max_iter, random_state=random_state,
        balanced=balanced,
    )
    return accuracy


def probe_report(Z_train, s_train, Z_test=None, s_test=None, **kw):
    """Probe accuracy, chance level and their difference.

    The probe of :func:`probe_accuracy` (``A_s`` of Jaiswal et al., AAAI 2020;
    see its references) and the chance level of :func:`majority_share`.

    Parameters
    ----------
    Z_train, s_train, Z_test, s_test
        As in :func:`probe_accuracy`.
    **kw
        Keyword arguments of :func:`probe_accuracy` (``hidden_layer_sizes``,
        ``test_size``, ``max_iter``, ``random_state``).

    Returns
    -------
    report : dict
        ``{"accuracy": float, "majority_share": float, "excess": float}``,
        where ``majority_share`` is that of the evaluation labels (``s_test``,
        or the held-out part of ``s_train``) and ``excess`` is
        ``accuracy - majority_share``: close to 0 (or below) when the
        representation hides ``s``.

    See Also
    --------
    probe_accuracy : The probe itself.

    Examples
    --------
    >>> import numpy as np
    >>> from fairrep.metrics import probe_report
    >>> rng = np.random.RandomState(0)
    >>> Z = rng.normal(size=(300, 2))
    >>> s = (Z[:, 0] > 0).astype(int)
    >>> report = probe_report(Z, s, hidden_layer_sizes=(16,), random_state=0)
    >>> sorted(report)
    ['accuracy', 'excess', 'majority_share']
    >>> report["excess"] > 0.3
    True
    """
    unknown = set(kw) - {"hidden_layer_sizes", "test_size", "max_iter", "random_state"}
    if unknown:
        raise TypeError(f"probe_report() got unexpected keyword arguments {sorted(unknown)}")
    accuracy, s_eval = _fit_probe(
        Z_train, s_train, Z_test, s_test,
        hidden_layer_sizes=kw.get("hidden_layer_sizes", (64, 64)),
        test_size=kw.get("test_size", 0.3),
        max_iter=kw.get("max_iter", 300),
        random_state=kw.get("random_state"),
    )
    share = majority_share(s_eval)
    return {"accuracy": accuracy, "majority_share": share, "excess": accuracy - share}
