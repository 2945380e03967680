"""EEMLSTMClassifier: an LSTM sequence classifier trained by error entropy."""

from numbers import Integral, Real
from typing import ClassVar

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.metrics import accuracy_score
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import (
    _check_partial_fit_first_call,
    check_classification_targets,
    unique_labels,
)
from sklearn.utils.validation import (
    _check_sample_weight,
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
    validate_data,
)

from ._base import (
    holdout_split,
    restore_history,
    store_history,
    warn_divergence,
    warn_max_iter,
)
from ._engine import LOSSES, History, fit_stochastic, make_optimizer, output_values
from ._engine.sequence_network import SequenceClassifierNetwork

__all__ = ["EEMLSTMClassifier"]

_OUTPUTS = {"eem": "logistic", "mse": "logistic", "cross_entropy": "softmax"}


def _silverman_pairwise_width(
    errors: np.ndarray, set_size: int, sample_weight=None
) -> float:
    """Silverman's normal-reference width for Parzen sets of ``set_size`` errors.

    Weighted standard deviation of all the errors, ``sigma = 1.06 std
    set_size^(-1/5)``, returned as the pairwise width ``sqrt(2) sigma``.
    """
    if sample_weight is not None:
        weights = np.repeat(sample_weight, errors.shape[1])
    else:
        weights = None
    flat = errors.ravel()
    mean = np.average(flat, weights=weights)
    std = float(np.sqrt(np.average((flat - mean) ** 2, weights=weights)))
    sigma = 1.06 * max(std, 1e-3) * set_size ** (-0.2)
    return float(np.sqrt(2.0) * sigma)


