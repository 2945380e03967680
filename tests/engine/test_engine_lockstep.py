"""Lockstep training of stacked networks: each network as if trained alone."""

import numpy as np
import pytest

from skentropy._engine import lockstep
from skentropy._engine.lockstep import Criterion, LockstepTrainer
from skentropy._engine.losses import LOSSES
from skentropy._engine.optimizers import SGD
from skentropy._engine.sequence_network import SequenceNetwork

N_SYMBOLS = 7
MSE = Criterion("squared_error")


def eem(width):
    """The paper's EEM: gradient ascent on the information potential."""
    return Criterion("eem_outputs", width, {"objective": "ip"})


def make_examples(n, seed, readout="every"):
    """One-hot sequences of 3-8 steps with multi-hot targets, one per example."""
    rng = np.random.default_rng(seed)
    examples = []
    for _ in range(n):
        steps = int(rng.integers(3, 9))
        x = np.eye(N_SYMBOLS)[rng.integers(N_SYMBOLS, size=steps)][None]
        shape = (1, steps, N_SYMBOLS) if readout == "every" else (1, N_SYMBOLS)
        y = (rng.uniform(size=shape) < 0.3).astype(float)
        examples.append((x, y))
    return examples


def make_stack(criteria, lrs, restarts, *, readout="every", seed=0):
    """Network, weights (R, P), rates and criteria: criterion-major, as in Reber."""
    network = SequenceNetwork(
        N_SYMBOLS, 3, N_SYMBOLS, "logistic", forget_gate=False, readout=readout
    )
    grid = [(c, lr, r) for c in criteria for lr in lrs for r in range(restarts)]
    rng = np.random.default_rng(seed)
    starts = rng.uniform(-0.5, 0.5, (restarts, network.n_params))
    params = starts[[r for *_, r in grid]]
    return network, params, np.array([lr for _, lr, _ in grid]), [c for c, *_ in grid]


def all_right_flags(trainer, examples, order):
    """Networks whose outputs were on the targets' side of 0.5 on every example."""
    flags = np.ones(trainer.params.shape[0], dtype=bool)

    def check(i, z):
        sign = 2 * examples[i][1].reshape(-1, N_SYMBOLS) - 1
        flags[...] &= (z * sign).reshape(flags.size, -1).min(axis=1) > 0

    trainer.train_epoch(examples, order, check)
    return flags


@pytest.mark.parametrize("readout", ["every", "last"])
def test_lockstep_equals_networks_trained_alone(readout):
    criteria = [MSE, eem(1.3), eem(1.6), Criterion("cross_entropy")]
    network, params, lrs, crits = make_stack(
        criteria, [0.1, 0.3], restarts=2, readout=readout
    )
    examples = make_examples(12, seed=3, readout=readout)
    orders = [np.random.default_rng(e).permutation(len(examples)) for e in range(2)]

    stacked = LockstepTrainer(network, params.copy(), lrs, crits)
    flags = [all_right_flags(stacked, examples, order) for order in orders]

    for k in range(params.shape[0]):
        # A stack of one.
        alone = LockstepTrainer(
            network, params[k : k + 1].copy(), lrs[k : k + 1], crits[k : k + 1]
        )
        alone_flags = [all_right_flags(alone, examples, order) for order in orders]
        np.testing.assert_allclose(
            alone.params[0], stacked.params[k], rtol=0, atol=1e-10
        )
        assert [f[0] for f in alone_flags] == [f[k] for f in flags]

        # The flat network's own objective and the flat SGD: the trainer's
        # objective is the loss summed over an example's rows, loss_grad's
        # their mean.
        crit = crits[k]
        loss_params = dict(crit.loss_params)
        if crit.kernel_width is not None:
            loss_params["kernel_width"] = crit.kernel_width
        flat = params[k].copy()
        grad = np.empty_like(flat)
        sgd = SGD(flat.size, flat.dtype, learning_rate_init=lrs[k], momentum=0.0)
        for order in orders:
            for i in order:
                x, y = examples[i]
                network.loss_grad(
                    flat, x, y, grad, LOSSES[crit.loss], loss_params=loss_params
                )
                grad *= y.size // N_SYMBOLS
                sgd.update(flat, grad)
        np.testing.assert_allclose(flat, stacked.params[k], rtol=1e-9, atol=1e-12)
    # Training moved every network.
    moved = np.abs(stacked.params - params).max(axis=1)
    assert (moved > 0).all()


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_dropping_networks_leaves_the_others_unchanged(momentum):
    network, params, lrs, crits = make_stack([MSE, eem(1.5)], [0.3], restarts=3)
    examples = make_examples(10, seed=6)
    order = np.arange(len(examples))
    full = LockstepTrainer(network, params.copy(), lrs, crits, momentum=momentum)
    part = LockstepTrainer(network, params.copy(), lrs, crits, momentum=momentum)
    full.train_epoch(examples, order)
    part.train_epoch(examples, order)
    keep = np.array([True, False, True, False, True, True])
    part.keep(keep)
    assert part.criteria == [c for c, k in zip(crits, keep, strict=True) if k]
    np.testing.assert_array_equal(part.optimizer.learning_rate, lrs[keep])
    full.train_epoch(examples, order)
    part.train_epoch(examples, order)
    np.testing.assert_allclose(part.params, full.params[keep], rtol=0, atol=1e-10)
    part.keep(np.zeros(4, dtype=bool))  # all gone: nothing left to train
    assert part.params.shape == (0, network.n_params)


