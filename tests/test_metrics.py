"""Tests for fairrep.metrics: fairness gaps and post-hoc probes."""

import numpy as np
import pandas as pd
import pytest
import sklearn
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import make_scorer
from sklearn.model_selection import cross_validate

from fairrep.metrics import (
    binned_max_correlation,
    demographic_parity_difference,
    equalized_odds_difference,
    majority_share,
    max_correlation,
    probe_accuracy,
    probe_report,
)
import fairrep.metrics as metrics_module


def test_all_exports():
    assert {"demographic_parity_difference", "equalized_odds_difference", "majority_share",
            "probe_accuracy", "probe_report"} <= set(metrics_module.__all__)
    assert all(callable(getattr(metrics_module, name)) for name in metrics_module.__all__)


# --------------------------------------------------------------------------
# Reference implementation (straight from the definitions) for cross-checks
# --------------------------------------------------------------------------

def _reference(y_true, y_pred, groups, pos):
    df = pd.DataFrame({"t": np.asarray(y_true) == pos, "p": np.asarray(y_pred) == pos,
                       "g": groups})
    sel = df.groupby("g")["p"].mean()
    tpr = df[df.t].groupby("g")["p"].mean()
    fpr = df[~df.t].groupby("g")["p"].mean()

    def gap(r):
        return float(r.max() - r.min()) if len(r) >= 2 else 0.0

    return gap(sel), max(gap(tpr), gap(fpr))


# --------------------------------------------------------------------------
# demographic_parity_difference
# --------------------------------------------------------------------------

def test_dp_binary_hand_computed():
    y_pred = [1, 1, 0, 0, 1, 0, 0, 0]
    s = ["a", "a", "a", "a", "b", "b", "b", "b"]
    # selection rates 2/4 and 1/4
    assert demographic_parity_difference(y_pred, y_pred, s=s) == pytest.approx(0.25)
    # y_true is ignored apart from its length
    assert demographic_parity_difference(None, y_pred, s=s) == pytest.approx(0.25)
    assert demographic_parity_difference([0] * 8, y_pred, s=s) == pytest.approx(0.25)


def test_dp_three_groups_hand_computed():
    y_pred = [1, 1, 1, 0, 0, 0, 0, 0, 1]
    s = [0, 0, 1, 1, 1, 2, 2, 2, 2]
    # rates: group 0 -> 1, group 1 -> 1/3, group 2 -> 1/4
    out = demographic_parity_difference(None, y_pred, s=s)
    assert isinstance(out, float)
    assert out == pytest.approx(0.75)


def test_dp_parity_is_zero():
    y_pred = [1, 0, 1, 0]
    assert demographic_parity_difference(None, y_pred, s=[0, 0, 1, 1]) == 0.0


def test_dp_two_d_s_uses_intersections():
    y_pred = np.array([1, 1, 1, 0, 0, 0, 1, 0])
    sex = np.array(["f", "f", "f", "f", "m", "m", "m", "m"])
    race = np.array([0, 0, 1, 1, 0, 0, 1, 1])
    # marginals: sex gap 3/4 - 1/4 = 0.5; race gap 2/4 - 2/4 = 0
    assert demographic_parity_difference(None, y_pred, s=sex) == pytest.approx(0.5)
    assert demographic_parity_difference(None, y_pred, s=race) == pytest.approx(0.0)
    # intersections (f,0)=1, (f,1)=1/2, (m,0)=0, (m,1)=1/2 -> gap 1
    s2 = np.column_stack([sex, race.astype(str)])
    assert demographic_parity_difference(None, y_pred, s=s2) == pytest.approx(1.0)
    df = pd.DataFrame({"sex": pd.Categorical(sex), "race": race})
    assert demographic_parity_difference(None, y_pred, s=df) == pytest.approx(1.0)
    # a single-column 2-D s is the same as 1-D
    assert demographic_parity_difference(
        None, y_pred, s=sex.reshape(-1, 1)) == pytest.approx(0.5)


