"""One catalogue of bad inputs over every public object, found by discovery.

Every estimator in ``skentropy.__all__``, every function of
``skentropy.metrics``, ``skentropy.datasets`` and ``skentropy.sequences``
whose signature takes the argument a case needs: a new public object gets
the catalogue for free. A bad input must raise a ValueError or TypeError
(scikit-learn's InvalidParameterError is a ValueError) whose message is not
empty, before any work, without writing into the caller's arrays and
without a NumPy RuntimeWarning.
"""

import inspect
import warnings

import numpy as np
import pytest
from sklearn.base import BaseEstimator, is_classifier

import skentropy
import skentropy.datasets
import skentropy.metrics
import skentropy.sequences

ESTIMATORS = sorted(
    (
        getattr(skentropy, name)
        for name in skentropy.__all__
        if isinstance(getattr(skentropy, name), type)
        and issubclass(getattr(skentropy, name), BaseEstimator)
    ),
    key=lambda cls: cls.__name__,
)


def _is_sequence_estimator(cls):
    return "LSTM" in cls.__name__


def _good_data(cls):
    rng = np.random.RandomState(0)
    shape = (12, 4, 2) if _is_sequence_estimator(cls) else (12, 3)
    X = rng.normal(size=shape)
    first = X.reshape(12, -1)[:, 0]
    y = (first > 0).astype(int) if is_classifier(cls()) else first.copy()
    return X, y


def _with(X, index, value, dtype=None):
    X = X.astype(dtype or X.dtype, copy=True)
    X[index] = value
    return X


def _estimator_cases(cls):
    """(name, X, y, fit kwargs) of inputs ``fit`` must refuse."""
    X, y = _good_data(cls)
    first = (0,) * X.ndim
    y_none = y.astype(object)
    y_none[3] = None
    cases = [
        ("NaN in X", _with(X, first, np.nan), y, {}),
        ("inf in X", _with(X, first, np.inf), y, {}),
        ("None in y", X, y_none, {}),
        ("NaN in y", X, _with(y, 2, np.nan, float), {}),
        ("empty X", X[:0], y[:0], {}),
        ("X and y lengths differ", X, y[:-1], {}),
        ("words in X", np.full(X.shape, "abc", dtype=object), y, {}),
        ("complex X", X + 1j, y, {}),
        ("1-D X", X.reshape(-1)[:12], y, {}),
        ("4-D X", X.reshape(*X.shape, 1)[..., None], y, {}),
        ("sample_weight of the wrong length", X, y, {"sample_weight": np.ones(5)}),
        ("negative sample_weight", X, y, {"sample_weight": np.r_[-1.0, np.ones(11)]}),
        ("all-zero sample_weight", X, y, {"sample_weight": np.zeros(12)}),
    ]
    if is_classifier(cls()):
        cases.append(("mixed label types", X, np.array([1, "a"] * 6, dtype=object), {}))
    return cases


def _refuses(call, arrays=()):
    """Run ``call``; it must raise a ValueError/TypeError with a message,
    leave ``arrays`` untouched and let no RuntimeWarning out."""
    before = [np.array(a, copy=True) for a in arrays]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises((ValueError, TypeError)) as error:
            call()
    assert str(error.value).strip(), "an error without a message"
    for a, b in zip(arrays, before, strict=True):
        np.testing.assert_array_equal(np.asarray(a), b)
    leaked = [
        str(w.message)
        for w in caught
        if issubclass(w.category, RuntimeWarning)
        # scikit-learn's finiteness check sums +inf and -inf itself
        and "encountered in reduce" not in str(w.message)
    ]
    assert not leaked, leaked
    return error.value


ESTIMATOR_CASES = [
    pytest.param(cls, name, X, y, kwargs, id=f"{cls.__name__}-{name}")
    for cls in ESTIMATORS
    for name, X, y, kwargs in _estimator_cases(cls)
]


@pytest.mark.parametrize("cls, name, X, y, kwargs", ESTIMATOR_CASES)
def test_fit_refuses_bad_input_clearly(cls, name, X, y, kwargs):
    estimator = cls(max_iter=2, random_state=0)
    arrays = [a for a in (X, y, *kwargs.values()) if a.dtype != object]
    error = _refuses(lambda: estimator.fit(X, y, **kwargs), arrays)
    if "sample_weight" in name:
        assert "sample_weight" in str(error) or "Sample weights" in str(error)


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_predict_refuses_bad_input_clearly(cls):
    X, y = _good_data(cls)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        estimator = cls(max_iter=2, random_state=0).fit(X, y)
    bad = {
        "NaN": _with(X, (0,) * X.ndim, np.nan),
        "one more feature": np.concatenate([X, X[..., :1]], axis=-1),
        "words": np.full(X.shape, "abc", dtype=object),
    }
    for name, Z in bad.items():
        arrays = [Z] if Z.dtype != object else []
        _refuses(lambda Z=Z: estimator.predict(Z), arrays)
        if hasattr(estimator, "predict_proba"):
            _refuses(lambda Z=Z: estimator.predict_proba(Z), arrays)
        assert name  # every case ran


