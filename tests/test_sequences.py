"""Sequence layout helpers and lagged columns (skentropy.sequences)."""

import numpy as np
import pandas as pd
import pytest
from sklearn import config_context
from sklearn.utils.estimator_checks import (
    check_dataframe_column_names_consistency,
    check_global_output_transform_pandas,
    check_param_validation,
    check_set_output_transform,
    check_set_output_transform_pandas,
    parametrize_with_checks,
)

from skentropy.sequences import LagFeatures, make_lagged_frame, to_2d, to_3d


def _series_frame(n_rows=8, names=("x1", "x2", "x3")):
    """Channel c at time t holds 100 * (c + 1) + t, so every value says where it is."""
    data = {name: 100.0 * (c + 1) + np.arange(n_rows) for c, name in enumerate(names)}
    return pd.DataFrame(data, index=pd.date_range("2026-01-01", periods=n_rows))


# ---------------------------------------------------------------- to_3d / to_2d


def test_to_3d_is_time_major_oldest_first():
    X = np.array([[1, 10, 2, 20, 3, 30], [4, 40, 5, 50, 6, 60]])
    X3 = to_3d(X, n_channels=2)
    assert X3.shape == (2, 3, 2)
    np.testing.assert_array_equal(X3[:, :, 0], [[1, 2, 3], [4, 5, 6]])
    np.testing.assert_array_equal(X3[:, -1, :], [[3, 30], [6, 60]])
    assert np.shares_memory(X3, X)  # a view
    np.testing.assert_array_equal(to_3d(X), X[:, :, None])  # default: 1 channel


@pytest.mark.parametrize("shape", [(4, 5, 3), (1, 1, 1), (3, 7, 1), (0, 2, 2)])
def test_round_trip(shape):
    rng = np.random.default_rng(0)
    X3 = rng.normal(size=shape)
    X2 = to_2d(X3)
    assert X2.shape == (shape[0], shape[1] * shape[2])
    np.testing.assert_array_equal(
        X2, X3.reshape(shape[0], shape[1] * shape[2], order="C")
    )
    np.testing.assert_array_equal(to_3d(X2, n_channels=shape[2]), X3)
    np.testing.assert_array_equal(to_2d(to_3d(X2, n_channels=shape[2])), X2)


def test_to_3d_accepts_frames_and_lists():
    frame = pd.DataFrame([[1, 2, 3, 4]], columns=list("abcd"))
    np.testing.assert_array_equal(to_3d(frame, 2), [[[1, 2], [3, 4]]])
    np.testing.assert_array_equal(to_3d([[1, 2, 3, 4]], 4), [[[1, 2, 3, 4]]])


def test_to_3d_errors():
    X = np.zeros((3, 10))
    with pytest.raises(ValueError, match="10 columns, not a multiple of n_channels=3"):
        to_3d(X, n_channels=3)
    with pytest.raises(ValueError, match=r"must be 2-D.*got 3-D"):
        to_3d(np.zeros((2, 3, 4)))
    with pytest.raises(ValueError, match=r"must be 2-D.*got 1-D"):
        to_3d(np.zeros(4))
    with pytest.raises(ValueError, match="n_channels must be >= 1"):
        to_3d(X, n_channels=0)
    for bad in (2.0, "2", True):
        with pytest.raises(TypeError, match="n_channels must be an int"):
            to_3d(X, n_channels=bad)


@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 4, 5), (5,)])
def test_to_2d_errors(shape):
    with pytest.raises(ValueError, match=f"must be 3-D.*got {len(shape)}-D"):
        to_2d(np.zeros(shape))


# ---------------------------------------------------------------- LagFeatures


