"""Tests for clustering_ari (sub-group discovery) and invariance_report (one row of figures)."""

import re

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_blobs

from fairrep.metrics import _clustering, _report
from fairrep.metrics._clustering import clustering_ari
from fairrep.metrics._report import invariance_report

# small and fast settings of the slower figures
FAST = {
    "probe_params": {"hidden_layer_sizes": (16,), "max_iter": 200},
    "rho_params": {"n_iter": 150, "hidden_layer_sizes": (16,)},
    "si_params": {"n_slices": 20},
}


# ------------------------------------------------------------------ clustering_ari


def test_ari_high_for_separated_blobs():
    Z, labels = make_blobs(n_samples=300, centers=4, cluster_std=0.5, random_state=0)
    assert clustering_ari(Z, labels, random_state=0) > 0.9
    # labels of any type; the number of clusters follows the labels
    names = np.array(["a", "b", "c", "d"])[labels]
    assert clustering_ari(Z, names, random_state=0) == clustering_ari(Z, labels, random_state=0)


def test_ari_near_zero_for_random_labels():
    Z, _ = make_blobs(n_samples=300, centers=4, cluster_std=0.5, random_state=0)
    labels = np.random.RandomState(1).randint(0, 4, 300)
    assert abs(clustering_ari(Z, labels, random_state=0)) < 0.05


def test_ari_n_clusters_and_determinism():
    Z, labels = make_blobs(n_samples=200, centers=2, cluster_std=0.3, random_state=0)
    assert clustering_ari(Z, labels, random_state=0) > 0.95
    # splitting each true group into several clusters lowers the index
    assert clustering_ari(Z, labels, n_clusters=6, random_state=0) < 0.6
    assert clustering_ari(Z, labels, n_clusters=6, random_state=3) == \
        clustering_ari(Z, labels, n_clusters=6, random_state=3)


@pytest.mark.parametrize("Z, labels, kwargs, match", [
    (np.ones((10, 2)) * np.nan, np.arange(10) % 2, {}, "NaN"),
    (np.arange(10.0), np.arange(10) % 2, {}, "2D array"),
    (np.random.RandomState(0).normal(size=(10, 2)), np.arange(9) % 2, {},
     "labels has 9 rows but Z has 10"),
    (np.random.RandomState(0).normal(size=(10, 2)), np.zeros(10), {},
     re.escape(_clustering.LABELS_SINGLE.format(value=0.0))),
    (np.random.RandomState(0).normal(size=(10, 2)), [0, 1, None] + [0] * 7, {},
     "missing values"),
    (np.random.RandomState(0).normal(size=(3, 2)), [0, 1, 2], {},
     re.escape(_clustering.TOO_FEW_ROWS.format(n_rows=3, n_clusters=3))),
    (np.random.RandomState(0).normal(size=(10, 2)), np.arange(10) % 2, {"n_clusters": 1},
     "n_clusters must be an integer of at least 2"),
    (np.random.RandomState(0).normal(size=(10, 2)), np.arange(10) % 2, {"n_clusters": 2.0},
     "n_clusters must be an integer of at least 2"),
])
def test_ari_bad_input(Z, labels, kwargs, match):
    with pytest.raises(ValueError, match=match):
        clustering_ari(Z, labels, **kwargs)


# ------------------------------------------------------------------ invariance_report


def _data(seed, n=300):
    rng = np.random.RandomState(seed)
    s = rng.randint(0, 2, n)
    y = rng.randint(0, 2, n)
    return y, s


@pytest.fixture(scope="module")
def split():
    y, s = _data(0, 600)
    return y[:300], y[300:], s[:300], s[300:]


@pytest.fixture(scope="module")
def independent_report(split):
    """Z carries y (first column) and nothing about s."""
    y_train, y_test, s_train, s_test = split
    rng = np.random.RandomState(1)
    y = np.r_[y_train, y_test]
    Z = np.c_[y + 0.2 * rng.normal(size=600), rng.normal(size=(600, 2))]
    return invariance_report(Z[:300], Z[300:], y_train=y_train, y_test=y_test,
                             s_train=s_train, s_test=s_test, random_state=0,
                             name="independent", **FAST)


