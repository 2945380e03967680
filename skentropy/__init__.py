"""skentropy: scikit-learn estimators for information-theoretic neural networks."""

from ._base import InconsistentVersionWarning
from ._eom import EOMRegressor
from ._lstm import EEMLSTMClassifier, EEMLSTMRegressor
from ._mlp import EEMMLPClassifier, EEMMLPRegressor, MinEntMLPClassifier

__version__ = "0.1.0.dev0"

__all__ = [
    "EEMLSTMClassifier",
    "EEMLSTMRegressor",
    "EEMMLPClassifier",
    "EEMMLPRegressor",
    "EOMRegressor",
    "InconsistentVersionWarning",
    "MinEntMLPClassifier",
    "__version__",
]
