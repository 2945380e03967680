"""A stack of dense layers over one flat parameter vector.

Layout of the flat vector: every layer's weight matrix (row-major), layer by
layer, then every layer's bias. It is scikit-learn's ``_pack`` layout, which
keeps L-BFGS iterates identical to ``MLPClassifier``'s.
"""

from collections.abc import Callable

import numpy as np
import scipy.sparse as sp

from .activations import ACTIVATIONS, DERIVATIVES
from .layers import Dense

__all__ = ["FeedForwardNetwork", "Workspace", "batch_objective", "forward_logits"]


def forward_logits(coefs, intercepts, activation: str, x) -> np.ndarray:
    """Output pre-activations of a dense stack given its weight and bias lists.

    Allocates fresh arrays: this is the prediction path, which must neither
    cache on nor write into the (possibly read-only) fitted weights.
    """
    hidden = ACTIVATIONS[activation]
    a = x
    last = len(coefs) - 1
    for i, (weight, bias) in enumerate(zip(coefs, intercepts, strict=True)):
        a = x @ weight if i == 0 else a @ weight
        a += bias
        if i < last:
            hidden(a)
    return a


class Workspace:
    """Preallocated forward/backward buffers for batches of up to ``n_rows``.

    Buffers are reused across batches; a smaller batch uses their leading rows.
    """

    def __init__(self, layer_units, n_rows: int, dtype):
        self.n_rows = n_rows
        # outputs[i] holds the activated output of layer i (logits for the last).
        self.outputs = [
            np.empty((n_rows, units), dtype=dtype) for units in layer_units[1:]
        ]
        # deltas[i] holds dL/d(pre-activation of layer i) for the hidden layers.
        self.deltas = [
            np.empty((n_rows, units), dtype=dtype) for units in layer_units[1:-1]
        ]


