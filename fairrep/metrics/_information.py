"""Information-theoretic summaries of a representation."""

import numpy as np
from sklearn.utils import check_array

from .._docstrings import fill_doc

__all__ = ["total_correlation"]


@fill_doc
def total_correlation(Z):
    """Gaussian estimate of the total correlation of the columns of ``Z``, in nats.

    TC(z) = KL(p(z) || prod_i p(z_i)), which for a Gaussian is

        TC = -1/2 log det(diag(C)^-1 C) = -1/2 log det(R),

    with C the sample covariance of the columns and R their correlation matrix
    (Achille & Soatto, TPAMI 2018, section 8, "Disentangling": the paper prints
    ``-log |Sigma_0^-1 Sigma|``, without the 1/2 of the Gaussian formula used here). It is 0 for
    uncorrelated columns and grows as they become dependent (a measure of how far the
    representation is from disentangled).

    ``Z`` is taken as given. The estimate is exact only for Gaussian columns: for the log-normal
    activations of an Information Dropout layer with Softplus, pass ``np.log(Z)`` (the paper's
    estimate is on the log activations, which are then close to Gaussian).

    Parameters
    ----------
    Z : array-like of shape (n_samples, n_components)
        Finite numbers, at least two rows. Constant columns are dropped (a constant is
        independent of everything and contributes nothing).

    Returns
    -------
    tc : float
        Non-negative; ``inf`` when the (non-constant) columns are linearly dependent
        (singular covariance), 0.0 when fewer than two columns vary.

    References
    ----------
    %(information_dropout_paper)s

    S. Watanabe, "Information theoretical analysis of multivariate
    correlation", IBM Journal of Research and Development 4(1), 1960.

    Examples
    --------
    >>> import numpy as np
    >>> from fairrep.metrics import total_correlation
    >>> rng = np.random.RandomState(0)
    >>> a, b = rng.normal(size=(2, 5000))
    >>> round(total_correlation(np.c_[a, b]), 2)
    0.0
    >>> round(total_correlation(np.c_[a, a + b]), 2)   # correlation 1/sqrt(2): -1/2 log(1/2)
    0.35
    """
    Z = check_array(Z, dtype=np.float64, ensure_min_samples=2, input_name="Z")
    std = Z.std(axis=0)
    Z = Z[:, std > 0]
    if Z.shape[1] < 2:
        return 0.0
    R = np.corrcoef(Z, rowvar=False)
    sign, logdet = np.linalg.slogdet(R)
    if sign <= 0:
        return float("inf")
    return float(max(-0.5 * logdet, 0.0))
