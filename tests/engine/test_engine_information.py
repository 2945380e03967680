"""Information potential and error entropy: values, gradients, estimators.

References are a direct double loop over all pairs (exactly the formula
``V = sum_ij w_i w_j G_s(e_i - e_j) / (sum w)^2``) and finite differences.
"""

import math
import warnings

import numpy as np
import pytest
from _gradcheck import assert_gradient_close, numerical_gradient

from skentropy._engine import information as info
from skentropy._engine.information import (
    AUTO_EXACT_MAX_JOINT_SAMPLES,
    AUTO_EXACT_MAX_SAMPLES,
    TRAINING_EXACT_MAX_SAMPLES,
    choose_method,
    error_entropy_and_grad,
    information_potential,
    information_potential_and_grad,
    resolve_kernel_width,
    silverman_width,
)


def double_loop(errors, s, w=None):
    """``V`` and ``d(-log V)/dE`` by the textbook double loop."""
    e = np.asarray(errors, dtype=np.float64)
    e2 = e.reshape(e.shape[0], -1)
    n, d = e2.shape
    w = np.ones(n) if w is None else np.asarray(w, dtype=np.float64)
    c_d = (2 * np.pi * s * s) ** (-d / 2)
    total = 0.0
    pull = np.zeros_like(e2)
    for k in range(n):
        for j in range(n):
            diff = e2[k] - e2[j]
            kern = math.exp(-(diff @ diff) / (2 * s * s))
            total += w[k] * w[j] * kern
            pull[k] += w[k] * w[j] * kern * diff
    potential = c_d * total / w.sum() ** 2
    grad_log = (2 / (s * s * total)) * pull
    return potential, grad_log.reshape(e.shape)


def make_errors(rng, n, d=None, kind="normal"):
    shape = (n,) if d is None else (n, d)
    if kind == "t3":
        return rng.standard_t(3, size=shape)
    return rng.standard_normal(shape)


CASES = [
    pytest.param(None, False, id="1d"),
    pytest.param(None, True, id="1d-weighted"),
    pytest.param(1, False, id="n-by-1"),
    pytest.param(3, False, id="3d"),
    pytest.param(3, True, id="3d-weighted"),
]


@pytest.mark.parametrize(("d", "weighted"), CASES)
@pytest.mark.parametrize("block_size", [None, 4])
def test_exact_matches_double_loop(d, weighted, block_size):
    rng = np.random.default_rng(0)
    e = make_errors(rng, 23, d)
    w = rng.uniform(0.1, 2.0, 23) if weighted else None
    s = 0.9
    v_ref, grad_ref = double_loop(e, s, w)

    v = information_potential(e, s, w, method="exact", block_size=block_size)
    assert v == pytest.approx(v_ref, rel=1e-12)
    log_v = information_potential(e, s, w, method="exact", log=True)
    assert log_v == pytest.approx(math.log(v_ref), rel=1e-12)

    loss, grad = error_entropy_and_grad(e, s, w, method="exact", block_size=block_size)
    assert loss == pytest.approx(-math.log(v_ref), rel=1e-12)
    assert grad.shape == e.shape
    np.testing.assert_allclose(grad, grad_ref, rtol=1e-10, atol=1e-14)

    # -V and V: the same direction, scaled by V.
    loss_ip, grad_ip = error_entropy_and_grad(e, s, w, objective="ip", method="exact")
    assert loss_ip == pytest.approx(-v_ref, rel=1e-12)
    np.testing.assert_allclose(grad_ip, v_ref * grad_ref, rtol=1e-10, atol=1e-16)
    v2, dv = information_potential_and_grad(e, s, w, method="exact")
    assert v2 == pytest.approx(v_ref, rel=1e-12)
    np.testing.assert_allclose(dv, -v_ref * grad_ref, rtol=1e-10, atol=1e-16)


@pytest.mark.parametrize("weighted", [False, True])
def test_binned_matches_double_loop_small(weighted):
    rng = np.random.default_rng(1)
    e = rng.standard_normal(60)
    w = rng.uniform(0.0, 3.0, 60) if weighted else None
    v_ref, grad_ref = double_loop(e, 0.7, w)
    loss, grad = error_entropy_and_grad(e, 0.7, w, method="binned")
    assert math.exp(-loss) == pytest.approx(v_ref, rel=1e-3)
    assert np.linalg.norm(grad - grad_ref) / np.linalg.norm(grad_ref) < 1e-2


