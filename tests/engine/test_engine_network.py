"""FeedForwardNetwork: flat gradients, initialisation, packing, dtypes, batches."""

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from _gradcheck import assert_gradient_close, numerical_gradient
from scipy.special import expit, softmax

from skentropy._engine import (
    LOSSES,
    FeedForwardNetwork,
    batch_objective,
    forward_logits,
)

HIDDEN = ["identity", "logistic", "tanh", "relu"]
N_SAMPLES, N_FEATURES, HIDDEN_UNITS = 7, 4, (5, 3)

# (loss, output activation, number of outputs, loss parameters)
CASES = [
    ("cross_entropy", "softmax", 3, {}),
    ("cross_entropy", "logistic", 2, {}),
    ("min_ent", "softmax", 3, {"entropy_weight": 0.7}),
    ("min_ent", "logistic", 2, {"entropy_weight": 0.7}),
    ("mix_ent", "softmax", 3, {"entropy_weight": 0.7, "eps": 1e-3}),
    ("mix_ent", "logistic", 2, {"entropy_weight": 0.7, "eps": 1e-3}),
    ("mix_ent", "logistic", 1, {"entropy_weight": 0.3, "eps": 1e-6}),
    ("squared_error", "identity", 2, {}),
]
CASE_IDS = [f"{c[0]}-{c[1]}-{c[2]}" for c in CASES]


def make_data(output, n_outputs, seed=0, n=N_SAMPLES):
    rng = np.random.RandomState(seed)
    x = rng.normal(size=(n, N_FEATURES))
    if output == "softmax":
        y = np.eye(n_outputs)[rng.randint(n_outputs, size=n)]
    elif output == "logistic":
        y = (rng.uniform(size=(n, n_outputs)) < 0.5).astype(np.float64)
    else:
        y = rng.normal(size=(n, n_outputs))
    sample_weight = rng.uniform(0.5, 2.0, n)
    return x, y, sample_weight


def make_network(activation, output, n_outputs, seed=0):
    net = FeedForwardNetwork([N_FEATURES, *HIDDEN_UNITS, n_outputs], activation, output)
    return net, net.init_params(np.random.RandomState(seed), np.float64)


def hidden_pre_activations(net, params, x):
    coefs, intercepts = net.unpack(params)
    pre, a = [], x
    for weight, bias in zip(coefs[:-1], intercepts[:-1], strict=True):
        s = a @ weight + bias
        pre.append(s)
        a = {
            "identity": s,
            "logistic": expit(s),
            "tanh": np.tanh(s),
            "relu": np.maximum(s, 0),
        }[net.activation]
    return np.concatenate([p.ravel() for p in pre])


@pytest.mark.parametrize("weighted", [True, False], ids=["weighted", "unweighted"])
@pytest.mark.parametrize(
    ("loss_name", "output", "n_outputs", "loss_params"), CASES, ids=CASE_IDS
)
@pytest.mark.parametrize("activation", HIDDEN)
def test_flat_gradient_matches_finite_differences(
    activation, loss_name, output, n_outputs, loss_params, weighted
):
    net, params = make_network(activation, output, n_outputs, seed=1)
    x, y, sw = make_data(output, n_outputs, seed=2)
    sw = sw if weighted else None
    loss = LOSSES[loss_name]
    alpha = 0.3
    if activation == "relu":
        # Finite differences need every unit away from the kink.
        assert np.abs(hidden_pre_activations(net, params, x)).min() > 1e-2
    # Moderate logits: the CE value (computed as scikit-learn does, from
    # clipped probabilities and 1 - p) loses digits for saturated outputs.
    assert np.abs(net.logits(params, x)).max() < 6

    grad = np.full(net.n_params, np.nan)
    value = net.loss_grad(
        params, x, y, grad, loss, sample_weight=sw, alpha=alpha, loss_params=loss_params
    )

    def f(p):
        return net.loss_value(
            p, x, y, loss, sample_weight=sw, alpha=alpha, loss_params=loss_params
        )

    np.testing.assert_allclose(value, f(params), rtol=1e-13)
    assert_gradient_close(numerical_gradient(f, params), grad)


