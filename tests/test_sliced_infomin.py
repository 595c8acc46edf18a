"""Scalable (sliced) infomin: the SI estimator, rho*, and the behaviour of the estimators."""

import numpy as np
import pytest
import torch
from sklearn.exceptions import NotFittedError

from fairrep import (InvariantTransformer, SlicedInfominClassifier, SlicedInfominTransformer,
                     TrainingDivergedError)
from fairrep._sensitive import S_CONSTANT
from fairrep.metrics import max_correlation, probe_accuracy, sliced_mutual_information
from fairrep.nn.sliced import (SlicedInfominNetwork, batched_cca, fit_slices, pearson,
                               polynomial_features, sample_sphere, slice_correlations,
                               slice_polynomial, sliced_information, standardize, whiten)

from conftest import make_biased

#: max_correlation settings for the tests: fewer iterations than the default 1000.
FAST_RHO = dict(n_iter=300, random_state=0)


@pytest.fixture(scope="module")
def gaussian():
    rng = np.random.RandomState(0)
    Z = rng.normal(size=(2000, 3))
    noise = rng.normal(size=2000)
    return Z, noise


# -- the estimators of dependence ------------------------------------------------------------
def test_si_near_zero_when_independent_and_rises_with_dependence(gaussian):
    Z, noise = gaussian
    values = [sliced_mutual_information(Z, noise, random_state=0)]
    values += [sliced_mutual_information(Z, Z[:, 0] + scale * noise, random_state=0)
               for scale in (3.0, 1.0, 0.3)]
    assert values[0] < 0.15
    assert all(a < b for a, b in zip(values, values[1:])), values
    assert values[-1] > 0.8


def test_si_sees_a_nonlinear_dependence(gaussian):
    # T = Z_0^2 is uncorrelated with every linear function of Z, yet fully dependent
    Z, noise = gaussian
    t = Z[:, 0] ** 2 + 0.1 * noise
    assert abs(np.corrcoef(Z[:, 0], t)[0, 1]) < 0.1
    assert sliced_mutual_information(Z, t, random_state=0) > 0.6


def test_si_metric_joint_and_whitened():
    rng = np.random.RandomState(0)
    Z = rng.normal(size=(3000, 6))
    radial = (Z ** 2).sum(axis=1)
    assert sliced_mutual_information(Z, radial, n_slices=30, random_state=1) < 0.5
    assert sliced_mutual_information(Z, radial, n_slices=30, joint=True, random_state=1) > 0.9
    # T carried by the smallest principal direction of a Z whose variance lies on one
    scales = np.sqrt([5.1, 1.45, 0.75, 0.42, 0.13, 0.09, 0.04, 0.016])
    rotation, _ = np.linalg.qr(rng.normal(size=(8, 8)))
    t = rng.normal(size=6000)
    p = rng.normal(size=(6000, 8))
    p[:, -1] = 0.5 * t + 0.75 ** 0.5 * p[:, -1]
    Z = (p * scales) @ rotation.T
    low = sliced_mutual_information(Z, t, n_slices=60, whiten=False, random_state=1)
    white = sliced_mutual_information(Z, t, n_slices=60, random_state=1)
    assert low < 0.2 and white > 0.3, (low, white)
    with pytest.raises(ValueError, match="joint must be True or False"):
        sliced_mutual_information(Z, t, joint="yes")


def test_max_correlation_independent_linear_nonlinear(gaussian):
    Z, noise = gaussian
    independent = max_correlation(Z, noise, **FAST_RHO)
    weak = max_correlation(Z, Z[:, 0] + noise, **FAST_RHO)  # rho* = 1/sqrt(2)
    square = max_correlation(Z, Z[:, 0] ** 2 + 0.1 * noise, **FAST_RHO)
    assert independent < 0.12
    assert 0.55 < weak < 0.85
    assert square > 0.9


def test_max_correlation_categorical_t(gaussian):
    Z, _ = gaussian
    groups = np.where(Z[:, 1] > 0, "a", "b")
    assert max_correlation(Z, groups, **FAST_RHO) > 0.9


