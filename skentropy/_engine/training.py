"""Training loops over a flat parameter vector: mini-batch epochs and L-BFGS.

The loops know nothing of networks: they call an objective
``objective(params, rows, grad) -> batch loss`` that fills ``grad`` for the
given rows (a slice or an index array). Stopping rules, early stopping,
learning-rate schedules and the history follow scikit-learn's MLP exactly,
with two additions: a validation *loss* curve next to the validation
scores, and a clean stop, with the last finite weights, when the loss stops
being finite.
"""

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import scipy.optimize

__all__ = ["History", "LBFGSResult", "StochasticResult", "fit_lbfgs", "fit_stochastic"]

Objective = Callable[[np.ndarray, slice | np.ndarray, np.ndarray], float]
#: ``on_iteration_end(n_iter, params) -> stop``: called after every finished
#: epoch (iteration), with the parameters as they stand; a true return value
#: stops training (a callback asked for it).
IterationHook = Callable[[int, np.ndarray], bool]


def progress_line(n_iter: int, started: float, **values: str) -> str:
    """The ``verbose`` line of one epoch: its number, values, elapsed time.

    ``values`` (formatted) are printed in order as ``name = value``, names
    with underscores read as words; ``started`` is the
    ``time.perf_counter()`` of the start of the fit call.
    """
    parts = [f"Iteration {n_iter}"]
    for name, value in values.items():
        parts.append(f"{name.replace('_', ' ')} = {value}")
    parts.append(f"time = {time.perf_counter() - started:.2f} s")
    return ", ".join(parts)


@dataclass
class History:
    """What training remembers between calls (``warm_start``, ``partial_fit``).

    Plain data only, so an estimator can keep it as fitted attributes.
    """

    loss_curve: list = field(default_factory=list)
    validation_scores: list | None = None
    validation_loss_curve: list | None = None
    best_loss: float | None = math.inf
    best_validation_score: float | None = None
    no_improvement_count: int = 0
    t: int = 0

    @classmethod
    def start(cls, early_stopping: bool) -> "History":
        """Empty history, with the validation records when early stopping is on."""
        if early_stopping:
            return cls(
                validation_scores=[],
                validation_loss_curve=[],
                best_loss=None,
                best_validation_score=-math.inf,
            )
        return cls()


@dataclass
class StochasticResult:
    """Outcome of :func:`fit_stochastic`."""

    n_iter: int
    loss: float | None
    reached_max_iter: bool
    diverged_epoch: int | None = None
    #: Why training stopped in ``diverged_epoch``: ``"non-finite"`` (NaN or
    #: inf), ``"exploded"`` (finite but runaway loss or weights) or
    #: ``"initial"`` (non-finite already at the starting weights, before any
    #: step: not the learning rate's doing).
    divergence: str | None = None
    #: A KeyboardInterrupt stopped the loop (the weights of the last
    #: finished batch are kept).
    interrupted: bool = False


#: Weights beyond this magnitude count as exploded: saturated units stop
#: learning long before, and no well-posed fit on scaled data gets there.
EXPLODED_WEIGHT = 1e8
#: An epoch loss this many times above the first epoch's (plus one) counts as
#: exploded.
EXPLODED_LOSS = 1e6


def _batches(n_samples: int, batch_size: int):
    # scikit-learn's gen_batches with min_batch_size=0: a shorter last batch.
    for start in range(0, n_samples, batch_size):
        yield slice(start, min(start + batch_size, n_samples))


