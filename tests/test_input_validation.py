"""Bad targets, labels and sequence shapes: a clear ValueError, never NaN.

Every public estimator is discovered from ``skentropy.__all__``, so a new
one gets these checks for free. Each case names what it guards (issue 12,
items 1 and 7, and their neighbours):

- a missing target (``None`` in an object array, NaN, ``pd.NA``) is
  rejected with a message naming ``y``; before, ``None`` became NaN after
  scikit-learn's finiteness check and ``EOMRegressor`` predicted NaN;
- a missing or mixed-type class label, and such a ``classes`` argument,
  get a message that says so, not "Unknown label type" or a raw ``<``
  comparison error;
- numeric labels held in an object array are read as numbers;
- sequences with no time steps or no channels, an empty list, and ``None``
  inside a 3-D object array get a message, not an engine ``IndexError``.
"""

import inspect
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, is_classifier, is_regressor

import skentropy

ESTIMATORS = [
    obj
    for name in skentropy.__all__
    if inspect.isclass(obj := getattr(skentropy, name))
    and issubclass(obj, BaseEstimator)
]
REGRESSORS = [cls for cls in ESTIMATORS if is_regressor(cls())]
CLASSIFIERS = [cls for cls in ESTIMATORS if is_classifier(cls())]
SEQUENCE_ESTIMATORS = [
    cls for cls in ESTIMATORS if cls().__sklearn_tags__().input_tags.three_d_array
]
N = 20


def _small(cls, **params):
    """A fast instance: two iterations, few units."""
    names = cls().get_params()
    size = {"hidden_size": 3} if "hidden_size" in names else {}
    if "hidden_layer_sizes" in names:
        size = {"hidden_layer_sizes": (3,)}
    return cls(max_iter=2, random_state=0, **size, **params)


def _X(cls):
    rng = np.random.RandomState(0)
    if cls in SEQUENCE_ESTIMATORS:
        return rng.uniform(0.1, 0.9, (N, 4, 2))
    return rng.uniform(0.1, 0.9, (N, 3))


