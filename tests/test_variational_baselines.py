"""VFAE, CVIB and UAI: their parts, sklearn's checks, and behaviour on held-out data."""

import inspect
import pickle
import re

import numpy as np
import pytest
import torch
from sklearn.linear_model import RidgeCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from fairrep import _sensitive as V
from fairrep.methods.variational_baselines import (S_NOT_FITTED, CVIBClassifier,
                                                   CVIBTransformer, UAIClassifier,
                                                   UAITransformer, VFAEClassifier,
                                                   VFAETransformer)
from fairrep.metrics import majority_share, probe_accuracy
from fairrep.nn.variational_baselines import (UAINetwork, VFAENetwork, group_mmd2,
                                              mmd2_unbiased, pairwise_gaussian_kl)

from conftest import make_biased

ESTIMATORS = [VFAETransformer, VFAEClassifier, CVIBTransformer, CVIBClassifier,
              UAITransformer, UAIClassifier]
#: Tiny settings for sklearn's checks (each check fits several times).
CHECK = dict(max_epochs=4, batch_size=32, hidden_layer_sizes=(16,), lr=0.01, adversary_steps=1)
#: Even smaller fits for the tests of the API (no accuracy needed).
QUICK = dict(CHECK, max_epochs=2, batch_size=100)
#: Small fits of the behaviour tests, calibrated on this data (see each test).
SMALL = dict(max_epochs=15, batch_size=64, lr=3e-3, random_state=0)
#: Every loss term each method records in history, with s.
TERMS = {
    VFAEClassifier: {"task", "reconstruction", "kl_z1", "kl_z2", "mmd"},
    CVIBClassifier: {"task", "kl", "reconstruction", "pairwise_kl"},
    UAIClassifier: {"task", "reconstruction", "disentanglement", "disentangler"},
}


def _make(cls, **params):
    accepted = inspect.signature(cls).parameters
    return cls(**{k: v for k, v in params.items() if k in accepted})


@pytest.fixture(scope="module")
def split():
    X, y, s = make_biased(n=900, seed=1)
    return (X[:600], y[:600], s[:600]), (X[600:], y[600:], s[600:])


def _probe(Z_train, s_train, Z_test, s_test):
    return probe_accuracy(Z_train, s_train, Z_test, s_test, random_state=0)




# -- parts -------------------------------------------------------------------------------------
def test_pairwise_gaussian_kl_matches_torch_distributions():
    g = torch.Generator().manual_seed(0)
    mean = torch.randn(5, 3, generator=g, dtype=torch.float64)
    std = 0.2 + torch.rand(5, 3, generator=g, dtype=torch.float64)
    q = torch.distributions.Normal
    expected = torch.stack([torch.stack([
        torch.distributions.kl_divergence(q(mean[i], std[i]), q(mean[j], std[j])).sum()
        for j in range(5)]) for i in range(5)])
    torch.testing.assert_close(pairwise_gaussian_kl(mean, std), expected)
    assert torch.all(pairwise_gaussian_kl(mean, std).diagonal().abs() < 1e-12)


def test_unbiased_mmd_is_centred_and_detects_a_shift():
    g = torch.Generator().manual_seed(0)
    same = [mmd2_unbiased(torch.randn(30, 2, generator=g), torch.randn(30, 2, generator=g))
            for _ in range(20)]
    a, b = torch.randn(100, 2, generator=g), torch.randn(100, 2, generator=g)
    assert abs(float(torch.stack(same).mean())) < 0.01
    assert mmd2_unbiased(a, b + 1.0) > 0.1
    assert mmd2_unbiased(a[:1], b) == 0.0
    # a group with a single row in the batch adds nothing
    s = torch.tensor([[0]] + [[1]] * 9)
    assert group_mmd2(torch.randn(10, 2, generator=g), s, [2]) == 0.0