def test_min_step_gradient_reaches_z_but_slices_are_constants():
    gen = torch.Generator().manual_seed(0)
    z = torch.randn(200, 4, generator=gen)
    t = z[:, :1] + 0.5 * torch.randn(200, 1, generator=gen)
    solution = fit_slices(z.requires_grad_(True), t, n_slices=20, degree=3,
                          generator=torch.Generator().manual_seed(1))
    for const in (solution.theta, solution.phi, solution.w_z, solution.w_t):
        assert not const.requires_grad and const.grad_fn is None
    assert solution.theta.shape == (20, 4) and solution.w_z.shape == (20, 3)
    torch.testing.assert_close(solution.theta.norm(dim=1), torch.ones(20))
    si = sliced_information(z, t, solution, degree=3)
    si.backward()
    assert z.grad is not None and z.grad.abs().sum() > 0
    assert 0.0 <= float(si.detach()) <= 1.0


def test_cca_weights_reach_the_correlation_they_report():
    # batched_cca's weights, read back through slice_polynomial (Horner's rule, another code
    # path), give each slice pair the canonical correlation batched_cca reports, and no
    # other weights of the same features do better.
    gen = torch.Generator().manual_seed(0)
    z = torch.randn(400, 3, generator=gen)
    t = z[:, :1] ** 2 + 0.3 * torch.randn(400, 1, generator=gen)
    z, t = standardize(z), standardize(t)
    theta, phi = sample_sphere(7, 3, gen), sample_sphere(7, 1, gen)
    fz, ft = polynomial_features(z, theta, 3), polynomial_features(t, phi, 3)
    assert fz.shape == (7, 3, 400)
    w_z, w_t, corr = batched_cca(fz, ft, ridge=1e-6)  # the ridge shrinks what it reports
    direct = pearson(slice_polynomial(z, theta, w_z), slice_polynomial(t, phi, w_t)).abs()
    torch.testing.assert_close(direct, corr, atol=1e-3, rtol=0)
    assert corr.max() > 0.5  # the quadratic dependence is found
    for _ in range(20):
        other = pearson(slice_polynomial(z, theta, torch.randn(7, 3, generator=gen)),
                        slice_polynomial(t, phi, torch.randn(7, 3, generator=gen))).abs()
        assert torch.all(other <= corr + 1e-4)


def test_slice_polynomial_is_the_weighted_features():
    gen = torch.Generator().manual_seed(0)
    x, slices = torch.randn(50, 4, generator=gen), sample_sphere(6, 4, gen)
    for degree in (1, 2, 5):
        w = torch.randn(6, degree, generator=gen)
        expected = (polynomial_features(x, slices, degree) * w.unsqueeze(-1)).sum(1)
        torch.testing.assert_close(slice_polynomial(x, slices, w), expected)


def test_joint_cca_sees_a_dependence_no_single_slice_shows():
    # T = |Z|^2 over 6 dimensions: every single direction of Z tells little about it, a
    # combination of the slices' features tells nearly all (the authors' one CCA)
    gen = torch.Generator().manual_seed(0)
    z = torch.randn(3000, 6, generator=gen)
    radial = z.pow(2).sum(dim=1, keepdim=True)
    independent = torch.randn(3000, 1, generator=gen)
    per_slice = fit_slices(z, radial, 30, 3, torch.Generator().manual_seed(1))
    joint = fit_slices(z, radial, 30, 3, torch.Generator().manual_seed(1), joint=True)
    null = fit_slices(z, independent, 30, 3, torch.Generator().manual_seed(1), joint=True)
    assert joint.joint and joint.heldout_corr.shape == (1,) and joint.w_z.shape == (30, 3)
    assert float(per_slice.heldout_corr.max()) < 0.5
    assert float(joint.heldout_corr) > 0.9
    assert float(null.heldout_corr) < 0.1  # held out: the 90 fitted features do not overfit it
    # the min step reads the same single correlation, with gradient to z
    z_grad = z[:500].clone().requires_grad_(True)
    si = sliced_information(z_grad, radial[:500], joint, degree=3)
    si.backward()
    assert float(si.detach()) > 0.9 and z_grad.grad.abs().sum() > 0


