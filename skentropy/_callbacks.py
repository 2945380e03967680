"""scikit-learn's callback API (``sklearn.callback``) where it is installed.

scikit-learn 1.9 added an experimental callback API: ``set_callbacks`` on an
estimator, built-in callbacks such as ``ProgressBar`` and ``ScoringMonitor``,
and meta-estimators (``Pipeline``, ``GridSearchCV``) that hand their
callbacks down to the estimators they fit. An estimator reports a tree of
tasks: its ``fit`` is the root task and each epoch (iteration) one subtask,
begun and ended with hooks that may ask for a copy of the estimator as it
stands ("reconstruction attributes") and may ask to stop.

:class:`CallbackSupportMixin` is scikit-learn's mixin when the installed
version has it, and an empty class otherwise (scikit-learn 1.6-1.8): there
the estimators simply have no ``set_callbacks``, and fitting never touches
this module's machinery. :func:`fit_callbacks` opens a fit's root task and
returns the :class:`FitCallbacks` bridge that the engine's
``on_iteration_end`` hook drives, or None when there is nothing to report
to (so the training loops run exactly as without callbacks).
"""

from collections.abc import Callable

try:
    from sklearn.callback import CallbackSupportMixin
except ImportError:  # scikit-learn < 1.9: no callback API

    class CallbackSupportMixin:
        """Stand-in for scikit-learn's mixin (absent before scikit-learn 1.9)."""


__all__ = ["CALLBACKS_AVAILABLE", "CallbackSupportMixin", "FitCallbacks"]

#: Whether the installed scikit-learn provides ``sklearn.callback``.
CALLBACKS_AVAILABLE = hasattr(CallbackSupportMixin, "set_callbacks")

#: The name of each iteration's subtask in the task tree.
ITERATION_TASK = "epoch"


class FitCallbacks:
    """One fit's task tree: the root task and one subtask per iteration.

    The engine calls :meth:`iteration_end` after each finished iteration;
    the bridge ends that iteration's subtask (offering the estimator as it
    stands) and begins the next one, as scikit-learn's own L-BFGS bridge
    does. :meth:`close` ends a begun iteration that never finished (the
    loop stopped or diverged first) as an empty task, then the root task,
    so that every begin hook has its end.

    Parameters
    ----------
    estimator : estimator instance
        The estimator being fitted.
    context : sklearn.callback.CallbackContext
        Its root context, from ``_init_callback_context``.
    X, y : object
        The training data as passed to ``fit`` (scoring callbacks evaluate
        the estimator's snapshots on them).
    metadata : dict or None
        ``{"sample_weight": ...}`` when weights were given.
    snapshot : callable
        ``snapshot(params) -> dict``: the fitted attributes that make a copy
        of the estimator predict with the flat parameters ``params``.
    max_iter : int
        The most iterations this fit can run (no subtask is begun after it).
    """

    def __init__(self, estimator, context, X, y, metadata, snapshot, max_iter):
        self._estimator = estimator
        self._context = context
        self._data = {"X": X, "y": y, "metadata": metadata}
        self._snapshot = snapshot
        self._max_iter = max_iter
        self._current = None
        context.call_on_fit_task_begin(estimator=estimator, **self._data)
        self._begin()

    def _begin(self):
        self._current = self._context.subcontext(task_name=ITERATION_TASK)
        self._current.call_on_fit_task_begin(estimator=self._estimator, **self._data)

    def iteration_end(self, n_iter, params) -> bool:
        """End iteration ``n_iter`` (``params`` as they stand); True: stop."""
        # Copy now: the loop keeps updating ``params`` in place, and the
        # snapshot is built lazily, only if a callback asks for it.
        frozen = params.copy()
        stop = self._current.call_on_fit_task_end(
            estimator=self._estimator,
            reconstruction_attributes=lambda: self._snapshot(frozen),
            **self._data,
        )
        self._current = None
        if not stop and n_iter < self._max_iter:
            self._begin()
        return bool(stop)

    def close(self, final_attributes: Callable[[], dict] | None = None) -> None:
        """End a begun, unfinished iteration and then the fit's root task."""
        if self._current is not None:
            self._current.call_on_fit_task_end(estimator=self._estimator)
            self._current = None
        self._context.call_on_fit_task_end(
            estimator=self._estimator,
            reconstruction_attributes=final_attributes,
            **self._data,
        )


def fit_callbacks(estimator, X, y, sample_weight, *, max_iter, snapshot):
    """Open ``estimator``'s fit task for its callbacks, or return None.

    None when scikit-learn has no callback API, or when the estimator has
    no callbacks and is not fitted by a meta-estimator that reports tasks
    (no parent context): then nothing is listening.
    """
    if not CALLBACKS_AVAILABLE:
        return None
    listening = getattr(estimator, "_skl_callbacks", None) or hasattr(
        estimator, "_parent_callback_ctx"
    )
    if not listening:
        return None
    context = estimator._init_callback_context(max_subtasks=max_iter)
    metadata = None if sample_weight is None else {"sample_weight": sample_weight}
    return FitCallbacks(estimator, context, X, y, metadata, snapshot, max_iter)
