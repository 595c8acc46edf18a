"""
Quick start: Adversarial Forgetting on Adult
============================================

Predict whether a person earns more than $50K a year from the UCI Adult census table while
keeping ``sex`` out of the representation that the prediction is made from.

The raw Adult table ships with fairrep (nothing is downloaded). We take the target and the
sensitive attribute ``s`` out of the frame, one-hot encode and scale the other columns with a
:class:`~sklearn.compose.ColumnTransformer`, and fit :class:`~fairrep.ForgettingClassifier`
with ``s`` passed to ``fit`` (as ``clf__s`` through the pipeline). The same network with
every invariance device switched off, trained without ``s``, is the reference.

Invariance is measured after training, on the held-out test split, with
:mod:`fairrep.metrics` (see :doc:`/evaluation`), never with the training adversary:

* ``A_y``: test accuracy of the classifier;
* ``A_s``: test accuracy of a fresh MLP probe trained to read ``s`` from the frozen training
  representation, next to the majority share of ``s`` (the level a representation without
  usable information about ``s`` brings it down to);
* the demographic parity gap of the test predictions across ``s``.

To keep this page quick, the models train for 15 epochs on 4,000 rows of the 30,162 training
rows; ``python benchmarks/forgetting_tabular.py`` runs the full-size version.
"""

# %%
# Load the data
# -------------
# ``load_adult(as_frame=True)`` returns the raw columns, categoricals as ``category`` dtype.
# The test split is the standard UCI one.
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from fairrep import ForgettingClassifier
from fairrep.datasets import load_adult
from fairrep.metrics import demographic_parity_difference, majority_share, probe_accuracy

train = load_adult(as_frame=True, subset="train").frame.sample(n=4000, random_state=0)
test = load_adult(as_frame=True, subset="test").frame
y_train, s_train = train.pop("income"), train.pop("sex")
y_test, s_test = test.pop("income"), test.pop("sex")
print(f"{len(train)} training rows, {len(test)} test rows, s = sex:")
print(s_test.value_counts(normalize=True).round(3).to_string())

# %%
# Fit the pipeline
# ----------------
# fairrep networks take dense input, hence ``sparse_threshold=0``. ``s`` reaches the
# classifier as the fit parameter ``clf__s``; ``s=None`` trains the plain network, here also
# with the forget-mask regulariser and the precision bottleneck switched off.


def make_pipeline(**params):
    prep = ColumnTransformer([
        ("cat", OneHotEncoder(handle_unknown="ignore"),
         make_column_selector(dtype_include="category")),
        ("num", StandardScaler(), make_column_selector(dtype_include="number")),
    ], sparse_threshold=0)
    clf = ForgettingClassifier(max_epochs=15, batch_size=256, random_state=0, **params)
    return Pipeline([("prep", prep), ("clf", clf)])


plain = make_pipeline(adversary_weight=0.0, mask_weight=0.0, precision=0.0)
plain.fit(train, y_train)
forgetting = make_pipeline()
forgetting.fit(train, y_train, clf__s=s_train)

# %%
# Measure on the test split
# -------------------------
# ``pipe.transform`` runs the preprocessing and then the classifier's ``transform``: the
# invariant code z~ = E(x) * F(x) (for the plain network, z * m without rounding).

rows = {}
for name, pipe in [("plain network", plain), ("ForgettingClassifier", forgetting)]:
    y_pred = pipe.predict(test)
    rows[name] = {
        "A_y": np.mean(y_pred == y_test),
        "A_s": probe_accuracy(pipe.transform(train), s_train, pipe.transform(test), s_test,
                              random_state=0),
        "majority share of s": majority_share(s_test),
        "parity gap": demographic_parity_difference(y_test, y_pred, s=s_test),
    }
results = pd.DataFrame(rows).T
print(results.round(3).to_string())

# %%
# A lower ``A_s`` means less of ``sex`` can be read from the code; it cannot go below the
# majority share in a meaningful way. The parity gap is a property of the *predictions*:
# income correlates with sex in this data, so a representation without ``sex`` can still give
# an accurate predictor a gap (see :doc:`/invariance_problem`).

ax = results.plot.bar(rot=0, figsize=(8, 3.5), width=0.8)
ax.set_ylabel("held-out value")
ax.set_title("Adult, s = sex (test split)")
ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
for container in ax.containers:
    ax.bar_label(container, fmt="%.2f", fontsize=7)
plt.tight_layout()
plt.show()
