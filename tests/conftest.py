import numpy as np
import pytest


def make_biased(n=600, n_noise=3, seed=0, s_kind="int"):
    """Synthetic data where s is easy to predict from X and y depends on other features.

    Two features are noisy copies of s; y depends on the first two noise features only, so a
    representation can keep y and forget s.
    """
    rng = np.random.RandomState(seed)
    s = rng.randint(0, 2, n)
    noise = rng.normal(size=(n, n_noise))
    X = np.c_[noise, s + 0.2 * rng.normal(size=n), s + 0.2 * rng.normal(size=n)]
    y = (noise[:, 0] + 0.5 * noise[:, 1] > 0).astype(int)
    if s_kind == "str":
        s = np.where(s == 1, "b", "a")
    return X, y, s


@pytest.fixture(scope="session")
def biased():
    return make_biased()
