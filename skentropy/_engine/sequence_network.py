"""Sequence networks: an LSTM layer and a dense output layer.

:class:`SequenceNetwork` implements :class:`~.network.Network`. The dense
head reads the LSTM's hidden state either at the last step
(``readout="last"``: sequence classification, one output row per sequence)
or at every step (``readout="every"``: per-step prediction, such as the
next symbol of a Reber string; one output row per step).

Flat parameter layout: the LSTM block ``[W_x; W_h; b]`` (see
:class:`~.lstm.LSTM`), then the output weights (row-major), then the output
biases. L2 penalises ``W_x``, ``W_h`` and the output weights.

Padding: steps whose inputs are NaN (:func:`real_steps`) are padding; the
LSTM carries its state over them unchanged (see :mod:`.lstm`), so a
sequence padded at the front or the back has the outputs and gradients of
the unpadded one, and ``readout="last"`` reads the state after its last
real step.

Stacked parameters: an array of shape (R, P) holds R networks of the same
architecture that run in lockstep on one shared batch (the LSTM and Dense
layers vectorise over the leading axis); logits gain a leading R axis and
the objective is evaluated network by network. :mod:`.lockstep` trains such
stacks.
"""

import numpy as np

from .layers import Dense
from .lstm import LSTM, LSTMCache
from .network import NetworkBase

__all__ = ["SequenceBuffers", "SequenceNetwork", "real_steps"]

READOUTS = ("last", "every")
# A forward-only pass (:meth:`SequenceNetwork.logits`, :meth:`SequenceNetwork.
# loss_value`) runs over chunks of sequences, so that its memory beyond the
# result is independent of their number. A chunk's recurrent state (about
# 15 * hidden elements per sequence) fits in _CHUNK_ELEMENTS (cache-sized:
# fastest), and with ``readout="every"`` its hidden states and logits at
# every step in _ROWS_ELEMENTS.
_CHUNK_ELEMENTS = 1 << 17
_ROWS_ELEMENTS = 1 << 21


def real_steps(x: np.ndarray) -> np.ndarray | None:
    """Boolean (n, T) mask of the steps of ``x`` that are not padding, or None.

    A step whose first input is NaN is padding (the estimators pad
    variable-length sequences with NaN and check that a padded step is NaN
    in every channel); None when ``x`` has no padding.
    """
    padded = np.isnan(x[..., 0])
    return ~padded if padded.any() else None


class _Pass:
    """Buffers of the passes over batches of one shape (see SequenceBuffers)."""

    def __init__(self, cache: LSTMCache):
        self.cache = cache
        self.hidden = None  # the head's input of the last forward pass
        self.rows = None  # every step, one network: h_t as contiguous rows
        self.z = None  # logits, in the loss's row layout
        self.grad_hidden = None  # dL/dh from the head


class SequenceBuffers:
    """Reusable forward/backward buffers of a :class:`SequenceNetwork`.

    Made by :meth:`SequenceNetwork.buffers`. The LSTM's buffers depend on the
    exact batch shape (sequences, steps, stacked networks), so one set is
    kept per shape met, created on first use: a mini-batch loop holds two
    (the batch size and the shorter last batch), online training on
    sequences of varying length one per length. :meth:`SequenceNetwork.backward`
    uses the set of the last :meth:`SequenceNetwork.forward` pass.

    Parameters
    ----------
    n_rows : int
        Largest number of sequences per batch expected (informative: sets
        are made per shape).
    dtype : dtype
        Dtype of the parameters.

    Attributes
    ----------
    passes : dict
        ``(n, steps, models, dtype) -> buffers`` of that batch shape.
    """

    def __init__(self, n_rows: int, dtype):
        self.n_rows = int(n_rows)
        self.dtype = np.dtype(dtype)
        self.passes: dict = {}
        self.current: _Pass | None = None