def test_dp_string_labels_with_pos_label():
    y_pred = ["hire", "hire", "reject", "reject", "hire", "reject", "reject", "reject"]
    s = [0, 0, 0, 0, 1, 1, 1, 1]
    assert demographic_parity_difference(
        y_pred, y_pred, s=s, pos_label="hire") == pytest.approx(0.25)
    assert demographic_parity_difference(
        y_pred, y_pred, s=s, pos_label="reject") == pytest.approx(0.25)


@pytest.mark.parametrize(
    "labels, expected_pos",
    [((0, 1), 1), ((False, True), True), ((-1, 1), 1), ((0.0, 1.0), 1.0)],
)
def test_default_pos_label_binary_conventions(labels, expected_pos):
    neg, pos = labels
    y_pred = np.array([pos, pos, neg, neg, pos, neg, neg, neg])
    s = [0, 0, 0, 0, 1, 1, 1, 1]
    assert demographic_parity_difference(y_pred, y_pred, s=s) == pytest.approx(
        demographic_parity_difference(y_pred, y_pred, s=s, pos_label=expected_pos))
    assert demographic_parity_difference(y_pred, y_pred, s=s) == pytest.approx(0.25)


def test_pandas_inputs_are_not_index_aligned():
    idx = [7, 3, 5, 1, 0, 2, 4, 6]
    y_pred = pd.Series([1, 1, 0, 0, 1, 0, 0, 0], index=idx)
    s = pd.Series(pd.Categorical(list("aaaabbbb")), index=idx[::-1])
    assert demographic_parity_difference(y_pred, y_pred, s=s) == pytest.approx(0.25)
    assert equalized_odds_difference(y_pred, y_pred, s=s) == pytest.approx(0.0)


def test_bool_s():
    y_pred = [1, 1, 0, 0, 1, 0, 0, 0]
    s = np.array([True] * 4 + [False] * 4)
    assert demographic_parity_difference(None, y_pred, s=s) == pytest.approx(0.25)


# --------------------------------------------------------------------------
# equalized_odds_difference
# --------------------------------------------------------------------------

def test_eo_binary_hand_computed():
    y_true = [1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 0, 0]
    y_pred = [1, 1, 1, 0, 1, 0, 0, 0, 1, 0, 1, 1]
    s = [0] * 8 + [1] * 4
    # group 0: TPR 3/4, FPR 1/4; group 1: TPR 1/2, FPR 1
    # TPR gap 1/4, FPR gap 3/4 -> 3/4
    out = equalized_odds_difference(y_true, y_pred, s=s)
    assert isinstance(out, float)
    assert out == pytest.approx(0.75)


def test_eo_tpr_gap_dominates():
    y_true = [1, 1, 0, 0, 1, 1, 0, 0]
    y_pred = [1, 1, 0, 0, 0, 0, 0, 1]
    s = [0, 0, 0, 0, 1, 1, 1, 1]
    # TPR 1 vs 0 -> 1; FPR 0 vs 1/2 -> 1/2
    assert equalized_odds_difference(y_true, y_pred, s=s) == pytest.approx(1.0)


def test_eo_three_groups_skips_group_without_positives():
    y_true = [1, 1, 0, 0, 1, 1, 0, 0, 0, 0]
    y_pred = [1, 1, 0, 0, 1, 0, 0, 0, 0, 1]
    s = ["a", "a", "a", "a", "b", "b", "b", "b", "c", "c"]
    # TPR: a 1, b 1/2, c skipped (no positives) -> 1/2
    # FPR: a 0, b 0, c 1/2 -> 1/2
    assert equalized_odds_difference(y_true, y_pred, s=s) == pytest.approx(0.5)
    # if c predicts no positives, the FPR gap vanishes and TPR gap remains
    y_pred2 = y_pred[:-1] + [0]
    assert equalized_odds_difference(y_true, y_pred2, s=s) == pytest.approx(0.5)
    y_pred3 = [1, 1, 0, 0, 1, 1, 0, 0, 0, 1]
    assert equalized_odds_difference(y_true, y_pred3, s=s) == pytest.approx(0.5)
    y_pred4 = [1, 1, 0, 0, 1, 1, 0, 0, 0, 0]
    assert equalized_odds_difference(y_true, y_pred4, s=s) == 0.0