@pytest.mark.parametrize(
    ("d", "weighted"),
    [(None, False), (None, True), (2, False), (3, True)],
    ids=["1d", "1d-weighted", "2d", "3d-weighted"],
)
@pytest.mark.parametrize("objective", ["log", "ip"])
def test_gradient_finite_differences(d, weighted, objective):
    rng = np.random.default_rng(2)
    e = make_errors(rng, 9, d)
    w = rng.uniform(0.2, 2.0, 9) if weighted else None
    s = 0.8

    def loss(x):
        return error_entropy_and_grad(x, s, w, objective=objective, method="exact")[0]

    _, grad = error_entropy_and_grad(e, s, w, objective=objective, method="exact")
    assert_gradient_close(numerical_gradient(loss, e), grad, rtol=1e-6)


def test_potential_gradient_finite_differences():
    rng = np.random.default_rng(3)
    e = rng.standard_normal((8, 2))
    s = 1.1
    _, dv = information_potential_and_grad(e, s, method="exact")
    numerical = numerical_gradient(
        lambda x: information_potential(x, s, method="exact"), e
    )
    assert_gradient_close(numerical, dv, rtol=1e-6)


@pytest.mark.parametrize("method", ["exact", "binned"])
def test_integer_weights_equal_repeated_rows(method):
    rng = np.random.default_rng(4)
    e = rng.standard_normal(40)
    w = rng.integers(0, 4, 40)
    w[0] = 2
    repeated = np.repeat(e, w)
    v_weighted = information_potential(e, 0.5, w, method=method)
    v_repeated = information_potential(repeated, 0.5, method=method)
    assert v_weighted == pytest.approx(v_repeated, rel=1e-12)
    # The gradient of a row with weight w is w times that of each copy
    # (the copies all sit at the same point).
    _, g_weighted = error_entropy_and_grad(e, 0.5, w, method=method)
    _, g_repeated = error_entropy_and_grad(repeated, 0.5, method=method)
    summed = np.zeros_like(e)
    np.add.at(summed, np.repeat(np.arange(40), w), g_repeated)
    np.testing.assert_allclose(g_weighted, summed, rtol=1e-9, atol=1e-14)
    # Silverman's rule sees the weights as frequencies too.
    assert silverman_width(e, w) == pytest.approx(silverman_width(repeated), rel=1e-12)


def test_integer_weights_equal_repeated_rows_multivariate():
    rng = np.random.default_rng(5)
    e = rng.standard_normal((25, 3))
    w = rng.integers(1, 4, 25)
    repeated = np.repeat(e, w, axis=0)
    assert information_potential(e, 0.8, w) == pytest.approx(
        information_potential(repeated, 0.8), rel=1e-12
    )
    assert silverman_width(e, w) == pytest.approx(silverman_width(repeated), rel=1e-12)


_EXACT_CACHE = {}


def _exact(n, kind):
    """Exact -log V and gradient (cached: the N = 20000 case takes ~1.5 s)."""
    if (n, kind) not in _EXACT_CACHE:
        rng = np.random.default_rng(n)
        e = make_errors(rng, n, kind=kind)
        s = silverman_width(e)
        _EXACT_CACHE[n, kind] = (e, s, *error_entropy_and_grad(e, s, method="exact"))
    return _EXACT_CACHE[n, kind]


@pytest.mark.parametrize("kind", ["normal", "t3"])
@pytest.mark.parametrize("n", [200, 2000, 20000])
def test_binned_close_to_exact(n, kind):
    e, s, loss, grad = _exact(n, kind)
    loss_b, grad_b = error_entropy_and_grad(e, s, method="binned")
    assert abs(math.exp(loss - loss_b) - 1) < 1e-3  # relative error of V
    assert np.linalg.norm(grad_b - grad) / np.linalg.norm(grad) < 1e-2
    v_b = information_potential(e, s, method="binned")
    assert v_b == pytest.approx(math.exp(-loss_b), rel=1e-12)


