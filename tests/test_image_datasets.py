"""Tests for the image data-set generators built from scikit-learn's 8x8 digits."""

import re

import numpy as np
import pytest
from scipy import ndimage
from sklearn.datasets import load_digits

from fairrep.datasets import _images
from fairrep.datasets._images import (
    make_background_digits,
    make_occluded_digits,
    make_rotated_digits,
    make_shift_digits,
    make_sprites,
)

DIGITS = load_digits()
SOURCE_IMAGES = DIGITS.images / 16.0
SOURCE_LABELS = DIGITS.target

# generator -> keyword arguments of a small, fast call
GENERATORS = {
    "rotated": (make_rotated_digits, {}),
    "shift_texture": (make_shift_digits, {"kind": "texture"}),
    "shift_binary": (make_shift_digits, {"kind": "binary"}),
    "background_texture": (make_background_digits, {"background": "texture"}),
    "background_noise": (make_background_digits, {"background": "noise"}),
    "occluded": (make_occluded_digits, {}),
    "sprites": (make_sprites, {"n_samples": 300}),
}
DIGIT_GENERATORS = [key for key in GENERATORS if key != "sprites"]


@pytest.fixture(scope="module")
def bunches():
    """One call of every generator with random_state=0, shared by the tests of this module."""
    return {key: func(random_state=0, **kw) for key, (func, kw) in GENERATORS.items()}


def _splits(bunch):
    """Suffixes of the splits a bunch holds ("", "_test", ...)."""
    return [key[len("data"):] for key in bunch if key.startswith("data")]


def _array_items(bunch):
    return {key: value for key, value in bunch.items() if isinstance(value, np.ndarray)}


# ------------------------------------------------------------------ common contract


@pytest.mark.parametrize("key", list(GENERATORS))
def test_shapes_dtypes_and_range(bunches, key):
    bunch = bunches[key]
    channels, height, width = bunch.image_shape
    assert channels == 1
    assert isinstance(bunch.DESCR, str) and len(bunch.DESCR) > 50
    for suffix in _splits(bunch):
        data, images = bunch["data" + suffix], bunch["images" + suffix]
        assert data.dtype == np.float64 and images.dtype == np.float64
        assert data.shape == (images.shape[0], height * width)
        assert images.shape[1:] == (height, width)
        np.testing.assert_array_equal(data, images.reshape(images.shape[0], -1))
        assert np.isfinite(data).all()
        assert data.min() >= 0.0 and data.max() <= 1.0
        if "target" + suffix in bunch:
            target = bunch["target" + suffix]
            assert np.issubdtype(target.dtype, np.integer)
            assert target.shape == (data.shape[0],)
            assert bunch["sensitive" + suffix].shape[0] == data.shape[0]


@pytest.mark.parametrize("key", list(GENERATORS))
def test_same_seed_same_arrays_other_seed_other_arrays(bunches, key):
    func, kw = GENERATORS[key]
    again = func(random_state=0, **kw)
    first = _array_items(bunches[key])
    assert first.keys() == _array_items(again).keys()
    for name, value in first.items():
        np.testing.assert_array_equal(value, again[name], err_msg=name)
    other = func(random_state=1, **kw)
    assert not np.array_equal(bunches[key].data, other.data)
    # a RandomState instance is accepted too
    from_instance = func(random_state=np.random.RandomState(0), **kw)
    assert from_instance.data.shape == first["data"].shape


@pytest.mark.parametrize("key", DIGIT_GENERATORS)
def test_no_source_image_in_train_and_test(bunches, key):
    bunch = bunches[key]
    train = set(bunch.source_index.tolist())
    test = set(bunch.source_index_test.tolist())
    assert not train & test
    assert train | test == set(range(len(SOURCE_LABELS)))
    # the split is stratified: every class is in both splits in its usual share
    counts = np.bincount(SOURCE_LABELS[sorted(test)], minlength=10)
    expected = 0.3 * np.bincount(SOURCE_LABELS)
    assert np.all(np.abs(counts - expected) <= 1)
    for suffix in _splits(bunch):
        if "source_index" + suffix in bunch:
            np.testing.assert_array_equal(
                bunch["target" + suffix], SOURCE_LABELS[bunch["source_index" + suffix]])


