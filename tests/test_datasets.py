"""Tests for the offline Adult and German credit loaders."""

import numpy as np
import pandas as pd
import pytest

from fairrep.datasets import load_adult, load_german


def _check_array_bunch(bunch, n_rows):
    assert isinstance(bunch.data, np.ndarray)
    assert bunch.data.dtype == np.float64
    assert bunch.data.shape == (n_rows, len(bunch.feature_names))
    assert not np.isnan(bunch.data).any()
    assert isinstance(bunch.target, np.ndarray)
    assert np.issubdtype(bunch.target.dtype, np.integer)
    assert bunch.target.shape == (n_rows,)
    assert set(np.unique(bunch.target)) == {0, 1}
    assert bunch.sensitive.shape == (n_rows,)
    assert bunch.frame is None
    assert "CC BY 4.0" in bunch.DESCR


# ----------------------------------------------------------------- Adult


@pytest.mark.parametrize("subset, n_rows", [("train", 30162), ("test", 15060), ("all", 45222)])
def test_adult_rows_and_arrays(subset, n_rows):
    bunch = load_adult(subset=subset)
    _check_array_bunch(bunch, n_rows)
    assert bunch.target_names == ["<=50K", ">50K"]
    assert bunch.sensitive_name == "sex"
    assert set(bunch.sensitive) == {"Female", "Male"}


def test_adult_train_test_same_features():
    train = load_adult(subset="train")
    test = load_adult(subset="test")
    assert train.feature_names == test.feature_names
    assert train.data.shape[1] == test.data.shape[1]
    assert len(set(train.feature_names)) == len(train.feature_names)
    assert "workclass=Private" in train.feature_names


def test_adult_preprocessing_uses_train_statistics():
    train = load_adult(subset="train")
    all_ = load_adult(subset="all")
    n_num = 6
    np.testing.assert_allclose(train.data[:, :n_num].mean(axis=0), 0.0, atol=1e-10)
    np.testing.assert_allclose(train.data[:, :n_num].std(axis=0), 1.0, atol=1e-10)
    # the "all" subset starts with the train rows, preprocessed identically
    np.testing.assert_array_equal(all_.data[: len(train.target)], train.data)
    # one-hot rows: exactly one active category per categorical column
    onehot = train.data[:, n_num:]
    assert set(np.unique(onehot)) <= {0.0, 1.0}
    assert np.all(onehot.sum(axis=1) == 7)  # 8 categoricals minus "sex"


def test_adult_sex_majority_share():
    sens = load_adult(subset="train").sensitive
    share = np.mean(sens == "Male")
    assert 0.66 < share < 0.69


def test_adult_sensitive_excluded_from_data():
    bunch = load_adult(sensitive="sex")
    assert not any(name == "sex" or name.startswith("sex=") for name in bunch.feature_names)
    assert any(name.startswith("race=") for name in bunch.feature_names)

    race = load_adult(sensitive="race")
    assert not any(name.startswith("race=") for name in race.feature_names)
    assert any(name.startswith("sex=") for name in race.feature_names)
    assert {"White", "Black"} <= set(race.sensitive)

    age = load_adult(sensitive="age")
    assert "age" not in age.feature_names
    assert age.sensitive.dtype == np.float64
    assert age.sensitive.min() >= 17
    assert age.data.shape[0] == 30162


def test_adult_as_frame():
    bunch = load_adult(subset="test", as_frame=True)
    frame = bunch.frame
    assert isinstance(frame, pd.DataFrame)
    assert frame.shape == (15060, 15)
    assert "income" in frame.columns and "sex" in frame.columns
    for col in ["workclass", "education", "race", "sex", "native-country"]:
        assert isinstance(frame[col].dtype, pd.CategoricalDtype)
    for col in ["age", "fnlwgt", "hours-per-week"]:
        assert pd.api.types.is_integer_dtype(frame[col].dtype)

    data = bunch.data
    assert isinstance(data, pd.DataFrame)
    assert data.shape == (15060, 13)
    assert "income" not in data.columns and "sex" not in data.columns
    assert list(data.columns) == bunch.feature_names
    assert isinstance(data["occupation"].dtype, pd.CategoricalDtype)

    assert isinstance(bunch.target, pd.Series) and bunch.target.name == "income"
    assert pd.api.types.is_integer_dtype(bunch.target.dtype)
    assert isinstance(bunch.sensitive, pd.Series) and bunch.sensitive.name == "sex"
    assert set(bunch.sensitive) == {"Female", "Male"}

    # categories are fixed: train and test frames share them
    train = load_adult(subset="train", as_frame=True)
    for col in ["workclass", "native-country"]:
        assert list(train.data[col].cat.categories) == list(data[col].cat.categories)