def test_joint_cca_weights_are_laid_out_slice_by_slice():
    # batched_cca on the (S * degree)-column features, reshaped to (S, degree), read back as
    # sum_i h_i(theta_i^T z) gives the canonical correlation the CCA reports
    gen = torch.Generator().manual_seed(0)
    z = standardize(torch.randn(600, 3, generator=gen))
    t = standardize(z[:, :1] * z[:, 1:2] + 0.3 * torch.randn(600, 1, generator=gen))
    theta, phi = sample_sphere(5, 3, gen), sample_sphere(5, 1, gen)
    fz, ft = polynomial_features(z, theta, 3), polynomial_features(t, phi, 3)
    w_z, w_t, corr = batched_cca(fz.reshape(1, 15, 600), ft.reshape(1, 15, 600), ridge=1e-6)
    direct = slice_correlations(z, t, theta, phi, w_z.reshape(5, 3), w_t.reshape(5, 3), 3,
                                joint=True)
    torch.testing.assert_close(direct, corr, atol=1e-3, rtol=0)
    per_pair = slice_correlations(z, t, theta, phi, *batched_cca(fz, ft, ridge=1e-6)[:2], 3)
    assert float(corr) >= float(per_pair.max()) - 1e-4  # the joint class contains each pair's


def test_whiten_gives_identity_covariance_and_gradient():
    gen = torch.Generator().manual_seed(0)
    mix = torch.tensor([[3.0, 0.0, 0.0], [2.0, 1.0, 0.0], [0.0, 1.0, 0.5]])
    x = (torch.randn(800, 3, generator=gen) @ mix).requires_grad_(True)
    w = whiten(x)
    torch.testing.assert_close(w.T @ w / 799, torch.eye(3), atol=1e-3, rtol=0)
    w[:, 2].pow(3).mean().backward()
    assert torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0
    # a constant column does not blow up: it stays (close to) 0
    flat = whiten(torch.cat([torch.randn(100, 2, generator=gen), torch.ones(100, 1)], dim=1))
    assert torch.isfinite(flat).all() and flat[:, 2].abs().max() < 1e-3
    broken = torch.randn(50, 3, generator=gen)
    broken[3, 1] = float("nan")
    assert torch.isnan(whiten(broken)).all()  # no LinAlgError: the divergence check reports


def test_constant_columns_have_finite_gradients():
    # a strong beta can make units of the encoder dead, so a column of Z (or a slice of it)
    # is constant on a batch: sqrt(0) in the scale must not turn the gradient into NaN
    # (it did: SlicedInfominClassifier(beta=450) diverged on an Adult fold at epoch 11)
    z = torch.ones(16, 3, requires_grad=True)
    t = torch.randn(3, 16, generator=torch.Generator().manual_seed(0))
    (standardize(z).sum() + pearson(z.T, t).sum()).backward()
    assert torch.isfinite(z.grad).all()
    assert torch.equal(standardize(z.detach()), torch.zeros(16, 3))


def test_diverging_whitened_fit_names_the_loss_term():
    # finite in float32, but Z's covariance overflows: a TrainingDivergedError naming a
    # loss term, not a LinAlgError from the Cholesky factorisation
    X, y, s = make_biased(n=200)
    est = SlicedInfominClassifier(whiten=True, max_epochs=2, n_slices=5, random_state=0)
    with pytest.raises(TrainingDivergedError, match="loss is"):
        est.fit(X * 1e20, y, s=s)
    assert not hasattr(est, "net_")


def test_whitening_sees_a_dependence_in_a_low_variance_direction():
    # Z's variance lies mostly along one direction (as a trained encoder's often does) and T
    # is carried, partly, by its smallest principal direction: standardising columns leaves
    # that direction buried, every random slice reads the dominant ones; whitening does not
    gen = torch.Generator().manual_seed(0)
    n = 6000
    sd = torch.tensor([5.1, 1.45, 0.75, 0.42, 0.13, 0.09, 0.04, 0.016]).sqrt()
    rotation, _ = torch.linalg.qr(torch.randn(8, 8, generator=gen))
    t, independent = torch.randn(n, 1, generator=gen), torch.randn(n, 1, generator=gen)
    p = torch.randn(n, 8, generator=gen)
    p[:, -1] = 0.5 * t[:, 0] + 0.75 ** 0.5 * p[:, -1]
    z = (p * sd) @ rotation.T

    def estimate(target, white):
        solution = fit_slices(z, target, 60, 3, torch.Generator().manual_seed(1), whiten=white)
        assert solution.whiten == white
        return float(solution.heldout_corr.max())

    assert estimate(t, False) < 0.15
    assert estimate(t, True) > 0.25
    assert estimate(independent, True) < 0.08
    # the min step whitens too: it reads what the max step solved
    solution = fit_slices(z, t, 60, 3, torch.Generator().manual_seed(1), whiten=True)
    z_grad = z[:3000].clone().requires_grad_(True)
    si = sliced_information(z_grad, t[:3000], solution, degree=3)
    si.backward()
    assert float(si.detach()) > 0.25 and z_grad.grad.abs().sum() > 0


