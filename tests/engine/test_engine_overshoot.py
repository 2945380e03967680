"""EOM engine: Eq. 12 / Eq. 13 against hand-computed cases, flags, the loop."""

import numpy as np
import pytest
from _gradcheck import assert_gradient_close, numerical_gradient

from skentropy._engine import LOSSES, FeedForwardNetwork
from skentropy._engine.overshoot import (
    correct_overshoot,
    fit_overshoot,
    gradient_sign_flips,
    tangent_intersection,
    weighted_mean,
)


def test_eq12_tangent_intersection_on_a_convex_quadratic():
    # E(p) = (p - 1)^2 between a = 0 and b = 3: tangents 1 - 2p and 4 + 4(p - 3)
    # meet at p = 1.5, strictly inside, so Eq. 12 is used.
    a, b, e_a, e_b, g_a, g_b = 0.0, 3.0, 1.0, 4.0, -2.0, 4.0
    assert tangent_intersection(a, b, e_a, e_b, g_a, g_b) == pytest.approx(1.5)
    x, used_tangent = correct_overshoot([a], [b], e_a, e_b, [g_a], [g_b], 1e-6)
    assert x[0] == pytest.approx(1.5) and used_tangent[0]


def test_eq13_weighted_mean_is_the_secant_zero_of_the_gradient():
    # Linear interpolation of g between (0, -2) and (3, 4) is zero at p = 1,
    # the exact minimiser of (p - 1)^2.
    assert weighted_mean(0.0, 3.0, -2.0, 4.0) == pytest.approx(1.0)
    # (|g_b| a + |g_a| b) / (|g_a| + |g_b|), the printed Eq. 13 with B_n restored.
    assert weighted_mean(2.0, 5.0, 1.0, -3.0) == pytest.approx((3 * 2 + 1 * 5) / 4)


def test_non_convex_case_falls_back_to_eq13():
    # E(p) = p^3 on [-1, 1.5]: the tangents meet at 8.75 / 3.75 = 2.33, outside
    # the bracket, so Eq. 13 gives (6.75 * -1 + 3 * 1.5) / 9.75.
    a, b = -1.0, 1.5
    e_a, e_b, g_a, g_b = a**3, b**3, 3 * a**2, 3 * b**2
    assert tangent_intersection(a, b, e_a, e_b, g_a, g_b) == pytest.approx(8.75 / 3.75)
    x, used_tangent = correct_overshoot([a], [b], e_a, e_b, [g_a], [g_b], 1e-6)
    assert x[0] == pytest.approx((6.75 * -1 + 3 * 1.5) / 9.75)
    assert not used_tangent[0]


def test_parallel_tangents_fall_back_to_eq13():
    x, used_tangent = correct_overshoot([0.0], [2.0], 1.0, 1.0, [-1.0], [-1.0], 1e-6)
    assert x[0] == pytest.approx(1.0) and not used_tangent[0]


def test_gradient_guard_keeps_b():
    x, used = correct_overshoot(
        [0.0, 0.0], [1.0, 1.0], 0.1, 0.2, [1e-7, 1e-7], [-5e-7, -0.5], 1e-6
    )
    assert x[0] == 1.0 and not used[0]  # both gradients tiny: b is accepted
    assert 0.0 < x[1] < 1.0  # a real gradient: corrected
    assert not gradient_sign_flips(np.array([1e-7]), np.array([-5e-7]), 1e-6)[0]
    assert gradient_sign_flips(np.array([1e-7]), np.array([-5e-3]), 1e-6)[0]
    assert not gradient_sign_flips(np.array([2.0]), np.array([3.0]), 1e-6)[0]


def test_corrections_are_vectorised_and_stay_inside_the_bracket():
    rng = np.random.RandomState(0)
    a, b = rng.normal(size=1000), rng.normal(size=1000)
    g_a, g_b = rng.normal(size=1000), rng.normal(size=1000)
    x, _ = correct_overshoot(a, b, 0.3, 0.2, g_a, g_b, 1e-6)
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    assert np.all((x >= lo) & (x <= hi))


def test_squared_error_leaves_outputs_in_the_logits_buffer():
    # The EOM loop reads the outputs from there after loss_grad.
    z = np.array([[0.3, -1.2]])
    y = np.array([[0.5, 0.1]])
    buffer = z.copy()
    LOSSES["squared_error"](y, buffer, "logistic")
    np.testing.assert_allclose(buffer, 1 / (1 + np.exp(-z)))


