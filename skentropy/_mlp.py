"""MinEntMLPClassifier: an MLP with minimum-entropy regularised cross entropy."""

from numbers import Integral, Real
from typing import ClassVar

import numpy as np
from sklearn.base import ClassifierMixin, _fit_context
from sklearn.metrics import accuracy_score
from sklearn.preprocessing import label_binarize
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import (
    _check_partial_fit_first_call,
    check_classification_targets,
    type_of_target,
)
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from ._base import (
    STOCHASTIC_SOLVERS,
    BaseStochasticEstimator,
    NetworkClassifierMixin,
    check_hidden_layer_sizes,
    store_init_params,
)
from ._docstrings import fill_doc
from ._engine import LOSSES, FeedForwardNetwork, forward_logits, output_values

__all__ = ["MinEntMLPClassifier"]


def encode_labels(y, classes: np.ndarray, y_type: str) -> np.ndarray:
    """Boolean indicator targets (n_samples, n_outputs), as ``LabelBinarizer``.

    Binary problems get one column (the positive class, ``classes[1]``),
    multiclass problems one column per class, multilabel problems their own
    indicator matrix. Boolean, as in MLPClassifier: a float copy would cost
    8x the memory and the losses read booleans directly.
    """
    if y_type == "multilabel-indicator":
        return np.asarray(y).astype(bool)
    return label_binarize(y, classes=classes).astype(bool)


def decode_labels(proba: np.ndarray, classes: np.ndarray, y_type: str) -> np.ndarray:
    """Labels from output probabilities (threshold 0.5 or argmax)."""
    if y_type == "multiclass":
        return classes.take(proba.argmax(axis=1))
    if y_type == "binary":
        return classes.take((proba[:, 0] > 0.5).astype(int))
    return (proba > 0.5).astype(int)