def test_module_redraws_slices_every_max_step_every_batches():
    net = SlicedInfominNetwork(5, 4, [2], dim_t=1, n_slices=10, max_step_every=3)
    X, y, s = torch.randn(64, 5), torch.randint(0, 2, (64, 1)), torch.randn(64, 1)
    gen = torch.Generator().manual_seed(0)
    seen = []
    for _ in range(7):
        net.loss_terms(X, y, s, generator=gen)
        seen.append(net.solution_.theta)
    assert [a is b for a, b in zip(seen, seen[1:])] == [True, True, False, True, True, False]


# -- the estimators ------------------------------------------------------------------------
def test_constant_s_column_is_an_error():
    X, y, s = make_biased(n=100)
    with pytest.raises(ValueError, match="is constant"):
        SlicedInfominClassifier(max_epochs=1).fit(X, y, s=np.c_[s, np.full(100, 3.5)])
    assert "is constant" in S_CONSTANT


def test_continuous_and_multi_column_s():
    rng = np.random.RandomState(0)
    X, y, s = make_biased(n=300)
    age = rng.uniform(18, 80, 300)
    rep = SlicedInfominTransformer(max_epochs=2, random_state=0).fit(X, y, s=age)
    assert rep.s_classes_ is None and "train_si" in rep.history_[-1]
    rep = SlicedInfominTransformer(max_epochs=2, random_state=0).fit(X, y, s=np.c_[s, age])
    assert len(rep.s_classes_) == 2 and rep.s_classes_[1] is None
    assert rep.net_.module_.dim_t == 3  # one-hot of two groups + one standardised column


def test_unsupervised_mode_reconstructs_x():
    X, _, s = make_biased(n=200)
    rep = SlicedInfominTransformer(max_epochs=2, random_state=0).fit(X, s=s)
    assert "train_reconstruction" in rep.history_[-1]
    assert rep.transform(X).shape == (200, 8)


def test_renyi_baseline_trains_an_adversary():
    X, y, s = make_biased(n=200)
    clf = SlicedInfominClassifier(estimator="renyi", adversary_steps=2, max_epochs=2,
                                  random_state=0).fit(X, y, s=s)
    row = clf.history_[-1]
    assert "train_hgr" in row and "train_adversary_hgr" in row
    with pytest.raises(ValueError, match="'estimator' parameter .* a str among"):
        SlicedInfominClassifier(estimator="neural", max_epochs=1).fit(X, y, s=s)


def test_reproducible_with_random_state():
    X, y, s = make_biased(n=300)
    Z = [SlicedInfominTransformer(max_epochs=3, random_state=7).fit(X, y, s=s).transform(X)
         for _ in range(2)]
    np.testing.assert_array_equal(Z[0], Z[1])
    other = SlicedInfominTransformer(max_epochs=3, random_state=8).fit(X, y, s=s).transform(X)
    assert not np.allclose(Z[0], other)


def test_registered_in_the_unified_transformer():
    X, y, s = make_biased(n=200)
    rep = InvariantTransformer(method="sliced_infomin", invariance=2.0, max_epochs=2,
                               random_state=0).fit(X, y, s=s)
    assert rep.estimator_.beta == 2.0


# -- behaviour: the mechanism removes s and keeps y -------------------------------------------
#: Settings under which the slice term removes s on the synthetic task (calibrated by running).
# the paper's fixed weight: these tests measure the slice mechanism, not the task-gain scaling
# Z of 8 dimensions and the paper's cubic slices (the defaults before n_components='auto'
# and degree=5): the mechanism removes s from a Z that has room to carry it.
BEHAVIOUR = dict(max_epochs=30, batch_size=256, strength_scaling="none", n_components=8,
                 degree=3, random_state=0)


