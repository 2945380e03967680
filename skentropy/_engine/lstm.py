"""A batch-first LSTM layer over a flat parameter vector, with full BPTT.

Gates are stored side by side in one matrix, in the order ``[i, f, o, g]``
(input, forget, output gates, cell candidate), so the three sigmoid gates
are one contiguous block and one call activates them. With
``forget_gate=False`` the layer is the 1997 cell of Hochreiter & Schmidhuber
(input and output gates only, the cell state accumulates: ``c_t = c_{t-1} +
i * g``) and the gate order is ``[i, o, g]``.

Cost structure: the input projection of every time step is one matrix
product before the loop; each step then needs one ``h @ W_h`` for all gates
and a handful of in-place element-wise operations on preallocated buffers;
the backward pass forms the weight gradients as two matrix products after
its loop.
"""

import numpy as np

from .activations import logistic

__all__ = ["LSTM", "LSTMCache"]


class LSTMCache:
    """What the backward pass needs from a forward pass (all preallocated)."""

    def __init__(self, n, steps, n_inputs, hidden, n_gates, dtype):
        self.x = None
        self.gates = np.empty((n, steps, n_gates * hidden), dtype=dtype)
        # hidden[:, t + 1] and cell[:, t + 1] hold h_t and c_t; index 0 is the
        # zero initial state.
        self.hidden = np.zeros((n, steps + 1, hidden), dtype=dtype)
        self.cell = np.zeros((n, steps + 1, hidden), dtype=dtype)
        self.tanh_cell = np.empty((n, steps, hidden), dtype=dtype)

    @property
    def outputs(self) -> np.ndarray:
        """Hidden states ``h_1 ... h_T``, shape (n, T, hidden) (a view)."""
        return self.hidden[:, 1:]