@pytest.mark.parametrize("grid_ratio", [7.0, 16.0])
def test_binned_weighted_close_to_exact(grid_ratio):
    rng = np.random.default_rng(6)
    e = rng.standard_t(3, 3000)
    w = rng.uniform(0.0, 2.0, 3000)
    s = silverman_width(e, w)
    loss, grad = error_entropy_and_grad(e, s, w, method="exact")
    loss_b, grad_b = error_entropy_and_grad(
        e, s, w, method="binned", grid_ratio=grid_ratio
    )
    assert abs(math.exp(loss - loss_b) - 1) < 1e-3
    assert np.linalg.norm(grad_b - grad) / np.linalg.norm(grad) < 1e-2


@pytest.mark.parametrize("far", [1e4, 1e9])
def test_binned_with_far_outliers(far):
    # A few errors far from the rest (some close to each other): the grid
    # squeezes out the empty stretch instead of spanning it.
    rng = np.random.default_rng(7)
    e = rng.standard_normal(3000)
    e[:4] = [far, far + 0.2, -far, 0.5 * far]
    loss, grad = error_entropy_and_grad(e, 0.3, method="exact")
    loss_b, grad_b = error_entropy_and_grad(e, 0.3, method="binned")
    assert abs(math.exp(loss - loss_b) - 1) < 1e-3
    assert np.linalg.norm(grad_b - grad) / np.linalg.norm(grad) < 1e-2
    # The two neighbours far out attract each other (descent moves e_0 up).
    assert grad_b[0] < 0 < grad_b[1]
    np.testing.assert_allclose(grad_b[:2], grad[:2], rtol=1e-2)


def test_binned_grid_too_large_is_a_clear_error():
    e = np.arange(200_000, dtype=float)  # unit spacing, isolated at s = 1e-3
    with pytest.raises(ValueError, match="larger kernel_width"):
        information_potential(e, 1e-3, method="binned")


@pytest.mark.parametrize("method", ["exact", "binned"])
def test_shift_invariance(method):
    rng = np.random.default_rng(8)
    e = rng.standard_normal(500)
    loss, grad = error_entropy_and_grad(e, 0.4, method=method)
    loss_shift, grad_shift = error_entropy_and_grad(e + 123.0, 0.4, method=method)
    assert loss_shift == pytest.approx(loss, rel=1e-9)
    np.testing.assert_allclose(grad_shift, grad, rtol=1e-6, atol=1e-12)
    # No gradient along the shift: the output bias learns nothing.
    assert abs(grad.sum()) < 1e-10 * np.abs(grad).sum()


def test_shift_invariance_multivariate():
    rng = np.random.default_rng(9)
    e = rng.standard_normal((50, 4))
    shift = np.array([3.0, -7.0, 0.5, 100.0])
    assert information_potential(e + shift, 1.0) == pytest.approx(
        information_potential(e, 1.0), rel=1e-10
    )
    _, grad = error_entropy_and_grad(e, 1.0)
    np.testing.assert_allclose(grad.sum(axis=0), 0.0, atol=1e-12)


def test_equal_errors_are_stationary():
    e = np.full((10, 2), 0.7)
    loss, grad = error_entropy_and_grad(e, 0.5)
    # All pairs at distance 0: V = c_d exactly.
    assert loss == pytest.approx(math.log(2 * math.pi * 0.25), rel=1e-12)
    np.testing.assert_array_equal(grad, 0.0)


def test_many_dimensions_stay_finite():
    # c_d = (2 pi s^2)^(-d/2) underflows to 0 in float64 here; log V does not.
    d, s = 400, 5.0
    assert (2 * math.pi * s * s) ** (-d / 2) == 0.0
    rng = np.random.default_rng(10)
    e = 0.1 * rng.standard_normal((30, d))
    log_v = information_potential(e, s, log=True)
    assert np.isfinite(log_v)
    expected_diag_only = -0.5 * d * math.log(2 * math.pi * s * s)
    assert log_v < expected_diag_only  # V < c_d, the all-equal maximum
    loss, grad = error_entropy_and_grad(e, s)
    assert loss == pytest.approx(-log_v)
    assert np.isfinite(grad).all()


