"""Adversarial Forgetting: behaviour measured with a post-hoc probe on held-out data."""

import numpy as np
import pytest
import torch
from sklearn.base import clone

from fairrep import ForgettingClassifier, ForgettingTransformer
from fairrep.metrics import majority_share, probe_accuracy
from fairrep.nn import AdversarialForgettingNetwork

from conftest import make_biased

#: The paper's training (random s targets, D's gradient to the forget-gate only, k = 10),
#: under which the mechanism removes s on the synthetic task (see docs).
STRONG = dict(max_epochs=60, batch_size=64, adversary_weight=10.0, precision=1.0,
              adversary_steps=10, strength_scaling="none", adversary_loss="random_targets",
              adversary_to_encoder=False, mask_weight=0.1, reconstruction_weight=0.1,
              random_state=0)


@pytest.fixture(scope="module")
def split():
    X, y, s = make_biased(n=1500, seed=1)
    return (X[:1000], y[:1000], s[:1000]), (X[1000:], y[1000:], s[1000:])


def _probe(clf, train, test):
    (X_tr, _, s_tr), (X_te, _, s_te) = train, test
    return probe_accuracy(clf.transform(X_tr), s_tr, clf.transform(X_te), s_te,
                          random_state=0)


#: The estimator's own training: reversed objective, D's gradient into E as well.
DEFAULTS = dict(max_epochs=60, batch_size=64, random_state=0)


def _fit_on_and_off(train, settings):
    """The model with its adversary and the same model with delta = 0."""
    X, y, s = train
    on = ForgettingClassifier(**settings).fit(X, y, s=s)
    off = ForgettingClassifier(**{**settings, "adversary_weight": 0.0}).fit(X, y, s=s)
    return on, off


@pytest.fixture(scope="module")
def fitted(split):
    return _fit_on_and_off(split[0], STRONG)


@pytest.fixture(scope="module")
def fitted_defaults(split):
    return _fit_on_and_off(split[0], DEFAULTS)


@pytest.mark.slow
@pytest.mark.parametrize("which", ["fitted", "fitted_defaults"])
def test_forgetting_removes_s_and_keeps_y(split, which, request):
    train, test = split
    on, off = request.getfixturevalue(which)
    X_te, y_te, s_te = test
    chance = majority_share(s_te)
    on_probe = _probe(on, train, test)
    assert on_probe <= chance + 0.08
    assert on.score(X_te, y_te) >= (0.9 if which == "fitted" else 0.85)
    if which == "fitted_defaults":
        assert _probe(off, train, test) >= on_probe + 0.1  # switched off, s stays in z~


@pytest.mark.slow
def test_without_the_adversary_s_stays_predictable(split, fitted):
    # the same model with delta = 0: the invariance mechanism switched off
    train, test = split
    on, off = fitted
    # The forget-gate with finite precision is an information bottleneck on its own, so s is
    # partly lost even without the adversary; the adversary is what takes A_s to chance.
    off_probe = _probe(off, train, test)
    assert off_probe >= majority_share(test[2]) + 0.12
    assert off_probe >= _probe(on, train, test) + 0.06


def test_reversed_objective_reaches_the_encoder_with_minus_the_true_s_cross_entropy():
    torch.manual_seed(0)
    kw = dict(s_cardinalities=[2], s_columns=[[0]], reconstruction_weight=0.0,
              mask_weight=0.0, adversary_weight=1.0)
    X = torch.randn(16, 5)
    y = torch.zeros(16, 1, dtype=torch.long)
    s = torch.randint(0, 2, (16, 1))
    net = AdversarialForgettingNetwork(5, 4, [2], adversary_loss="reversed",
                                       adversary_to_encoder=True, **kw)
    terms = net.loss_terms(X, y, s)
    # the recorded term is D's cross-entropy on the true s; the loss subtracts it
    z_tilde = net.forget(net.code(X).unsqueeze(1) * net.masks(X))
    expected = torch.nn.functional.cross_entropy(net.discriminators[0](z_tilde[:, 0]), s[:, 0])
    torch.testing.assert_close(terms["adversary"], expected)
    torch.testing.assert_close(terms["loss"], terms["task"] - terms["adversary"])
    net.zero_grad()
    (-terms["adversary"]).backward()
    assert any(p.grad is not None and p.grad.any() for p in net.encoder.parameters())
    assert any(p.grad is not None and p.grad.any() for p in net.forget_gates.parameters())
    with pytest.raises(ValueError, match="adversary_loss"):
        AdversarialForgettingNetwork(5, 4, [2], adversary_loss="reverse", **kw)


