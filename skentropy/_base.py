"""The abstract estimator base: what every network estimator shares.

:class:`BaseNetworkEstimator` holds what any estimator over an engine
network needs: the first-pass rule of ``warm_start`` / ``partial_fit``, the
warm-start architecture check (one message), and the divergence and
max-iteration warnings. :class:`BaseStochasticEstimator` adds everything
about training by mini-batches or L-BFGS, in the spirit of scikit-learn's
``BaseMultilayerPerceptron``: the shared parameter constraints, optimizer
creation and resume, the call into the engine's loops, early stopping's
hold-out and restore, the history attributes and the warnings.

A concrete estimator supplies only what makes it different:

- ``_validate_fit_data(X, y, sample_weight, *, incremental, reset)``: its
  input checks and target coding, returning ``(X, Y, sample_weight)``
  with ``Y`` a 2-D target matrix;
- ``_build_network(X, Y)``: its engine network (a ``Network``);
- ``_loss()``: its loss, as ``(LOSSES entry, loss_params)``;
- ``_fitted_params(network, dtype)`` / ``_set_fitted_params(network,
  params)``: how the flat vector is stored as fitted attributes;
- ``_validation_score(network, params, X_val, Y_val, w_val, train)``: the
  score early stopping maximises;
- optionally ``_start_fit`` (first pass), ``_prepare_training`` (before
  the loop, on the training rows: e.g. a data-driven kernel width),
  ``_set_prediction_state`` (fitted attributes besides the weights that
  prediction needs, e.g. an output offset; also used for the snapshots
  that scikit-learn's callbacks receive after each epoch) and
  ``_finish_training`` (after the loop: the prediction state, then checks
  of the result).

Every estimator supports scikit-learn's callback API (``set_callbacks``)
where the installed scikit-learn provides it (:mod:`skentropy._callbacks`).

:class:`NetworkClassifierMixin` holds the class bookkeeping the
classifiers share.
"""

import copy
import warnings
from abc import ABCMeta, abstractmethod
from numbers import Integral, Number, Real
from typing import ClassVar

import numpy as np
import pandas as pd
from scipy.sparse import issparse
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.multiclass import type_of_target, unique_labels
from sklearn.utils.validation import _check_sample_weight

from ._callbacks import CallbackSupportMixin, fit_callbacks
from ._engine import (
    History,
    batch_objective,
    fit_lbfgs,
    fit_stochastic,
    make_optimizer,
)

__all__ = [
    "BaseNetworkEstimator",
    "BaseStochasticEstimator",
    "NetworkClassifierMixin",
    "check_hidden_layer_sizes",
    "check_label_types",
    "check_target_present",
    "store_init_params",
]

STOCHASTIC_SOLVERS = ("sgd", "adam")


def store_init_params(estimator, arguments: dict) -> None:
    """Set each ``__init__`` argument as an attribute of the same name.

    scikit-learn's convention (``__init__`` stores its arguments unchanged,
    validation happens in ``fit``) without a line per parameter; called as
    ``store_init_params(self, locals())`` first thing in ``__init__``.
    """
    for name, value in arguments.items():
        if name != "self":
            setattr(estimator, name, value)


class InconsistentVersionWarning(UserWarning):
    """Warning for a model unpickled under other package versions.

    Raised by ``pickle.load`` (and ``skops.io.load``) when a skentropy
    estimator was pickled with another version of skentropy or of
    scikit-learn than the one running: the model may load but behave
    differently, or not at all. Refit it under the current versions, or
    install the versions it was saved with.

    Parameters
    ----------
    estimator_name : str
        The estimator's class name.
    package : str
        ``"skentropy"`` or ``"scikit-learn"``.
    original_version, current_version : str
        The version the model was pickled with, and the running one.
    """

    def __init__(self, estimator_name, package, original_version, current_version):
        self.estimator_name = estimator_name
        self.package = package
        self.original_version = original_version
        self.current_version = current_version
        super().__init__(str(self))

    def __str__(self):
        return (
            f"Trying to unpickle estimator {self.estimator_name} from {self.package} "
            f"version {self.original_version} when using version "
            f"{self.current_version}. This might lead to breaking code or invalid "
            "results. Use at your own risk."
        )