class LSTM:
    """LSTM layer whose weights are views into a flat parameter vector.

    Parameters
    ----------
    n_inputs : int
        Input channels per time step.
    hidden : int
        Number of cells (hidden units).
    offset : int
        Start of the layer's block in the flat parameter vector; the block
        holds ``W_x`` (n_inputs x G*hidden), ``W_h`` (hidden x G*hidden)
        and the bias (G*hidden), G = 4 with a forget gate, 3 without.
    forget_gate : bool, default=True
        Modern cell (True) or the 1997 cell without forget gate (False).
    """

    def __init__(
        self, n_inputs: int, hidden: int, offset: int = 0, forget_gate: bool = True
    ):
        self.n_inputs = n_inputs
        self.hidden = hidden
        self.forget_gate = forget_gate
        self.n_gates = 4 if forget_gate else 3
        width = self.n_gates * hidden
        self.width = width
        self.input_slice = slice(offset, offset + n_inputs * width)
        self.recurrent_slice = slice(
            self.input_slice.stop, self.input_slice.stop + hidden * width
        )
        self.bias_slice = slice(
            self.recurrent_slice.stop, self.recurrent_slice.stop + width
        )
        self.n_params = self.bias_slice.stop - offset
        # Column blocks of the gate matrix.
        h = hidden
        self.sigmoid_cols = slice(0, (self.n_gates - 1) * h)
        self.i_cols = slice(0, h)
        self.f_cols = slice(h, 2 * h) if forget_gate else None
        self.o_cols = slice(2 * h, 3 * h) if forget_gate else slice(h, 2 * h)
        self.g_cols = slice((self.n_gates - 1) * h, self.n_gates * h)

    # -- weights ----------------------------------------------------------
    def input_weight(self, params: np.ndarray) -> np.ndarray:
        """View of ``W_x`` (n_inputs x G*hidden)."""
        return params[self.input_slice].reshape(self.n_inputs, self.width)

    def recurrent_weight(self, params: np.ndarray) -> np.ndarray:
        """View of ``W_h`` (hidden x G*hidden)."""
        return params[self.recurrent_slice].reshape(self.hidden, self.width)

    def bias(self, params: np.ndarray) -> np.ndarray:
        """View of the gate biases (G*hidden)."""
        return params[self.bias_slice]

    def init_params(self, params: np.ndarray, rng: np.random.RandomState) -> None:
        """Uniform(-1/sqrt(hidden), 1/sqrt(hidden)) weights, as PyTorch draws them.

        With a forget gate its bias starts at 1 (remember by default).
        """
        bound = 1.0 / np.sqrt(self.hidden)
        block = slice(self.input_slice.start, self.bias_slice.stop)
        params[block] = rng.uniform(-bound, bound, self.n_params)
        if self.forget_gate:
            self.bias(params)[self.f_cols] = 1.0

    # -- passes -----------------------------------------------------------
    def forward(
        self, params: np.ndarray, x: np.ndarray, cache: LSTMCache | None = None
    ) -> LSTMCache:
        """Run the sequence ``x`` (n, T, n_inputs); returns the cache (``.outputs``)."""
        n, steps, _ = x.shape
        if cache is None or cache.gates.shape[:2] != (n, steps):
            cache = LSTMCache(
                n, steps, self.n_inputs, self.hidden, self.n_gates, params.dtype
            )
        cache.x = x
        gates = cache.gates
        # Input projection of every step in one product.
        np.matmul(
            x.reshape(n * steps, -1),
            self.input_weight(params),
            out=gates.reshape(n * steps, -1),
        )
        gates += self.bias(params)
        w_h = self.recurrent_weight(params)
        hidden, cell, tanh_cell = cache.hidden, cache.cell, cache.tanh_cell
        recurrent = np.empty((n, self.width), dtype=params.dtype)
        for t in range(steps):
            z = gates[:, t]
            if t:  # h_0 = 0: no recurrent term at the first step
                np.matmul(hidden[:, t], w_h, out=recurrent)
                z += recurrent
            logistic(z[:, self.sigmoid_cols])
            np.tanh(z[:, self.g_cols], out=z[:, self.g_cols])
            c = cell[:, t + 1]
            np.multiply(z[:, self.i_cols], z[:, self.g_cols], out=c)
            if self.forget_gate:
                c += z[:, self.f_cols] * cell[:, t]
            else:
                c += cell[:, t]
            np.tanh(c, out=tanh_cell[:, t])
            np.multiply(z[:, self.o_cols], tanh_cell[:, t], out=hidden[:, t + 1])
        return cache

    def backward(
        self,
        params: np.ndarray,
        cache: LSTMCache,
        grad_outputs: np.ndarray,
        grad: np.ndarray,
        *,
        scale: float = 1.0,
        input_grad: bool = True,
    ) -> np.ndarray | None:
        """Backpropagate through time.

        ``grad_outputs`` (n, T, hidden) is dL/dh_t for every step (zeros
        where the loss does not read the step). Writes dL/d(weights) divided
        by ``scale`` into the layer's slices of ``grad`` and returns
        dL/dx (n, T, n_inputs), or None with ``input_grad=False`` (a first
        layer needs none).
        """
        x, gates = cache.x, cache.gates
        n, steps, _ = x.shape
        h = self.hidden
        w_h = self.recurrent_weight(params)
        dz = np.empty_like(gates)
        dh_next = np.zeros((n, h), dtype=gates.dtype)
        dc_next = np.zeros((n, h), dtype=gates.dtype)
        for t in range(steps - 1, -1, -1):
            z = gates[:, t]
            i, o, g = z[:, self.i_cols], z[:, self.o_cols], z[:, self.g_cols]
            tc = cache.tanh_cell[:, t]
            dh = grad_outputs[:, t] + dh_next
            d = dz[:, t]
            # Output gate: d o = dh * tanh(c), through its sigmoid.
            np.multiply(dh, tc, out=d[:, self.o_cols])
            # Cell: dc = dc_next + dh * o * (1 - tanh(c)^2).
            dc = dh * o
            dc *= 1 - tc * tc
            dc += dc_next
            np.multiply(dc, g, out=d[:, self.i_cols])
            np.multiply(dc, i, out=d[:, self.g_cols])
            d[:, self.g_cols] *= 1 - g * g
            if self.forget_gate:
                f = z[:, self.f_cols]
                np.multiply(dc, cache.cell[:, t], out=d[:, self.f_cols])
                np.multiply(dc, f, out=dc_next)
            else:
                dc_next = dc
            # The sigmoid gates share one derivative pass: s * (1 - s).
            sig = z[:, self.sigmoid_cols]
            d[:, self.sigmoid_cols] *= sig * (1 - sig)
            if t:
                np.matmul(d, w_h.T, out=dh_next)
        flat_dz = dz.reshape(n * steps, -1)
        grad_wx = self.input_weight(grad)
        np.matmul(x.reshape(n * steps, -1).T, flat_dz, out=grad_wx)
        grad_wx /= scale
        grad_wh = self.recurrent_weight(grad)
        np.matmul(cache.hidden[:, :-1].reshape(n * steps, h).T, flat_dz, out=grad_wh)
        grad_wh /= scale
        grad_b = self.bias(grad)
        np.sum(flat_dz, axis=0, out=grad_b)
        grad_b /= scale
        if not input_grad:
            return None
        return (flat_dz @ self.input_weight(params).T).reshape(n, steps, -1)