def test_eo_two_d_s_and_string_labels():
    y_true = np.array(["y", "y", "n", "n", "y", "y", "n", "n"])
    y_pred = np.array(["y", "y", "n", "n", "y", "n", "n", "n"])
    s = pd.DataFrame({"a": [0, 0, 0, 0, 1, 1, 1, 1], "b": list("xyxyxyxy")})
    # groups (0,x): t=[y,n] p=[y,n]; (0,y): t=[y,n] p=[y,n]
    #        (1,x): t=[y,n] p=[y,n]; (1,y): t=[y,n] p=[n,n]
    # TPR: 1,1,1,0 -> 1; FPR all 0
    assert equalized_odds_difference(y_true, y_pred, s=s, pos_label="y") == pytest.approx(1.0)
    # with "n" as the positive label: TPR(n) all 1; FPR(n) = P(pred n | true y): 0,0,0,1
    assert equalized_odds_difference(y_true, y_pred, s=s, pos_label="n") == pytest.approx(1.0)
    # marginal on column "a" only: TPR 1 vs 1/2
    assert equalized_odds_difference(
        y_true, y_pred, s=s["a"], pos_label="y") == pytest.approx(0.5)


def test_gaps_match_reference_on_random_data():
    rng = np.random.RandomState(0)
    n = 500
    s = np.column_stack([rng.randint(0, 3, n), rng.choice(["u", "v"], n)])
    y_true = rng.randint(0, 2, n)
    y_pred = (rng.rand(n) < 0.3 + 0.2 * (s[:, 0] == "1")).astype(int)
    groups = pd.Series([f"{a}|{b}" for a, b in s]).to_numpy()
    dp_ref, eo_ref = _reference(y_true, y_pred, groups, 1)
    dp = demographic_parity_difference(y_true, y_pred, s=s)
    eo = equalized_odds_difference(y_true, y_pred, s=s)
    assert dp == pytest.approx(dp_ref)
    assert eo == pytest.approx(eo_ref)
    assert 0.0 <= dp <= 1.0 and 0.0 <= eo <= 1.0


# --------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------

@pytest.mark.parametrize("metric", [demographic_parity_difference, equalized_odds_difference])
def test_s_length_mismatch(metric):
    with pytest.raises(ValueError, match=r"^s has 3 rows but y has 4"):
        metric([0, 1, 0, 1], [0, 1, 1, 1], s=[0, 1, 0])


@pytest.mark.parametrize("metric", [demographic_parity_difference, equalized_odds_difference])
def test_y_length_mismatch(metric):
    with pytest.raises(ValueError, match="y_true has 3 rows but y_pred has 4"):
        metric([0, 1, 0], [0, 1, 1, 1], s=[0, 1, 0, 1])


@pytest.mark.parametrize("metric", [demographic_parity_difference, equalized_odds_difference])
def test_single_group(metric):
    with pytest.raises(ValueError, match="s has a single group"):
        metric([0, 1, 0, 1], [0, 1, 1, 1], s=["a"] * 4)
    with pytest.raises(ValueError, match="s has a single group"):
        metric([0, 1, 0, 1], [0, 1, 1, 1], s=np.array([["a", 1]] * 4, dtype=object))


@pytest.mark.parametrize("metric", [demographic_parity_difference, equalized_odds_difference])
def test_missing_pos_label_with_string_labels(metric):
    y = ["hire", "reject", "hire", "reject"]
    with pytest.raises(ValueError, match="pos_label"):
        metric(y, y, s=[0, 0, 1, 1])
    # multiclass numeric labels are ambiguous too
    with pytest.raises(ValueError, match="pos_label"):
        metric([0, 1, 2, 1], [0, 1, 2, 2], s=[0, 0, 1, 1])