@pytest.fixture(scope="module")
def split():
    X, y, s = make_biased(n=1500, seed=1)
    return (X[:1000], y[:1000], s[:1000]), (X[1000:], y[1000:], s[1000:])


@pytest.fixture(scope="module")
def fitted(split):
    (X, y, s), _ = split
    off = SlicedInfominClassifier(beta=0.0, **BEHAVIOUR).fit(X, y, s=s)
    on = SlicedInfominClassifier(beta=5.0, **BEHAVIOUR).fit(X, y, s=s)
    return off, on


@pytest.mark.slow
def test_beta_removes_s_from_the_representation(split, fitted):
    (X_tr, _, s_tr), (X_te, y_te, s_te) = split
    off, on = fitted
    rho_off = max_correlation(off.transform(X_te), s_te, **FAST_RHO)
    rho_on = max_correlation(on.transform(X_te), s_te, **FAST_RHO)
    probe_off = probe_accuracy(off.transform(X_tr), s_tr, off.transform(X_te), s_te,
                               random_state=0)
    probe_on = probe_accuracy(on.transform(X_tr), s_tr, on.transform(X_te), s_te,
                              random_state=0)
    assert rho_off > 0.8
    assert rho_on < rho_off - 0.3
    assert probe_on < probe_off - 0.15
    # y stays predictable
    assert off.score(X_te, y_te) > 0.95 and on.score(X_te, y_te) > 0.93


def test_renyi_estimator_removes_s_only_with_its_term(split, fitted):
    # The neural (Renyi/HGR) baseline, switched on and off by beta, judged by a fresh HGR
    # probe on held-out rows. Measured (this split): rho* 0.897 with beta = 0; with beta = 5,
    # 0.726 at the default 50 adversary steps, 0.883 / 0.937 at 5 (the encoder fools its one
    # adversary: its training HGR falls to 0.14 while the fresh probe still reads s).
    (X_tr, y_tr, s_tr), (X_te, y_te, s_te) = split
    off, _ = fitted
    on = SlicedInfominClassifier(estimator="renyi", beta=5.0, **BEHAVIOUR).fit(X_tr, y_tr,
                                                                              s=s_tr)
    rho_off = max_correlation(off.transform(X_te), s_te, **FAST_RHO)
    rho_on = max_correlation(on.transform(X_te), s_te, **FAST_RHO)
    assert rho_off > 0.8
    assert rho_on < rho_off - 0.1
    assert on.score(X_te, y_te) > 0.93


@pytest.mark.slow
def test_beta_continuous_s():
    # s continuous: a noisy copy of s enters X; beta > 0 lowers rho*(Z; s) clearly
    rng = np.random.RandomState(0)
    n = 1200
    s = rng.uniform(-2, 2, n)
    noise = rng.normal(size=(n, 3))
    X = np.c_[noise, s + 0.2 * rng.normal(size=n), np.sin(s) + 0.2 * rng.normal(size=n)]
    y = (noise[:, 0] + 0.5 * noise[:, 1] > 0).astype(int)
    tr, te = slice(0, 800), slice(800, None)
    rho = {}
    for beta in (0.0, 5.0):
        rep = SlicedInfominTransformer(beta=beta, **BEHAVIOUR).fit(X[tr], y[tr], s=s[tr])
        rho[beta] = max_correlation(rep.transform(X[te]), s[te], **FAST_RHO)
    assert rho[0.0] > 0.8
    assert rho[5.0] < rho[0.0] - 0.3



