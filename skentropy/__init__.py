"""skentropy: scikit-learn estimators for information-theoretic neural networks."""

from ._eom import EOMRegressor
from ._lstm import EEMLSTMClassifier
from ._mlp import MinEntMLPClassifier

__version__ = "0.1.0.dev0"

__all__ = ["EEMLSTMClassifier", "EOMRegressor", "MinEntMLPClassifier", "__version__"]