class EEMLSTMClassifier(ClassifierMixin, BaseEstimator):
    """LSTM sequence classifier trained by Error Entropy Minimization (EEM).

    An LSTM reads each sequence; a dense output layer reads its last hidden
    state. With ``loss="eem"`` (Alexandre & Marques de Sa, 2006) the
    training objective is the quadratic Renyi entropy of the errors between
    the sigmoid outputs and the one-hot targets, estimated with a Gaussian
    Parzen window of pairwise width ``kernel_width``: over each sequence's
    output units (``entropy_over="outputs"``, the paper's formulation).
    ``loss="mse"`` is the paper's baseline and ``loss="cross_entropy"`` a
    softmax reference.

    Input: a 3-D array ``(n_samples, n_timesteps, n_channels)``, or a 2-D
    array of sequences flattened time-major, oldest step first, with
    ``n_channels`` columns per step (with the default every column is one
    time step); see :mod:`skentropy.sequences` for helpers.

    Parameters
    ----------
    hidden_size : int, default=32
        LSTM cells.
    n_channels : int, default=1
        Channels per time step of 2-D input (ignored for 3-D input, whose
        last axis gives them).
    loss : {"eem", "mse", "cross_entropy"}, default="eem"
        Training objective.
    kernel_width : float or "silverman", default=1.0
        Pairwise Gaussian width ``s`` of the entropy estimator (the paper:
        1.3-1.6); ``"silverman"`` computes it once per fit from the initial
        errors. Used by ``loss="eem"``.
    entropy_over : {"outputs", "samples"}, default="outputs"
        Parzen sample of the entropy: each sequence's output-unit errors
        (the paper; works online with ``batch_size=1``), or the joint error
        vectors of the batch's sequences (the EEM classification MLPs of
        Santos, Alexandre & Marques de Sa). The latter is blind to a constant
        offset, so the mean training error is stored in ``offset_`` and
        added to the outputs at predict time.
    eem_objective : {"log", "ip"}, default="log"
        Minimise ``-log V`` (scale-free) or ``-V`` (gradient ascent on the
        information potential, as the paper did).
    forget_gate : bool, default=True
        Modern LSTM cell; False gives the 1997 cell of the paper.
    solver : {"sgd", "adam"}, default="adam"
        Optimiser.
    learning_rate_init : float, default=0.01
        Step size.
    momentum : float, default=0.9
        Momentum of ``sgd`` (Nesterov).
    batch_size : int, default=32
        Sequences per update (1 = online training, as in the paper).
    max_iter : int, default=200
        Maximum number of epochs.
    tol : float, default=1e-4
        Improvement below which an epoch counts as no improvement.
    n_iter_no_change : int, default=10
        Epochs without ``tol`` improvement before stopping.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the data (stratified), stop when
        its accuracy stops improving and restore the best weights.
    validation_fraction : float, default=0.1
        Fraction held out for early stopping.
    alpha : float, default=0.0
        L2 penalty on the weights, divided by the sample count.
    shuffle : bool, default=True
        Shuffle the sequences every epoch.
    random_state : int, RandomState instance or None, default=None
        Seeds initialisation, validation split and shuffling.
    verbose : bool, default=False
        Print progress.
    warm_start : bool, default=False
        Start the next ``fit`` from the current weights.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    offset_ : ndarray of shape (n_classes,)
        Added to the outputs before normalising: the mean training error for
        ``entropy_over="samples"``, zeros otherwise.
    kernel_width_ : float or None
        Kernel width used (resolved from ``"silverman"``); None unless
        ``loss="eem"``.
    n_timesteps_ : int
        Sequence length seen during fit.
    n_channels_ : int
        Channels per step seen during fit.
    n_features_in_ : int
        Columns of the (2-D) input seen during fit: ``n_timesteps_ * n_channels_``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names of a DataFrame seen during fit.
    params_ : ndarray
        The flat parameter vector (LSTM block, output weights, output biases).
    loss_ : float
        Training loss of the last epoch.
    best_loss_ : float or None
        Lowest training loss (None with early stopping).
    loss_curve_ : list of float
        Training loss per epoch.
    validation_scores_ : list of float or None
        Validation accuracy per epoch with early stopping.
    validation_loss_curve_ : list of float or None
        Validation loss per epoch with early stopping.
    best_validation_score_ : float or None
        Best validation accuracy with early stopping.
    n_iter_ : int
        Epochs run by the last call.
    t_ : int
        Sequences seen by the optimiser.

    References
    ----------
    .. [1] L. A. Alexandre and J. P. Marques de Sa, "Error entropy
       minimization for LSTM training", ICANN 2006, LNCS 4131.

    Examples
    --------
    >>> import numpy as np
    >>> from skentropy import EEMLSTMClassifier
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(120, 6))          # 120 sequences of 6 steps
    >>> y = (X[:, 0] > 0).astype(int)          # the label is the first step's sign
    >>> clf = EEMLSTMClassifier(hidden_size=8, max_iter=60, random_state=0).fit(X, y)
    >>> clf.score(X, y) > 0.9
    True
    """

    _parameter_constraints: ClassVar[dict] = {
        "hidden_size": [Interval(Integral, 1, None, closed="left")],
        "n_channels": [Interval(Integral, 1, None, closed="left")],
        "loss": [StrOptions(set(_OUTPUTS))],
        "kernel_width": [
            Interval(Real, 0, None, closed="neither"),
            StrOptions({"silverman"}),
        ],
        "entropy_over": [StrOptions({"outputs", "samples"})],
        "eem_objective": [StrOptions({"log", "ip"})],
        "forget_gate": ["boolean"],
        "solver": [StrOptions({"sgd", "adam"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
    }

    def __init__(
        self,
        hidden_size=32,
        *,
        n_channels=1,
        loss="eem",
        kernel_width=1.0,
        entropy_over="outputs",
        eem_objective="log",
        forget_gate=True,
        solver="adam",
        learning_rate_init=0.01,
        momentum=0.9,
        batch_size=32,
        max_iter=200,
        tol=1e-4,
        n_iter_no_change=10,
        early_stopping=False,
        validation_fraction=0.1,
        alpha=0.0,
        shuffle=True,
        random_state=None,
        verbose=False,
        warm_start=False,
    ):
        self.hidden_size = hidden_size
        self.n_channels = n_channels
        self.loss = loss
        self.kernel_width = kernel_width
        self.entropy_over = entropy_over
        self.eem_objective = eem_objective
        self.forget_gate = forget_gate
        self.solver = solver
        self.learning_rate_init = learning_rate_init
        self.momentum = momentum
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.alpha = alpha
        self.shuffle = shuffle
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start

    # -- public API -----------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the network to sequences ``X`` and labels ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_channels) or \
                (n_samples, n_timesteps * n_channels)
            Sequences (2-D: time-major, oldest step first).
        y : array-like of shape (n_samples,)
            Class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sequence weights.

        Returns
        -------
        self : EEMLSTMClassifier
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight, incremental=False)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """One epoch over ``X`` and ``y``, keeping the optimiser's state.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_channels) or \
                (n_samples, n_timesteps * n_channels)
            Sequences.
        y : array-like of shape (n_samples,)
            Class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sequence weights.
        classes : array-like of shape (n_classes,), default=None
            All classes; required on the first call.

        Returns
        -------
        self : EEMLSTMClassifier
            The updated estimator.
        """
        if _check_partial_fit_first_call(self, classes):
            self._set_classes(np.asarray(classes))
        return self._fit(X, y, sample_weight, incremental=True)

    def predict_proba(self, X):
        """Class probabilities (sigmoid outputs normalised to sum to one).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_channels) or \
                (n_samples, n_timesteps * n_channels)
            Sequences.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probability of each class, in the order of ``classes_``.
        """
        check_is_fitted(self)
        sequences = self._sequences(X, reset=False)
        with np.errstate(over="ignore", invalid="ignore"):
            z = self._network().logits(self.params_, sequences)
        out = output_values(np.nan_to_num(z, copy=False), _OUTPUTS[self.loss])
        out += self.offset_
        np.maximum(out, 0, out=out)
        total = out.sum(axis=1, keepdims=True)
        uniform = np.full_like(out, 1.0 / out.shape[1])
        return np.divide(out, total, out=uniform, where=total > 0)

    def predict(self, X):
        """Predicted class labels (argmax of the outputs).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_channels) or \
                (n_samples, n_timesteps * n_channels)
            Sequences.

        Returns
        -------
        y : ndarray of shape (n_samples,)
            Predicted labels.
        """
        check_is_fitted(self)
        return self.classes_.take(self.predict_proba(X).argmax(axis=1))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        return tags

    # -- input ------------------------------------------------------------
    def _sequences(self, X, reset):
        """Validated (n, T, channels) C-contiguous sequences."""
        shape = getattr(X, "shape", None)
        if shape is None:  # lists and other array-likes
            try:
                X = np.asarray(X)
            except ValueError as error:  # ragged nested lists
                raise ValueError(
                    "X must hold sequences of equal length (a 2-D or 3-D array); "
                    f"got ragged input: {error}"
                ) from error
            shape = X.shape
        if len(shape) > 3:
            raise ValueError(
                "X must be 2-D (n_samples, n_timesteps * n_channels) or 3-D "
                f"(n_samples, n_timesteps, n_channels); got {len(shape)}-D input."
            )
        if len(shape) == 3:
            channels = int(shape[2])
            if not reset and channels != self.n_channels_:
                raise ValueError(
                    f"X has {channels} channels per time step, but "
                    f"{type(self).__name__} was fitted with {self.n_channels_}."
                )
            X = np.asarray(X).reshape(shape[0], -1)
        else:  # 2-D (1-D is rejected by validate_data with sklearn's message)
            channels = self.n_channels if reset else self.n_channels_
        X = validate_data(self, X, reset=reset, dtype=(np.float64, np.float32))
        if X.shape[1] % channels:
            raise ValueError(
                f"X has {X.shape[1]} columns, not a multiple of n_channels={channels}."
            )
        if reset:
            self.n_channels_ = channels
            self.n_timesteps_ = X.shape[1] // channels
        return np.ascontiguousarray(X.reshape(X.shape[0], -1, channels))

    def _set_classes(self, classes):
        classes = unique_labels(classes)
        if len(classes) < 2:
            raise ValueError(
                f"{type(self).__name__} needs samples of at least 2 classes in the "
                f"data, but the data contains only one class: {classes[0]!r}."
            )
        self.classes_ = classes

    def _targets(self, y, incremental):
        check_classification_targets(y)
        if not hasattr(self, "classes_") or (not self.warm_start and not incremental):
            self._set_classes(y)
        else:
            unknown = np.setdiff1d(unique_labels(y), self.classes_)
            if len(unknown):
                raise ValueError(
                    f"`y` has classes not in `self.classes_`: {unknown}. "
                    f"`self.classes_` is {self.classes_}."
                )
        index = np.searchsorted(self.classes_, y)
        return np.eye(len(self.classes_), dtype=bool)[index]

    # -- training -----------------------------------------------------------
    def _network(self):
        return SequenceClassifierNetwork(
            self.n_channels_,
            self.hidden_size,
            len(self.classes_),
            _OUTPUTS[self.loss],
            forget_gate=self.forget_gate,
        )

    def _loss(self):
        if self.loss == "eem":
            params = {
                "kernel_width": self.kernel_width_,
                "objective": self.eem_objective,
            }
            return LOSSES[f"eem_{self.entropy_over}"], params
        return LOSSES["squared_error" if self.loss == "mse" else "cross_entropy"], {}

    def _fit(self, X, y, sample_weight, incremental):
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, "
                "but the target y is None."
            )
        first_pass = not hasattr(self, "params_") or (
            not self.warm_start and not incremental
        )
        if self.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True.")
        sequences = self._sequences(X, reset=first_pass)
        y = column_or_1d(y, warn=True)
        check_consistent_length(sequences, y)
        Y = self._targets(y, incremental)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight, sequences[:, 0], dtype=sequences.dtype
            )
        dtype = sequences.dtype
        rng = check_random_state(self.random_state)
        network = self._network()
        if first_pass:
            params = network.init_params(rng, dtype)
            self.t_ = 0
            self._optimizer_state = None
            self.kernel_width_ = None
            history = History.start(self.early_stopping)
        else:
            if self.params_.shape != (network.n_params,):
                raise ValueError(
                    "warm_start/partial_fit needs the same network as the previous fit."
                )
            params = self.params_.astype(dtype, copy=True)
            history = restore_history(self, self.early_stopping)
        if self.loss == "eem" and self.kernel_width_ is None:
            if self.kernel_width == "silverman":
                p0 = output_values(network.logits(params, sequences), "logistic")
                self.kernel_width_ = _silverman_pairwise_width(
                    Y - p0, Y.shape[1], sample_weight
                )
            else:
                self.kernel_width_ = float(self.kernel_width)

        validation = None
        if self.early_stopping:
            sequences, Y, sample_weight, validation = self._split(
                network, sequences, Y, sample_weight, rng
            )
        loss, loss_params = self._loss()
        batch_size = min(self.batch_size, sequences.shape[0])
        mask = network.weight_mask()
        x_buf = np.empty((batch_size, *sequences.shape[1:]), dtype=dtype)

        def objective(params, rows, grad):
            if isinstance(rows, slice):
                xb, yb = sequences[rows], Y[rows]
                wb = None if sample_weight is None else sample_weight[rows]
            else:
                xb = np.take(sequences, rows, axis=0, out=x_buf[: len(rows)])
                yb = Y[rows]
                wb = None if sample_weight is None else sample_weight[rows]
            return network.loss_grad(
                params,
                xb,
                yb,
                grad,
                loss,
                sample_weight=wb,
                alpha=self.alpha,
                loss_params=loss_params,
                weight_mask=mask,
            )

        optimizer = self._make_optimizer(network.n_params, dtype)
        if incremental and self._optimizer_state is not None:
            optimizer.load_state(self._optimizer_state)
        result = fit_stochastic(
            objective,
            params,
            optimizer,
            sequences.shape[0],
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
        if result.diverged_epoch is not None:
            warn_divergence(
                type(self).__name__, result.diverged_epoch, self.learning_rate_init
            )
        elif result.reached_max_iter:
            warn_max_iter(self.max_iter)
        self.params_ = params
        self.offset_ = self._offset(network, params, sequences, Y, sample_weight)
        self.n_iter_ = result.n_iter
        if result.loss is not None:
            self.loss_ = result.loss
        elif not hasattr(self, "loss_"):
            self.loss_ = np.nan
        self._optimizer_state = optimizer.state()
        store_history(self, history)
        return self

    def _offset(self, network, params, sequences, Y, sample_weight):
        """Mean training error per output where the loss cannot see offsets."""
        offset = np.zeros(Y.shape[1], dtype=params.dtype)
        if self.loss == "eem" and self.entropy_over == "samples":
            with np.errstate(over="ignore", invalid="ignore"):
                out = output_values(network.logits(params, sequences), "logistic")
            offset[...] = np.average(Y - out, axis=0, weights=sample_weight)
        return offset

    def _make_optimizer(self, n_params, dtype):
        if self.solver == "sgd":
            return make_optimizer(
                "sgd",
                n_params,
                dtype,
                learning_rate_init=self.learning_rate_init,
                momentum=self.momentum,
            )
        return make_optimizer(
            "adam", n_params, dtype, learning_rate_init=self.learning_rate_init
        )

    def _split(self, network, sequences, Y, sample_weight, rng):
        x_tr, x_val, y_tr, y_val, w_tr, w_val = holdout_split(
            sequences,
            Y,
            sample_weight,
            rng=rng,
            fraction=self.validation_fraction,
            stratify=Y.argmax(axis=1),
        )
        loss, loss_params = self._loss()
        labels = y_val.argmax(axis=1)

        def validation(params):
            with np.errstate(over="ignore", invalid="ignore"):
                z = network.logits(params, x_val)
            score = accuracy_score(labels, z.argmax(axis=1), sample_weight=w_val)
            value = network.loss_value(
                params,
                x_val,
                y_val,
                loss,
                sample_weight=w_val,
                alpha=self.alpha,
                loss_params=loss_params,
            )
            return score, value

        return x_tr, y_tr, w_tr, validation
