"""LSTM layer: finite-difference gradients, shapes, dtype, and the 1997 cell."""

import numpy as np
import pytest
from _gradcheck import assert_gradient_close, numerical_gradient

from skentropy._engine.lstm import LSTM


def _setup(forget_gate, n=3, steps=5, n_inputs=4, hidden=3, seed=0, dtype=np.float64):
    rng = np.random.RandomState(seed)
    layer = LSTM(n_inputs, hidden, offset=2, forget_gate=forget_gate)
    params = np.zeros(layer.n_params + 2, dtype=dtype)
    layer.init_params(params, rng)
    params[layer.input_slice.start :] += rng.uniform(-0.3, 0.3, layer.n_params)
    x = rng.normal(size=(n, steps, n_inputs)).astype(dtype)
    weights = rng.normal(size=(n, steps, hidden)).astype(dtype)
    return layer, params, x, weights


@pytest.mark.parametrize("forget_gate", [True, False])
@pytest.mark.parametrize("last_step_only", [False, True])
def test_gradients_by_finite_differences(forget_gate, last_step_only):
    layer, params, x, weights = _setup(forget_gate)
    if last_step_only:  # sequence classification reads h_T only
        weights[:, :-1] = 0.0

    def loss(p, x=x):
        return float((layer.forward(p, x).outputs * weights).sum())

    grad = np.zeros_like(params)
    cache = layer.forward(params, x)
    dx = layer.backward(params, cache, weights, grad)
    assert_gradient_close(numerical_gradient(loss, params)[2:], grad[2:])
    assert_gradient_close(numerical_gradient(lambda xx: loss(params, xx), x), dx)


def test_scale_divides_weight_gradients_and_input_grad_is_optional():
    layer, params, x, weights = _setup(True)
    g1, g2 = np.zeros_like(params), np.zeros_like(params)
    cache = layer.forward(params, x)
    layer.backward(params, cache, weights, g1)
    assert (
        layer.backward(params, cache, weights, g2, scale=4.0, input_grad=False) is None
    )
    np.testing.assert_allclose(g2, g1 / 4.0)


def test_1997_cell_accumulates_and_modern_cell_has_forget_bias_one():
    layer, params, x, _ = _setup(False)
    cache = layer.forward(params, x)
    i = cache.gates[:, :, layer.i_cols]
    g = cache.gates[:, :, layer.g_cols]
    np.testing.assert_allclose(cache.cell[:, 1:], np.cumsum(i * g, axis=1))
    modern = LSTM(4, 3)
    p = np.zeros(modern.n_params)
    modern.init_params(p, np.random.RandomState(0))
    np.testing.assert_array_equal(modern.bias(p)[modern.f_cols], 1.0)
    assert modern.n_params == 4 * 3 * (4 + 3 + 1)
    assert layer.n_params == 3 * 3 * (4 + 3 + 1)


def test_float32_stays_float32_and_input_is_not_written():
    layer, params, x, weights = _setup(True, dtype=np.float32)
    x.setflags(write=False)
    grad = np.zeros_like(params)
    cache = layer.forward(params, x)
    assert cache.outputs.dtype == np.float32
    dx = layer.backward(params, cache, weights, grad)
    assert grad.dtype == np.float32 and dx.dtype == np.float32


def test_cache_is_reused_and_steps_match_a_step_by_step_loop():
    layer, params, x, _ = _setup(True)
    cache = layer.forward(params, x)
    again = layer.forward(params, x, cache)
    assert again is cache
    # Reference: a plain per-step implementation of the same equations.
    w_x, w_h, b = (
        layer.input_weight(params),
        layer.recurrent_weight(params),
        layer.bias(params),
    )
    hidden = layer.hidden
    h = np.zeros((x.shape[0], hidden))
    c = np.zeros_like(h)
    for t in range(x.shape[1]):
        z = x[:, t] @ w_x + h @ w_h + b
        i, f, o = (
            1 / (1 + np.exp(-z[:, k * hidden : (k + 1) * hidden])) for k in range(3)
        )
        g = np.tanh(z[:, 3 * hidden :])
        c = f * c + i * g
        h = o * np.tanh(c)
        np.testing.assert_allclose(cache.outputs[:, t], h, rtol=1e-12, atol=1e-14)
