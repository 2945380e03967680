"""EEMLSTMClassifier: an LSTM sequence classifier trained by error entropy."""

from numbers import Integral, Real
from typing import ClassVar

import numpy as np
from sklearn.base import ClassifierMixin, _fit_context
from sklearn.metrics import accuracy_score
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import (
    _check_partial_fit_first_call,
    check_classification_targets,
)
from sklearn.utils.validation import (
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
    validate_data,
)

from ._base import BaseStochasticEstimator, NetworkClassifierMixin, store_init_params
from ._docstrings import fill_doc
from ._engine import (
    LOSSES,
    WIDTH_RULES,
    SequenceNetwork,
    output_values,
    resolve_kernel_width,
)

__all__ = ["EEMLSTMClassifier"]

_OUTPUTS = {"eem": "logistic", "mse": "logistic", "cross_entropy": "softmax"}


@fill_doc
class EEMLSTMClassifier(
    NetworkClassifierMixin, ClassifierMixin, BaseStochasticEstimator
):
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
    kernel_width : float, "silverman" or "normal_reference", default=1.0
        Pairwise Gaussian width ``s`` of the entropy estimator (the paper:
        1.3-1.6). A rule name computes it from the initial errors on the
        training rows (after early stopping's split) and keeps it through
        warm starts, with the rule of :mod:`skentropy.metrics` of the same name
        applied to the Parzen sample the loss sees (``entropy_over``): the
        ``n_classes`` output errors of one sequence, pooled over the
        sequences, or a batch of joint error vectors. ``"silverman"`` (robust,
        IQR-based) can come out very narrow for the two-cluster errors of
        one-hot targets; ``"normal_reference"`` (``1.06 std N^(-1/5)`` in
        1-D) does not. Used by ``loss="eem"``.
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
        Optimiser: mini-batch SGD or Adam.
    alpha : float, default=0.0
        Strength of the L2 penalty on the weights (not the biases), divided
        by the (weighted) sample count.
    batch_size : int or "auto", default=32
        Sequences per update (1 = online training, as in the paper);
        ``"auto"`` is ``min(200, n_samples)``.
    learning_rate_init : float, default=0.01
        Initial step size.
    {training_parameters}

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    offset_ : ndarray of shape (n_classes,)
        Added to the outputs before normalising: the mean training error for
        ``entropy_over="samples"``, zeros otherwise.
    kernel_width_ : float or None
        Kernel width used (resolved from a rule name); None unless
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
    {training_attributes}

    Notes
    -----
    Sample weights equal repeated rows exactly when the data fit in one
    batch (``tests/test_lstm.py``); with shuffled mini-batches a weighted
    row and its repeats fall into different batches, as in
    ``MLPClassifier``. For the same reason of order, at the defaults
    (200 Adam epochs) scikit-learn's
    ``check_sample_weight_equivalence_on_dense_data`` fails by round-off
    growth alone; it passes with ``max_iter=50`` (``tests/test_common.py``).

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

    _warn_batch_clipping = False

    _parameter_constraints: ClassVar[dict] = {
        **BaseStochasticEstimator._parameter_constraints,
        "hidden_size": [Interval(Integral, 1, None, closed="left")],
        "n_channels": [Interval(Integral, 1, None, closed="left")],
        "loss": [StrOptions(set(_OUTPUTS))],
        "kernel_width": [
            Interval(Real, 0, None, closed="neither"),
            StrOptions(set(WIDTH_RULES)),
        ],
        "entropy_over": [StrOptions({"outputs", "samples"})],
        "eem_objective": [StrOptions({"log", "ip"})],
        "forget_gate": ["boolean"],
        "solver": [StrOptions({"sgd", "adam"})],
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
        nesterovs_momentum=True,
        learning_rate="constant",
        power_t=0.5,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
    ):
        store_init_params(self, locals())

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
            self._set_classes(np.asarray(classes), from_classes=True)
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
        return self._proba(self._network(), self.params_, sequences, self.offset_)

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

    # -- what the base needs ------------------------------------------------
    def _validate_fit_data(self, X, y, sample_weight, *, incremental, reset):
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, "
                "but the target y is None."
            )
        sequences = self._sequences(X, reset=reset)
        y = column_or_1d(y, warn=True)
        check_consistent_length(sequences, y)
        check_classification_targets(y)
        self._update_classes(y, incremental=incremental)
        # One indicator column per class, binary problems included: the
        # entropy over the output units needs every class's output.
        index = np.searchsorted(self.classes_, y)
        Y = np.eye(len(self.classes_), dtype=bool)[index]
        return sequences, Y, self._check_sample_weight(sample_weight, sequences)

    def _network(self):
        return SequenceNetwork(
            self.n_channels_,
            self.hidden_size,
            len(self.classes_),
            _OUTPUTS[self.loss],
            forget_gate=self.forget_gate,
        )

    def _build_network(self, X, Y):
        return self._network()

    def _loss(self):
        if self.loss == "eem":
            params = {
                "kernel_width": self.kernel_width_,
                "objective": self.eem_objective,
            }
            return LOSSES[f"eem_{self.entropy_over}"], params
        return LOSSES["squared_error" if self.loss == "mse" else "cross_entropy"], {}

    def _start_fit(self, network, X, Y):
        self.kernel_width_ = None

    def _prepare_training(self, network, params, X, Y, sample_weight):
        """Resolve the kernel width once per fit, from the initial errors."""
        if self.loss != "eem":
            return
        if not isinstance(self.kernel_width, str):
            self.kernel_width_ = float(self.kernel_width)
            self._width_rule = None
            return
        # A rule's width is kept through warm starts and partial_fit: it is
        # never re-estimated from the shrinking errors.
        if self.kernel_width_ is not None and self._width_rule == self.kernel_width:
            return
        # The rule sees the Parzen sample the loss sees: the c output errors of
        # one sequence (pooled over the sequences), or a batch of joint
        # c-dimensional error vectors.
        with np.errstate(over="ignore", invalid="ignore"):
            errors = Y - output_values(network.logits(params, X), "logistic")
        if self.entropy_over == "outputs":
            weights = (
                None if sample_weight is None else np.repeat(sample_weight, Y.shape[1])
            )
            errors, set_size = errors.ravel(), Y.shape[1]
        else:
            weights = sample_weight
            batch = 200 if self.batch_size == "auto" else self.batch_size
            set_size = min(batch, X.shape[0])
        self.kernel_width_ = resolve_kernel_width(
            self.kernel_width, errors, weights, set_size=set_size
        )
        self._width_rule = self.kernel_width

    def _fitted_params(self, network, dtype):
        return self.params_.astype(dtype, copy=True)

    def _set_fitted_params(self, network, params):
        self.params_ = params

    def _finish_training(self, network, params, X, Y, sample_weight):
        self.offset_ = self._offset(network, params, X, Y, sample_weight)

    def _stratify(self, Y):
        return Y.argmax(axis=1)

    def _validation_score(self, network, params, X_val, Y_val, w_val, train):
        # Scored as predict scores: with the offset of the current weights.
        offset = self._offset(network, params, *train)
        proba = self._proba(network, params, X_val, offset)
        return accuracy_score(
            Y_val.argmax(axis=1), proba.argmax(axis=1), sample_weight=w_val
        )

    # -- outputs --------------------------------------------------------------
    def _outputs(self, network, params, sequences):
        """Activated outputs, finite even for a diverged fit."""
        with np.errstate(over="ignore", invalid="ignore"):
            z = network.logits(params, sequences)
        return output_values(np.nan_to_num(z, copy=False), network.output)

    def _proba(self, network, params, sequences, offset):
        """Outputs plus ``offset``, clipped at 0 and normalised to sum to one."""
        out = self._outputs(network, params, sequences)
        out += offset
        np.maximum(out, 0, out=out)
        total = out.sum(axis=1, keepdims=True)
        uniform = np.full_like(out, 1.0 / out.shape[1])
        return np.divide(out, total, out=uniform, where=total > 0)

    def _offset(self, network, params, sequences, Y, sample_weight):
        """Mean training error per output where the loss cannot see offsets."""
        offset = np.zeros(Y.shape[1], dtype=params.dtype)
        if self.loss == "eem" and self.entropy_over == "samples":
            out = self._outputs(network, params, sequences)
            offset[...] = np.average(Y - out, axis=0, weights=sample_weight)
        return offset
