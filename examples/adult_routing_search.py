"""
Grid search with ``s`` routed to the estimator and to a fairness scorer
=======================================================================

Choose the invariance strength of a fairrep classifier by cross-validation on accuracy *and*
demographic parity, with scikit-learn's metadata routing.

With routing enabled, ``s`` is passed to :meth:`GridSearchCV.fit
<sklearn.model_selection.GridSearchCV.fit>` by name. Every object that asks for it gets it,
split with the cross-validation folds: the classifier (``set_fit_request(s=True)``) when it is
fitted, and the scorer (``set_score_request(s=True)``) when a fold is scored. The other steps
of the pipeline never see it. See :doc:`/passing_s` for the other ways of passing ``s``.

The classifier is :class:`~fairrep.MMDClassifier` (NN+MMD, see :doc:`/baselines`), the
quickest to train of the methods that use ``s``; routing works the same way for every fairrep
estimator. The search sweeps beta (``mmd_weight``), the weight of the MMD penalty between the
codes of the groups of ``s``, from 0 (no penalty) up. It refits the most accurate setting
whose cross-validated parity gap is at most 0.1 (the most accurate overall if none is), and
the refitted model's representation is then probed for ``s`` on the held-out test split.

For speed the data are 2,000 training rows of Adult and the models train for 10 epochs.
"""

# %%
# Data and pipeline
# -----------------
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import sklearn
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.metrics import make_scorer
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from fairrep import MMDClassifier
from fairrep.datasets import load_adult
from fairrep.metrics import demographic_parity_difference, majority_share, probe_accuracy

train = load_adult(as_frame=True, subset="train").frame.sample(n=2000, random_state=0)
test = load_adult(as_frame=True, subset="test").frame
y_train, s_train = train.pop("income"), train.pop("sex")
y_test, s_test = test.pop("income"), test.pop("sex")

# %%
# Enable metadata routing *before* making the requests: ``set_fit_request`` and
# ``set_score_request`` raise a ``RuntimeError`` while it is off.
sklearn.set_config(enable_metadata_routing=True)

prep = ColumnTransformer([
    ("cat", OneHotEncoder(handle_unknown="ignore"),
     make_column_selector(dtype_include="category")),
    ("num", StandardScaler(), make_column_selector(dtype_include="number")),
], sparse_threshold=0)
clf = MMDClassifier(max_epochs=10, batch_size=128, random_state=0)
pipe = Pipeline([("prep", prep), ("clf", clf.set_fit_request(s=True))])

# %%
# A fairness scorer and the search
# --------------------------------
# :func:`~fairrep.metrics.demographic_parity_difference` takes ``s`` as a keyword, so it
# becomes a scorer that requests ``s``. ``greater_is_better=False`` makes the scorer return
# minus the gap (scikit-learn maximises scores).
parity = make_scorer(demographic_parity_difference,
                     greater_is_better=False).set_score_request(s=True)


def most_accurate_fair(cv_results, max_gap=0.1):
    """Index of the most accurate setting whose mean parity gap is at most ``max_gap``."""
    accuracy = np.asarray(cv_results["mean_test_accuracy"])
    gap = -np.asarray(cv_results["mean_test_parity"])
    if not np.any(gap <= max_gap):
        return int(np.argmax(accuracy))
    return int(np.argmax(np.where(gap <= max_gap, accuracy, -np.inf)))


search = GridSearchCV(pipe, {"clf__mmd_weight": [0.0, 0.1, 0.3, 1.0, 3.0]}, cv=3,
                      scoring={"accuracy": "accuracy", "parity": parity},
                      refit=most_accurate_fair)
search.fit(train, y_train, s=s_train)

results = pd.DataFrame({
    "beta": search.cv_results_["param_clf__mmd_weight"],
    "accuracy": search.cv_results_["mean_test_accuracy"],
    "parity gap": -search.cv_results_["mean_test_parity"],
})
print(results.round(3).to_string(index=False))
print("refitted:", search.best_params_)

# %%
# The trade-off of the grid
# -------------------------
# Each point is the mean over the three validation folds of one grid setting.
fig, ax = plt.subplots(figsize=(5, 3.5))
ax.plot(results["parity gap"], results["accuracy"], marker="o")
for _, row in results.iterrows():
    ax.annotate(f"beta={row['beta']:g}", (row["parity gap"], row["accuracy"]),
                textcoords="offset points", xytext=(4, 4), fontsize=8)
ax.set_xlabel("demographic parity gap (cross-validated, lower is fairer)")
ax.set_ylabel("accuracy (cross-validated)")
ax.set_title("MMDClassifier on Adult, s = sex")
plt.tight_layout()
plt.show()

# %%
# Metadata routing is a global setting: switch it off again now that the search is done.
# (It must be off for the probe below: :func:`~fairrep.metrics.probe_accuracy` fits a
# scikit-learn pipeline of its own with ``sample_weight`` as a step parameter, which scikit-learn
# rejects while routing is on.)
sklearn.set_config(enable_metadata_routing=False)

# %%
# Probe the refitted model on held-out data
# -----------------------------------------
# ``best_estimator_`` is the whole pipeline; its ``transform`` gives the code that the
# classifier predicts from.
best = search.best_estimator_
y_pred = best.predict(test)
a_s = probe_accuracy(best.transform(train), s_train, best.transform(test), s_test,
                     random_state=0)
print(f"test accuracy      : {np.mean(y_pred == y_test):.3f}")
print(f"test parity gap    : {demographic_parity_difference(y_test, y_pred, s=s_test):.3f}")
print(f"A_s (probe of sex) : {a_s:.3f}")
print(f"majority share     : {majority_share(s_test):.3f}")
