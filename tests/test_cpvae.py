"""Cross-population VAE: the objective's terms, the estimators, and the shared/private split."""

import pickle

import numpy as np
import pytest
import torch
from sklearn.linear_model import RidgeCV
from sklearn.model_selection import cross_val_score

from fairrep.methods.cpvae import (CrossPopulationClassifier, CrossPopulationVAE, alpha_at)
from fairrep.metrics import majority_share, probe_accuracy
from fairrep.nn.cpvae import (ConvDecoder, ConvEncoder, CrossPopulationVAENetwork, GroupedMLP,
                              PerPopulation, gaussian_kl)

#: Tiny settings for sklearn's checks (many fits each).
CHECKS = dict(n_components=2, n_private_components=2, hidden_layer_sizes=(16,), max_epochs=8,
              batch_size=64, lr=0.02, n_importance_samples=8, random_state=0)
FAST = dict(n_components=2, n_private_components=2, hidden_layer_sizes=(32,), max_epochs=5,
            batch_size=64, lr=0.01, n_importance_samples=16, random_state=0)


def two_populations(n=600, seed=0):
    """Rows x = A u + v b_k + m_k + noise: a shared factor u (2-D, same map A in both
    populations) and a private factor v (1-D) whose direction b_k and offset m_k depend on the
    population k."""
    rng = np.random.RandomState(seed)
    k = rng.randint(0, 2, n)
    A = rng.normal(size=(2, 8))
    B = rng.normal(size=(2, 8))
    M = rng.normal(size=(2, 8)) * 0.5
    u, v = rng.normal(size=(n, 2)), rng.normal(size=(n, 1))
    X = u @ A + v * B[k] + M[k] + 0.1 * rng.normal(size=(n, 8))
    return X, k


@pytest.fixture(scope="module")
def data():
    return two_populations()


@pytest.fixture(scope="module")
def fitted(data):
    X, k = data
    # one private dimension, as many as the private factor has
    return CrossPopulationVAE(**{**FAST, "max_epochs": 20, "n_private_components": 1}).fit(
        X[:400], s=k[:400])


# -- the network -------------------------------------------------------------------------------
def _net(**kw):
    torch.manual_seed(0)
    params = dict(n_features=6, n_populations=3, n_shared=2, n_private=3,
                  hidden_layer_sizes=(8,), population_prior=[0.5, 0.3, 0.2])
    params.update(kw)
    return CrossPopulationVAENetwork(**params)


def test_gaussian_kl_matches_torch():
    mean, std = torch.randn(5, 4), torch.rand(5, 4) + 0.1
    expected = torch.distributions.kl_divergence(
        torch.distributions.Normal(mean, std), torch.distributions.Normal(0.0, 1.0)).sum(-1)
    torch.testing.assert_close(gaussian_kl(mean, std), expected)


def test_cross_kl_is_eq6_on_the_whole_data():
    # With the whole data set as one batch, the weighted per-row estimate equals eq. (6):
    # sum_k pi_k / (K - 1) sum_{j != k} mean_{x in j} KL(q_k(t|x) || p(t)).
    net = _net()
    populations = torch.tensor([0] * 5 + [1] * 3 + [2] * 2)
    X = torch.randn(10, 6)
    terms = net.loss_terms(X, None, populations[:, None], torch.Generator().manual_seed(0))
    _, _, t_mean, t_std = net.posterior(X)
    kl = gaussian_kl(t_mean, t_std)  # (n, K)
    pi = torch.tensor([0.5, 0.3, 0.2])
    expected = sum(pi[k] / 2 * sum(kl[populations == j, k].mean() for j in range(3) if j != k)
                   for k in range(3))
    torch.testing.assert_close(terms["cross_kl"], expected)
    own = kl[torch.arange(10), populations].mean()
    torch.testing.assert_close(terms["kl_private"], own)
    torch.testing.assert_close(terms["mi"], own - expected)


