"""The network interface of the engine, and the feed-forward network.

Every network of the engine (:class:`FeedForwardNetwork` here, the sequence
networks of :mod:`.sequence_network`) implements :class:`Network`: one flat
parameter vector, logits for a batch, and the batch loss with its gradient
written into a caller's vector. The training loops, :func:`batch_objective`,
L-BFGS and the estimators' base class rely on nothing else.

Conventions shared by all networks:

- ``loss`` is an entry of :data:`~.losses.LOSSES`, called as
  ``loss(y, z, network.output, sample_weight, **loss_params)``; the loss
  applies the output activation.
- The objective is the sample-weighted mean loss plus the L2 term
  ``alpha / 2 * sum(W**2) / sum(sample_weight)`` over the weights of
  :meth:`Network.weight_slices` (biases excluded), as in scikit-learn, so
  mini-batch and full-batch objectives agree. Every layer adds
  ``alpha * W`` to its weight gradient before the division by the sample
  weight sum: the one way L2 is applied.
- Buffers are explicit: ``network.buffers(n_rows, dtype)`` makes the
  reusable forward/backward buffers for batches of up to ``n_rows`` rows,
  and ``loss_grad(..., buffers=...)`` uses them; a network keeps no hidden
  state between calls.

Layout of the feed-forward flat vector: every layer's weight matrix
(row-major), layer by layer, then every layer's bias. It is scikit-learn's
``_pack`` layout, which keeps L-BFGS iterates identical to
``MLPClassifier``'s.
"""

from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

import numpy as np
import scipy.sparse as sp

from .activations import ACTIVATIONS, DERIVATIVES
from .layers import Dense

__all__ = [
    "FeedForwardBuffers",
    "FeedForwardNetwork",
    "Network",
    "NetworkBase",
    "batch_objective",
    "forward_logits",
    "l2_penalty",
]

Objective = Callable[[np.ndarray, slice | np.ndarray, np.ndarray], float]


@runtime_checkable
class Network(Protocol):
    """What the training loops and the estimators need of a network.

    Attributes
    ----------
    n_params : int
        Length of the flat parameter vector.
    output : str
        Output activation, a key of ``ACTIVATIONS``; the loss applies it.
    architecture : tuple
        Plain-data description of the shapes (equal architectures accept
        each other's parameters: the warm-start check compares it).
    """

    n_params: int
    output: str
    architecture: tuple

    def init_params(self, rng: np.random.RandomState, dtype) -> np.ndarray:
        """A fresh flat parameter vector drawn from ``rng``."""

    def weight_slices(self) -> list[slice]:
        """Slices of the flat vector that L2 penalises (the weights, in order)."""

    def weight_mask(self) -> np.ndarray:
        """Boolean mask over the flat vector, True on :meth:`weight_slices`."""

    def buffers(self, n_rows: int, dtype) -> Any:
        """Reusable forward/backward buffers for batches of up to ``n_rows``."""

    def logits(self, params: np.ndarray, x) -> np.ndarray:
        """Output pre-activations for ``x`` (fresh arrays, nothing cached)."""

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
        loss_params: dict | None = None,
        buffers: Any = None,
    ) -> float:
        """Batch objective; its gradient (w.r.t. ``params``) goes into ``grad``."""


def l2_penalty(params: np.ndarray, weight_slices) -> float:
    """``sum(W**2)`` over the weight slices, accumulated slice by slice.

    The accumulation order is scikit-learn's (one dot product per layer), so
    loss curves agree with ``MLPClassifier`` to the last bit.
    """
    total = 0
    for block in weight_slices:
        w = params[block]
        total += np.dot(w, w)
    return total


def mask_of(n_params: int, weight_slices) -> np.ndarray:
    """Boolean mask of length ``n_params``, True on ``weight_slices``."""
    mask = np.zeros(n_params, dtype=bool)
    for block in weight_slices:
        mask[block] = True
    return mask


def sample_scale(x, sample_weight: np.ndarray | None) -> float:
    """The divisor of the objective: the batch size or the weight sum."""
    return x.shape[0] if sample_weight is None else sample_weight.sum()


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