def _fit(est, X, y, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning at max_iter=2
        return est.fit(X, y, **kwargs)


def _with_missing(values, missing):
    y = np.asarray(values, dtype=object)
    y[3] = missing
    return y


def _regression_targets():
    values = list(np.linspace(0.2, 0.8, N))
    nullable = pd.array(values, dtype="Float64")
    nullable[3] = pd.NA
    return {
        "None in object array": _with_missing(values, None),
        "NaN in object array": _with_missing(values, np.nan),
        "None in list": [None if i == 3 else v for i, v in enumerate(values)],
        "pd.NA in Float64 array": nullable,
        "pd.NA in Float64 Series": pd.Series(nullable),
        "None in 2-D object array": np.column_stack(
            [_with_missing(values, None), values]
        ),
    }


def _label_targets():
    ints = [i % 2 for i in range(N)]
    strings = ["a" if i % 2 else "b" for i in range(N)]
    string_na = pd.Series(strings, dtype="string")
    string_na[3] = pd.NA
    category_nan = pd.Series(strings, dtype="category")
    category_nan[3] = np.nan
    return {
        "None among ints": _with_missing(ints, None),
        "None among strings": _with_missing(strings, None),
        "NaN among strings": _with_missing(strings, np.nan),
        "pd.NA in string Series": string_na,
        "NaN in categorical Series": category_nan,
        "pd.NA in Int64 array": pd.array(
            [pd.NA if i == 3 else v for i, v in enumerate(ints)], dtype="Int64"
        ),
    }


REGRESSION_TARGETS = _regression_targets()
LABEL_TARGETS = _label_targets()


@pytest.mark.parametrize("case", list(REGRESSION_TARGETS))
@pytest.mark.parametrize("cls", REGRESSORS, ids=lambda c: c.__name__)
def test_regressor_rejects_missing_target(cls, case):
    """Item 1: a missing target is an error naming y, not NaN predictions."""
    y = REGRESSION_TARGETS[case]
    with pytest.raises(ValueError, match=r"y contains 1 missing value.*index \(?3"):
        _fit(_small(cls), _X(cls), y)


@pytest.mark.parametrize("cls", REGRESSORS, ids=lambda c: c.__name__)
def test_regressor_reads_numeric_object_target(cls):
    """The check does not reject numbers stored in an object array."""
    y = np.linspace(0.2, 0.8, N)
    X = _X(cls)
    expected = _fit(_small(cls), X, y).predict(X)
    pred = _fit(_small(cls), X, y.astype(object)).predict(X)
    np.testing.assert_allclose(pred, expected)


@pytest.mark.parametrize("loss", ["squared_error", "eem"])
def test_every_step_regressor_rejects_missing_target(loss):
    """Item 1 for per-step targets of ``readout="every_step"``."""
    cls = skentropy.EEMLSTMRegressor
    y = np.linspace(0.2, 0.8, N * 4).reshape(N, 4).astype(object)
    y[3, 2] = None
    est = _small(cls, readout="every_step", loss=loss)
    with pytest.raises(ValueError, match=r"y contains 1 missing value.*index \(3, 2\)"):
        _fit(est, _X(cls), y)


@pytest.mark.parametrize("case", list(LABEL_TARGETS))
@pytest.mark.parametrize("cls", CLASSIFIERS, ids=lambda c: c.__name__)
def test_classifier_rejects_missing_label(cls, case):
    """Item 7 and its neighbours: a missing label is named as one."""
    with pytest.raises(ValueError, match=r"y contains 1 missing value.*index 3"):
        _fit(_small(cls), _X(cls), LABEL_TARGETS[case])


def test_every_step_classifier_rejects_missing_indicator():
    cls = skentropy.EEMLSTMClassifier
    y = np.tile([[0, 1]], (N, 4)).astype(object)
    y[5, 1] = None
    est = _small(cls, readout="every_step", loss="mse")
    with pytest.raises(ValueError, match=r"y contains 1 missing value.*index \(5, 1\)"):
        _fit(est, _X(cls), y)


@pytest.mark.parametrize("container", ["object array", "list"])
@pytest.mark.parametrize("first", [1, "a"])
@pytest.mark.parametrize("cls", CLASSIFIERS, ids=lambda c: c.__name__)
def test_classifier_rejects_mixed_label_types(cls, first, container):
    """Item 7: [1, "a"] labels get scikit-learn's "Mix of label input types".

    Before: "Unknown label type" or a raw ``'<' not supported`` TypeError for
    an object array, and a list was silently read as the strings "1", "a".
    """
    other = "a" if first == 1 else 1
    y = [first if i % 2 else other for i in range(N)]
    if container == "object array":
        y = np.array(y, dtype=object)
    with pytest.raises(
        ValueError, match=r"Mix of label input types \(string and number\) in y"
    ):
        _fit(_small(cls), _X(cls), y)


@pytest.mark.parametrize("cls", CLASSIFIERS, ids=lambda c: c.__name__)
def test_classifier_reads_numeric_labels_in_object_array(cls):
    """Integer labels in an object array (a pandas object column) are numbers.

    Before, they met "Unknown label type: unknown ... continuous values".
    """
    y = np.array([i % 2 for i in range(N)], dtype=object)
    est = _fit(_small(cls), _X(cls), y)
    np.testing.assert_array_equal(est.classes_, [0, 1])
    assert est.predict(_X(cls)).dtype.kind == "i"


@pytest.mark.parametrize(
    ("classes", "match"),
    [
        (np.array([0, 1, None], dtype=object), r"classes contains 1 missing value"),
        (np.array([0, 1, "a"], dtype=object), r"Mix of label input types.*classes"),
    ],
)
@pytest.mark.parametrize("cls", CLASSIFIERS, ids=lambda c: c.__name__)
def test_partial_fit_checks_classes(cls, classes, match):
    """The ``classes`` argument gets the label checks of ``y``."""
    est = _small(cls)
    if not hasattr(est, "partial_fit"):
        pytest.skip("no partial_fit for this solver")
    with pytest.raises(ValueError, match=match):
        est.partial_fit(_X(cls), [i % 2 for i in range(N)], classes=classes)


def _sequence_y(cls, n):
    return np.arange(n) % 2 if is_classifier(cls()) else np.linspace(0, 1, n)


@pytest.mark.parametrize("empty", ["time steps", "channels"])
@pytest.mark.parametrize("layout", ["ntc", "nct"])
@pytest.mark.parametrize("readout", ["last", "every_step"])
@pytest.mark.parametrize("cls", SEQUENCE_ESTIMATORS, ids=lambda c: c.__name__)
def test_empty_sequence_axes(cls, readout, layout, empty):
    """Item 7: no engine IndexError / reshape error for an empty axis."""
    steps, channels = (0, 2) if empty == "time steps" else (4, 0)
    shape = (5, steps, channels) if layout == "ntc" else (5, channels, steps)
    match = re.escape(f"X has 0 {empty}: shape {shape}, read with layout='{layout}'")
    params = {"readout": readout, "layout": layout}
    if is_classifier(cls()):
        params["loss"] = "mse"  # every_step needs it (or cross_entropy)
    y = _sequence_y(cls, 5)
    if readout == "every_step":
        y = np.zeros((5, 4))
    with pytest.raises(ValueError, match=match):
        _fit(_small(cls, **params), np.empty(shape), y)
    X = _X(cls) if layout == "ntc" else _X(cls).transpose(0, 2, 1)
    fitted = _fit(_small(cls, layout=layout), X, _sequence_y(cls, N))
    with pytest.raises(ValueError, match=match):
        fitted.predict(np.empty(shape))


@pytest.mark.parametrize("cls", SEQUENCE_ESTIMATORS, ids=lambda c: c.__name__)
def test_no_sequences(cls):
    """Zero sequences, as an array or an empty list, name the estimator."""
    with pytest.raises(ValueError, match=f"0 sample.*{cls.__name__}"):
        _fit(_small(cls), np.empty((0, 4, 2)), _sequence_y(cls, 0))
    with pytest.raises(ValueError, match="X is an empty list"):
        _fit(_small(cls), [], _sequence_y(cls, 0))
    fitted = _fit(_small(cls), _X(cls), _sequence_y(cls, N))
    with pytest.raises(ValueError, match=f"0 sample.*{cls.__name__}"):
        fitted.predict(np.empty((0, 4, 2)))
    with pytest.raises(ValueError, match="X is an empty list"):
        fitted.predict([])


@pytest.mark.parametrize("cls", SEQUENCE_ESTIMATORS, ids=lambda c: c.__name__)
def test_none_in_sequences_is_not_padding(cls):
    """Item 1's neighbour in X: None is missing data, not a NaN padding step."""
    X = _X(cls).astype(object)
    X[2, -1, :] = None
    with pytest.raises(ValueError, match=r"X contains None.*sequence 2, step 3"):
        _fit(_small(cls), X, _sequence_y(cls, N))


@pytest.mark.parametrize("cls", CLASSIFIERS, ids=lambda c: c.__name__)
def test_classifier_nan_label_in_float_array(cls):
    """NaN among float labels: scikit-learn's message, no RuntimeWarning.

    ``EEMLSTMClassifier`` skipped the finiteness check, so NumPy's "invalid
    value encountered in cast" leaked from ``type_of_target``.
    """
    y = np.arange(N) % 2.0
    y[2] = np.nan
    est = _small(cls)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.raises(ValueError, match="Input y contains NaN"):
            est.fit(_X(cls), y)