def test_output_deltas_are_the_papers():
    # Each network gets its own criterion's delta, written out directly:
    # MSE (y - t) y (1 - y); EEM -Q sum_j exp(-(e_k - e_j)^2 / 2h^2)(e_k - e_j)
    # y (1 - y) with e = t - y and Q = 2 / (n^2 h^3 sqrt(2 pi)).
    criteria = [MSE, eem(1.4), eem(1.5)]
    network, params, lrs, crits = make_stack(criteria, [0.2], restarts=2, seed=5)
    trainer = LockstepTrainer(network, params.copy(), lrs, crits)
    _, target = make_examples(1, seed=4)[0]
    steps = target.shape[1]
    logits = np.random.default_rng(0).normal(size=(len(crits), steps, N_SYMBOLS))
    delta = trainer.output_deltas(logits.copy(), target)
    y = 1 / (1 + np.exp(-logits))
    n = N_SYMBOLS
    t = target[0]
    for k, crit in enumerate(crits):
        h = crit.kernel_width
        if h is None:
            want = (y[k] - t) * y[k] * (1 - y[k])
        else:
            e = t - y[k]
            pair = e[:, :, None] - e[:, None, :]
            pull = (np.exp(-(pair**2) / (2 * h * h)) * pair).sum(axis=2)
            q = 2 / (n * n * h**3 * np.sqrt(2 * np.pi))
            want = -q * pull * y[k] * (1 - y[k])
        np.testing.assert_allclose(delta[k], want, rtol=1e-10, atol=1e-15)


def test_on_logits_sees_the_logits_before_the_update():
    network, params, lrs, crits = make_stack([MSE, eem(1.5)], [0.3], restarts=2)
    trainer = LockstepTrainer(network, params.copy(), lrs, crits)
    x, y = make_examples(1, seed=8)[0]
    seen = []
    before = trainer.params.copy()
    trainer.step(x, y, lambda z: seen.append(z.copy()))
    want = network.logits(before, x)  # (R, n, T, c)
    np.testing.assert_allclose(seen[0], want.reshape(len(crits), -1, N_SYMBOLS))
    assert not np.array_equal(trainer.params, before)


def test_neighbours_that_differ_only_in_width_share_one_loss_call(monkeypatch):
    calls = []

    def spy(name):
        def loss(y, z, output, sample_weight=None, **params):
            calls.append((name, len(y), params.get("kernel_width")))
            return LOSSES[name](y, z, output, sample_weight, **params)

        return loss

    names = ("squared_error", "eem_outputs")
    monkeypatch.setattr(lockstep, "LOSSES", {name: spy(name) for name in names})
    crits = [MSE, MSE, eem(1.3), eem(1.6), eem(1.3), MSE]
    network, params, _, _ = make_stack([MSE], [0.1], restarts=6)
    trainer = LockstepTrainer(network, params, 0.1, crits)
    x, y = make_examples(1, seed=1)[0]
    trainer.step(x, y)
    steps = y.shape[1]
    assert [call[:2] for call in calls] == [
        ("squared_error", 2 * steps),
        ("eem_outputs", 3 * steps),
        ("squared_error", steps),
    ]
    np.testing.assert_array_equal(calls[1][2], np.repeat([1.3, 1.6, 1.3], steps))


def test_criterion_validation():
    assert Criterion("eem_outputs", 1.5, {"objective": "ip"}) == eem(1.5)
    assert hash(eem(1.5)) == hash(eem(1.5))
    assert eem(1.5).block_key() == eem(1.3).block_key() != MSE.block_key()
    with pytest.raises(ValueError, match="per-row loss"):
        Criterion("eem_samples", 1.0)
    with pytest.raises(ValueError, match="kernel_width"):
        Criterion("eem_outputs")
    with pytest.raises(ValueError, match="kernel_width"):
        Criterion("squared_error", 1.0)
    network, params, lrs, crits = make_stack([MSE], [0.1], restarts=2)
    with pytest.raises(ValueError, match="criteria"):
        LockstepTrainer(network, params, lrs, crits[:1])
    with pytest.raises(ValueError, match="shape"):
        LockstepTrainer(network, params[0], lrs, crits)
