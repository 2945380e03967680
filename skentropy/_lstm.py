"""LSTM sequence estimators trained by error entropy.

:class:`EEMLSTMClassifier` and :class:`EEMLSTMRegressor` share
:class:`_LSTMEstimator`: the input layouts, the network, the flat ``params_``,
the kernel-width resolution, the loss choice, the output offset and the
finite-output forward pass. Each class adds its target coding and its
read-out of the outputs.
"""

import warnings
from numbers import Integral, Real
from typing import ClassVar

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, r2_score
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import (
    _check_partial_fit_first_call,
    check_classification_targets,
)
from sklearn.utils.validation import (
    _check_y,
    check_array,
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
    validate_data,
)

from ._base import (
    BaseStochasticEstimator,
    NetworkClassifierMixin,
    check_label_types,
    check_target_present,
    store_init_params,
)
from ._docstrings import fill_doc
from ._engine import (
    LOSSES,
    WIDTH_RULES,
    SequenceNetwork,
    output_values,
    resolve_kernel_width,
)
from ._sequence_input import (
    LAYOUTS,
    check_padding,
    check_sequence_array,
    is_sequence_list,
    pad_list,
    table_to_sequences,
    warn_if_transposed,
)

__all__ = ["EEMLSTMClassifier", "EEMLSTMRegressor"]

READOUTS = ("last", "every_step")


class _StepSumNetwork(SequenceNetwork):
    """``SequenceNetwork(readout="every")`` whose objective sums over steps.

    The engine's per-step network averages a row loss over every (weighted)
    step of a batch. The estimators' every-step objective treats a sequence
    as one sample instead: its loss is the sum of its steps' losses (zero
    weight on padded steps), averaged over the batch's sequences with their
    weights, ``sum_it W_it L_it / sum_i w_i``, where a sequence's weight
    ``w_i`` is its largest step weight (its ``sample_weight``, for a step
    mask times a sequence weight). This is the engine's value and gradient
    times ``sum_it W_it / sum_i w_i``; with one sequence per batch it is
    the summed per-string loss of the Reber experiment
    (:mod:`skentropy._engine.lockstep`). The L2 term becomes ``alpha / 2
    |W|^2 / sum_i w_i``. ``eem_samples`` is not a sum over rows (its Parzen
    sample is the batch's step errors): its objective is left as the
    engine's.
    """

    def __init__(self, n_inputs, hidden, n_outputs, output, forget_gate=True):
        super().__init__(
            n_inputs, hidden, n_outputs, output, forget_gate, readout="every"
        )

    @staticmethod
    def _factor(x, sample_weight, loss):
        """Steps' weight over sequences' weight: engine objective -> ours."""
        if loss is LOSSES["eem_samples"]:
            return 1.0
        if sample_weight is None or sample_weight.ndim == 1:
            return float(x.shape[1])
        sequences = float(sample_weight.max(axis=1).sum())
        return float(sample_weight.sum()) / sequences if sequences > 0 else 1.0

    def loss_value(self, params, x, y, loss, *, sample_weight=None, **kwargs):
        value = super().loss_value(
            params, x, y, loss, sample_weight=sample_weight, **kwargs
        )
        return value * self._factor(x, sample_weight, loss)

    def loss_grad(self, params, x, y, grad, loss, *, sample_weight=None, **kwargs):
        value = super().loss_grad(
            params, x, y, grad, loss, sample_weight=sample_weight, **kwargs
        )
        factor = self._factor(x, sample_weight, loss)
        if factor != 1.0:
            grad *= factor
        return value * factor


def _step_weights(sample_weight, n_steps):
    """Per-row weights (sequence-major rows of steps) or None."""
    if sample_weight is None:
        return None
    if sample_weight.ndim == 2:
        return sample_weight.ravel()
    return np.repeat(sample_weight, n_steps)