def test_vfae_marginal_code_is_the_share_weighted_mean_over_s():
    torch.manual_seed(0)
    net = VFAENetwork(4, 3, [2], s_cardinalities=[3], s_support=[[0], [1], [2]],
                      s_weights=[0.5, 0.3, 0.2], encoder_uses_s=True)
    X = torch.randn(6, 4)
    codes = [net.encode(X, torch.full((6, 1), g)) for g in range(3)]
    expected = 0.5 * codes[0] + 0.3 * codes[1] + 0.2 * codes[2]
    torch.testing.assert_close(net(X), expected)


def test_uai_noisy_transformer_is_dropout_drawn_from_the_generator():
    net = UAINetwork(3, 4, [2], dropout_rate=0.5)
    e1 = torch.ones(200, 4)
    first = net.noisy_transformer(e1, torch.Generator().manual_seed(1))
    again = net.noisy_transformer(e1, torch.Generator().manual_seed(1))
    assert torch.equal(first, again)
    assert set(first.unique().tolist()) == {0.0, 2.0}  # inverted dropout keeps the mean
    assert 0.4 < float((first == 0).float().mean()) < 0.6


# -- estimators --------------------------------------------------------------------------------
@pytest.mark.parametrize("cls", list(TERMS))
def test_every_term_is_recorded(cls, split):
    (X, y, s), _ = split
    est = _make(cls, **QUICK, random_state=0).fit(X, y, s=s)
    row = est.history_[-1]
    for term in TERMS[cls] | {"loss"}:
        assert np.isfinite(row[f"train_{term}"]), term


# fits without s on purpose
@pytest.mark.filterwarnings("ignore::fairrep.SensitiveMissingWarning")
def test_without_s_the_invariance_terms_are_skipped(split):
    (X, y, _), _ = split
    assert "train_mmd" not in _make(VFAEClassifier, **QUICK).fit(X, y).history_[-1]
    row = _make(CVIBClassifier, **QUICK).fit(X, y).history_[-1]
    assert "train_reconstruction" not in row and "train_pairwise_kl" not in row


def test_uai_trains_its_disentanglers_without_s(split):
    (X, y, s), _ = split
    est = _make(UAIClassifier, **QUICK, random_state=0).fit(X, y)
    assert est.s_classes_ is None and "train_disentangler" in est.history_[-1]
    with_s = _make(UAIClassifier, **QUICK, random_state=0).fit(X, y, s=s)
    np.testing.assert_array_equal(est.transform(X), with_s.transform(X))  # s is ignored


def test_vfae_transform_with_s_and_marginalised(split):
    (X, y, s), _ = split
    est = _make(VFAEClassifier, **QUICK, encoder_uses_s=True, random_state=0).fit(X, y, s=s)
    shares = np.bincount(s) / len(s)
    per_group = [est.transform(X, s=np.full(len(X), g)) for g in (0, 1)]
    np.testing.assert_allclose(est.transform(X),
                               shares[0] * per_group[0] + shares[1] * per_group[1], atol=1e-8)
    assert not np.allclose(per_group[0], per_group[1])  # the encoder does use s
    assert est.transform(X, s=s).shape == (len(X), 8)
    # an x-only encoder ignores s
    plain = _make(VFAEClassifier, **QUICK, random_state=0).fit(X, y, s=s)
    np.testing.assert_array_equal(plain.transform(X, s=s), plain.transform(X))


def test_sample_representation_draws_reproducibly(split):
    (X, y, s), _ = split
    for cls in (VFAETransformer, CVIBTransformer):
        est = _make(cls, **QUICK, random_state=0).fit(X, y, s=s)
        first = est.sample_representation(X, random_state=3)
        np.testing.assert_array_equal(first, est.sample_representation(X, random_state=3))
        assert not np.array_equal(first, est.sample_representation(X, random_state=4))
        assert not np.array_equal(first, est.transform(X))


@pytest.mark.parametrize("cls", [VFAEClassifier, CVIBClassifier, UAIClassifier])
def test_random_state_reproducible_and_pickles(cls, split):
    (X, y, s), _ = split
    a = _make(cls, **QUICK, random_state=0).fit(X, y, s=s)
    b = _make(cls, **QUICK, random_state=0).fit(X, y, s=s)
    c = _make(cls, **QUICK, random_state=1).fit(X, y, s=s)
    np.testing.assert_array_equal(a.transform(X), b.transform(X))
    assert not np.array_equal(a.transform(X), c.transform(X))
    restored = pickle.loads(pickle.dumps(a))
    np.testing.assert_array_equal(restored.transform(X), a.transform(X))
    np.testing.assert_array_equal(restored.predict(X), a.predict(X))


