"""
Shared and private structure with the cross-population VAE
==========================================================

The cross-population VAE (CPVAE, *Isolating Latent Structure with Cross-population
Variational Autoencoders*, ICLR 2020 submission; see :doc:`/cpvae`) models data from several
populations with a *shared* latent z, decoded by one decoder for everyone, and a *private*
latent t per population, decoded by that population's own decoder. Its only supervision is
the population of each row, passed as ``s``.

The data are the paper's Grassy-MNIST protocol on 8x8 digits
(:func:`~fairrep.datasets.make_background_digits`): digits 0-4 form population 0, digits 5-9
population 1, and every image has its own random textured background, drawn the same way in
both populations. The backgrounds are shared structure, the digits private: the model should
put the backgrounds in z and the digits in t.

We look at the reconstructions from each part alone (the paper's Figure 2) and measure on
held-out images, with :mod:`fairrep.metrics`:

* how well k-means on each code finds the digits (adjusted Rand index, the paper's
  sub-group discovery, Table 1): high for the private codes, low for the shared one;
* how much of the population a post-hoc MLP probe reads from the shared code, next to the
  majority share.

For speed the model is an MLP trained for 30 epochs (``python benchmarks/cpvae_digits.py``
runs the paper's tables).
"""

# %%
# Data and model
# --------------
import matplotlib.pyplot as plt
import numpy as np

from fairrep import CrossPopulationVAE
from fairrep.datasets import make_background_digits
from fairrep.metrics import clustering_ari, majority_share, probe_accuracy

data = make_background_digits(random_state=0)
X, population = data.data, data.sensitive
X_test, population_test, digit_test = data.data_test, data.sensitive_test, data.target_test

vae = CrossPopulationVAE(n_components=10, n_private_components=5, hidden_layer_sizes=(128,),
                         batch_size=64, max_epochs=30, random_state=0)
vae.fit(X, s=population)

# %%
# Reconstructions from each part
# ------------------------------
# :meth:`~fairrep.CrossPopulationVAE.reconstruct` decodes the posterior means of a row, with
# both decoders (``parts='both'``), the private one alone or the shared one alone, the other
# replaced by zeros in the sum g(f_s(z), f_k(t)) = f_s(z) + f_k(t).
images, groups = X_test[:8], population_test[:8]
panels = {"original": images}
for parts in ["both", "private", "shared"]:
    panels[f"{parts}"] = vae.reconstruct(images, population=groups, parts=parts)
fig, axes = plt.subplots(len(panels), len(images), figsize=(8, 4.6))
for row, (label, rows) in enumerate(panels.items()):
    for col, image in enumerate(rows):
        ax = axes[row, col]
        ax.imshow(np.clip(image, 0, 1).reshape(8, 8), cmap="gray", vmin=0, vmax=1)
        ax.set_xticks([])
        ax.set_yticks([])
    axes[row, 0].set_ylabel(label, fontsize=9)
for col, group in enumerate(groups):
    axes[0, col].set_title(f"population {group}", fontsize=8)
plt.tight_layout()
plt.show()

# %%
# The private reconstructions carry the digits. The backgrounds are random per image and
# reconstructed only roughly (compare the "both" row with the originals), and the shared
# decoder alone returns nearly the same image for every row at this budget.
#
# Sub-group discovery
# -------------------
# k-means with five clusters on each population's held-out codes: its private code (through
# its own head) and the shared code.
for k in vae.populations_:
    rows = population_test == k
    ari_private = clustering_ari(vae.transform_private(X_test[rows], population=k),
                                 digit_test[rows], random_state=0)
    ari_shared = clustering_ari(vae.transform(X_test[rows]), digit_test[rows], random_state=0)
    print(f"population {k}: digit ARI of the private code {ari_private:.3f}, "
          f"of the shared code {ari_shared:.3f}")

# %%
# How much of the population the shared code holds
# ------------------------------------------------
# The populations are the two halves of the digits, so a shared code that keeps anything of
# the digits' shapes also keeps some of the population.
a_s = probe_accuracy(vae.transform(X), population, vae.transform(X_test), population_test,
                     random_state=0)
print(f"population read from the shared code (held out): {a_s:.3f}")
print(f"majority share of the populations              : {majority_share(population_test):.3f}")