@pytest.mark.parametrize("mi", [True, False])
def test_loss_is_eq6_or_the_elbo(mi):
    net = _net(mi_regularization=mi, alpha=3.0)
    X, s = torch.randn(10, 6), torch.tensor([0, 1, 2, 0, 1, 2, 0, 0, 1, 2])[:, None]
    t = net.loss_terms(X, None, s, torch.Generator().manual_seed(0))
    if mi:
        expected = t["reconstruction"] + t["kl_shared"] + 3.0 * t["cross_kl"]
    else:
        expected = t["reconstruction"] + t["kl_shared"] + t["kl_private"]
    torch.testing.assert_close(t["loss"], expected)
    # the population comes from y when s is None (the classifier's path)
    t_y = net.loss_terms(X, s, None, torch.Generator().manual_seed(0))
    torch.testing.assert_close(t_y["loss"], t["loss"])


def test_gradients_of_the_cross_term_reach_only_other_heads():
    # one row of population 0: its own head gets no KL gradient under eq. (6), the others do
    net = _net(hidden_layer_sizes=())
    X = torch.randn(1, 6)
    terms = net.loss_terms(X, None, torch.tensor([[0]]), torch.Generator().manual_seed(0))
    terms["cross_kl"].backward()
    grad = net.private_heads.weight.grad.reshape(3, 2, 3, 6)
    assert torch.all(grad[0] == 0)
    assert torch.any(grad[1] != 0) and torch.any(grad[2] != 0)


def test_grouped_mlp_is_k_separate_mlps():
    torch.manual_seed(0)
    mlp = GroupedMLP(3, [4, 5, 2])
    u, groups = torch.randn(7, 4), torch.tensor([0, 2, 1, 1, 0, 2, 2])
    own = mlp.forward_own(u, groups)
    every = mlp.forward_all(u[:, None].expand(-1, 3, -1))
    torch.testing.assert_close(own, every[torch.arange(7), groups])
    k = 2
    by_hand = torch.relu(u @ mlp.weights[0][k] + mlp.biases[0][k]) @ mlp.weights[1][k] \
        + mlp.biases[1][k]
    torch.testing.assert_close(every[:, k], by_hand)


@pytest.mark.parametrize("shape", [(1, 8, 8), (3, 7, 5), (2, 4, 4)])
def test_conv_encoder_decoder_shapes(shape):
    torch.manual_seed(0)
    encoder, decoder = ConvEncoder(shape, (4, 8)), ConvDecoder(3, shape, (4, 8))
    X = torch.randn(5, int(np.prod(shape)))
    assert encoder(X).shape == (5, encoder.n_out)
    assert decoder(torch.randn(5, 3)).shape == X.shape


def test_per_population_decoders_and_single_row_batch_norm():
    torch.manual_seed(0)
    decoders = PerPopulation(ConvDecoder(2, (1, 2, 2), (4,)) for _ in range(3))
    u, groups = torch.randn(4, 2), torch.tensor([2, 0, 0, 1])
    out = decoders.train().forward_own(u, groups)  # populations 1 and 2: a single 1x1 row
    assert out.shape == (4, 4) and torch.isfinite(out).all()
    decoders.eval()
    every = decoders.forward_all(u[:, None].expand(-1, 3, -1))
    torch.testing.assert_close(decoders.forward_own(u, groups), every[torch.arange(4), groups])


def test_concat_combine_starts_as_the_sum():
    for image_shape, n in [(None, 6), ((2, 1, 3), 6)]:
        net = _net(combine="concat", image_shape=image_shape, conv_channels=(2,))
        a, b = torch.randn(4, n), torch.randn(4, n)
        torch.testing.assert_close(net.combine(a, b), a + b)


def test_noise_comes_from_the_generator_not_the_global_rng():
    net = _net()
    X, s = torch.randn(6, 6), torch.tensor([0, 1, 2, 0, 1, 2])[:, None]
    state = torch.random.get_rng_state()
    a = net.loss_terms(X, None, s, torch.Generator().manual_seed(3))["loss"]
    b = net.loss_terms(X, None, s, torch.Generator().manual_seed(3))["loss"]
    assert torch.equal(torch.random.get_rng_state(), state)
    assert a.item() == b.item()




# -- behaviour ---------------------------------------------------------------------------------
def test_population_is_in_the_private_code_not_the_shared_one(data, fitted):
    X, k = data
    X_te, k_te = X[400:], k[400:]
    shared = probe_accuracy(fitted.transform(X[:400]), k[:400], fitted.transform(X_te), k_te,
                            random_state=0)
    private = probe_accuracy(fitted.transform_private(X[:400]), k[:400],
                             fitted.transform_private(X_te), k_te, random_state=0)
    assert private >= 0.9
    assert shared <= majority_share(k_te) + 0.12
    assert private >= shared + 0.3


