"""Output losses: finite-difference gradients, closed forms and conventions.

Convention under test (``skentropy._engine.losses``): ``loss(y, z, output,
sample_weight)`` returns the sample-weighted *mean* loss and the gradient of
the weighted *sum* ``sum_i w_i l_i`` with respect to the logits ``z``, i.e.
``delta == d(value)/dz * sum(w)``. ``z`` is overwritten, so every call here
gets a copy.
"""

import numpy as np
import pytest
from _gradcheck import assert_gradient_close, numerical_gradient
from scipy.special import entr, expit, log_expit, log_softmax, rel_entr, softmax

from skentropy._engine import LOSSES, log_output

N_SAMPLES = 6
ENTROPY_WEIGHTS = [0.0, 0.1, 1.0, 3.0]
EPSILONS = [1e-6, 1e-3, 0.1]

# (output activation, number of output columns): multiclass softmax, binary
# logistic (one column) and multilabel logistic (several columns).
PROBLEMS = [("softmax", 4), ("logistic", 1), ("logistic", 3)]
PROBLEM_IDS = ["multiclass", "binary", "multilabel"]

REGULARISED = [("cross_entropy", {})]
REGULARISED += [("min_ent", {"entropy_weight": w}) for w in ENTROPY_WEIGHTS]
REGULARISED += [
    ("mix_ent", {"entropy_weight": w, "eps": e})
    for w in ENTROPY_WEIGHTS
    for e in EPSILONS
]


def make_problem(output, n_outputs, seed=0, n=N_SAMPLES):
    """Moderate logits (|z| < 5, so the CE clip is inactive) and 0/1 targets."""
    rng = np.random.RandomState(seed)
    z = rng.uniform(-4, 4, (n, n_outputs))
    if output == "softmax":
        y = np.eye(n_outputs)[rng.randint(n_outputs, size=n)]
    else:
        y = (rng.uniform(size=(n, n_outputs)) < 0.5).astype(np.float64)
        y[0] = 1 - y[1]  # both labels present in every column
    return z, y


def weights(flag, n=N_SAMPLES, seed=0):
    if not flag:
        return None
    return np.random.RandomState(seed + 7).uniform(0.2, 3.0, n)


def call(name, y, z, output, sample_weight=None, **kwargs):
    """Run a loss on a copy of ``z`` (losses overwrite their logits)."""
    return LOSSES[name](y, z.copy(), output, sample_weight, **kwargs)


def check_gradient(name, y, z, output, sample_weight, params):
    value, delta = call(name, y, z, output, sample_weight, **params)
    value_only, none = call(
        name, y, z, output, sample_weight, need_delta=False, **params
    )
    assert none is None
    assert value == value_only
    assert delta.shape == z.shape

    def f(zz):
        return call(name, y, zz, output, sample_weight, need_delta=False, **params)[0]

    total_weight = len(y) if sample_weight is None else sample_weight.sum()
    numerical = numerical_gradient(f, z) * total_weight
    assert_gradient_close(numerical, delta)


# -- finite differences ----------------------------------------------------


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize(("output", "n_outputs"), PROBLEMS, ids=PROBLEM_IDS)
@pytest.mark.parametrize(
    ("name", "params"),
    REGULARISED,
    ids=[f"{n}-{'-'.join(f'{k}={v}' for k, v in p.items())}" for n, p in REGULARISED],
)
def test_entropy_losses_match_finite_differences(
    name, params, output, n_outputs, weighted
):
    z, y = make_problem(output, n_outputs, seed=n_outputs)
    check_gradient(name, y, z, output, weights(weighted), params)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("output", ["identity", "logistic", "tanh", "softmax"])
def test_squared_error_matches_finite_differences(output, weighted):
    rng = np.random.RandomState(3)
    z = rng.uniform(-2, 2, (N_SAMPLES, 3))
    low = -1.0 if output in ("identity", "tanh") else 0.0
    y = rng.uniform(low, 1.0, z.shape)
    check_gradient("squared_error", y, z, output, weights(weighted), {})


# -- closed forms ----------------------------------------------------------


def cross_entropy_per_sample(y, z, output):
    if output == "softmax":
        return -(y * log_softmax(z, axis=1)).sum(axis=1)
    return -(y * log_expit(z) + (1 - y) * log_expit(-z)).sum(axis=1)


def probabilities(z, output):
    return softmax(z, axis=1) if output == "softmax" else expit(z)


def entropy_per_sample(p, output):
    h = entr(p)
    if output == "logistic":
        h = h + entr(1 - p)
    return h.sum(axis=1)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize(("output", "n_outputs"), PROBLEMS, ids=PROBLEM_IDS)