def test_far_pairs_are_clamped_not_subnormal():
    # Widely separated float32 errors: far kernel values are clamped at
    # exp(-80) (a normal float32) instead of becoming subnormal.
    e = np.array([0.0, 10.0, 20.0], dtype=np.float32)
    loss, grad = error_entropy_and_grad(e, 0.3)
    # Only the diagonal survives: V = c_1 / N.
    expected = -(math.log(1 / 3) - 0.5 * math.log(2 * math.pi * 0.09))
    assert loss == pytest.approx(expected, rel=1e-6)
    assert np.isfinite(grad).all()


def test_block_size_does_not_matter():
    rng = np.random.default_rng(11)
    e = rng.standard_normal((100, 2))
    ref = error_entropy_and_grad(e, 0.6, block_size=100)
    for block_size in (1, 7, 33):
        loss, grad = error_entropy_and_grad(e, 0.6, block_size=block_size)
        assert loss == pytest.approx(ref[0], rel=1e-13)
        np.testing.assert_allclose(grad, ref[1], rtol=1e-11, atol=1e-15)


def test_auto_method():
    rng = np.random.default_rng(12)
    small = rng.standard_normal(AUTO_EXACT_MAX_SAMPLES)
    assert information_potential(small, 0.3) == information_potential(
        small, 0.3, method="exact"
    )
    big = rng.standard_normal(AUTO_EXACT_MAX_SAMPLES + 1)
    assert information_potential(big, 0.3) == information_potential(
        big, 0.3, method="binned"
    )
    # Joint errors: binned above the crossover in 2-D and 3-D, exact beyond.
    for d, method in ((2, "binned"), (3, "binned"), (4, "exact")):
        big = rng.standard_normal((AUTO_EXACT_MAX_JOINT_SAMPLES + 1, d))
        assert information_potential(big, 0.3) == information_potential(
            big, 0.3, method=method
        )
    small_2d = rng.standard_normal((AUTO_EXACT_MAX_JOINT_SAMPLES, 2))
    assert information_potential(small_2d, 0.3) == information_potential(
        small_2d, 0.3, method="exact"
    )


@pytest.mark.parametrize("method", ["exact", "binned"])
def test_float32(method):
    rng = np.random.default_rng(13)
    e64 = rng.standard_normal(1000)
    e32 = e64.astype(np.float32)
    loss64, grad64 = error_entropy_and_grad(e64, 0.3, method=method)
    loss32, grad32 = error_entropy_and_grad(e32, 0.3, method=method)
    assert grad32.dtype == np.float32
    assert isinstance(loss32, float)
    assert loss32 == pytest.approx(loss64, rel=1e-5)
    assert np.linalg.norm(grad32 - grad64) / np.linalg.norm(grad64) < 1e-4


def test_float32_tiny_width():
    # 1 / (2 s^2) does not fit in float32: computed in float64 instead.
    e = np.array([0.0, 1e-21, 1.0], dtype=np.float32)
    loss, grad = error_entropy_and_grad(e, 1e-20)
    assert np.isfinite(loss)
    assert grad.dtype == np.float32
    assert np.isfinite(grad).all()


def test_integer_and_list_input():
    v_int = information_potential([0, 1, 3], 1.0)
    assert v_int == pytest.approx(information_potential([0.0, 1.0, 3.0], 1.0))


# Kernel width ---------------------------------------------------------------


def test_silverman_formula_1d():
    rng = np.random.default_rng(14)
    e = rng.standard_normal(500)
    std = e.std()
    iqr = np.subtract(*np.percentile(e, [75, 25]))
    sigma = 0.9 * min(std, iqr / 1.34) * 500 ** (-0.2)
    assert silverman_width(e) == pytest.approx(math.sqrt(2) * sigma, rel=1e-12)


def test_silverman_formula_multivariate():
    rng = np.random.default_rng(15)
    e = rng.standard_normal((300, 3)) * [1.0, 2.0, 3.0]
    std = math.sqrt(e.var(axis=0).mean())
    sigma = std * (4 / (5 * 300)) ** (1 / 7)
    assert silverman_width(e) == pytest.approx(math.sqrt(2) * sigma, rel=1e-12)