@pytest.mark.parametrize("activation", ["logistic", "tanh"])
def test_sigmoid_network_gradient_by_finite_differences(activation):
    rng = np.random.RandomState(1)
    x, y = rng.normal(size=(5, 4)), rng.uniform(0.05, 0.95, size=(5, 3))
    network = FeedForwardNetwork([4, 6, 3], activation, "logistic")
    params = network.init_params(rng, np.float64)
    grad = np.empty_like(params)
    network.loss_grad(params, x, y, grad, LOSSES["squared_error"], alpha=0.2)

    def value(p):
        return network.loss_value(p, x, y, LOSSES["squared_error"], alpha=0.2)

    assert_gradient_close(numerical_gradient(value, params), grad)


def _single_pattern(seed=0):
    rng = np.random.RandomState(seed)
    network = FeedForwardNetwork([22, 30, 58], "logistic", "logistic")
    params = network.init_params(np.random.RandomState(seed), np.float64)
    x = rng.uniform(0, 1, (1, 22))
    y = rng.uniform(0.05, 0.95, (1, 58))
    return network, params, x, y


def _largest_crossing(outputs_curve, y):
    """Largest distance by which an output sat across its target (vs. the start)."""
    side = np.sign(outputs_curve[0] - y)
    rest = np.asarray(outputs_curve[1:])
    return float((np.abs(rest - y) * (np.sign(rest - y) == -side)).max())


def test_single_pattern_tbp_overshoots_and_eom_does_not():
    network, params, x, y = _single_pattern()
    common = dict(learning_rate=5.0, max_iter=50, tol=1e-6, record_outputs=True)
    tbp = fit_overshoot(network, params.copy(), x, y, eliminate=False, **common)
    eom = fit_overshoot(network, params.copy(), x, y, eliminate=True, **common)
    assert tbp.initial_loss == eom.initial_loss  # same start
    assert max(tbp.overshoot_curve) == 1.0  # every output crossed its target
    assert _largest_crossing(tbp.outputs_curve, y) > 0.1
    # EOM: the only crossings left are within the paper's 1e-6 gradient guard.
    assert _largest_crossing(eom.outputs_curve, y) < 1e-4
    assert sum(eom.corrections_curve) > 0
    # ... and it reaches the target error sooner (the paper: 11 vs 14).
    assert eom.reached_tol and eom.n_iter < tbp.n_iter


def test_loop_stops_at_tol_and_reports_total_error():
    network, params, x, y = _single_pattern(1)
    result = fit_overshoot(
        network, params, x, y, learning_rate=5.0, max_iter=500, tol=1e-3
    )
    assert result.reached_tol
    assert result.loss_curve[-1] < 1e-3 <= result.loss_curve[-2]
    value = network.loss_value(params, x, y, LOSSES["squared_error"])
    assert result.loss_curve[-1] == pytest.approx(value * x.shape[0])


def test_divergence_keeps_last_finite_parameters():
    network, params, x, y = _single_pattern(2)
    start = params.copy()
    result = fit_overshoot(
        network, params, x, y, learning_rate=1e308, max_iter=5, tol=0.0, eliminate=False
    )
    assert result.diverged_iter is not None
    assert np.isfinite(params).all()
    if result.n_iter == 0:
        np.testing.assert_array_equal(params, start)


def test_repeat_corrections_land_no_closer_to_b_than_the_midpoint():
    # |g_a| = 100 |g_b|. Early repeats are plain Illinois: weight 1/2 lands at
    # (0.01 * 0 + 0.5 * 1) / 0.51, next to b.
    args = ([0.0], [1.0], 1.0, 0.01, [-1.0], [0.01], 1e-6)
    x, used = correct_overshoot(*args, [0.5])
    assert x[0] == pytest.approx(0.5 / 0.51) and not used[0]
    # After four halvings (weight 1/16 still gives 0.0625 > |g_b|) the
    # midpoint caps it.
    x, _ = correct_overshoot(*args, [0.0625])
    assert x[0] == pytest.approx(0.5)
    # A weight that already lands nearer the anchor is kept: 0.004 |g_a| vs
    # |g_b| = 0.01 gives (0.01 * 0 + 0.004 * 1) / 0.014.
    x, _ = correct_overshoot(*args, [0.004])
    assert x[0] == pytest.approx(0.004 / 0.014)


def _radiative_pattern(row):
    from sklearn.preprocessing import MinMaxScaler

    from skentropy.datasets import make_radiative_transfer

    X, Y = make_radiative_transfer(n_samples=100, random_state=3)
    X = MinMaxScaler().fit_transform(X)
    Y = MinMaxScaler((0.05, 0.95)).fit_transform(Y)
    return X[row : row + 1], Y[row : row + 1]