@pytest.mark.parametrize("cls, params, message", [
    (VFAEClassifier, dict(encoder_uses_s="yes"),
     "The 'encoder_uses_s' parameter of VFAEClassifier must be an instance of 'bool'"),
    (VFAEClassifier, dict(mmd_weight=-1.0), "The 'mmd_weight' parameter of VFAEClassifier "
     "must be a float in the range [0.0, inf). Got -1.0 instead."),
    (VFAEClassifier, dict(n_components_z2=0), "The 'n_components_z2' parameter of "
     "VFAEClassifier must be an int in the range [1, inf). Got 0 instead."),
    (CVIBClassifier, dict(invariance_weight=np.nan), "The 'invariance_weight' parameter of "
     "CVIBClassifier must be a float in the range [0.0, inf). Got nan instead."),
    (UAIClassifier, dict(dropout_rate=1.0), "The 'dropout_rate' parameter of UAIClassifier "
     "must be a float in the range [0.0, 1.0). Got 1.0 instead."),
    (UAIClassifier, dict(adversary_steps=0), "The 'adversary_steps' parameter of "
     "UAIClassifier must be an int in the range [1, inf). Got 0 instead."),
])
def test_bad_parameters_raise(cls, params, message, split):
    (X, y, s), _ = split
    est = cls(**params)
    with pytest.raises(ValueError, match=re.escape(message)):
        est.fit(X, y, s=s)
    assert not hasattr(est, "net_")


# fits without s on purpose
@pytest.mark.filterwarnings("ignore::fairrep.SensitiveMissingWarning")
def test_bad_inputs_raise(split):
    (X, y, s), _ = split
    with pytest.raises(ValueError, match="requires y"):
        _make(CVIBClassifier, **QUICK).fit(X)
    with pytest.raises(ValueError, match=re.escape(V.S_LENGTH.format(n_s=5, n_x=len(X)))):
        _make(UAIClassifier, **QUICK).fit(X, y, s=s[:5])
    no_s = _make(VFAETransformer, **QUICK).fit(X, y)
    with pytest.raises(ValueError,
                       match=re.escape(S_NOT_FITTED.format(estimator="VFAETransformer"))):
        no_s.transform(X, s=s)
    with_s = _make(VFAETransformer, **QUICK, encoder_uses_s=True).fit(X, y, s=s)
    with pytest.raises(ValueError, match="unseen|not seen"):
        with_s.transform(X, s=np.full(len(X), 7))
    with pytest.raises(ValueError, match=re.escape(V.S_LENGTH.format(n_s=5, n_x=len(X)))):
        with_s.transform(X, s=s[:5])


# -- behaviour ---------------------------------------------------------------------------------
def test_vfae_mmd_removes_s_and_keeps_y(split):
    # 3 seeds at these settings: probe of s 0.97/0.94/0.89 without MMD, 0.81/0.73/0.72 with it
    train, test = split
    (X, y, s), (X_te, y_te, s_te) = train, test
    off = VFAEClassifier(**SMALL, mmd_weight=0.0).fit(X, y, s=s)
    on = VFAEClassifier(**SMALL, mmd_weight=100.0).fit(X, y, s=s)
    probe_off = _probe(off.transform(X), s, off.transform(X_te), s_te)
    probe_on = _probe(on.transform(X), s, on.transform(X_te), s_te)
    assert probe_off >= majority_share(s_te) + 0.3  # s is there to remove
    assert probe_on <= probe_off - 0.1
    assert on.score(X_te, y_te) >= 0.95


