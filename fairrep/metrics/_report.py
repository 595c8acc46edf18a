"""One table row of invariance figures for a learned representation."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import check_random_state

from .._docstrings import fill_doc
from .._validation import did_you_mean
from ._dependence import binned_max_correlation, max_correlation, sliced_mutual_information
from ._information import total_correlation
from ._probe import _check_Z, majority_share, probe_accuracy

__all__ = ["invariance_report"]

#: The figures ``dependence`` may request.
DEPENDENCE_CHOICES = ("probe", "rho", "si", "tc")
#: Columns of the report, in order (absent ones are left out).
REPORT_COLUMNS = ("A_y", "A_s", "A_s_optimum", "rho_s", "rho_probe_s", "SI_s", "TC",
                  "n_components")

DEPENDENCE_UNKNOWN = (
    "dependence has the unknown entry {value!r}; choose from 'probe', 'rho', 'si', 'tc'.{hint}"
)
DEPENDENCE_TYPE = (
    "dependence must be a sequence of the names 'probe', 'rho', 'si', 'tc' (or one of them), "
    "got {value!r}."
)
Y_PAIR = (
    "{given} was given without {missing}: the probe A_y is trained on the train split and "
    "scored on the test split, so pass both y_train and y_test, or neither."
)
S_TEST_MISSING = (
    "s_train was given without s_test: every figure about s is measured on the test split, "
    "so pass s_test as well, or neither."
)
S_TRAIN_MISSING = (
    "the probe A_s needs s_train as well as s_test: pass s_train, or leave 'probe' out of "
    "dependence to report only rho_s and SI_s."
)
COMPONENTS_MISMATCH = (
    "Z_test has {n_test} columns but Z_train has {n_train}; both must come from the same "
    "representation."
)
PARAMS_TYPE = "{name} must be a dict of keyword arguments of {function} or None, got {value!r}."
PARAMS_RANDOM_STATE = (
    "{name} must not set random_state: every figure is seeded from the report's own "
    "random_state."
)

_SEED_NAMES = ("A_y", "A_s", "rho", "si", "rho_probe")  # new names go last: same seeds


def _check_dependence(dependence):
    if isinstance(dependence, str):
        dependence = (dependence,)
    try:
        requested = list(dependence)
    except TypeError:
        raise ValueError(DEPENDENCE_TYPE.format(value=dependence)) from None
    for value in requested:
        if not isinstance(value, str):
            raise ValueError(DEPENDENCE_TYPE.format(value=dependence))
        if value not in DEPENDENCE_CHOICES:
            raise ValueError(DEPENDENCE_UNKNOWN.format(
                value=value, hint=did_you_mean(value, DEPENDENCE_CHOICES)))
    return frozenset(requested)


def _probe_rho(Z_train, y_train, Z_test, s_test, seed):
    """rho(probe; s): binned maximal correlation of a logistic probe's logit and ``s_test``.

    None (no column) unless ``y`` is binary and ``s_test`` one column.
    """
    s_test = np.asarray(s_test)
    if s_test.ndim == 2 and s_test.shape[1] == 1:
        s_test = s_test.ravel()
    if s_test.ndim != 1 or len(np.unique(np.asarray(y_train))) != 2:
        return None
    probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    logit = probe.fit(Z_train, y_train).decision_function(Z_test)
    bins = 10 if s_test.dtype.kind in "biuf" else max(10, len(np.unique(s_test)))
    return binned_max_correlation(logit, s_test, bins=bins, random_state=seed)


def _check_params(params, name, function):
    if params is None:
        return {}
    if not isinstance(params, dict):
        raise ValueError(PARAMS_TYPE.format(name=name, function=function, value=params))
    if "random_state" in params:
        raise ValueError(PARAMS_RANDOM_STATE.format(name=name))
    return dict(params)


@fill_doc
def invariance_report(Z_train, Z_test, *, y_train=None, y_test=None, s_train=None,
                      s_test=None, dependence=DEPENDENCE_CHOICES, random_state=None,
                      name=None, probe_params=None, rho_params=None, si_params=None):
    """One-row table of how much a representation keeps of ``y`` and hides of ``s``.

    Gathers the evaluation figures of the papers fairrep implements, all measured on a frozen
    representation, so that rows of several methods can be stacked with :func:`pandas.concat`:

    - ``A_y``, ``A_s``: accuracy of post-hoc MLP probes trained on ``Z_train`` and scored on
      ``Z_test`` (:func:`probe_accuracy`; Adversarial Forgetting, section 5), with
      ``A_s_optimum`` the majority share of ``s_test`` (:func:`majority_share`), the chance
      level an invariant representation brings ``A_s`` down to.
    - ``rho_s``: the held-out maximal correlation rho*(Z_test; s_test)
      (:func:`max_correlation`: by default the better, on validation rows, of the neural
      pair of Scalable Infomin's evaluation and a boosted-trees pair; pass
      ``rho_params={"estimator": "neural"}`` for the neural pair alone).
    - ``rho_probe_s``: rho(probe; s), the held-out maximal correlation between the logit of
      a logistic regression of ``y`` on ``Z`` (trained on ``Z_train``) and ``s_test``,
      both binned (:func:`binned_max_correlation`): a lower bound of rho*(Z; s) that
      trains no network and catches dependence in the direction Z predicts y in, which
      the HGR network of ``rho_s`` can miss. Only for a binary ``y`` and a one-column
      ``s``.
    - ``SI_s``: the sliced mutual-information proxy SI(Z_test; s_test)
      (:func:`sliced_mutual_information`).
    - ``TC``: the Gaussian total correlation of ``Z_test`` (:func:`total_correlation`;
      Information Dropout, section 5), in nats.
    - ``n_components``: the width of the representation.

    A figure that is not requested in ``dependence``, or whose labels are not given, is left
    out of the row (no column), so a report without ``y`` has no ``A_y``.

    Parameters
    ----------
    Z_train : array-like of shape (n_train, n_components)
        Representation of the probes' training rows.
    Z_test : array-like of shape (n_test, n_components)
        Representation of the evaluation rows.
    y_train, y_test : array-like of shape (n_train,), (n_test,), default=None
        Task labels; give both (for ``A_y``) or neither.
    s_train, s_test : array-like, default=None
        Sensitive/nuisance labels. ``s_test`` is needed by every figure about ``s``;
        ``s_train`` only by the probe ``A_s`` (categorical, 1-D). ``rho_s`` and ``SI_s`` also
        take a 2-D or continuous ``s_test``.
    dependence : sequence of {"probe", "rho", "si", "tc"}, default=("probe", "rho", "si", "tc")
        Figures to compute: ``"probe"`` gives ``A_y`` / ``A_s`` / ``A_s_optimum``, ``"rho"``
        gives ``rho_s`` (and ``rho_probe_s`` when ``y`` is given), ``"si"`` gives ``SI_s``,
        ``"tc"`` gives ``TC``. ``"rho"`` trains a neural estimator and is the slowest.
    random_state : int, RandomState instance or None, default=None
        Seeds every figure (each gets its own seed drawn from it, in a fixed order, so an int
        gives the same row on every call whatever is requested).
    name : hashable, default=None
        Index of the row (e.g. the method's name); None gives 0.
    probe_params, rho_params, si_params : dict, default=None
        Extra keyword arguments of :func:`probe_accuracy` (e.g. ``hidden_layer_sizes``,
        ``max_iter``), :func:`max_correlation` (e.g. ``n_iter``) and
        :func:`sliced_mutual_information` (e.g. ``n_slices``); not ``random_state``.

    Returns
    -------
    report : :class:`pandas.DataFrame`
        One row, indexed by ``name`` (index name ``"name"``), with the columns of
        ``A_y, A_s, A_s_optimum, rho_s, rho_probe_s, SI_s, TC, n_components`` that were
        computed, in that order.

    Raises
    ------
    ValueError
        If a ``Z`` is not a 2-D finite array or the two differ in width, if ``dependence``
        holds an unknown name, if only one of ``y_train``/``y_test`` is given, if ``s_train``
        is given without ``s_test``, if ``"probe"`` is requested with ``s_test`` but without
        ``s_train``, if a ``*_params`` is not a dict or sets ``random_state``, or if one of
        the metrics rejects its input.

    See Also
    --------
    probe_report : The probe and its chance level alone.

    References
    ----------
    %(forgetting_paper)s

    %(neural_renyi_paper)s

    %(infomin_paper)s

    Examples
    --------
    >>> import numpy as np
    >>> from fairrep.metrics import invariance_report
    >>> rng = np.random.RandomState(0)
    >>> s = rng.randint(0, 2, 400)
    >>> Z = np.c_[s + 0.1 * rng.normal(size=400), rng.normal(size=400)]
    >>> report = invariance_report(Z[:200], Z[200:], s_train=s[:200], s_test=s[200:],
    ...                            dependence=("probe", "tc"), name="leaky",
    ...                            probe_params={"hidden_layer_sizes": (16,)}, random_state=0)
    >>> list(report.columns)
    ['A_s', 'A_s_optimum', 'TC', 'n_components']
    >>> bool(report.loc["leaky", "A_s"] > 0.9)
    True
    """
    requested = _check_dependence(dependence)
    Z_train = _check_Z(Z_train, "Z_train")
    Z_test = _check_Z(Z_test, "Z_test")
    if Z_train.shape[1] != Z_test.shape[1]:
        raise ValueError(COMPONENTS_MISMATCH.format(n_test=Z_test.shape[1],
                                                    n_train=Z_train.shape[1]))
    if (y_train is None) != (y_test is None):
        given, missing = ("y_train", "y_test") if y_test is None else ("y_test", "y_train")
        raise ValueError(Y_PAIR.format(given=given, missing=missing))
    if s_train is not None and s_test is None:
        raise ValueError(S_TEST_MISSING)
    if "probe" in requested and s_test is not None and s_train is None:
        raise ValueError(S_TRAIN_MISSING)
    probe_params = _check_params(probe_params, "probe_params", "probe_accuracy")
    rho_params = _check_params(rho_params, "rho_params", "max_correlation")
    si_params = _check_params(si_params, "si_params", "sliced_mutual_information")

    rng = check_random_state(random_state)
    seeds = {key: int(rng.randint(np.iinfo(np.int32).max)) for key in _SEED_NAMES}
    row = {}
    if "probe" in requested and y_train is not None:
        row["A_y"] = probe_accuracy(Z_train, y_train, Z_test, y_test,
                                    random_state=seeds["A_y"], **probe_params)
    if "probe" in requested and s_test is not None:
        row["A_s"] = probe_accuracy(Z_train, s_train, Z_test, s_test,
                                    random_state=seeds["A_s"], **probe_params)
        row["A_s_optimum"] = majority_share(s_test)
    if "rho" in requested and s_test is not None:
        row["rho_s"] = max_correlation(Z_test, s_test, random_state=seeds["rho"],
                                       **rho_params)
    if "rho" in requested and s_test is not None and y_train is not None:
        rho_probe = _probe_rho(Z_train, y_train, Z_test, s_test, seeds["rho_probe"])
        if rho_probe is not None:
            row["rho_probe_s"] = rho_probe
    if "si" in requested and s_test is not None:
        row["SI_s"] = sliced_mutual_information(Z_test, s_test, random_state=seeds["si"],
                                                **si_params)
    if "tc" in requested:
        row["TC"] = total_correlation(Z_test)
    row["n_components"] = int(Z_test.shape[1])
    index = pd.Index([0 if name is None else name], name="name")
    return pd.DataFrame([row], index=index, columns=[c for c in REPORT_COLUMNS if c in row])