def test_report_columns_and_ranges(independent_report, split):
    report = independent_report
    assert isinstance(report, pd.DataFrame)
    assert list(report.columns) == list(_report.REPORT_COLUMNS)
    assert list(report.index) == ["independent"] and report.index.name == "name"
    row = report.loc["independent"]
    for column in ("A_y", "A_s", "A_s_optimum", "rho_s", "rho_probe_s", "SI_s"):
        assert 0.0 <= row[column] <= 1.0, column
    assert row["TC"] >= 0.0
    assert row["n_components"] == 3
    assert row["A_s_optimum"] == pytest.approx(max(np.mean(split[3]), 1 - np.mean(split[3])))


def test_report_independent_z_hides_s(independent_report):
    row = independent_report.iloc[0]
    assert row["A_y"] > 0.9
    assert abs(row["A_s"] - row["A_s_optimum"]) < 0.1
    assert row["rho_s"] < 0.3
    assert row["rho_probe_s"] < 0.25
    assert row["SI_s"] < 0.3


def test_report_one_hot_s_is_exposed(split):
    _, _, s_train, s_test = split
    rng = np.random.RandomState(2)
    s = np.r_[s_train, s_test]
    Z = np.eye(2)[s] + 0.05 * rng.normal(size=(600, 2))
    report = invariance_report(Z[:300], Z[300:], s_train=s_train, s_test=s_test,
                               random_state=0, **FAST)
    row = report.iloc[0]
    assert row["A_s"] > 0.95
    assert row["rho_s"] > 0.9
    assert row["SI_s"] > 0.8
    assert row["TC"] > 1.0  # the two columns are almost perfectly anti-correlated
    assert "A_y" not in report.columns
    assert list(report.index) == [0]


def test_report_requested_figures_only(split):
    y_train, y_test, s_train, s_test = split
    rng = np.random.RandomState(3)
    Z = rng.normal(size=(600, 2))
    only_tc = invariance_report(Z[:300], Z[300:], y_train=y_train, y_test=y_test,
                                s_train=s_train, s_test=s_test, dependence=("tc",))
    assert list(only_tc.columns) == ["TC", "n_components"]
    no_labels = invariance_report(Z[:300], Z[300:], random_state=0)
    assert list(no_labels.columns) == ["TC", "n_components"]
    only_y = invariance_report(Z[:300], Z[300:], y_train=y_train, y_test=y_test,
                               dependence="probe", random_state=0, **FAST)
    assert list(only_y.columns) == ["A_y", "n_components"]
    # rho and SI need only s_test
    s_only = invariance_report(Z[:300], Z[300:], s_test=s_test, dependence=("rho", "si"),
                               random_state=0, **FAST)
    assert list(s_only.columns) == ["rho_s", "SI_s", "n_components"]


def test_report_probe_rho_sees_s_in_the_direction_that_predicts_y():
    # the column that predicts y also carries (age - 45)^2: the probe's logit is U-shaped in
    # a continuous s, which rho_probe_s reads without training a network
    rng = np.random.RandomState(6)
    age = rng.uniform(20, 70, 1200)
    y = rng.randint(0, 2, 1200)
    Z = np.c_[y + 0.3 * rng.normal(size=1200) + ((age - 45) / 15) ** 2, rng.normal(size=1200)]
    leaky = invariance_report(Z[:600], Z[600:], y_train=y[:600], y_test=y[600:],
                              s_test=age[600:], dependence="rho", random_state=0, **FAST)
    assert list(leaky.columns) == ["rho_s", "rho_probe_s", "n_components"]
    assert leaky.iloc[0]["rho_probe_s"] > 0.5
    Z[:, 0] -= ((age - 45) / 15) ** 2
    clean = invariance_report(Z[:600], Z[600:], y_train=y[:600], y_test=y[600:],
                              s_test=age[600:], dependence="rho", random_state=0, **FAST)
    assert clean.iloc[0]["rho_probe_s"] < 0.2
    # only for a binary y and a one-column s
    three = invariance_report(Z[:600], Z[600:], y_train=y[:600] + (age[:600] > 60),
                              y_test=y[600:], s_test=age[600:], dependence="rho",
                              random_state=0, **FAST)
    assert "rho_probe_s" not in three.columns
    two_s = invariance_report(Z[:600], Z[600:], y_train=y[:600], y_test=y[600:],
                              s_test=np.c_[age[600:], age[600:] > 45], dependence="rho",
                              random_state=0, **FAST)
    assert "rho_probe_s" not in two_s.columns