def late_rise(curve):
    """``(best, epoch, last)`` if the last loss of ``curve`` undid more than
    half of the drop from the first loss to the best one, else None."""
    values = np.asarray(curve, dtype=float)
    if values.size < 3 or not np.isfinite(values).all():
        return None
    epoch = int(values.argmin())
    best, first, last = values[epoch], values[0], values[-1]
    if first > best and last - best > 0.5 * (first - best):
        return float(best), epoch + 1, float(last)
    return None


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
        "layout": [StrOptions(set(LAYOUTS))],
        "kernel_width": [
            Interval(Real, 0, None, closed="neither"),
            StrOptions(set(WIDTH_RULES)),
        ],
        "eem_objective": [StrOptions({"log", "ip"})],
        "forget_gate": ["boolean"],
        "solver": [StrOptions({"sgd", "adam"})],
        "readout": [StrOptions(set(READOUTS))],
        "max_grad_norm": [Interval(Real, 0, None, closed="neither"), None],
    }

    def _max_grad_norm(self):
        return self.max_grad_norm

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
                (n_samples, n_timesteps * n_channels), or list of arrays
            Sequences (2-D: time-major, oldest step first; a list: sequences
            of different lengths; axes as ``layout`` says).
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Class labels (classifier) or target values (regressor); with
            ``readout="every_step"``, (n_samples, n_timesteps * n_outputs):
            the per-step targets flattened time-major.
        sample_weight : array-like of shape (n_samples,) or \
                (n_samples, n_timesteps), default=None
            Per-sequence weights; with ``readout="every_step"`` also per-step
            weights (zero on padded steps).

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
        """Validated (n, T, channels) C-contiguous sequences; NaN steps pad.

        3-D arrays and lists of sequences may have any length at predict
        time; 2-D tables keep scikit-learn's contract (the fitted number of
        columns, no NaN).
        """
        if isinstance(X, list | tuple) and not len(X):
            raise ValueError("X is an empty list: it holds no sequences.")
        listed = is_sequence_list(X)
        if listed:  # padded, in our layout
            X, _ = pad_list(X, self.layout)
            from_table = False
        else:
            shape = getattr(X, "shape", None)
            if shape is None:  # nested lists and other array-likes
                try:
                    X = np.asarray(X)
                except ValueError as error:  # ragged nested lists
                    raise ValueError(
                        "X must be a 2-D or 3-D array, or a list of 2-D arrays "
                        "(sequences of different lengths); got ragged nested "
                        f"lists: {error}"
                    ) from error
                shape = X.shape
            if len(shape) > 3:
                raise ValueError(
                    "X must be 2-D (n_samples, n_timesteps * n_channels), 3-D "
                    "(n_samples, n_timesteps, n_channels), or a list of "
                    f"sequences; got {len(shape)}-D input."
                )
            from_table = len(shape) != 3
        if from_table:  # 1-D is rejected by validate_data with sklearn's message
            X = validate_data(self, X, reset=reset, dtype=(np.float64, np.float32))
            channels = self.n_channels if reset else self.n_channels_
            X = table_to_sequences(X, channels, self.layout)
        else:
            X = check_sequence_array(
                X, "ntc" if listed else self.layout, estimator=self
            )
            if self.layout == "nct" and not listed:
                X = X.transpose(0, 2, 1)
            check_padding(X)
            channels = X.shape[2]
            if not reset and channels != self.n_channels_:
                raise ValueError(
                    f"X has {channels} channels per time step, but "
                    f"{type(self).__name__} was fitted with {self.n_channels_} "
                    f"(layout={self.layout!r})."
                )
            if reset:  # n_features_in_ (the padded T * C); no feature names
                validate_data(self, X.reshape(len(X), -1), skip_check_array=True)
        if reset:
            warn_if_transposed(X.shape[1], channels, self.layout)
            self.n_channels_ = channels
            self.n_timesteps_ = X.shape[1]
        return np.ascontiguousarray(X)

    # -- what the base needs ------------------------------------------------
    def _check_y_given(self, y):
        """Reject a missing ``y``, or one with missing values (None, NaN)."""
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, "
                "but the target y is None."
            )
        check_target_present(y)

    def _network(self, n_outputs=None):
        """The network of these parameters (by default, of the fitted outputs)."""
        args = (
            self.n_channels_,
            self.hidden_size,
            self._n_outputs() if n_outputs is None else n_outputs,
            self._output_activation(),
        )
        if self.readout == "every_step":
            return _StepSumNetwork(*args, forget_gate=self.forget_gate)
        return SequenceNetwork(*args, forget_gate=self.forget_gate)

    def _output_activation(self):
        return self._outputs_of_loss[self.loss]

    def _build_network(self, X, Y):
        if self.readout == "every_step":
            return self._network(Y.shape[1] // X.shape[1])
        return self._network(Y.shape[1])

    def _steps_read(self, X):
        """Steps the head reads per sequence: 1, or every step of ``X``."""
        return X.shape[1] if self.readout == "every_step" else 1

    def _per_step_columns(self, y, n_steps):
        """Outputs per step of a 2-D every-step target, or a clear error."""
        if y.ndim != 2 or y.shape[1] % n_steps:
            columns = "a 1-D target" if y.ndim != 2 else f"{y.shape[1]} columns"
            raise ValueError(
                f"With readout='every_step', y must be 2-D with n_timesteps * "
                f"n_outputs columns (the per-step targets flattened time-major, "
                f"one row per sequence); X has n_timesteps={n_steps}, but y has "
                f"{columns}, not a multiple of {n_steps}."
            )
        return y.shape[1] // n_steps

    def _check_sample_weight(self, sample_weight, X):
        """Sequence weights (n,), or step weights (n, T) for every-step read-out."""
        if (
            sample_weight is None
            or self.readout != "every_step"
            or np.ndim(sample_weight) != 2
        ):
            return super()._check_sample_weight(sample_weight, X)
        weight = check_array(sample_weight, dtype=X.dtype, input_name="sample_weight")
        if weight.shape != X.shape[:2]:
            raise ValueError(
                "sample_weight must have shape (n_samples,) or (n_samples, "
                f"n_timesteps) = {X.shape[:2]}, got {weight.shape}."
            )
        if (weight < 0).any():
            raise ValueError("sample_weight must be non-negative.")
        if not weight.any():
            raise ValueError("sample_weight must contain at least one positive weight.")
        return weight

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
        steps = self._steps_read(X)
        k = network.n_outputs
        with np.errstate(over="ignore", invalid="ignore"):
            # logits: a forward pass in chunks of sequences (bounded memory);
            # the errors overwrite the outputs (every step's: output-sized).
            out = output_values(network.logits(params, X), network.output)
            errors = np.subtract(Y, out.reshape(Y.shape), out=out.reshape(Y.shape))
        weights = _step_weights(sample_weight, steps)
        if self._parzen_sample() == "outputs":
            weights = None if weights is None else np.repeat(weights, k)
            errors, set_size = errors.ravel(), k
        else:
            # A batch's steps, weighted: integer weights act as repeats.
            errors = errors.reshape(-1, k)
            n = X.shape[0]
            total = n * steps if weights is None else float(weights.sum())
            set_size = self._batch_weight(n, total)
        self.kernel_width_ = resolve_kernel_width(
            self.kernel_width, errors, weights, set_size=set_size
        )
        self._width_rule = self.kernel_width

    def _fitted_params(self, network, dtype):
        return self.params_.astype(dtype, copy=True)

    def _set_fitted_params(self, network, params):
        self.params_ = params

    def _set_prediction_state(self, network, params, X, Y, sample_weight):
        self.offset_ = self._offset(network, params, X, Y, sample_weight)

    def _finish_training(self, network, params, X, Y, sample_weight):
        super()._finish_training(network, params, X, Y, sample_weight)
        self._warn_if_rose_late()

    def _warn_if_rose_late(self):
        """ConvergenceWarning when the last epoch undid much of the training.

        A late blow-up (the loss back above its best by more than half of
        what training had gained) keeps weights worse than earlier ones;
        scikit-learn's stopping rule does not see it.
        """
        rise = late_rise(self.loss_curve_)
        if rise is None:
            return
        best, epoch, last = rise
        warnings.warn(
            f"{type(self).__name__}: the training loss ended at {last:.4g}, "
            f"above its best of {best:.4g} (epoch {epoch}): training became "
            "unstable and the last weights, not the best ones, are kept. Try a "
            "smaller learning_rate_init or max_grad_norm, or early_stopping=True "
            "(which restores the best validation weights).",
            ConvergenceWarning,
            stacklevel=5,
        )

    # -- outputs --------------------------------------------------------------
    def _outputs(self, network, params, sequences):
        """Activated outputs (n, steps read * n_outputs), finite even if diverged."""
        with np.errstate(over="ignore", invalid="ignore"):
            z = network.logits(params, sequences)
        z = z.reshape(sequences.shape[0], -1)
        return output_values(np.nan_to_num(z, copy=False), network.output)

    def _add_offset(self, out, offset):
        """``out`` (n, steps * k) plus the per-output ``offset`` (k,) at every step."""
        with np.errstate(over="ignore", invalid="ignore"):
            out.reshape(out.shape[0], -1, offset.shape[0])[...] += offset
        return out

    def _offset(self, network, params, sequences, Y, sample_weight):
        """Mean training error per output where the loss cannot see offsets."""
        k = network.n_outputs
        offset = np.zeros(k, dtype=params.dtype)
        if self.loss == "eem" and self._parzen_sample() == "samples":
            steps = self._steps_read(sequences)
            out = self._outputs(network, params, sequences)
            weights = _step_weights(sample_weight, steps)
            with np.errstate(over="ignore", invalid="ignore"):
                errors = (Y - out).reshape(-1, k)
                offset[...] = np.average(errors, axis=0, weights=weights)
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

    Input: a 3-D array ``(n_samples, n_timesteps, n_channels)`` (or
    channels-first with ``layout="nct"``), a 2-D array of sequences
    flattened time-major, oldest step first, with ``n_channels`` columns
    per step (with the default every column is one time step), or a list
    of 2-D arrays of different lengths. Variable-length sequences: a step
    that is NaN in every channel, at the start or the end of a sequence, is
    padding; the LSTM carries its state over it unchanged, so a padded
    sequence gets exactly the prediction of the unpadded one, and lists are
    padded that way (:func:`skentropy.sequences.pad_sequences` does it by
    hand). 3-D arrays and lists may have any length at predict time; 2-D
    tables keep the fitted number of columns. See :mod:`skentropy.sequences`
    for helpers.

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
    readout : {"last", "every_step"}, default="last"
        Steps the output layer reads. ``"last"``: the last hidden state,
        one label per sequence. ``"every_step"``: every hidden state, a set
        of labels per step (multilabel per step, such as every legal next
        symbol of a Reber string): ``y`` is a 0/1 indicator array of shape
        (n_samples, n_timesteps * n_classes), the per-step indicators
        flattened time-major; ``classes_`` is ``arange(n_classes)``,
        ``predict_proba`` returns each step's sigmoid outputs and
        ``predict`` thresholds them at 0.5, in the same layout. A
        sequence's loss is the sum of its steps' losses, averaged over the
        batch's sequences; a ``sample_weight`` of shape (n_samples,
        n_timesteps) weights the steps (zero on padded steps, which then
        add nothing to the loss or its gradient; pad at the *end*: the LSTM
        is causal, so trailing steps cannot change earlier outputs). It
        supports ``loss="eem"`` with ``entropy_over="outputs"`` (the
        paper's Reber experiment), ``loss="mse"`` and
        ``loss="cross_entropy"``, which is then the binary cross entropy of
        each label's sigmoid output (the multilabel loss of
        ``MLPClassifier``), summed over a step's labels.
    {lstm_parameters}
    {training_parameters}

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    offset_ : ndarray of shape (n_classes,)
        Added to the outputs before normalising: the mean training error for
        ``entropy_over="samples"``, zeros otherwise (and for
        ``readout="every_step"``).
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

    Probabilities: ``predict_proba`` of an eem or mse fit normalises sigmoid
    outputs that were trained to match one-hot targets, not to be
    probabilities; they can be far from calibrated (a fit at chance can
    still give every sequence a top score of 0.75). For probabilities, wrap
    the estimator in scikit-learn's
    :class:`~sklearn.calibration.CalibratedClassifierCV`, which works on
    3-D arrays and on lists of sequences::

        from sklearn.calibration import CalibratedClassifierCV
        clf = CalibratedClassifierCV(EEMLSTMClassifier(), method="sigmoid", cv=3)
        clf.fit(X, y).predict_proba(X_new)

    On a task with a known posterior this lowered the held-out log loss of
    an eem fit from 0.83 to 0.55 (Bayes: about 0.5;
    ``tests/test_lstm.py::test_calibrated_classifier_cv_recipe_gives_probabilities``).

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
    >>> clf = EEMLSTMClassifier(hidden_size=8, max_iter=100, random_state=0).fit(X, y)
    >>> clf.score(X, y) > 0.9
    True
    """

    # Chosen on UCR/UEA data (benchmarks/lstm_training_defaults.py).
    _doc_defaults: ClassVar[dict] = {
        "n_iter_no_change": "50",
        "max_grad_norm": "1.0",
        "learning_rate_init": "0.003",
    }

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
        layout="ntc",
        loss="eem",
        kernel_width=1.0,
        entropy_over="outputs",
        eem_objective="log",
        forget_gate=True,
        readout="last",
        solver="adam",
        learning_rate_init=0.003,
        max_grad_norm=1.0,
        momentum=0.9,
        batch_size=32,
        max_iter=200,
        tol=1e-4,
        n_iter_no_change=50,
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
                (n_samples, n_timesteps * n_channels), or list of arrays
            Sequences (axes as ``layout`` says; a list: sequences of
            different lengths).
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
        if classes is not None:
            check_target_present(classes, input_name="classes")
            classes = check_label_types(classes, input_name="classes")
        if self.readout != "every_step" and _check_partial_fit_first_call(
            self, classes
        ):
            self._set_classes(np.asarray(classes), from_classes=True)
        return self._fit(X, y, sample_weight, incremental=True)

    def predict_proba(self, X):
        """Class scores that sum to one (probabilities only for cross entropy).

        With ``loss="cross_entropy"`` these are the softmax outputs of a
        network trained by log loss. With ``"eem"`` and ``"mse"`` they are
        the sigmoid outputs (plus ``offset_``) clipped at 0 and normalised:
        scores that rank the classes, not calibrated probabilities. See the
        Notes of the class for a calibrated recipe.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_channels) or \
                (n_samples, n_timesteps * n_channels), or list of arrays
            Sequences (axes as ``layout`` says; a list: sequences of
            different lengths).

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes) or \
                (n_samples, n_timesteps * n_classes)
            Probability of each class, in the order of ``classes_``; with
            ``readout="every_step"``, each step's sigmoid outputs (not
            normalised), time-major.
        """
        check_is_fitted(self)
        sequences = self._sequences(X, reset=False)
        if self.readout == "every_step":
            return self._outputs(self._network(), self.params_, sequences)
        return self._proba(self._network(), self.params_, sequences, self.offset_)

    def predict(self, X):
        """Predicted class labels (argmax of the outputs).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_channels) or \
                (n_samples, n_timesteps * n_channels), or list of arrays
            Sequences (axes as ``layout`` says; a list: sequences of
            different lengths).

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_timesteps * n_classes)
            Predicted labels; with ``readout="every_step"``, per-step 0/1
            indicators (sigmoid output above 0.5), time-major.
        """
        check_is_fitted(self)
        if self.readout == "every_step":
            return (self.predict_proba(X) > 0.5).astype(int)
        return self.classes_.take(self.predict_proba(X).argmax(axis=1))

    def score(self, X, y, sample_weight=None):
        """Mean accuracy; with ``readout="every_step"``, of whole sequences.

        With ``readout="last"`` this is ``ClassifierMixin.score``. With
        ``readout="every_step"`` a sequence counts as right when every
        output of every step of nonzero weight is right (``predict`` equals
        ``y`` there): the Reber experiment's correctness criterion.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_channels) or \
                (n_samples, n_timesteps * n_channels), or list of arrays
            Sequences (axes as ``layout`` says; a list: sequences of
            different lengths).
        y : array-like of shape (n_samples,) or \
                (n_samples, n_timesteps * n_classes)
            True labels (per-step indicators for ``readout="every_step"``).
        sample_weight : array-like of shape (n_samples,) or \
                (n_samples, n_timesteps), default=None
            Sequence weights, or step weights (zero on padded steps).

        Returns
        -------
        score : float
            Weighted fraction of sequences predicted right.
        """
        if self.readout != "every_step":
            return super().score(X, y, sample_weight=sample_weight)
        check_is_fitted(self)
        sequences = self._sequences(X, reset=False)
        Y = self._indicator_targets(y, sequences, reset=False)
        weight = self._check_sample_weight(sample_weight, sequences)
        pred = self._outputs(self._network(), self.params_, sequences) > 0.5
        return self._sequence_accuracy(Y, pred, weight, sequences.shape[1])

    # -- input ------------------------------------------------------------
    # -- what the base needs ------------------------------------------------
    def _n_outputs(self):
        return len(self.classes_)

    def _parzen_sample(self):
        return self.entropy_over

    def _output_activation(self):
        # Per-step multilabel targets: one sigmoid per label, for every loss.
        return (
            "logistic" if self.readout == "every_step" else super()._output_activation()
        )

    def _indicator_targets(self, y, sequences, *, reset):
        """Every-step targets: a checked 0/1 (n, T * n_classes) float array."""
        self._check_y_given(y)
        y = check_array(y, ensure_2d=False, dtype=sequences.dtype, input_name="y")
        n_classes = self._per_step_columns(y, sequences.shape[1])
        check_consistent_length(sequences, y)
        if not np.isin(y, (0, 1)).all():
            raise ValueError(
                "With readout='every_step', y must be a per-step indicator "
                "array of 0s and 1s (every legal label of a step is 1)."
            )
        if reset:
            self.classes_ = np.arange(n_classes)
            self._y_type = "multilabel-indicator"
        elif n_classes != len(self.classes_):
            raise ValueError(
                f"y has {n_classes} labels per step, but {type(self).__name__} "
                f"was fitted with {len(self.classes_)}."
            )
        return y

    @staticmethod
    def _sequence_accuracy(Y, pred, weight, n_steps):
        """Weighted fraction of sequences right at every weighted step."""
        step_wrong = (pred != (Y > 0.5)).reshape(len(Y), n_steps, -1).any(axis=2)
        if weight is not None and weight.ndim == 2:
            step_wrong &= weight > 0
            weight = weight.max(axis=1)
        return float(np.average(~step_wrong.any(axis=1), weights=weight))

    def _validate_fit_data(self, X, y, sample_weight, *, incremental, reset):
        if self.readout == "every_step":
            if self.loss == "eem" and self.entropy_over == "samples":
                raise ValueError(
                    "readout='every_step' supports loss='eem' with "
                    "entropy_over='outputs' (and loss='mse' or 'cross_entropy'); "
                    f"got entropy_over={self.entropy_over!r}."
                )
            sequences = self._sequences(X, reset=reset)
            Y = self._indicator_targets(y, sequences, reset=reset)
            return sequences, Y, self._check_sample_weight(sample_weight, sequences)
        self._check_y_given(y)
        y = check_label_types(y)
        sequences = self._sequences(X, reset=reset)
        y = _check_y(y, estimator=self)  # 1-D and finite, as validate_data checks
        check_consistent_length(sequences, y)
        check_classification_targets(y)
        self._update_classes(y, incremental=incremental)
        # One indicator column per class, binary problems included: the
        # entropy over the output units needs every class's output.
        index = np.searchsorted(self.classes_, y)
        Y = np.eye(len(self.classes_), dtype=bool)[index]
        return sequences, Y, self._check_sample_weight(sample_weight, sequences)

    def _stratify(self, Y):
        return None if self.readout == "every_step" else Y.argmax(axis=1)

    def _validation_score(self, network, params, X_val, Y_val, w_val, train):
        if self.readout == "every_step":  # as score scores
            pred = self._outputs(network, params, X_val) > 0.5
            return self._sequence_accuracy(Y_val, pred, w_val, X_val.shape[1])
        # Scored as predict scores: with the offset of the current weights.
        offset = self._offset(network, params, *train)
        proba = self._proba(network, params, X_val, offset)
        return accuracy_score(
            Y_val.argmax(axis=1), proba.argmax(axis=1), sample_weight=w_val
        )

    # -- outputs --------------------------------------------------------------
    def _finish_training(self, network, params, X, Y, sample_weight):
        super()._finish_training(network, params, X, Y, sample_weight)
        if self.readout != "every_step":
            self._warn_if_at_chance(network, params, X, Y, sample_weight)

    def _warn_if_at_chance(self, network, params, X, Y, sample_weight):
        """ConvergenceWarning when the training accuracy is about the largest
        class's share: within a tenth of the way from it to 1."""
        labels = Y.argmax(axis=1)
        share = np.bincount(labels, weights=sample_weight, minlength=Y.shape[1])
        chance = float(share.max() / share.sum())
        proba = self._proba(network, params, X, self.offset_)
        accuracy = accuracy_score(
            labels, proba.argmax(axis=1), sample_weight=sample_weight
        )
        if accuracy <= chance + 0.1 * (1.0 - chance):
            hint = "kernel_width, " if self.loss == "eem" else ""
            warnings.warn(
                f"{type(self).__name__} stopped after {self.n_iter_} epochs at a "
                f"training accuracy of {accuracy:.3f}, about chance ({chance:.3f}, "
                "the largest class's share): training may have stalled before "
                "learning. Try a larger max_iter or n_iter_no_change, another "
                f"learning_rate_init, {hint}or loss='cross_entropy'.",
                ConvergenceWarning,
                stacklevel=4,
            )

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

    Input as for :class:`EEMLSTMClassifier` (3-D, 2-D flattened
    time-major with ``n_channels`` columns per step, which is the layout
    :class:`~skentropy.sequences.LagFeatures` builds for forecasting, or a
    list of sequences of different lengths; ``layout="nct"`` for
    channels-first data).
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
    readout : {"last", "every_step"}, default="last"
        Steps the output layer reads. ``"last"``: the last hidden state,
        one target row per sequence. ``"every_step"``: every hidden state:
        ``y`` has shape (n_samples, n_timesteps * n_outputs), the per-step
        targets flattened time-major (step 0's outputs first), and
        ``predict`` returns the same layout. ``loss="squared_error"`` sums
        a sequence's step losses and averages over the batch's sequences;
        ``loss="eem"``'s Parzen sample is the joint error vectors of every
        step of the batch's sequences, and ``offset_`` their weighted mean.
        A ``sample_weight`` of shape (n_samples, n_timesteps) weights the
        steps (zero on padded steps, which then add nothing; pad at the
        *end*: the LSTM is causal).
    {lstm_parameters}
    {training_parameters}

    Attributes
    ----------
    n_outputs_ : int
        Number of targets (per step, for ``readout="every_step"``).
    offset_ : ndarray of shape (n_outputs_,)
        Added to the outputs at predict time: the weighted mean training
        error for ``loss="eem"``, zeros for ``loss="squared_error"``.
    {lstm_attributes}
    {training_attributes}

    Notes
    -----
    Early stopping scores the held-out rows by R^2 (``r2_score``), with the
    offset of the current weights, as ``score`` would (with
    ``readout="every_step"``: R^2 over the held-out sequences' weighted
    steps, a row per step). Sample weights equal
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
        layout="ntc",
        forget_gate=True,
        loss="eem",
        kernel_width=1.0,
        eem_objective="log",
        readout="last",
        alpha=0.0,
        solver="adam",
        batch_size=32,
        learning_rate="constant",
        learning_rate_init=0.01,
        max_grad_norm=None,
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
                (n_samples, n_timesteps * n_channels), or list of arrays
            Sequences (axes as ``layout`` says; a list: sequences of
            different lengths).
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
                (n_samples, n_timesteps * n_channels), or list of arrays
            Sequences (axes as ``layout`` says; a list: sequences of
            different lengths).

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs) or \
                (n_samples, n_timesteps * n_outputs)
            Predictions (1-D when fitted on a 1-D target); with
            ``readout="every_step"``, per step, time-major.
        """
        check_is_fitted(self)
        sequences = self._sequences(X, reset=False)
        y = self._predict(self._network(), self.params_, sequences, self.offset_)
        return y.ravel() if y.shape[1] == 1 else y

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
        n_outputs = Y.shape[1]
        if self.readout == "every_step":
            n_outputs = self._per_step_columns(
                y if y.ndim == 2 or sequences.shape[1] > 1 else Y,
                sequences.shape[1],
            )
            if not reset and n_outputs != self.n_outputs_:
                raise ValueError(
                    f"y has {n_outputs} outputs per step, but "
                    f"{type(self).__name__} was fitted with {self.n_outputs_}."
                )
        if reset:
            self.n_outputs_ = n_outputs
        return sequences, Y, self._check_sample_weight(sample_weight, sequences)

    def _validation_score(self, network, params, X_val, Y_val, w_val, train):
        # Scored as predict scores: with the offset of the current weights.
        offset = self._offset(network, params, *train)
        pred = self._predict(network, params, X_val, offset)
        if self.readout == "every_step":  # R^2 over the (weighted) steps
            k = network.n_outputs
            steps = _step_weights(w_val, X_val.shape[1])
            return r2_score(
                Y_val.reshape(-1, k), pred.reshape(-1, k), sample_weight=steps
            )
        return r2_score(Y_val, pred, sample_weight=w_val)

    def _predict(self, network, params, sequences, offset):
        """Outputs plus ``offset``, finite."""
        out = self._add_offset(self._outputs(network, params, sequences), offset)
        return np.nan_to_num(out, copy=False)
