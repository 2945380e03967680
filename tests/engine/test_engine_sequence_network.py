"""LSTM + dense output network: whole-network gradients for every sequence loss.

Both read-outs (last step, every step), both cells, sample and step weights,
L2, stacked parameters, and the buffers.
"""

import numpy as np
import pytest
from _gradcheck import assert_gradient_close, numerical_gradient

from skentropy._engine.losses import LOSSES
from skentropy._engine.network import Network, batch_objective
from skentropy._engine.sequence_network import SequenceBuffers, SequenceNetwork

CASES = [
    ("eem_outputs", "logistic", {"kernel_width": 1.3, "objective": "log"}),
    ("eem_outputs", "logistic", {"kernel_width": 0.7, "objective": "ip"}),
    ("eem_samples", "logistic", {"kernel_width": 1.1, "objective": "log"}),
    ("eem_samples", "logistic", {"kernel_width": 0.9, "objective": "ip"}),
    ("squared_error", "logistic", {}),
    ("cross_entropy", "softmax", {}),
    ("min_ent", "softmax", {"entropy_weight": 0.3}),
    ("mix_ent", "softmax", {"entropy_weight": 0.2}),
]
# Losses whose value is a mean of per-row terms (eem_samples is not).
PER_ROW = [case for case in CASES if case[0] != "eem_samples"]
IDS = [f"{name}-{params.get('objective', '')}" for name, _, params in CASES]
PER_ROW_IDS = [f"{name}-{params.get('objective', '')}" for name, _, params in PER_ROW]

N, T, N_IN, HIDDEN, N_OUT = 4, 5, 3, 4, 5
LENGTHS = np.array([5, 3, 4, 1])  # real steps of each sequence; the rest is padding


def _targets(rng, output, shape):
    if output == "softmax":  # one class per row
        return np.eye(N_OUT, dtype=bool)[rng.randint(N_OUT, size=shape)]
    return rng.uniform(size=(*shape, N_OUT)) < 0.4  # multi-hot, as Reber's


def _every_step_problem(forget_gate, output, seed=0):
    """Padded sequences: zero inputs after each sequence's end."""
    rng = np.random.RandomState(seed)
    network = SequenceNetwork(
        N_IN, HIDDEN, N_OUT, output, forget_gate=forget_gate, readout="every"
    )
    params = network.init_params(rng, np.float64)
    params += rng.uniform(-0.3, 0.3, params.shape)  # non-zero output biases
    mask = np.arange(T) < LENGTHS[:, None]
    x = rng.normal(size=(N, T, N_IN)) * mask[..., None]
    y = _targets(rng, output, (N, T))
    step_weight = rng.uniform(0.5, 2.0, N)[:, None] * mask
    return network, params, x, y, step_weight, mask


def _check_gradient(network, params, x, y, loss_name, loss_params, weight, alpha):
    loss = LOSSES[loss_name]
    grad = np.empty_like(params)
    value = network.loss_grad(
        params,
        x,
        y,
        grad,
        loss,
        sample_weight=weight,
        alpha=alpha,
        loss_params=loss_params,
    )

    def objective(p):
        return network.loss_value(
            p, x, y, loss, sample_weight=weight, alpha=alpha, loss_params=loss_params
        )

    assert value == pytest.approx(objective(params), rel=1e-12)
    assert_gradient_close(numerical_gradient(objective, params), grad)
    return value, grad


@pytest.mark.parametrize("forget_gate", [True, False])
@pytest.mark.parametrize("loss_name, output, loss_params", CASES, ids=IDS)
def test_last_step_gradient(forget_gate, loss_name, output, loss_params):
    rng = np.random.RandomState(0)
    network = SequenceNetwork(3, 4, 5, output, forget_gate=forget_gate)
    params = network.init_params(rng, np.float64)
    x = rng.normal(size=(6, 4, 3))
    y = np.eye(5, dtype=bool)[rng.randint(5, size=6)]
    weights = rng.uniform(0.5, 2.0, 6)
    _check_gradient(network, params, x, y, loss_name, loss_params, weights, 0.3)


