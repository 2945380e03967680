"""LSTM + dense output network: whole-network gradients for every sequence loss."""

import numpy as np
import pytest
from _gradcheck import assert_gradient_close, numerical_gradient

from skentropy._engine import LOSSES
from skentropy._engine.sequence_network import SequenceClassifierNetwork

CASES = [
    ("eem_outputs", "logistic", {"kernel_width": 1.3, "objective": "log"}),
    ("eem_outputs", "logistic", {"kernel_width": 0.7, "objective": "ip"}),
    ("eem_samples", "logistic", {"kernel_width": 1.1, "objective": "log"}),
    ("eem_samples", "logistic", {"kernel_width": 0.9, "objective": "ip"}),
    ("squared_error", "logistic", {}),
    ("cross_entropy", "softmax", {}),
]


@pytest.mark.parametrize("forget_gate", [True, False])
@pytest.mark.parametrize("loss_name, output, loss_params", CASES)
def test_whole_network_gradient(forget_gate, loss_name, output, loss_params):
    rng = np.random.RandomState(0)
    network = SequenceClassifierNetwork(3, 4, 5, output, forget_gate=forget_gate)
    params = network.init_params(rng, np.float64)
    x = rng.normal(size=(6, 4, 3))
    y = np.eye(5, dtype=bool)[rng.randint(5, size=6)]
    weights = rng.uniform(0.5, 2.0, 6)
    loss = LOSSES[loss_name]
    grad = np.empty_like(params)
    value = network.loss_grad(
        params,
        x,
        y,
        grad,
        loss,
        sample_weight=weights,
        alpha=0.3,
        loss_params=loss_params,
    )

    def objective(p):
        return network.loss_value(
            p, x, y, loss, sample_weight=weights, alpha=0.3, loss_params=loss_params
        )

    assert value == pytest.approx(objective(params), rel=1e-12)
    assert_gradient_close(numerical_gradient(objective, params), grad)


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
