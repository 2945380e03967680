"""A small, fast version of the Table 6.9 Reber reproduction.

``benchmarks/eem_lstm_reber.py`` trains 1,500 LSTMs by MSE and by EEM on
Reber next-symbol prediction; this trains eight of them for a few epochs on
the same engine pieces (``SequenceNetwork(readout="every")``, the lockstep
trainer, ``make_reber``) and checks that they learn.
"""

import numpy as np
import pytest

from skentropy._engine.lockstep import Criterion, LockstepTrainer
from skentropy._engine.sequence_network import SequenceNetwork
from skentropy.datasets import REBER_ALPHABET, make_reber

N_SYMBOLS = len(REBER_ALPHABET)


def reber_examples(n, seed):
    """``(x, y)`` per string, (1, T, 7) each: B to the symbol before E.

    The generator pads at the front and gives the final E an all-zero
    target (nothing follows it); both are cut.
    """
    X, y, strings = make_reber(
        n, task="next_symbol", return_strings=True, random_state=seed
    )
    examples = []
    for i, string in enumerate(strings):
        steps = slice(X.shape[1] - len(string), X.shape[1] - 1)
        examples.append(
            (
                np.ascontiguousarray(X[i, steps])[None],
                np.ascontiguousarray(y[i, steps])[None],
            )
        )
    return examples


def init_params(network, restarts, seed):
    """The 1997 initialisation of the benchmark: U(-0.2, 0.2), gate biases -1, -2."""
    rng = np.random.default_rng(seed)
    params = rng.uniform(-0.2, 0.2, (restarts, network.n_params))
    network.lstm.bias(params)[:, network.lstm.o_cols] = [-1.0, -1.0, -2.0]
    return params


def error_rates(network, params, examples):
    """Wrong steps and wrong output units of every network, as fractions.

    A step is right when every legal next symbol's output is above 0.5 and
    every other output below it (logits above or below 0).
    """
    wrong_steps = wrong_outputs = 0
    for x, y in examples:
        right = network.logits(params, x) * (2 * y - 1) > 0  # (R, 1, T, 7)
        wrong_steps = wrong_steps + (~right.all(axis=-1)).sum(axis=(1, 2))
        wrong_outputs = wrong_outputs + (~right).sum(axis=(1, 2, 3))
    n_steps = sum(y.shape[1] for _, y in examples)
    return wrong_steps / n_steps, wrong_outputs / (n_steps * N_SYMBOLS)


@pytest.mark.slow
def test_small_experiment_learns():
    network = SequenceNetwork(
        N_SYMBOLS, 3, N_SYMBOLS, "logistic", forget_gate=False, readout="every"
    )
    assert network.n_params == 127  # the benchmark's 3-cell network
    criteria = [Criterion("squared_error")] * 4 + [
        Criterion("eem_outputs", 1.5, {"objective": "ip"})
    ] * 4
    params = init_params(network, 4, seed=2)[[0, 1, 2, 3] * 2]
    train = reber_examples(40, seed=3)
    trainer = LockstepTrainer(network, params.copy(), 0.3, criteria)
    order_rng = np.random.default_rng(4)
    for _ in range(12):
        trainer.train_epoch(train, order_rng.permutation(len(train)))
    assert np.isfinite(trainer.params).all()

    steps_before, outputs_before = error_rates(network, params, train)
    steps_after, outputs_after = error_rates(network, trainer.params, train)
    # MSE: every network predicts more steps right. EEM moves more slowly
    # (its deltas are 10-100x smaller): fewer wrong output units on average.
    assert (steps_after[:4] < steps_before[:4]).all()
    assert outputs_after[4:].mean() < outputs_before[4:].mean()
    assert (outputs_after < outputs_before).mean() >= 0.75
    # Unseen strings gain too.
    test = reber_examples(40, seed=5)
    assert (error_rates(network, trainer.params, test)[0][:4] < steps_before[:4]).all()
