"""LSTM sequence estimators trained by error entropy.

:class:`EEMLSTMClassifier` and :class:`EEMLSTMRegressor` share
:class:`_LSTMEstimator`: the input layouts, the network, the flat ``params_``,
the kernel-width resolution, the loss choice, the output offset and the
finite-output forward pass. Each class adds its target coding and its
read-out of the outputs.
"""

from numbers import Integral, Real
from typing import ClassVar

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin, _fit_context
from sklearn.metrics import accuracy_score, r2_score
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import (
    _check_partial_fit_first_call,
    check_classification_targets,
)
from sklearn.utils.validation import (
    _check_y,
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

__all__ = ["EEMLSTMClassifier", "EEMLSTMRegressor"]


class _LSTMEstimator(BaseStochasticEstimator):
    """What the LSTM estimators share: an LSTM and a dense head on its last state.

    A subclass sets ``_outputs_of_loss`` (output activation per ``loss``),
    ``_losses`` (the LOSSES entry of each non-entropy ``loss``) and
    ``_n_outputs()``, and writes its target coding
    (``_validate_fit_data``) and ``_validation_score``. ``_parzen_sample()``
    says what the entropy estimator sees: ``"outputs"`` (each sequence's
    output errors) or ``"samples"`` (the joint error vectors of a batch,
    blind to an offset, which ``offset_`` then restores).
    """

    _warn_batch_clipping = False
    _outputs_of_loss: ClassVar[dict] = {}
    _losses: ClassVar[dict] = {}

    _parameter_constraints: ClassVar[dict] = {
        **BaseStochasticEstimator._parameter_constraints,
        "hidden_size": [Interval(Integral, 1, None, closed="left")],
        "n_channels": [Interval(Integral, 1, None, closed="left")],
        "kernel_width": [
            Interval(Real, 0, None, closed="neither"),
            StrOptions(set(WIDTH_RULES)),
        ],
        "eem_objective": [StrOptions({"log", "ip"})],
        "forget_gate": ["boolean"],
        "solver": [StrOptions({"sgd", "adam"})],
    }

    def _n_outputs(self) -> int:
        """Output units of the fitted network."""
        raise NotImplementedError

    def _parzen_sample(self) -> str:
        return "samples"

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the network to sequences ``X`` and targets ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_channels) or \
                (n_samples, n_timesteps * n_channels)
            Sequences (2-D: time-major, oldest step first).
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Class labels (classifier) or target values (regressor).
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sequence weights.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight, incremental=False)

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
    def _check_y_given(self, y):
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, "
                "but the target y is None."
            )

    def _network(self, n_outputs=None):
        """The network of these parameters (by default, of the fitted outputs)."""
        return SequenceNetwork(
            self.n_channels_,
            self.hidden_size,
            self._n_outputs() if n_outputs is None else n_outputs,
            self._outputs_of_loss[self.loss],
            forget_gate=self.forget_gate,
        )

    def _build_network(self, X, Y):
        return self._network(Y.shape[1])

    def _loss(self):
        if self.loss == "eem":
            params = {
                "kernel_width": self.kernel_width_,
                "objective": self.eem_objective,
            }
            return LOSSES[f"eem_{self._parzen_sample()}"], params
        return LOSSES[self._losses[self.loss]], {}

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
            errors = Y - output_values(network.logits(params, X), network.output)
        if self._parzen_sample() == "outputs":
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

    # -- outputs --------------------------------------------------------------
    def _outputs(self, network, params, sequences):
        """Activated outputs, finite even for a diverged fit."""
        with np.errstate(over="ignore", invalid="ignore"):
            z = network.logits(params, sequences)
        return output_values(np.nan_to_num(z, copy=False), network.output)

    def _offset(self, network, params, sequences, Y, sample_weight):
        """Mean training error per output where the loss cannot see offsets."""
        offset = np.zeros(Y.shape[1], dtype=params.dtype)
        if self.loss == "eem" and self._parzen_sample() == "samples":
            out = self._outputs(network, params, sequences)
            with np.errstate(over="ignore", invalid="ignore"):
                offset[...] = np.average(Y - out, axis=0, weights=sample_weight)
            np.nan_to_num(offset, copy=False)
        return offset


