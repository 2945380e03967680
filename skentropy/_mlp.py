"""The feed-forward estimators: MinEntMLPClassifier and the EEM MLPs.

:class:`FeedForwardMixin` holds what they share: the network built from
``hidden_layer_sizes`` and ``activation``, the ``coefs_`` / ``intercepts_``
storage, and the prediction-side forward pass. :class:`FeedForwardClassifierMixin`
adds the classifiers' target coding, ``partial_fit`` and read-out;
:class:`EEMMixin` the error-entropy machinery of the EEM MLPs (kernel width
resolved on the training rows, the loss, the output offset).
"""

from numbers import Integral, Real
from typing import ClassVar

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin, _fit_context
from sklearn.metrics import accuracy_score, r2_score
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
    check_label_types,
    check_target_present,
    store_init_params,
)
from ._docstrings import fill_doc
from ._engine import (
    LOSSES,
    WIDTH_RULES,
    FeedForwardNetwork,
    forward_logits,
    output_values,
    resolve_kernel_width,
)

__all__ = ["EEMMLPClassifier", "EEMMLPRegressor", "MinEntMLPClassifier"]


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


def _stochastic_solver(estimator) -> bool:
    """``partial_fit``'s availability: stochastic solvers only."""
    if estimator.solver not in STOCHASTIC_SOLVERS:
        raise AttributeError(
            "partial_fit is only available for stochastic optimizers. "
            f"{estimator.solver} is not stochastic."
        )
    return True


class FeedForwardMixin:
    """What the feed-forward estimators share (before the base in the MRO).

    The network of ``hidden_layer_sizes`` and ``activation``, the fitted
    ``coefs_`` / ``intercepts_`` and the attributes describing them, and the
    prediction-side forward pass, which never returns NaN.
    """

    _feed_forward_constraints: ClassVar[dict] = {
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "activation": [StrOptions({"identity", "logistic", "tanh", "relu"})],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
    }

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the network to ``X`` and ``y``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets: class labels or a multilabel indicator matrix for a
            classifier, target values for a regressor.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights; the objective is their weighted mean (for
            the error entropy: frequency weights of its Parzen estimate, so
            integer weights act as repeated rows).

        Returns
        -------
        self : object
            This estimator, trained.
        """
        return self._fit(X, y, sample_weight, incremental=False)

    def _feed_forward_network(self, X, Y, output: str) -> FeedForwardNetwork:
        hidden = check_hidden_layer_sizes(self.hidden_layer_sizes)
        return FeedForwardNetwork(
            [X.shape[1], *hidden, Y.shape[1]], self.activation, output
        )

    def _validate_feed_forward_data(self, X, y, *, reset, **kwargs):
        return validate_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"],
            multi_output=True,
            dtype=(np.float64, np.float32),
            reset=reset,
            **kwargs,
        )

    def _logits(self, X):
        X = validate_data(self, X, accept_sparse=["csr", "csc"], reset=False)
        # Finite weights can still overflow on extreme inputs (or after a
        # diverged fit); map the result to finite logits so no prediction is
        # ever NaN (a no-op on finite logits).
        with np.errstate(over="ignore", invalid="ignore"):
            z = forward_logits(self.coefs_, self.intercepts_, self.activation, X)
        return np.nan_to_num(z, copy=False)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True  # dense or CSR / CSC inputs
        return tags

    def _start_fit(self, network, X, Y):
        self.n_outputs_ = Y.shape[1]
        self.n_layers_ = len(network.layer_units)
        self.out_activation_ = network.output

    def _fitted_params(self, network, dtype):
        return network.pack(self.coefs_, self.intercepts_, dtype)

    def _set_fitted_params(self, network, params):
        self.coefs_, self.intercepts_ = network.unpack(params)


# Output activation of a multiclass problem, per loss: a softmax for the
# cross-entropy family, logistic units (one per class) otherwise.
_SOFTMAX_LOSSES = frozenset({"cross_entropy", "min_ent", "mix_ent"})


class FeedForwardClassifierMixin(FeedForwardMixin, NetworkClassifierMixin):
    """What the feed-forward classifiers share (before the base in the MRO).

    Target coding (:func:`encode_labels`: one column for binary problems,
    one per class or label otherwise), ``partial_fit``, the class
    read-out and early stopping's accuracy. A subclass maps the activated
    outputs to probabilities in the coding's layout by overriding
    ``_predicted_outputs`` and ``_held_out_outputs``.
    """

    # -- public API -----------------------------------------------------
    @available_if(_stochastic_solver)
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
        self : object
            The updated estimator.
        """
        check_target_present(y)
        y = check_label_types(y)
        if classes is not None:
            check_target_present(classes, input_name="classes")
            classes = check_label_types(classes, input_name="classes")
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
        proba = self._predicted_outputs(X)
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
        with np.errstate(divide="ignore"):
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
        return decode_labels(self._predicted_outputs(X), self.classes_, self._y_type)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags

    # -- read-out (hooks) -------------------------------------------------
    def _predicted_outputs(self, X):
        """Probabilities of ``X`` in the target coding's layout."""
        return output_values(self._logits(X), self.out_activation_)

    def _held_out_outputs(self, network, params, X_val, train):
        """The same for the held-out rows and the current weights."""
        z = np.nan_to_num(network.logits(params, X_val))
        return output_values(z, network.output)

    # -- internals ------------------------------------------------------
    def _validate_fit_data(self, X, y, sample_weight, *, incremental, reset):
        check_target_present(y)
        y = check_label_types(y)
        X, y = self._validate_feed_forward_data(X, y, reset=reset)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        self._update_classes(y, incremental=incremental)
        Y = encode_labels(y, self.classes_, self._y_type)
        return X, Y, self._check_sample_weight(sample_weight, X)

    def _build_network(self, X, Y):
        softmax = self._y_type == "multiclass" and self.loss in _SOFTMAX_LOSSES
        return self._feed_forward_network(X, Y, "softmax" if softmax else "logistic")

    def _stratify(self, Y):
        # Stratified only for single-output problems, exactly as MLPClassifier
        # splits, so the two see the same validation rows.
        return Y if Y.shape[1] == 1 else None

    def _validation_score(self, network, params, X_val, Y_val, w_val, train):
        y_val = decode_labels(Y_val, self.classes_, self._y_type)
        proba = self._held_out_outputs(network, params, X_val, train)
        pred = decode_labels(proba, self.classes_, self._y_type)
        return accuracy_score(y_val, pred, sample_weight=w_val)


