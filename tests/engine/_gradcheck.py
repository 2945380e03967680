"""Finite-difference gradient checking shared by the engine tests."""

import numpy as np


def numerical_gradient(f, x, h=1e-4):
    """Fourth-order central differences of the scalar ``f`` at ``x``."""
    grad = np.empty_like(x)
    for idx in np.ndindex(x.shape):

        def at(step, idx=idx):
            shifted = x.copy()
            shifted[idx] += step
            return f(shifted)

        grad[idx] = (8 * (at(h) - at(-h)) - (at(2 * h) - at(-2 * h))) / (12 * h)
    return grad


def assert_gradient_close(numerical, analytic, rtol=1e-6):
    """Relative error of the whole gradient below ``rtol``, and elementwise too."""
    denom = np.linalg.norm(numerical + analytic)
    assert denom > 0
    assert np.linalg.norm(numerical - analytic) / denom < rtol
    # Elementwise as well, with a small absolute floor for near-zero entries.
    np.testing.assert_allclose(analytic, numerical, rtol=rtol, atol=1e-9)
