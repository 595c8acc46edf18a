"""Grid search over invariance strengths on a Dask cluster, with ``s`` routed.

A ``GridSearchCV`` over a fairrep pipeline runs unchanged on a Dask cluster through joblib's
Dask backend: each (parameter set, fold) fit becomes a Dask task. ``s`` is passed to ``fit``
with metadata routing and reaches both ForgettingClassifier and a demographic-parity scorer.

Run it on a local cluster (started here, 2 worker processes)::

    python examples/distributed_search.py

or point the same code at a running scheduler (``dask scheduler`` + ``dask worker ADDRESS``
on the machines of the cluster, each with fairrep installed)::

    python examples/distributed_search.py --scheduler tcp://10.0.0.5:8786

Needs ``pip install 'fairrep[distributed]'``.
"""

from __future__ import annotations

import argparse

import joblib
import pandas as pd
from sklearn import config_context
from sklearn.metrics import make_scorer
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from fairrep import ForgettingClassifier
from fairrep.datasets import load_german
from fairrep.metrics import demographic_parity_difference


def negative_dp_gap(y_true, y_pred, *, s):
    """Higher is fairer: minus the demographic parity difference across ``s``."""
    return -demographic_parity_difference(y_true, y_pred, s=s)


def build_search(n_jobs=None, max_epochs=20):
    """The search: forgetting's delta in powers of ten, scored on accuracy and DP gap."""
    clf = ForgettingClassifier(max_epochs=max_epochs, batch_size=64, random_state=0)
    pipe = make_pipeline(StandardScaler(), clf.set_fit_request(s=True))
    scoring = {"accuracy": "accuracy",
               "neg_dp_gap": make_scorer(negative_dp_gap).set_score_request(s=True)}
    grid = {"forgettingclassifier__adversary_weight": [0.0, 1.0, 10.0, 100.0]}
    return GridSearchCV(pipe, grid, cv=3, scoring=scoring, refit="accuracy", n_jobs=n_jobs)


def main(argv=None):
    from distributed import Client, LocalCluster

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scheduler", default=None,
                        help="address of a running Dask scheduler (default: a local cluster)")
    parser.add_argument("--workers", type=int, default=2, help="local cluster size")
    parser.add_argument("--max-epochs", type=int, default=20)
    args = parser.parse_args(argv)

    data = load_german(sensitive="sex", subset="train")
    if args.scheduler is None:
        cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1,
                               dashboard_address=None)
        client = Client(cluster)
    else:
        cluster, client = None, Client(args.scheduler)
    print(client)
    try:
        with config_context(enable_metadata_routing=True), joblib.parallel_backend("dask"):
            search = build_search(n_jobs=-1, max_epochs=args.max_epochs)
            search.fit(data.data, data.target, s=data.sensitive)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    results = pd.DataFrame(search.cv_results_)
    columns = ["param_forgettingclassifier__adversary_weight", "mean_test_accuracy",
               "mean_test_neg_dp_gap"]
    print(results[columns].to_string(index=False))
    print("best:", search.best_params_)
    return search


if __name__ == "__main__":
    main()
