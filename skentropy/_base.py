"""scikit-learn plumbing shared by the estimators: checks, warnings, label coding."""

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import label_binarize

from ._engine import History

__all__ = [
    "LabelCoder",
    "check_hidden_layer_sizes",
    "holdout_split",
    "restore_history",
    "store_history",
    "warn_divergence",
    "warn_lbfgs",
    "warn_max_iter",
]


def check_hidden_layer_sizes(hidden_layer_sizes) -> list[int]:
    """``hidden_layer_sizes`` as a list of positive ints, or a clear ValueError."""
    sizes = hidden_layer_sizes
    if not hasattr(sizes, "__iter__"):
        sizes = [sizes]
    sizes = list(sizes)
    if any(int(s) != s or s <= 0 for s in sizes):
        raise ValueError(
            f"hidden_layer_sizes must be positive integers, got {hidden_layer_sizes}."
        )
    return [int(s) for s in sizes]


def warn_divergence(estimator_name: str, epoch: int, learning_rate_init: float) -> None:
    """ConvergenceWarning for a loss that stopped being finite."""
    warnings.warn(
        f"{estimator_name}: training diverged in epoch {epoch}: the loss became "
        f"non-finite (NaN or inf), so training stopped and the last weights with a "
        f"finite loss were kept. Lower learning_rate_init (it is "
        f"{learning_rate_init!r}) or scale the input features.",
        ConvergenceWarning,
        stacklevel=3,
    )


def warn_max_iter(max_iter: int, solver: str = "Stochastic Optimizer") -> None:
    """ConvergenceWarning for a solver that ran out of iterations."""
    warnings.warn(
        f"{solver}: Maximum iterations ({max_iter}) reached and the "
        "optimization hasn't converged yet.",
        ConvergenceWarning,
        stacklevel=3,
    )


def warn_lbfgs(status: int, message: str, n_iter: int, max_iter: int) -> None:
    """ConvergenceWarning for an L-BFGS run that did not report success."""
    if status == 0:
        return
    text = (
        f"lbfgs failed to converge after {n_iter} iteration(s) "
        f"(status={status}):\n{message}\n"
    )
    if n_iter == max_iter:
        text += (
            "\nIncrease the number of iterations to improve the convergence "
            f"(max_iter={max_iter})."
        )
    warnings.warn(text, ConvergenceWarning, stacklevel=3)


class LabelCoder:
    """Class labels <-> indicator targets, as ``LabelBinarizer`` codes them.

    Kept as functions of plain fitted attributes (``classes_`` and a target
    type string) so the estimator's state holds no objects.

    Binary problems get one column (the positive class, ``classes_[1]``),
    multiclass problems one column per class, multilabel problems their own
    indicator matrix.
    """

    @staticmethod
    def encode(y, classes: np.ndarray, y_type: str) -> np.ndarray:
        """Boolean indicator matrix (n_samples, n_outputs).

        Boolean, as in MLPClassifier: a float copy would cost 8x the memory
        and the losses read booleans directly.
        """
        if y_type == "multilabel-indicator":
            return np.asarray(y).astype(bool)
        return label_binarize(y, classes=classes).astype(bool)

    @staticmethod
    def decode(proba: np.ndarray, classes: np.ndarray, y_type: str) -> np.ndarray:
        """Labels from output probabilities (threshold 0.5 or argmax)."""
        if y_type == "multiclass":
            return classes.take(proba.argmax(axis=1))
        if y_type == "binary":
            return classes.take((proba[:, 0] > 0.5).astype(int))
        return (proba > 0.5).astype(int)


def _list_or_none(value):
    return None if value is None else list(value)


def restore_history(estimator, early_stopping: bool) -> History:
    """The training history kept in a fitted estimator's attributes.

    ``warm_start`` may switch early stopping on or off between fits, so the
    records the new setting needs are started afresh where missing.
    """
    fresh = History.start(early_stopping)
    scores = _list_or_none(getattr(estimator, "validation_scores_", None))
    val_losses = _list_or_none(getattr(estimator, "validation_loss_curve_", None))
    best_score = getattr(estimator, "best_validation_score_", None)
    best_loss = getattr(estimator, "best_loss_", None)
    return History(
        loss_curve=list(getattr(estimator, "loss_curve_", [])),
        validation_scores=fresh.validation_scores if scores is None else scores,
        validation_loss_curve=fresh.validation_loss_curve
        if val_losses is None
        else val_losses,
        best_loss=fresh.best_loss if best_loss is None or early_stopping else best_loss,
        best_validation_score=(
            fresh.best_validation_score if best_score is None else best_score
        ),
        no_improvement_count=getattr(estimator, "_no_improvement_count", 0),
        t=getattr(estimator, "t_", 0),
    )


def store_history(estimator, history: History) -> None:
    """Write a training history into the estimator's fitted attributes."""
    estimator.loss_curve_ = history.loss_curve
    estimator.best_loss_ = history.best_loss
    estimator.validation_scores_ = history.validation_scores
    estimator.validation_loss_curve_ = history.validation_loss_curve
    estimator.best_validation_score_ = history.best_validation_score
    estimator._no_improvement_count = history.no_improvement_count
    estimator.t_ = history.t


def holdout_split(X, Y, sample_weight, *, rng, fraction, stratify=None):
    """Early stopping's validation split: ``X, X_val, Y, Y_val, w, w_val``.

    Drawn from the fit's random stream with ``train_test_split``, as
    MLPClassifier draws it; a clear error when fewer than 2 rows are held out.
    """
    arrays = [X, Y] if sample_weight is None else [X, Y, sample_weight]
    parts = train_test_split(
        *arrays, random_state=rng, test_size=fraction, stratify=stratify
    )
    if parts[1].shape[0] < 2:
        raise ValueError(
            "The validation set is too small. Increase 'validation_fraction' "
            "or the size of your dataset."
        )
    weights = (parts[4], parts[5]) if sample_weight is not None else (None, None)
    return (*parts[:4], *weights)
