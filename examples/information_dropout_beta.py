"""
Information Dropout: forgetting a nuisance nobody labelled
==========================================================

Information Dropout (Achille & Soatto, TPAMI 2018) multiplies a layer's activations by
log-normal noise whose scale the network computes from its input, and trains with the
Information Bottleneck Lagrangian: cross-entropy plus beta times a KL term that rewards noise
(see :doc:`/information_dropout`). For a larger beta the representation keeps what predicts
``y`` and drops the rest -- nuisances included, *without being told what the nuisance is*.

A scaled-down version of the paper's Figure 4 (``benchmarks/information_dropout_beta.py``
runs the full one): each input is a digit next to a second, randomly drawn digit. The class
of the first digit is ``y``; the class of the second is a nuisance ``s`` that the network
never sees. For each beta we report the held-out accuracy on ``y`` and the held-out accuracy
of a post-hoc MLP probe reading ``s`` from the frozen representation, both from a noisy draw (the paper's representation and protocol: what ``transform``
returns by default, here ``sample_representation``) and from its noise-free value
(``representation='noise_free'``). Chance for ``s`` is about 0.1.
"""

# %%
# Digit pairs
# -----------
# The digits are the unrotated 12x12 images of :func:`fairrep.datasets.make_rotated_digits`
# (its only angle 0), each put next to a random partner from the same split.
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from fairrep import InformationDropoutClassifier
from fairrep.datasets import make_rotated_digits
from fairrep.metrics import majority_share, probe_accuracy

digits = make_rotated_digits(angles=(0,), test_angles=(), random_state=0)
rng = np.random.RandomState(0)


def pairs(images, labels):
    partner = rng.permutation(len(labels))
    return np.hstack([images, images[partner]]), labels, labels[partner]


X, y, s = pairs(digits.data, digits.target)
X_test, y_test, s_test = pairs(digits.data_test, digits.target_test)
print(f"{X.shape[0]} training pairs of {X.shape[1]} pixels; chance for s: "
      f"{majority_share(s_test):.3f}")

fig, axes = plt.subplots(1, 4, figsize=(6, 1.8))
for ax, image, label, nuisance in zip(axes, X, y, s):
    ax.imshow(image.reshape(2, 12, 12).transpose(1, 0, 2).reshape(12, 24), cmap="gray")
    ax.set_title(f"y={label}, s={nuisance}", fontsize=8)
    ax.axis("off")
plt.show()

# %%
# The beta sweep
# --------------
# ``s`` is not passed to ``fit``: Information Dropout does not use it.
rows = []
for beta in [0.0, 1.0, 10.0]:
    clf = InformationDropoutClassifier(n_components=32, beta=beta, max_epochs=20,
                                       batch_size=64, lr=1e-2, random_state=0,
                                       representation="noise_free")  # transform: f(h)
    clf.fit(X, y)
    noisy_train = clf.sample_representation(X, random_state=1)
    noisy_test = clf.sample_representation(X_test, random_state=2)
    rows.append({
        "beta": beta,
        "y accuracy": clf.score(X_test, y_test),
        "s probe, noise-free z": probe_accuracy(clf.transform(X), s, clf.transform(X_test),
                                                s_test, hidden_layer_sizes=(64,),
                                                random_state=0),
        "s probe, noisy z": probe_accuracy(noisy_train, s, noisy_test, s_test,
                                           hidden_layer_sizes=(64,), random_state=0),
        "information (nats)": clf.information(X_test).sum(),
    })
results = pd.DataFrame(rows).set_index("beta")
print(results.round(3).to_string())

# %%
# ``information`` is the KL of each unit of z averaged over the test images (how much each
# unit transmits about x), summed here over the 32 units.
fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.5))
ticks = np.arange(len(results))
for column in ["y accuracy", "s probe, noise-free z", "s probe, noisy z"]:
    left.plot(ticks, results[column], marker="o", label=column)
left.axhline(majority_share(s_test), color="grey", linestyle="--", label="chance for s")
left.set_xticks(ticks, [f"{b:g}" for b in results.index])
left.set_xlabel("beta")
left.set_ylabel("held-out accuracy")
left.legend(fontsize=8)
right.bar(ticks, results["information (nats)"])
right.set_xticks(ticks, [f"{b:g}" for b in results.index])
right.set_xlabel("beta")
right.set_ylabel("KL summed over units (nats)")
plt.tight_layout()
plt.show()