def check_sample_weight(sample_weight, X):
    """Non-negative float weights of ``X``'s dtype, not all zero, or None.

    Every message names ``sample_weight``: scikit-learn's own checks, plus
    the sign (a negative weight turns a loss into a gain to maximise).
    """
    if sample_weight is None:
        return None
    try:
        weight = _check_sample_weight(sample_weight, X, dtype=X.dtype)
    except ValueError as error:
        raise ValueError(f"sample_weight: {error}") from error
    if (weight < 0).any():
        raise ValueError(
            f"sample_weight must be non-negative; got a minimum of {weight.min():g}."
        )
    if not weight.any():
        raise ValueError("sample_weight must contain at least one positive weight.")
    return weight


#: Input values beyond this magnitude swamp any initial weight: the units
#: saturate or blow up, and training cannot recover.
UNSCALED_INPUT = 1e8


def warn_if_unscaled(estimator, X) -> None:
    """Warn when ``X`` holds values far beyond the scale a network can use."""
    values = X.data if issparse(X) else X
    if values.size == 0:
        return
    with np.errstate(invalid="ignore"):
        largest = float(np.nanmax(np.abs(values)))  # NaN steps pad sequences
    if largest > UNSCALED_INPUT:
        warnings.warn(
            f"{type(estimator).__name__}: X has values up to {largest:.3g}, far "
            "beyond the scale the network's units can use (their initial "
            "weights are of order one), so training cannot work. Scale X first, "
            "for example with StandardScaler in a Pipeline.",
            UserWarning,
            stacklevel=4,
        )


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


def check_target_present(y, *, input_name: str = "y") -> None:
    """Reject a target or label array that holds a missing value.

    scikit-learn's ``_check_y`` tests an object array for NaN before it
    converts it to float, so a ``None`` passes and becomes NaN, and the
    estimator fits (and predicts) NaN; pandas' ``pd.NA`` raises a bare
    ``TypeError`` inside the same test. This check runs on the raw ``y``,
    before ``validate_data``, and names what is missing and where.

    Parameters
    ----------
    y : array-like, sparse matrix or None
        The targets, labels or ``classes`` as the user passed them. None,
        sparse matrices, ragged lists and arrays of a NumPy numeric dtype
        (whose NaN scikit-learn's own check reports) are left to
        scikit-learn's checks.
    input_name : str, default="y"
        The argument's name, for the message.

    Raises
    ------
    ValueError
        If ``y`` holds None, NaN, ``pd.NA`` or ``NaT``.
    """
    dtype = getattr(y, "dtype", None)
    if y is None or issparse(y) or (isinstance(dtype, np.dtype) and dtype.kind != "O"):
        return  # NumPy numbers: scikit-learn's "Input y contains NaN." is right
    try:
        missing = np.asarray(pd.isna(list(y) if isinstance(y, tuple) else y))
    except (TypeError, ValueError):  # ragged or exotic: validate_data says why
        return
    if missing.ndim == 0 or missing.dtype != bool or not missing.any():
        return
    first = np.argwhere(missing)[0]
    where = int(first[0]) if missing.ndim == 1 else tuple(int(i) for i in first)
    count = int(missing.sum())
    need = (
        "classes must list class labels only"
        if input_name == "classes"
        else "every sample needs a target; drop those samples or impute their targets"
    )
    raise ValueError(
        f"{input_name} contains {count} missing value{'s' if count > 1 else ''} "
        f"(None, NaN or pd.NA), the first at index {where}: {need}."
    )


