"""
Ask for a fairness level, not a weight
======================================

A user who must ship "a demographic-parity gap of at most 0.05" cannot read that level off a
method's strength parameter: ``adversary_weight=20`` means something else on every table.
fairrep answers the question two ways:

* :class:`~fairrep.model_selection.ConstrainedSearchCV` fits the strengths of a grid (by
  default 0 and the default strength times 0.1, 0.3, 1, 3 and 10), measures accuracy and the
  parity gap of each on held-out folds, and refits the most accurate one whose mean fold gap
  is within the bound; ``plot_frontier`` draws the whole trade-off;
* ``constraint="demographic_parity", bound=0.05`` on a classifier adapts its strength inside
  one fit (dual ascent of the multiplier against the gap on held-out training rows).

German credit (700 training rows, ``s`` = sex) keeps this page quick; both checks end on the
test split, which neither fit saw.
"""

# %%
# The data and the reference
# --------------------------
import warnings

import matplotlib.pyplot as plt
from sklearn.linear_model import LogisticRegression

from fairrep import GradientReversalClassifier, NoisyConstraintWarning
from fairrep.datasets import load_german
from fairrep.metrics import demographic_parity_difference
from fairrep.model_selection import ConstrainedSearchCV

X, y, s = load_german(subset="train", return_X_y=True)
X_test, y_test, s_test = load_german(subset="test", return_X_y=True)


def report(name, clf):
    gap = demographic_parity_difference(y_test, clf.predict(X_test), s=s_test)
    print(f"{name:<34} accuracy {clf.score(X_test, y_test):.3f}, DP gap {gap:.3f}")


report("logistic regression (no s)", LogisticRegression(max_iter=1000).fit(X, y))

# %%
# Constrained model selection
# ---------------------------
# ``param_grid=None`` sweeps the estimator's own strength parameter; ``s`` travels to every
# fold's fit and to every fold's gap.
search = ConstrainedSearchCV(GradientReversalClassifier(random_state=0), bound=0.05, cv=3)
search.fit(X, y, s=s)
print(search.frontier_.round(3).to_string(index=False))
print("picked:", search.best_params_)
report("ConstrainedSearchCV pick", search)

# %%
# The trade-off, as the folds saw it: every strength's mean accuracy against its mean gap,
# the bound, and the pick.
ax = search.plot_frontier()
ax.set_title("Gradient reversal on German credit, s = sex (3-fold means)")
plt.show()

# %%
# One fit, one bound
# ------------------
# The same level asked of a single fit: the strength moves each epoch, and the epoch kept is
# the most accurate one within the bound on a held-out fifth of the training rows (one that
# does better than the majority class: a constant predictor meets any parity bound), each
# epoch's accuracy and gap there averaged with the epochs before it.
#
# German credit is small for this: the held-out fifth is 140 rows, and a gap measured there
# moves by about 0.08 by chance, more than the 0.05 asked for. fairrep says so with a
# ``NoisyConstraintWarning`` (recorded and printed here) and the fit goes on; on a table
# this size the search above is the better tool.
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always", NoisyConstraintWarning)
    bounded = GradientReversalClassifier(constraint="demographic_parity", bound=0.05,
                                         random_state=0).fit(X, y, s=s)
for warning in caught:
    print(f"{warning.category.__name__}: {warning.message}")
report("one fit, bound 0.05", bounded)
history = bounded.history_
print("kept epoch", bounded.bound_epoch_, "; strength per epoch:",
      [round(v, 1) for v in history[:, "strength"]])