@pytest.mark.parametrize("alpha", [0.0, 1e-4, 2.5])
def test_loss_value_matches_loss_grad_and_l2_term(alpha):
    net, params = make_network("tanh", "softmax", 3)
    x, y, sw = make_data("softmax", 3, seed=3)
    loss = LOSSES["min_ent"]
    for weights in (None, sw):
        grad = np.empty(net.n_params)
        value = net.loss_grad(
            params, x, y, grad, loss, sample_weight=weights, alpha=alpha
        )
        expected = net.loss_value(
            params, x, y, loss, sample_weight=weights, alpha=alpha
        )
        np.testing.assert_allclose(value, expected, rtol=1e-14)
        scale = len(x) if weights is None else weights.sum()
        unregularised = net.loss_value(params, x, y, loss, sample_weight=weights)
        coefs, _ = net.unpack(params)
        penalty = 0.5 * alpha * sum((c**2).sum() for c in coefs) / scale
        np.testing.assert_allclose(value, unregularised + penalty, rtol=1e-13)


def test_gradient_ignores_garbage_in_the_output_buffer():
    # With alpha = 0 the GEMM's beta is 0: stale values in grad must not leak.
    net, params = make_network("relu", "softmax", 3)
    x, y, _ = make_data("softmax", 3, seed=4)
    loss = LOSSES["cross_entropy"]
    clean = np.zeros(net.n_params)
    dirty = np.full(net.n_params, np.nan)
    net.loss_grad(params, x, y, clean, loss)
    net.loss_grad(params, x, y, dirty, loss)
    np.testing.assert_array_equal(dirty, clean)


# -- initialisation and layout ---------------------------------------------


@pytest.mark.parametrize("activation", HIDDEN)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_init_params_draws_as_scikit_learn(activation, dtype):
    layer_units = [6, 5, 4, 3]
    net = FeedForwardNetwork(layer_units, activation, "softmax")
    params = net.init_params(np.random.RandomState(0), dtype)
    assert params.dtype == dtype
    assert params.shape == (net.n_params,)

    # scikit-learn's BaseMultilayerPerceptron._init_coef, layer after layer.
    rng = np.random.RandomState(0)
    factor = 2.0 if activation == "logistic" else 6.0
    coefs, intercepts = [], []
    for fan_in, fan_out in itertools.pairwise(layer_units):
        bound = np.sqrt(factor / (fan_in + fan_out))
        coefs.append(rng.uniform(-bound, bound, (fan_in, fan_out)).astype(dtype))
        intercepts.append(rng.uniform(-bound, bound, fan_out).astype(dtype))

    got_coefs, got_intercepts = net.unpack(params)
    for got, expected in zip(
        got_coefs + got_intercepts, coefs + intercepts, strict=True
    ):
        np.testing.assert_array_equal(got, expected)


def test_init_params_matches_mlpclassifier_private_initialiser():
    sklearn_mlp = pytest.importorskip("sklearn.neural_network")
    clf = sklearn_mlp.MLPClassifier(hidden_layer_sizes=(5, 4), activation="logistic")
    clf._random_state = np.random.RandomState(0)
    layer_units = [6, 5, 4, 3]
    expected = [
        clf._init_coef(a, b, np.float64) for a, b in itertools.pairwise(layer_units)
    ]
    net = FeedForwardNetwork(layer_units, "logistic", "softmax")
    coefs, intercepts = net.unpack(
        net.init_params(np.random.RandomState(0), np.float64)
    )
    for (coef, intercept), got_c, got_i in zip(
        expected, coefs, intercepts, strict=True
    ):
        np.testing.assert_array_equal(got_c, coef)
        np.testing.assert_array_equal(got_i, intercept)


def test_pack_unpack_round_trip_and_layout():
    layer_units = [4, 3, 2]
    net = FeedForwardNetwork(layer_units, "relu", "logistic")
    assert net.n_params == 4 * 3 + 3 * 2 + 3 + 2
    params = np.arange(net.n_params, dtype=np.float64)
    coefs, intercepts = net.unpack(params)
    assert [c.shape for c in coefs] == [(4, 3), (3, 2)]
    assert [b.shape for b in intercepts] == [(3,), (2,)]
    # scikit-learn's _pack layout: all weights (row-major), then all biases.
    np.testing.assert_array_equal(coefs[0].ravel(), np.arange(12))
    np.testing.assert_array_equal(coefs[1].ravel(), np.arange(12, 18))
    np.testing.assert_array_equal(intercepts[0], np.arange(18, 21))
    np.testing.assert_array_equal(intercepts[1], np.arange(21, 23))
    # unpack gives views, pack gives a fresh copy.
    assert all(np.shares_memory(a, params) for a in coefs + intercepts)
    packed = net.pack(coefs, intercepts)
    np.testing.assert_array_equal(packed, params)
    assert not np.shares_memory(packed, params)
    assert net.pack(coefs, intercepts, np.float32).dtype == np.float32
    with pytest.raises(ValueError, match="expected 23 parameters"):
        net.pack(coefs[:1], intercepts)


