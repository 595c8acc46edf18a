"""GPU paths of every public estimator (skipped without CUDA)."""

import inspect
import pickle

import numpy as np
import pytest
import torch
from sklearn.base import BaseEstimator

import fairrep

from conftest import make_biased

pytestmark = [pytest.mark.gpu,
              pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")]


def _estimator_classes():
    for name in sorted(fairrep.__all__):
        obj = getattr(fairrep, name)
        # meta-estimators (ConstrainedSearchCV) need an estimator and s:
        # tests/test_model_selection.py
        if (inspect.isclass(obj) and issubclass(obj, BaseEstimator)
                and not getattr(obj, "_required_parameters", None)):
            yield obj


@pytest.mark.parametrize("cls", list(_estimator_classes()), ids=lambda c: c.__name__)
def test_fit_transform_pickle_on_cuda(cls):
    X, y, s = make_biased(n=300)
    est = cls(max_epochs=2, device="cuda", random_state=0)
    est.fit(X, y, s=s)
    module = getattr(est, "net_", None) or est.estimator_.net_
    assert next(module.module_.parameters()).is_cuda
    Z = est.transform(X)
    assert Z.shape[0] == len(X) and np.all(np.isfinite(Z))
    again = pickle.loads(pickle.dumps(est))
    np.testing.assert_allclose(again.transform(X), Z, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("cls", [c for c in _estimator_classes()
                                 if "mixed_precision" in inspect.signature(c).parameters],
                         ids=lambda c: c.__name__)
def test_mixed_precision_on_cuda(cls):
    X, y, s = make_biased(n=300)
    est = cls(max_epochs=2, device="cuda", mixed_precision=True, random_state=0).fit(X, y, s=s)
    assert next(est.net_.module_.parameters()).dtype == torch.float32
    assert np.all(np.isfinite(est.transform(X)))


def test_memmap_streams_to_cuda(tmp_path):
    X, y, s = make_biased(n=300)
    np.save(tmp_path / "X.npy", X.astype(np.float32))
    Xm = np.load(tmp_path / "X.npy", mmap_mode="r")
    est = fairrep.ForgettingClassifier(max_epochs=2, device="cuda", random_state=0)
    est.fit(Xm, y, s=s)
    assert est.transform(Xm).shape == (len(X), est.n_components)