@pytest.mark.slow
def test_defaults_remove_s_from_the_score_and_the_predictions():
    # At its defaults (n_components='auto': one score for a binary y; beta=4; degree=5), on a
    # task where s enters y through a feature: the same network switched off (beta=0) keeps
    # s in Z and in its decisions. Measured on data seeds 0 / 1 / 2 (rho* with one restart):
    # rho* 0.388 / 0.434 / 0.452 -> 0.080 / 0.017 / 0.100, DP gap 0.330 / 0.320 / 0.276 ->
    # 0.153 / 0.130 / 0.084, accuracy 0.98 -> 0.873 / 0.873 / 0.857.
    from fairrep.metrics import demographic_parity_difference
    rng = np.random.RandomState(0)
    n = 1600
    s = rng.randint(0, 2, n)
    X = np.c_[rng.normal(size=(n, 4)), s + 0.5 * rng.normal(size=n)]
    y = (X[:, 0] + 0.5 * X[:, 1] + X[:, 4] > 0.5).astype(int)
    tr, te = slice(0, 1000), slice(1000, None)
    rho, gap = {}, {}
    for beta in (0.0, 4.0):
        clf = SlicedInfominClassifier(beta=beta, random_state=0).fit(X[tr], y[tr], s=s[tr])
        rho[beta] = max_correlation(clf.transform(X[te]), s[te], **FAST_RHO)
        gap[beta] = demographic_parity_difference(y[te], clf.predict(X[te]), s=s[te])
        if beta:
            assert clf.get_params()["beta"] == SlicedInfominClassifier().beta  # the default
            assert clf.score(X[te], y[te]) > 0.85
    assert rho[0.0] > 0.3 and rho[4.0] < rho[0.0] - 0.2
    assert gap[0.0] > 0.25 and gap[4.0] < gap[0.0] - 0.1

# -- max steps on rows drawn from the training set -------------------------------------------
@pytest.fixture
def max_step_sizes(monkeypatch):
    """Rows of every max step the module solves, in order."""
    sizes = []
    original = SlicedInfominNetwork.max_step

    def spy(self, z, t, generator=None):
        sizes.append(z.shape[0])
        return original(self, z, t, generator)

    monkeypatch.setattr(SlicedInfominNetwork, "max_step", spy)
    return sizes


# fits without s on purpose
@pytest.mark.filterwarnings("ignore::fairrep.SensitiveMissingWarning")
def test_max_step_rows_solves_on_that_many_training_rows(max_step_sizes):
    sizes = max_step_sizes
    X, y, s = make_biased(n=400)
    est = SlicedInfominClassifier(max_epochs=2, batch_size=64, max_step_rows=300,
                                  max_step_every=3, random_state=0).fit(X, y, s=s)
    # 7 batches an epoch, 14 in all: max steps before batches 0, 3, 6, 9 and 12
    assert sizes == [300] * 5
    assert est.net_.module_.max_step_every == 0  # no max step of its own on the batches
    sizes.clear()
    SlicedInfominClassifier(max_epochs=1, batch_size=64, max_step_rows=10_000,
                            max_step_every=100, random_state=0).fit(X, y, s=s)
    assert sizes == [400]  # at most every row
    sizes.clear()
    SlicedInfominClassifier(max_epochs=1, batch_size=64, max_step_rows=300,
                            random_state=0).fit(X, y)  # no s: no max step
    assert sizes == []


def test_max_step_rows_partial_fit_and_pickle():
    import pickle

    X, y, s = make_biased(n=400)
    params = dict(max_epochs=2, batch_size=64, max_step_rows=200, random_state=0)
    fitted = SlicedInfominClassifier(**params).fit(X, y, s=s)
    stepped = SlicedInfominClassifier(**params)
    stepped.partial_fit(X, y, s=s)
    stepped.partial_fit(X, y, s=s)
    np.testing.assert_array_equal(fitted.transform(X), stepped.transform(X))
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(fitted.transform(X), restored.transform(X))


def test_max_step_on_all_rows_once_an_epoch(max_step_sizes):
    """The authors' schedule: one max step on every training row, then an epoch of min steps."""
    sizes = max_step_sizes
    X, y, s = make_biased(n=400)
    params = dict(batch_size=64, max_step_rows="all", max_step_every="epoch", random_state=0)
    fitted = SlicedInfominClassifier(max_epochs=3, **params).fit(X, y, s=s)
    assert sizes == [400] * 3
    stepped = SlicedInfominClassifier(max_epochs=1, **params)
    for _ in range(3):
        stepped.partial_fit(X, y, s=s)
    np.testing.assert_array_equal(fitted.transform(X), stepped.transform(X))


@pytest.mark.parametrize("value", [3, 2.5, True, "every"])
def test_bad_max_step_rows(value):
    X, y, s = make_biased(n=100)
    with pytest.raises(ValueError, match="'max_step_rows' parameter .* must be .* or None"):
        SlicedInfominClassifier(max_step_rows=value, max_epochs=1).fit(X, y, s=s)