def test_silverman_zero_iqr_uses_std():
    e = np.zeros(100)
    e[:3] = [5.0, -5.0, 2.0]
    assert silverman_width(e) == pytest.approx(
        math.sqrt(2) * 0.9 * e.std() * 100 ** (-0.2), rel=1e-12
    )


@pytest.mark.parametrize("shape", [(50,), (50, 3)])
def test_silverman_positive_and_floored(shape):
    e = np.full(shape, 3.5)
    width = silverman_width(e)
    assert width > 0
    loss, grad = error_entropy_and_grad(e, "silverman")
    assert np.isfinite(loss)
    np.testing.assert_array_equal(grad, 0.0)
    # One distinct error among many equal ones: floored relative to the std.
    e = np.zeros(10**4)
    e[0] = 1.0
    assert silverman_width(e) >= math.sqrt(2) * 1e-3 * e.std()


def test_silverman_ignores_zero_weights():
    rng = np.random.default_rng(16)
    e = rng.standard_normal(100)
    w = np.ones(100)
    w[:10] = 0.0
    e_out = e.copy()
    e_out[:10] = 1e6
    assert silverman_width(e_out, w) == pytest.approx(silverman_width(e[10:]))


def test_resolve_kernel_width():
    e = np.arange(10.0)
    assert resolve_kernel_width(0.5, e) == 0.5
    assert resolve_kernel_width(2, e) == 2.0
    assert resolve_kernel_width("silverman", e) == silverman_width(e)


# Validation -----------------------------------------------------------------


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("method", ["exact", "binned"])
def test_non_finite_errors_rejected(bad, method):
    e = np.array([0.0, 1.0, bad, 2.0])
    with pytest.raises(ValueError, match="NaN or infinity"):
        information_potential(e, 1.0, method=method)
    with pytest.raises(ValueError, match="NaN or infinity"):
        error_entropy_and_grad(e, 1.0, method=method)
    with pytest.raises(ValueError, match="NaN or infinity"):
        silverman_width(e)


@pytest.mark.parametrize("width", [0.0, -1.0, np.nan, np.inf, "scott", True, None])
def test_bad_kernel_width_rejected(width):
    with pytest.raises(ValueError, match="kernel_width"):
        information_potential([0.0, 1.0], width)
    with pytest.raises(ValueError, match="kernel_width"):
        error_entropy_and_grad([0.0, 1.0], width)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"sample_weight": [1.0, -1.0, 1.0]}, "non-negative"),
        ({"sample_weight": [0.0, 0.0, 0.0]}, "positive sum"),
        ({"sample_weight": [1.0, 1.0]}, "shape"),
        ({"sample_weight": [1.0, np.nan, 1.0]}, "NaN"),
        ({"method": "fast"}, "method"),
        ({"grid_ratio": 0.5, "method": "binned"}, "grid_ratio"),
        ({"block_size": 0}, "block_size"),
    ],
)
def test_bad_arguments_rejected(kwargs, match):
    with pytest.raises(ValueError, match=match):
        error_entropy_and_grad([0.0, 1.0, 2.0], 1.0, **kwargs)


def test_bad_shapes_rejected():
    with pytest.raises(ValueError, match="empty"):
        information_potential(np.zeros(0), 1.0)
    with pytest.raises(ValueError, match="1-D"):
        information_potential(np.zeros((2, 2, 2)), 1.0)
    with pytest.raises(ValueError, match="1 to 3 dimensions"):
        information_potential(np.zeros((5, 4)), 1.0, method="binned")
    with pytest.raises(ValueError, match="objective"):
        error_entropy_and_grad(np.zeros(3), 1.0, objective="mse")


@pytest.mark.parametrize("method", ["exact", "binned"])
def test_errors_too_far_apart_rejected(method):
    with pytest.raises(ValueError, match="larger kernel_width"):
        information_potential(np.array([0.0, 1e200]), 1.0, method=method)