def test_cvib_bound_removes_s_and_keeps_y(split):
    # beta = 0 so that lambda = 0 is the unregularised network. 3 seeds: probe of s on draws
    # 0.97/0.94/0.93 -> 0.51/0.52/0.48, on the posterior mean 0.99/0.98/0.95 -> 0.85/0.82/0.84
    train, test = split
    (X, y, s), (X_te, y_te, s_te) = train, test
    off = CVIBClassifier(**SMALL, kl_weight=0.0, invariance_weight=0.0).fit(X, y, s=s)
    on = CVIBClassifier(**SMALL, kl_weight=0.0, invariance_weight=0.1,
                        strength_scaling="none").fit(X, y, s=s)  # the paper's fixed lambda

    def draws(est):
        return _probe(est.sample_representation(X, random_state=0), s,
                      est.sample_representation(X_te, random_state=1), s_te)

    draws_off, draws_on = draws(off), draws(on)
    assert draws_off >= majority_share(s_te) + 0.3
    assert draws_on <= draws_off - 0.25
    mean_off = _probe(off.transform(X), s, off.transform(X_te), s_te)
    mean_on = _probe(on.transform(X), s, on.transform(X_te), s_te)
    assert mean_on <= mean_off - 0.08
    assert on.score(X_te, y_te) >= 0.95


def _linear_r2(Z, target, Z_te, target_te):
    model = make_pipeline(StandardScaler(), RidgeCV()).fit(Z, target)
    return model.score(Z_te, target_te)


def test_uai_disentanglement_moves_nuisance_out_of_e1(split):
    # UAI never sees s; its own claim is that e1 keeps what y needs and e2 the rest. Columns
    # 2-4 of X (a noise feature and the two copies of s) do not enter y: the disentanglers
    # make them less linearly decodable from e1. 3 seeds, R^2 of columns 2 and 3:
    # 0.89/0.84/0.89 without, 0.61/0.41/0.51 with gamma = 1.
    train, test = split
    (X, y, _), (X_te, y_te, _) = train, test
    params = dict(SMALL, max_epochs=20, lr=1e-3)
    off = UAIClassifier(**params, disentanglement_weight=0.0).fit(X, y)
    on = UAIClassifier(**params, disentanglement_weight=1.0).fit(X, y)

    def nuisance_r2(est):
        Z, Z_te = est.transform(X), est.transform(X_te)
        return np.mean([_linear_r2(Z, X[:, j], Z_te, X_te[:, j]) for j in (2, 3, 4)])

    r2_off, r2_on = nuisance_r2(off), nuisance_r2(on)
    assert r2_off >= 0.8
    assert r2_on <= r2_off - 0.1
    assert on.score(X_te, y_te) >= 0.9


@pytest.mark.slow
def test_uai_predicts_more_than_the_majority_class_on_a_wide_table():
    # German credit, raw columns, one-hot + QuantileTransformer (61 columns): with the
    # reconstruction error summed over the columns it outweighed the task and every test
    # prediction was the majority class on 3 of 3 splits (0.700); per column, measured
    # 0.787 / 0.733 / 0.720 (benchmarks/robust_defaults.py's 'quantile' recipe)
    from sklearn.compose import ColumnTransformer, make_column_selector
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import OneHotEncoder, QuantileTransformer

    from fairrep.datasets import load_german

    bunch = load_german(as_frame=True)
    scores = []
    for seed in (0, 1, 2):
        X_tr, X_te, y_tr, y_te = train_test_split(
            bunch.data, bunch.target.to_numpy(), test_size=0.3, stratify=bunch.target,
            random_state=seed)
        prep = ColumnTransformer([
            ("cat", OneHotEncoder(handle_unknown="ignore"),
             make_column_selector(dtype_include="category")),
            ("num", QuantileTransformer(output_distribution="normal", n_quantiles=200,
                                        random_state=seed),
             make_column_selector(dtype_include="number"))], sparse_threshold=0)
        clf = UAIClassifier(random_state=seed).fit(prep.fit_transform(X_tr), y_tr)
        predicted = clf.predict(prep.transform(X_te))
        assert len(np.unique(predicted)) == 2
        scores.append(np.mean(predicted == y_te))
    assert np.mean(scores) >= 0.72  # majority share 0.700
