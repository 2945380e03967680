"""SGD and Adam over one flat vector against scikit-learn's list-based optimizers."""

import pickle

import numpy as np
import pytest
from sklearn.neural_network._stochastic_optimizers import AdamOptimizer, SGDOptimizer

from skentropy._engine import SGD, Adam, make_optimizer

N_PARAMS = 17
SPLITS = [5, 12]  # the flat vector as three pieces for scikit-learn


def pieces(flat):
    return np.split(flat, SPLITS)


def start(seed=0):
    return np.random.RandomState(seed).normal(size=N_PARAMS)


def gradients(n_steps, seed=1):
    rng = np.random.RandomState(seed)
    return [
        rng.normal(scale=rng.uniform(0.1, 3.0), size=N_PARAMS) for _ in range(n_steps)
    ]


def assert_close(ours, theirs):
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-14)


def reference_step(reference, flat, grad):
    """scikit-learn's update applied to views of ``flat`` (updated in place)."""
    reference.update_params(pieces(flat), pieces(grad))


SGD_SETTINGS = [
    {"momentum": 0.9, "nesterov": True},
    {"momentum": 0.9, "nesterov": False},
    {"momentum": 0.0, "nesterov": False},
    {"momentum": 0.5, "nesterov": True},
]


@pytest.mark.parametrize("schedule", ["constant", "invscaling", "adaptive"])
@pytest.mark.parametrize(
    "settings",
    SGD_SETTINGS,
    ids=[f"mu{s['momentum']}-nest{s['nesterov']}" for s in SGD_SETTINGS],
)
@pytest.mark.parametrize("n_steps", [1, 12])
def test_sgd_matches_scikit_learn(settings, schedule, n_steps):
    kwargs = {"learning_rate_init": 0.05, "lr_schedule": schedule, "power_t": 0.4}
    kwargs.update(settings)
    ours = SGD(N_PARAMS, np.float64, **kwargs)
    theirs_flat = start()
    theirs = SGDOptimizer(pieces(theirs_flat), **kwargs)
    params = start()
    t = 0
    for step, grad in enumerate(gradients(n_steps)):
        ours.update(params, grad)
        reference_step(theirs, theirs_flat, grad)
        assert_close(params, theirs_flat)
        assert_close(ours.velocity, np.concatenate(theirs.velocities))
        if step % 3 == 2:  # an "epoch" of three batches
            t += 30
            ours.iteration_ends(t)
            theirs.iteration_ends(t)
            assert ours.learning_rate == pytest.approx(theirs.learning_rate, rel=1e-15)
            if schedule == "adaptive":
                assert ours.trigger_stopping("msg", False) is False
                assert theirs.trigger_stopping("msg", False) is False
                assert ours.learning_rate == pytest.approx(
                    theirs.learning_rate, rel=1e-15
                )
    if schedule == "invscaling" and n_steps > 3:
        assert ours.learning_rate < 0.05


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"learning_rate_init": 0.01, "beta_1": 0.8, "beta_2": 0.99, "epsilon": 1e-6},
        {"learning_rate_init": 0.3, "beta_1": 0.0, "beta_2": 0.5, "epsilon": 1e-8},
    ],
    ids=["defaults", "custom", "no-momentum"],
)
@pytest.mark.parametrize("n_steps", [1, 25])
def test_adam_matches_scikit_learn(kwargs, n_steps):
    ours = Adam(N_PARAMS, np.float64, **kwargs)
    theirs_flat = start()
    theirs = AdamOptimizer(pieces(theirs_flat), **kwargs)
    params = start()
    for step, grad in enumerate(gradients(n_steps)):
        ours.update(params, grad)
        reference_step(theirs, theirs_flat, grad)
        assert ours.t == theirs.t == step + 1
        assert ours.learning_rate == pytest.approx(theirs.learning_rate, rel=1e-14)
        assert_close(params, theirs_flat)
        assert_close(ours.m, np.concatenate(theirs.ms))
        assert_close(ours.v, np.concatenate(theirs.vs))
        ours.iteration_ends(step)  # a no-op for Adam, as in scikit-learn
    assert ours.trigger_stopping("msg", False) is True


def test_adaptive_schedule_stops_below_1e_minus_6(capsys):
    ours = SGD(N_PARAMS, np.float64, learning_rate_init=0.1, lr_schedule="adaptive")
    theirs = SGDOptimizer(
        pieces(start()), learning_rate_init=0.1, lr_schedule="adaptive"
    )
    n_lowered = 0
    while not ours.trigger_stopping("msg", False):
        assert theirs.trigger_stopping("msg", False) is False
        n_lowered += 1
        assert ours.learning_rate == pytest.approx(theirs.learning_rate, rel=1e-15)
    assert theirs.trigger_stopping("msg", False) is True
    # 0.1 / 5**k <= 1e-6 first for k = 8.
    assert n_lowered == 8
    assert ours.learning_rate <= 1e-6
    assert ours.trigger_stopping("msg", True) is True
    assert "Learning rate too small. Stopping." in capsys.readouterr().out