def _other_population_r2(vae, X, k):
    """How much of x each private head's code explains on held-out rows of the *other*
    population (3-fold R^2 of a ridge regression of x on the head's means; the largest over
    heads): the I(x_-k; t_k) of eq. (4)-(5) that the MI term drives to 0."""
    scores = [cross_val_score(RidgeCV(), vae.transform_private(X[k != head], population=head),
                              X[k != head], cv=3).mean()
              for head in (0, 1)]
    return max(scores)


@pytest.mark.slow
def test_private_heads_know_nothing_of_the_other_population_only_with_the_mi_term(data,
                                                                                  fitted):
    # Measured (two_populations seeds 0 / 1 / 2, these settings): with the term -0.08 / 0.03 /
    # 0.02; with the ELBO (mi_regularization=False) 0.22 / 0.10 / 0.44, while on their own
    # population's rows the heads explain 0.19-0.52 either way.
    X, k = data
    elbo = CrossPopulationVAE(**{**FAST, "max_epochs": 20, "n_private_components": 1,
                                 "mi_regularization": False}).fit(X[:400], s=k[:400])
    on = _other_population_r2(fitted, X[400:], k[400:])
    off = _other_population_r2(elbo, X[400:], k[400:])
    assert on <= 0.05
    assert off >= on + 0.1


def test_larger_alpha_pushes_other_heads_to_the_prior(data):
    X, k = data
    cross = {}
    for name, kw in {"elbo": dict(mi_regularization=False), "alpha1": dict(alpha=1.0),
                     "alpha30": dict(alpha=30.0)}.items():
        vae = CrossPopulationVAE(**{**FAST, "max_epochs": 10, **kw}).fit(X[:400], k[:400])
        cross[name] = vae.history_[-1, "train_cross_kl"]
    assert cross["alpha30"] < 0.5 * cross["alpha1"]
    assert cross["alpha1"] < cross["elbo"]


def test_importance_sampling_bounds(data, fitted):
    X, k = data
    X_te, k_te = X[400:500], k[400:500]
    elbo = fitted.elbo(X_te, k_te, n_draws=50)
    own = np.arange(len(k_te)), k_te
    estimates = {}
    for n_samples in (4, 256):
        model = pickle.loads(pickle.dumps(fitted)).set_params(n_importance_samples=n_samples)
        estimates[n_samples] = model.score_samples(X_te)[own].mean()
    # importance sampling with the posterior as proposal: E[log p_S] grows with S from the ELBO
    assert estimates[256] >= elbo.mean()
    assert estimates[256] >= estimates[4] - 0.05


def test_schedules():
    assert [alpha_at(e, 5.0, "constant", 10) for e in (0, 9)] == [5.0, 5.0]
    assert [alpha_at(e, 5.0, "linear", 5) for e in range(5)] == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert alpha_at(3, 1000.0, "exponential", 10) == pytest.approx(1.1 ** 3)
    assert alpha_at(100, 20.0, "exponential", 10) == 20.0
    assert alpha_at(4, 1.0, lambda e: 1.0 + e, 10) == 5.0


def _double(epoch):
    return 2.0 ** epoch


def test_history_records_terms_and_alpha(data):
    X, k = data
    vae = CrossPopulationVAE(**{**FAST, "max_epochs": 3, "alpha": 3.0,
                                "alpha_schedule": _double}).fit(X[:100], k[:100])
    row = vae.history_[-1]
    for term in ("reconstruction", "kl_shared", "kl_private", "cross_kl", "mi", "loss"):
        assert np.isfinite(row[f"train_{term}"])
    assert list(vae.history_[:, "alpha"]) == [1.0, 2.0, 4.0]
    linear = CrossPopulationVAE(**{**FAST, "max_epochs": 3, "alpha": 3.0,
                                   "alpha_schedule": "linear"}).fit(X[:100], k[:100])
    assert list(linear.history_[:, "alpha"]) == [1.0, 2.0, 3.0]


