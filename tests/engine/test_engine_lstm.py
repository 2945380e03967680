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


def _reference_bptt(layer, params, x, mask, upstream):
    """Outputs and gradients by a plain per-sequence loop over the real steps.

    Each sequence runs alone on its real steps (the padded ones dropped); the
    output at a padded step is the state after the last real step before it
    (zero before any), so its upstream gradient goes to that step. Returns
    the outputs (n, T, hidden), dL/d[W_x; W_h; b] and dL/dx (zero at padding).
    """
    w_x, w_h = layer.input_weight(params), layer.recurrent_weight(params)
    b = layer.bias(params)
    hidden, forget_gate = layer.hidden, layer.forget_gate
    n, steps, _ = x.shape
    outputs = np.zeros((n, steps, hidden))
    grad = np.zeros_like(layer.block(params))
    dx = np.zeros_like(x)

    def sigmoid(a):
        return 1 / (1 + np.exp(-a))

    for j in range(n):
        real = np.flatnonzero(mask[j])
        h, c = np.zeros(hidden), np.zeros(hidden)
        tape = []
        for t in real:
            a = x[j, t] @ w_x + h @ w_h + b
            o, i = sigmoid(a[layer.o_cols]), sigmoid(a[layer.i_cols])
            f = sigmoid(a[layer.f_cols]) if forget_gate else 1.0
            g = np.tanh(a[layer.g_cols])
            tape.append((x[j, t], h, c, o, i, f, g))
            c = f * c + i * g
            h = o * np.tanh(c)
            outputs[j, t] = h
        # dL/dh of each real step: its own upstream plus the padded steps after
        # it (up to the next real step), which show its state.
        dh_of = np.zeros((len(real), hidden))
        for k, t in enumerate(real):
            stop = real[k + 1] if k + 1 < len(real) else steps
            dh_of[k] = upstream[j, t:stop].sum(axis=0)
            outputs[j, t + 1 : stop] = outputs[j, t]
        dh_next, dc_next = np.zeros(hidden), np.zeros(hidden)
        for k in range(len(real) - 1, -1, -1):
            x_t, h_prev, c_prev, o, i, f, g = tape[k]
            c = f * c_prev + i * g
            tanh_c = np.tanh(c)
            dh = dh_of[k] + dh_next
            dc = dh * o * (1 - tanh_c**2) + dc_next
            da = np.zeros(layer.width)
            da[layer.o_cols] = dh * tanh_c * o * (1 - o)
            da[layer.i_cols] = dc * g * i * (1 - i)
            if forget_gate:
                da[layer.f_cols] = dc * c_prev * f * (1 - f)
            da[layer.g_cols] = dc * i * (1 - g**2)
            grad += np.outer(np.concatenate([x_t, h_prev, [1.0]]), da)
            dx[j, real[k]] = w_x @ da
            dh_next, dc_next = w_h @ da, dc * f
    return outputs, grad, dx


@pytest.mark.parametrize("forget_gate", [True, False])
@pytest.mark.parametrize("last_step_only", [False, True])
def test_padding_anywhere_matches_a_per_sequence_reference(forget_gate, last_step_only):
    # Padding at the front, the back, in the middle, everywhere and nowhere;
    # the last step padded for some sequences and not for others.
    layer, params, x, upstream = _setup(forget_gate, n=6, steps=7, seed=3)
    mask = np.ones((6, 7), dtype=bool)
    mask[0, :3] = False
    mask[1, 5:] = False
    mask[2, [1, 2, 4]] = False
    mask[3, :] = False
    mask[5, [0, 6]] = False
    if last_step_only:  # the loss reads the last step only
        upstream[:, :-1] = 0.0
    x = np.where(mask[..., None], x, np.nan)  # padded inputs are not read
    want_outputs, want_grad, want_dx = _reference_bptt(
        layer, params, np.nan_to_num(x), mask, upstream
    )
    cache = layer.forward(params, x, mask=mask)
    np.testing.assert_allclose(cache.outputs, want_outputs, rtol=1e-12, atol=1e-14)
    grad = np.zeros_like(params)
    given = upstream[:, -1] if last_step_only else upstream
    dx = layer.backward(params, cache, given, grad)
    np.testing.assert_allclose(layer.block(grad), want_grad, rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(np.where(mask[..., None], dx, 0), want_dx, atol=1e-13)
    # Stacked networks pad the same way.
    stacked = np.stack([params, params * 0.7])
    cache = layer.forward(stacked, x, mask=mask)
    grad_stacked = np.zeros_like(stacked)
    layer.backward(
        stacked,
        cache,
        np.repeat(given[:, None], 2, axis=1),
        grad_stacked,
        input_grad=False,
    )
    for r in range(2):
        outputs, want, _ = _reference_bptt(
            layer, stacked[r], np.nan_to_num(x), mask, upstream
        )
        np.testing.assert_allclose(cache.outputs[:, r], outputs, atol=1e-14)
        np.testing.assert_allclose(
            layer.block(grad_stacked[r]), want, rtol=1e-11, atol=1e-13
        )


@pytest.mark.parametrize("forget_gate", [True, False])
def test_cache_reuse_across_masks_and_weight_gradient_copy_orders(
    forget_gate, monkeypatch
):
    # A cache reused by a pass with another mask (or none) forgets the old
    # one; both copy orders of the weight gradient give the same sums.
    from skentropy._engine import lstm as lstm_module

    layer, params, x, upstream = _setup(forget_gate, n=5, steps=6, seed=4)
    mask = np.ones((5, 6), dtype=bool)
    mask[1, :2] = False
    results = []
    for below in (0, 10**9):
        monkeypatch.setattr(lstm_module, "_SAMPLE_MAJOR_BELOW", below)
        cache = None
        for m in (mask, None, mask):
            cache = layer.forward(params, x, cache, mask=m)
            grad = np.zeros_like(params)
            layer.backward(params, cache, upstream, grad, input_grad=False)
            want = _reference_bptt(
                layer, params, x, np.ones_like(mask) if m is None else m, upstream
            )[1]
            np.testing.assert_allclose(layer.block(grad), want, rtol=1e-11, atol=1e-13)
            results.append(grad)
    np.testing.assert_allclose(results[0], results[3], rtol=1e-13)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("exp_from", [0, 10**9])
def test_saturated_gates_give_finite_gradients(dtype, exp_from, monkeypatch):
    from skentropy._engine import lstm as lstm_module

    monkeypatch.setattr(lstm_module, "_EXP_ACTIVATION_ELEMENTS", exp_from)
    layer, params, x, _ = _setup(True, dtype=dtype)
    x = x * dtype(1e4)  # pre-activations far beyond exp's float range
    cache = layer.forward(params, x)
    gates = cache.gates[:, layer.sigmoid_cols]  # s(a), in [0, 1]
    assert gates.min() >= 0.0 and gates.max() <= 1.0
    grad = np.zeros_like(params)
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        layer.backward(params, cache, np.ones_like(cache.outputs), grad)
    assert np.isfinite(grad).all()