@pytest.mark.parametrize("rows, every", [(None, "epoch"), (200, "batch"), (200, 0), (None, 1.5)])
def test_bad_max_step_every(rows, every):
    X, y, s = make_biased(n=100)
    with pytest.raises(ValueError, match="max_step_every must be a positive integer|"
                                         r"'max_step_every' parameter .* \[1, inf\)"):
        SlicedInfominClassifier(max_step_rows=rows, max_step_every=every,
                                max_epochs=1).fit(X, y, s=s)


def test_bad_cca():
    X, y, s = make_biased(n=100)
    with pytest.raises(ValueError, match="'cca' parameter .* a str among"):
        SlicedInfominClassifier(cca="both", max_epochs=1).fit(X, y, s=s)


@pytest.mark.parametrize("value", [1, "yes", None])
def test_bad_whiten(value):
    X, y, s = make_biased(n=100)
    with pytest.raises(ValueError, match="'whiten' parameter .* instance of 'bool'"):
        SlicedInfominClassifier(whiten=value, max_epochs=1).fit(X, y, s=s)


def test_whiten_reaches_the_module_and_survives_pickling():
    import pickle
    X, y, s = make_biased(n=300)
    est = SlicedInfominClassifier(whiten=True, cca="joint", n_slices=5, max_step_rows="all",
                                  max_step_every=2, max_epochs=2, random_state=0).fit(X, y, s=s)
    assert est.net_.module_.whiten and est.net_.module_.solution_.whiten
    clone = pickle.loads(pickle.dumps(est))
    np.testing.assert_allclose(clone.transform(X), est.transform(X))
    clone.partial_fit(X, y, s=s)
    assert clone.net_.module_.solution_.whiten


def test_cosine_lr_schedule_anneals_the_encoder_rate():
    X, y, s = make_biased(n=200)
    seen = []

    class Spy(SlicedInfominClassifier):
        def _callbacks(self):
            from skorch.callbacks import Callback

            class Record(Callback):
                def on_epoch_end(self, net, **kwargs):
                    seen.append(net.optimizer_.param_groups[0]["lr"])
            return super()._callbacks() + [("record", Record())]

    est = Spy(beta=5.0, lr=0.01, lr_schedule="cosine", max_epochs=4, n_slices=5, batch_size=32,
              random_state=0).fit(X, y, s=s)
    expected = [0.01 * (1 + np.cos(np.pi * e / 4)) / 2 for e in range(4)]
    np.testing.assert_allclose(seen, expected)
    est.partial_fit(X, y, s=s)  # past max_epochs: the last rate
    np.testing.assert_allclose(seen[-1], expected[-1])
    seen.clear()
    Spy(beta=5.0, lr=0.01, max_epochs=2, n_slices=5, batch_size=32,
        random_state=0).fit(X, y, s=s)
    assert seen == [0.01, 0.01]


@pytest.mark.parametrize("value", ["linear", 1, True])
def test_bad_lr_schedule(value):
    X, y, s = make_biased(n=100)
    with pytest.raises(ValueError, match=r"'lr_schedule' parameter .* \{'cosine'\} or None"):
        SlicedInfominTransformer(lr_schedule=value, max_epochs=1).fit(X, y, s=s)