def test_report_is_deterministic_and_concatenates(split, independent_report):
    y_train, y_test, s_train, s_test = split
    rng = np.random.RandomState(4)
    Z = rng.normal(size=(600, 4))
    kwargs = dict(s_train=s_train, s_test=s_test, dependence=("probe", "si", "tc"),
                  random_state=5, probe_params=FAST["probe_params"],
                  si_params=FAST["si_params"])
    first = invariance_report(Z[:300], Z[300:], name="noise", **kwargs)
    pd.testing.assert_frame_equal(first, invariance_report(Z[:300], Z[300:], name="noise",
                                                           **kwargs))
    table = pd.concat([independent_report, first])
    assert list(table.index) == ["independent", "noise"]
    assert table.index.name == "name"
    assert list(table.columns) == list(_report.REPORT_COLUMNS)
    assert np.isnan(table.loc["noise", "A_y"]) and np.isnan(table.loc["noise", "rho_s"])
    assert table.loc["noise", "n_components"] == 4


@pytest.mark.parametrize("kwargs, match", [
    ({"dependence": ("probe", "rhoo")},
     "unknown entry 'rhoo'; choose from 'probe', 'rho', 'si', 'tc'. Did you mean 'rho'?"),
    ({"dependence": ("RHO",)}, "'tc'. Did you mean 'rho'?"),
    ({"dependence": ("mi",)}, "unknown entry 'mi'; choose from"),
    ({"dependence": 3}, "dependence must be a sequence of the names"),
    ({"y_train": np.zeros(20)}, _report.Y_PAIR.format(given="y_train", missing="y_test")),
    ({"y_test": np.zeros(20)}, _report.Y_PAIR.format(given="y_test", missing="y_train")),
    ({"s_train": np.arange(20) % 2}, _report.S_TEST_MISSING),
    ({"s_test": np.arange(20) % 2}, _report.S_TRAIN_MISSING),
    ({"rho_params": {"random_state": 0}},
     _report.PARAMS_RANDOM_STATE.format(name="rho_params")),
    ({"probe_params": [("max_iter", 10)]}, "probe_params must be a dict of keyword arguments"),
])
def test_report_bad_arguments(kwargs, match):
    Z = np.random.RandomState(0).normal(size=(20, 2))
    with pytest.raises(ValueError, match=re.escape(match)):
        invariance_report(Z, Z, **kwargs)


def test_report_bad_representations():
    Z = np.random.RandomState(0).normal(size=(20, 2))
    with pytest.raises(ValueError, match="Z_test has 3 columns but Z_train has 2"):
        invariance_report(Z, np.c_[Z, Z[:, 0]])
    with pytest.raises(ValueError, match="NaN"):
        invariance_report(Z, np.full((20, 2), np.nan))


def test_probe_works_with_metadata_routing_on():
    import sklearn

    from fairrep.metrics import probe_accuracy

    rng = np.random.RandomState(0)
    s = rng.randint(0, 2, 200)
    Z = np.c_[s + 0.1 * rng.normal(size=200), rng.normal(size=200)]
    with sklearn.config_context(enable_metadata_routing=True):
        accuracy = probe_accuracy(Z[:150], s[:150], Z[150:], s[150:], random_state=0)
    assert accuracy > 0.9