class NetworkBase:
    """The objective every network shares: forward, loss, L2 term, backward.

    A subclass implements :class:`Network`'s parameter methods plus three
    steps, and inherits :meth:`loss_value` and :meth:`loss_grad`:

    - ``forward(params, x, buffers) -> z``: the logits in the loss's row
      layout, kept in ``buffers`` for the backward pass;
    - ``_rows(x, y, sample_weight) -> (y, weight, scale)``: the targets and
      weights in that row layout and the objective's divisor;
    - ``backward(params, delta, grad, buffers, *, alpha, scale)``: the
      gradient of the last forward pass, each layer adding ``alpha * W``
      to its weight gradient before dividing by ``scale``.

    Stacked parameters (R, P) give one objective per network.
    """

    def weight_mask(self) -> np.ndarray:
        """True on the weights of :meth:`weight_slices`, False elsewhere."""
        return mask_of(self.n_params, self.weight_slices())

    def l2_penalty(self, params: np.ndarray) -> float | np.ndarray:
        """``sum(W**2)`` over the weights; one per network for stacked params."""
        if params.ndim == 1:
            return l2_penalty(params, self.weight_slices())
        total = 0
        for block in self.weight_slices():
            w = params[..., block]
            total = total + np.einsum("...k,...k->...", w, w)
        return total

    def _rows(self, x, y, sample_weight):
        """Targets and weights in the loss's row layout, and the divisor."""
        return y, sample_weight, sample_scale(x, sample_weight)

    def _objective(self, z, y, weight, loss, loss_params, models, need_delta):
        """Loss value(s) and dL/dz, network by network when stacked."""
        params = loss_params or {}
        if not models:
            return loss(y, z, self.output, weight, need_delta=need_delta, **params)
        values = np.empty(models)
        delta = np.empty_like(z) if need_delta else None
        for r in np.ndindex(models):
            values[r], d = loss(
                y, z[r], self.output, weight, need_delta=need_delta, **params
            )
            if need_delta:
                delta[r] = d
        return values, delta

    def _with_l2(self, value, params, alpha, scale):
        """The value plus the L2 term (skipped for ``alpha = 0``: online
        training pays for every small call)."""
        if not alpha:
            return value
        return value + (0.5 * alpha) * self.l2_penalty(params) / scale

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
    ) -> float | np.ndarray:
        """The objective of :meth:`loss_grad` without the backward pass."""
        z = self.forward(params, x, self.buffers(x.shape[0], params.dtype))
        y, weight, scale = self._rows(x, y, sample_weight)
        models = params.shape[:-1]
        value, _ = self._objective(z, y, weight, loss, loss_params, models, False)
        return self._with_l2(value, params, alpha, scale)

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
        loss_params: dict | None = None,
        buffers: Any = None,
    ) -> float | np.ndarray:
        """Objective of one batch (weighted mean loss plus L2); gradient into ``grad``.

        The L2 term is ``alpha / 2 * sum(W**2) / sum(sample_weight)``, as in
        scikit-learn, so that mini-batch and full-batch objectives agree.

        Parameters
        ----------
        params : ndarray of shape (P,) or (R, P)
            Flat parameters, or R stacked networks (then every network's
            objective is returned, and its gradient goes into its row).
        x : array-like
            The batch's inputs (rows, or sequences).
        y : ndarray
            The batch's targets.
        grad : ndarray, shaped like ``params``
            Receives the gradient.
        loss : callable
            An entry of ``LOSSES``.
        sample_weight : ndarray, default=None
            Weights of the rows (of the steps, for per-step read-outs).
        alpha : float, default=0.0
            L2 coefficient.
        loss_params : dict, default=None
            Keyword arguments of the loss.
        buffers : object, default=None
            Reusable buffers from :meth:`buffers` (made for this call when
            None).

        Returns
        -------
        value : float, or ndarray of shape (R,) when stacked
        """
        if buffers is None:
            buffers = self.buffers(x.shape[0], grad.dtype)
        z = self.forward(params, x, buffers)
        y, weight, scale = self._rows(x, y, sample_weight)
        models = params.shape[:-1]
        value, delta = self._objective(z, y, weight, loss, loss_params, models, True)
        value = self._with_l2(value, params, alpha, scale)
        self.backward(params, delta, grad, buffers, alpha=alpha, scale=scale)
        return value


class FeedForwardBuffers:
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
        self.x = None  # the input of the last forward pass