def test_classifier_predicts_the_population(data):
    X, k = data
    labels = np.where(k == 1, "b", "a")
    clf = CrossPopulationClassifier(**{**FAST, "max_epochs": 10, "mi_regularization": True}).fit(
        X[:400], labels[:400])
    assert clf.score(X[400:], labels[400:]) >= 0.95
    proba = clf.predict_proba(X[400:])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert list(clf.classes_) == ["a", "b"] and list(clf.populations_) == ["a", "b"]
    np.testing.assert_allclose(clf.class_prior_, np.bincount(k[:400]) / 400)
    # the prior enters predict_proba as a log offset
    log_lik = clf.score_samples(X[400:])
    uniform = clf.set_params(priors="uniform").fit(X[:400], labels[:400])
    np.testing.assert_allclose(uniform.score_samples(X[400:]), log_lik)
    np.testing.assert_allclose(np.log(uniform.predict_proba(X[400:])),
                               log_lik - np.logaddexp(log_lik[:, :1], log_lik[:, 1:]),
                               atol=1e-9)


# -- the estimator's API -----------------------------------------------------------------------
def test_output_shapes(data, fitted):
    X, k = data
    Xs = X[:7]
    assert fitted.transform(Xs).shape == (7, 2)
    assert fitted.transform_private(Xs).shape == (7, 2)
    np.testing.assert_allclose(fitted.transform_private(Xs, population=1),
                               fitted.transform_private(Xs)[:, 1:])
    own = fitted.transform_private(Xs, population=k[:7])
    np.testing.assert_allclose(own, fitted.transform_private(Xs).reshape(7, 2, 1)[
        np.arange(7), k[:7]])
    for parts in ("both", "shared", "private"):
        assert fitted.reconstruct(Xs, population=0, parts=parts).shape == Xs.shape
    both = fitted.reconstruct(Xs, population=k[:7])
    np.testing.assert_allclose(both, fitted.reconstruct(Xs, k[:7], parts="shared")
                               + fitted.reconstruct(Xs, k[:7], parts="private"), atol=1e-10)
    # population=None decodes with each row's most likely population
    np.testing.assert_allclose(fitted.reconstruct(Xs), fitted.reconstruct(
        Xs, population=np.argmax(fitted.score_samples(Xs) + np.log(fitted.population_prior_),
                                 axis=1)))
    assert fitted.score_samples(Xs).shape == (7, 2)
    samples = fitted.sample(5, population=1, random_state=0)
    assert samples.shape == (5, 8)
    np.testing.assert_array_equal(samples, fitted.sample(5, population=1, random_state=0))
    assert fitted.elbo(Xs, 0).shape == (7,)


def test_reconstruction_is_better_with_the_own_decoder(data, fitted):
    # decoder swapping: the other population's decoder moves the rows towards that population
    X, k = data
    X_te, k_te = X[400:], k[400:]
    own = np.mean((fitted.reconstruct(X_te, k_te) - X_te) ** 2)
    swapped = np.mean((fitted.reconstruct(X_te, 1 - k_te) - X_te) ** 2)
    assert own < 0.5 * swapped


def test_fit_with_s_or_y_is_the_same(data):
    X, k = data
    a = CrossPopulationVAE(**FAST).fit(X[:100], s=k[:100])
    b = CrossPopulationVAE(**FAST).fit(X[:100], k[:100])
    c = CrossPopulationVAE(**FAST).fit(X[:100], y=np.zeros(100), s=k[:100])
    np.testing.assert_array_equal(a.transform(X[:50]), b.transform(X[:50]))
    np.testing.assert_array_equal(a.transform(X[:50]), c.transform(X[:50]))
    np.testing.assert_array_equal(a.populations_, [0, 1])


def test_reproducible_and_picklable(data):
    X, k = data
    a = CrossPopulationVAE(**FAST).fit(X[:100], k[:100])
    b = CrossPopulationVAE(**FAST).fit(X[:100], k[:100])
    other = CrossPopulationVAE(**{**FAST, "random_state": 1}).fit(X[:100], k[:100])
    assert list(a.history_[:, "train_loss"]) == list(b.history_[:, "train_loss"])
    np.testing.assert_array_equal(a.score_samples(X[:20]), b.score_samples(X[:20]))
    assert not np.array_equal(a.transform(X[:20]), other.transform(X[:20]))
    loaded = pickle.loads(pickle.dumps(a))
    np.testing.assert_array_equal(loaded.transform(X[:20]), a.transform(X[:20]))
    np.testing.assert_array_equal(loaded.score_samples(X[:20]), a.score_samples(X[:20]))