def _label_kind(label) -> str:
    if isinstance(label, str):
        return "string"
    return "number" if isinstance(label, Number) else type(label).__name__


def check_label_types(y, *, input_name: str = "y"):
    """Class labels of one kind: no mix of strings and numbers.

    Run on the raw labels, before ``validate_data``: an object array (or a
    list) that mixes strings and numbers is rejected with scikit-learn's
    wording ("Mix of label input types"), where scikit-learn's classifiers
    give "Unknown label type" or a raw ``'<' not supported`` error, and a
    list would otherwise be turned into strings silently. Numbers held in
    an object array (a pandas object column) are returned as a numeric
    array, where scikit-learn reads them as an "unknown" label type.

    Parameters
    ----------
    y : array-like, sparse matrix or None
        Class labels (or ``classes``), as the user passed them; missing
        labels are :func:`check_target_present`'s business.
    input_name : str, default="y"
        The argument's name, for the message.

    Returns
    -------
    y : array-like, sparse matrix or None
        ``y`` itself, or its numbers as a numeric ndarray when it is an
        object array of numbers.

    Raises
    ------
    ValueError
        If the labels mix strings with numbers or other objects.
    """
    object_dtype = getattr(getattr(y, "dtype", None), "kind", None) == "O"
    if not (object_dtype or isinstance(y, list | tuple)) or issparse(y):
        return y
    try:
        labels = np.asarray(y, dtype=object)
    except ValueError:  # ragged: validate_data says why
        return y
    kinds = {_label_kind(label) for label in labels.flat}
    if "string" in kinds and len(kinds) > 1:
        others = " and ".join(sorted(kinds - {"string"}))
        examples = {}
        for label in labels.flat:
            examples.setdefault(_label_kind(label), label)
        shown = ", ".join(repr(label) for label in examples.values())
        raise ValueError(
            f"Mix of label input types (string and {others}) in {input_name}, "
            f"for example {shown}. Use labels of one type, such as "
            f"{input_name}.astype(str)."
        )
    if object_dtype and kinds == {"number"}:
        return np.asarray(labels.tolist())
    return y