def test_linear_predictor_puts_y_linearly_in_z():
    # y = XOR of two signs: not linear in X. With predictor_hidden=() the network's own
    # decision is a linear function of Z, so a logistic regression on transform(X) reads y
    # as well as the network predicts it.
    from sklearn.linear_model import LogisticRegression
    rng = np.random.RandomState(0)
    X = rng.normal(size=(1200, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    s = rng.randint(0, 2, 1200)
    est = SlicedInfominClassifier(predictor_hidden=(), hidden_layer_sizes=(32,),
                                  n_components=4, beta=0.0, max_epochs=60, lr=1e-2,
                                  batch_size=128, n_slices=5, random_state=0).fit(X, y, s=s)
    (head,) = est.net_.module_.predictors
    assert [type(m) for m in head] == [torch.nn.Linear] and head[0].in_features == 4
    net_acc = est.score(X, y)
    assert net_acc > 0.9
    probe = LogisticRegression(C=1e4, max_iter=2000).fit(est.transform(X), y)
    assert probe.score(est.transform(X), y) > net_acc - 0.02
    default = SlicedInfominClassifier(hidden_layer_sizes=(32,), n_components=4, max_epochs=1,
                                      n_slices=5, random_state=0).fit(X, y, s=s)
    assert len(default.net_.module_.predictors[0]) == 3  # Linear-ReLU-Linear


@pytest.mark.parametrize("value", [(0,), "wide", (1.5,)])
def test_bad_predictor_hidden(value):
    X, y, s = make_biased(n=100)
    with pytest.raises(ValueError, match="predictor_hidden must be a tuple of positive|"
                                         "'predictor_hidden' parameter"):
        SlicedInfominClassifier(predictor_hidden=value, max_epochs=1).fit(X, y, s=s)


@pytest.mark.slow
def test_joint_cca_removes_s(split):
    # the authors' estimator: one CCA over the features of all slices, solved on 800
    # training rows every 2 batches; held-out rho* falls and y stays predictable
    (X_tr, y_tr, s_tr), (X_te, y_te, s_te) = split
    rho = {}
    for beta in (0.0, 5.0):
        est = SlicedInfominClassifier(beta=beta, cca="joint", n_slices=20, max_step_rows=800,
                                      max_step_every=2, **BEHAVIOUR).fit(X_tr, y_tr, s=s_tr)
        assert est.net_.module_.solution_.joint
        rho[beta] = max_correlation(est.transform(X_te), s_te, **FAST_RHO)
        if beta:
            assert est.score(X_te, y_te) > 0.93
    assert rho[0.0] > 0.8
    assert rho[5.0] < rho[0.0] - 0.3


@pytest.mark.slow
def test_max_steps_on_training_rows_remove_s(split):
    # the mechanism with the max step solved on 800 training rows once an epoch (4 batches)
    (X_tr, y_tr, s_tr), (X_te, y_te, s_te) = split
    rho = {}
    for beta in (0.0, 5.0):
        est = SlicedInfominClassifier(beta=beta, max_step_rows=800, max_step_every=4,
                                      **BEHAVIOUR).fit(X_tr, y_tr, s=s_tr)
        rho[beta] = max_correlation(est.transform(X_te), s_te, **FAST_RHO)
        if beta:
            assert est.score(X_te, y_te) > 0.93
    assert rho[0.0] > 0.8
    assert rho[5.0] < rho[0.0] - 0.3


# -- n_components='auto': a score per free logit of y, 8 dimensions without y ----------------
@pytest.mark.parametrize("targets, expected", [
    (lambda y: y, 1),                                   # binary y: one score
    (lambda y: y + (np.arange(len(y)) % 2), 2),         # three classes: two logits
    (lambda y: np.c_[y, y + (np.arange(len(y)) % 2)], 3),  # two target columns: 1 + 2
    (lambda y: None, 8),                                # unsupervised: room to reconstruct
])
def test_auto_n_components(targets, expected):
    X, y, s = make_biased(n=120)
    rep = SlicedInfominTransformer(max_epochs=1, n_slices=5, random_state=0)
    rep.fit(X, targets(y), s=s)
    assert rep.n_components == "auto"  # the parameter is left as given
    assert rep.n_components_ == expected and rep.transform(X).shape == (120, expected)
    fixed = SlicedInfominTransformer(n_components=3, max_epochs=1, n_slices=5,
                                     random_state=0).fit(X, targets(y), s=s)
    assert fixed.n_components_ == 3 and fixed.transform(X).shape == (120, 3)
    # with y, 'auto' puts a linear predictor on Z (its logits are affine in Z); a fixed
    # n_components keeps the encoder's hidden widths in the predictor
    for est, layers in ((rep, [torch.nn.Linear]),
                        (fixed, [torch.nn.Linear, torch.nn.ReLU, torch.nn.Linear])):
        for head in est.net_.module_.predictors:
            assert [type(m) for m in head] == layers


def test_bad_n_components():
    X, y, s = make_biased(n=100)
    with pytest.raises(ValueError, match="'n_components' parameter"):
        SlicedInfominClassifier(n_components="full", max_epochs=1).fit(X, y, s=s)
    with pytest.raises(NotFittedError):
        SlicedInfominClassifier().n_components_