@pytest.mark.parametrize("metric", [demographic_parity_difference, equalized_odds_difference])
def test_unknown_pos_label(metric):
    with pytest.raises(ValueError, match="pos_label='yes' is not among"):
        metric([0, 1, 0, 1], [0, 1, 1, 1], s=[0, 0, 1, 1], pos_label="yes")


def test_s_is_keyword_only_and_required():
    with pytest.raises(TypeError):
        demographic_parity_difference([0, 1], [0, 1], [0, 1])
    with pytest.raises(ValueError, match="s is required"):
        equalized_odds_difference([0, 1], [0, 1])
    with pytest.raises(ValueError, match="s is required"):
        demographic_parity_difference([0, 1], [0, 1], s=None)


@pytest.mark.parametrize("metric", [demographic_parity_difference, equalized_odds_difference])
def test_fairlearns_sensitive_features_keyword_is_s(metric):
    y_true, y_pred, s = [1, 1, 0, 0, 1, 1, 0, 0], [1, 1, 0, 0, 1, 0, 0, 0], [0] * 4 + [1] * 4
    assert metric(y_true, y_pred, sensitive_features=s) == metric(y_true, y_pred, s=s) > 0
    with pytest.raises(ValueError, match="not both"):
        metric(y_true, y_pred, s=s, sensitive_features=s)


def test_other_bad_inputs():
    with pytest.raises(ValueError, match="y_true is required"):
        equalized_odds_difference(None, [0, 1], s=[0, 1])
    with pytest.raises(ValueError, match="s contains missing values"):
        demographic_parity_difference(None, [0, 1, 1], s=["a", None, "b"])
    with pytest.raises(ValueError, match="s must be 1-D or 2-D"):
        demographic_parity_difference(None, [0, 1], s=np.zeros((2, 1, 1)))
    with pytest.raises(ValueError, match="y_pred must be 1-D"):
        demographic_parity_difference(None, np.zeros((2, 2)), s=[0, 1])


# --------------------------------------------------------------------------
# scorer + metadata routing
# --------------------------------------------------------------------------

def test_scorer_with_metadata_routing():
    rng = np.random.RandomState(0)
    n = 300
    s = rng.randint(0, 2, n)
    X = np.column_stack([rng.normal(size=n) + s, rng.normal(size=n)])
    y = (X[:, 0] + 0.5 * rng.normal(size=n) > 0.5).astype(int)
    with sklearn.config_context(enable_metadata_routing=True):
        # set_score_request itself needs metadata routing enabled
        dp = make_scorer(demographic_parity_difference,
                         greater_is_better=False).set_score_request(s=True)
        eo = make_scorer(equalized_odds_difference,
                         greater_is_better=False).set_score_request(s=True)
        res = cross_validate(LogisticRegression(), X, y, cv=3,
                             scoring={"dp": dp, "eo": eo, "acc": "accuracy"},
                             params={"s": s})
    for key in ("test_dp", "test_eo"):
        scores = res[key]
        assert scores.shape == (3,)
        assert np.all(np.isfinite(scores))
        assert np.all((scores <= 0) & (scores >= -1))  # negated gaps
    # s shifts X[:, 0], so the classifier's selection rates differ by group
    assert res["test_dp"].mean() < -0.1


# --------------------------------------------------------------------------
# majority_share
# --------------------------------------------------------------------------