class BaseNetworkEstimator(CallbackSupportMixin, BaseEstimator, metaclass=ABCMeta):
    """What every estimator over an engine network shares.

    Subclasses have a ``warm_start`` parameter and record the architecture
    of the network they fit, so that a later ``warm_start`` fit or
    ``partial_fit`` call can check it continues the same network. With
    scikit-learn >= 1.9 they accept callbacks (``set_callbacks``), reported
    one subtask per epoch.
    """

    # -- persistence ------------------------------------------------------
    def __getstate__(self):
        """Pickled state, stamped with the skentropy and scikit-learn versions."""
        import sklearn

        import skentropy

        state = super().__getstate__()
        return dict(
            state,
            _skentropy_version=skentropy.__version__,
            _sklearn_version=sklearn.__version__,
        )

    def __setstate__(self, state):
        """Restore a pickle; warn when it was made with other versions."""
        import sklearn

        import skentropy

        state = dict(state)
        for package, key, current in (
            ("skentropy", "_skentropy_version", skentropy.__version__),
            ("scikit-learn", "_sklearn_version", sklearn.__version__),
        ):
            original = state.pop(key, "unknown")
            if original != current:
                warnings.warn(
                    InconsistentVersionWarning(
                        type(self).__name__, package, original, current
                    ),
                    stacklevel=2,
                )
        self.__dict__.update(state)

    def _is_first_pass(self, incremental: bool) -> bool:
        """True when this fit starts from fresh weights."""
        fitted = hasattr(self, "_network_architecture")
        return not fitted or (not self.warm_start and not incremental)

    def _check_same_network(self, network) -> None:
        """Refuse to continue a fit whose network no longer matches."""
        if network.architecture != self._network_architecture:
            raise ValueError(
                f"{type(self).__name__}: warm_start and partial_fit continue the "
                "previous fit, so they need the same network, but the previous "
                f"fit had {self._network_architecture} and the parameters and data "
                f"now give {network.architecture}. Set warm_start=False (or "
                "refit) to start afresh."
            )

    def _warn_divergence(
        self,
        step: int,
        *,
        unit: str = "epoch",
        learning_rate: bool = True,
        divergence: str = "non-finite",
    ) -> None:
        """ConvergenceWarning for training that diverged in ``step``.

        ``divergence`` is the engine's diagnosis (``StochasticResult``):
        ``"non-finite"``, ``"exploded"`` or ``"initial"`` (non-finite at the
        starting weights, so the step size is not the cause); the advice
        names the parameter most likely at fault.
        """
        width = getattr(self, "kernel_width", None)
        entropy = width is not None and getattr(self, "loss", "eem") == "eem"
        extreme_width = (
            entropy and isinstance(width, Real) and not 1e-100 <= width <= 1e100
        )
        scale = "scale the input features (and the targets of a regressor)"
        if divergence == "initial" or extreme_width:
            what = (
                "the loss is not finite even at the starting weights"
                if divergence == "initial"
                else "the loss became non-finite (NaN or inf)"
            )
            if entropy:
                advice = (
                    f"Check kernel_width (it is {width!r}): far too small or "
                    f"too large for the errors makes the entropy overflow; or "
                    f"{scale}."
                )
            else:
                advice = f"The data are on an extreme scale: {scale}."
        else:
            what = (
                "the loss or the weights exploded (finite, but beyond any useful range)"
                if divergence == "exploded"
                else "the loss became non-finite (NaN or inf)"
            )
            if learning_rate:
                advice = (
                    f"Lower learning_rate_init (it is {self.learning_rate_init!r}) "
                    f"or {scale}."
                )
            else:  # L-BFGS chooses its own steps
                advice = "Scale the input features or raise alpha."
        warnings.warn(
            f"{type(self).__name__}: training diverged in {unit} {step}: {what}, "
            "so training stopped and the last weights with a finite loss were "
            f"kept. {advice}",
            ConvergenceWarning,
            stacklevel=4,
        )

    def _warn_max_iter(self, solver: str = "Stochastic Optimizer") -> None:
        """ConvergenceWarning for a solver that ran out of iterations."""
        warnings.warn(
            f"{solver}: Maximum iterations ({self.max_iter}) reached and the "
            "optimization hasn't converged yet.",
            ConvergenceWarning,
            stacklevel=4,
        )