@fill_doc
class EEMLSTMClassifier(NetworkClassifierMixin, ClassifierMixin, _LSTMEstimator):
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
    {lstm_layout_parameters}
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
    {lstm_parameters}
    {training_parameters}

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    offset_ : ndarray of shape (n_classes,)
        Added to the outputs before normalising: the mean training error for
        ``entropy_over="samples"``, zeros otherwise.
    {lstm_attributes}
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

    _outputs_of_loss: ClassVar[dict] = {
        "eem": "logistic",
        "mse": "logistic",
        "cross_entropy": "softmax",
    }
    _losses: ClassVar[dict] = {"mse": "squared_error", "cross_entropy": "cross_entropy"}

    _parameter_constraints: ClassVar[dict] = {
        **_LSTMEstimator._parameter_constraints,
        "loss": [StrOptions(set(_outputs_of_loss))],
        "entropy_over": [StrOptions({"outputs", "samples"})],
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

    # -- input ------------------------------------------------------------
    # -- what the base needs ------------------------------------------------
    def _n_outputs(self):
        return len(self.classes_)

    def _parzen_sample(self):
        return self.entropy_over

    def _validate_fit_data(self, X, y, sample_weight, *, incremental, reset):
        self._check_y_given(y)
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
    def _proba(self, network, params, sequences, offset):
        """Outputs plus ``offset``, clipped at 0 and normalised to sum to one."""
        out = self._outputs(network, params, sequences)
        out += offset
        np.maximum(out, 0, out=out)
        total = out.sum(axis=1, keepdims=True)
        uniform = np.full_like(out, 1.0 / out.shape[1])
        return np.divide(out, total, out=uniform, where=total > 0)


@fill_doc
class EEMLSTMRegressor(RegressorMixin, _LSTMEstimator):
    """LSTM sequence regressor trained by Error Entropy Minimization (EEM).

    An LSTM reads each sequence; a dense linear (identity) output layer reads
    its last hidden state and gives one value per target. With
    ``loss="eem"`` the training objective is the quadratic Renyi entropy of
    the joint error vectors ``y - output`` of a batch's sequences, estimated
    with a Gaussian Parzen window of pairwise width ``kernel_width``: a
    target per sequence has no set of output units, so the batch's errors
    are the Parzen sample (the EEM MLPs of Santos, Alexandre & Marques de
    Sa). The entropy is blind to a constant shift of the errors, so the
    weighted mean training error is stored in ``offset_`` and added to the
    outputs at predict time. ``loss="squared_error"`` is the usual baseline.

    Input as for :class:`EEMLSTMClassifier` (3-D, or 2-D flattened
    time-major with ``n_channels`` columns per step), which is the layout
    :class:`~skentropy.sequences.LagFeatures` builds for forecasting.
    Targets: ``(n_samples,)`` or ``(n_samples, n_outputs)``.

    Parameters
    ----------
    {lstm_layout_parameters}
    loss : {"eem", "squared_error"}, default="eem"
        Training objective.
    kernel_width : float, "silverman" or "normal_reference", default=1.0
        Pairwise Gaussian width ``s`` of the entropy estimator, in the units
        of the targets (scale them, for example with
        :class:`~sklearn.compose.TransformedTargetRegressor`). A rule name
        applies the rule of :mod:`skentropy.metrics` of the same name to the
        initial joint errors of the training rows (after early stopping's
        split), with one Parzen sample per batch, and keeps the width
        through warm starts. Used by ``loss="eem"``.
    {lstm_parameters}
    {training_parameters}

    Attributes
    ----------
    n_outputs_ : int
        Number of targets.
    offset_ : ndarray of shape (n_outputs_,)
        Added to the outputs at predict time: the weighted mean training
        error for ``loss="eem"``, zeros for ``loss="squared_error"``.
    {lstm_attributes}
    {training_attributes}

    Notes
    -----
    Early stopping scores the held-out rows by R^2 (``r2_score``), with the
    offset of the current weights, as ``score`` would. Sample weights equal
    repeated rows exactly when the data fit in one batch
    (``tests/test_lstm_regressor.py``). A diverging fit (the loss becomes
    non-finite) warns, keeps the last weights with a finite loss and
    predicts finite values.

    References
    ----------
    .. [1] L. A. Alexandre and J. P. Marques de Sa, "Error entropy
       minimization for LSTM training", ICANN 2006, LNCS 4131.
    .. [2] J. M. Santos, L. A. Alexandre and J. Marques de Sa, "The error
       entropy minimization algorithm for neural network classification",
       Int. Conf. on Recent Advances in Soft Computing, 2004.
    .. [3] D. Erdogmus and J. C. Principe, "An error-entropy minimization
       algorithm for supervised training of nonlinear adaptive systems",
       IEEE Trans. Signal Processing 50(7), 2002.

    Examples
    --------
    One-step-ahead forecast of a noisy sine from its last 8 values:

    >>> import numpy as np
    >>> import pandas as pd
    >>> from skentropy import EEMLSTMRegressor
    >>> from skentropy.sequences import LagFeatures
    >>> t = np.arange(300)
    >>> series = np.sin(0.3 * t) + 0.05 * np.random.RandomState(0).normal(size=300)
    >>> lagged = LagFeatures(lags=8).fit_transform(pd.DataFrame({"x": series}))
    >>> X, y = lagged[:-1], series[8:]     # window ending at step i -> step i + 1
    >>> reg = EEMLSTMRegressor(hidden_size=8, max_iter=60, random_state=0)
    >>> reg.fit(X, y).score(X, y) > 0.9
    True
    """

    _outputs_of_loss: ClassVar[dict] = {"eem": "identity", "squared_error": "identity"}
    _losses: ClassVar[dict] = {"squared_error": "squared_error"}

    _parameter_constraints: ClassVar[dict] = {
        **_LSTMEstimator._parameter_constraints,
        "loss": [StrOptions(set(_outputs_of_loss))],
    }

    def __init__(
        self,
        hidden_size=32,
        *,
        n_channels=1,
        forget_gate=True,
        loss="eem",
        kernel_width=1.0,
        eem_objective="log",
        alpha=0.0,
        solver="adam",
        batch_size=32,
        learning_rate="constant",
        learning_rate_init=0.01,
        power_t=0.5,
        momentum=0.9,
        nesterovs_momentum=True,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        max_iter=200,
        shuffle=True,
        tol=1e-4,
        n_iter_no_change=10,
        early_stopping=False,
        validation_fraction=0.1,
        random_state=None,
        verbose=False,
        warm_start=False,
    ):
        store_init_params(self, locals())

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """One epoch over ``X`` and ``y``, keeping the optimiser's state.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_channels) or \
                (n_samples, n_timesteps * n_channels)
            Sequences.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sequence weights.

        Returns
        -------
        self : EEMLSTMRegressor
            The updated estimator.
        """
        return self._fit(X, y, sample_weight, incremental=True)

    def predict(self, X):
        """Predicted targets: the outputs plus ``offset_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_channels) or \
                (n_samples, n_timesteps * n_channels)
            Sequences.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predictions (1-D when fitted on a 1-D target).
        """
        check_is_fitted(self)
        sequences = self._sequences(X, reset=False)
        y = self._predict(self._network(), self.params_, sequences, self.offset_)
        return y.ravel() if self.n_outputs_ == 1 else y

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    # -- what the base needs ------------------------------------------------
    def _n_outputs(self):
        return self.n_outputs_

    def _validate_fit_data(self, X, y, sample_weight, *, incremental, reset):
        self._check_y_given(y)
        sequences = self._sequences(X, reset=reset)
        y = _check_y(y, multi_output=True, y_numeric=True, estimator=self)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        check_consistent_length(sequences, y)
        Y = y.reshape(len(y), -1).astype(sequences.dtype, copy=False)
        if reset:
            self.n_outputs_ = Y.shape[1]
        return sequences, Y, self._check_sample_weight(sample_weight, sequences)

    def _validation_score(self, network, params, X_val, Y_val, w_val, train):
        # Scored as predict scores: with the offset of the current weights.
        offset = self._offset(network, params, *train)
        pred = self._predict(network, params, X_val, offset)
        return r2_score(Y_val, pred, sample_weight=w_val)

    def _predict(self, network, params, sequences, offset):
        """Outputs plus ``offset``, finite."""
        out = self._outputs(network, params, sequences)
        with np.errstate(over="ignore", invalid="ignore"):
            out += offset
        return np.nan_to_num(out, copy=False)