@pytest.mark.parametrize("schedule", ["constant", "invscaling"])
def test_non_adaptive_schedules_stop_at_once(schedule, capsys):
    ours = SGD(N_PARAMS, np.float64, lr_schedule=schedule)
    assert ours.trigger_stopping("Training loss did not improve.", True) is True
    assert capsys.readouterr().out == "Training loss did not improve. Stopping.\n"
    assert ours.learning_rate == 0.1


def test_invscaling_formula():
    ours = SGD(N_PARAMS, np.float64, learning_rate_init=0.2, lr_schedule="invscaling")
    ours.iteration_ends(99)
    assert ours.learning_rate == pytest.approx(0.2 / 100**0.5, rel=1e-15)
    constant = SGD(N_PARAMS, np.float64, learning_rate_init=0.2)
    constant.iteration_ends(99)
    assert constant.learning_rate == 0.2


def run(optimizer, params, grads):
    for grad in grads:
        optimizer.update(params, grad)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("via", ["state", "optimizer"])
def test_state_round_trip_through_pickle_continues_identically(solver, via):
    kwargs = {"learning_rate_init": 0.03}
    if solver == "sgd":
        kwargs["lr_schedule"] = "invscaling"
    grads = gradients(10, seed=4)
    first = make_optimizer(solver, N_PARAMS, np.float64, **kwargs)
    params = start()
    run(first, params, grads[:4])
    first.iteration_ends(400)
    if via == "state":
        resumed = make_optimizer(solver, N_PARAMS, np.float64, **kwargs)
        resumed.load_state(pickle.loads(pickle.dumps(first.state())))
    else:
        resumed = pickle.loads(pickle.dumps(first))
    assert resumed.learning_rate == first.learning_rate
    run(resumed, params, grads[4:])

    # The same ten steps without the interruption.
    reference = make_optimizer(solver, N_PARAMS, np.float64, **kwargs)
    params_ref = start()
    run(reference, params_ref, grads[:4])
    reference.iteration_ends(400)
    run(reference, params_ref, grads[4:])
    np.testing.assert_array_equal(params, params_ref)
    for key, value in reference.state().items():
        np.testing.assert_array_equal(resumed.state()[key], value)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_state_is_plain_data_and_load_state_copies(solver):
    optimizer = make_optimizer(solver, N_PARAMS, np.float64)
    params = start()
    run(optimizer, params, gradients(3))
    state = optimizer.state()
    assert isinstance(state["learning_rate"], float)
    for value in state.values():
        assert isinstance(value, int | float | np.ndarray)
    other = make_optimizer(solver, N_PARAMS, np.float64)
    other.load_state(state)
    for key, value in state.items():
        if isinstance(value, np.ndarray):
            assert not np.shares_memory(getattr(other, key), value)
    # Updating the loaded optimizer does not touch the source's moments.
    before = {k: np.copy(v) for k, v in optimizer.state().items()}
    run(other, start(), gradients(2, seed=9))
    for key, value in optimizer.state().items():
        np.testing.assert_array_equal(value, before[key])


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_optimizer_keeps_no_reference_to_params(solver):
    # Two parameter vectors updated alternately by one optimizer: each follows
    # its own trajectory (scikit-learn's list optimizers do the same given the
    # params at every call), and neither is written by the other's update.
    kwargs = {"learning_rate_init": 0.05}
    ours = make_optimizer(solver, N_PARAMS, np.float64, **kwargs)
    reference_cls = SGDOptimizer if solver == "sgd" else AdamOptimizer
    a, b = start(0), start(1)
    a_ref, b_ref = a.copy(), b.copy()
    theirs = reference_cls(pieces(a_ref), **kwargs)
    for step, grad in enumerate(gradients(8, seed=5)):
        target, target_ref, other = (a, a_ref, b) if step % 2 == 0 else (b, b_ref, a)
        other_before = other.copy()
        ours.update(target, grad)
        reference_step(theirs, target_ref, grad)
        np.testing.assert_array_equal(other, other_before)
        for value in vars(ours).values():
            if isinstance(value, np.ndarray):
                assert not np.shares_memory(value, a)
                assert not np.shares_memory(value, b)
    assert_close(a, a_ref)
    assert_close(b, b_ref)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_float32_state_and_updates(solver):
    optimizer = make_optimizer(solver, N_PARAMS, np.float32)
    params = start().astype(np.float32)
    reference = make_optimizer(solver, N_PARAMS, np.float64)
    params64 = start()
    for grad in gradients(5):
        optimizer.update(params, grad.astype(np.float32))
        reference.update(params64, grad)
    assert params.dtype == np.float32
    for value in optimizer.state().values():
        if isinstance(value, np.ndarray):
            assert value.dtype == np.float32
    np.testing.assert_allclose(params, params64, rtol=1e-5, atol=1e-6)