def test_majority_share():
    assert majority_share([0, 1, 1, 1]) == 0.75
    assert majority_share(np.array(["a", "b", "b", "c", "c"])) == 0.4
    assert majority_share([True, False, False]) == pytest.approx(2 / 3)
    cat = pd.Series(pd.Categorical(["x", "y", "y"], categories=["x", "y", "z"]))
    assert majority_share(cat) == pytest.approx(2 / 3)
    assert majority_share(np.array([1.0, np.nan, np.nan])) == pytest.approx(2 / 3)
    assert isinstance(majority_share([1]), float)
    with pytest.raises(ValueError, match="s is empty"):
        majority_share([])
    with pytest.raises(ValueError, match="1-D"):
        majority_share(np.zeros((3, 2)))


# --------------------------------------------------------------------------
# probe_accuracy / probe_report
# --------------------------------------------------------------------------

def test_probe_near_chance_on_independent_noise():
    rng = np.random.RandomState(0)
    Z_train = rng.normal(size=(600, 4))
    s_train = rng.randint(0, 2, 600)
    Z_test = rng.normal(size=(3000, 4))
    s_test = rng.randint(0, 2, 3000)
    acc = probe_accuracy(Z_train, s_train, Z_test, s_test, random_state=0)
    assert isinstance(acc, float)
    assert abs(acc - majority_share(s_test)) <= 0.05


def test_probe_internal_split_noise_does_not_beat_chance():
    rng = np.random.RandomState(1)
    Z = rng.normal(size=(600, 4))
    s = rng.choice(["a", "b", "c"], size=600, p=[0.5, 0.3, 0.2])
    report = probe_report(Z, s, random_state=0)
    assert report["excess"] <= 0.05


def test_probe_near_one_when_s_is_linear_in_z():
    rng = np.random.RandomState(0)
    Z = rng.normal(size=(600, 3))
    s = (Z @ np.array([1.0, -2.0, 0.5]) > 0).astype(int)
    acc = probe_accuracy(Z, s, random_state=0)
    assert acc >= 0.9


def test_probe_report_keys_and_string_labels():
    rng = np.random.RandomState(0)
    Z = rng.normal(size=(600, 2))
    s = np.where(Z[:, 0] > 0.3, "female", "male")
    report = probe_report(Z, s, random_state=0, hidden_layer_sizes=(16,))
    assert set(report) == {"accuracy", "majority_share", "excess"}
    assert all(isinstance(v, float) for v in report.values())
    assert report["excess"] == pytest.approx(report["accuracy"] - report["majority_share"])
    assert report["accuracy"] >= 0.9
    # majority share is that of the held-out 30% (stratified, so close to overall)
    assert report["majority_share"] == pytest.approx(majority_share(s), abs=0.02)
    # explicit test set: majority share of s_test
    rep2 = probe_report(Z[:400], s[:400], Z[400:], pd.Series(s[400:], dtype="category"),
                        random_state=0, hidden_layer_sizes=(16,))
    assert rep2["majority_share"] == majority_share(s[400:])


def test_probe_silences_convergence_warning():
    # filterwarnings=error in setup.cfg: an unconverged MLP must not raise
    rng = np.random.RandomState(0)
    Z = rng.normal(size=(100, 2))
    s = (Z[:, 0] > 0).astype(int)
    acc = probe_accuracy(Z, s, max_iter=2, hidden_layer_sizes=(4,), random_state=0)
    assert 0.0 <= acc <= 1.0


def test_probe_is_reproducible():
    rng = np.random.RandomState(0)
    Z = rng.normal(size=(200, 2))
    s = (Z[:, 0] + rng.normal(size=200) > 0).astype(int)
    kw = dict(hidden_layer_sizes=(8,), max_iter=50, random_state=3)
    assert probe_accuracy(Z, s, **kw) == probe_accuracy(Z, s, **kw)


