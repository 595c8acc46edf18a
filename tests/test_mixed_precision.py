"""mixed_precision=True: training forward passes under bfloat16 autocast (CPU here)."""

import numpy as np
import pytest
import torch

from fairrep import ForgettingClassifier, SlicedInfominClassifier

from conftest import make_biased

FAST = dict(max_epochs=5, batch_size=64, random_state=0)


def _spy_on_training(monkeypatch, module_class):
    """Record, at every training step's loss, whether autocast is on, the dtype of the
    encoder's output and the dtypes of the weights."""
    seen = []
    original = module_class.loss_terms

    def loss_terms(self, X, y, s, generator=None):
        seen.append((torch.is_autocast_enabled(X.device.type), self.encoder(X).dtype,
                     {p.dtype for p in self.parameters()}))
        return original(self, X, y, s, generator=generator)

    monkeypatch.setattr(module_class, "loss_terms", loss_terms)
    return seen


@pytest.mark.parametrize("Estimator", [ForgettingClassifier, SlicedInfominClassifier])
def test_mixed_precision_trains_in_bfloat16_and_keeps_float32_weights(Estimator, monkeypatch):
    X, y, s = make_biased(n=600, seed=2)
    seen = _spy_on_training(monkeypatch, Estimator._module_class)
    full = Estimator(**FAST).fit(X[:400], y[:400], s=s[:400])
    assert seen and all(not on and code == torch.float32 and weights == {torch.float32}
                        for on, code, weights in seen)
    seen.clear()
    mixed = Estimator(mixed_precision=True, **FAST).fit(X[:400], y[:400], s=s[:400])
    # every training step ran under autocast: bfloat16 activations, float32 weights
    assert seen and all(on and code == torch.bfloat16 and weights == {torch.float32}
                        for on, code, weights in seen)
    # bfloat16 matmuls change the trained weights
    assert not np.allclose(full.predict_proba(X), mixed.predict_proba(X), atol=1e-4)
    # and it still learns the task about as well
    assert mixed.score(X[400:], y[400:]) >= full.score(X[400:], y[400:]) - 0.05


def test_mixed_precision_must_be_a_bool():
    X, y, s = make_biased(n=100)
    with pytest.raises(ValueError, match="'mixed_precision' parameter .* 'bool'.* Got 'yes'"):
        ForgettingClassifier(mixed_precision="yes", max_epochs=1).fit(X, y, s=s)


def _classes_with_mixed_precision():
    import inspect

    from sklearn.base import BaseEstimator

    import fairrep

    for name in sorted(fairrep.__all__):
        obj = getattr(fairrep, name)
        if (inspect.isclass(obj) and issubclass(obj, BaseEstimator)
                and "mixed_precision" in inspect.signature(obj).parameters):
            yield obj


@pytest.mark.parametrize("cls", list(_classes_with_mixed_precision()),
                         ids=lambda c: c.__name__)
def test_every_estimator_fits_with_mixed_precision(cls):
    X, y, s = make_biased(n=128, seed=4)
    est = cls(max_epochs=1, batch_size=64, mixed_precision=True, random_state=0)
    Z = est.fit(X, y, s=s).transform(X)
    assert Z.shape[0] == len(X) and np.all(np.isfinite(Z))