@pytest.mark.parametrize("combine", ["concat", np.maximum])
def test_other_combine_functions(data, combine):
    X, k = data
    g = torch.maximum if combine is np.maximum else combine
    vae = CrossPopulationVAE(**{**FAST, "max_epochs": 2, "combine": g}).fit(X[:100], k[:100])
    assert np.isfinite(vae.score_samples(X[:10])).all()


def test_images_with_a_tiny_population():
    rng = np.random.RandomState(0)
    X = rng.uniform(size=(41, 16))
    k = np.r_[np.zeros(20, int), np.ones(20, int), 2]  # population 2: a single image
    vae = CrossPopulationVAE(n_components=2, n_private_components=2, image_shape=(1, 4, 4),
                             conv_channels=(4, 8), max_epochs=2, batch_size=8,
                             n_importance_samples=4, random_state=0).fit(X, k)
    assert vae.reconstruct(X[:3], population=2, parts="private").shape == (3, 16)
    assert vae.score_samples(X[:3]).shape == (3, 3)
    assert vae.sample(2, population=2).shape == (2, 16)


# -- errors ------------------------------------------------------------------------------------
@pytest.mark.parametrize("params, match", [
    (dict(alpha=0.5), r"'alpha' parameter .* range \[1.0, inf\).* use mi_regularization=False"),
    (dict(alpha=np.inf), r"'alpha' parameter .* range \[1.0, inf\)"),
    (dict(alpha_schedule="linaer"), "Did you mean 'linear'"),
    (dict(combine="concatenate"), "Did you mean 'concat'"),
    (dict(mi_regularization="yes"), "'mi_regularization' parameter .* instance of 'bool'"),
    (dict(n_private_components=0), r"'n_private_components' parameter .* \[1, inf\)"),
    (dict(n_importance_samples=0), r"'n_importance_samples' parameter .* \[1, inf\)"),
    (dict(image_shape=(1, 3, 3)), r"image_shape=\(1, 3, 3\) has 9 values but X has 8 columns"),
    (dict(image_shape=(8,)), "image_shape must be None"),
    (dict(image_shape=(1, 2, 4), conv_channels=()), "conv_channels must be a non-empty"),
    (dict(alpha_schedule=lambda e: 0.5), r"alpha_schedule\(0\) returned 0.5"),
])
def test_bad_parameters(data, params, match):
    X, k = data
    vae = CrossPopulationVAE(**{**FAST, **params})
    with pytest.raises(ValueError, match=match):
        vae.fit(X[:50], k[:50])
    assert not hasattr(vae, "net_")  # atomic fit


def test_bad_populations(data):
    X, k = data
    with pytest.raises(ValueError, match="requires y to be passed.*fit\\(X, s=populations\\)"):
        CrossPopulationVAE(**FAST).fit(X[:50])
    with pytest.raises(ValueError, match="single value"):
        CrossPopulationVAE(**FAST).fit(X[:50], np.zeros(50))
    with pytest.raises(ValueError, match="1-D"):
        CrossPopulationVAE(**FAST).fit(X[:50], s=np.c_[k[:50], k[:50]])
    with pytest.raises(ValueError, match="s has 49 rows but X has 50"):
        CrossPopulationVAE(**FAST).fit(X[:50], s=k[:49])
    with pytest.raises(ValueError, match="1 population label per row|one population label"):
        CrossPopulationClassifier(**FAST).fit(X[:50], np.c_[k[:50], k[:50]])
    with pytest.raises(ValueError, match="priors must be None"):
        CrossPopulationClassifier(**{**FAST, "priors": [0.2, 0.2]}).fit(X[:50], k[:50])


def test_bad_arguments_after_fit(data, fitted):
    X, _ = data
    with pytest.raises(ValueError, match=r"not seen during fit: \[7\]. Known populations"):
        fitted.transform_private(X[:5], population=7)
    with pytest.raises(ValueError, match="population has 3 values but X has 5 rows"):
        fitted.reconstruct(X[:5], population=[0, 1, 0])
    with pytest.raises(ValueError, match="parts must be one of"):
        fitted.reconstruct(X[:5], population=0, parts="all")
    with pytest.raises(ValueError, match="population must be a single label"):
        fitted.sample(3, population=[0, 1])
    with pytest.raises(ValueError, match="n_samples must be a positive integer"):
        fitted.sample(0, population=0)