@pytest.mark.parametrize("test_size", [0, 1, 1.5, -0.1, "0.3", True, None])
@pytest.mark.parametrize("key", DIGIT_GENERATORS)
def test_bad_test_size(key, test_size):
    func, kw = GENERATORS[key]
    with pytest.raises(ValueError, match="test_size must be a float strictly between 0 and 1"):
        func(test_size=test_size, **kw)


def test_test_size_sets_the_split():
    bunch = make_occluded_digits(test_size=0.5, random_state=0)
    assert bunch.data_test.shape[0] in (898, 899)


def test_digit_source_is_read_only():
    images, labels = _images._digits()
    assert not images.flags.writeable and not labels.flags.writeable
    np.testing.assert_array_equal(images, SOURCE_IMAGES)


# ------------------------------------------------------------------ rotated digits


def test_rotated_protocol(bunches):
    bunch = bunches["rotated"]
    angles, test_angles = set(bunch.angles), set(bunch.test_angles)
    assert angles == {-45.0, -22.5, 0.0, 22.5, 45.0}
    assert set(bunch.sensitive) == angles
    assert set(bunch.sensitive_test) == angles
    assert set(bunch.sensitive_unseen) == test_angles
    assert not test_angles & set(bunch.sensitive)  # test angles are unseen in train
    assert bunch.sensitive.dtype == np.float64
    n_train = np.unique(bunch.source_index).shape[0]
    n_test = np.unique(bunch.source_index_test).shape[0]
    assert bunch.data.shape[0] == 5 * n_train
    assert bunch.data_test.shape[0] == 5 * n_test
    assert bunch.data_unseen.shape[0] == 4 * n_test
    # every train image at every seen angle, once
    pairs = set(zip(bunch.source_index.tolist(), bunch.sensitive.tolist()))
    assert len(pairs) == bunch.data.shape[0]
    assert set(bunch.source_index_unseen) == set(bunch.source_index_test)
    # angle 0 is the source digit itself, padded to 12x12; other angles rotate it
    assert bunch.image_shape == (1, 12, 12)
    padded = np.pad(SOURCE_IMAGES, ((0, 0), (2, 2), (2, 2)))
    zero = bunch.sensitive == 0
    np.testing.assert_array_equal(bunch.images[zero], padded[bunch.source_index[zero]])
    row = np.flatnonzero(bunch.sensitive == 45.0)[0]
    expected = ndimage.rotate(padded[bunch.source_index[row]], 45.0, reshape=False, order=1)
    np.testing.assert_allclose(bunch.images[row], np.clip(expected, 0, 1))
    # the padding keeps the whole digit: rotation moves ink but loses almost none
    ink = bunch.data.sum(axis=1)
    source_ink = SOURCE_IMAGES[bunch.source_index].sum(axis=(1, 2))
    assert np.all(ink > 0.85 * source_ink)


def test_rotated_custom_angles():
    bunch = make_rotated_digits(angles=[0, 90], test_angles=[], test_size=0.2, random_state=0)
    assert set(bunch.sensitive) == {0.0, 90.0}
    assert bunch.data_unseen.shape == (0, 144)
    assert bunch.target_unseen.shape == (0,)


