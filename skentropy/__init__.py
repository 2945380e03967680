"""skentropy: scikit-learn estimators for information-theoretic neural networks."""

from .eom import EOMRegressor
from .lstm import EEMLSTMClassifier
from .mlp import MinEntMLPClassifier

__version__ = "0.1.0.dev0"

__all__ = ["EEMLSTMClassifier", "EOMRegressor", "MinEntMLPClassifier", "__version__"]