def test_choose_method_crossovers():
    assert choose_method(AUTO_EXACT_MAX_SAMPLES, 1) == "exact"
    assert choose_method(AUTO_EXACT_MAX_SAMPLES + 1, 1) == "binned"
    # Joint errors: binned only when the caller sets a joint crossover (the
    # metrics do; the training losses keep the exact sums).
    assert choose_method(10**6, 2) == "exact"
    joint = AUTO_EXACT_MAX_JOINT_SAMPLES
    assert choose_method(joint, 2, max_exact_joint=joint) == "exact"
    assert choose_method(joint + 1, 2, max_exact_joint=joint) == "binned"
    assert choose_method(10**6, 3, max_exact_joint=joint) == "binned"
    assert choose_method(10**6, 4, max_exact_joint=joint) == "exact"
    small, big = TRAINING_EXACT_MAX_SAMPLES, TRAINING_EXACT_MAX_SAMPLES + 1
    assert choose_method(small, 1, max_exact=small) == "exact"
    assert choose_method(big, 1, max_exact=small) == "binned"


# Binned estimator in 2-D and 3-D --------------------------------------------


def _errors_nd(kind, n, d, seed):
    rng = np.random.default_rng(seed)
    if kind == "t3":
        return rng.standard_t(3, size=(n, d))
    if kind == "mixture":
        half = n // 2
        return np.concatenate(
            [rng.standard_normal((half, d)), 3 + 0.2 * rng.standard_normal((half, d))]
        )
    return rng.standard_normal((n, d))


@pytest.mark.parametrize("d", [2, 3])
@pytest.mark.parametrize("kind", ["normal", "t3", "mixture"])
@pytest.mark.parametrize("weighted", [False, True])
def test_binned_nd_close_to_exact(d, kind, weighted):
    # The stated bound: log V within 1e-3 of the exact sums (typically 1e-4),
    # the gradient within a few percent.
    e = _errors_nd(kind, 3000, d, seed=20 + d)
    w = np.random.default_rng(1).uniform(0.0, 2.0, 3000) if weighted else None
    s = silverman_width(e, w)
    loss, grad = error_entropy_and_grad(e, s, w, method="exact")
    loss_b, grad_b = error_entropy_and_grad(e, s, w, method="binned")
    assert abs(loss_b - loss) < 1e-3
    assert np.linalg.norm(grad_b - grad) / np.linalg.norm(grad) < 3e-2
    log_v = information_potential(e, s, w, method="binned", log=True)
    assert log_v == pytest.approx(-loss_b, rel=1e-12)


@pytest.mark.parametrize("grid_ratio", [2.0, 6.0])
def test_binned_nd_grid_ratio(grid_ratio):
    e = _errors_nd("normal", 2000, 2, seed=23)
    loss = information_potential(e, 0.4, method="exact", log=True)
    loss_b = information_potential(e, 0.4, method="binned", grid_ratio=grid_ratio)
    assert abs(math.log(loss_b) - loss) < 1e-3


def test_binned_nd_heavy_tails_sum_the_tail_exactly(monkeypatch):
    # A grid too small for the spread: the errors outside a central box have
    # their pairs summed exactly, the rest stays on the grid.
    monkeypatch.setattr(info, "_MAX_GRID", 2**18)
    monkeypatch.setattr(info, "_MAX_TAIL_FRACTION", 0.5)
    tails = []
    tail_sums = info._tail_sums
    monkeypatch.setattr(
        info,
        "_tail_sums",
        lambda xs, w, tail, *a: tails.append(tail) or tail_sums(xs, w, tail, *a),
    )
    rng = np.random.default_rng(24)
    e = rng.standard_cauchy((3000, 3))
    w = rng.uniform(0.5, 1.5, 3000)
    loss, grad = error_entropy_and_grad(e, 0.5, w, method="exact")
    loss_b, grad_b = error_entropy_and_grad(e, 0.5, w, method="binned")
    assert 0.05 < tails[0].mean() < 0.5  # the tail path ran, on many errors
    assert abs(loss_b - loss) < 1e-3
    assert np.linalg.norm(grad_b - grad) / np.linalg.norm(grad) < 3e-2
    # The tail's own pulls are exact; only the common factor 1 / S is binned.
    np.testing.assert_allclose(grad_b[tails[0]], grad[tails[0]], rtol=2e-3, atol=1e-9)
    # Errors in the box next to the tail feel its pull too.
    tail = e[tails[0]]
    near = ~tails[0] & (np.abs(e[:, None, :] - tail[None]).max(axis=2) < 1.0).any(1)
    assert near.sum() > 20
    diff = np.linalg.norm(grad_b[near] - grad[near])
    assert diff < 3e-2 * np.linalg.norm(grad[near])