@pytest.mark.parametrize("kwargs, message", [
    ({"angles": ()}, _images.ANGLES_EMPTY),
    ({"angles": (0, 45), "test_angles": (45, 60)},
     _images.ANGLES_OVERLAP.format(overlap=[45.0])),
    ({"angles": (0, 0)}, _images.ANGLES_DUPLICATE.format(name="angles", angle=0.0)),
    ({"angles": "0, 45"}, "angles must be a sequence of finite rotation angles"),
    ({"angles": (0, float("nan"))}, "angles must be a sequence of finite rotation angles"),
    ({"test_angles": 55}, "test_angles must be a sequence of finite rotation angles"),
])
def test_rotated_bad_angles(kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        make_rotated_digits(random_state=0, **kwargs)


# ------------------------------------------------------------------ shift digits


def test_shift_texture_coupled_in_train_randomised_in_test(bunches):
    bunch = bunches["shift_texture"]
    assert bunch.kind == "texture" and bunch.strength == 0.6
    assert bunch.planted.shape == (10, 8, 8)
    assert bunch.planted.max() == pytest.approx(0.6)
    np.testing.assert_array_equal(bunch.sensitive, bunch.target)
    assert not np.any(bunch.sensitive_test == bunch.target_test)
    # the test texture is a random other class: all classes used, roughly evenly
    counts = np.bincount(bunch.sensitive_test, minlength=10)
    assert counts.min() > 0.5 * counts.mean()
    # where the source digit is dark the image is exactly the texture of `sensitive`
    for images, index, pattern in [
        (bunch.images, bunch.source_index, bunch.sensitive),
        (bunch.images_test, bunch.source_index_test, bunch.sensitive_test),
        (bunch.images_iid_test, bunch.source_index_test, bunch.target_test),
    ]:
        dark = SOURCE_IMAGES[index] == 0
        np.testing.assert_allclose(images[dark], bunch.planted[pattern][dark])
    # images never get darker than the digit
    assert np.all(bunch.images >= SOURCE_IMAGES[bunch.source_index] - 1e-12)
    np.testing.assert_array_equal(bunch.images_clean_test,
                                  SOURCE_IMAGES[bunch.source_index_test])


def test_shift_binary_code_present_in_train_absent_in_test(bunches):
    bunch = bunches["shift_binary"]
    assert bunch.kind == "binary" and bunch.strength == 1.0
    codes = bunch.planted.reshape(10, -1) > 0
    assert np.all(codes.sum(axis=1) == 1)  # one pixel per class
    assert len({tuple(np.flatnonzero(c)) for c in codes}) == 10  # all distinct
    # the code sits on the border, classes 0-7 down the left column
    for c in range(8):
        assert bunch.planted[c, c, 0] == 1.0
    train_codes = bunch.data[:, codes.any(axis=0)]
    own = codes[bunch.target][:, codes.any(axis=0)]
    assert np.all(train_codes[own] == 1.0)
    np.testing.assert_array_equal(bunch.data_test, bunch.data_clean_test)
    np.testing.assert_array_equal(bunch.images_clean_test, SOURCE_IMAGES[bunch.source_index_test])
    assert np.all(bunch.sensitive_test == -1)
    np.testing.assert_array_equal(bunch.sensitive, bunch.target)
    # in-distribution test images carry their own class's code
    assert np.all(bunch.data_iid_test[codes[bunch.target_test]] == 1.0)


def test_shift_binary_two_code_pixels_stay_disjoint():
    bunch = make_shift_digits(kind="binary", code_pixels=2, strength=0.8, random_state=0)
    codes = bunch.planted.reshape(10, -1) > 0
    assert np.all(codes.sum(axis=1) == 2)
    assert codes.sum(axis=0).max() == 1
    assert bunch.planted.max() == pytest.approx(0.8)


@pytest.mark.parametrize("kwargs, match", [
    ({"kind": "pixel"}, "kind must be one of 'binary', 'texture', got 'pixel'"),
    ({"strength": 0}, "strength must be a number in (0, 1]"),
    ({"strength": 1.5}, "strength must be a number in (0, 1]"),
    ({"strength": True}, "strength must be a number in (0, 1]"),
    ({"kind": "binary", "code_pixels": 3}, "code_pixels must be 1 or 2"),
])
def test_shift_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=re.escape(match)):
        make_shift_digits(random_state=0, **kwargs)


# ------------------------------------------------------------------ background digits


@pytest.mark.parametrize("key", ["background_texture", "background_noise"])
def test_background_populations(bunches, key):
    bunch = bunches[key]
    assert bunch.population_names == ["digits 0-4", "digits 5-9"]
    for suffix in ("", "_test"):
        target, population = bunch["target" + suffix], bunch["sensitive" + suffix]
        np.testing.assert_array_equal(population, (target >= 5).astype(int))
        assert set(target[population == 0]) == {0, 1, 2, 3, 4}
        assert set(target[population == 1]) == {5, 6, 7, 8, 9}
        backgrounds = bunch["backgrounds" + suffix]
        source = SOURCE_IMAGES[bunch["source_index" + suffix]]
        np.testing.assert_allclose(bunch["images" + suffix],
                                   source + backgrounds * (1 - source))
        assert backgrounds.min() >= 0 and backgrounds.max() <= 0.5 + 1e-12
        # one background per image, not shared
        assert np.unique(backgrounds.reshape(len(backgrounds), -1), axis=0).shape[0] == \
            len(backgrounds)


