"""
Metamers and counterfactuals of a fully invertible network
==========================================================

A fully invertible network F (Jacobsen et al., *Excessive Invariance Causes Adversarial
Vulnerability*, ICLR 2019; see :doc:`/invertible`) maps an image x to a code z = F(x) of the
same size and back, exactly. Its first dimensions z_s are the logits of the label; the rest,
z_n, are "nuisance" dimensions that the prediction ignores. Because F is a bijection, the two
parts can be exchanged between images and decoded:

* a **metamer** F^-1(z_s of image a, z_n of image b)
  (:meth:`InvertibleClassifier.metamers <fairrep.InvertibleClassifier.metamers>`) has
  exactly the logits of a, so the classifier predicts a's class for it, whatever it looks
  like. When it looks like b, the class of b is still in z_n: the classifier is *excessively
  invariant* to it;
* a **counterfactual**
  (:meth:`InvertibleTransformer.counterfactuals <fairrep.InvertibleTransformer.counterfactuals>`)
  keeps an image's z_n and replaces its s-logits with the mean logits of another group of
  ``s``.

Both are shown on rotated digits (angles -45, 0 and 45 degrees,
:func:`~fairrep.datasets.make_rotated_digits`): a classifier of the digit, trained with the
independence cross-entropy (iCE), for metamers, and a transformer whose logits are those of
the angle, for counterfactuals. Post-hoc probes on held-out images measure what z_n still
holds: the digit for the classifier
(:meth:`~fairrep.InvertibleClassifier.nuisance_accuracy`, the paper's "Nuisance" readout),
the angle for the transformer (:func:`~fairrep.metrics.probe_accuracy`).

The networks are small (4 dense blocks, additive couplings, 25 epochs on 1,200 images): the
numbers show how far such a budget gets, not the paper's.
"""

# %%
# Data
# ----
import matplotlib.pyplot as plt
import numpy as np

from fairrep import InvertibleClassifier, InvertibleTransformer
from fairrep.datasets import make_rotated_digits
from fairrep.metrics import majority_share, probe_accuracy

data = make_rotated_digits(angles=(-45, 0, 45), test_angles=(), random_state=0)
X, y, angle = data.data[:1200], data.target[:1200], data.sensitive[:1200]
X_test, y_test = data.data_test[:900], data.target_test[:900]
angle_test = data.sensitive_test[:900]
common = dict(n_blocks=4, coupling="additive", mixing="permutation", batch_size=128,
              max_epochs=25, lr=3e-3, random_state=0)


def show(ax, image, title=""):
    ax.imshow(np.clip(image, 0, 1).reshape(12, 12), cmap="gray", vmin=0, vmax=1)
    ax.set_title(title, fontsize=8)
    ax.set_xticks([])
    ax.set_yticks([])


# %%
# Metamers of a digit classifier
# ------------------------------
# ``loss='ice'`` adds a nuisance classifier that reads the digit from z_n, which the network
# is trained to defeat, and a likelihood term on z_n. ``s`` is not used by the classifier.
clf = InvertibleClassifier(loss="ice", **common).fit(X, y)
print(f"digit accuracy (held out)          : {clf.score(X_test, y_test):.3f}")
print(f"digit read from z_n (held out)     : "
      f"{clf.nuisance_accuracy(X, y, X_test, y_test):.3f}")
print(f"chance (majority share of digits)  : {majority_share(y_test):.3f}")

# %%
# Rows: the image that gives the logits z_s; columns: the image that gives z_n. Each metamer
# is titled with the classifier's prediction for it.
semantic, nuisance = X_test[:4], X_test[4:8]
fig, axes = plt.subplots(5, 5, figsize=(6, 6.4))
axes[0, 0].axis("off")
for j, image in enumerate(nuisance):
    show(axes[0, j + 1], image, "z_n from")
for i, image in enumerate(semantic):
    show(axes[i + 1, 0], image, "z_s from")
    metamers = clf.metamers(np.repeat(image[None], len(nuisance), axis=0), nuisance)
    for j, metamer in enumerate(metamers):
        show(axes[i + 1, j + 1], metamer, f"predicted {clf.predict(metamer[None])[0]}")
fig.suptitle("metamers F^-1(z_s of row image, z_n of column image)", fontsize=9)
plt.tight_layout()
plt.show()

# %%
# Every metamer gets the prediction of its row image, since it has exactly its logits. If the
# metamers look like their *column* image, the digit that a person sees is in z_n, which the
# classifier ignores: the readout of the digit from z_n above says how much of it is there
# (chance is about 0.1). iCE is the paper's remedy; at this budget it leaves most of the
# digit in z_n (``python benchmarks/invertible_digits.py`` trains a convolutional flow for
# longer).
#
# Counterfactual angles
# ---------------------
# :class:`~fairrep.InvertibleTransformer` takes ``s`` (the angle) as the label of its logits;
# ``transform`` returns z_n, which iCE pushes to carry no information about the angle.
rep = InvertibleTransformer(**common).fit(X, s=angle)
a_s = probe_accuracy(rep.transform(X), angle.astype(str), rep.transform(X_test),
                     angle_test.astype(str), random_state=0)
print(f"angle read from z_n (held out)     : {a_s:.3f}")
print(f"chance (majority share of angles)  : {majority_share(angle_test):.3f}")

# %%
# Each row: a held-out image, then the image rebuilt with the mean logits of each angle.
fig, axes = plt.subplots(4, 4, figsize=(5, 5.4))
for i, image in enumerate(X_test[:4]):
    show(axes[i, 0], image, f"original ({angle_test[i]:g})")
    for j, target in enumerate(rep.s_classes_):
        show(axes[i, j + 1], rep.counterfactuals(image[None], s_target=target)[0],
             f"as {target:g} deg")
plt.tight_layout()
plt.show()

# %%
# Swapping the angle logits changes the images (the third row's digit stands upright "as 0
# deg"), but the probe above reads the angle from z_n almost perfectly: the s-logits do not
# hold all of the angle, and a counterfactual is only as clean as z_n is free of ``s``.
