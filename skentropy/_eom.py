"""EOMRegressor: sigmoid-network backprop with the Eliminating Overshoot Method."""

import warnings
from numbers import Integral, Real
from typing import ClassVar

import numpy as np
from sklearn.base import RegressorMixin, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import (
    check_is_fitted,
    column_or_1d,
    validate_data,
)

from ._base import (
    BaseNetworkEstimator,
    check_hidden_layer_sizes,
    check_sample_weight,
    check_target_present,
    store_init_params,
)
from ._callbacks import fit_callbacks
from ._engine import FeedForwardNetwork, fit_overshoot, forward_logits, output_values

__all__ = ["EOMRegressor"]

# First-layer pre-activations beyond this count as saturated.
_SATURATED = 4.0


class EOMRegressor(RegressorMixin, BaseNetworkEstimator):
    """Sigmoid feed-forward regressor trained by backprop with overshoot elimination.

    Full-batch gradient descent on the squared error ``1/2 sum (O - D)^2`` of
    a network with logistic outputs. With ``overshoot="eliminate"`` (the
    Eliminating Overshoot Method, EOM) every output must stay on the side of
    its target where it started: after each plain backprop step, the
    parameters that overshot (output layer: they feed an output that crossed
    its target; hidden layers: their gradient changed sign) are re-estimated
    between their last two values, by the intersection of the error's
    tangent lines (local linearisation, Eq. 12 of the paper) when it falls
    inside that bracket, else by the gradient-weighted mean (Eq. 13, with
    the paper's typo fixed); layers are corrected in turn from the input
    side, up to ``max_corrections`` rounds each. ``overshoot="ignore"`` is
    traditional backprop (TBP), the paper's baseline; both start from the
    same weights for the same ``random_state``.

    Targets are min-max scaled into ``target_range`` (inside the logistic
    output's (0, 1)) from the training targets and mapped back at predict
    time. Predictions therefore stay within the training targets' range
    widened on each side by ``low / (high - low)`` (respectively
    ``(1 - high) / (high - low)``) of that range: 5.6 % with the default
    (0.05, 0.95), where the logistic output tends to 0 or 1.

    The logistic (and tanh) hidden units need inputs on a scale of about
    one: scale ``X`` first (``MinMaxScaler`` or ``StandardScaler`` in a
    :class:`~sklearn.pipeline.Pipeline`). ``fit`` warns when most hidden
    units start saturated (on scikit-learn's raw diabetes data, for
    example, the training R^2 is a fraction of the scaled data's).

    The overshoot definition is judged per output on its error averaged over
    the training patterns (for one pattern, exactly the paper's definition);
    see :mod:`skentropy._engine.overshoot` for how the paper's open points
    are resolved.

    The paper's experiment is a 22-30-58 network on one pattern, 50
    iterations at most, stopping at a total error of 1e-6:
    ``EOMRegressor(hidden_layer_sizes=(30,), max_iter=50, tol=1e-6)``. The
    defaults instead run longer so that the estimator is a useful regressor
    out of the box.

    Which mode to use:

    - ``"eliminate"`` on one or a few patterns, the paper's setting: every
      output stays on its side of its target, and the target error takes
      fewer iterations than plain backprop where that overshoots. With the
      paper's corrections each iteration costs about ten forward/backward
      passes, so it is slower in wall time; with
      ``correction="output_root"`` it is faster than plain backprop where
      that overshoots almost every output. On many noisy patterns it stalls
      (hence the ``poor_score`` tag).
    - ``"per_pattern"`` on many patterns: where plain backprop oscillates
      (large learning rates) it reaches plain backprop's final training
      error in a quarter to a half of the passes, with a fraction of the
      step-to-step overshoot; where plain backprop does not overshoot
      there is nothing to correct, and it behaves like plain backprop
      (within a pass or two).
    - ``"ignore"`` (the default): plain backprop.

    The user guide's EOM page gives the measured figures;
    ``benchmarks/eom_paper.py``, ``benchmarks/eom_patterns.py`` and
    ``examples/plot_eom_overshoot.py`` measure all three modes.

    Parameters
    ----------
    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(30,)
        Number of neurons in each hidden layer.
    activation : {"logistic", "tanh", "relu", "identity"}, default="logistic"
        Hidden activation (the paper uses the logistic sigmoid). The output
        is always logistic.
    overshoot : {"eliminate", "per_pattern", "ignore"}, default="ignore"
        ``"eliminate"``: EOM as published, the overshoot definition judged
        on each output's mean error; use it on one or a few patterns (the
        paper's setting), where it keeps every output on its side. It stalls
        on many noisy patterns. ``"per_pattern"``: the multi-pattern mode,
        for many patterns; an output overshoots when more than a twentieth
        of its patterns jump past their targets' mirror points in one step, and
        the overshooting parameters are corrected once per iteration (see
        :mod:`skentropy._engine.overshoot`). It damps the oscillation of
        plain backprop at large learning rates and otherwise behaves like
        it. ``"ignore"``: traditional backprop, the default.
    correction : {"paper", "output_root"}, default="paper"
        How ``"eliminate"`` re-estimates the parameters of an overshooting
        output. ``"paper"``: rounds of Eq. 12 / 13 per parameter, each
        followed by a re-evaluation, until no output is across (up to
        ``max_corrections``). ``"output_root"``: first move the output
        layer's row of each overshooting output along its step to the point
        where the output's (mean) error is zero, just short of its target,
        solved without a network pass; this is the point the paper's rounds
        converge to, reached at once. Where the hidden layers' step alone
        moved an output across, that step is shrunk or undone first. No
        output crosses by more than round-off (or, for an output already
        converged by the ``gradient_tol`` guard, its jitter), and where
        plain backprop
        overshoots almost every output the target error often takes one
        iteration: the faster choice on one or a few patterns (the user
        guide's EOM page has the figures). Ignored by the other modes.
    learning_rate_init : float, default=2.0
        Step size of the gradient step on the error averaged over samples
        (for a single pattern, the paper's E).
    max_iter : int, default=2000
        Maximum number of iterations (full-batch steps).
    tol : float, default=1e-6
        Stop when the total error ``1/2 sum (O - D)^2`` (scaled targets) is
        below it.
    gradient_tol : float, default=1e-6
        A parameter whose last two gradients are both smaller than this is
        never corrected (the paper's guard against 0/0).
    max_corrections : int, default=10
        Maximum correction rounds per iteration for ``"eliminate"`` (each
        costs up to one forward and backward pass per layer).
        ``"per_pattern"`` makes one round at most.
    target_range : tuple of two floats or None, default=(0.05, 0.95)
        Interval inside (0, 1) the training targets are min-max scaled into.
        ``None`` uses the targets as given; they must then lie in (0, 1)
        (for example normalised over a whole data set, as the paper did,
        before fitting a single pattern, whose own min-max scaling would be
        degenerate).
    alpha : float, default=0.0
        L2 penalty, divided by the number of samples, as in MLPRegressor.
    random_state : int, RandomState instance or None, default=None
        Seeds the weight initialisation (scikit-learn's Glorot uniform).
    verbose : bool, default=False
        Print one line per iteration: the error, the overshoot fraction, the
        corrections and the time since ``fit`` started. scikit-learn >=
        1.9's callbacks (``set_callbacks``) see one task per iteration.
    warm_start : bool, default=False
        Start the next ``fit`` from the current weights (the overshoot
        reference sides are taken anew at its start).
    record_outputs : bool, default=False
        Keep the outputs of every iteration in ``outputs_curve_`` (to draw
        output trajectories; costs ``n_iter * n_samples * n_outputs`` floats).

    Attributes
    ----------
    coefs_ : list of ndarray
        Weight matrix of each layer.
    intercepts_ : list of ndarray
        Bias vector of each layer.
    n_iter_ : int
        Number of iterations run.
    loss_ : float
        Total error after the last iteration.
    initial_loss_ : float
        Total error before the first iteration.
    loss_curve_ : list of float
        Total error ``1/2 sum (O - D)^2`` (scaled targets) after each
        iteration, plus the L2 term when ``alpha > 0`` (``tol`` is compared
        with the same quantity).
    overshoot_curve_ : list of float
        Fraction of the outputs whose error, averaged over the samples, is
        on the other side of zero than at the start, right after each plain
        backprop step (before any correction). For one pattern: the
        fraction of outputs across their targets, the paper's Figs. 3-4.
    corrections_curve_ : list of int
        Number of parameter corrections made in each iteration (0 for
        ``overshoot="ignore"``).
    correction_rounds_curve_ : list of int
        Extra evaluations the corrections cost in each iteration.
    crossing_curve_ : list of float
        Fraction of the (pattern, output) errors whose sign each plain
        backprop step flipped (weighted by ``sample_weight``): the
        step-to-step overshoot on many patterns.
    passes_curve_ : list of float
        Work of each iteration in full forward/backward pass equivalents: 1
        for plain backprop; a correction re-evaluates only from the layer it
        changed up, and the backward pass runs only as far as needed.
    outputs_curve_ : ndarray of shape (n_iter_ + 1, n_samples, n_outputs) or None
        Predictions (in target units) on the training data before training
        and after each iteration, when ``record_outputs=True``.
    target_min_, target_max_ : ndarray of shape (n_outputs,)
        Training-target range used for the scaling (0 and 1 when
        ``target_range=None``).
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Feature names seen during fit, for DataFrame input.
    n_outputs_ : int
        Number of outputs.
    n_layers_ : int
        Number of layers, input and output included.
    out_activation_ : str
        Always ``"logistic"``.

    See Also
    --------
    sklearn.neural_network.MLPRegressor : Mini-batch MLP with a linear output.

    References
    ----------
    .. [1] The eliminating overshoot method for BP training, Springer LNCS,
       doi:10.1007/978-3-319-92007-8_39.

    Examples
    --------
    >>> from skentropy import EOMRegressor
    >>> from skentropy.datasets import make_radiative_transfer
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import MinMaxScaler
    >>> X, y = make_radiative_transfer(n_samples=200, random_state=0)
    >>> water_line = y[:, 6]  # the 22.5 GHz channel
    >>> eom = EOMRegressor(overshoot="eliminate", random_state=0)
    >>> model = make_pipeline(MinMaxScaler(), eom)
    >>> model.fit(X, water_line).score(X, water_line) > 0.95
    True
    """

    _parameter_constraints: ClassVar[dict] = {
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "activation": [StrOptions({"identity", "logistic", "tanh", "relu"})],
        "overshoot": [StrOptions({"eliminate", "per_pattern", "ignore"})],
        "correction": [StrOptions({"paper", "output_root"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "gradient_tol": [Interval(Real, 0, None, closed="left")],
        "max_corrections": [Interval(Integral, 0, None, closed="left")],
        "target_range": [tuple, list, None],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "record_outputs": ["boolean"],
    }

    def __init__(
        self,
        hidden_layer_sizes=(30,),
        activation="logistic",
        *,
        overshoot="ignore",
        correction="paper",
        learning_rate_init=2.0,
        max_iter=2000,
        tol=1e-6,
        gradient_tol=1e-6,
        max_corrections=10,
        target_range=(0.05, 0.95),
        alpha=0.0,
        random_state=None,
        verbose=False,
        warm_start=False,
        record_outputs=False,
    ):
        store_init_params(self, locals())

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the network to ``X`` and ``y`` by full-batch backprop.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data (scale it, for example with MinMaxScaler).
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the patterns in the error, its gradient and the
            overshoot definition's averages; integer weights act as repeated
            rows, zero weights as dropped ones (also for the target range
            of the scaling). Reaches ``fit`` through metadata routing in
            :class:`~sklearn.pipeline.Pipeline` and
            :class:`~sklearn.model_selection.GridSearchCV`
            (``set_fit_request(sample_weight=True)``).

        Returns
        -------
        self : EOMRegressor
            The fitted estimator.
        """
        hidden = check_hidden_layer_sizes(self.hidden_layer_sizes)
        low, high = self._check_target_range()
        first_pass = self._is_first_pass(incremental=False)
        given = (X, y, sample_weight)  # what callbacks score snapshots on
        check_target_present(y)
        X, y = validate_data(
            self,
            X,
            y,
            multi_output=True,
            y_numeric=True,
            dtype=(np.float64, np.float32),
            reset=first_pass,
        )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        Y = y.reshape(len(y), -1).astype(X.dtype, copy=False)
        sample_weight = check_sample_weight(sample_weight, X)
        kept = Y if sample_weight is None else Y[sample_weight > 0]
        network = FeedForwardNetwork(
            [X.shape[1], *hidden, Y.shape[1]], self.activation, "logistic"
        )
        if first_pass:
            params = network.init_params(check_random_state(self.random_state), X.dtype)
            self._warn_if_saturated(network, params, X)
            if self.target_range is None:
                if not ((kept > 0) & (kept < 1)).all():
                    raise ValueError(
                        "With target_range=None the targets must lie strictly "
                        "between 0 and 1 (the logistic output's range); got values "
                        f"in [{kept.min():g}, {kept.max():g}]."
                    )
                self.target_min_ = np.zeros(Y.shape[1], dtype=Y.dtype)
                self.target_max_ = np.ones(Y.shape[1], dtype=Y.dtype)
            else:
                self.target_min_ = kept.min(axis=0)
                self.target_max_ = kept.max(axis=0)
        else:
            self._check_same_network(network)
            params = network.pack(self.coefs_, self.intercepts_, X.dtype)
        self._network_architecture = network.architecture
        self.n_outputs_ = Y.shape[1]
        self.n_layers_ = len(network.layer_units)
        self.out_activation_ = "logistic"

        def snapshot(params):
            coefs, intercepts = network.unpack(params)
            return {"coefs_": coefs, "intercepts_": intercepts}

        callbacks = fit_callbacks(
            self, *given, max_iter=self.max_iter, snapshot=snapshot
        )
        result = fit_overshoot(
            network,
            params,
            X,
            self._scale(Y, low, high),
            learning_rate=self.learning_rate_init,
            max_iter=self.max_iter,
            tol=self.tol,
            eliminate=self.overshoot != "ignore",
            definition="per_pattern" if self.overshoot == "per_pattern" else "mean",
            correction=self.correction,
            gradient_tol=self.gradient_tol,
            max_corrections=self.max_corrections,
            alpha=self.alpha,
            record_outputs=self.record_outputs,
            verbose=bool(self.verbose),
            sample_weight=sample_weight,
            on_iteration_end=None if callbacks is None else callbacks.iteration_end,
        )
        if result.interrupted:
            warnings.warn("Training interrupted by user.", stacklevel=3)
        elif result.diverged_iter is not None:
            self._warn_divergence(result.diverged_iter, unit="iteration")
        elif not result.reached_tol and result.n_iter == self.max_iter:
            self._warn_max_iter(f"{type(self).__name__} (tol={self.tol:g})")

        self.coefs_, self.intercepts_ = network.unpack(params)
        self.n_iter_ = (
            max(result.n_iter, 1) if result.diverged_iter is None else result.n_iter
        )
        self.initial_loss_ = float(result.initial_loss)
        self.loss_curve_ = [float(v) for v in result.loss_curve]
        self.loss_ = self.loss_curve_[-1] if self.loss_curve_ else self.initial_loss_
        self.overshoot_curve_ = result.overshoot_curve
        self.corrections_curve_ = result.corrections_curve
        self.correction_rounds_curve_ = result.rounds_curve
        self.crossing_curve_ = result.crossing_curve
        self.passes_curve_ = result.passes_curve
        self.outputs_curve_ = None
        if result.outputs_curve is not None:
            self.outputs_curve_ = self._unscale(
                np.stack(result.outputs_curve), low, high
            )
        if callbacks is not None:
            callbacks.close(lambda: {})
        return self

    def predict(self, X):
        """Predict targets.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predictions in the units of the training targets.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        with np.errstate(over="ignore", invalid="ignore"):
            z = forward_logits(self.coefs_, self.intercepts_, self.activation, X)
        outputs = output_values(np.nan_to_num(z, copy=False), "logistic")
        low, high = self._check_target_range()
        y = self._unscale(outputs, low, high)
        return y.ravel() if self.n_outputs_ == 1 else y

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        # Measured, not assumed: EOM's overshoot constraint stalls on noisy
        # many-sample data (see the class docstring).
        tags.regressor_tags.poor_score = self.overshoot == "eliminate"
        return tags

    # -- input scale ------------------------------------------------------
    def _warn_if_saturated(self, network, params, X):
        """Warn when most first-layer units start beyond |z| = 4 (the
        logistic's slope there is 7 % of its peak), judged on up to 1000 rows."""
        if self.activation not in ("logistic", "tanh"):
            return
        layer = network.layers[0]
        with np.errstate(all="ignore"):
            z = layer.forward(params, X[:1000])
        share = float(np.mean(~(np.abs(z) <= _SATURATED)))  # NaN counts
        if share > 0.5:
            warnings.warn(
                f"{type(self).__name__}: {100 * share:.0f} % of the first "
                f"{self.activation} hidden units' inputs start beyond "
                f"|z| = {_SATURATED:g}, where the units saturate and barely "
                "learn: X is far from the scale they can use. Scale X first, "
                "for example with MinMaxScaler or StandardScaler in a Pipeline.",
                UserWarning,
                stacklevel=3,
            )

    # -- target scaling ---------------------------------------------------
    def _check_target_range(self):
        if self.target_range is None:
            return 0.0, 1.0
        try:
            low, high = (float(v) for v in self.target_range)
        except (TypeError, ValueError):
            low = high = np.nan
        if not 0 < low < high < 1:
            raise ValueError(
                "target_range must be two numbers (low, high) with "
                f"0 < low < high < 1, got {self.target_range!r}."
            )
        return low, high

    def _span(self):
        span = self.target_max_ - self.target_min_
        return np.where(span > 0, span, 1.0)

    def _scale(self, Y, low, high):
        scaled = low + (Y - self.target_min_) / self._span() * (high - low)
        # A constant target sits mid-range and maps back to the constant.
        return np.where(self.target_max_ > self.target_min_, scaled, (low + high) / 2)

    def _unscale(self, outputs, low, high):
        y = self.target_min_ + (outputs - low) / (high - low) * self._span()
        return np.where(self.target_max_ > self.target_min_, y, self.target_min_)