@pytest.mark.parametrize("forget_gate", [True, False])
@pytest.mark.parametrize("loss_name, output, loss_params", CASES, ids=IDS)
def test_every_step_gradient_with_step_mask(
    forget_gate, loss_name, output, loss_params
):
    network, params, x, y, step_weight, _ = _every_step_problem(forget_gate, output)
    _check_gradient(network, params, x, y, loss_name, loss_params, step_weight, 0.3)


@pytest.mark.parametrize("loss_name, output, loss_params", CASES, ids=IDS)
def test_padded_steps_contribute_nothing(loss_name, output, loss_params):
    network, params, x, y, step_weight, mask = _every_step_problem(True, output)
    loss = LOSSES[loss_name]

    def run(x, y):
        grad = np.empty_like(params)
        value = network.loss_grad(
            params,
            x,
            y,
            grad,
            loss,
            sample_weight=step_weight,
            alpha=0.1,
            loss_params=loss_params,
        )
        return value, grad

    value, grad = run(x, y)
    rng = np.random.RandomState(5)
    padded = ~mask
    # Any targets and inputs on the padded steps (at the back, so the causal
    # LSTM's real steps cannot see them).
    y_other = np.where(padded[..., None], ~y, y)
    x_other = np.where(padded[..., None], rng.normal(size=x.shape) * 50, x)
    for other in (run(x, y_other), run(x_other, y), run(x_other, y_other)):
        assert other[0] == pytest.approx(value, rel=1e-13)
        np.testing.assert_allclose(other[1], grad, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("loss_name, output, loss_params", PER_ROW, ids=PER_ROW_IDS)
def test_masked_batch_is_the_weighted_mean_of_the_sequences_alone(
    loss_name, output, loss_params
):
    # A per-row loss over a padded batch equals each sequence evaluated on
    # its real steps only, weighted by its weight times its length.
    network, params, x, y, step_weight, _ = _every_step_problem(False, output, seed=3)
    loss = LOSSES[loss_name]
    grad = np.empty_like(params)
    value = network.loss_grad(
        params, x, y, grad, loss, sample_weight=step_weight, loss_params=loss_params
    )
    weights = step_weight.max(axis=1) * LENGTHS
    values, grads = [], []
    for i, length in enumerate(LENGTHS):
        g = np.empty_like(params)
        values.append(
            network.loss_grad(
                params,
                x[i : i + 1, :length],
                y[i : i + 1, :length],
                g,
                loss,
                loss_params=loss_params,
            )
        )
        grads.append(g)
    want = weights @ np.array(values) / weights.sum()
    assert value == pytest.approx(want, rel=1e-12)
    want_grad = weights @ np.array(grads) / weights.sum()
    np.testing.assert_allclose(grad, want_grad, rtol=1e-10, atol=1e-14)


def test_sequence_weights_equal_their_repeated_step_weights():
    network, params, x, y, _, _ = _every_step_problem(True, "logistic")
    w = np.random.RandomState(2).uniform(0.5, 2.0, N)
    loss, loss_params = LOSSES["eem_outputs"], {"kernel_width": 1.2}
    results = []
    for weight in (w, np.repeat(w[:, None], T, axis=1)):
        grad = np.empty_like(params)
        value = network.loss_grad(
            params, x, y, grad, loss, sample_weight=weight, loss_params=loss_params
        )
        results.append((value, grad))
    assert results[0][0] == results[1][0]
    np.testing.assert_array_equal(results[0][1], results[1][1])


@pytest.mark.parametrize("readout", ["last", "every"])
def test_l2_is_added_once_to_the_weights_only(readout):
    rng = np.random.RandomState(4)
    network = SequenceNetwork(3, 4, 5, "logistic", readout=readout)
    params = network.init_params(rng, np.float64)
    params += rng.uniform(-0.5, 0.5, params.shape)
    x = rng.normal(size=(3, 4, 3))
    y = rng.uniform(size=(3, 5) if readout == "last" else (3, 4, 5)) < 0.5
    w = rng.uniform(0.5, 2.0, 3)
    scale = w.sum() * (1 if readout == "last" else 4)
    loss = LOSSES["squared_error"]
    grads, values = [], []
    for alpha in (0.0, 0.7):
        grad = np.empty_like(params)
        values.append(
            network.loss_grad(params, x, y, grad, loss, sample_weight=w, alpha=alpha)
        )
        grads.append(grad)
    mask = network.weight_mask()
    np.testing.assert_allclose(
        grads[1] - grads[0], np.where(mask, 0.7 * params / scale, 0.0), atol=1e-15
    )
    l2 = (params[mask] ** 2).sum()
    assert values[1] - values[0] == pytest.approx(0.35 * l2 / scale, rel=1e-12)


@pytest.mark.parametrize("readout", ["last", "every"])
@pytest.mark.parametrize("forget_gate", [True, False])
def test_stacked_networks_match_separate_ones(readout, forget_gate):
    rng = np.random.RandomState(6)
    network = SequenceNetwork(
        3, 4, 5, "logistic", forget_gate=forget_gate, readout=readout
    )
    stacked = np.stack([network.init_params(rng, np.float64) for _ in range(3)])
    x = rng.normal(size=(2, 4, 3))
    y = rng.uniform(size=(2, 5) if readout == "last" else (2, 4, 5)) < 0.5
    w = rng.uniform(0.5, 2.0, 2)
    loss, loss_params = LOSSES["eem_outputs"], {"kernel_width": 1.1}
    grad = np.empty_like(stacked)
    values = network.loss_grad(
        stacked, x, y, grad, loss, sample_weight=w, alpha=0.2, loss_params=loss_params
    )
    logits = network.logits(stacked, x)
    out_shape = (2, 5) if readout == "last" else (2, 4, 5)
    assert values.shape == (3,) and logits.shape == (3, *out_shape)
    alone_values = network.loss_value(
        stacked, x, y, loss, sample_weight=w, alpha=0.2, loss_params=loss_params
    )
    np.testing.assert_allclose(alone_values, values, rtol=1e-13)
    for r in range(3):
        g = np.empty_like(stacked[r])
        value = network.loss_grad(
            stacked[r],
            x,
            y,
            g,
            loss,
            sample_weight=w,
            alpha=0.2,
            loss_params=loss_params,
        )
        assert values[r] == pytest.approx(value, rel=1e-12)
        np.testing.assert_allclose(grad[r], g, rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(
            logits[r], network.logits(stacked[r], x), rtol=1e-12, atol=1e-14
        )


@pytest.mark.parametrize("readout", ["last", "every"])
def test_buffers_are_reused_per_shape_and_change_nothing(readout):
    rng = np.random.RandomState(7)
    network = SequenceNetwork(3, 4, 5, "softmax", forget_gate=False, readout=readout)
    params = network.init_params(rng, np.float64)
    loss = LOSSES["cross_entropy"]
    buffers = network.buffers(6, np.float64)
    assert isinstance(buffers, SequenceBuffers)
    before = dict(vars(network))
    for n, steps in [(6, 4), (2, 4), (6, 4), (6, 7), (2, 4)]:
        x = rng.normal(size=(n, steps, 3))
        shape = (n,) if readout == "last" else (n, steps)
        y = np.eye(5, dtype=bool)[rng.randint(5, size=shape)]
        g_fresh, g_reused = np.empty_like(params), np.empty_like(params)
        v_fresh = network.loss_grad(params, x, y, g_fresh, loss)
        v_reused = network.loss_grad(params, x, y, g_reused, loss, buffers=buffers)
        assert v_fresh == v_reused
        np.testing.assert_array_equal(g_fresh, g_reused)
    assert len(buffers.passes) == 3
    # The network itself keeps nothing between calls.
    assert vars(network).keys() == before.keys()
    assert not any(isinstance(v, np.ndarray) for v in vars(network).values())


def test_logits_are_fresh_and_do_not_write_the_parameters():
    rng = np.random.RandomState(8)
    network = SequenceNetwork(3, 4, 5, "logistic", readout="every")
    params = network.init_params(rng, np.float32)
    params.setflags(write=False)
    x = rng.normal(size=(2, 6, 3)).astype(np.float32)
    first = network.logits(params, x)
    second = network.logits(params, x)
    assert first.shape == (2, 6, 5) and first.dtype == np.float32
    assert not np.shares_memory(first, second)
    np.testing.assert_array_equal(first, second)
    # Step t's logits are the dense layer on h_t.
    last = SequenceNetwork(3, 4, 5, "logistic").logits(params, x)
    np.testing.assert_allclose(first[:, -1], last, rtol=1e-6)


def test_batch_objective_serves_every_step_readout_with_step_weights():
    network, params, x, y, step_weight, _ = _every_step_problem(True, "logistic")
    loss, loss_params = LOSSES["squared_error"], {}
    objective = batch_objective(
        network,
        x,
        y,
        loss,
        sample_weight=step_weight,
        alpha=0.1,
        batch_size=3,
        loss_params=loss_params,
    )
    rows = np.array([3, 0, 2])
    grad, want_grad = np.empty_like(params), np.empty_like(params)
    value = objective(params, rows, grad)
    want = network.loss_grad(
        params,
        x[rows],
        y[rows],
        want_grad,
        loss,
        sample_weight=step_weight[rows],
        alpha=0.1,
    )
    assert value == want
    np.testing.assert_array_equal(grad, want_grad)


def test_network_protocol_layout_and_initialisation():
    network = SequenceNetwork(3, 4, 5, "softmax", forget_gate=False, readout="every")
    assert isinstance(network, Network)
    assert network.architecture == ("lstm", 3, 4, 5, False, "every")
    lstm_params = 3 * 4 * (3 + 4 + 1)
    assert network.n_params == lstm_params + 4 * 5 + 5
    mask = network.weight_mask()
    assert mask.sum() == 3 * 4 * (3 + 4) + 4 * 5
    assert not mask[network.lstm.bias_slice].any()
    assert not mask[network.dense.bias_slice].any()
    # The LSTM draws first (PyTorch's bounds), then the dense weights
    # (Glorot-uniform); the output biases start at zero.
    params = network.init_params(np.random.RandomState(0), np.float32)
    assert params.dtype == np.float32
    rng = np.random.RandomState(0)
    want = np.zeros(network.n_params)
    network.lstm.init_params(want, rng)
    bound = np.sqrt(6.0 / 9)
    network.dense.weight(want)[...] = rng.uniform(-bound, bound, (4, 5))
    np.testing.assert_array_equal(params, want.astype(np.float32))
    assert not network.dense.bias(params).any()
    with pytest.raises(ValueError, match="readout"):
        SequenceNetwork(3, 4, 5, "softmax", readout="first")


def test_eem_outputs_matches_a_double_loop():
    rng = np.random.RandomState(1)
    z, y, h = rng.normal(size=(3, 7)), np.eye(7, dtype=bool)[[0, 3, 6]], 1.5
    value, _ = LOSSES["eem_outputs"](y, z.copy(), "logistic", kernel_width=h)
    p = 1 / (1 + np.exp(-z))
    entropies = []
    for row in range(3):
        e = y[row] - p[row]
        v = sum(np.exp(-((a - b) ** 2) / (2 * h * h)) for a in e for b in e)
        entropies.append(-np.log(v / (h * np.sqrt(2 * np.pi)) / 49))
    assert value == pytest.approx(np.mean(entropies), rel=1e-12)


# -- padding: NaN steps carry the state over ---------------------------------
def _padded(x_list, width, where):
    """Sequences of different lengths padded with NaN to ``width`` steps."""
    out = np.full((len(x_list), width, x_list[0].shape[1]), np.nan)
    for i, seq in enumerate(x_list):
        extra = width - len(seq)
        front = {"front": extra, "back": 0, "both": extra // 2}[where]
        out[i, front : front + len(seq)] = seq
    return out


@pytest.mark.parametrize("forget_gate", [True, False])
@pytest.mark.parametrize("where", ["front", "back", "both"])
@pytest.mark.parametrize("name, output, loss_params", CASES, ids=IDS)
def test_padded_sequences_give_the_unpadded_value_and_gradient(
    forget_gate, where, name, output, loss_params
):
    """Read-out "last": a batch of NaN-padded sequences has the loss and the
    gradient of the same sequences run unpadded (each alone, summed as the
    batch mean does; eem_samples couples the batch, so it is compared with
    a batch of equal-length sequences instead)."""
    rng = np.random.RandomState(3)
    network = SequenceNetwork(N_IN, HIDDEN, N_OUT, output, forget_gate=forget_gate)
    params = network.init_params(rng, np.float64)
    params += rng.uniform(-0.3, 0.3, params.shape)
    lengths = [5, 3, 4, 1] if name != "eem_samples" else [3, 3, 3, 3]
    seqs = [rng.normal(size=(k, N_IN)) for k in lengths]
    y = _targets(rng, output, (len(seqs),))
    w = rng.uniform(0.5, 2.0, len(seqs))
    x = _padded(seqs, 7, where)
    loss = LOSSES[name]
    kwargs = {"loss_params": loss_params, "alpha": 0.1}
    grad = np.empty_like(params)
    value = network.loss_grad(params, x, y, grad, loss, sample_weight=w, **kwargs)
    assert np.isfinite(grad).all()
    if name == "eem_samples":
        expected_grad = np.empty_like(params)
        expected = network.loss_grad(
            params, np.stack(seqs), y, expected_grad, loss, sample_weight=w, **kwargs
        )
    else:  # the weighted mean of the sequences' own losses (alpha once)
        expected, expected_grad = 0.0, np.zeros_like(params)
        one_grad = np.empty_like(params)
        for seq, target, weight in zip(seqs, y, w, strict=True):
            v = network.loss_grad(
                params, seq[None], target[None], one_grad, loss, **kwargs
            )
            expected += weight * v
            expected_grad += weight * one_grad
        # Each single-sequence call added alpha/2 |W|^2 (/1): remove all but
        # the batch's alpha/2 |W|^2 / sum(w).
        penalty = sum(
            0.5 * 0.1 * params[s] @ params[s] for s in network.weight_slices()
        )
        reg_grad = np.zeros_like(params)
        for s in network.weight_slices():
            reg_grad[s] = 0.1 * params[s]
        expected = (expected - w.sum() * penalty + penalty) / w.sum()
        expected_grad = (expected_grad - w.sum() * reg_grad + reg_grad) / w.sum()
    assert value == pytest.approx(expected, rel=1e-12, abs=1e-14)
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-10, atol=1e-13)
    logits = network.logits(params, x)
    for i, seq in enumerate(seqs):
        np.testing.assert_allclose(
            logits[i], network.logits(params, seq[None])[0], rtol=1e-12, atol=1e-14
        )


@pytest.mark.parametrize("forget_gate", [True, False])
def test_padded_every_step_gradient_by_finite_differences(forget_gate):
    """Every-step read-out with NaN padding in the middle of the batch: the
    analytic gradient is the numerical one of the padded objective."""
    network, params, x, y, step_weight, mask = _every_step_problem(
        forget_gate, "logistic", seed=4
    )
    x = np.where(mask[..., None], x, np.nan)
    x[2, 0] = np.nan  # a padded first step as well
    step_weight[2, 0] = 0.0
    loss = LOSSES["squared_error"]
    grad = np.empty_like(params)
    network.loss_grad(params, x, y, grad, loss, sample_weight=step_weight, alpha=0.05)

    def f(p):
        return network.loss_value(p, x, y, loss, sample_weight=step_weight, alpha=0.05)

    assert_gradient_close(numerical_gradient(f, params), grad)