def test_probe_validation():
    Z = np.zeros((12, 2))
    with pytest.raises(ValueError, match="s_train has 10 rows but Z_train has 12; "
                                         "pass one label per row of Z_train"):
        probe_accuracy(Z, np.arange(10) % 2)
    with pytest.raises(ValueError, match="s_test has 3 rows but Z_test has 4"):
        probe_accuracy(Z, np.arange(12) % 2, np.zeros((4, 2)), [0, 1, 0])
    Z_nan = Z.copy()
    Z_nan[0, 0] = np.nan
    with pytest.raises(ValueError, match="Z_train"):
        probe_accuracy(Z_nan, np.arange(12) % 2)
    with pytest.raises(ValueError, match="Z_train"):
        probe_accuracy(np.zeros(12), np.arange(12) % 2)
    with pytest.raises(ValueError, match="Z_test"):
        probe_accuracy(Z, np.arange(12) % 2, np.array([["a", "b"]]), [0])
    with pytest.raises(ValueError, match="both Z_test and s_test"):
        probe_accuracy(Z, np.arange(12) % 2, Z_test=Z)
    with pytest.raises(ValueError, match="Z_test has 3 columns but Z_train has 2"):
        probe_accuracy(Z, np.arange(12) % 2, np.zeros((4, 3)), [0, 1, 0, 1])
    with pytest.raises(ValueError, match="single class"):
        probe_accuracy(Z, np.zeros(12))
    with pytest.raises(ValueError, match="s_train must be 1-D"):
        probe_accuracy(Z, np.zeros((12, 2)))
    with pytest.raises(TypeError, match="unexpected keyword"):
        probe_report(Z, np.arange(12) % 2, hidden_sizes=(3,))


def test_probe_rare_class_falls_back_to_unstratified_split():
    rng = np.random.RandomState(0)
    Z = rng.normal(size=(60, 2))
    s = np.array(["a"] * 30 + ["b"] * 29 + ["c"])  # "c" has one row
    acc = probe_accuracy(Z, s, hidden_layer_sizes=(4,), max_iter=20, random_state=0)
    assert 0.0 <= acc <= 1.0


def test_balanced_probe_sees_information_hidden_by_imbalance():
    """With s imbalanced 85/15 and only a weak signal, the plain probe sits at the majority
    share while the balanced probe's balanced accuracy is clearly above 0.5."""
    import numpy as np

    from fairrep.metrics import majority_share, probe_accuracy

    rng = np.random.RandomState(0)
    n = 3000
    s = (rng.uniform(size=n) < 0.15).astype(int)
    Z = (s + rng.normal(scale=1.0, size=n)).reshape(-1, 1)
    Z_tr, Z_te, s_tr, s_te = Z[:2000], Z[2000:], s[:2000], s[2000:]
    plain = probe_accuracy(Z_tr, s_tr, Z_te, s_te, hidden_layer_sizes=(8,), random_state=0)
    balanced = probe_accuracy(Z_tr, s_tr, Z_te, s_te, hidden_layer_sizes=(8,),
                              random_state=0, balanced=True)
    assert plain <= majority_share(s_te) + 0.02
    assert balanced >= 0.62


def test_max_correlation_of_a_constant_representation_is_zero():
    # a fully forgotten code (every row the same) is independent of anything
    rng = np.random.RandomState(0)
    s = rng.randint(0, 2, 300)
    assert metrics_module.max_correlation(np.zeros((300, 4)), s, n_iter=100, random_state=0) == 0.0


