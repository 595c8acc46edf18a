"""A grid search with s routed runs on a 2-worker Dask cluster and equals the serial one."""

import numpy as np
import pytest

from conftest import make_biased

distributed = pytest.importorskip("distributed")
joblib = pytest.importorskip("joblib")


def test_dask_grid_search_equals_serial():
    import sys
    from pathlib import Path

    from sklearn import config_context

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
    from distributed_search import build_search

    X, y, s = make_biased(n=300)
    with config_context(enable_metadata_routing=True):
        serial = build_search(n_jobs=None, max_epochs=5).fit(X, y, s=s)
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                      dashboard_address=None) as cluster, \
                distributed.Client(cluster), joblib.parallel_backend("dask"):
            parallel = build_search(n_jobs=-1, max_epochs=5).fit(X, y, s=s)
    for key in ["mean_test_accuracy", "mean_test_neg_dp_gap", "rank_test_accuracy"]:
        np.testing.assert_array_equal(serial.cv_results_[key], parallel.cv_results_[key])
    # the invariance term changes the models: the grid is not degenerate
    assert len(set(np.round(serial.cv_results_["mean_test_neg_dp_gap"], 6))) > 1 or \
        len(set(np.round(serial.cv_results_["mean_test_accuracy"], 6))) > 1
    assert serial.best_params_ == parallel.best_params_
