"""Stochastic optimizers over a flat parameter vector.

An optimizer receives the parameters and the gradient at every ``update``
and never keeps a reference to the parameters (the bug behind
scikit-learn#19626). Its state is a dict of arrays and numbers
(``state`` / ``load_state``), so an estimator can store it as plain fitted
state, pickle it and resume ``partial_fit``.

The arithmetic is scikit-learn's (``_stochastic_optimizers.py``) done in
place over one vector with BLAS ``axpy`` / ``scal``: no per-array
temporaries and three fewer passes over the parameters per Adam step. The
fused multiply-adds round differently from NumPy's separate products, so
results agree with ``MLPClassifier`` to round-off, not bit for bit.

:class:`SGD` also steps a stack of R networks, a parameter array of shape
(R, P), each network with its own learning rate (an array of shape (R,));
that path uses NumPy's broadcasting, and with ``momentum=0`` it is exactly
``params -= lr[:, None] * grad``.
"""

import numpy as np

from ._blas import axpy, scal

__all__ = ["SGD", "Adam", "make_optimizer"]


def _rate(value):
    """A learning rate as a float, or per-network rates as a fresh float array."""
    return float(value) if np.ndim(value) == 0 else np.array(value, dtype=float)


class _Optimizer:
    """Shared learning-rate bookkeeping."""

    def __init__(self, learning_rate_init: float):
        self.learning_rate_init = learning_rate_init
        self.learning_rate = _rate(learning_rate_init)

    def iteration_ends(self, time_step: int) -> None:
        """Hook called after each epoch with the number of samples seen."""

    def trigger_stopping(self, msg: str, verbose: bool) -> bool:
        """Return True to stop training after ``n_iter_no_change`` bad epochs."""
        if verbose:
            print(msg + " Stopping.")
        return True

    def _buffer(self, like: np.ndarray) -> np.ndarray:
        scratch = getattr(self, "_scratch", None)
        if (
            scratch is None
            or scratch.shape != like.shape
            or scratch.dtype != like.dtype
        ):
            scratch = self._scratch = np.empty_like(like)
        return scratch


class SGD(_Optimizer):
    """SGD with (Nesterov) momentum and constant / invscaling / adaptive schedules.

    Parameters
    ----------
    n_params : int or tuple of int
        Length of the flat parameter vector, or the shape ``(R, P)`` of R
        stacked networks' parameters.
    dtype : dtype
        Dtype of the parameters.
    learning_rate_init : float or ndarray of shape (R,)
        Initial step size; stacked networks may have one each.
    lr_schedule : {"constant", "invscaling", "adaptive"}
        ``invscaling``: ``lr = lr0 / (t + 1) ** power_t`` with ``t`` the
        number of samples seen; ``adaptive``: divide by 5 whenever
        ``n_iter_no_change`` epochs fail to improve, stop below 1e-6.
        Per-network rates follow the schedule together.
    momentum : float
        Momentum coefficient.
    nesterov : bool
        Use Nesterov's momentum.
    power_t : float
        Exponent of ``invscaling``.
    """

    def __init__(
        self,
        n_params,
        dtype,
        learning_rate_init=0.1,
        lr_schedule="constant",
        momentum=0.9,
        nesterov=True,
        power_t=0.5,
    ):
        super().__init__(learning_rate_init)
        self.lr_schedule = lr_schedule
        self.momentum = momentum
        self.nesterov = nesterov
        self.power_t = power_t
        self.velocity = np.zeros(n_params, dtype=dtype)

    def update(self, params: np.ndarray, grad: np.ndarray) -> None:
        """One step: ``v = mu v - lr g``; ``params += v`` (or ``mu v - lr g``)."""
        if params.ndim != 1:
            self._update_stacked(params, grad)
            return
        v = self.velocity
        scal(self.momentum, v)
        axpy(grad, v, -self.learning_rate)
        if self.nesterov:
            axpy(v, params, self.momentum)
            axpy(grad, params, -self.learning_rate)
        else:
            axpy(v, params, 1.0)

    def _update_stacked(self, params: np.ndarray, grad: np.ndarray) -> None:
        """The step of :meth:`update` for (R, P) parameters, rates broadcast per row."""
        rate = np.asarray(self.learning_rate, dtype=params.dtype)
        # -lr, one per row: (-lr) g rounds exactly as -(lr g), so with
        # momentum 0 the step is params - lr g to the last bit.
        negative_rate = -rate.reshape(rate.shape + (1,) * (params.ndim - rate.ndim))
        v, mu = self.velocity, self.momentum
        if not mu:  # v = -lr g, two passes
            np.multiply(grad, negative_rate, v)
            params += v
            return
        step = np.multiply(grad, negative_rate, self._buffer(params))
        v *= mu
        v += step
        if self.nesterov:
            params += mu * v
            params += step
        else:
            params += v

    def keep(self, mask: np.ndarray) -> None:
        """Keep only the stacked networks where ``mask`` is True.

        Their velocities and learning rates are kept as they are, so the
        remaining networks continue exactly as if nothing was dropped.
        """
        self.velocity = self.velocity[mask]
        if np.ndim(self.learning_rate):
            self.learning_rate = self.learning_rate[mask]
        if np.ndim(self.learning_rate_init):
            self.learning_rate_init = np.asarray(self.learning_rate_init)[mask]
        self._scratch = None

    def iteration_ends(self, time_step: int) -> None:
        if self.lr_schedule == "invscaling":
            self.learning_rate = (
                _rate(self.learning_rate_init) / (time_step + 1) ** self.power_t
            )

    def trigger_stopping(self, msg: str, verbose: bool) -> bool:
        if self.lr_schedule != "adaptive":
            return super().trigger_stopping(msg, verbose)
        if np.all(self.learning_rate <= 1e-6):
            if verbose:
                print(msg + " Learning rate too small. Stopping.")
            return True
        # Not in place: an array returned by state() stays as it was.
        self.learning_rate = self.learning_rate / 5.0
        if verbose:
            rate = self.learning_rate
            shown = f"{rate:f}" if np.ndim(rate) == 0 else np.array2string(rate)
            print(msg + f" Setting learning rate to {shown}")
        return False

    def state(self) -> dict:
        """Plain-data state: ``learning_rate`` (float or ndarray) and ``velocity``."""
        return {"learning_rate": self.learning_rate, "velocity": self.velocity}

    def load_state(self, state: dict) -> None:
        """Restore what ``state`` returned (arrays are copied)."""
        self.learning_rate = _rate(state["learning_rate"])
        self.velocity = np.array(state["velocity"], dtype=self.velocity.dtype)


