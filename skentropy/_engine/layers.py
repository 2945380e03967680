"""Layers that read their weights from a flat parameter vector.

A layer owns no arrays: it knows where its weights sit in the network's flat
parameter vector and takes views of whatever vector it is given, so the same
layer object serves the optimizer's vector, an L-BFGS iterate or a
finite-difference probe without copies.

A parameter array of shape (R, P) stacks R networks: the views gain a
leading R axis and the layer maps inputs (R, m, fan_in) to (R, m, fan_out),
one network per leading index (used to run many restarts in lockstep).
"""

import numpy as np
import scipy.sparse as sp

from ._blas import ones

__all__ = ["Dense"]


class Dense:
    """Affine layer ``x @ W + b`` with ``W`` of shape (fan_in, fan_out).

    Parameters
    ----------
    fan_in, fan_out : int
        Input and output widths.
    weight_offset, bias_offset : int
        Start of ``W`` (row-major) and of ``b`` in the flat parameter vector.
    """

    def __init__(self, fan_in: int, fan_out: int, weight_offset: int, bias_offset: int):
        self.fan_in = fan_in
        self.fan_out = fan_out
        self.weight_slice = slice(weight_offset, weight_offset + fan_in * fan_out)
        self.bias_slice = slice(bias_offset, bias_offset + fan_out)

    def weight(self, params: np.ndarray) -> np.ndarray:
        """View of ``W`` inside ``params`` (leading R axis when stacked)."""
        shape = (self.fan_in, self.fan_out)
        if params.ndim > 1:
            shape = (*params.shape[:-1], *shape)
        return params[..., self.weight_slice].reshape(shape)

    def bias(self, params: np.ndarray) -> np.ndarray:
        """View of ``b`` inside ``params`` (leading R axis when stacked)."""
        return params[..., self.bias_slice]

    def forward(
        self, params: np.ndarray, x, out: np.ndarray | None = None
    ) -> np.ndarray:
        """Return ``x @ W + b``, written into ``out`` when given.

        ``x`` may be a dense array or a scipy sparse matrix (first layer).
        """
        weight = self.weight(params)
        if params.ndim > 1:
            out = np.matmul(x, weight, out=out)
            out += self.bias(params)[..., None, :]
            return out
        if sp.issparse(x):
            product = x @ weight
            if out is None:
                out = product
            else:
                out[...] = product
        elif out is None:
            out = x @ weight
        else:
            np.matmul(x, weight, out=out)
        out += self.bias(params)
        return out

    def backward(
        self,
        params: np.ndarray,
        x,
        delta: np.ndarray,
        grad: np.ndarray,
        *,
        alpha: float = 0.0,
        scale: float = 1.0,
    ) -> None:
        """Write ``(x.T @ delta + alpha W) / scale`` and ``sum(delta) / scale``.

        ``delta`` is dL/d(output of this layer) summed over the batch (not
        yet divided by ``scale``); the results go into the layer's slices of
        the flat gradient ``grad``.
        """
        grad_weight = self.weight(grad)
        if params.ndim > 1:
            np.matmul(x.swapaxes(-1, -2), delta, out=grad_weight)
            if alpha:
                grad_weight += alpha * self.weight(params)
            grad_weight /= scale
            grad_bias = self.bias(grad)
            np.matmul(ones(delta.shape[-2], delta.dtype), delta, out=grad_bias)
            grad_bias /= scale
            return
        if sp.issparse(x):
            grad_weight[...] = x.T @ delta
        else:
            np.matmul(x.T, delta, out=grad_weight)
        if alpha:
            grad_weight += alpha * self.weight(params)
        grad_bias = self.bias(grad)
        # The column sums as a matrix-vector product: BLAS reads ``delta``
        # once, several times faster than ``np.add.reduce(delta, axis=0)``.
        np.matmul(ones(delta.shape[0], delta.dtype), delta, out=grad_bias)
        if scale != 1:
            grad_weight /= scale
            grad_bias /= scale

    def input_delta(
        self, params: np.ndarray, delta: np.ndarray, out: np.ndarray
    ) -> np.ndarray:
        """Return dL/d(input) ``delta @ W.T`` written into ``out``."""
        return np.matmul(delta, self.weight(params).swapaxes(-1, -2), out=out)