def test_max_correlation_restarts_report_the_pair_best_on_validation(monkeypatch):
    # n_restarts trains several HGR pairs on one split; the held-out value is that of the pair
    # with the best validation correlation, and the first restart is the single run
    import fairrep.metrics._dependence as dependence

    rng = np.random.RandomState(0)
    Z = rng.normal(size=(1200, 2))
    T = Z[:, 0] ** 2 + rng.normal(size=1200)
    single = dependence.max_correlation(Z, T, n_iter=60, whiten=False, estimator="neural",
                                        random_state=3)
    fitted, original = [], dependence._fit_hgr
    monkeypatch.setattr(dependence, "_fit_hgr",
                        lambda *args: fitted.append(original(*args)) or fitted[-1])
    several = dependence.max_correlation(Z, T, n_iter=60, n_restarts=4, whiten=False,
                                         estimator="neural", random_state=3)
    scores = [score for _, score in fitted]
    assert len(fitted) == 4 and len(set(scores)) == 4  # other initialisations, other fits
    seed = dependence.seed_from(3)
    rest, held_Z, _, held_T = dependence.train_test_split(
        *dependence._prepare(Z, T), test_size=0.3, random_state=seed)
    fit_rows, _ = dependence.train_test_split(rest, test_size=dependence._VALIDATION,
                                              random_state=seed)
    mean, std = fit_rows.mean(axis=0), fit_rows.std(axis=0) + 1e-8
    with torch.no_grad():
        held_out = [abs(float(net(torch.tensor((held_Z - mean) / std, dtype=torch.float32),
                                  torch.tensor(held_T, dtype=torch.float32))))
                    for net, _ in fitted]
    assert several == pytest.approx(held_out[int(np.argmax(scores))], abs=1e-6)
    assert single == pytest.approx(held_out[0], abs=1e-6)
    with pytest.raises(ValueError, match="n_restarts"):
        dependence.max_correlation(Z, T, n_restarts=0)


def test_max_correlation_whitening_reads_low_variance_directions():
    # Z's variance lies mostly on one direction and T is carried by the smallest principal
    # direction (rho 0.5 with t^2): on standardised columns the HGR network reads it poorly,
    # on the whitened Z it reads it at or above the linear correlation
    gen = torch.Generator().manual_seed(0)
    n = 4000
    sd = torch.tensor([5.1, 1.45, 0.75, 0.42, 0.13, 0.09, 0.04, 0.016]).sqrt()
    rotation, _ = torch.linalg.qr(torch.randn(8, 8, generator=gen))
    t = torch.randn(n, generator=gen)
    p = torch.randn(n, 8, generator=gen)
    p[:, -1] = 0.5 * (t ** 2 - 1) / 2 ** 0.5 + 0.75 ** 0.5 * p[:, -1]
    Z, T = ((p * sd) @ rotation.T).numpy(), t.numpy()

    def rho(white, target=T):
        return np.mean([max_correlation(Z, target, n_iter=300, whiten=white,
                                        estimator="neural", random_state=k)
                        for k in range(2)])

    assert rho(True) > 0.5 and rho(True) > rho(False) + 0.07
    assert rho(True, np.random.RandomState(0).normal(size=n)) < 0.1


def test_max_correlation_boosted_pair_reads_offsets_between_codes():
    # a code with a few values (as one-hot inputs give) that carries s as an offset of 0.01
    # on 2 of its 5 values: trees split between the offset codes; a smooth network on the
    # whitened Z reads little of it (0.12 here); the default reports the better pair
    rng = np.random.RandomState(0)
    n = 2000
    s = rng.choice(["a", "b"], n)
    k = rng.randint(5, size=n)
    Z = np.c_[k + 0.01 * (s == "a") * (k < 2), rng.normal(size=n)]
    neural = max_correlation(Z, s, n_iter=300, estimator="neural", random_state=0)
    boosted = max_correlation(Z, s, n_iter=300, estimator="boosting", random_state=0)
    best = max_correlation(Z, s, n_iter=300, random_state=0)
    # rho* = sqrt(P(k < 2)) ~ 0.63: s is known exactly on those rows, a coin elsewhere
    assert boosted == pytest.approx(0.63, abs=0.06)
    assert neural < boosted - 0.3
    assert best == boosted