def test_lag_order_names_and_values():
    frame = _series_frame(8, names=("x1", "x2"))
    lagger = LagFeatures(lags=3).fit(frame)
    Xt = lagger.transform(frame)
    assert isinstance(Xt, np.ndarray) and Xt.shape == (6, 6)
    names = lagger.get_feature_names_out().tolist()
    assert names == ["x1_lag2", "x2_lag2", "x1_lag1", "x2_lag1", "x1_lag0", "x2_lag0"]
    values = frame.to_numpy()
    for j, name in enumerate(names):
        channel, lag = name.split("_lag")
        column = values[:, ["x1", "x2"].index(channel)]
        # Output row i belongs to input row i + 2; lag k reads row i + 2 - k.
        np.testing.assert_array_equal(Xt[:, j], column[2 - int(lag) : 8 - int(lag)])
    assert lagger.n_channels_ == 2 and lagger.n_features_in_ == 2
    np.testing.assert_array_equal(lagger.feature_names_in_, ["x1", "x2"])


@pytest.mark.parametrize("lags", [1, 2, 5])
def test_round_trip_with_to_3d(lags):
    frame = _series_frame(10)
    Xt = LagFeatures(lags).fit_transform(frame)
    X3 = to_3d(Xt, n_channels=frame.shape[1])
    values = frame.to_numpy()
    assert X3.shape == (10 - lags + 1, lags, 3)
    np.testing.assert_array_equal(X3[:, -1, :], values[lags - 1 :])  # most recent
    np.testing.assert_array_equal(X3[:, 0, :], values[: 10 - lags + 1])  # oldest
    for i in range(X3.shape[0]):  # each row is the window, oldest first
        np.testing.assert_array_equal(X3[i], values[i : i + lags])
    np.testing.assert_array_equal(to_2d(X3), Xt)


def test_lags_one_is_the_identity():
    frame = _series_frame(5)
    np.testing.assert_array_equal(LagFeatures(1).fit_transform(frame), frame)


def test_pandas_output_keeps_the_rows_index():
    frame = _series_frame(6, names=("a", "b"))
    lagger = LagFeatures(2).set_output(transform="pandas")
    out = lagger.fit_transform(frame)
    assert isinstance(out, pd.DataFrame)
    assert out.columns.tolist() == ["a_lag1", "b_lag1", "a_lag0", "b_lag0"]
    pd.testing.assert_index_equal(out.index, frame.index[1:])
    np.testing.assert_array_equal(out.to_numpy(), LagFeatures(2).fit_transform(frame))
    with config_context(transform_output="pandas"):
        global_out = LagFeatures(2).fit(frame).transform(frame)
    pd.testing.assert_frame_equal(global_out, out)
    # An ndarray input gets a fresh RangeIndex.
    from_array = lagger.fit_transform(frame.to_numpy())
    assert from_array.columns.tolist() == ["x0_lag1", "x1_lag1", "x0_lag0", "x1_lag0"]
    pd.testing.assert_index_equal(from_array.index, pd.RangeIndex(5))


def test_ndarray_input_names():
    lagger = LagFeatures(3).fit(np.arange(12.0).reshape(6, 2))
    assert lagger.get_feature_names_out().tolist()[:2] == ["x0_lag2", "x1_lag2"]
    assert not hasattr(lagger, "feature_names_in_")
    names = lagger.get_feature_names_out(["u", "v"])
    assert names.tolist() == [f"{c}_lag{k}" for k in (2, 1, 0) for c in "uv"]


@pytest.mark.parametrize("columns", [["x3", "x1"], [2, 0], [-1, "x1"]])
def test_columns_select_and_order_the_series(columns):
    frame = _series_frame(6)
    lagger = LagFeatures(2, columns=columns).fit(frame)
    assert lagger.n_channels_ == 2
    np.testing.assert_array_equal(lagger.columns_, [2, 0])
    assert lagger.get_feature_names_out().tolist() == [
        "x3_lag1",
        "x1_lag1",
        "x3_lag0",
        "x1_lag0",
    ]
    X3 = to_3d(lagger.transform(frame), n_channels=2)
    np.testing.assert_array_equal(X3[:, -1, :], frame[["x3", "x1"]].to_numpy()[1:])


@pytest.mark.parametrize(
    ("columns", "match"),
    [
        (["nope"], "Column 'nope' is not in X"),
        ([3], "position 3 is out of range"),
        ([0, "x1"], "lists a column twice"),
        ([], "at least one column"),
        ([1.5], "column names \\(str\\) or positions \\(int\\)"),
    ],
)
def test_column_errors(columns, match):
    with pytest.raises(ValueError, match=match):
        LagFeatures(2, columns=columns).fit(_series_frame(4))