class SequenceNetwork(NetworkBase):
    """LSTM(n_inputs -> hidden) + Dense(hidden -> n_outputs), read last or every step.

    Implements :class:`~.network.Network`. Inputs are sequences ``x`` of
    shape (n, T, n_inputs).

    With ``readout="last"`` the head reads ``h_T``: logits (n, n_outputs),
    targets ``y`` (n, n_outputs), ``sample_weight`` (n,), and the objective
    is the sample-weighted mean loss over the sequences plus
    ``alpha / 2 |W|^2 / sum(sample_weight)``.

    With ``readout="every"`` the head reads every ``h_t``: logits (n, T,
    n_outputs), targets (n, T, n_outputs), and the loss sees the n*T steps
    as rows (sequence-major). ``sample_weight`` is then either (n,), a
    weight per sequence, or (n, T), a weight per step: the sequence's
    weight times a step mask, zero on padded steps, which then contribute
    nothing to the value or the gradient. The objective is the weighted
    mean over the steps plus ``alpha / 2 |W|^2 / sum(step weights)``.
    Gradients flow from every step through BPTT.

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
    readout : {"last", "every"}, default="last"
        Steps the dense head reads.

    Attributes
    ----------
    lstm : LSTM
        The recurrent layer (block at the start of the flat vector).
    dense : Dense
        The output layer.
    n_params : int
        Length of the flat parameter vector.
    architecture : tuple
        ``("lstm", n_inputs, hidden, n_outputs, forget_gate, readout)``.

    Examples
    --------
    >>> import numpy as np
    >>> from skentropy._engine.losses import LOSSES
    >>> net = SequenceNetwork(3, 4, 2, "logistic", readout="every")
    >>> params = net.init_params(np.random.RandomState(0), np.float64)
    >>> x = np.random.RandomState(1).normal(size=(5, 6, 3))
    >>> net.logits(params, x).shape
    (5, 6, 2)

    Sequences of 4 steps padded to 6: the padded steps weigh nothing.

    >>> step_weight = np.tile(np.arange(6) < 4, (5, 1)).astype(float)
    >>> y = np.ones((5, 6, 2))
    >>> grad = np.empty_like(params)
    >>> value = net.loss_grad(
    ...     params, x, y, grad, LOSSES["squared_error"], sample_weight=step_weight
    ... )
    >>> unpadded = net.loss_value(params, x[:, :4], y[:, :4], LOSSES["squared_error"])
    >>> bool(np.isclose(value, unpadded))
    True
    """

    def __init__(
        self,
        n_inputs: int,
        hidden: int,
        n_outputs: int,
        output: str,
        forget_gate: bool = True,
        readout: str = "last",
    ):
        if readout not in READOUTS:
            raise ValueError(f"readout must be one of {READOUTS}, got {readout!r}")
        self.lstm = LSTM(n_inputs, hidden, offset=0, forget_gate=forget_gate)
        start = self.lstm.n_params
        self.dense = Dense(hidden, n_outputs, start, start + hidden * n_outputs)
        self.n_params = start + hidden * n_outputs + n_outputs
        self.output = output
        self.n_outputs = n_outputs
        self.readout = readout
        self.architecture = (
            "lstm",
            int(n_inputs),
            int(hidden),
            int(n_outputs),
            bool(forget_gate),
            readout,
        )

    # -- parameters -----------------------------------------------------
    def init_params(self, rng: np.random.RandomState, dtype) -> np.ndarray:
        """LSTM weights as PyTorch draws them; output layer Glorot-uniform, bias 0."""
        params = np.zeros(self.n_params, dtype=dtype)
        self.lstm.init_params(params, rng)
        fan_in, fan_out = self.dense.fan_in, self.dense.fan_out
        bound = np.sqrt(6.0 / (fan_in + fan_out))
        self.dense.weight(params)[...] = rng.uniform(-bound, bound, (fan_in, fan_out))
        return params

    def weight_slices(self) -> list[slice]:
        """``W_x``, ``W_h`` and the output weights (biases are not penalised)."""
        return [
            self.lstm.input_slice,
            self.lstm.recurrent_slice,
            self.dense.weight_slice,
        ]

    def buffers(self, n_rows: int, dtype) -> SequenceBuffers:
        """Reusable buffers for batches of up to ``n_rows`` sequences."""
        return SequenceBuffers(n_rows, dtype)

    # -- passes ---------------------------------------------------------
    def forward(
        self, params: np.ndarray, x: np.ndarray, buffers: SequenceBuffers
    ) -> np.ndarray:
        """Logits of ``x`` in the loss's row layout, kept in ``buffers``.

        Parameters
        ----------
        params : ndarray of shape (P,) or (R, P)
            Flat parameters, or R stacked networks.
        x : ndarray of shape (n, T, n_inputs)
            The sequences (shared by stacked networks).
        buffers : SequenceBuffers
            Where the pass is kept for :meth:`backward`.

        Returns
        -------
        z : ndarray
            (n, n_outputs) for ``readout="last"``, (n*T, n_outputs) for
            ``"every"`` (rows sequence-major); a leading R axis when
            stacked. A view of ``buffers``, valid until the next pass over
            a batch of the same shape; the loss may overwrite it.
        """
        models = params.shape[:-1]
        n, steps = x.shape[:2]
        key = (n, steps, models, params.dtype)
        state = buffers.passes.get(key)
        cache = self.lstm.forward(
            params, x, None if state is None else state.cache, mask=real_steps(x)
        )
        if state is None:
            state = buffers.passes[key] = _Pass(cache)
        buffers.current = state
        outputs = cache.outputs  # (n, (R,) T, hidden)
        if self.readout == "last":
            hidden = outputs[..., -1, :]
            if models:
                hidden = hidden.swapaxes(0, 1)  # (R, n, hidden)
        elif models:
            # A view for one sequence (online training), a copy otherwise.
            hidden = outputs.swapaxes(0, 1).reshape(*models, n * steps, -1)
        else:
            if state.rows is None:
                state.rows = np.empty((n * steps, outputs.shape[-1]), params.dtype)
            hidden = state.rows
            np.copyto(hidden.reshape(outputs.shape), outputs)
        if state.z is None:
            shape = (*hidden.shape[:-1], self.n_outputs)
            state.z = np.empty(shape, dtype=params.dtype)
            # h_T keeps its (column-major) layout, every step is row-major.
            state.grad_hidden = (
                np.empty_like(hidden)
                if self.readout == "last"
                else np.empty(hidden.shape, dtype=params.dtype)
            )
        state.hidden = hidden
        return self.dense.forward(params, hidden, out=state.z)

    def backward(
        self,
        params: np.ndarray,
        delta: np.ndarray,
        grad: np.ndarray,
        buffers: SequenceBuffers,
        *,
        alpha: float = 0.0,
        scale: float = 1.0,
    ) -> None:
        """Gradient of the last :meth:`forward` pass into ``grad``.

        Parameters
        ----------
        params : ndarray of shape (P,) or (R, P)
            The parameters of the forward pass.
        delta : ndarray, shaped like the logits of :meth:`forward`
            dL/dz, summed (not averaged) over the rows, as the losses
            return it.
        grad : ndarray, shaped like ``params``
            Receives ``(dL/dparams + alpha W) / scale`` (``alpha W`` on
            the weights of :meth:`weight_slices` only).
        buffers : SequenceBuffers
            The buffers of the forward pass.
        alpha : float, default=0.0
            L2 coefficient.
        scale : float, default=1.0
            Divisor of the gradient (the sample weight sum of a mean loss).
        """
        state = buffers.current
        models = params.shape[:-1]
        self.dense.backward(params, state.hidden, delta, grad, alpha=alpha, scale=scale)
        grad_hidden = self.dense.input_delta(params, delta, out=state.grad_hidden)
        # Back to the layout of the LSTM's outputs: (n, (R,) [T,] hidden).
        if self.readout == "every":
            n, steps = state.cache.outputs.shape[0], state.cache.outputs.shape[-2]
            grad_hidden = grad_hidden.reshape(*models, n, steps, -1)
        if models:
            grad_hidden = grad_hidden.swapaxes(0, 1)
        self.lstm.backward(
            params,
            state.cache,
            grad_hidden,
            grad,
            alpha=alpha,
            scale=scale,
            input_grad=False,
        )

    def _chunk_size(self, steps: int, models: tuple) -> int:
        """Sequences per chunk of a forward-only pass (see ``_CHUNK_ELEMENTS``)."""
        lstm, stack = self.lstm, int(np.prod(models))
        state = 2 * (lstm.n_inputs + lstm.hidden + 1 + lstm.width) + 5 * lstm.hidden
        chunk = _CHUNK_ELEMENTS // (stack * state)
        if self.readout == "every":
            rows = stack * steps * (lstm.hidden + self.n_outputs)
            chunk = min(chunk, _ROWS_ELEMENTS // rows)
        return max(1, chunk)

    def logits(self, params: np.ndarray, x: np.ndarray) -> np.ndarray:
        """Output pre-activations for ``x`` (fresh arrays, nothing cached).

        A forward-only pass over chunks of sequences (no buffers for
        :meth:`backward`), so that the memory it takes beyond the result is
        independent of the number of sequences. The values are those of
        :meth:`forward` over the whole batch: the same operations, in the
        same order, except that a BLAS may round a product over a chunk's
        columns differently from one over the batch's (float32, or chunks
        of one sequence; float64 differences are then ~1e-16).

        Returns
        -------
        z : ndarray
            (n, n_outputs) for ``readout="last"``, (n, T, n_outputs) for
            ``"every"``; a leading R axis for stacked parameters (R, P).
        """
        models = params.shape[:-1]
        n, steps = x.shape[:2]
        every = self.readout == "every"
        hidden, k = self.lstm.hidden, self.n_outputs
        z = np.empty((*models, n, *((steps,) if every else ()), k), params.dtype)
        # The activation forward() would pick for the whole batch.
        exp_activation = self.lstm.exp_activation(n, models)
        chunk = max(1, min(n, self._chunk_size(steps, models)))
        if every:  # the chunk's h_t, laid out as the head's input rows
            rows = np.empty((*models, chunk, steps, hidden), params.dtype)
        for start in range(0, n, chunk):
            part = x[start : start + chunk]
            size = part.shape[0]
            mask = real_steps(part)
            if every:
                out = rows[..., :size, :, :]  # ((R,) size, T, hidden)
                self.lstm.forward_states(
                    params,
                    part,
                    mask,
                    out=out.swapaxes(0, 1) if models else out,
                    exp_activation=exp_activation,
                )
                head_in = out.reshape(*models, size * steps, hidden)
                z_part = z[..., start : start + size, :, :]
                z_part = z_part.reshape(*models, size * steps, k)  # a view
            else:
                head_in = self.lstm.forward_states(
                    params, part, mask, exp_activation=exp_activation
                )
                if models:
                    head_in = head_in.swapaxes(0, 1)  # (R, size, hidden)
                z_part = z[..., start : start + size, :]
            self.dense.forward(params, head_in, out=z_part)
        return z

    def loss_value(
        self,
        params: np.ndarray,
        x: np.ndarray,
        y: np.ndarray,
        loss,
        *,
        sample_weight: np.ndarray | None = None,
        alpha: float = 0.0,
        loss_params: dict | None = None,
    ) -> float | np.ndarray:
        """The objective of :meth:`loss_grad`, from the forward-only :meth:`logits`."""
        models = params.shape[:-1]
        z = self.logits(params, x).reshape(*models, -1, self.n_outputs)
        y, weight, scale = self._rows(x, y, sample_weight)
        value, _ = self._objective(z, y, weight, loss, loss_params, models, False)
        return self._with_l2(value, params, alpha, scale)

    def _rows(self, x, y, sample_weight):
        """Targets and weights as the loss's rows, and the objective's divisor."""
        n = x.shape[0]
        if self.readout == "last":
            weight = sample_weight
            rows = n
        else:
            rows = n * x.shape[1]
            y = y.reshape(rows, self.n_outputs)
            if sample_weight is None:
                weight = None
            elif sample_weight.ndim == 1:
                weight = np.repeat(sample_weight, x.shape[1])
            else:
                weight = sample_weight.reshape(rows)
        # float(): a float32 sum would turn 1 / scale into float32 arithmetic.
        scale = rows if weight is None else float(weight.sum())
        return y, weight, scale