# -- functions -----------------------------------------------------------------
def _public_functions(module):
    for name in module.__all__:
        obj = getattr(module, name)
        if inspect.isfunction(obj):
            yield name, obj


def _takes(function, parameter):
    return parameter in inspect.signature(function).parameters


METRICS = [
    (name, f)
    for name, f in _public_functions(skentropy.metrics)
    if _takes(f, "y_true") and _takes(f, "y_pred") and not _takes(f, "estimator")
]
METRIC_CASES = {
    "NaN in y_pred": (np.zeros(5), np.r_[np.nan, np.zeros(4)], {}),
    "inf in y_true": (np.r_[np.inf, np.zeros(4)], np.zeros(5), {}),
    "lengths differ": (np.zeros(5), np.zeros(4), {}),
    "empty": (np.zeros(0), np.zeros(0), {}),
    "negative kernel_width": (np.zeros(5), np.ones(5), {"kernel_width": -1.0}),
    "zero kernel_width": (np.zeros(5), np.ones(5), {"kernel_width": 0.0}),
    "negative sample_weight": (
        np.zeros(5),
        np.ones(5),
        {"sample_weight": np.r_[-1.0, np.ones(4)]},
    ),
    "strings": (np.array(["a"] * 5), np.zeros(5), {}),
}


@pytest.mark.parametrize("case", list(METRIC_CASES))
@pytest.mark.parametrize("name, metric", METRICS, ids=[n for n, _ in METRICS])
def test_metrics_refuse_bad_input_clearly(name, metric, case):
    y_true, y_pred, kwargs = METRIC_CASES[case]
    arrays = [a for a in (y_true, y_pred, *kwargs.values()) if np.ndim(a)]
    error = _refuses(lambda: metric(y_true, y_pred, **kwargs), arrays)
    for parameter in ("kernel_width", "sample_weight"):
        if parameter in case:
            assert parameter in str(error), str(error)


DATASETS = [
    (name, f)
    for name, f in _public_functions(skentropy.datasets)
    if name.startswith("make_")
]
DATASET_CASES = (
    [("n_samples", value) for value in (np.nan, np.inf, None, -1, 0.5, "3")]
    + [("noise", value) for value in (np.inf, -1.0, "1", None)]
    + [("max_length", value) for value in (np.nan, -3, "long")]
    + [("random_state", "seed")]
)


@pytest.mark.parametrize(
    "parameter, value", DATASET_CASES, ids=[f"{p}={v!r}" for p, v in DATASET_CASES]
)
@pytest.mark.parametrize("name, make", DATASETS, ids=[n for n, _ in DATASETS])
def test_dataset_generators_refuse_bad_parameters_by_name(name, make, parameter, value):
    if not _takes(make, parameter):
        pytest.skip(f"{name} has no {parameter}")
    error = _refuses(lambda: make(**{parameter: value}))
    assert parameter in str(error), str(error)


SEQUENCE_FUNCTIONS = [
    (name, f)
    for name, f in _public_functions(skentropy.sequences)
    if _takes(f, "sequences") or _takes(f, "X")
]
SEQUENCE_CASES = {
    "empty list": [],
    "a string": "abc",
    "ragged channel counts": [np.zeros((3, 2)), np.zeros((4, 3))],
    "an empty sequence": [np.zeros((0, 2)), np.zeros((3, 2))],
    "a 4-D array": np.zeros((2, 3, 2, 1)),
}


@pytest.mark.parametrize("case", list(SEQUENCE_CASES))
@pytest.mark.parametrize(
    "name, function", SEQUENCE_FUNCTIONS, ids=[n for n, _ in SEQUENCE_FUNCTIONS]
)
def test_sequence_helpers_refuse_bad_input_clearly(name, function, case):
    value = SEQUENCE_CASES[case]
    if case == "ragged channel counts" and name != "pad_sequences":
        pytest.skip("only pad_sequences takes a list of sequences")
    _refuses(lambda: function(value))