def fit_stochastic(
    objective: Objective,
    params: np.ndarray,
    optimizer,
    n_samples: int,
    *,
    batch_size: int,
    max_iter: int,
    shuffle: bool,
    rng: np.random.RandomState,
    tol: float,
    n_iter_no_change: float,
    history: History,
    validation: Callable[[np.ndarray], tuple[float, float]] | None = None,
    incremental: bool = False,
    verbose: bool = False,
    max_grad_norm: float | None = None,
    on_iteration_end: IterationHook | None = None,
) -> StochasticResult:
    """Mini-batch epochs, updating ``params`` in place.

    Parameters
    ----------
    objective : callable
        ``objective(params, rows, grad) -> loss`` for the batch ``rows``.
    params : ndarray
        Flat parameters, updated in place.
    optimizer : SGD or Adam
        Called as ``optimizer.update(params, grad)`` after every batch.
    n_samples : int
        Number of training rows.
    batch_size : int
        Rows per batch (the last one may be smaller).
    max_iter : int
        Maximum number of epochs.
    shuffle : bool
        Visit rows in a new random order each epoch, drawn from ``rng``
        exactly as scikit-learn's ``utils.shuffle`` draws it.
    rng : RandomState
        The fit's random stream.
    tol, n_iter_no_change : float
        Stop (or, for the adaptive schedule, lower the step) after more than
        ``n_iter_no_change`` epochs that fail to improve by ``tol``.
    history : History
        Curves and counters, extended in place.
    validation : callable, optional
        ``validation(params) -> (score, loss)`` on held-out data; turns on
        early stopping, which restores the best-scoring weights at the end.
    incremental : bool
        One epoch only (``partial_fit``).
    verbose : bool
        Print one line per epoch: the loss, the validation score (early
        stopping) and the time since the call started.
    max_grad_norm : float, optional
        Clip each batch's gradient (of the whole objective, L2 term
        included) to this Euclidean norm before the update, as PyTorch's
        ``clip_grad_norm_`` does; None: no clipping.
    on_iteration_end : callable, optional
        ``on_iteration_end(n_iter, params) -> stop`` after every finished
        epoch (after its validation); a true return value ends training
        there, as the stopping rules do (early stopping still restores the
        best weights).

    Returns
    -------
    StochasticResult
    """
    # Overflow on the way to a non-finite loss is expected and reported by the
    # caller as divergence, not as a stream of NumPy RuntimeWarnings.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return _fit_stochastic(
            objective,
            params,
            optimizer,
            n_samples,
            batch_size=batch_size,
            max_iter=max_iter,
            shuffle=shuffle,
            rng=rng,
            tol=tol,
            n_iter_no_change=n_iter_no_change,
            history=history,
            validation=validation,
            incremental=incremental,
            verbose=verbose,
            max_grad_norm=max_grad_norm,
            on_iteration_end=on_iteration_end,
        )


def _clip(grad: np.ndarray, max_norm: float) -> None:
    """Scale ``grad`` in place to Euclidean norm ``max_norm`` if it is longer."""
    norm = math.sqrt(float(np.dot(grad, grad)))
    if norm > max_norm:
        grad *= grad.dtype.type(max_norm / norm)


def _fit_stochastic(*args, **kwargs):
    # Ctrl-C keeps the model trained so far, as scikit-learn's MLP does: the
    # loop below updates ``params`` in place, batch by batch, so stopping
    # between two statements leaves the weights of the last finished update.
    state = {}
    try:
        return _epochs(*args, state=state, **kwargs)
    except KeyboardInterrupt:
        params, last_finite = args[1], state["last_finite"]
        if state["best_params"] is not None:  # early stopping: the best epoch
            params[...] = state["best_params"]
        elif not np.isfinite(params).all():
            params[...] = last_finite
        return StochasticResult(state["n_iter"], state["loss"], False, interrupted=True)


def _epochs(
    objective,
    params,
    optimizer,
    n_samples,
    *,
    batch_size,
    max_iter,
    shuffle,
    rng,
    tol,
    n_iter_no_change,
    history,
    validation,
    incremental,
    verbose,
    max_grad_norm,
    on_iteration_end,
    state,
):
    started_at = time.perf_counter()
    grad = np.empty_like(params)
    sample_idx = np.arange(n_samples, dtype=int)
    early_stopping = validation is not None
    best_params = params.copy() if early_stopping else None
    last_finite = params.copy()
    n_iter, loss = 0, None
    reached_max_iter = False
    diverged_epoch = divergence = None
    first_loss = None
    started = False  # has any update been made in this call?
    state.update(last_finite=last_finite, best_params=best_params, n_iter=0, loss=None)

    for _ in range(max_iter):
        if shuffle:
            permutation = np.arange(n_samples)
            rng.shuffle(permutation)
            sample_idx = sample_idx[permutation]
        accumulated = 0.0
        for batch in _batches(n_samples, batch_size):
            rows = sample_idx[batch] if shuffle else batch
            batch_loss = objective(params, rows, grad)
            if batch_loss is None:  # zero weights only: skipped
                continue
            if not math.isfinite(batch_loss):
                diverged_epoch = n_iter + 1
                divergence = "non-finite" if started else "initial"
                break
            started = True
            accumulated += batch_loss * (batch.stop - batch.start)
            if max_grad_norm is not None:
                _clip(grad, max_grad_norm)
            optimizer.update(params, grad)
        if diverged_epoch is not None or not np.isfinite(params).all():
            diverged_epoch = diverged_epoch or n_iter + 1
            divergence = divergence or "non-finite"
            params[...] = last_finite
            break
        epoch_loss = accumulated / n_samples
        if first_loss is None:
            first_loss = epoch_loss
        if (
            np.max(params) > EXPLODED_WEIGHT
            or np.min(params) < -EXPLODED_WEIGHT
            or epoch_loss > first_loss + EXPLODED_LOSS * (abs(first_loss) + 1)
        ):
            diverged_epoch, divergence = n_iter + 1, "exploded"
            params[...] = last_finite
            break

        n_iter += 1
        loss = epoch_loss
        state.update(n_iter=n_iter, loss=loss)
        history.t += n_samples
        history.loss_curve.append(loss)
        last_finite[...] = params

        if early_stopping:
            score, val_loss = validation(params)
            history.validation_scores.append(score)
            history.validation_loss_curve.append(val_loss)
            if verbose:
                print(
                    progress_line(
                        n_iter,
                        started_at,
                        loss=f"{loss:.8f}",
                        validation_score=f"{score:f}",
                    )
                )
            if score < history.best_validation_score + tol:
                history.no_improvement_count += 1
            else:
                history.no_improvement_count = 0
            if score > history.best_validation_score:
                history.best_validation_score = score
                best_params[...] = params
        else:
            if verbose:
                print(progress_line(n_iter, started_at, loss=f"{loss:.8f}"))
            if loss > history.best_loss - tol:
                history.no_improvement_count += 1
            else:
                history.no_improvement_count = 0
            history.best_loss = min(history.best_loss, loss)

        optimizer.iteration_ends(history.t)
        if on_iteration_end is not None and on_iteration_end(n_iter, params):
            break
        if history.no_improvement_count > n_iter_no_change:
            what = "Validation score" if early_stopping else "Training loss"
            msg = (
                f"{what} did not improve more than tol={tol:f} for "
                f"{n_iter_no_change} consecutive epochs."
            )
            if optimizer.trigger_stopping(msg, verbose):
                break
            history.no_improvement_count = 0
        if incremental:
            break
        if n_iter == max_iter:
            reached_max_iter = True

    if early_stopping:
        params[...] = best_params
    return StochasticResult(n_iter, loss, reached_max_iter, diverged_epoch, divergence)