def test_discriminator_gradient_reaches_only_the_forget_gate():
    torch.manual_seed(0)
    net = AdversarialForgettingNetwork(5, 4, [2], s_cardinalities=[2], s_columns=[[0]],
                                       reconstruction_weight=0.0, mask_weight=0.0)
    X = torch.randn(16, 5)
    y = torch.zeros(16, 1, dtype=torch.long)
    s = torch.randint(0, 2, (16, 1))
    terms = net.loss_terms(X, y, s)
    terms["adversary"].backward()
    assert all(p.grad is None or not p.grad.any() for p in net.encoder.parameters())
    assert all(p.grad is None or not p.grad.any() for p in net.predictors.parameters())
    assert any(p.grad is not None and p.grad.any() for p in net.forget_gates.parameters())


def test_model_step_uses_random_s_targets():
    """On model steps D's targets are a shuffle of the batch's s (no gradient reversal)."""
    torch.manual_seed(0)
    net = AdversarialForgettingNetwork(3, 2, [2], s_cardinalities=[2], s_columns=[[0]])
    X = torch.randn(64, 3)
    y = torch.zeros(64, 1, dtype=torch.long)
    s = torch.cat([torch.zeros(32, 1), torch.ones(32, 1)]).long()
    g1, g2 = torch.Generator().manual_seed(1), torch.Generator().manual_seed(2)
    a1 = net.loss_terms(X, y, s, generator=g1)["adversary"]
    a2 = net.loss_terms(X, y, s, generator=g2)["adversary"]
    assert not torch.isclose(a1, a2)  # depends on the random draw of targets


def test_mask_in_unit_interval_and_transform_is_code_times_mask(split):
    (X, y, s), _ = split
    rep = ForgettingTransformer(max_epochs=2, precision=0.0, random_state=0).fit(X, y, s=s)
    m = rep.forget_mask(X)
    assert m.shape == (len(X), 8) and np.all((m > 0) & (m < 1))
    np.testing.assert_allclose(rep.transform(X), rep.encode(X) * m, rtol=1e-6, atol=1e-6)


def test_precision_rounds_the_code(split):
    (X, y, s), _ = split
    rep = ForgettingTransformer(max_epochs=2, precision=0.5, finite_precision="round",
                                random_state=0).fit(X, y, s=s)
    Z = rep.transform(X)
    np.testing.assert_allclose(Z / 0.5, np.round(Z / 0.5), atol=1e-9)


def test_precision_dithers_the_code_per_row(split):
    (X, y, s), _ = split
    rep = ForgettingTransformer(max_epochs=2, precision=0.5, random_state=0).fit(X, y, s=s)
    Z = rep.transform(X)
    exact = rep.encode(X) * rep.forget_mask(X)
    noise = Z - exact
    assert np.all(np.abs(noise) <= 0.25 + 1e-5)
    assert abs(noise.mean()) < 0.02 and abs(noise.std() - 0.5 / np.sqrt(12)) < 0.02
    # a fixed function of the row: the same in any order and any subset
    np.testing.assert_allclose(rep.transform(X[::-1]), Z[::-1], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(rep.transform(X[5:6]), Z[5:6], rtol=1e-6, atol=1e-6)
    other = clone(rep).set_params(random_state=1).fit(X, y, s=s)
    assert not np.allclose(other.transform(X) - other.encode(X) * other.forget_mask(X), noise)


def test_dither_hides_what_rounding_reveals():
    # two groups whose gated code differs by q/10 across a rounding boundary: rounding puts
    # them q apart, the dither (like the training noise) leaves them nearly indistinguishable
    net = AdversarialForgettingNetwork(3, 1, [2], precision=1.0).eval()
    X = torch.randn(4000, 3, generator=torch.Generator().manual_seed(0))
    group = torch.arange(4000) % 2
    gated = (0.45 + 0.1 * group.double()).view(-1, 1, 1).float()
    rounded = AdversarialForgettingNetwork(3, 1, [2], precision=1.0,
                                           finite_precision="round").eval().forget(gated, X=X)
    dithered = net.forget(gated, X=X)

    def best_threshold_accuracy(z):
        z = z.flatten().numpy()
        return max(np.mean((z > t) == group.numpy())
                   for t in np.quantile(z, np.linspace(0, 1, 101)))

    assert best_threshold_accuracy(rounded) == 1.0
    assert best_threshold_accuracy(dithered) < 0.56
    with pytest.raises(ValueError, match="needs the input rows X"):
        net.forget(gated)


def test_finite_precision_is_checked(split):
    (X, y, s), _ = split
    with pytest.raises(ValueError, match="'finite_precision' parameter .* a str among"):
        ForgettingTransformer(max_epochs=1, finite_precision="exact").fit(X, y, s=s)


def test_a_module_pickled_before_finite_precision_keeps_rounding():
    net = AdversarialForgettingNetwork(3, 2, [2], precision=1.0).eval()
    del net.finite_precision, net.dither_key  # as unpickled from before the parameter
    gated = torch.linspace(-2, 2, 12).view(4, 1, 3)
    out = net.forget(gated, X=torch.randn(4, 3))
    torch.testing.assert_close(out, torch.round(gated))