class FeedForwardNetwork(NetworkBase):
    """Fully connected network: hidden activation everywhere, output activation last.

    Implements :class:`Network`.

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
        self.architecture = ("feed-forward", self.layer_units)
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

    def weight_slices(self) -> list[slice]:
        """Each layer's weight matrix (biases are not penalised)."""
        return [layer.weight_slice for layer in self.layers]

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

    # -- passes ---------------------------------------------------------
    def logits(self, params: np.ndarray, x) -> np.ndarray:
        """Output pre-activations for ``x`` (fresh arrays, nothing cached)."""
        coefs, intercepts = self.unpack(params)
        return forward_logits(coefs, intercepts, self.activation, x)

    def buffers(self, n_rows: int, dtype) -> FeedForwardBuffers:
        """Buffers for batches of up to ``n_rows`` samples."""
        return FeedForwardBuffers(self.layer_units, n_rows, dtype)

    def _with_l2(self, value, params, alpha, scale):
        # Added even for alpha = 0, as scikit-learn's MLP does: weights whose
        # squares overflow then make the loss NaN, a diverged fit, there and
        # here alike.
        return value + (0.5 * alpha) * self.l2_penalty(params) / scale

    def forward(self, params: np.ndarray, x, buffers: FeedForwardBuffers):
        """Logits of ``x`` in ``buffers.outputs[-1][:n]``, kept for backward."""
        n = x.shape[0]
        if buffers.n_rows < n:
            raise ValueError(
                f"buffers for {buffers.n_rows} rows cannot hold a batch of {n}"
            )
        buffers.x = x
        outputs = [buf[:n] for buf in buffers.outputs]
        hidden = ACTIVATIONS[self.activation]
        last = len(self.layers) - 1
        a = x
        for i, layer in enumerate(self.layers):
            a = layer.forward(params, a, out=outputs[i])
            if i < last:
                hidden(a)
        return a

    def backward(
        self,
        params: np.ndarray,
        delta: np.ndarray,
        grad: np.ndarray,
        buffers: FeedForwardBuffers,
        *,
        alpha: float = 0.0,
        scale: float = 1.0,
    ) -> None:
        """Gradient of the last :meth:`forward` pass into ``grad``.

        ``delta`` is dL/dlogits summed over the batch; every layer writes
        ``(x.T @ delta + alpha W) / scale`` and ``sum(delta) / scale``.
        After the call ``buffers.outputs[-1][:n]`` still holds what the loss
        left in the logits buffer (the activated outputs for
        ``squared_error``).
        """
        x = buffers.x
        n = x.shape[0]
        outputs = [buf[:n] for buf in buffers.outputs]
        derivative = DERIVATIVES[self.activation]
        for i in range(len(self.layers) - 1, -1, -1):
            layer_input = x if i == 0 else outputs[i - 1]
            layer = self.layers[i]
            layer.backward(params, layer_input, delta, grad, alpha=alpha, scale=scale)
            if i > 0:
                delta = layer.input_delta(params, delta, buffers.deltas[i - 1][:n])
                derivative(outputs[i - 1], delta)


def _take_rows(x, rows, buffer):
    """Rows of ``x``: a view for a slice, a gather into ``buffer`` otherwise."""
    if isinstance(rows, slice) or x is None:
        return None if x is None else x[rows]
    if sp.issparse(x):
        return x[rows]
    return np.take(x, rows, axis=0, out=buffer[: len(rows)])


def _row_buffer(x, batch_size: int):
    """A buffer for ``batch_size`` gathered rows of ``x`` (any trailing shape)."""
    if x is None or sp.issparse(x):
        return None
    return np.empty((batch_size, *x.shape[1:]), dtype=x.dtype)


def batch_objective(
    network: Network,
    x,
    y: np.ndarray,
    loss: Callable,
    *,
    sample_weight: np.ndarray | None = None,
    alpha: float = 0.0,
    batch_size: int,
    loss_params: dict | None = None,
) -> Objective:
    """``objective(params, rows, grad) -> loss`` over batches of ``(x, y)``.

    Serves any :class:`Network`: ``x`` may be a 2-D array (or a sparse
    matrix) of feature rows or a 3-D array of sequences; rows are gathered
    along the first axis into preallocated buffers, and nothing in ``x``,
    ``y`` or ``sample_weight`` is written. A batch whose weights are all
    zero returns None (the training loop skips it: no step, no loss).
    """
    buffers = network.buffers(batch_size, x.dtype)
    x_buf = _row_buffer(x, batch_size)
    y_buf = _row_buffer(y, batch_size)
    w_buf = _row_buffer(sample_weight, batch_size)

    def objective(params, rows, grad):
        weight = _take_rows(sample_weight, rows, w_buf)
        if weight is not None and not weight.any():
            return None  # a batch of zero weights: nothing to learn from
        return network.loss_grad(
            params,
            _take_rows(x, rows, x_buf),
            _take_rows(y, rows, y_buf),
            grad,
            loss,
            sample_weight=weight,
            alpha=alpha,
            loss_params=loss_params,
            buffers=buffers,
        )

    return objective