@pytest.mark.parametrize("kind", ["categorical", "continuous"])
def test_max_correlation_boosted_pair_is_held_out(kind):
    # independent Z, T read near 0 (the held-out split, not the trees' fit); a dependent
    # pair reads its rho*, computed here from the known model: the correlation of
    # P(group 2 | Z_1) with the group (Z_1 shifted by 1.5 in group 2, rho* 0.60), or of
    # Z_0^2 with T = Z_0^2 + noise (rho* 0.90); measured 0.577 and 0.898
    from scipy.stats import norm

    rng = np.random.RandomState(1)
    n = 3000
    Z = rng.normal(size=(n, 3))
    if kind == "categorical":
        T_indep = rng.choice(3, n).astype(str)
        groups = rng.choice(3, n)
        Z_dep = Z + np.c_[np.zeros(n), 1.5 * (groups == 2), np.zeros(n)]
        shifted, plain = norm.pdf(Z_dep[:, 1] - 1.5) / 3, 2 * norm.pdf(Z_dep[:, 1]) / 3
        oracle = np.corrcoef(shifted / (shifted + plain), groups == 2)[0, 1]
        T_dep = groups.astype(str)
    else:
        T_indep = rng.normal(size=n)
        T_dep = Z[:, 0] ** 2 + 0.7 * rng.normal(size=n)
        Z_dep = Z
        oracle = np.corrcoef(Z[:, 0] ** 2, T_dep)[0, 1]
    assert max_correlation(Z, T_indep, estimator="boosting", random_state=0) < 0.08
    assert max_correlation(Z_dep, T_dep, estimator="boosting", random_state=0) == \
        pytest.approx(oracle, abs=0.05)


def test_max_correlation_rejects_an_unknown_estimator():
    rng = np.random.RandomState(0)
    with pytest.raises(ValueError, match="estimator.*'best', 'neural', 'boosting'"):
        max_correlation(rng.normal(size=(50, 2)), rng.choice(2, 50), estimator="trees")


def test_max_correlation_whiten_drops_directions_without_variance():
    rng = np.random.RandomState(0)
    Z = rng.normal(size=(600, 2))
    T = Z[:, 0] + 0.3 * rng.normal(size=600)
    with_constant = np.column_stack([Z, np.full(600, 7.3), Z[:, 0] - Z[:, 1]])  # rank 2
    a = max_correlation(with_constant, T, n_iter=200, random_state=0)
    assert np.isfinite(a) and a > 0.9
    assert max_correlation(np.full((600, 2), 7.3), T, n_iter=50, random_state=0) == 0.0
    with pytest.raises(ValueError, match="whiten must be True or False"):
        max_correlation(Z, T, whiten="yes")


def test_binned_max_correlation_sees_nonlinear_dependence_and_not_noise():
    rng = np.random.RandomState(0)
    age = rng.randint(17, 90, size=10000)
    u_shaped = np.abs(age - 50) + 8 * rng.normal(size=10000)
    assert abs(np.corrcoef(u_shaped, age)[0, 1]) < 0.3  # linear correlation misses most
    assert binned_max_correlation(u_shaped, age, random_state=0) > 0.7
    assert binned_max_correlation(rng.normal(size=10000), age, random_state=0) < 0.05
    # a categorical b (strings) is used as its groups
    sex = np.where(rng.uniform(size=10000) < 0.5, "Female", "Male")
    score = (sex == "Male") + 0.5 * rng.normal(size=10000)
    assert binned_max_correlation(score, sex, random_state=0) > 0.6
    assert binned_max_correlation(np.ones(10000), sex, random_state=0) == 0.0


@pytest.mark.parametrize("a, b, match", [
    (np.zeros(10), np.zeros(11), "same length"),
    (np.zeros((10, 2)), np.zeros(10), "a must be 1-D"),
    (np.arange(20).astype(str), np.zeros(20), "non-numeric"),
    (np.r_[np.arange(19.0), np.nan], np.zeros(20), "NaN"),
])
def test_binned_max_correlation_bad_input(a, b, match):
    with pytest.raises(ValueError, match=match):
        binned_max_correlation(a, b)


def test_binned_max_correlation_bad_bins():
    with pytest.raises(ValueError, match="bins must be at least 2"):
        binned_max_correlation(np.arange(10.0), np.arange(10.0), bins=1)
