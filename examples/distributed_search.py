"""
Grid search on a Dask cluster
=============================

A :class:`~sklearn.model_selection.GridSearchCV` over a fairrep pipeline runs unchanged on a
Dask cluster through joblib's Dask backend: each (parameter setting, fold) fit becomes a Dask
task. ``s`` is passed to ``fit`` with metadata routing and reaches both
:class:`~fairrep.ForgettingClassifier` and a demographic-parity scorer, on whichever worker
runs the fit (see :doc:`/distributed`).

By default this example starts a local cluster of 2 worker processes, one thread each. To
use a running cluster instead -- ``dask scheduler`` on one machine and ``dask worker
tcp://SCHEDULER:8786`` on each of the others, every one of them with fairrep installed --
set Dask's ``scheduler-address`` and run the same file::

    DASK_SCHEDULER_ADDRESS=tcp://10.0.0.5:8786 python examples/distributed_search.py

The data are the German credit training split (700 rows, ``s`` = sex), the search sweeps
delta (``adversary_weight``) over three values with 3-fold cross-validation, and the models
train for 15 epochs with one discriminator step per model step, to keep the example short.
Needs ``pip install 'fairrep[distributed]'``.
"""

# %%
# The search
# ----------
# ``build_search`` is a plain function so that it can be imported (the test suite checks
# that the Dask search gives the same results as a serial one).
import dask
import joblib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn import config_context
from sklearn.metrics import make_scorer
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from fairrep import ForgettingClassifier
from fairrep.datasets import load_german
from fairrep.metrics import demographic_parity_difference, majority_share, probe_accuracy


def negative_dp_gap(y_true, y_pred, *, s):
    """Higher is fairer: minus the demographic parity difference across ``s``."""
    return -demographic_parity_difference(y_true, y_pred, s=s)


def build_search(n_jobs=None, max_epochs=20, adversary_steps=10,
                 adversary_weights=(0.0, 1.0, 10.0, 100.0)):
    """The search: forgetting's delta over ``adversary_weights``, scored on accuracy and DP gap.

    Call ``fit`` with metadata routing enabled (``sklearn.config_context(
    enable_metadata_routing=True)``), passing ``s`` by name.
    """
    clf = ForgettingClassifier(max_epochs=max_epochs, batch_size=64,
                               adversary_steps=adversary_steps, random_state=0)
    pipe = make_pipeline(StandardScaler(), clf.set_fit_request(s=True))
    scoring = {"accuracy": "accuracy",
               "neg_dp_gap": make_scorer(negative_dp_gap).set_score_request(s=True)}
    grid = {"forgettingclassifier__adversary_weight": list(adversary_weights)}
    return GridSearchCV(pipe, grid, cv=3, scoring=scoring, refit="accuracy", n_jobs=n_jobs)


# %%
# Run it on the cluster
# ---------------------
# The ``if __name__ == "__main__":`` guard matters when the file runs as a script: Dask starts
# its worker processes with ``spawn``, which imports the main module again in every worker,
# and without the guard each of them would try to start a cluster of its own.
if __name__ == "__main__":
    from distributed import Client, LocalCluster

    train = load_german(sensitive="sex", subset="train")
    test = load_german(sensitive="sex", subset="test")

    address = dask.config.get("scheduler-address", None)
    if address is None:
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client = Client(cluster)
    else:
        cluster, client = None, Client(address)
    print(client)
    try:
        with config_context(enable_metadata_routing=True), joblib.parallel_backend("dask"):
            search = build_search(n_jobs=-1, max_epochs=15, adversary_steps=1,
                                  adversary_weights=(0.0, 10.0, 100.0))
            search.fit(train.data, train.target, s=train.sensitive)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()

# %%
# Cross-validated results
# -----------------------
# The refitted best model (on accuracy) is probed for ``s`` on the held-out test split.
if __name__ == "__main__":
    results = pd.DataFrame({
        "delta": search.cv_results_["param_forgettingclassifier__adversary_weight"],
        "accuracy": search.cv_results_["mean_test_accuracy"],
        "parity gap": -search.cv_results_["mean_test_neg_dp_gap"],
    })
    print(results.round(3).to_string(index=False))
    print("best:", search.best_params_)

    best = search.best_estimator_
    a_s = probe_accuracy(best.transform(train.data), train.sensitive,
                         best.transform(test.data), test.sensitive, random_state=0)
    print(f"test accuracy of the best model: {best.score(test.data, test.target):.3f}")
    print(f"A_s of its representation      : {a_s:.3f} "
          f"(majority share {majority_share(test.sensitive):.3f})")

    fig, (left, right) = plt.subplots(1, 2, figsize=(8, 3.2))
    ticks = np.arange(len(results))
    for ax, column in [(left, "accuracy"), (right, "parity gap")]:
        ax.bar(ticks, results[column])
        ax.set_xticks(ticks, [f"{d:g}" for d in results["delta"]])
        ax.set_xlabel("delta (adversary_weight)")
        ax.set_ylabel(f"{column} (3-fold CV)")
    fig.suptitle("ForgettingClassifier on German credit, s = sex", fontsize=10)
    plt.tight_layout()
    plt.show()