def test_background_texture_is_smoother_than_noise(bunches):
    def neighbour_correlation(backgrounds):
        left, right = backgrounds[:, :, :-1].ravel(), backgrounds[:, :, 1:].ravel()
        return np.corrcoef(left, right)[0, 1]

    assert neighbour_correlation(bunches["background_texture"].backgrounds) > 0.5
    assert abs(neighbour_correlation(bunches["background_noise"].backgrounds)) < 0.1


def test_background_bad_arguments():
    with pytest.raises(ValueError, match="background must be one of 'noise', 'texture'"):
        make_background_digits(background="grass")
    for strength in (2, None):
        with pytest.raises(ValueError, match=re.escape("strength must be a number in (0, 1]")):
            make_background_digits(strength=strength)


# ------------------------------------------------------------------ occluded digits


def test_occluded_protocol(bunches):
    bunch = bunches["occluded"]
    assert bunch.image_shape == (1, 16, 16)
    for suffix in ("", "_test"):
        sources = bunch["source_index" + suffix]
        occluders = bunch["occluder_index" + suffix]
        positions = bunch["occluder_position" + suffix]
        assert np.unique(sources).shape[0] == sources.shape[0]  # each main digit once
        assert set(occluders) <= set(sources)  # occluders from the same split
        assert np.all(occluders != sources)
        np.testing.assert_array_equal(bunch["sensitive" + suffix], SOURCE_LABELS[occluders])
        assert set(positions.ravel()) == {0, 8}
        images = bunch["images" + suffix]
        for i in range(5):  # the occluder is drawn over its quadrant (pixel-wise maximum)
            r, c = positions[i]
            patch = images[i, r:r + 8, c:c + 8]
            assert np.all(patch >= SOURCE_IMAGES[occluders[i]] - 1e-12)
    # the occluder class is not tied to the main class
    assert np.mean(bunch.sensitive == bunch.target) < 0.2


# ------------------------------------------------------------------ sprites


def test_sprites_factors(bunches):
    bunch = bunches["sprites"]
    assert bunch.factor_names == ["shape", "scale", "orientation", "pos_x", "pos_y"]
    assert bunch.sensitive_names == ["scale", "orientation", "pos_x", "pos_y"]
    assert bunch.target_names == ["square", "ellipse", "triangle"]
    assert bunch.factor_sizes == [3, 2, 4, 2, 2]
    assert bunch.sensitive.dtype == np.int64 and bunch.sensitive.shape == (300, 4)
    np.testing.assert_array_equal(bunch.factors[:, 0], bunch.target)
    np.testing.assert_array_equal(bunch.factors[:, 1:], bunch.sensitive)
    for j, levels in enumerate(bunch.factor_sizes):  # every level drawn
        assert set(bunch.factors[:, j]) == set(range(levels))
    assert bunch.factor_values.shape == (300, 5)
    # every image shows a shape; the larger scale bin has more ink
    ink = bunch.data.sum(axis=1)
    assert ink.min() > 0
    assert ink[bunch.sensitive[:, 0] == 1].mean() > 1.3 * ink[bunch.sensitive[:, 0] == 0].mean()
    # the position bins move the centre of mass
    cols = np.arange(bunch.images.shape[2])
    centre_col = (bunch.images * cols).sum(axis=(1, 2)) / ink
    right, left = centre_col[bunch.sensitive[:, 2] == 1], centre_col[bunch.sensitive[:, 2] == 0]
    assert right.mean() > left.mean() + 1.5
    assert right.min() > left.max() - 1


def test_sprites_size():
    bunch = make_sprites(n_samples=10, size=8, random_state=0)
    assert bunch.images.shape == (10, 8, 8) and bunch.image_shape == (1, 8, 8)
    # nothing is cut off at the border: the outer ring is dark
    assert bunch.images[:, 0, :].max() < 0.5 and bunch.images[:, :, -1].max() < 0.5


@pytest.mark.parametrize("kwargs, match", [
    ({"n_samples": 0}, "n_samples must be a positive integer"),
    ({"n_samples": 2.5}, "n_samples must be a positive integer"),
    ({"size": 4}, "size must be an integer of at least 8"),
    ({"size": 16.0}, "size must be an integer of at least 8"),
])
def test_sprites_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_sprites(**kwargs)
