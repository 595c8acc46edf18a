"""Sub-group discovery: how well k-means clusters of a representation recover known labels."""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score

from .._docstrings import fill_doc
from .._sensitive import labels_per_row
from ._probe import _check_Z

__all__ = ["clustering_ari"]

LABELS_SINGLE = (
    "labels hold a single distinct value ({value!r}); the adjusted Rand index compares the "
    "clusters with at least two groups, so pass labels with two or more values."
)
N_CLUSTERS = "n_clusters must be an integer of at least 2 or None, got {value!r}."
TOO_FEW_ROWS = (
    "Z has {n_rows} rows but k-means needs more rows than clusters (n_clusters={n_clusters}); "
    "pass more samples or a smaller n_clusters."
)


@fill_doc
def clustering_ari(Z, labels, *, n_clusters=None, n_init=10, random_state=None):
    """Adjusted Rand index between k-means clusters of ``Z`` and known ``labels``.

    The sub-group discovery evaluation of the cross-population VAE paper ("Isolating latent
    structure with cross-population variational autoencoders", ICLR 2020 submission, section
    4.1 and Table 1): k-means is run on a latent space (e.g. one population's private latents)
    and its clusters are compared with the true class labels by the adjusted Rand index. A
    space that isolates the labelled structure scores high; one that holds none of it scores
    about 0.

    ``Z`` is clustered as given (k-means is not scale invariant: standardise the columns first
    if their scales are arbitrary).

    Parameters
    ----------
    Z : array-like of shape (n_samples, n_components)
        The representation (finite numbers).
    labels : array-like of shape (n_samples,)
        Reference labels of any type, without missing values, with at least two distinct
        values.
    n_clusters : int or None, default=None
        Number of k-means clusters; None means the number of distinct labels.
    n_init : int, default=10
        Number of k-means runs with different centroid seeds; the best (lowest inertia) is
        kept.
    random_state : int, RandomState instance or None, default=None
        Seeds the k-means initialisation.

    Returns
    -------
    ari : float
        Adjusted Rand index: 1 for clusters identical to the labels (up to renaming), about 0
        for clusters unrelated to them, negative when below chance.

    Raises
    ------
    ValueError
        If ``Z`` is not a 2-D finite numeric array, ``labels`` does not have one value per row
        of ``Z`` or has missing values or a single distinct value, ``n_clusters`` is not an
        integer of at least 2, or ``Z`` has no more rows than clusters.

    See Also
    --------
    sklearn.metrics.adjusted_rand_score : The index itself.

    References
    ----------
    %(cpvae_paper)s

    L. Hubert and P. Arabie, "Comparing partitions", Journal of Classification
    2(1), 1985.

    Examples
    --------
    >>> import numpy as np
    >>> from fairrep.metrics import clustering_ari
    >>> rng = np.random.RandomState(0)
    >>> labels = np.repeat([0, 1, 2], 50)
    >>> Z = rng.normal(scale=0.1, size=(150, 2)) + 3 * np.eye(3)[labels, :2]
    >>> round(clustering_ari(Z, labels, random_state=0), 2)
    1.0
    >>> abs(clustering_ari(rng.normal(size=(150, 2)), labels, random_state=0)) < 0.1
    True
    """
    Z = _check_Z(Z, "Z")
    labels = labels_per_row(labels, Z, "labels", "Z")
    codes, uniques = pd.factorize(np.asarray(labels, dtype=object))
    if uniques.shape[0] < 2:
        raise ValueError(LABELS_SINGLE.format(value=uniques[0]))
    if n_clusters is None:
        n_clusters = uniques.shape[0]
    elif (
        isinstance(n_clusters, (bool, np.bool_))
        or not isinstance(n_clusters, numbers.Integral)
        or n_clusters < 2
    ):
        raise ValueError(N_CLUSTERS.format(value=n_clusters))
    if Z.shape[0] <= n_clusters:
        raise ValueError(TOO_FEW_ROWS.format(n_rows=Z.shape[0], n_clusters=n_clusters))
    kmeans = KMeans(n_clusters=int(n_clusters), n_init=n_init, random_state=random_state)
    clusters = kmeans.fit_predict(Z)
    return float(adjusted_rand_score(codes, clusters))
