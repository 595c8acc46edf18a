"""
t-SNE of the code before and after forgetting (rotated digits)
==============================================================

The MNIST-ROT experiment of Adversarial Forgetting (Jaiswal et al., AAAI 2020, section 5.1
and Figure 4) on scikit-learn's 8x8 digits: the digit class is ``y`` and the rotation angle
(0, +-22.5 or +-45 degrees) a categorical *nuisance* ``s`` (chance level 0.2).

:class:`~fairrep.ForgettingClassifier` keeps two codes. The encoder's code z = E(x)
(:meth:`~fairrep.ForgettingClassifier.encode`) is trained to reconstruct x, so it keeps the
angle; the invariant code z~ = z * F(x) (:meth:`~fairrep.ForgettingClassifier.transform`) is
what the predictor sees and what the forget-gate, trained against the discriminator, strips
of the angle. A t-SNE map of each, coloured by angle, shows the difference: z groups by angle
inside each digit, z~ should not. A post-hoc MLP probe of the angle on held-out images gives
the same comparison as a number.

For speed, 2,000 of the 6,285 training images, 30 epochs and 3 discriminator steps per model
step (instead of 10), with delta = 3 and precision q = 1. Stronger settings remove more of
the angle at a higher cost in accuracy: ``python benchmarks/forgetting_rotated.py`` runs the
full grid.
"""

# %%
# Data and model
# --------------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.manifold import TSNE

from fairrep import ForgettingClassifier
from fairrep.datasets import make_rotated_digits
from fairrep.metrics import majority_share, probe_accuracy

data = make_rotated_digits(random_state=0)
X, y, s = data.data[:2000], data.target[:2000], data.sensitive[:2000].astype(str)
X_test, y_test = data.data_test[:1500], data.target_test[:1500]
s_test = data.sensitive_test[:1500].astype(str)

clf = ForgettingClassifier(n_components=16, hidden_layer_sizes=(100,), adversary_weight=3.0,
                           precision=1.0, adversary_steps=3, max_epochs=30, random_state=0)
clf.fit(X, y, s=s)
print(f"A_y (held-out images, seen angles): {clf.score(X_test, y_test):.3f}")

# %%
# Probe both codes for the angle
# ------------------------------
# The angles are passed as strings so that they are group labels, not numbers.
codes = {"z = E(x), before forgetting": clf.encode,
         "z~ = z * F(x), after forgetting": clf.transform}
for name, code in codes.items():
    a_s = probe_accuracy(code(X), s, code(X_test), s_test, random_state=0)
    print(f"A_s of {name}: {a_s:.3f}")
print(f"chance (majority share of the angle): {majority_share(s_test):.3f}")

# %%
# t-SNE maps
# ----------
# 500 held-out images, embedded once per code. Left: coloured by angle (``s``); right: by
# digit (``y``).
points = np.random.RandomState(0).choice(len(X_test), 500, replace=False)
fig, axes = plt.subplots(2, 2, figsize=(8, 8))
for row, (name, code) in enumerate(codes.items()):
    embedding = TSNE(init="pca", max_iter=500, random_state=0).fit_transform(
        code(X_test[points]))
    for ax, labels, title in [(axes[row, 0], s_test[points], "angle"),
                              (axes[row, 1], y_test[points], "digit")]:
        for value in np.unique(labels):
            mask = labels == value
            ax.scatter(*embedding[mask].T, s=5, label=value)
        ax.set_title(f"{name}\ncoloured by {title}", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    axes[row, 0].legend(fontsize=7, markerscale=2, title="angle", title_fontsize=7)
plt.tight_layout()
plt.show()