def test_logits_match_a_direct_forward_pass():
    net, params = make_network("tanh", "softmax", 3)
    x, _, _ = make_data("softmax", 3)
    coefs, intercepts = net.unpack(params)
    h = np.tanh(x @ coefs[0] + intercepts[0])
    h = np.tanh(h @ coefs[1] + intercepts[1])
    expected = h @ coefs[2] + intercepts[2]
    np.testing.assert_allclose(net.logits(params, x), expected, rtol=1e-13)
    np.testing.assert_allclose(
        forward_logits(coefs, intercepts, "tanh", x), expected, rtol=1e-13
    )
    # loss_value agrees with the probabilities computed from scratch.
    y = np.eye(3)[[0, 1, 2, 0, 1, 2, 0]]
    p = softmax(expected, axis=1)
    np.testing.assert_allclose(
        net.loss_value(params, x, y, LOSSES["cross_entropy"]),
        -np.mean(np.log((p * y).sum(axis=1))),
        rtol=1e-12,
    )


# -- dtypes, read-only inputs, layouts --------------------------------------


@pytest.mark.parametrize(
    ("loss_name", "output", "n_outputs", "loss_params"), CASES, ids=CASE_IDS
)
def test_float32_everywhere_gives_float32_gradients(
    loss_name, output, n_outputs, loss_params
):
    net, params = make_network("tanh", output, n_outputs)
    x, y, sw = make_data(output, n_outputs, seed=5)
    loss = LOSSES[loss_name]
    grad64 = np.empty(net.n_params)
    value64 = net.loss_grad(
        params, x, y, grad64, loss, sample_weight=sw, alpha=0.1, loss_params=loss_params
    )
    f32 = np.float32
    y32 = y.astype(bool) if output != "identity" else y.astype(f32)
    grad32 = np.empty(net.n_params, dtype=f32)
    value32 = net.loss_grad(
        params.astype(f32),
        x.astype(f32),
        y32,
        grad32,
        loss,
        sample_weight=sw.astype(f32),
        alpha=0.1,
        loss_params=loss_params,
    )
    assert grad32.dtype == f32
    np.testing.assert_allclose(value32, value64, rtol=1e-5)
    np.testing.assert_allclose(grad32, grad64, rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize(
    ("loss_name", "output", "n_outputs", "loss_params"), CASES, ids=CASE_IDS
)
def test_loss_grad_never_writes_its_inputs(loss_name, output, n_outputs, loss_params):
    net, params = make_network("logistic", output, n_outputs)
    x, y, sw = make_data(output, n_outputs, seed=6)
    if output != "identity":
        y = y.astype(bool)
    for array in (params, x, y, sw):
        array.setflags(write=False)
    copies = [a.copy() for a in (params, x, y, sw)]
    grad = np.empty(net.n_params)
    value = net.loss_grad(
        params,
        x,
        y,
        grad,
        LOSSES[loss_name],
        sample_weight=sw,
        alpha=0.2,
        loss_params=loss_params,
    )
    assert np.isfinite(value)
    assert np.isfinite(grad).all()
    for array, copy in zip((params, x, y, sw), copies, strict=True):
        np.testing.assert_array_equal(array, copy)
    # The prediction path too.
    net.logits(params, x)
    net.loss_value(params, x, y, LOSSES[loss_name], sample_weight=sw)


def test_fortran_ordered_and_sparse_inputs_give_the_same_gradient():
    net, params = make_network("relu", "softmax", 3)
    x, y, sw = make_data("softmax", 3, seed=7)
    x[np.abs(x) < 0.5] = 0.0  # some structural zeros for the sparse copy
    loss = LOSSES["mix_ent"]
    reference = np.empty(net.n_params)
    expected = net.loss_grad(params, x, y, reference, loss, sample_weight=sw, alpha=0.1)
    for variant in (
        np.asfortranarray(x),
        sp.csr_matrix(x),
        sp.csc_matrix(x),
        sp.csr_array(x),
    ):
        grad = np.empty(net.n_params)
        value = net.loss_grad(
            params, variant, y, grad, loss, sample_weight=sw, alpha=0.1
        )
        np.testing.assert_allclose(value, expected, rtol=1e-13)
        np.testing.assert_allclose(grad, reference, rtol=1e-12, atol=1e-15)


def test_larger_buffers_serve_smaller_batches():
    net, params = make_network("tanh", "logistic", 2)
    x, y, sw = make_data("logistic", 2, seed=8)
    loss = LOSSES["min_ent"]
    buffers = net.buffers(20, np.float64)
    for n in (7, 3, 5):
        fresh, reused = np.empty(net.n_params), np.empty(net.n_params)
        v1 = net.loss_grad(params, x[:n], y[:n], fresh, loss, sample_weight=sw[:n])
        v2 = net.loss_grad(
            params,
            x[:n],
            y[:n],
            reused,
            loss,
            sample_weight=sw[:n],
            buffers=buffers,
        )
        assert v1 == v2
        np.testing.assert_array_equal(reused, fresh)


# -- batch_objective ---------------------------------------------------------


@pytest.mark.parametrize("weighted", [True, False], ids=["weighted", "unweighted"])
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
def test_batch_objective_equals_loss_grad_on_the_rows(weighted, sparse):
    net, params = make_network("relu", "softmax", 3)
    x, y, sw = make_data("softmax", 3, seed=9, n=12)
    y = y.astype(bool)
    sw = sw if weighted else None
    for array in (x, y) if sw is None else (x, y, sw):
        array.setflags(write=False)
    x_in = sp.csr_matrix(x) if sparse else x
    loss_params = {"entropy_weight": 0.2, "eps": 1e-4}
    objective = batch_objective(
        net,
        x_in,
        y,
        LOSSES["mix_ent"],
        sample_weight=sw,
        alpha=0.05,
        batch_size=5,
        loss_params=loss_params,
    )
    grad = np.empty(net.n_params)
    batches = [
        np.array([3, 0, 11, 7, 5]),
        slice(5, 10),
        np.array([9, 1]),
        slice(10, 12),
    ]
    for rows in batches:
        value = objective(params, rows, grad)
        expected_grad = np.empty(net.n_params)
        expected = net.loss_grad(
            params,
            x[rows],
            y[rows],
            expected_grad,
            LOSSES["mix_ent"],
            sample_weight=None if sw is None else sw[rows],
            alpha=0.05,
            loss_params=loss_params,
        )
        np.testing.assert_allclose(value, expected, rtol=1e-14)
        np.testing.assert_allclose(grad, expected_grad, rtol=1e-13, atol=1e-16)


def test_batch_objective_full_batch_equals_loss_value():
    net, params = make_network("logistic", "logistic", 1)
    x, y, sw = make_data("logistic", 1, seed=10)
    loss = LOSSES["min_ent"]
    objective = batch_objective(
        net, x, y, loss, sample_weight=sw, alpha=0.4, batch_size=len(x)
    )
    grad = np.empty(net.n_params)
    value = objective(params, slice(0, len(x)), grad)
    np.testing.assert_allclose(
        value,
        net.loss_value(params, x, y, loss, sample_weight=sw, alpha=0.4),
        rtol=1e-14,
    )


def test_stacked_dense_matches_one_network_at_a_time():
    # A (R, P) parameter array is R networks; each leading index of the
    # input goes through its own weights.
    from skentropy._engine.layers import Dense

    rng = np.random.RandomState(0)
    layer = Dense(3, 2, weight_offset=1, bias_offset=7)
    params = rng.normal(size=(4, 9))
    x = rng.normal(size=(4, 5, 3))
    delta = rng.normal(size=(4, 5, 2))
    out = layer.forward(params, x)
    grad = np.zeros_like(params)
    layer.backward(params, x, delta, grad, alpha=0.5, scale=2.0)
    back = layer.input_delta(params, delta, out=np.empty_like(x))
    for r in range(4):
        single = np.zeros(9)
        np.testing.assert_allclose(out[r], layer.forward(params[r], x[r]))
        layer.backward(params[r], x[r], delta[r], single, alpha=0.5, scale=2.0)
        np.testing.assert_allclose(grad[r, 1:], single[1:])
        np.testing.assert_allclose(
            back[r], layer.input_delta(params[r], delta[r], out=np.empty((5, 3)))
        )