def test_cross_entropy_value_and_gradient_closed_form(output, n_outputs, weighted):
    z, y = make_problem(output, n_outputs, seed=11)
    sw = weights(weighted)
    value, delta = call("cross_entropy", y, z, output, sw)
    expected = np.average(cross_entropy_per_sample(y, z, output), weights=sw)
    np.testing.assert_allclose(value, expected, rtol=1e-12)
    scale = np.ones(len(y)) if sw is None else sw
    expected_delta = (probabilities(z, output) - y) * scale[:, None]
    np.testing.assert_allclose(delta, expected_delta, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize(("output", "n_outputs"), PROBLEMS, ids=PROBLEM_IDS)
@pytest.mark.parametrize("entropy_weight", ENTROPY_WEIGHTS)
def test_min_ent_value_is_ce_plus_entropy(output, n_outputs, entropy_weight, weighted):
    z, y = make_problem(output, n_outputs, seed=12)
    sw = weights(weighted)
    value, _ = call("min_ent", y, z, output, sw, entropy_weight=entropy_weight)
    per_sample = cross_entropy_per_sample(y, z, output)
    per_sample = per_sample + entropy_weight * entropy_per_sample(
        probabilities(z, output), output
    )
    np.testing.assert_allclose(value, np.average(per_sample, weights=sw), rtol=1e-12)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize(("output", "n_outputs"), PROBLEMS, ids=PROBLEM_IDS)
@pytest.mark.parametrize("eps", EPSILONS)
@pytest.mark.parametrize("entropy_weight", ENTROPY_WEIGHTS)
def test_mix_ent_value_is_ce_plus_reverse_ce(
    output, n_outputs, entropy_weight, eps, weighted
):
    z, y = make_problem(output, n_outputs, seed=13)
    sw = weights(weighted)
    value, _ = call("mix_ent", y, z, output, sw, entropy_weight=entropy_weight, eps=eps)
    p = probabilities(z, output)
    # RCE = -sum p log(q + eps), written directly ...
    rce = -(p * np.log(y + eps)).sum(axis=1)
    if output == "logistic":
        rce -= ((1 - p) * np.log(1 - y + eps)).sum(axis=1)
    # ... equals H(p) + KL(p || q + eps) (KL against the unnormalised q + eps).
    kl = rel_entr(p, y + eps)
    if output == "logistic":
        kl = kl + rel_entr(1 - p, 1 - y + eps)
    np.testing.assert_allclose(
        rce, entropy_per_sample(p, output) + kl.sum(axis=1), rtol=1e-12
    )
    per_sample = cross_entropy_per_sample(y, z, output) + entropy_weight * rce
    np.testing.assert_allclose(value, np.average(per_sample, weights=sw), rtol=1e-12)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("output", ["identity", "logistic", "tanh"])
def test_squared_error_value_closed_form(output, weighted):
    rng = np.random.RandomState(5)
    z = rng.normal(size=(N_SAMPLES, 2))
    y = rng.normal(size=z.shape)
    sw = weights(weighted)
    value, _ = call("squared_error", y, z, output, sw)
    p = {"identity": z, "logistic": expit(z), "tanh": np.tanh(z)}[output]
    expected = np.average(0.5 * ((p - y) ** 2).sum(axis=1), weights=sw)
    np.testing.assert_allclose(value, expected, rtol=1e-12)


@pytest.mark.parametrize(("output", "n_outputs"), PROBLEMS, ids=PROBLEM_IDS)
def test_entropy_gradient_vanishes_at_the_uniform_distribution(output, n_outputs):
    # Equal logits: uniform softmax; zero logits: p = 1/2 per Bernoulli column.
    z = np.zeros((N_SAMPLES, n_outputs)) + (0.7 if output == "softmax" else 0.0)
    _, y = make_problem(output, n_outputs, seed=14)
    value_ce, delta_ce = call("cross_entropy", y, z, output)
    value_me, delta_me = call("min_ent", y, z, output, entropy_weight=1.0)
    # dH/dz = 0 at the maximum of H, so MIN-ENT's gradient is CE's there.
    np.testing.assert_allclose(delta_me, delta_ce, rtol=0, atol=1e-15)
    max_entropy = np.log(n_outputs) if output == "softmax" else n_outputs * np.log(2)
    np.testing.assert_allclose(value_me - value_ce, max_entropy, rtol=1e-13)


# -- conventions -----------------------------------------------------------


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize(("output", "n_outputs"), PROBLEMS, ids=PROBLEM_IDS)
@pytest.mark.parametrize("name", ["cross_entropy", "min_ent", "mix_ent"])
def test_boolean_targets_match_float_targets(name, output, n_outputs, weighted):
    z, y = make_problem(output, n_outputs, seed=15)
    sw = weights(weighted)
    params = {} if name == "cross_entropy" else {"entropy_weight": 0.5}
    value_f, delta_f = call(name, y, z, output, sw, **params)
    value_b, delta_b = call(name, y.astype(bool), z, output, sw, **params)
    assert delta_b.dtype == np.float64
    np.testing.assert_allclose(value_b, value_f, rtol=1e-15)
    np.testing.assert_allclose(delta_b, delta_f, rtol=1e-15, atol=1e-17)


@pytest.mark.parametrize(("output", "n_outputs"), PROBLEMS, ids=PROBLEM_IDS)
def test_squared_error_accepts_boolean_targets(output, n_outputs):
    z, y = make_problem(output, n_outputs, seed=16)
    value_f, delta_f = call("squared_error", y, z, output)
    value_b, delta_b = call("squared_error", y.astype(bool), z, output)
    np.testing.assert_allclose(value_b, value_f, rtol=1e-15)
    np.testing.assert_allclose(delta_b, delta_f, rtol=1e-15, atol=1e-17)


@pytest.mark.parametrize("name", list(LOSSES))
def test_losses_do_not_write_targets_or_weights(name):
    output = "logistic"
    z, y = make_problem(output, 3, seed=17)
    sw = weights(True)
    y.setflags(write=False)
    sw.setflags(write=False)
    value, delta = call(name, y, z, output, sw)
    assert np.isfinite(value)
    assert np.isfinite(delta).all()


@pytest.mark.parametrize(("output", "n_outputs"), PROBLEMS, ids=PROBLEM_IDS)
@pytest.mark.parametrize("name", list(LOSSES))
def test_float32_logits_give_float32_gradients(name, output, n_outputs):
    z, y = make_problem(output, n_outputs, seed=18)
    sw = weights(True)
    value64, delta64 = call(name, y, z, output, sw)
    value32, delta32 = LOSSES[name](
        y.astype(bool), z.astype(np.float32), output, sw.astype(np.float32)
    )
    assert delta32.dtype == np.float32
    np.testing.assert_allclose(value32, value64, rtol=1e-5)
    np.testing.assert_allclose(delta32, delta64, rtol=1e-4, atol=1e-5)


def test_unit_weights_equal_no_weights():
    z, y = make_problem("softmax", 4, seed=19)
    for name in LOSSES:
        v0, d0 = call(name, y, z, "softmax")
        v1, d1 = call(name, y, z, "softmax", np.ones(len(y)))
        np.testing.assert_allclose(v1, v0, rtol=1e-15)
        np.testing.assert_allclose(d1, d0, rtol=1e-15)


def test_integer_weights_equal_repeated_rows():
    z, y = make_problem("softmax", 4, seed=20)
    counts = np.array([1, 2, 3, 1, 1, 2])
    for name in ["cross_entropy", "min_ent", "mix_ent"]:
        value_w, delta_w = call(name, y, z, "softmax", counts.astype(float))
        value_r, delta_r = call(
            name, np.repeat(y, counts, axis=0), np.repeat(z, counts, axis=0), "softmax"
        )
        np.testing.assert_allclose(value_w, value_r, rtol=1e-13)
        summed = np.add.reduceat(delta_r, np.r_[0, np.cumsum(counts)[:-1]], axis=0)
        np.testing.assert_allclose(delta_w, summed, rtol=1e-13, atol=1e-15)


def test_log_output_is_stable_and_leaves_logits_alone():
    z = np.array([[800.0, 0.0, -800.0], [1.0, 2.0, 3.0]])
    before = z.copy()
    logp, none = log_output(z, "softmax")
    assert none is None
    np.testing.assert_array_equal(z, before)
    np.testing.assert_allclose(logp, log_softmax(z, axis=1), rtol=1e-14)
    logp, log1mp = log_output(z, "logistic")
    np.testing.assert_array_equal(z, before)
    np.testing.assert_allclose(logp, log_expit(z), rtol=1e-14)
    np.testing.assert_allclose(log1mp, log_expit(-z), rtol=1e-14)
    with pytest.raises(ValueError, match="softmax or logistic"):
        log_output(z, "identity")


@pytest.mark.parametrize("name", ["min_ent", "mix_ent"])
def test_extreme_logits_give_finite_loss_and_gradient(name):
    z = np.array([[60.0, -60.0, 0.0], [-40.0, 40.0, 40.0]])
    y = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    with np.errstate(all="raise"):
        value, delta = call(name, y, z, "softmax", entropy_weight=1.0)
    assert np.isfinite(value)
    assert np.isfinite(delta).all()


@pytest.mark.parametrize("objective", ["log", "ip"])
def test_eem_outputs_takes_one_kernel_width_per_sample(objective):
    # One call with a width per row equals one call per row (the lockstep
    # Reber benchmark trains networks of different widths in one batch).
    rng = np.random.RandomState(3)
    z, y = rng.normal(size=(5, 7)), rng.rand(5, 7) > 0.6
    widths = np.array([0.5, 1.3, 1.3, 1.6, 2.0])
    loss = LOSSES["eem_outputs"]
    value, delta = loss(
        y, z.copy(), "logistic", kernel_width=widths, objective=objective
    )
    values = []
    for row, width in enumerate(widths):
        row_value, single = loss(
            y[row : row + 1],
            z[row : row + 1].copy(),
            "logistic",
            kernel_width=width,
            objective=objective,
        )
        np.testing.assert_allclose(delta[row], single[0], rtol=1e-12)
        values.append(row_value)
    assert value == pytest.approx(np.mean(values), rel=1e-12)