def test_make_optimizer():
    sgd = make_optimizer("sgd", 4, np.float64, learning_rate_init=0.5, momentum=0.1)
    assert isinstance(sgd, SGD)
    assert (sgd.learning_rate, sgd.momentum, sgd.velocity.shape) == (0.5, 0.1, (4,))
    adam = make_optimizer("adam", 4, np.float32, beta_1=0.5)
    assert isinstance(adam, Adam)
    assert adam.beta_1 == 0.5
    assert adam.m.dtype == np.float32
    with pytest.raises(ValueError, match="unknown stochastic solver"):
        make_optimizer("lbfgs", 4, np.float64)


# -- stacked networks: (R, P) parameters, one learning rate per network -----
RATES = np.array([0.05, 0.2, 0.01])


def stacked_start():
    return np.stack([start(seed) for seed in range(len(RATES))])


def stacked_gradients(n_steps):
    per_network = [gradients(n_steps, seed) for seed in (1, 2, 3)]
    return [np.stack(g) for g in zip(*per_network, strict=True)]


def test_stacked_sgd_without_momentum_is_exactly_lr_times_grad():
    sgd = SGD((3, N_PARAMS), np.float64, learning_rate_init=RATES, momentum=0.0)
    params = stacked_start()
    want = params.copy()
    for grad in stacked_gradients(5):
        grad_before = grad.copy()
        sgd.update(params, grad)
        want -= RATES[:, None] * grad
        np.testing.assert_array_equal(params, want)
        np.testing.assert_array_equal(grad, grad_before)  # not written
    np.testing.assert_array_equal(sgd.velocity, -RATES[:, None] * grad)


@pytest.mark.parametrize("schedule", ["constant", "invscaling"])
@pytest.mark.parametrize(
    "settings",
    SGD_SETTINGS,
    ids=[f"mu{s['momentum']}-nest{s['nesterov']}" for s in SGD_SETTINGS],
)
def test_stacked_sgd_equals_one_optimizer_per_network(settings, schedule):
    kwargs = {"lr_schedule": schedule, "power_t": 0.4, **settings}
    stacked = SGD((3, N_PARAMS), np.float64, learning_rate_init=RATES, **kwargs)
    alone = [
        SGD(N_PARAMS, np.float64, learning_rate_init=rate, **kwargs) for rate in RATES
    ]
    params = stacked_start()
    params_alone = [row.copy() for row in params]
    for step, grad in enumerate(stacked_gradients(9)):
        stacked.update(params, grad)
        for sgd, p, g in zip(alone, params_alone, grad, strict=True):
            sgd.update(p, g)
        if step % 3 == 2:
            stacked.iteration_ends(30 * step)
            for sgd in alone:
                sgd.iteration_ends(30 * step)
    for r, sgd in enumerate(alone):
        assert_close(params[r], params_alone[r])
        assert_close(stacked.velocity[r], sgd.velocity)
        assert stacked.learning_rate[r] == pytest.approx(sgd.learning_rate, rel=1e-15)


def test_stacked_sgd_drops_networks_and_the_others_continue():
    kwargs = {"learning_rate_init": RATES, "momentum": 0.9, "lr_schedule": "adaptive"}
    full = SGD((3, N_PARAMS), np.float64, **kwargs)
    part = SGD((3, N_PARAMS), np.float64, **kwargs)
    params_full, params_part = stacked_start(), stacked_start()
    grads = stacked_gradients(6)
    for grad in grads[:3]:
        full.update(params_full, grad)
        part.update(params_part, grad)
    keep = np.array([True, False, True])
    state_before = {k: np.copy(v) for k, v in part.state().items()}
    part.keep(keep)
    params_part = params_part[keep]
    assert part.velocity.shape == (2, N_PARAMS)
    np.testing.assert_array_equal(part.learning_rate, RATES[keep])
    assert full.trigger_stopping("msg", False) is False
    assert part.trigger_stopping("msg", False) is False
    np.testing.assert_array_equal(part.learning_rate, RATES[keep] / 5)
    # The returned state was not changed in place by the schedule.
    np.testing.assert_array_equal(state_before["learning_rate"], RATES)
    for grad in grads[3:]:
        full.update(params_full, grad)
        part.update(params_part, grad[keep])
    np.testing.assert_array_equal(params_part, params_full[keep])


def test_stacked_sgd_state_round_trip_and_float32():
    sgd = SGD((3, N_PARAMS), np.float32, learning_rate_init=RATES, momentum=0.5)
    params = stacked_start().astype(np.float32)
    grads = [g.astype(np.float32) for g in stacked_gradients(4)]
    for grad in grads[:2]:
        sgd.update(params, grad)
    resumed = SGD((3, N_PARAMS), np.float32, learning_rate_init=1.0, momentum=0.5)
    resumed.load_state(pickle.loads(pickle.dumps(sgd.state())))
    assert not np.shares_memory(resumed.learning_rate, sgd.learning_rate)
    other = params.copy()
    for grad in grads[2:]:
        sgd.update(params, grad)
        resumed.update(other, grad)
    assert params.dtype == np.float32 and sgd.velocity.dtype == np.float32
    np.testing.assert_array_equal(params, other)
