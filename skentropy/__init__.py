"""skentropy: scikit-learn estimators for information-theoretic neural networks."""

from .mlp import MinEntMLPClassifier

__version__ = "0.1.0.dev0"

__all__ = ["MinEntMLPClassifier", "__version__"]
