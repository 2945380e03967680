"""Activation tables: in-place forward functions and their derivatives.

Every derivative is checked against central finite differences in float64
(relative error < 1e-6), as the project rule requires for every activation.
"""

import numpy as np
import pytest
from _gradcheck import assert_gradient_close, numerical_gradient
from scipy.special import expit
from scipy.special import softmax as scipy_softmax

from skentropy._engine import ACTIVATIONS, DERIVATIVES

NAMES = ["identity", "logistic", "tanh", "relu", "softmax"]


def inputs(seed=0, shape=(5, 4)):
    rng = np.random.RandomState(seed)
    x = rng.uniform(-3, 3, shape)
    # Keep every entry at least 0.1 away from relu's kink.
    x[np.abs(x) < 0.1] += 0.5
    return x


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("seed", [0, 1])
def test_derivative_matches_finite_differences(name, seed):
    x = inputs(seed)
    upstream = np.random.RandomState(seed + 100).normal(size=x.shape)

    def f(xx):
        return float(np.sum(upstream * ACTIVATIONS[name](xx.copy())))

    numerical = numerical_gradient(f, x)
    z = ACTIVATIONS[name](x.copy())
    delta = upstream.copy()
    returned = DERIVATIVES[name](z, delta)
    assert returned is None
    assert_gradient_close(numerical, delta)


@pytest.mark.parametrize("name", NAMES)
def test_derivative_leaves_activated_output_alone(name):
    z = ACTIVATIONS[name](inputs(3))
    z_before = z.copy()
    delta = np.ones_like(z)
    DERIVATIVES[name](z, delta)
    np.testing.assert_array_equal(z, z_before)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_forward_is_in_place_and_returns_its_argument(name, dtype):
    x = inputs(4).astype(dtype)
    original = x.copy()
    out = ACTIVATIONS[name](x)
    assert out is x
    assert out.dtype == dtype
    expected = {
        "identity": lambda a: a,
        "logistic": expit,
        "tanh": np.tanh,
        "relu": lambda a: np.maximum(a, 0),
        "softmax": lambda a: scipy_softmax(a, axis=1),
    }[name](original.astype(np.float64))
    rtol = 1e-6 if dtype == np.float32 else 1e-14
    np.testing.assert_allclose(x, expected, rtol=rtol, atol=rtol * 1e-2)


@pytest.mark.parametrize("name", NAMES)
def test_derivative_is_in_place_and_keeps_dtype(name):
    x = inputs(5)
    z = ACTIVATIONS[name](x.astype(np.float32))
    upstream = np.random.RandomState(0).normal(size=z.shape)
    delta = upstream.astype(np.float32)
    assert DERIVATIVES[name](z, delta) is None
    assert delta.dtype == np.float32
    # The result lands in the caller's own array: dL/d(pre-activation), as the
    # closed-form derivatives of the float64 pre-activations give it.
    p = expit(x)
    soft = scipy_softmax(x, axis=1)
    expected = {
        "identity": upstream,
        "logistic": upstream * p * (1 - p),
        "tanh": upstream * (1 - np.tanh(x) ** 2),
        "relu": upstream * (x > 0),
        "softmax": soft * (upstream - (upstream * soft).sum(axis=1, keepdims=True)),
    }[name]
    np.testing.assert_allclose(delta, expected, rtol=1e-5, atol=1e-6)


def test_softmax_is_stable_for_large_logits():
    x = np.array([[1000.0, 1000.0, 990.0], [-1000.0, -1001.0, -1002.0]])
    expected = scipy_softmax(x, axis=1)
    with np.errstate(all="raise"):
        out = ACTIVATIONS["softmax"](x)
    np.testing.assert_allclose(out, expected, rtol=1e-14)
    np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-15)


def test_relu_derivative_zeroes_inactive_units():
    z = ACTIVATIONS["relu"](np.array([[-1.0, 0.0, 2.0]]))
    delta = np.array([[5.0, 6.0, 7.0]])
    DERIVATIVES["relu"](z, delta)
    np.testing.assert_array_equal(delta, [[0.0, 0.0, 7.0]])


def test_tables_have_the_same_keys():
    assert set(ACTIVATIONS) == set(DERIVATIVES) == set(NAMES)
