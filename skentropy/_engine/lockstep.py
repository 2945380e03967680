"""Many networks trained in lockstep: one stacked array, one update per example.

R networks of one architecture live in one parameter array of shape (R, P)
and are trained together on the same examples in the same order. Every
example costs one forward pass of the whole stack, one loss call per block
of networks that share a loss, one backward pass and one SGD step; the
networks differ only in their initial weights, their learning rates and
their losses (:class:`Criterion`). Networks leave the stack (converged,
diverged) with :meth:`LockstepTrainer.keep`, and the others continue
exactly as before.

Experiments with many random restarts and settings are vectorised this
way (``benchmarks/eem_lstm_reber.py`` trains 1,500 Reber networks so):
the per-call overhead of a step, which dominates with small networks, is
paid once for the whole stack. The network is a
:class:`~.sequence_network.SequenceNetwork` (any network whose ``forward``
/ ``backward`` accept stacked parameters will do).
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .losses import LOSSES
from .optimizers import SGD
from .sequence_network import SequenceNetwork

__all__ = ["Criterion", "LockstepTrainer"]

# Losses whose value is a mean over rows: rows of different networks can go
# through one call (eem_samples couples the rows of a batch).
ROW_LOSSES = ("squared_error", "cross_entropy", "min_ent", "mix_ent", "eem_outputs")


@dataclass(frozen=True)
class Criterion:
    """The training loss of one network of a lockstep stack.

    Parameters
    ----------
    loss : str, default="squared_error"
        A per-row loss of ``LOSSES``: one of :data:`ROW_LOSSES`.
    kernel_width : float or None, default=None
        Pairwise kernel width of ``"eem_outputs"`` (required by it, not
        accepted by the others). Networks whose criteria differ only in
        their widths share one loss call, with a width per row.
    loss_params : dict or tuple of (name, value) pairs, default=()
        Other keyword arguments of the loss (for example
        ``{"objective": "ip"}``); stored as sorted ``(name, value)`` pairs.

    Examples
    --------
    >>> Criterion()
    Criterion(loss='squared_error', kernel_width=None, loss_params=())
    >>> Criterion("eem_outputs", 1.5, {"objective": "ip"}).loss_params
    (('objective', 'ip'),)
    """

    loss: str = "squared_error"
    kernel_width: float | None = None
    loss_params: tuple = ()

    def __post_init__(self):
        if self.loss not in ROW_LOSSES:
            raise ValueError(
                f"loss must be one of {ROW_LOSSES} (a per-row loss), got {self.loss!r}"
            )
        if (self.kernel_width is None) != (self.loss != "eem_outputs"):
            raise ValueError("kernel_width is required by eem_outputs and only by it")
        params = tuple(sorted(dict(self.loss_params).items()))
        object.__setattr__(self, "loss_params", params)

    def block_key(self) -> tuple:
        """Criteria with equal keys share one loss call."""
        return (self.loss, self.loss_params)


def _blocks(keys) -> list[tuple]:
    """``(key, start, stop)`` of the runs of equal consecutive ``keys``."""
    keys = list(keys)
    blocks, start = [], 0
    for k in range(1, len(keys) + 1):
        if k == len(keys) or keys[k] != keys[start]:
            blocks.append((keys[start], start, k))
            start = k
    return blocks


class LockstepTrainer:
    """Stacked networks trained in lockstep by SGD, one update per example.

    Network ``k`` starts from ``params[k]`` and has its own learning rate
    ``learning_rates[k]`` and loss ``criteria[k]``. For every example the
    objective of each network is its loss summed over the example's output
    rows (every step of a sequence with ``readout="every"``), the
    gradient comes from BPTT through the whole example, and the update is
    ``params[k] -= learning_rates[k] * grad[k]`` (the engine's
    :class:`~.optimizers.SGD`, here without momentum unless asked).

    Networks whose criteria share a loss (and its parameters other than
    the kernel width) get their output deltas from one loss call when they
    are neighbours in the stack: order the stack by loss for speed.

    Parameters
    ----------
    network : SequenceNetwork
        The architecture of every network of the stack.
    params : ndarray of shape (R, network.n_params)
        Initial weights; trained in place (copy them first to keep them)
        until :meth:`keep` replaces the array.
    learning_rates : float or array-like of shape (R,)
        Step sizes.
    criteria : sequence of Criterion, length R
        Each network's loss.
    momentum : float, default=0.0
        SGD momentum (per network; 0 is plain SGD).
    nesterov : bool, default=False
        Nesterov's momentum.

    Attributes
    ----------
    params : ndarray of shape (R, P)
        The current weights of the networks still in the stack.
    criteria : list of Criterion
        Their losses.
    optimizer : SGD
        The stacked optimizer; ``optimizer.learning_rate`` holds the rates.

    Examples
    --------
    Four networks, two losses, two learning rates; one Reber-like string.

    >>> import numpy as np
    >>> from skentropy._engine.sequence_network import SequenceNetwork
    >>> net = SequenceNetwork(7, 3, 7, "logistic", forget_gate=False, readout="every")
    >>> params = np.random.default_rng(0).uniform(-0.2, 0.2, (4, net.n_params))
    >>> eem = Criterion("eem_outputs", 1.5, {"objective": "ip"})
    >>> trainer = LockstepTrainer(
    ...     net, params, [0.1, 0.3, 0.1, 0.3], [Criterion()] * 2 + [eem] * 2
    ... )
    >>> x = np.eye(7)[None, [0, 1, 3]]  # B T S, shape (1, 3, 7)
    >>> y = np.zeros((1, 3, 7))
    >>> y[0, 0, [1, 2]] = y[0, 1, [3, 4]] = y[0, 2, [3, 4]] = 1  # legal next
    >>> trainer.train_epoch([(x, y)], [0])
    >>> trainer.keep([True, False, True, True])
    >>> trainer.params.shape, trainer.optimizer.learning_rate
    ((3, 127), array([0.1, 0.1, 0.3]))
    """

    def __init__(
        self,
        network: SequenceNetwork,
        params: np.ndarray,
        learning_rates,
        criteria: Sequence[Criterion],
        *,
        momentum: float = 0.0,
        nesterov: bool = False,
    ):
        if params.ndim != 2 or params.shape[1] != network.n_params:
            raise ValueError(
                f"params must have shape (R, {network.n_params}), got {params.shape}"
            )
        criteria = list(criteria)
        if len(criteria) != params.shape[0]:
            raise ValueError(f"{params.shape[0]} networks but {len(criteria)} criteria")
        rates = np.broadcast_to(
            np.asarray(learning_rates, dtype=float), params.shape[:1]
        )
        self.network = network
        self.params = params
        self.criteria = criteria
        self.optimizer = SGD(
            params.shape,
            params.dtype,
            learning_rate_init=rates.copy(),
            momentum=momentum,
            nesterov=nesterov,
        )
        self._reset()

    def _reset(self):
        """Buffers and loss blocks of the current stack."""
        self.grad = np.empty_like(self.params)
        self._buffers = self.network.buffers(1, self.params.dtype)
        self._blocks = []
        for key, start, stop in _blocks(c.block_key() for c in self.criteria):
            loss, params = key
            widths = [c.kernel_width for c in self.criteria[start:stop]]
            self._blocks.append(
                (
                    LOSSES[loss],
                    dict(params),
                    slice(start, stop),
                    None if widths[0] is None else np.array(widths, dtype=float),
                )
            )
        self._rows = {}  # per rows per network: targets, deltas, row widths

    def keep(self, mask: np.ndarray) -> None:
        """Drop the networks where ``mask`` is False from the stack.

        Parameters
        ----------
        mask : ndarray of bool of shape (R,)
        """
        mask = np.asarray(mask, dtype=bool)
        self.params = self.params[mask]
        self.criteria = [c for c, k in zip(self.criteria, mask, strict=True) if k]
        self.optimizer.keep(mask)
        self._reset()

    def _row_buffers(self, rows):
        """Target and delta buffers (R, rows, c) and each block's row widths."""
        buffers = self._rows.get(rows)
        if buffers is None:
            shape = (self.params.shape[0], rows, self.network.n_outputs)
            widths = [
                None if w is None else np.repeat(w, rows) for *_, w in self._blocks
            ]
            buffers = self._rows[rows] = (
                np.empty(shape, self.params.dtype),
                np.empty(shape, self.params.dtype),
                widths,
            )
        return buffers

    def output_deltas(self, z: np.ndarray, y: np.ndarray) -> np.ndarray:
        """dL/dz of every network, each from its own criterion.

        Parameters
        ----------
        z : ndarray of shape (R, m, n_outputs)
            Logits of the stack (the rows of :meth:`SequenceNetwork.forward`);
            overwritten by the losses.
        y : ndarray with m * n_outputs entries
            The example's targets (shared by the networks), such as (n, T,
            n_outputs) for ``readout="every"``.

        Returns
        -------
        delta : ndarray of shape (R, m, n_outputs)
            The gradient of each network's summed loss; a buffer reused by
            the next call with as many rows.
        """
        n_outputs = z.shape[-1]
        rows = z.shape[1]
        target, delta, widths = self._row_buffers(rows)
        target[...] = y.reshape(rows, n_outputs)
        rows_z = z.reshape(-1, n_outputs)
        rows_y = target.reshape(-1, n_outputs)
        rows_delta = delta.reshape(-1, n_outputs)
        output = self.network.output
        for (loss, params, block, _), width in zip(self._blocks, widths, strict=True):
            if width is not None:
                params = {**params, "kernel_width": width}
            block_rows = slice(block.start * rows, block.stop * rows)
            _, d = loss(rows_y[block_rows], rows_z[block_rows], output, None, **params)
            rows_delta[block_rows] = d
        return delta

    def step(
        self,
        x: np.ndarray,
        y: np.ndarray,
        on_logits: Callable[[np.ndarray], None] | None = None,
    ) -> None:
        """One forward/backward pass on one example and one SGD step per network.

        Parameters
        ----------
        x : ndarray of shape (n, T, n_inputs)
            The example (usually one sequence, n = 1).
        y : ndarray
            Its targets, as the network's ``loss_grad`` takes them.
        on_logits : callable, optional
            Called as ``on_logits(z)`` with the logits of the stack before
            the update, (R, m, n_outputs) in the network's row layout;
            valid during the call only.
        """
        network, params, grad = self.network, self.params, self.grad
        z = network.forward(params, x, self._buffers)
        if on_logits is not None:
            on_logits(z)
        delta = self.output_deltas(z, y)
        network.backward(params, delta, grad, self._buffers)
        self.optimizer.update(params, grad)

    def train_epoch(
        self,
        examples: Sequence[tuple[np.ndarray, np.ndarray]],
        order,
        on_logits: Callable[[int, np.ndarray], None] | None = None,
    ) -> None:
        """Present ``examples`` in ``order``, one update per example.

        Floating-point warnings are silenced: a network whose weights stop
        being finite is for the caller to find (``np.isfinite(params)``)
        and drop.

        Parameters
        ----------
        examples : sequence of (x, y)
            The training examples, as :meth:`step` takes them.
        order : iterable of int
            Indices into ``examples``.
        on_logits : callable, optional
            Called as ``on_logits(index, z)`` before each update (see
            :meth:`step`).
        """
        with np.errstate(all="ignore"):
            for i in order:
                x, y = examples[i]
                if on_logits is None:
                    self.step(x, y)
                else:
                    self.step(x, y, lambda z, i=i: on_logits(i, z))
