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


@pytest.mark.parametrize("forget_gate", [True, False])
def test_alpha_adds_l2_on_the_weights_before_the_scale(forget_gate):
    # (dL/dM + alpha [W_x; W_h; 0]) / scale: the bias is not penalised.
    layer, params, x, weights = _setup(forget_gate)
    alpha, scale = 0.3, 2.5

    def loss(p):
        w = np.concatenate([p[layer.input_slice], p[layer.recurrent_slice]])
        value = float((layer.forward(p, x).outputs * weights).sum())
        return (value + 0.5 * alpha * w @ w) / scale

    grad = np.zeros_like(params)
    layer.backward(
        params, layer.forward(params, x), weights, grad, alpha=alpha, scale=scale
    )
    assert_gradient_close(numerical_gradient(loss, params)[2:], grad[2:])
    # Stacked networks get the same term, each from its own weights.
    stacked = np.stack([params, params * 0.5])
    grad_stacked = np.zeros_like(stacked)
    cache = layer.forward(stacked, x)
    upstream = np.repeat(weights[:, None], 2, axis=1)
    layer.backward(
        stacked,
        cache,
        upstream,
        grad_stacked,
        alpha=alpha,
        scale=scale,
        input_grad=False,
    )
    for r in range(2):
        single = np.zeros_like(params)
        one = layer.forward(stacked[r], x)
        layer.backward(
            stacked[r], one, weights, single, alpha=alpha, scale=scale, input_grad=False
        )
        np.testing.assert_allclose(
            grad_stacked[r, 2:], single[2:], rtol=1e-10, atol=1e-13
        )


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
    # Buffers are time- and feature-major: [t, unit, sample].
    i = cache.gates[:, layer.i_cols]
    g = cache.gates[:, layer.g_cols]
    np.testing.assert_allclose(cache.cell[1:], np.cumsum(i * g, axis=0))
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
            1 / (1 + np.exp(-z[:, cols]))
            for cols in (layer.i_cols, layer.f_cols, layer.o_cols)
        )
        g = np.tanh(z[:, layer.g_cols])
        c = f * c + i * g
        h = o * np.tanh(c)
        np.testing.assert_allclose(cache.outputs[:, t], h, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("forget_gate", [True, False])
def test_stacked_networks_match_separate_runs(forget_gate):
    # R networks in one (R, P) array run in lockstep on a shared input and
    # give exactly what R separate runs give.
    layer, params, x, _ = _setup(forget_gate)
    rng = np.random.RandomState(1)
    stacked = params + rng.uniform(-0.3, 0.3, (4, params.size))
    grad = np.zeros_like(stacked)
    cache = layer.forward(stacked, x)
    assert cache.outputs.shape == (x.shape[0], 4, x.shape[1], layer.hidden)
    upstream = rng.normal(size=cache.outputs.shape)
    assert layer.backward(stacked, cache, upstream, grad, input_grad=False) is None
    for r in range(4):
        single = np.zeros_like(params)
        one = layer.forward(stacked[r], x)
        np.testing.assert_allclose(cache.outputs[:, r], one.outputs, rtol=1e-12)
        layer.backward(stacked[r], one, upstream[:, r], single, input_grad=False)
        np.testing.assert_allclose(grad[r, 2:], single[2:], rtol=1e-10, atol=1e-13)
    with pytest.raises(ValueError, match="input_grad=False"):
        layer.backward(stacked, cache, upstream, grad)


@pytest.mark.parametrize("forget_gate", [True, False])
def test_activation_routes_blocks_and_last_step_gradient_agree(
    forget_gate, monkeypatch
):
    # The exp and tanh activations, any block size of the backward pass and
    # a last-step-only upstream gradient are implementation choices: all of
    # them must give the same numbers.
    from skentropy._engine import lstm as lstm_module

    layer, params, x, weights = _setup(forget_gate, n=4, steps=7)
    weights[:, :-1] = 0.0

    def run():
        grads = []
        for upstream in (weights, weights[:, -1]):
            grad = np.zeros_like(params)
            cache = layer.forward(params, x)
            outputs = cache.outputs.copy()
            dx = layer.backward(params, cache, upstream, grad)
            grads.append((grad, dx))
        np.testing.assert_allclose(grads[0][0], grads[1][0], rtol=1e-13)
        np.testing.assert_allclose(grads[0][1], grads[1][1], rtol=1e-13)
        return outputs, grads[0][0], grads[0][1]

    reference = run()
    for route, block in ((0, 1), (0, 10**9), (10**9, 3)):
        monkeypatch.setattr(lstm_module, "_EXP_ACTIVATION_ELEMENTS", route)
        monkeypatch.setattr(lstm_module, "_BLOCK_ELEMENTS", block)
        for got, want in zip(run(), reference, strict=True):
            np.testing.assert_allclose(got, want, rtol=1e-11, atol=1e-14)


@pytest.mark.parametrize("exp_from", [0, 10**9])
def test_activations_saturate_without_warnings_or_nans(exp_from, monkeypatch):
    from skentropy._engine import lstm as lstm_module

    monkeypatch.setattr(lstm_module, "_EXP_ACTIVATION_ELEMENTS", exp_from)
    layer, params, x, _ = _setup(True)
    x = x * 1e4  # pre-activations far beyond exp's float range
    with np.errstate(all="raise"):
        cache = layer.forward(params, x)
    assert np.isfinite(cache.outputs).all()
    assert np.abs(cache.outputs).max() <= 1.0