class BaseStochasticEstimator(BaseNetworkEstimator):
    """Training by mini-batch SGD / Adam (and L-BFGS where offered).

    Parameters shared by every subclass (names, defaults and meanings of
    scikit-learn's ``MLPClassifier``): ``solver``, ``alpha``, ``batch_size``,
    ``learning_rate``, ``learning_rate_init``, ``power_t``, ``max_iter``,
    ``shuffle``, ``random_state``, ``tol``, ``verbose``, ``warm_start``,
    ``momentum``, ``nesterovs_momentum``, ``early_stopping``,
    ``validation_fraction``, ``beta_1``, ``beta_2``, ``epsilon``,
    ``n_iter_no_change``; ``max_fun`` where ``solver="lbfgs"`` is offered.
    """

    _parameter_constraints: ClassVar[dict] = {
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
    }

    # -- what a concrete estimator supplies ---------------------------------
    @abstractmethod
    def _validate_fit_data(self, X, y, sample_weight, *, incremental, reset):
        """Checked ``(X, Y, sample_weight)``; ``Y`` is the 2-D target matrix."""

    @abstractmethod
    def _build_network(self, X, Y):
        """The engine network for this data and these parameters."""

    @abstractmethod
    def _loss(self):
        """``(loss function, loss_params)`` of the training objective."""

    @abstractmethod
    def _fitted_params(self, network, dtype) -> np.ndarray:
        """A copy of the fitted flat parameter vector, in ``dtype``."""

    @abstractmethod
    def _set_fitted_params(self, network, params) -> None:
        """Store the trained flat vector as fitted attributes."""

    @abstractmethod
    def _validation_score(self, network, params, X_val, Y_val, w_val, train):
        """The held-out score early stopping maximises (``train`` = (X, Y, w))."""

    def _start_fit(self, network, X, Y) -> None:
        """Reset what a first pass starts afresh (hook)."""

    def _prepare_training(self, network, params, X, Y, sample_weight) -> None:
        """Last set-up before the loop, on the training rows (hook)."""

    def _set_prediction_state(self, network, params, X, Y, sample_weight) -> None:
        """Fitted attributes besides the weights that prediction needs (hook)."""

    def _finish_training(self, network, params, X, Y, sample_weight) -> None:
        """After the loop: the prediction state, then checks of the result."""
        self._set_prediction_state(network, params, X, Y, sample_weight)

    def _snapshot(self, network, params, X, Y, sample_weight) -> dict:
        """The fitted attributes of a copy that predicts with ``params``.

        What scikit-learn's callbacks get after each epoch (as
        "reconstruction attributes"); built only when one asks for it.
        """
        snapshot = copy.copy(self)
        params = np.asarray(params, dtype=X.dtype)
        snapshot._set_fitted_params(network, params)
        snapshot._set_prediction_state(network, params, X, Y, sample_weight)
        return vars(snapshot)

    # -- fit ------------------------------------------------------------------
    def _check_sample_weight(self, sample_weight, X):
        """Validated float weights of ``X``'s dtype, or None."""
        return check_sample_weight(sample_weight, X)

    def _fit(self, X, y, sample_weight, incremental):
        if self.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True.")
        first_pass = self._is_first_pass(incremental)
        given = (X, y, sample_weight)  # what callbacks score snapshots on
        X, Y, sample_weight = self._validate_fit_data(
            X, y, sample_weight, incremental=incremental, reset=first_pass
        )
        warn_if_unscaled(self, X)
        network = self._build_network(X, Y)
        rng = check_random_state(self.random_state)
        early_stopping = self.early_stopping and self.solver != "lbfgs"
        if first_pass:
            params = network.init_params(rng, X.dtype)
            self.n_iter_ = 0
            self._optimizer_state = None
            history = History.start(early_stopping)
            self._start_fit(network, X, Y)
        else:
            self._check_same_network(network)
            params = self._fitted_params(network, X.dtype)
            history = self._restore_history(early_stopping)
        self._network_architecture = network.architecture

        validation = None
        if early_stopping:
            X, Y, sample_weight, held_out = self._holdout(X, Y, sample_weight, rng)
        # After the split: nothing learnt from the data sees the held-out rows.
        self._prepare_training(network, params, X, Y, sample_weight)
        if early_stopping:
            validation = self._validation(network, (X, Y, sample_weight), held_out)
        callbacks = fit_callbacks(
            self,
            *given,
            max_iter=1 if incremental else self.max_iter,
            snapshot=lambda p: self._snapshot(network, p, X, Y, sample_weight),
        )
        hook = None if callbacks is None else callbacks.iteration_end
        if self.solver == "lbfgs":
            params = self._fit_lbfgs(
                network, params, X, Y, sample_weight, history, on_iteration_end=hook
            )
        else:
            self._fit_stochastic(
                network,
                params,
                X,
                Y,
                sample_weight,
                history,
                rng,
                validation=validation,
                incremental=incremental,
                on_iteration_end=hook,
            )
        self._set_fitted_params(network, params)
        self._store_history(history)
        self._finish_training(network, params, X, Y, sample_weight)
        if callbacks is not None:
            callbacks.close(lambda: {})
        return self

    # MLPClassifier warns when an explicit batch_size exceeds the data; an
    # estimator whose default is an int (the LSTM's 32) clips silently.
    _warn_batch_clipping = True

    def _batch_size(self, n_samples: int) -> int:
        """Rows per batch: ``"auto"`` is ``min(200, n)``; larger is clipped."""
        if self.batch_size == "auto":
            return min(200, n_samples)
        if self.batch_size > n_samples and self._warn_batch_clipping:
            warnings.warn(
                "Got `batch_size` less than 1 or larger than sample size. "
                "It is going to be clipped",
                stacklevel=4,
            )
        return int(np.clip(self.batch_size, 1, n_samples))

    def _fit_stochastic(
        self,
        network,
        params,
        X,
        Y,
        sample_weight,
        history,
        rng,
        *,
        validation,
        incremental,
        on_iteration_end=None,
    ):
        optimizer = self._make_optimizer(network.n_params, X.dtype)
        state = self._optimizer_state
        # A solver changed by set_params between partial_fit calls starts
        # with a fresh state, as in scikit-learn.
        if incremental and state is not None and state[0] == self.solver:
            optimizer.load_state(state[1])
        n_samples = X.shape[0]
        batch_size = self._batch_size(n_samples)
        objective = self._objective(network, X, Y, sample_weight, batch_size)
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
            max_grad_norm=self._max_grad_norm(),
            on_iteration_end=on_iteration_end,
        )
        self.n_iter_ = result.n_iter
        if result.loss is not None:
            self.loss_ = result.loss
        elif not hasattr(self, "loss_"):
            self.loss_ = np.nan
        if result.interrupted:
            warnings.warn("Training interrupted by user.", stacklevel=4)
        elif result.diverged_epoch is not None:
            self._warn_divergence(result.diverged_epoch, divergence=result.divergence)
        elif result.reached_max_iter:
            self._warn_max_iter()
        self._optimizer_state = (self.solver, optimizer.state())

    def _max_grad_norm(self):
        """Gradient-norm clipping of the stochastic solvers (hook; None: off)."""
        return None

    def _objective(self, network, X, Y, sample_weight, batch_size):
        """The engine's batch objective of this estimator's loss and L2 term."""
        loss, loss_params = self._loss()
        return batch_objective(
            network,
            X,
            Y,
            loss,
            sample_weight=sample_weight,
            alpha=self.alpha,
            batch_size=batch_size,
            loss_params=loss_params,
        )

    def _fit_lbfgs(
        self, network, params, X, Y, sample_weight, history, on_iteration_end=None
    ):
        objective = self._objective(network, X, Y, sample_weight, X.shape[0])
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
            on_iteration_end=on_iteration_end,
        )
        if result.diverged:
            self._warn_divergence(result.n_iter, unit="iteration", learning_rate=False)
        elif result.status != 0 and not result.stopped:
            self._warn_lbfgs(result)
        self.n_iter_ = result.n_iter
        self.loss_ = result.loss
        history.loss_curve.extend(result.loss_curve)
        finite = [v for v in history.loss_curve if np.isfinite(v)]
        history.best_loss = min(finite) if finite else result.loss
        return result.params.astype(X.dtype, copy=False)

    def _warn_lbfgs(self, result) -> None:
        """ConvergenceWarning for an L-BFGS run that did not report success."""
        text = (
            f"lbfgs failed to converge after {result.n_iter} iteration(s) "
            f"(status={result.status}):\n{result.message}\n"
        )
        if result.n_iter == self.max_iter:
            text += (
                "\nIncrease the number of iterations to improve the convergence "
                f"(max_iter={self.max_iter})."
            )
        warnings.warn(text, ConvergenceWarning, stacklevel=4)

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

    def _batch_weight(self, n_samples, total_weight):
        """Expected weight of a training batch of ``n_samples`` rows of weight
        ``total_weight``: the size of a batch's Parzen sample for the width
        rules (integer weights act as repeated rows)."""
        batch = 200 if self.batch_size == "auto" else self.batch_size
        rows = n_samples if self.solver == "lbfgs" else min(batch, n_samples)
        return rows * total_weight / n_samples

    # -- early stopping -------------------------------------------------------
    def _stratify(self, Y):
        """Labels to stratify the hold-out by, or None (hook)."""
        return None

    def _holdout(self, X, Y, sample_weight, rng):
        """Split off early stopping's validation rows.

        Drawn from the fit's random stream with ``train_test_split``, as
        ``MLPClassifier`` draws it; a clear error when fewer than 2 rows are
        held out. Returns the training part and the held-out
        ``(X, Y, sample_weight)``.
        """
        arrays = [X, Y] if sample_weight is None else [X, Y, sample_weight]
        parts = train_test_split(
            *arrays,
            random_state=rng,
            test_size=self.validation_fraction,
            stratify=self._stratify(Y),
        )
        if parts[1].shape[0] < 2:
            raise ValueError(
                "The validation set is too small. Increase 'validation_fraction' "
                "or the size of your dataset."
            )
        w_train, w_val = (
            (parts[4], parts[5]) if sample_weight is not None else (None,) * 2
        )
        return parts[0], parts[2], w_train, (parts[1], parts[3], w_val)

    def _validation(self, network, train, held_out):
        """``validation(params) -> (score, loss)`` on the held-out rows."""
        X_val, Y_val, w_val = held_out
        loss, loss_params = self._loss()

        def validation(params):
            score = self._validation_score(network, params, X_val, Y_val, w_val, train)
            val_loss = network.loss_value(
                params,
                X_val,
                Y_val,
                loss,
                sample_weight=w_val,
                alpha=self.alpha,
                loss_params=loss_params,
            )
            return score, val_loss

        return validation

    # -- history ----------------------------------------------------------------
    def _restore_history(self, early_stopping: bool) -> History:
        """The training history kept in the fitted attributes.

        ``warm_start`` may switch early stopping on or off between fits, so the
        records the new setting needs are started afresh where missing.
        """
        fresh = History.start(early_stopping)
        scores = self.validation_scores_
        val_losses = self.validation_loss_curve_
        best_score = self.best_validation_score_
        best_loss = self.best_loss_
        return History(
            loss_curve=list(self.loss_curve_),
            validation_scores=fresh.validation_scores
            if scores is None
            else list(scores),
            validation_loss_curve=fresh.validation_loss_curve
            if val_losses is None
            else list(val_losses),
            best_loss=fresh.best_loss
            if best_loss is None or early_stopping
            else best_loss,
            best_validation_score=(
                fresh.best_validation_score if best_score is None else best_score
            ),
            no_improvement_count=self._no_improvement_count,
            t=self.t_,
        )

    def _store_history(self, history: History) -> None:
        """Write a training history into the fitted attributes."""
        self.loss_curve_ = history.loss_curve
        self.best_loss_ = history.best_loss
        self.validation_scores_ = history.validation_scores
        self.validation_loss_curve_ = history.validation_loss_curve
        self.best_validation_score_ = history.best_validation_score
        self._no_improvement_count = history.no_improvement_count
        self.t_ = history.t


class NetworkClassifierMixin:
    """Class bookkeeping shared by the network classifiers.

    Sets ``classes_`` and a private target type (``"binary"``,
    ``"multiclass"`` or ``"multilabel-indicator"``), and checks that a
    continued fit sees no new classes.
    """

    def _set_classes(self, y, *, from_classes: bool = False) -> None:
        """``classes_`` from targets ``y`` (or from the ``classes`` argument)."""
        y_type = None if from_classes else type_of_target(y)
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

    def _update_classes(self, y, *, incremental: bool) -> None:
        """Set the classes on a first pass; else check ``y`` against them."""
        if not hasattr(self, "classes_") or (not self.warm_start and not incremental):
            self._set_classes(y)
            return
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