@pytest.mark.parametrize("row", [9, 13, 14])
def test_eom_does_not_stall_at_a_large_learning_rate(row):
    # Learning rate 10 on one pattern: plain backprop reaches E < 1e-6 here;
    # EOM without the midpoint cap crept from the overshooting side, used up
    # its round cap every iteration and stalled near E = 0.05-0.09.
    x, y = _radiative_pattern(row)
    network = FeedForwardNetwork([22, 30, 58], "logistic", "logistic")
    common = dict(learning_rate=10.0, max_iter=50, tol=1e-6, record_outputs=True)
    results = {}
    for eliminate in (False, True):
        params = network.init_params(np.random.RandomState(0), np.float64)
        results[eliminate] = fit_overshoot(
            network, params, x, y, eliminate=eliminate, **common
        )
    tbp, eom = results[False], results[True]
    assert tbp.reached_tol and eom.reached_tol
    assert eom.n_iter < tbp.n_iter
    assert _largest_crossing(tbp.outputs_curve, y) > 0.1
    assert _largest_crossing(eom.outputs_curve, y) < 1e-3


_CHEAP_CASES = {
    "one pattern, lr 5": ((22, 30, 58), "logistic", 1, 5.0, 0.0, np.float64),
    "one pattern, lr 10": ((22, 30, 58), "logistic", 1, 10.0, 0.0, np.float64),
    "40 patterns": ((22, 30, 58), "logistic", 40, 2.0, 0.0, np.float64),
    "two hidden layers, tanh, L2": (
        (22, 16, 12, 58),
        "tanh",
        30,
        3.0,
        1e-3,
        np.float64,
    ),
    "float32": ((22, 30, 58), "logistic", 1, 5.0, 0.0, np.float32),
}


@pytest.mark.parametrize("case", list(_CHEAP_CASES))
def test_cheap_passes_give_the_full_evaluations_results_bit_for_bit(case):
    units, activation, n, lr, alpha, dtype = _CHEAP_CASES[case]
    from sklearn.preprocessing import MinMaxScaler

    from skentropy.datasets import make_radiative_transfer

    X, Y = make_radiative_transfer(n_samples=max(n, 2), random_state=5)
    x = MinMaxScaler().fit_transform(X)[:n].astype(dtype)
    y = MinMaxScaler((0.05, 0.95)).fit_transform(Y)[:n].astype(dtype)
    network = FeedForwardNetwork(units, activation, "logistic")
    runs = {}
    for lazy in (True, False):
        params = network.init_params(np.random.RandomState(2), dtype)
        result = fit_overshoot(
            network, params, x, y, learning_rate=lr, max_iter=25, tol=1e-9,
            alpha=alpha, record_outputs=True, lazy=lazy,
        )  # fmt: skip
        runs[lazy] = params, result
    (cheap, fast), (full, slow) = runs[True], runs[False]
    assert sum(fast.corrections_curve) > 0  # the corrections ran
    np.testing.assert_array_equal(cheap, full)
    assert fast.loss_curve == slow.loss_curve
    assert fast.corrections_curve == slow.corrections_curve
    assert fast.rounds_curve == slow.rounds_curve
    np.testing.assert_array_equal(fast.outputs_curve, slow.outputs_curve)
    # Plain backprop costs one pass an iteration; the corrections less than
    # one each once they skip the layers they did not change.
    assert all(
        p == pytest.approx(1 + r)
        for p, r in zip(slow.passes_curve, slow.rounds_curve, strict=True)
    )
    extra = [sum(r.passes_curve) - r.n_iter for r in (fast, slow)]
    assert extra[0] < 0.9 * extra[1]


def test_per_pattern_overshoot_counts_flipped_and_grown_errors():
    from skentropy._engine.overshoot import per_pattern_overshoot

    err_a = np.full((20, 2), 0.1)
    err_b = err_a.copy()
    err_b[:2, 0] = -0.2  # output 0: 2 of 20 flip and grow -> 0.1 > 0.05
    err_b[2:5, 0] = -0.05  # ... 3 more flip but shrink: not counted
    err_b[0, 1] = -0.3  # output 1: 1 of 20 flips and grows -> 0.05, not > 0.05
    err_b[1:4, 1] = 0.5  # ... 3 grow on their own side: not counted
    np.testing.assert_array_equal(per_pattern_overshoot(err_a, err_b), [True, False])
    # Weighted: the one flipped pattern of output 1 weighs 3 of 22.
    weight = np.ones(20)
    weight[0] = 3.0
    np.testing.assert_array_equal(
        per_pattern_overshoot(err_a, err_b, weight), [True, True]
    )
    # An error already at zero at the anchor has no side to cross from.
    err_a[:2, 0] = 0.0
    assert not per_pattern_overshoot(err_a, err_b)[0]
