"""MinEntMLPClassifier: an MLP with minimum-entropy regularised cross entropy."""

from numbers import Integral, Real
from typing import ClassVar

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.metrics import accuracy_score
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import (
    _check_partial_fit_first_call,
    check_classification_targets,
    type_of_target,
    unique_labels,
)
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    column_or_1d,
    validate_data,
)

from ._base import (
    LabelCoder,
    check_hidden_layer_sizes,
    holdout_split,
    restore_history,
    store_history,
    warn_divergence,
    warn_lbfgs,
    warn_max_iter,
)
from ._engine import (
    LOSSES,
    FeedForwardNetwork,
    History,
    batch_objective,
    fit_lbfgs,
    fit_stochastic,
    forward_logits,
    make_optimizer,
    output_values,
)

__all__ = ["MinEntMLPClassifier"]

_STOCHASTIC_SOLVERS = ("sgd", "adam")


class MinEntMLPClassifier(ClassifierMixin, BaseEstimator):
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
    learning_rate : {"constant", "invscaling", "adaptive"}, default="constant"
        Step-size schedule of ``solver="sgd"``.
    learning_rate_init : float, default=0.001
        Initial step size of ``sgd`` and ``adam``.
    power_t : float, default=0.5
        Exponent of the ``invscaling`` schedule.
    max_iter : int, default=200
        Maximum number of epochs (stochastic solvers) or iterations (L-BFGS).
    shuffle : bool, default=True
        Shuffle the samples every epoch (stochastic solvers).
    random_state : int, RandomState instance or None, default=None
        Seeds the weight initialisation, the validation split and shuffling.
        An int gives the same result, bit for bit, on every fit.
    tol : float, default=1e-4
        Improvement below which an epoch counts as no improvement; for
        L-BFGS the projected-gradient tolerance.
    verbose : bool, default=False
        Print progress.
    warm_start : bool, default=False
        Start the next ``fit`` from the current weights.
    momentum : float, default=0.9
        Momentum of ``sgd``.
    nesterovs_momentum : bool, default=True
        Use Nesterov's momentum in ``sgd``.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data (stratified for
        binary problems, as in MLPClassifier), stop when its accuracy stops
        improving and restore the best weights. Stochastic solvers only.
    validation_fraction : float, default=0.1
        Fraction of the training data held out for early stopping.
    beta_1 : float, default=0.9
        Decay rate of Adam's first-moment estimate.
    beta_2 : float, default=0.999
        Decay rate of Adam's second-moment estimate.
    epsilon : float, default=1e-8
        Numerical-stability term of Adam.
    n_iter_no_change : int, default=10
        Epochs without ``tol`` improvement before stopping.
    max_fun : int, default=15000
        Maximum number of loss evaluations of L-BFGS.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels (for multilabel targets, the label indices).
    loss_ : float
        Training loss of the last epoch (or of the L-BFGS solution).
    best_loss_ : float or None
        Lowest training loss; None when early stopping is on.
    loss_curve_ : list of float
        Training loss per epoch (per L-BFGS iteration for ``lbfgs``).
    validation_scores_ : list of float or None
        Validation accuracy per epoch when early stopping is on.
    validation_loss_curve_ : list of float or None
        Validation loss (same objective as ``loss_curve_``) per epoch when
        early stopping is on.
    best_validation_score_ : float or None
        Best validation accuracy when early stopping is on.
    t_ : int
        Number of training samples seen by the stochastic solver.
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
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "activation": [StrOptions({"identity", "logistic", "tanh", "relu"})],
        "loss": [StrOptions({"cross_entropy", "min_ent", "mix_ent"})],
        "entropy_weight": [Interval(Real, 0, None, closed="left")],
        "eps": [Interval(Real, 0, None, closed="neither")],
        "solver": [StrOptions({"lbfgs", "sgd", "adam"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "learning_rate": [StrOptions({"constant", "invscaling", "adaptive"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [
            Interval(Integral, 1, None, closed="left"),
            Options(Real, {np.inf}),
        ],
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
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.loss = loss
        self.entropy_weight = entropy_weight
        self.eps = eps
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun

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
        if self.solver not in _STOCHASTIC_SOLVERS:
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
        return LabelCoder.decode(proba, self.classes_, self._y_type)

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

    def _set_classes(self, y, from_classes=False):
        if from_classes:
            classes = unique_labels(y)
            y_type = "binary" if len(classes) <= 2 else "multiclass"
        else:
            y_type = type_of_target(y)
            if y_type == "multilabel-indicator":
                classes = np.arange(np.shape(y)[1])
            else:
                classes = unique_labels(y)
                y_type = "binary" if len(classes) <= 2 else "multiclass"
        if len(classes) < 2:
            raise ValueError(
                f"{type(self).__name__} needs samples of at least 2 classes in the "
                f"data, but the data contains only one class: {classes[0]!r}."
            )
        self.classes_ = classes
        self._y_type = y_type

    def _validate_input(self, X, y, incremental, reset):
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
        if not hasattr(self, "classes_") or (not self.warm_start and not incremental):
            self._set_classes(y)
        else:
            classes = unique_labels(y)
            if self.warm_start and not incremental:
                if set(classes) != set(self.classes_):
                    raise ValueError(
                        "warm_start can only be used where `y` has the same classes "
                        f"as in the previous call to fit. Previously got "
                        f"{self.classes_}, `y` has {classes}."
                    )
            elif self._y_type != "multilabel-indicator":
                unknown = np.setdiff1d(classes, self.classes_)
                if len(unknown):
                    raise ValueError(
                        f"`y` has classes not in `self.classes_`: {unknown}. "
                        f"`self.classes_` is {self.classes_}; pass every class in "
                        "`classes=` on the first call to partial_fit."
                    )
        return X, LabelCoder.encode(y, self.classes_, self._y_type)

    def _loss_params(self):
        return {"entropy_weight": self.entropy_weight, "eps": self.eps}

    def _fit(self, X, y, sample_weight, incremental):
        hidden = check_hidden_layer_sizes(self.hidden_layer_sizes)
        first_pass = not hasattr(self, "coefs_") or (
            not self.warm_start and not incremental
        )
        X, Y = self._validate_input(X, y, incremental, reset=first_pass)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, dtype=X.dtype)

        n_outputs = Y.shape[1]
        out_activation = "softmax" if self._y_type == "multiclass" else "logistic"
        network = FeedForwardNetwork(
            [X.shape[1], *hidden, n_outputs], self.activation, out_activation
        )
        rng = check_random_state(self.random_state)
        if first_pass:
            params = network.init_params(rng, X.dtype)
            self.n_iter_ = 0
            self.t_ = 0
            self.n_outputs_ = n_outputs
            self.n_layers_ = len(network.layer_units)
            self.out_activation_ = out_activation
            self._optimizer_state = None
            history = History.start(self.early_stopping and self.solver != "lbfgs")
        else:
            self._check_architecture(network)
            params = network.pack(self.coefs_, self.intercepts_, X.dtype)
            history = restore_history(
                self, self.early_stopping and self.solver != "lbfgs"
            )

        if self.solver == "lbfgs":
            params = self._fit_lbfgs(network, params, X, Y, sample_weight, history)
        else:
            params = self._fit_stochastic(
                network, params, X, Y, sample_weight, history, rng, incremental
            )
        self.coefs_, self.intercepts_ = network.unpack(params)
        store_history(self, history)
        return self

    def _check_architecture(self, network):
        shapes = [c.shape for c in self.coefs_]
        expected = [(layer.fan_in, layer.fan_out) for layer in network.layers]
        if shapes != expected:
            raise ValueError(
                "warm_start/partial_fit needs the same network as the previous fit: "
                f"fitted weight shapes {shapes}, but hidden_layer_sizes="
                f"{self.hidden_layer_sizes} and the data give {expected}."
            )

    def _fit_lbfgs(self, network, params, X, Y, sample_weight, history):
        loss = LOSSES[self.loss]
        objective = batch_objective(
            network,
            X,
            Y,
            loss,
            sample_weight=sample_weight,
            alpha=self.alpha,
            batch_size=X.shape[0],
            loss_params=self._loss_params(),
        )
        rows = slice(0, X.shape[0])
        grad = np.empty(network.n_params, dtype=X.dtype)

        def fun(x):
            value = objective(x.astype(X.dtype, copy=False), rows, grad)
            return value, grad.astype(np.float64)

        result = fit_lbfgs(
            fun,
            params,
            max_iter=self.max_iter,
            max_fun=self.max_fun,
            tol=self.tol,
            verbose=bool(self.verbose),
        )
        if result.diverged:
            warn_divergence(type(self).__name__, result.n_iter, self.learning_rate_init)
        else:
            warn_lbfgs(result.status, result.message, result.n_iter, self.max_iter)
        self.n_iter_ = result.n_iter
        self.loss_ = result.loss
        history.loss_curve.extend(result.loss_curve)
        finite = [v for v in history.loss_curve if np.isfinite(v)]
        history.best_loss = min(finite) if finite else result.loss
        return result.params.astype(X.dtype, copy=False)

    def _fit_stochastic(
        self, network, params, X, Y, sample_weight, history, rng, incremental
    ):
        if self.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True.")
        optimizer = self._make_optimizer(network.n_params, X.dtype)
        if incremental and self._optimizer_state is not None:
            optimizer.load_state(self._optimizer_state)

        validation = None
        if self.early_stopping:
            X, Y, sample_weight, validation = self._validation_split(
                network, X, Y, sample_weight, rng
            )
        n_samples = X.shape[0]
        if self.batch_size == "auto":
            batch_size = min(200, n_samples)
        else:
            if self.batch_size > n_samples:
                import warnings

                warnings.warn(
                    "Got `batch_size` less than 1 or larger than sample size. "
                    "It is going to be clipped",
                    stacklevel=4,
                )
            batch_size = int(np.clip(self.batch_size, 1, n_samples))

        objective = batch_objective(
            network,
            X,
            Y,
            LOSSES[self.loss],
            sample_weight=sample_weight,
            alpha=self.alpha,
            batch_size=batch_size,
            loss_params=self._loss_params(),
        )
        result = fit_stochastic(
            objective,
            params,
            optimizer,
            n_samples,
            batch_size=batch_size,
            max_iter=self.max_iter,
            shuffle=self.shuffle,
            rng=rng,
            tol=self.tol,
            n_iter_no_change=self.n_iter_no_change,
            history=history,
            validation=validation,
            incremental=incremental,
            verbose=bool(self.verbose),
        )
        self.n_iter_ = result.n_iter
        if result.loss is not None:
            self.loss_ = result.loss
        elif not hasattr(self, "loss_"):
            self.loss_ = np.nan
        if result.diverged_epoch is not None:
            warn_divergence(
                type(self).__name__, result.diverged_epoch, self.learning_rate_init
            )
        elif result.reached_max_iter:
            warn_max_iter(self.max_iter)
        self._optimizer_state = optimizer.state()
        return params

    def _make_optimizer(self, n_params, dtype):
        if self.solver == "sgd":
            return make_optimizer(
                "sgd",
                n_params,
                dtype,
                learning_rate_init=self.learning_rate_init,
                lr_schedule=self.learning_rate,
                momentum=self.momentum,
                nesterov=self.nesterovs_momentum,
                power_t=self.power_t,
            )
        return make_optimizer(
            "adam",
            n_params,
            dtype,
            learning_rate_init=self.learning_rate_init,
            beta_1=self.beta_1,
            beta_2=self.beta_2,
            epsilon=self.epsilon,
        )

    def _validation_split(self, network, X, Y, sample_weight, rng):
        # Stratified only for single-output problems, exactly as MLPClassifier
        # splits, so the two see the same validation rows.
        X_train, X_val, Y_train, Y_val, sw_train, sw_val = holdout_split(
            X,
            Y,
            sample_weight,
            rng=rng,
            fraction=self.validation_fraction,
            stratify=Y if Y.shape[1] == 1 else None,
        )
        y_val = LabelCoder.decode(Y_val, self.classes_, self._y_type)
        loss = LOSSES[self.loss]
        loss_params = self._loss_params()

        def validation(params):
            z = np.nan_to_num(network.logits(params, X_val))
            pred = LabelCoder.decode(
                output_values(z.copy(), network.output), self.classes_, self._y_type
            )
            score = accuracy_score(y_val, pred, sample_weight=sw_val)
            val_loss = network.loss_value(
                params,
                X_val,
                Y_val,
                loss,
                sample_weight=sw_val,
                alpha=self.alpha,
                loss_params=loss_params,
            )
            return score, val_loss

        return X_train, Y_train, sw_train, validation
