"""Stochastic optimizers over a flat parameter vector.

An optimizer receives the parameters and the gradient at every ``update``
and never keeps a reference to the parameters (the bug behind
scikit-learn#19626). Its state is a dict of arrays and numbers
(``state`` / ``from_state``), so an estimator can store it as plain fitted
state, pickle it and resume ``partial_fit``.

The arithmetic is scikit-learn's (``_stochastic_optimizers.py``) done in
place over one vector with BLAS ``axpy`` / ``scal``: no per-array
temporaries and three fewer passes over the parameters per Adam step. The
fused multiply-adds round differently from NumPy's separate products, so
results agree with ``MLPClassifier`` to round-off, not bit for bit.
"""

import numpy as np

from ._blas import axpy, scal

__all__ = ["SGD", "Adam", "make_optimizer"]


class _Optimizer:
    """Shared learning-rate bookkeeping."""

    def __init__(self, learning_rate_init: float):
        self.learning_rate_init = learning_rate_init
        self.learning_rate = float(learning_rate_init)

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
    n_params : int
        Length of the flat parameter vector.
    dtype : dtype
        Dtype of the parameters.
    learning_rate_init : float
        Initial step size.
    lr_schedule : {"constant", "invscaling", "adaptive"}
        ``invscaling``: ``lr = lr0 / (t + 1) ** power_t`` with ``t`` the
        number of samples seen; ``adaptive``: divide by 5 whenever
        ``n_iter_no_change`` epochs fail to improve, stop below 1e-6.
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
        v = self.velocity
        scal(self.momentum, v)
        axpy(grad, v, -self.learning_rate)
        if self.nesterov:
            axpy(v, params, self.momentum)
            axpy(grad, params, -self.learning_rate)
        else:
            axpy(v, params, 1.0)

    def iteration_ends(self, time_step: int) -> None:
        if self.lr_schedule == "invscaling":
            self.learning_rate = (
                float(self.learning_rate_init) / (time_step + 1) ** self.power_t
            )

    def trigger_stopping(self, msg: str, verbose: bool) -> bool:
        if self.lr_schedule != "adaptive":
            return super().trigger_stopping(msg, verbose)
        if self.learning_rate <= 1e-6:
            if verbose:
                print(msg + " Learning rate too small. Stopping.")
            return True
        self.learning_rate /= 5.0
        if verbose:
            print(msg + f" Setting learning rate to {self.learning_rate:f}")
        return False

    def state(self) -> dict:
        """Plain-data state: ``{"learning_rate": float, "velocity": ndarray}``."""
        return {"learning_rate": self.learning_rate, "velocity": self.velocity}

    def load_state(self, state: dict) -> None:
        """Restore what ``state`` returned (arrays are copied)."""
        self.learning_rate = state["learning_rate"]
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