def test_column_names_need_a_frame():
    with pytest.raises(ValueError, match="no string column names"):
        LagFeatures(2, columns=["x1"]).fit(np.zeros((4, 2)))


def test_too_few_rows():
    lagger = LagFeatures(4).fit(_series_frame(10))
    with pytest.raises(ValueError, match="3 rows \\(time steps\\), fewer than lags=4"):
        lagger.transform(_series_frame(3))
    assert lagger.transform(_series_frame(4)).shape == (1, 12)


@pytest.mark.filterwarnings("ignore:X does not have valid feature names")
def test_reordered_or_wrong_frames_are_rejected():
    frame = _series_frame(6)
    lagger = LagFeatures(2).fit(frame)
    with pytest.raises(ValueError, match="Feature names must be in the same order"):
        lagger.transform(frame[["x2", "x1", "x3"]])
    with pytest.raises(ValueError, match="X has 2 features"):
        lagger.transform(np.zeros((6, 2)))


def test_nan_passes_through_and_dtype_is_kept():
    X = np.arange(10, dtype=np.float32).reshape(5, 2)
    X[1, 0] = np.nan
    Xt = LagFeatures(2).fit_transform(X)
    assert Xt.dtype == np.float32
    assert np.isnan(Xt[0, 2]) and np.isnan(Xt[1, 0])
    assert np.isnan(Xt).sum() == 2


def test_make_lagged_frame():
    frame = _series_frame(5, names=("a", "b"))
    lagged = make_lagged_frame(frame, 3)
    expected = LagFeatures(3).set_output(transform="pandas").fit_transform(frame)
    pd.testing.assert_frame_equal(lagged, expected)
    only_b = make_lagged_frame(frame, 2, columns=["b"])
    assert only_b.columns.tolist() == ["b_lag1", "b_lag0"]
    series = make_lagged_frame(pd.Series([1.0, 2.0, 3.0], name="y"), 2)
    assert series.columns.tolist() == ["y_lag1", "y_lag0"]
    np.testing.assert_array_equal(series.to_numpy(), [[1.0, 2.0], [2.0, 3.0]])
    unnamed = make_lagged_frame(pd.Series([1.0, 2.0]), 1)
    assert unnamed.columns.tolist() == ["x0_lag0"]
    with pytest.raises(TypeError, match="DataFrame or Series"):
        make_lagged_frame(np.zeros((4, 2)), 2)


# ---------------------------------------------------------------- sklearn checks

LAGGERS = [LagFeatures(1), LagFeatures(3)]
_DROPS_ROWS = "drops the first lags - 1 rows, so the output has fewer rows"


def _expected_failed_checks(estimator):
    if estimator.lags == 1:
        return {}
    return {
        "check_transformer_general": _DROPS_ROWS,
        "check_transformer_data_not_an_array": _DROPS_ROWS,
        "check_methods_sample_order_invariance": _DROPS_ROWS + " (rows are time)",
        "check_methods_subset_invariance": _DROPS_ROWS + " (rows are time)",
    }


@parametrize_with_checks(LAGGERS, expected_failed_checks=_expected_failed_checks)
def test_sklearn_compatible_transformer(estimator, check):
    check(estimator)


@pytest.mark.parametrize(
    "check",
    [
        check_param_validation,
        check_dataframe_column_names_consistency,
        check_set_output_transform,
        check_set_output_transform_pandas,
        check_global_output_transform_pandas,
    ],
    ids=lambda check: check.__name__,
)
@pytest.mark.filterwarnings("ignore:X does not have valid feature names")
@pytest.mark.filterwarnings("ignore:X has feature names")
def test_extra_checks(check):
    # The pandas-output checks expect the input's row index; with lags = 1
    # it is kept, with more lags the first rows go (see test_pandas_output...).
    check("LagFeatures", LagFeatures(1))
    if check in (check_param_validation, check_dataframe_column_names_consistency):
        check("LagFeatures", LagFeatures(3))