@dataclass
class LBFGSResult:
    """Outcome of :func:`fit_lbfgs`."""

    params: np.ndarray
    loss: float
    n_iter: int
    status: int
    message: str
    loss_curve: list
    diverged: bool
    #: ``on_iteration_end`` asked to stop (not a convergence failure).
    stopped: bool = False


def fit_lbfgs(
    fun: Callable[[np.ndarray], tuple[float, np.ndarray]],
    x0: np.ndarray,
    *,
    max_iter: int,
    max_fun: int,
    tol: float,
    verbose: bool = False,
    on_iteration_end: IterationHook | None = None,
) -> LBFGSResult:
    """Minimise ``fun`` (returning loss and gradient) with SciPy's L-BFGS-B.

    The call matches scikit-learn's MLP (``maxiter``, ``maxfun``,
    ``gtol=tol``). If the loss stops being finite, the evaluated point with
    the lowest finite loss is returned and ``diverged`` is set; the loss
    curve records finite iterates only. ``verbose`` prints one line per
    iteration (loss, elapsed time); ``on_iteration_end(n_iter, params)``
    runs after each finite iteration and stops the optimiser when it
    returns true (SciPy's ``StopIteration`` protocol).
    """
    started_at = time.perf_counter()
    # The best finite evaluation, not the last: after a loss turns non-finite
    # the last finite point may be a line-search trial SciPy rejected.
    best_finite = {"x": x0.copy(), "loss": math.inf}

    def guarded(x):
        loss, grad = fun(x)
        finite = math.isfinite(loss) and np.isfinite(grad).all()
        if finite and loss < best_finite["loss"]:
            best_finite["x"], best_finite["loss"] = x.copy(), loss
        return loss, grad

    curve = []
    stopped = []

    def record(intermediate_result):
        value = float(intermediate_result.fun)
        if not math.isfinite(value):
            return
        curve.append(value)
        if verbose:
            print(progress_line(len(curve), started_at, loss=f"{value:.8f}"))
        if on_iteration_end is not None and on_iteration_end(
            len(curve), intermediate_result.x
        ):
            stopped.append(True)
            raise StopIteration

    with np.errstate(over="ignore", invalid="ignore"):
        result = scipy.optimize.minimize(
            guarded,
            x0,
            method="L-BFGS-B",
            jac=True,
            callback=record,
            options={"maxfun": max_fun, "maxiter": max_iter, "gtol": tol},
        )
    params, loss = result.x, float(result.fun)
    diverged = not (math.isfinite(loss) and np.isfinite(params).all())
    if diverged:
        params, loss = best_finite["x"], best_finite["loss"]
    return LBFGSResult(
        params=np.asarray(params, dtype=x0.dtype),
        loss=loss,
        n_iter=min(int(result.nit), max_iter),
        status=int(result.status),
        message=str(result.message),
        loss_curve=curve,
        diverged=diverged,
        stopped=bool(stopped),
    )
