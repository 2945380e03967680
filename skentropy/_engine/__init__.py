"""The shared NumPy engine: activations, layers, networks, losses, optimizers, loops.

Pure NumPy/SciPy; nothing in here imports scikit-learn. Estimators translate
scikit-learn's contract into calls to these pieces.
"""

from .activations import ACTIVATIONS, DERIVATIVES
from .layers import Dense
from .losses import LOSSES, log_output, output_values
from .network import FeedForwardNetwork, Workspace, batch_objective, forward_logits
from .optimizers import SGD, Adam, make_optimizer
from .training import History, fit_lbfgs, fit_stochastic

__all__ = [
    "ACTIVATIONS",
    "DERIVATIVES",
    "LOSSES",
    "SGD",
    "Adam",
    "Dense",
    "FeedForwardNetwork",
    "History",
    "Workspace",
    "batch_objective",
    "fit_lbfgs",
    "fit_stochastic",
    "forward_logits",
    "log_output",
    "make_optimizer",
    "output_values",
]
