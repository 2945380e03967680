"""Property tests: random shapes, dtypes and values, one family at a time.

Whatever the data, an estimator either fits and then predicts without NaN,
or refuses with a ValueError/TypeError that says something; it never
writes into the caller's arrays, and no NumPy RuntimeWarning escapes a fit
that succeeded.
"""

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.exceptions import ConvergenceWarning

from skentropy import (
    EEMLSTMClassifier,
    EEMLSTMRegressor,
    EEMMLPClassifier,
    EEMMLPRegressor,
    EOMRegressor,
    MinEntMLPClassifier,
)

FAMILIES = {
    "MinEntMLPClassifier": (MinEntMLPClassifier, "classifier", 2),
    "EEMMLPClassifier": (EEMMLPClassifier, "classifier", 2),
    "EEMMLPRegressor": (EEMMLPRegressor, "regressor", 2),
    "EOMRegressor": (EOMRegressor, "regressor", 2),
    "EEMLSTMClassifier": (EEMLSTMClassifier, "classifier", 3),
    "EEMLSTMRegressor": (EEMLSTMRegressor, "regressor", 3),
}
SMALL = {"max_iter": 3, "random_state": 0}
# Values across the float range, with the occasional NaN or inf.
VALUES = st.one_of(
    st.floats(-1e6, 1e6, allow_nan=False, width=32),
    st.sampled_from([0.0, 1e-300, -1e-300, 1e30, -1e30, np.nan, np.inf, -np.inf]),
)


@st.composite
def problems(draw, ndim, kind):
    n = draw(st.integers(1, 12))
    shape = (n, draw(st.integers(1, 4)))
    if ndim == 3:
        shape = (n, draw(st.integers(1, 5)), draw(st.integers(1, 3)))
    dtype = draw(st.sampled_from([np.float64, np.float32, np.int64]))
    if dtype is np.int64:
        X = draw(arrays(np.int64, shape, elements=st.integers(-1000, 1000)))
    else:
        X = draw(arrays(np.float64, shape, elements=VALUES)).astype(dtype)
    if kind == "classifier":
        y = draw(arrays(np.int64, (n,), elements=st.integers(0, 2)))
    else:
        y = draw(arrays(np.float64, (n,), elements=VALUES))
    return X, y


def _check(cls, X, y):
    X_before, y_before = X.copy(), y.copy()
    estimator = cls(**SMALL)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.simplefilter("ignore", ConvergenceWarning)
        try:
            estimator.fit(X, y)
        except (ValueError, TypeError) as error:
            assert str(error).strip(), "an error without a message"
            fitted = False
        else:
            fitted = True
            prediction = np.asarray(estimator.predict(X))
    # On refused data the RuntimeWarning may be scikit-learn's own (its
    # finiteness check sums +inf and -inf); on accepted data it is ours.
    leaked = [w for w in caught if issubclass(w.category, RuntimeWarning)]
    assert not (fitted and leaked), [str(w.message) for w in leaked]
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(y, y_before)
    if fitted and prediction.dtype.kind == "f":
        assert not np.isnan(prediction).any()


@pytest.mark.parametrize("name", list(FAMILIES))
def test_random_data_fits_or_refuses_clearly(name):
    cls, kind, ndim = FAMILIES[name]

    @settings(
        max_examples=25,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(problems(ndim, kind))
    def run(problem):
        _check(cls, *problem)

    run()
