"""TaskCollapseWarning: a classifier whose predictor learned nothing says so, early in fit."""

import warnings

import numpy as np
import pytest

from fairrep import (ForgettingClassifier, HSICClassifier, InvariantClassifier, MMDClassifier,
                     TaskCollapseWarning)


#: The papers' fixed weight (strength_scaling='task_gain', the default, is what keeps these
#: fits off the constant predictor: test_strength_scaling.py), 5 batches an epoch.
FIXED = dict(strength_scaling="none", batch_size=128)


@pytest.fixture
def s_is_y():
    """y equals s, and X reads both: removing s from the code removes y."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(640, 5))
    s = rng.randint(0, 2, 640)
    X[:, 0] += 2 * s
    return X, s.copy(), s


@pytest.mark.parametrize("cls, strength", [(MMDClassifier, "mmd_weight"),
                                           (HSICClassifier, "hsic_weight")])
def test_an_overwhelming_invariance_term_is_named(s_is_y, cls, strength):
    X, y, s = s_is_y
    clf = cls(max_epochs=40, random_state=0, **FIXED, **{strength: 1e4})
    hint = rf"try a smaller {strength} \(now 10000.0, e.g. 1000\)"  # a value to try
    with pytest.warns(TaskCollapseWarning, match=hint):
        clf.fit(X, y, s=s)
    assert clf.score(X, y) < 0.6  # the warning is about a real collapse, and the fit is kept


def test_through_the_unified_classifier_the_hint_names_invariance(s_is_y):
    X, y, s = s_is_y
    clf = InvariantClassifier(method="mmd", invariance=1e4, max_epochs=40, random_state=0,
                              batch_size=128, method_params={"strength_scaling": "none"})
    hint = r"mmd_weight \(InvariantClassifier's invariance\) \(now 10000.0, e.g. 1000\)"
    with pytest.warns(TaskCollapseWarning, match=hint):
        clf.fit(X, y, s=s)


def test_a_working_fit_and_a_short_fit_do_not_warn(s_is_y):
    X, y, s = s_is_y
    with warnings.catch_warnings():
        warnings.simplefilter("error", TaskCollapseWarning)
        clf = MMDClassifier(mmd_weight=0.0, max_epochs=40, random_state=0, **FIXED).fit(X, y,
                                                                                      s=s)
        assert clf.score(X, y) > 0.6
        # under 100 steps a loss near the labels' entropy is too early to call
        MMDClassifier(mmd_weight=1e4, max_epochs=19, random_state=0, **FIXED).fit(X, y, s=s)


def test_a_collapse_is_reported_during_training_once(s_is_y):
    X, y, s = s_is_y
    clf = MMDClassifier(mmd_weight=1e4, max_epochs=60, random_state=0, **FIXED)
    expected = r"in epoch 20 of 60 \(training goes on\)"
    with pytest.warns(TaskCollapseWarning, match=expected) as record:
        clf.fit(X, y, s=s)
    assert len(record) == 1  # not again at the end of fit
    assert record[0].filename == __file__


def test_the_early_check_waits_for_the_warm_up():
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(640, 4)), rng.randint(0, 2, 640)  # labels X cannot predict
    clf = ForgettingClassifier(adversary_weight=0.0, warmup_epochs=30, max_epochs=40, lr=1e-5,
                               random_state=0)
    with pytest.warns(TaskCollapseWarning, match=r"in epoch 31 of 40 \(training goes on\)"):
        clf.fit(X, y)


def test_without_s_the_hint_is_about_training():
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(640, 4)), rng.randint(0, 2, 640)  # labels X cannot predict
    with pytest.warns(TaskCollapseWarning, match="Train more epochs or raise lr") as record:
        ForgettingClassifier(adversary_weight=0.0, max_epochs=40, lr=1e-5,
                             random_state=0).fit(X, y)
    assert "adversary_weight" not in str(record[0].message)
    assert record[0].filename == __file__  # points at the caller's fit


def test_the_early_check_waits_while_the_loss_still_falls():
    from skorch.history import History

    from fairrep._fit_warnings import still_learning

    def history(losses):
        record = History()
        for loss in losses:
            record.new_epoch()
            record.record("train_task", loss)
        return record

    entropy = 0.611
    # a small table learning slowly: 1 % of the entropy in 3 epochs, below it
    assert still_learning(history([0.677, 0.611, 0.603, 0.600, 0.598, 0.598, 0.593]), entropy)
    # flat at the entropy (a collapse), or only coming down to it from an untrained start
    assert not still_learning(history([0.700, 0.612, 0.611, 0.612, 0.611]), entropy)
    assert not still_learning(history([0.690, 0.660, 0.640, 0.612]), entropy)
    assert not still_learning(history([0.700, 0.600]), entropy)  # too few epochs to tell


@pytest.mark.slow
def test_a_small_table_that_learns_slowly_is_not_reported_mid_fit():
    # German credit, one-hot + StandardScaler, the split of seed 2: UAI's task loss is 0.594
    # against an entropy of 0.611 at the early check (epoch 10, 100 steps) and still falling
    # (0.410 in epoch 30; test accuracy 0.730). Before the check waited for the loss to stop
    # falling it warned "in epoch 10 of 30 (training goes on)".
    from sklearn.compose import ColumnTransformer, make_column_selector
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    from fairrep import UAIClassifier
    from fairrep.datasets import load_german

    bunch = load_german(as_frame=True, sensitive="sex")
    y = bunch.target.to_numpy()
    X_tr, _, y_tr, _ = train_test_split(bunch.data, y, test_size=0.3, stratify=y,
                                        random_state=2)
    prep = ColumnTransformer([
        ("cat", OneHotEncoder(handle_unknown="ignore"),
         make_column_selector(dtype_include="category")),
        ("num", StandardScaler(), make_column_selector(dtype_include="number"))],
        sparse_threshold=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", TaskCollapseWarning)
        clf = UAIClassifier(random_state=2).fit(prep.fit_transform(X_tr), y_tr)
    assert clf.history_[-1, "train_task"] < 0.9 * 0.611  # it did learn
