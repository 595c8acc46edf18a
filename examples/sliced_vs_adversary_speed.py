"""
Slices versus adversaries: cost per epoch and what is left of ``s``
===================================================================

Adversarial methods estimate how much a representation Z says about ``s`` with a second
network that is itself trained, step by step, while Z changes. Scalable infomin learning
(Chen, Sun, Li & Weller, NeurIPS 2022; see :doc:`/sliced_infomin`) replaces it with a
*sliced* estimate: random one-dimensional projections of Z and ``s`` whose canonical
correlations have a closed form, so its max step trains nothing.

Three models on the same data and the same network sizes (Adult, ``s`` = sex, 3,000 training
rows, 15 epochs, batches of 256, encoder width 50, 8 components):

* :class:`~fairrep.SlicedInfominClassifier` with the sliced estimator (``estimator='slice'``);
* the same model with the neural Renyi (HGR) adversary of the paper's comparison
  (``estimator='renyi'``, 5 adversary steps per batch);
* :class:`~fairrep.GradientReversalClassifier`, the classic one-step adversary.

The cost is the median wall time of an epoch, from each model's ``history_`` (skorch's
``dur`` column); the invariance is the held-out accuracy of a post-hoc MLP probe reading
``s`` from the frozen representation, next to the majority share of ``s``.
"""

# %%
# Data
# ----
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from fairrep import GradientReversalClassifier, SlicedInfominClassifier
from fairrep.datasets import load_adult
from fairrep.metrics import majority_share, probe_accuracy

X, y, s = load_adult(return_X_y=True)
X_test, y_test, s_test = load_adult(subset="test", return_X_y=True)
rng = np.random.RandomState(0)
rows = rng.choice(len(y), 3000, replace=False)
X, y, s = X[rows], y[rows], s[rows]
rows = rng.choice(len(y_test), 2000, replace=False)
X_test, y_test, s_test = X_test[rows], y_test[rows], s_test[rows]

# %%
# Fit and measure
# ---------------
common = dict(n_components=8, hidden_layer_sizes=(50,), batch_size=256, max_epochs=15,
              random_state=0)
models = {
    "sliced (closed-form max step)": SlicedInfominClassifier(beta=2.0, **common),
    "Renyi adversary, 5 steps": SlicedInfominClassifier(beta=2.0, estimator="renyi",
                                                        adversary_steps=5, **common),
    "gradient reversal, 1 step": GradientReversalClassifier(adversary_weight=1.0, **common),
}
results = {}
for name, clf in models.items():
    clf.fit(X, y, s=s)
    results[name] = {
        "seconds per epoch": float(np.median(clf.history_[:, "dur"])),
        "A_y": clf.score(X_test, y_test),
        "A_s": probe_accuracy(clf.transform(X), s, clf.transform(X_test), s_test,
                              random_state=0),
    }
results = pd.DataFrame(results).T
print(results.round(3).to_string())
print(f"majority share of s: {majority_share(s_test):.3f}")

# %%
# At this size, an epoch of the sliced model costs about as much as one with five steps of
# the neural adversary (every step evaluates all 100 slice pairs, and every max step also
# solves their canonical correlations). What the
# slices save is the *training* of the estimator: the max step has a closed form, so the
# estimate is current at every step, where an adversary is only as good as its last few
# updates. ``benchmarks/`` times the max step alone against a 50-step Renyi adversary
# (``python benchmarks/sliced_infomin_adult.py``). The one-step gradient reversal is the
# cheapest per epoch, but the probe shows how much of ``s`` it leaves: a reversed gradient
# makes its adversary wrong, not uninformed.
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True)
names = list(results.index)
ticks = np.arange(len(names))
left.barh(ticks, results["seconds per epoch"], color="tab:blue")
left.set_yticks(ticks, names)
left.invert_yaxis()
left.set_xlabel("median seconds per epoch")
right.barh(ticks, results["A_s"], color="tab:orange", label="A_s (probe of s, held out)")
right.axvline(majority_share(s_test), color="grey", linestyle="--",
              label="majority share of s")
right.set_xlim(0.5, 1.0)
right.set_xlabel("held-out accuracy")
right.legend(fontsize=8, loc="upper right")
plt.tight_layout()
plt.show()
