"""Baselines (gradient reversal, NN+MMD, HSIC): their parts, and behaviour on held-out data."""

import numpy as np
import pytest
import torch

from fairrep import (GradientReversalClassifier, HSICClassifier, HSICTransformer,
                     InvariantTransformer, MMDClassifier)
from fairrep.metrics import majority_share, probe_accuracy
from fairrep.nn import GradientReversal, GradientReversalNetwork, MMDNetwork, hsic, mmd2
from fairrep.nn.baselines import dann_schedule

from conftest import make_biased

#: Small fits. A 2-D code: with the default 8 components gradient reversal fools its own
#: adversary yet leaves s to a post-hoc probe on this data (see the estimator's docstring).
SMALL = dict(n_components=2, max_epochs=20, batch_size=64, random_state=0)
#: method -> (classifier, its weight, the strong value); calibrated with these settings.
METHODS = {
    "gradient_reversal": (GradientReversalClassifier, "adversary_weight", 3.0),
    "mmd": (MMDClassifier, "mmd_weight", 1.0),
    "hsic": (HSICClassifier, "hsic_weight", 10.0),
}


@pytest.fixture(scope="module")
def split():
    X, y, s = make_biased(n=1200, seed=1)
    return (X[:800], y[:800], s[:800]), (X[800:], y[800:], s[800:])


def _probe(est, train, test):
    (X_tr, _, s_tr), (X_te, _, s_te) = train, test
    return probe_accuracy(est.transform(X_tr), s_tr, est.transform(X_te), s_te,
                          random_state=0)


# -- parts ---------------------------------------------------------------------------------
def test_gradient_reversal_is_identity_forward_and_negates_gradient():
    layer = GradientReversal(coefficient=2.5)
    x = torch.randn(4, 3, requires_grad=True)
    out = layer(x)
    assert torch.equal(out, x)
    upstream = torch.randn(4, 3)
    out.backward(upstream)
    torch.testing.assert_close(x.grad, -2.5 * upstream)


def test_dann_schedule_ramps_from_zero_to_one():
    assert dann_schedule(0.0) == 0.0
    assert 0.98 < dann_schedule(0.5) < dann_schedule(1.0) < 1.0


def test_mmd_small_for_same_distribution_and_large_for_shifted():
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(200, 2, generator=g), torch.randn(200, 2, generator=g)
    same = mmd2(a, b).item()
    shifted = mmd2(a, b + 1.0).item()
    assert -1e-6 <= same < 0.02
    assert shifted > 0.1 and shifted > 10 * same


def test_hsic_small_when_independent_and_large_when_dependent():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(300, 2, generator=g)
    independent = hsic(x, torch.randn(300, 1, generator=g)).item()
    dependent = hsic(x, x[:, :1] + 0.1 * torch.randn(300, 1, generator=g)).item()
    assert abs(independent) < 0.005
    assert dependent > 0.02 and dependent > 10 * abs(independent)


def test_gradient_reversal_network_is_one_min_problem_with_a_schedule():
    torch.manual_seed(0)
    net = GradientReversalNetwork(3, 2, [2], s_cardinalities=[2], total_steps=10,
                                  adversary_weight=2.0)
    assert net.adversary_parameters() == []  # D is trained by the model's optimizer
    assert {id(p) for p in net.adversary.parameters()} <= {id(p) for p in
                                                          net.model_parameters()}
    X, y = torch.randn(8, 3), torch.zeros(8, 1, dtype=torch.long)
    s = torch.randint(0, 2, (8, 1))
    first = net.loss_terms(X, y, s)["reversal"].item()
    for _ in range(9):
        net.loss_terms(X, y, s)
    last = net.loss_terms(X, y, s)["reversal"].item()
    assert first == 0.0 and last == pytest.approx(2.0 * dann_schedule(1.0))


def test_mmd_skips_a_batch_with_a_single_group():
    torch.manual_seed(0)
    net = MMDNetwork(3, 2, [2], s_cardinalities=[3])
    X, y = torch.randn(8, 3), torch.zeros(8, 1, dtype=torch.long)
    assert net.loss_terms(X, y, torch.full((8, 1), 2))["mmd"].item() == 0.0
    mixed = torch.tensor([[0], [2]] * 4)  # group 1 absent
    assert net.loss_terms(X, y, mixed)["mmd"].item() > 0.0


def test_hsic_takes_a_continuous_s(split):
    (X, y, _), _ = split
    age = np.linspace(20, 70, len(X))
    rep = HSICTransformer(max_epochs=2, random_state=0).fit(X, y, s=age)
    assert rep.s_classes_ is None
    assert "train_hsic" in rep.history_[-1]


def test_registered_with_their_weight_as_invariance(split):
    (X, y, s), _ = split
    for method, (_, weight, _) in METHODS.items():
        rep = InvariantTransformer(method=method, invariance=0.5, max_epochs=1,
                                   random_state=0).fit(X, y, s=s)
        assert getattr(rep.estimator_, weight) == 0.5


# -- behaviour -----------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("method", list(METHODS))
def test_penalty_removes_s_and_keeps_y(method, split):
    cls, weight, strong = METHODS[method]
    train, test = split
    X, y, s = train
    on = cls(**SMALL, **{weight: strong}).fit(X, y, s=s)
    off = cls(**SMALL, **{weight: 0.0}).fit(X, y, s=s)
    probe_on, probe_off = _probe(on, train, test), _probe(off, train, test)
    assert probe_off >= majority_share(test[2]) + 0.2  # s is there to remove
    assert probe_on <= probe_off - 0.08
    assert on.score(test[0], test[1]) >= 0.95


@pytest.mark.parametrize("k, n", [(2, 50), (5, 64), (3, 7)])
@pytest.mark.parametrize("unbiased", [False, True])
def test_one_gram_matrix_gives_every_groups_mmd(k, n, unbiased):
    """group_vs_rest_mmd2 equals the loop over groups of the two-sample estimates."""
    from fairrep.nn.baselines import group_vs_rest_mmd2, mmd2
    from fairrep.nn.variational_baselines import mmd2_unbiased

    g = torch.Generator().manual_seed(k)
    z = torch.randn(n, 4, generator=g, dtype=torch.float64)
    s = torch.randint(0, k, (n, 2), generator=g)
    two_sample, smallest = (mmd2_unbiased, 2) if unbiased else (mmd2, 1)
    expected = 0.0
    for j in range(2):
        values = [two_sample(z[s[:, j] == group], z[s[:, j] != group])
                  for group in range(1 if k == 2 else k)
                  if smallest <= int((s[:, j] == group).sum()) <= n - smallest]
        expected += float(torch.stack(values).mean()) if values else 0.0
    got = float(group_vs_rest_mmd2(z, s, [k, k], unbiased=unbiased))
    assert got == pytest.approx(expected, rel=1e-9, abs=1e-12)