@fill_doc
class MinEntMLPClassifier(
    NetworkClassifierMixin, ClassifierMixin, BaseStochasticEstimator
):
    """Multi-layer perceptron with minimum-entropy regularised cross entropy.

    The network, solvers and stopping rules are those of scikit-learn's
    :class:`~sklearn.neural_network.MLPClassifier`, parameter for parameter;
    only the loss differs. With ``loss="min_ent"`` (MIN-ENT) the training
    objective is ``CE + entropy_weight * H(p)``, cross entropy plus the
    Shannon entropy of the predicted distribution, which pushes predictions
    towards confident ones. With ``loss="mix_ent"`` (MIX-ENT) it is
    ``CE + entropy_weight * RCE`` with the reversed cross entropy
    ``RCE = -sum_k p_k log(q_k + eps) = H(p) + KL(p || q)``, the entropy
    plus the K-L divergence with target and prediction swapped; for one-hot
    targets it acts like a mean-absolute-error term, robust to label noise.
    ``loss="cross_entropy"`` is plain ``MLPClassifier``: with the same
    ``random_state`` and hyperparameters it reproduces it (same
    initialisation, batch order and updates).

    Binary and multilabel problems use logistic outputs, and the entropy
    terms are then sums of per-output Bernoulli entropies; multiclass
    problems use a softmax output.

    Parameters
    ----------
    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
        The ith element is the number of neurons in the ith hidden layer.
    activation : {"identity", "logistic", "tanh", "relu"}, default="relu"
        Activation function of the hidden layers.
    loss : {"cross_entropy", "min_ent", "mix_ent"}, default="min_ent"
        Training objective (see above).
    entropy_weight : float, default=0.1
        Weight ``lambda >= 0`` of the entropy (``min_ent``) or reversed
        cross-entropy (``mix_ent``) term. Ignored for ``cross_entropy``.
        Fixed during training (the paper learned its loss weights with an
        unpublished schedule; we do not).
    eps : float, default=1e-6
        Smoothing inside ``log(q + eps)`` of the MIX-ENT term; ``-log(eps)``
        sets the strength of its MAE-like part. Used by ``mix_ent`` only.
    solver : {"lbfgs", "sgd", "adam"}, default="adam"
        Weight optimiser: L-BFGS (full batch, SciPy), mini-batch SGD or Adam.
    alpha : float, default=0.0001
        Strength of the L2 penalty, divided by the (weighted) sample count.
    batch_size : int or "auto", default="auto"
        Mini-batch size of the stochastic solvers; ``"auto"`` is
        ``min(200, n_samples)``.
    {training_parameters}
    max_fun : int, default=15000
        Maximum number of loss evaluations of L-BFGS.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels (for multilabel targets, the label indices).
    coefs_ : list of ndarray
        Weight matrix of each layer, shape (fan_in, fan_out).
    intercepts_ : list of ndarray
        Bias vector of each layer.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Feature names seen during fit, when X is a DataFrame with string
        column names.
    n_iter_ : int
        Number of epochs (or L-BFGS iterations) run by the last call.
    n_layers_ : int
        Number of layers, input and output included.
    n_outputs_ : int
        Number of output units.
    out_activation_ : str
        Output activation, ``"softmax"`` or ``"logistic"``.
    {training_attributes}

    See Also
    --------
    sklearn.neural_network.MLPClassifier : The same network with cross entropy.

    Notes
    -----
    If the loss becomes non-finite (too large a learning rate), training
    stops, the last weights with a finite loss are kept and a
    :class:`~sklearn.exceptions.ConvergenceWarning` names the epoch.

    References
    ----------
    .. [1] A. O. Ibraheem, "Regularizing cross entropy loss via minimum
       entropy and K-L divergence", arXiv:2501.13709, 2025.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from skentropy import MinEntMLPClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = MinEntMLPClassifier(solver="lbfgs", max_iter=500, random_state=0)
    >>> clf.fit(X, y).score(X, y) > 0.95
    True
    >>> clf.predict_proba(X[:1]).shape
    (1, 3)
    """

    _parameter_constraints: ClassVar[dict] = {
        **BaseStochasticEstimator._parameter_constraints,
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "activation": [StrOptions({"identity", "logistic", "tanh", "relu"})],
        "loss": [StrOptions({"cross_entropy", "min_ent", "mix_ent"})],
        "entropy_weight": [Interval(Real, 0, None, closed="left")],
        "eps": [Interval(Real, 0, None, closed="neither")],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        loss="min_ent",
        entropy_weight=0.1,
        eps=1e-6,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
    ):
        store_init_params(self, locals())

    # -- public API -----------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the network to ``X`` and ``y``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels, or a binary indicator matrix for multilabel problems.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights; the objective is their weighted mean.

        Returns
        -------
        self : MinEntMLPClassifier
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight, incremental=False)

    def _check_solver(self):
        if self.solver not in STOCHASTIC_SOLVERS:
            raise AttributeError(
                "partial_fit is only available for stochastic optimizers. "
                f"{self.solver} is not stochastic."
            )
        return True

    @available_if(_check_solver)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """Run one epoch over ``X`` and ``y``, keeping the optimiser's state.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels or a multilabel indicator matrix.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights.
        classes : array-like of shape (n_classes,), default=None
            All classes that will ever be seen; required on the first call
            (except for multilabel indicator targets), ignored afterwards.

        Returns
        -------
        self : MinEntMLPClassifier
            The updated estimator.
        """
        if _check_partial_fit_first_call(self, classes):
            if type_of_target(y).startswith("multilabel"):
                self._set_classes(y)
            else:
                self._set_classes(np.asarray(classes), from_classes=True)
        return self._fit(X, y, sample_weight, incremental=True)

    def predict_proba(self, X):
        """Class probabilities.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probability of each class in the order of ``classes_`` (for
            multilabel problems, the probability of each label).
        """
        check_is_fitted(self)
        proba = output_values(self._logits(X), self.out_activation_)
        if self._y_type == "binary":
            return np.hstack([1 - proba, proba])
        return proba

    def predict_log_proba(self, X):
        """Logarithm of the class probabilities.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            ``log(predict_proba(X))``, exactly (scikit-learn's contract), so
            a probability that underflows to 0 gives ``-inf``.
        """
        proba = self.predict_proba(X)
        return np.log(proba, out=proba)

    def predict(self, X):
        """Predicted class labels.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_labels)
            Predicted labels (an indicator matrix for multilabel problems).
        """
        check_is_fitted(self)
        proba = output_values(self._logits(X), self.out_activation_)
        return decode_labels(proba, self.classes_, self._y_type)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        tags.input_tags.sparse = True
        return tags

    # -- internals ------------------------------------------------------
    def _logits(self, X):
        X = validate_data(self, X, accept_sparse=["csr", "csc"], reset=False)
        # Finite weights can still overflow on extreme inputs (or after a
        # diverged fit); map the result to finite logits so no prediction is
        # ever NaN (a no-op on finite logits).
        with np.errstate(over="ignore", invalid="ignore"):
            z = forward_logits(self.coefs_, self.intercepts_, self.activation, X)
        return np.nan_to_num(z, copy=False)

    def _validate_fit_data(self, X, y, sample_weight, *, incremental, reset):
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"],
            multi_output=True,
            dtype=(np.float64, np.float32),
            reset=reset,
        )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        self._update_classes(y, incremental=incremental)
        Y = encode_labels(y, self.classes_, self._y_type)
        return X, Y, self._check_sample_weight(sample_weight, X)

    def _build_network(self, X, Y):
        hidden = check_hidden_layer_sizes(self.hidden_layer_sizes)
        output = "softmax" if self._y_type == "multiclass" else "logistic"
        return FeedForwardNetwork(
            [X.shape[1], *hidden, Y.shape[1]], self.activation, output
        )

    def _loss(self):
        return LOSSES[self.loss], {
            "entropy_weight": self.entropy_weight,
            "eps": self.eps,
        }

    def _start_fit(self, network, X, Y):
        self.n_outputs_ = Y.shape[1]
        self.n_layers_ = len(network.layer_units)
        self.out_activation_ = network.output

    def _fitted_params(self, network, dtype):
        return network.pack(self.coefs_, self.intercepts_, dtype)

    def _set_fitted_params(self, network, params):
        self.coefs_, self.intercepts_ = network.unpack(params)

    def _stratify(self, Y):
        # Stratified only for single-output problems, exactly as MLPClassifier
        # splits, so the two see the same validation rows.
        return Y if Y.shape[1] == 1 else None

    def _validation_score(self, network, params, X_val, Y_val, w_val, train):
        y_val = decode_labels(Y_val, self.classes_, self._y_type)
        z = np.nan_to_num(network.logits(params, X_val))
        proba = output_values(z, network.output)
        pred = decode_labels(proba, self.classes_, self._y_type)
        return accuracy_score(y_val, pred, sample_weight=w_val)