class Adam(_Optimizer):
    """Adam (Kingma & Ba, 2014) with scikit-learn's bias-corrected step size.

    Parameters
    ----------
    n_params : int
        Length of the flat parameter vector.
    dtype : dtype
        Dtype of the parameters.
    learning_rate_init : float
        Step size.
    beta_1, beta_2 : float
        Decay rates of the first and second moment estimates.
    epsilon : float
        Added to the root of the second moment.
    """

    def __init__(
        self,
        n_params,
        dtype,
        learning_rate_init=0.001,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
    ):
        super().__init__(learning_rate_init)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.t = 0
        self.m = np.zeros(n_params, dtype=dtype)
        self.v = np.zeros(n_params, dtype=dtype)

    def update(self, params: np.ndarray, grad: np.ndarray) -> None:
        """One Adam step, in place over the flat vector."""
        tmp = self._buffer(params)
        m, v = self.m, self.v
        self.t += 1
        scal(self.beta_1, m)
        axpy(grad, m, 1 - self.beta_1)
        np.multiply(grad, grad, out=tmp)
        scal(self.beta_2, v)
        axpy(tmp, v, 1 - self.beta_2)
        self.learning_rate = float(
            self.learning_rate_init
            * np.sqrt(1 - self.beta_2**self.t)
            / (1 - self.beta_1**self.t)
        )
        np.sqrt(v, out=tmp)
        tmp += self.epsilon
        np.divide(m, tmp, out=tmp)
        axpy(tmp, params, -self.learning_rate)

    def state(self) -> dict:
        """Plain-data state: step count, step size and the two moment vectors."""
        return {
            "t": self.t,
            "learning_rate": self.learning_rate,
            "m": self.m,
            "v": self.v,
        }

    def load_state(self, state: dict) -> None:
        """Restore what ``state`` returned (arrays are copied)."""
        self.t = int(state["t"])
        self.learning_rate = state["learning_rate"]
        self.m = np.array(state["m"], dtype=self.m.dtype)
        self.v = np.array(state["v"], dtype=self.v.dtype)


def make_optimizer(solver: str, n_params: int, dtype, **params) -> _Optimizer:
    """Build ``"sgd"`` or ``"adam"`` for a vector of ``n_params`` parameters."""
    if solver == "sgd":
        return SGD(n_params, dtype, **params)
    if solver == "adam":
        return Adam(n_params, dtype, **params)
    raise ValueError(f"unknown stochastic solver {solver!r}")