def test_adult_return_X_y():
    X, y, s = load_adult(subset="test", return_X_y=True)
    bunch = load_adult(subset="test")
    np.testing.assert_array_equal(X, bunch.data)
    np.testing.assert_array_equal(y, bunch.target)
    np.testing.assert_array_equal(s, bunch.sensitive)


# ----------------------------------------------------------------- German


@pytest.mark.parametrize("subset, n_rows", [("all", 1000), ("train", 700), ("test", 300)])
def test_german_rows_and_arrays(subset, n_rows):
    bunch = load_german(subset=subset)
    _check_array_bunch(bunch, n_rows)
    assert bunch.target_names == ["bad", "good"]
    assert set(bunch.sensitive) == {"female", "male"}


def test_german_split():
    all_ = load_german()
    assert all_.target.sum() == 700
    train = load_german(subset="train")
    test = load_german(subset="test")
    assert train.feature_names == test.feature_names == all_.feature_names
    # stratified: same good-credit share in both parts
    assert train.target.mean() == pytest.approx(0.7)
    assert test.target.mean() == pytest.approx(0.7)
    # deterministic, and the two parts partition the full file
    again = load_german(subset="train")
    np.testing.assert_array_equal(train.data, again.data)
    both = np.vstack([train.data, test.data])
    assert np.unique(both, axis=0).shape[0] == np.unique(all_.data, axis=0).shape[0]
    other = load_german(subset="train", random_state=1)
    assert not np.array_equal(other.data, train.data)


def test_german_sensitive_excluded_from_data():
    sex = load_german(sensitive="sex")
    assert not any(n.startswith("personal_status") for n in sex.feature_names)
    assert "age" in sex.feature_names
    assert (sex.sensitive == "male").sum() == 690

    age = load_german(sensitive="age")
    assert "age" not in age.feature_names
    assert any(n.startswith("personal_status=") for n in age.feature_names)
    assert age.sensitive.dtype == np.float64
    assert age.sensitive.min() >= 18


def test_german_as_frame():
    bunch = load_german(as_frame=True)
    frame = bunch.frame
    assert frame.shape[0] == 1000
    assert {"personal_status", "sex", "credit", "age"} <= set(frame.columns)
    for col in ["checking_status", "purpose", "housing", "sex"]:
        assert isinstance(frame[col].dtype, pd.CategoricalDtype)
    assert pd.api.types.is_integer_dtype(frame["credit_amount"].dtype)
    assert frame["checking_status"].iloc[0] == "... < 0 DM"
    assert bunch.data.shape == (1000, 19)
    assert "personal_status" not in bunch.data.columns
    assert "credit" not in bunch.data.columns
    assert bunch.target.name == "credit"
    assert bunch.sensitive.name == "sex"


def test_german_return_X_y():
    X, y, s = load_german(sensitive="age", return_X_y=True)
    assert X.shape[0] == y.shape[0] == s.shape[0] == 1000


# ----------------------------------------------------------------- errors / cache


@pytest.mark.parametrize("loader", [load_adult, load_german])
def test_bad_arguments(loader):
    with pytest.raises(ValueError, match="sensitive"):
        loader(sensitive="income")
    with pytest.raises(ValueError, match="subset"):
        loader(subset="validation")
    with pytest.raises(ValueError, match="sensitive must be one of .* Did you mean 'sex'"):
        loader(sensitive="sexx")


def test_adult_cache_not_mutated():
    first = load_adult(subset="test")
    expected = first.data.copy()
    first.data[:] = -999.0
    first.target[:] = 7
    first.sensitive[:] = "x"
    frame = load_adult(subset="test", as_frame=True)
    frame.frame.loc[:, "age"] = -1
    frame.data.loc[:, "fnlwgt"] = -1
    second = load_adult(subset="test")
    np.testing.assert_array_equal(second.data, expected)
    assert set(np.unique(second.target)) == {0, 1}
    assert set(second.sensitive) == {"Female", "Male"}
    assert load_adult(subset="test", as_frame=True).frame["age"].min() >= 17


def test_german_cache_not_mutated():
    first = load_german(as_frame=True)
    first.frame.loc[:, "duration"] = -1
    first.data.loc[:, "duration"] = -1
    arr = load_german()
    expected = arr.data.copy()
    arr.data[:] = 0.0
    assert load_german(as_frame=True).frame["duration"].min() > 0
    np.testing.assert_array_equal(load_german().data, expected)