def test_binned_nd_grid_too_large_falls_back_in_auto():
    # Errors far apart on a diagonal, a tiny width: no grid fits. "binned"
    # says so; "auto" takes the exact sums instead.
    e = np.repeat(np.arange(AUTO_EXACT_MAX_JOINT_SAMPLES + 1.0)[:, None], 3, axis=1)
    with pytest.raises(ValueError, match="larger kernel_width"):
        information_potential(e, 1e-3, method="binned")
    assert information_potential(e, 1e-3) == information_potential(
        e, 1e-3, method="exact"
    )


# Scale: exact over the whole float range --------------------------------------

SCALES = [1e-300, 1e-160, 1.0, 1e150, 1e300]


@pytest.mark.parametrize("scale", SCALES)
@pytest.mark.parametrize("d", [None, 2])
@pytest.mark.parametrize("method", ["exact", "binned"])
def test_scale_shifts_entropy_analytically(scale, d, method):
    # H(c e) = H(e) + d log c when the width scales with the errors: for a
    # width rule, and for an explicit width c s. References: the double loop
    # at scale 1 (to the estimator's accuracy), and the same estimator at
    # scale 1 plus the analytic shift (to rounding); no RuntimeWarning.
    rng = np.random.default_rng(25)
    e = rng.standard_normal((60,) if d is None else (60, d))
    dim = 1 if d is None else d
    s = silverman_width(e)
    v_ref, grad_ref = double_loop(e, s)
    loss_1, grad_1 = error_entropy_and_grad(e, s, method=method)
    tol, grad_tol = (1e-9, 1e-7) if method == "exact" else (1e-3, 3e-2)
    assert loss_1 == pytest.approx(-math.log(v_ref), abs=tol)
    assert np.linalg.norm(grad_1 - grad_ref) <= grad_tol * np.linalg.norm(grad_ref)
    shift = dim * math.log(scale)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert silverman_width(e * scale) == pytest.approx(s * scale, rel=1e-12)
        for width in ("silverman", s * scale):
            loss, grad = error_entropy_and_grad(e * scale, width, method=method)
            assert loss == pytest.approx(loss_1 + shift, abs=1e-9)
            np.testing.assert_allclose(grad * scale, grad_1, rtol=1e-7, atol=1e-12)
            log_v = information_potential(e * scale, width, method=method, log=True)
            assert log_v == pytest.approx(-loss_1 - shift, abs=1e-9)


@pytest.mark.parametrize("scale", [1e-300, 1e300])
def test_weight_scale_does_not_matter(scale):
    rng = np.random.default_rng(26)
    e = rng.standard_normal((80, 2))
    w = rng.uniform(0.1, 2.0, 80)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss, grad = error_entropy_and_grad(e, 0.5, w * scale)
    ref_loss, ref_grad = error_entropy_and_grad(e, 0.5, w)
    assert loss == pytest.approx(ref_loss, rel=1e-12)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("scale", [1e-30, 1.0, 1e30])
@pytest.mark.parametrize("d", [None, 2])
def test_scale_float32(scale, d):
    rng = np.random.default_rng(27)
    e = rng.standard_normal((60,) if d is None else (60, d))
    dim = 1 if d is None else d
    v_ref, grad_ref = double_loop(e, silverman_width(e))
    e32 = (e * scale).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss, grad = error_entropy_and_grad(e32, "silverman")
    assert grad.dtype == np.float32
    assert loss == pytest.approx(-math.log(v_ref) + dim * math.log(scale), abs=1e-4)
    np.testing.assert_allclose(grad * scale, grad_ref, rtol=1e-3, atol=1e-5)


def test_potential_beyond_the_float_range_is_a_clear_error():
    e = np.random.default_rng(28).standard_normal((50, 2)) * 1e-300
    log_v = information_potential(e, "silverman", log=True)
    assert log_v > 1300  # V ~ 1e600
    with pytest.raises(ValueError, match="exceeds the float range"):
        information_potential(e, "silverman")