class FeedForwardNetwork:
    """Fully connected network: hidden activation everywhere, output activation last.

    Parameters
    ----------
    layer_units : sequence of int
        ``[n_features, hidden_1, ..., n_outputs]``.
    activation : str
        Hidden activation, a key of ``ACTIVATIONS``.
    output : str
        Output activation, a key of ``ACTIVATIONS``; the loss applies it.
    """

    def __init__(self, layer_units, activation: str, output: str):
        self.layer_units = tuple(int(u) for u in layer_units)
        self.activation = activation
        self.output = output
        sizes = list(zip(self.layer_units[:-1], self.layer_units[1:], strict=True))
        n_weights = sum(a * b for a, b in sizes)
        self.n_weights = n_weights
        self.layers = []
        w_offset, b_offset = 0, n_weights
        for fan_in, fan_out in sizes:
            self.layers.append(Dense(fan_in, fan_out, w_offset, b_offset))
            w_offset += fan_in * fan_out
            b_offset += fan_out
        self.n_params = b_offset

    # -- parameters -----------------------------------------------------
    def init_params(self, rng: np.random.RandomState, dtype) -> np.ndarray:
        """Glorot-uniform initialisation, drawn exactly as scikit-learn's MLP draws it.

        For each layer in turn: ``W ~ U(-b, b)`` then ``bias ~ U(-b, b)`` with
        ``b = sqrt(f / (fan_in + fan_out))``, ``f = 2`` for logistic hidden
        units and 6 otherwise.
        """
        factor = 2.0 if self.activation == "logistic" else 6.0
        params = np.empty(self.n_params, dtype=dtype)
        for layer in self.layers:
            bound = np.sqrt(factor / (layer.fan_in + layer.fan_out))
            weight = rng.uniform(-bound, bound, (layer.fan_in, layer.fan_out))
            bias = rng.uniform(-bound, bound, layer.fan_out)
            layer.weight(params)[...] = weight
            layer.bias(params)[...] = bias
        return params

    def unpack(self, params: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Lists of weight and bias views into ``params``."""
        return (
            [layer.weight(params) for layer in self.layers],
            [layer.bias(params) for layer in self.layers],
        )

    def pack(self, coefs, intercepts, dtype=None) -> np.ndarray:
        """Flat vector from lists of weights and biases (a fresh copy)."""
        parts = [np.ravel(c) for c in coefs] + [np.ravel(b) for b in intercepts]
        flat = np.concatenate(parts)
        if flat.size != self.n_params:
            raise ValueError(
                f"expected {self.n_params} parameters for layer sizes "
                f"{self.layer_units}, got {flat.size}"
            )
        return flat.astype(dtype or flat.dtype, copy=False)

    def l2_penalty(self, params: np.ndarray) -> float:
        """Sum of squared weights (biases excluded), accumulated layer by layer."""
        total = 0
        for layer in self.layers:
            w = params[layer.weight_slice]
            total += np.dot(w, w)
        return total

    # -- passes ---------------------------------------------------------
    def logits(self, params: np.ndarray, x) -> np.ndarray:
        """Output pre-activations for ``x`` (fresh arrays, nothing cached)."""
        coefs, intercepts = self.unpack(params)
        return forward_logits(coefs, intercepts, self.activation, x)

    def loss_value(
        self,
        params: np.ndarray,
        x,
        y: np.ndarray,
        loss: Callable,
        *,
        sample_weight: np.ndarray | None = None,
        alpha: float = 0.0,
        loss_params: dict | None = None,
    ) -> float:
        """The objective of :meth:`loss_grad` without the backward pass."""
        z = self.logits(params, x)
        value, _ = loss(
            y, z, self.output, sample_weight, need_delta=False, **(loss_params or {})
        )
        scale = x.shape[0] if sample_weight is None else sample_weight.sum()
        return value + (0.5 * alpha) * self.l2_penalty(params) / scale

    def workspace(self, n_rows: int, dtype) -> Workspace:
        """Buffers for batches of up to ``n_rows`` samples."""
        return Workspace(self.layer_units, n_rows, dtype)

    def loss_grad(
        self,
        params: np.ndarray,
        x,
        y: np.ndarray,
        grad: np.ndarray,
        loss: Callable,
        *,
        sample_weight: np.ndarray | None = None,
        alpha: float = 0.0,
        workspace: Workspace | None = None,
        loss_params: dict | None = None,
    ) -> float:
        """Loss (weighted mean plus L2) of one batch; its gradient goes into ``grad``.

        The L2 term is ``alpha / 2 * sum(W**2) / sum(sample_weight)``, as in
        scikit-learn, so that mini-batch and full-batch objectives agree.
        """
        n = x.shape[0]
        if workspace is None or workspace.n_rows < n:
            workspace = self.workspace(n, grad.dtype)
        outputs = [buf[:n] for buf in workspace.outputs]
        hidden = ACTIVATIONS[self.activation]
        last = len(self.layers) - 1
        a = x
        for i, layer in enumerate(self.layers):
            a = layer.forward(params, a, out=outputs[i])
            if i < last:
                hidden(a)
        value, delta = loss(
            y, outputs[last], self.output, sample_weight, **(loss_params or {})
        )
        scale = n if sample_weight is None else sample_weight.sum()
        value += (0.5 * alpha) * self.l2_penalty(params) / scale

        derivative = DERIVATIVES[self.activation]
        for i in range(last, -1, -1):
            layer_input = x if i == 0 else outputs[i - 1]
            layer = self.layers[i]
            layer.backward(params, layer_input, delta, grad, alpha=alpha, scale=scale)
            if i > 0:
                delta = layer.input_delta(params, delta, workspace.deltas[i - 1][:n])
                derivative(outputs[i - 1], delta)
        return value


def _take_rows(x, rows, buffer):
    """Rows of ``x``: a view for a slice, a gather into ``buffer`` otherwise."""
    if isinstance(rows, slice) or x is None:
        return None if x is None else x[rows]
    if sp.issparse(x):
        return x[rows]
    return np.take(x, rows, axis=0, out=buffer[: len(rows)])


def batch_objective(
    network: FeedForwardNetwork,
    x,
    y: np.ndarray,
    loss: Callable,
    *,
    sample_weight: np.ndarray | None = None,
    alpha: float = 0.0,
    batch_size: int,
    loss_params: dict | None = None,
) -> Callable[[np.ndarray, slice | np.ndarray, np.ndarray], float]:
    """``objective(params, rows, grad) -> loss`` over batches of ``(x, y)``.

    Gathered rows go into preallocated buffers; nothing in ``x`` or ``y`` is
    written.
    """
    dtype = x.dtype
    workspace = network.workspace(batch_size, dtype)
    x_buf = (
        None if sp.issparse(x) else np.empty((batch_size, x.shape[1]), dtype=x.dtype)
    )
    y_buf = np.empty((batch_size, y.shape[1]), dtype=y.dtype)
    w_buf = (
        None
        if sample_weight is None
        else np.empty(batch_size, dtype=sample_weight.dtype)
    )

    def objective(params, rows, grad):
        return network.loss_grad(
            params,
            _take_rows(x, rows, x_buf),
            _take_rows(y, rows, y_buf),
            grad,
            loss,
            sample_weight=_take_rows(sample_weight, rows, w_buf),
            alpha=alpha,
            workspace=workspace,
            loss_params=loss_params,
        )

    return objective
