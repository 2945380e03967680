"""The shared NumPy engine: activations, layers, networks, losses, optimizers, loops.

Pure NumPy/SciPy; nothing in here imports scikit-learn. Estimators translate
scikit-learn's contract into calls to these pieces, and import them from
here: this module is the engine's whole public surface.
"""

from .activations import ACTIVATIONS, DERIVATIVES
from .information import (
    AUTO_EXACT_MAX_SAMPLES,
    MAX_EXPONENT,
    TRAINING_EXACT_MAX_SAMPLES,
    WIDTH_RULES,
    choose_method,
    error_entropy_and_grad,
    information_potential,
    information_potential_and_grad,
    normal_reference_width,
    resolve_kernel_width,
    set_entropy_and_grad,
    silverman_width,
)
from .layers import Dense
from .lockstep import Criterion, LockstepTrainer
from .losses import LOSSES, log_output, output_values
from .lstm import LSTM, LSTMCache
from .network import (
    FeedForwardBuffers,
    FeedForwardNetwork,
    Network,
    batch_objective,
    forward_logits,
    l2_penalty,
)
from .optimizers import SGD, Adam, make_optimizer
from .overshoot import EOMResult, fit_overshoot
from .sequence_network import SequenceBuffers, SequenceNetwork
from .training import History, LBFGSResult, StochasticResult, fit_lbfgs, fit_stochastic

__all__ = [
    "ACTIVATIONS",
    "AUTO_EXACT_MAX_SAMPLES",
    "DERIVATIVES",
    "LOSSES",
    "LSTM",
    "MAX_EXPONENT",
    "SGD",
    "TRAINING_EXACT_MAX_SAMPLES",
    "WIDTH_RULES",
    "Adam",
    "Criterion",
    "Dense",
    "EOMResult",
    "FeedForwardBuffers",
    "FeedForwardNetwork",
    "History",
    "LBFGSResult",
    "LSTMCache",
    "LockstepTrainer",
    "Network",
    "SequenceBuffers",
    "SequenceNetwork",
    "StochasticResult",
    "batch_objective",
    "choose_method",
    "error_entropy_and_grad",
    "fit_lbfgs",
    "fit_overshoot",
    "fit_stochastic",
    "forward_logits",
    "information_potential",
    "information_potential_and_grad",
    "l2_penalty",
    "log_output",
    "make_optimizer",
    "normal_reference_width",
    "output_values",
    "resolve_kernel_width",
    "set_entropy_and_grad",
    "silverman_width",
]