@fill_doc
class MinEntMLPClassifier(
    FeedForwardClassifierMixin, ClassifierMixin, BaseStochasticEstimator
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
    {network_parameters}
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
    {solver_parameters}
    batch_size : int or "auto", default="auto"
        Mini-batch size of the stochastic solvers; ``"auto"`` is
        ``min(200, n_samples)``.
    {training_parameters}
    {lbfgs_parameters}

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels (for multilabel targets, the label indices).
    {layer_attributes}
    {input_attributes}
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
        **FeedForwardMixin._feed_forward_constraints,
        "loss": [StrOptions({"cross_entropy", "min_ent", "mix_ent"})],
        "entropy_weight": [Interval(Real, 0, None, closed="left")],
        "eps": [Interval(Real, 0, None, closed="neither")],
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

    # -- internals ------------------------------------------------------
    def _loss(self):
        return LOSSES[self.loss], {
            "entropy_weight": self.entropy_weight,
            "eps": self.eps,
        }


class EEMMixin:
    """The error-entropy machinery of the EEM MLPs (before the base in the MRO).

    ``loss="eem"`` is the engine's ``eem_samples`` loss: Renyi's quadratic
    entropy of the joint error vectors ``Y - outputs`` of each mini-batch,
    with the pairwise kernel width ``kernel_width_``, resolved once per fit
    from the initial errors on the training rows. Any other ``loss`` names
    its LOSSES entry. The entropy is blind to a constant shift of the errors,
    so ``offset_`` stores the weighted mean training error per output, which
    the estimator adds to its outputs at predict time.
    """

    _eem_constraints: ClassVar[dict] = {
        "kernel_width": [
            Interval(Real, 0, None, closed="neither"),
            StrOptions(set(WIDTH_RULES)),
        ],
        "eem_objective": [StrOptions({"log", "ip"})],
        "entropy_estimator": [StrOptions({"exact", "binned", "auto"})],
    }

    def _check_entropy_estimator(self, Y):
        """The binned estimator serves one output only: a clear error otherwise."""
        if self.loss == "eem" and self.entropy_estimator == "binned" and Y.shape[1] > 1:
            raise ValueError(
                "entropy_estimator='binned' handles one output only; the targets "
                f"have {Y.shape[1]} (use 'exact' or 'auto')."
            )

    def _loss(self):
        if self.loss != "eem":
            return LOSSES[self.loss], {}
        return LOSSES["eem_samples"], {
            "kernel_width": self.kernel_width_,
            "objective": self.eem_objective,
            "method": self.entropy_estimator,
        }

    def _start_fit(self, network, X, Y):
        super()._start_fit(network, X, Y)
        self.kernel_width_ = None
        self._width_rule = None

    def _prepare_training(self, network, params, X, Y, sample_weight):
        """Resolve the kernel width once per fit, from the initial errors."""
        rule = self.kernel_width if isinstance(self.kernel_width, str) else None
        if self.loss != "eem":
            width = None
        elif rule is None:
            width = float(self.kernel_width)
        elif rule == self._width_rule and self.kernel_width_ is not None:
            width = self.kernel_width_  # kept by warm starts and partial_fit
        else:
            # The Parzen sample is a batch; with frequency weights its size
            # is the batch's expected weight (integer weights act as repeats).
            n = X.shape[0]
            total = n if sample_weight is None else float(sample_weight.sum())
            errors = Y - self._outputs(network, params, X)
            width = resolve_kernel_width(
                rule, errors, sample_weight, set_size=self._batch_weight(n, total)
            )
        self.kernel_width_, self._width_rule = width, rule

    def _set_prediction_state(self, network, params, X, Y, sample_weight):
        self.offset_ = self._offset(network, params, X, Y, sample_weight)

    def _outputs(self, network, params, X):
        """Activated outputs of the training network, finite for any weights."""
        with np.errstate(over="ignore", invalid="ignore"):
            z = np.nan_to_num(network.logits(params, X), copy=False)
        return output_values(z, network.output)

    def _offset(self, network, params, X, Y, sample_weight):
        """Weighted mean training error per output (zeros unless ``loss="eem"``)."""
        offset = np.zeros(Y.shape[1], dtype=params.dtype)
        if self.loss == "eem":
            errors = Y - self._outputs(network, params, X)
            offset[...] = np.average(errors, axis=0, weights=sample_weight)
        return offset


@fill_doc
class EEMMLPRegressor(
    EEMMixin, FeedForwardMixin, RegressorMixin, BaseStochasticEstimator
):
    """Multi-layer perceptron regressor trained by error-entropy minimisation.

    The network, solvers and stopping rules are those of scikit-learn's
    :class:`~sklearn.neural_network.MLPRegressor` (linear output units);
    with ``loss="eem"`` the training objective of every mini-batch is
    Renyi's quadratic entropy of its errors ``e_i = y_i - f(x_i)``,
    ``H2 = -log V`` with the information potential
    ``V = (1/N^2) sum_i sum_j G_s(e_i - e_j)`` of a Gaussian kernel of
    pairwise width ``s`` [1]_ [2]_. Several outputs give joint error
    vectors (one multivariate kernel). Minimising the entropy concentrates
    the errors without squaring them, so a few large (impulsive,
    heavy-tailed) errors weigh little: EEM is a robust regression loss.
    ``loss="squared_error"`` is the baseline on the same engine: it is
    ``MLPRegressor``'s objective and, with the same ``random_state`` and
    hyperparameters, reproduces it.

    The entropy does not see a constant shift of the errors, so the output
    biases get no gradient from it. After fit the (weighted) mean training
    error of each output is stored in ``offset_`` and added at predict time.

    Parameters
    ----------
    {network_parameters}
    loss : {"eem", "squared_error"}, default="eem"
        Training objective: the error entropy over each mini-batch, or half
        the mean squared error (``MLPRegressor``'s).
    kernel_width : float, "silverman" or "normal_reference", default="silverman"
        Pairwise width ``s`` of the Gaussian kernel (the Parzen width is
        ``s / sqrt(2)``). A float is in the units of the targets. A rule name
        computes the width once per fit, from the errors of the initial
        network on the training rows (weighted, for a Parzen sample of the
        batch size), and stores it in ``kernel_width_``; it is never
        re-estimated from the shrinking errors, and warm starts and
        ``partial_fit`` keep it. Ignored by ``squared_error``.
    eem_objective : {"log", "ip"}, default="log"
        ``"log"`` minimises ``-log V`` (the entropy, scale-free); ``"ip"``
        minimises ``-V``, the gradient ascent on the information potential
        of the papers. Their gradients differ by the factor ``1 / V``.
    entropy_estimator : {"exact", "binned", "auto"}, default="auto"
        Estimator of ``V`` and its gradient: exact pairwise sums
        (``O(N^2)`` per batch), binned with FFT convolution (one output
        only; ``O(N + M log M)``, for large batches or ``solver="lbfgs"`` on
        many rows), or ``"auto"``: binned for one output and batches of
        more than 128 rows, where it is the faster of the two (it agrees with
        the exact sums to about 1e-3 on ``V`` and 3e-3 on the gradient),
        exact otherwise.
    {solver_parameters}
    batch_size : int or "auto", default="auto"
        Mini-batch size of the stochastic solvers, which is also the size of
        the Parzen sample of the entropy; ``"auto"`` is
        ``min(200, n_samples)``.
    {training_parameters}
    {lbfgs_parameters}

    Attributes
    ----------
    {layer_attributes}
    offset_ : ndarray of shape (n_outputs_,)
        Added to the network's outputs at predict time: the weighted mean
        training error for ``loss="eem"``, zeros for ``squared_error``.
    kernel_width_ : float or None
        Kernel width used (resolved from a rule name); None for
        ``squared_error``.
    {input_attributes}
    n_layers_ : int
        Number of layers, input and output included.
    n_outputs_ : int
        Number of outputs.
    out_activation_ : str
        Output activation, ``"identity"``.
    {training_attributes}

    See Also
    --------
    sklearn.neural_network.MLPRegressor : The same network with squared error.
    sklearn.linear_model.HuberRegressor : A robust linear regressor.

    Notes
    -----
    Standardise the inputs (for example with
    :class:`~sklearn.preprocessing.StandardScaler`), as for
    ``MLPRegressor``. The targets need no scaling with a rule-based
    ``kernel_width``, which adapts to the spread of the errors; a float
    width must be chosen in target units.

    The width trades robustness for efficiency. The entropy behaves like a
    redescending M-estimator whose scale is the width relative to the
    spread of the *final* errors: a wide kernel approaches squared error
    (efficient under Gaussian noise), a narrow one ignores large errors.
    A rule's width comes from the *initial* errors, which the targets'
    spread dominates, so it is narrow against the noise when the signal is
    strong. On ``benchmarks/mee_regression.py`` (Friedman #1, 2000 rows)
    the default's test RMSE is 0.27x and 0.40x ``MLPRegressor``'s under
    impulsive and Student-t noise, and 1.07x under Gaussian noise; choosing
    ``kernel_width`` on held-out training rows (for example with
    :class:`~sklearn.model_selection.GridSearchCV` and absolute-error
    scoring on robustly scaled targets) brought the Gaussian case to 1.035x
    and kept the others.

    Early stopping scores the held-out rows by R^2 (``validation_scores_``
    and ``best_validation_score_`` are R^2 values), with the offset of the
    current weights, as ``predict`` would.

    If the loss becomes non-finite (too large a learning rate), training
    stops, the last weights with a finite loss are kept and a
    :class:`~sklearn.exceptions.ConvergenceWarning` names the epoch;
    predictions are always finite.

    References
    ----------
    .. [1] D. Erdogmus and J. C. Principe, "An error-entropy minimization
       algorithm for supervised training of nonlinear adaptive systems",
       IEEE Transactions on Signal Processing, 50(7), 1780-1786, 2002.
    .. [2] J. M. Santos, L. A. Alexandre and J. Marques de Sa, "The error
       entropy minimization algorithm for neural network classification",
       Int. Conf. on Recent Advances in Soft Computing, 92-97, 2004.

    Examples
    --------
    >>> import numpy as np
    >>> from skentropy import EEMMLPRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = rng.uniform(-2, 2, size=(200, 1))
    >>> y = np.sin(X[:, 0]) + 0.05 * rng.standard_t(1.5, size=200)
    >>> reg = EEMMLPRegressor(hidden_layer_sizes=(20,), learning_rate_init=0.01,
    ...                       max_iter=300, random_state=0).fit(X, y)
    >>> reg.predict(X[:3]).shape
    (3,)
    >>> bool(np.median(np.abs(reg.predict(X) - np.sin(X[:, 0]))) < 0.1)
    True
    """

    _parameter_constraints: ClassVar[dict] = {
        **BaseStochasticEstimator._parameter_constraints,
        **FeedForwardMixin._feed_forward_constraints,
        "loss": [StrOptions({"eem", "squared_error"})],
        "kernel_width": [
            Interval(Real, 0, None, closed="neither"),
            StrOptions(set(WIDTH_RULES)),
        ],
        "eem_objective": [StrOptions({"log", "ip"})],
        "entropy_estimator": [StrOptions({"exact", "binned", "auto"})],
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        loss="eem",
        kernel_width="silverman",
        eem_objective="log",
        entropy_estimator="auto",
        solver="adam",
        learning_rate_init=0.001,
        learning_rate="constant",
        power_t=0.5,
        momentum=0.9,
        nesterovs_momentum=True,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        alpha=0.0001,
        batch_size="auto",
        shuffle=True,
        max_iter=200,
        max_fun=15000,
        tol=1e-4,
        n_iter_no_change=10,
        early_stopping=False,
        validation_fraction=0.1,
        random_state=None,
        verbose=False,
        warm_start=False,
    ):
        store_init_params(self, locals())

    # -- public API -----------------------------------------------------
    @available_if(_stochastic_solver)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """One more epoch of the stochastic solver on new or repeated data.

        The first call starts a fit (and resolves a rule's kernel width);
        later calls continue it with the optimiser's state and the width.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Inputs of this epoch.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Their target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Their weights.

        Returns
        -------
        self : EEMMLPRegressor
            This estimator, trained one more epoch.
        """
        return self._fit(X, y, sample_weight, incremental=True)

    def predict(self, X):
        """Predicted target values: the network's outputs plus ``offset_``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The samples to predict.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predictions (1-D for a single output, as in ``MLPRegressor``).
        """
        check_is_fitted(self)
        pred = self._logits(X)
        pred += self.offset_
        return pred.ravel() if pred.shape[1] == 1 else pred

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    # -- internals ------------------------------------------------------
    def _validate_fit_data(self, X, y, sample_weight, *, incremental, reset):
        check_target_present(y)
        X, y = self._validate_feed_forward_data(X, y, reset=reset, y_numeric=True)
        Y = (y.reshape(-1, 1) if y.ndim == 1 else y).astype(X.dtype, copy=False)
        self._check_entropy_estimator(Y)
        return X, Y, self._check_sample_weight(sample_weight, X)

    def _build_network(self, X, Y):
        return self._feed_forward_network(X, Y, "identity")

    def _validation_score(self, network, params, X_val, Y_val, w_val, train):
        # Scored as predict scores: with the offset of the current weights;
        # NaN for non-finite outputs, as MLPRegressor scores them.
        with np.errstate(over="ignore", invalid="ignore"):
            pred = network.logits(params, X_val)
        if not np.isfinite(pred).all():
            return np.nan
        pred += self._offset(network, params, *train)
        return r2_score(Y_val, pred, sample_weight=w_val)


@fill_doc
class EEMMLPClassifier(
    EEMMixin, FeedForwardClassifierMixin, ClassifierMixin, BaseStochasticEstimator
):
    """Multi-layer perceptron classifier trained by error-entropy minimisation.

    The network, solvers and stopping rules are those of scikit-learn's
    :class:`~sklearn.neural_network.MLPClassifier`. With ``loss="eem"`` the
    training objective of every mini-batch is Renyi's quadratic entropy of
    its error vectors ``e_i = t_i - y_i`` between the indicator targets
    ``t_i`` and the logistic outputs ``y_i`` (EEM for classification,
    Santos, Alexandre & Marques de Sa [1]_): ``H2 = -log V``,
    ``V = (1/N^2) sum_i sum_j G_s(e_i - e_j)`` with a Gaussian kernel of
    pairwise width ``s``, one joint kernel over the outputs.

    The outputs are logistic units, as in the EEM papers [1]_ [2]_: each
    output and its target lie in [0, 1], so the errors lie in [-1, 1] and a
    fixed ``kernel_width`` has a natural scale (a softmax would tie the
    outputs together). Targets: one indicator column per class for
    multiclass problems; one column (the positive class ``classes_[1]``)
    for binary problems, as ``MLPClassifier`` codes them, which gives 1-D
    errors that ``entropy_estimator="binned"`` can serve; the indicator
    matrix for multilabel problems.

    The entropy does not see a constant shift of the errors, so the output
    biases get no gradient from it: after fit the (weighted) mean training
    error of each output is stored in ``offset_`` and added to the outputs
    at predict time, as :class:`~skentropy.EEMLSTMClassifier` does with
    ``entropy_over="samples"``. ``predict_proba`` then clips the corrected
    outputs: for multiclass problems at 0, and normalises them to sum to
    one (uniform where all are 0); for binary and multilabel problems into
    (0, 1), by machine epsilon. ``predict`` takes their argmax
    (multiclass), compares the positive output with 0.5 (binary: the argmax
    of ``predict_proba``) or thresholds each label at 0.5 (multilabel).
    These are scores, not calibrated probabilities (the entropy of the
    errors does not reward calibration): for probabilities, wrap the
    classifier in :class:`~sklearn.calibration.CalibratedClassifierCV`.

    ``loss="squared_error"`` on the same logistic outputs is the baseline of
    the EEM papers; ``loss="cross_entropy"`` is ``MLPClassifier`` (softmax
    outputs for multiclass problems) and, with the same ``random_state`` and
    hyperparameters, reproduces it. Test accuracy and fit time against
    ``MLPClassifier`` on three scikit-learn data sets are measured in
    ``benchmarks/eem_classification.py``.

    Parameters
    ----------
    {network_parameters}
    loss : {"eem", "squared_error", "cross_entropy"}, default="eem"
        Training objective: the error entropy of each mini-batch, half the
        squared error of the logistic outputs, or cross entropy.
    kernel_width : float, "silverman" or "normal_reference", default=1.0
        Pairwise width ``s`` of the Gaussian kernel (the Parzen width is
        ``s / sqrt(2)``), in the units of the errors, which lie in [-1, 1].
        A rule name computes the width once per fit from the joint errors of
        the initial network on the training rows (weighted, for a Parzen
        sample of the batch size), stores it in ``kernel_width_`` and keeps
        it through warm starts and ``partial_fit``. Narrow widths can stall
        at chance accuracy, and the rules give narrow widths for the
        clustered errors of indicator targets (on digits, 0.3 and chance
        accuracy against 98 % for widths 0.5 to 4:
        ``examples/plot_eem_classification.py``). Used by ``loss="eem"``.
    eem_objective : {"log", "ip"}, default="log"
        ``"log"`` minimises the entropy ``-log V``; ``"ip"`` minimises
        ``-V`` (gradient ascent on the information potential, the papers'
        form). The gradients differ by the factor ``1 / V``.
    entropy_estimator : {"exact", "binned", "auto"}, default="auto"
        Estimator of ``V`` and its gradient: exact pairwise sums, binned
        with FFT convolution (binary problems only, which have one output),
        or ``"auto"``: binned for one output and batches of more than 128
        rows, where it is the faster of the two (it agrees with the exact
        sums to about 1e-3 on ``V`` and 3e-3 on the gradient), exact
        otherwise.
    {solver_parameters}
    batch_size : int or "auto", default="auto"
        Mini-batch size of the stochastic solvers, which is also the size of
        the Parzen sample of the entropy; ``"auto"`` is
        ``min(200, n_samples)``.
    {training_parameters}
    {lbfgs_parameters}

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels (for multilabel targets, the label indices).
    {layer_attributes}
    offset_ : ndarray of shape (n_outputs_,)
        Added to the outputs before the read-out: the weighted mean training
        error for ``loss="eem"``, zeros for the other losses.
    kernel_width_ : float or None
        Kernel width used (resolved from a rule name); None unless
        ``loss="eem"``.
    {input_attributes}
    n_layers_ : int
        Number of layers, input and output included.
    n_outputs_ : int
        Number of output units (1 for binary problems).
    out_activation_ : str
        Output activation: ``"logistic"``, or ``"softmax"`` for
        ``loss="cross_entropy"`` on a multiclass problem.
    {training_attributes}

    See Also
    --------
    sklearn.neural_network.MLPClassifier : The same network with cross entropy.
    EEMMLPRegressor : Error-entropy minimisation for regression.
    EEMLSTMClassifier : Error-entropy minimisation for sequences.

    Notes
    -----
    Standardise the inputs, as for ``MLPClassifier``. Early stopping scores
    the held-out rows by accuracy, with the offset of the current weights,
    as ``predict`` would. Sample weights are frequency weights of the Parzen
    estimate: integer weights equal repeated rows when the data fit in one
    batch. If the loss becomes non-finite (too large a learning rate),
    training stops, the last weights with a finite loss are kept and a
    :class:`~sklearn.exceptions.ConvergenceWarning` names the epoch;
    predictions are always finite.

    References
    ----------
    .. [1] J. M. Santos, L. A. Alexandre and J. Marques de Sa, "The error
       entropy minimization algorithm for neural network classification",
       Int. Conf. on Recent Advances in Soft Computing, 92-97, 2004.
    .. [2] L. A. Alexandre and J. P. Marques de Sa, "Error entropy
       minimization for LSTM training", ICANN 2006, LNCS 4131.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skentropy import EEMMLPClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> X = StandardScaler().fit_transform(X)
    >>> clf = EEMMLPClassifier(hidden_layer_sizes=(20,), learning_rate_init=0.01,
    ...                        max_iter=300, random_state=0).fit(X, y)
    >>> clf.score(X, y) > 0.95
    True
    >>> clf.predict_proba(X[:2]).sum(axis=1)
    array([1., 1.])
    """

    _parameter_constraints: ClassVar[dict] = {
        **BaseStochasticEstimator._parameter_constraints,
        **FeedForwardMixin._feed_forward_constraints,
        **EEMMixin._eem_constraints,
        "loss": [StrOptions({"eem", "squared_error", "cross_entropy"})],
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        loss="eem",
        kernel_width=1.0,
        eem_objective="log",
        entropy_estimator="auto",
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

    # -- internals ------------------------------------------------------
    def _validate_fit_data(self, X, y, sample_weight, *, incremental, reset):
        X, Y, sample_weight = super()._validate_fit_data(
            X, y, sample_weight, incremental=incremental, reset=reset
        )
        self._check_entropy_estimator(Y)
        return X, Y, sample_weight

    def _predicted_outputs(self, X):
        return self._read_out(super()._predicted_outputs(X), self.offset_)

    def _held_out_outputs(self, network, params, X_val, train):
        # Scored as predict scores: with the offset of the current weights.
        outputs = super()._held_out_outputs(network, params, X_val, train)
        return self._read_out(outputs, self._offset(network, params, *train))

    def _read_out(self, outputs, offset):
        """Outputs plus ``offset`` as probabilities, in place.

        Per output (binary and multilabel problems): clipped into the open
        interval (0, 1), by the float's machine epsilon, as scikit-learn
        expects of multilabel probabilities. Multiclass: clipped at 0 and
        normalised to sum to one (uniform where every output is 0).
        """
        outputs += offset
        if self._y_type != "multiclass":
            eps = np.finfo(outputs.dtype).eps
            return np.clip(outputs, eps, 1 - eps, out=outputs)
        np.maximum(outputs, 0.0, out=outputs)
        total = outputs.sum(axis=1, keepdims=True)
        uniform = np.full_like(outputs, 1.0 / outputs.shape[1])
        return np.divide(outputs, total, out=uniform, where=total > 0)
