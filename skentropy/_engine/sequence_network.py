"""An LSTM followed by a dense output layer read at the last time step.

Flat parameter layout: the LSTM block, then the output weights, then the
output biases. The loss sees the output-layer logits of the last step, so
any loss of the ``LOSSES`` table (cross entropy with a softmax, squared
error or error entropy with a logistic output) trains the whole stack.
"""

from collections.abc import Callable

import numpy as np

from .layers import Dense
from .lstm import LSTM, LSTMCache

__all__ = ["SequenceClassifierNetwork"]


class SequenceClassifierNetwork:
    """LSTM(n_inputs -> hidden) + Dense(hidden -> n_outputs) on ``h_T``.

    Parameters
    ----------
    n_inputs : int
        Channels per time step.
    hidden : int
        LSTM cells.
    n_outputs : int
        Output units.
    output : str
        Output activation (``"softmax"`` or ``"logistic"``), applied by the loss.
    forget_gate : bool, default=True
        Modern cell, or the 1997 cell without forget gate.
    """

    def __init__(self, n_inputs, hidden, n_outputs, output, forget_gate=True):
        self.lstm = LSTM(n_inputs, hidden, offset=0, forget_gate=forget_gate)
        start = self.lstm.n_params
        self.dense = Dense(hidden, n_outputs, start, start + hidden * n_outputs)
        self.n_params = start + hidden * n_outputs + n_outputs
        self.output = output
        self.n_outputs = n_outputs
        # Buffers of the last pass, reused while the batch shape repeats
        # (online training would otherwise allocate them for every sequence).
        self._cache = None

    def init_params(self, rng: np.random.RandomState, dtype) -> np.ndarray:
        """LSTM weights as PyTorch draws them; output layer Glorot-uniform."""
        params = np.zeros(self.n_params, dtype=dtype)
        self.lstm.init_params(params, rng)
        fan_in, fan_out = self.dense.fan_in, self.dense.fan_out
        bound = np.sqrt(6.0 / (fan_in + fan_out))
        self.dense.weight(params)[...] = rng.uniform(-bound, bound, (fan_in, fan_out))
        return params

    def weight_mask(self) -> np.ndarray:
        """Which flat entries are weights (penalised by L2), not biases."""
        mask = np.ones(self.n_params, dtype=bool)
        mask[self.lstm.bias_slice] = False
        mask[self.dense.bias_slice] = False
        return mask

    def logits(self, params: np.ndarray, x: np.ndarray) -> np.ndarray:
        """Output pre-activations at the last step, shape (n, n_outputs)."""
        self._cache = self.lstm.forward(params, x, self._cache)
        return self.dense.forward(params, self._cache.outputs[:, -1])

    def loss_grad(
        self,
        params: np.ndarray,
        x: np.ndarray,
        y: np.ndarray,
        grad: np.ndarray,
        loss: Callable,
        *,
        sample_weight: np.ndarray | None = None,
        alpha: float = 0.0,
        loss_params: dict | None = None,
        cache: LSTMCache | None = None,
        weight_mask: np.ndarray | None = None,
    ) -> float:
        """Batch loss (weighted mean + L2 term); its gradient goes into ``grad``.

        The L2 term is ``alpha/2 |W|^2 / sum w`` over weights, not biases.
        """
        n = x.shape[0]
        cache = self.lstm.forward(params, x, self._cache if cache is None else cache)
        self._cache = cache
        last = cache.outputs[:, -1]
        z = self.dense.forward(params, last)
        value, delta = loss(y, z, self.output, sample_weight, **(loss_params or {}))
        scale = n if sample_weight is None else float(sample_weight.sum())
        self.dense.backward(params, last, delta, grad, scale=scale)
        # The loss reads h_T only: pass dL/dh_T alone.
        grad_last = self.dense.input_delta(params, delta, out=np.empty_like(last))
        self.lstm.backward(
            params, cache, grad_last, grad, scale=scale, input_grad=False
        )
        if alpha:
            mask = self.weight_mask() if weight_mask is None else weight_mask
            weights = params[mask]
            value += 0.5 * alpha * float(weights @ weights) / scale
            grad[mask] += (alpha / scale) * weights
        return value

    def loss_value(
        self, params, x, y, loss, *, sample_weight=None, alpha=0.0, loss_params=None
    ):
        """The objective of :meth:`loss_grad` without the backward pass."""
        z = self.logits(params, x)
        value, _ = loss(
            y, z, self.output, sample_weight, need_delta=False, **(loss_params or {})
        )
        scale = x.shape[0] if sample_weight is None else float(sample_weight.sum())
        if alpha:
            weights = params[self.weight_mask()]
            value += 0.5 * alpha * float(weights @ weights) / scale
        return value
