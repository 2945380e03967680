"""A batch-first LSTM layer over a flat parameter vector, with full BPTT.

The gate pre-activations are ``a = x W_x + h W_h + b`` with the gates side
by side in the order ``[o, i, f, g]`` (output, input, forget gates, cell
candidate): the three sigmoid gates are one block, and the three that the
cell-state gradient drives (i, f, g) are another. With
``forget_gate=False`` the layer is the 1997 cell of Hochreiter &
Schmidhuber (input and output gates only, the cell state accumulates:
``c_t = c_{t-1} + i * g``) and the order is ``[o, i, g]``.

Stacked networks: a parameter array of shape (R, P) holds R independent
networks of the same shape, which then run in lockstep on one shared input
(n, T, n_inputs); their outputs are (n, R, T, hidden). This is how
experiments with many random restarts are vectorised.

Cost structure, which decides most of the code below:

* Buffers are time-major and feature-major, ``[t, (R,) feature, sample]``.
  The layer's parameter block is the matrix ``M = [W_x; W_h; b]`` and the
  state buffer holds ``s_t = [x_t; h_{t-1}; 1]``, so one product per step,
  ``M^T s_t``, gives the gates (input projection and bias included) as
  contiguous row blocks: every element-wise operation on a gate runs over
  contiguous memory. The weight gradient of all steps is one product,
  ``sum_t s_t dz_t^T``, written straight into the gradient's block; its
  operands are copies (the layout that keeps each step contiguous cannot
  flatten (step, sample) pairs), sample-major for small batches, whose
  feature-major copy would move runs of a few samples.
* The loops call ufuncs with positional output arguments, constants as
  0-d arrays and per-step views made once per cache: with small online
  batches the per-call overhead, not arithmetic, is the cost, and keyword
  ``out=`` or Python-float operands roughly double it.
* Small steps activate all gates with one ``tanh`` (the sigmoid rows are
  prescaled by 1/2: ``s(a) = (1 + tanh(a / 2)) / 2``); larger steps give
  the sigmoid rows ``1 / (1 + exp(-a))`` (rows scaled by -1), one call more
  but about twice as fast per element, and the candidate its own ``tanh``.
* The backward pass forms the derivative factors of a block of steps in a
  few vectorised passes, next to each step's ``f_t`` (ones in the 1997
  cell), so that one multiply by the upstream vector ``[dh; dc; dc; ...]``
  gives the step's gate deltas and the cell gradient it passes back: five
  calls per step in the recurrence itself (a product, two multiplies, an
  add, one broadcast copy of ``dc``).

Padding: ``forward(..., mask=valid)`` takes a boolean (n, T) array of the
real steps. At a padded step the state passes through untouched
(``h_t = h_{t-1}``, ``c_t = c_{t-1}``), and the backward pass sends the
gradients of ``h_t`` and ``c_t`` straight to step t - 1 with zero deltas for
the step's gates. A sequence padded anywhere (front, back, or both) thus
gives the hidden states and gradients of the unpadded one, up to the
summation order of the weight gradient; the last step's state is the state
after the last real step. Steps without any padding cost nothing extra.

Inference: :meth:`LSTM.forward` keeps every step's gates and states for
the backward pass, O(n T hidden) memory; :meth:`LSTM.forward_states` runs
the same operations keeping only the current state (and, if asked, every
``h_t``), which :class:`~.sequence_network.SequenceNetwork` calls over
chunks of sequences for predictions.
"""

import itertools

import numpy as np

__all__ = ["LSTM", "LSTMCache"]

# Gate elements per step from which the exp activation (fewer nanoseconds
# per element) beats the tanh one (fewer calls).
_EXP_ACTIVATION_ELEMENTS = 512
# Elements of one block of derivative factors in the backward pass.
_BLOCK_ELEMENTS = 1 << 21
# Sequences per batch below which the weight gradient copies its operands
# sample-major (runs of a step's features) rather than feature-major (runs
# of a feature's samples).
_SAMPLE_MAJOR_BELOW = 32


class LSTMCache:
    """Preallocated buffers of one forward (and backward) pass.

    Parameters
    ----------
    n : int
        Sequences per pass.
    models : tuple of int
        ``()`` for one network, ``(R,)`` for R stacked networks.
    steps, n_inputs, hidden, n_gates : int
        Sequence length and layer sizes.
    dtype : dtype
        Floating dtype of the buffers.
    """

    def __init__(self, n, models, steps, n_inputs, hidden, n_gates, dtype):
        self.key = (n, tuple(models), steps, n_inputs, hidden, n_gates, np.dtype(dtype))
        width = n_gates * hidden
        rows = hidden + n_inputs + 1
        self.x = None
        # state[t] = [x_t; h_{t-1}; 1] (the product's right operand); h_T
        # goes into state[T], whose other rows are unused. h_0 = 0.
        self.state = np.zeros((steps + 1, *models, rows, n), dtype=dtype)
        self.state[..., -1, :] = 1
        self.weights = np.empty((*models, rows, width), dtype=dtype)
        # step[t] = [gates_t; c_{t-1}]: with the order [o, i, f, g], the rows
        # [i; f] and [g; c_{t-1}] pair up, so one multiply gives both terms
        # of c_t = i g + f c_{t-1}. step[T] holds c_T; c_0 = 0.
        self.step = np.zeros((steps + 1, *models, width + hidden, n), dtype=dtype)
        self.gates = self.step[:steps, ..., :width, :]
        self.cell = self.step[:, ..., width:, :]
        self.tanh_cell = np.empty((steps, *models, hidden, n), dtype=dtype)
        self.work = np.empty((*models, 2 * hidden, n), dtype=dtype)
        hidden_states = self.state[1:, ..., n_inputs : n_inputs + hidden, :]
        # (n, (R,) T, hidden) view: samples first, then networks, then time.
        order = (-1, *range(1, len(models) + 1), 0, -2)
        self.outputs = hidden_states.transpose(order)
        self.forward_views = None
        self.backward_buffers = None
        # None when no step is padded, else per step None or the (1, n)
        # boolean row of the padded sequences (set by each forward pass).
        self.padding = None


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
        # Column blocks of the gate matrix, [o, i, (f,) g].
        h = hidden
        self.o_cols = slice(0, h)
        self.i_cols = slice(h, 2 * h)
        self.f_cols = slice(2 * h, 3 * h) if forget_gate else None
        self.g_cols = slice(width - h, width)
        self.sigmoid_cols = slice(0, width - h)
        self.cell_driven_cols = slice(h, width)  # i, (f,) g
        self._scales = {}

    # -- weights ----------------------------------------------------------
    def _view(self, params, block, rows):
        return params[..., block].reshape(*params.shape[:-1], rows, self.width)

    def block(self, params: np.ndarray) -> np.ndarray:
        """View of the whole block ``[W_x; W_h; b]`` ((n_inputs + hidden + 1) x G)."""
        block = slice(self.input_slice.start, self.bias_slice.stop)
        return self._view(params, block, self.n_inputs + self.hidden + 1)

    def input_weight(self, params: np.ndarray) -> np.ndarray:
        """View of ``W_x`` (n_inputs x G*hidden; leading R when stacked)."""
        return self._view(params, self.input_slice, self.n_inputs)

    def recurrent_weight(self, params: np.ndarray) -> np.ndarray:
        """View of ``W_h`` (hidden x G*hidden; leading R when stacked)."""
        return self._view(params, self.recurrent_slice, self.hidden)

    def bias(self, params: np.ndarray) -> np.ndarray:
        """View of the gate biases (G*hidden; leading R when stacked)."""
        return params[..., self.bias_slice]

    def init_params(self, params: np.ndarray, rng: np.random.RandomState) -> None:
        """Uniform(-1/sqrt(hidden), 1/sqrt(hidden)) weights, as PyTorch draws them.

        With a forget gate its bias starts at 1 (remember by default).
        """
        bound = 1.0 / np.sqrt(self.hidden)
        block = slice(self.input_slice.start, self.bias_slice.stop)
        params[block] = rng.uniform(-bound, bound, self.n_params)
        if self.forget_gate:
            self.bias(params)[self.f_cols] = 1.0

    # -- forward ----------------------------------------------------------
    def _column_scale(self, exp_activation, dtype):
        """Gate-column factors of the activation: exp(-a) or tanh(a/2), and tanh(a)."""
        key = (exp_activation, np.dtype(dtype))
        if key not in self._scales:
            scale = np.full(self.width, -1.0 if exp_activation else 0.5, dtype=dtype)
            scale[self.g_cols] = 1.0
            self._scales[key] = scale
        return self._scales[key]

    def _cache_for(self, cache, n, models, steps, dtype):
        sizes = (self.n_inputs, self.hidden, self.n_gates)
        key = (n, models, steps, *sizes, np.dtype(dtype))
        if cache is None or cache.key != key:
            cache = LSTMCache(
                n, models, steps, self.n_inputs, self.hidden, self.n_gates, dtype
            )
        return cache

    def _forward_views(self, cache):
        """Per-step views of the forward buffers, made once per cache."""
        if cache.forward_views is None:
            h, width, forget_gate = self.hidden, self.width, self.forget_gate
            steps = cache.gates.shape[0]
            hidden_rows = slice(self.n_inputs, self.n_inputs + h)

            def rows(a, cols):  # a view per step (iterating is fastest)
                return list(a[:, ..., cols, :])

            gates, step, state = cache.gates, cache.step[:steps], cache.state
            cell = list(cache.cell)
            g = rows(gates, self.g_cols)
            if forget_gate:  # [i; f] [g; c_{t-1}], summed: i g + f c_{t-1}
                left = rows(step, slice(h, 3 * h))
                right = rows(step, slice(width - h, None))
                term = [cache.work[..., h:, :]] * steps
            else:  # i g + c_{t-1}
                left, right, term = rows(gates, self.i_cols), g, cell[:steps]
            cache.forward_views = list(
                zip(
                    list(state[:steps]),
                    list(gates),
                    rows(gates, self.sigmoid_cols),
                    g,
                    rows(gates, self.o_cols),
                    left,
                    right,
                    term,
                    cell[:steps],
                    cell[1:],
                    list(cache.tanh_cell),
                    rows(state[1:], hidden_rows),  # h_t
                    rows(state[:steps], hidden_rows),  # h_{t-1}
                    strict=True,
                )
            )
        return cache.forward_views

    @staticmethod
    def _padding(mask, steps):
        """None without padding, else per step None or the padded as a (1, n) row."""
        if mask is None:
            return None
        padded = ~np.asarray(mask, dtype=bool)
        any_padded = padded.any(axis=0)
        if not any_padded.any():
            return None
        return [padded[None, :, t] if any_padded[t] else None for t in range(steps)]

    def forward(
        self,
        params: np.ndarray,
        x: np.ndarray,
        cache: LSTMCache | None = None,
        mask: np.ndarray | None = None,
    ) -> LSTMCache:
        """Run the sequences ``x`` (n, T, n_inputs); returns the cache.

        ``cache.outputs`` holds the hidden states, (n, T, hidden), or
        (n, R, T, hidden) for stacked parameters of shape (R, P). Passing
        the cache of an earlier call reuses its buffers when the shapes
        match (its previous contents are overwritten). ``mask``, a boolean
        (n, T) array, marks the real steps: at the others the state is
        carried over unchanged and their inputs are not read (they may be
        NaN).
        """
        n, steps, n_inputs = x.shape
        models = params.shape[:-1]
        dtype = params.dtype
        cache = self._cache_for(cache, n, models, steps, dtype)
        cache.x = x
        cache.padding = padding = self._padding(mask, steps)
        inputs = x.transpose(1, 2, 0)  # (T, n_inputs, n)
        if models:
            inputs = inputs[:, None]
        state_inputs = cache.state[:steps, ..., :n_inputs, :]
        state_inputs[...] = inputs
        if padding is not None:  # padded inputs (NaN, say) must not reach the sums
            pad = ~np.asarray(mask, dtype=bool).T  # (T, n)
            pad = pad[:, None, None, :] if models else pad[:, None, :]
            np.copyto(state_inputs, 0, where=pad)
        exp_activation = cache.gates[0].size >= _EXP_ACTIVATION_ELEMENTS
        scale = self._column_scale(exp_activation, dtype)
        # M with the activation's scaling folded into the gate columns.
        weights = np.multiply(self.block(params), scale, cache.weights)
        weights = weights.swapaxes(-1, -2)
        product = np.matmul if models else np.dot
        one = np.ones((), dtype)
        half = np.full((), 0.5, dtype)
        add, multiply, tanh, exp = np.add, np.multiply, np.tanh, np.exp
        reciprocal, copyto = np.reciprocal, np.copyto
        first = cache.work[..., : self.hidden, :]  # i g; the other term is per step
        work = cache.work if self.forget_gate else first
        views = self._forward_views(cache)
        if padding is None:
            padding = itertools.repeat(None, steps)
        with np.errstate(over="ignore", under="ignore"):  # exp limits are right
            for (
                state,
                z,
                sig,
                g,
                o,
                left,
                right,
                term,
                c_prev,
                c,
                tanh_c,
                h_out,
                h_prev,
            ), pad in zip(views, padding, strict=True):
                product(weights, state, z)
                if exp_activation:  # sigmoids as 1 / (1 + exp(-a)), g = tanh
                    exp(sig, sig)
                    add(sig, one, sig)
                    reciprocal(sig, sig)
                    tanh(g, g)
                else:  # one tanh: g, and the sigmoids as (1 + tanh(a / 2)) / 2
                    tanh(z, z)
                    multiply(sig, half, sig)
                    add(sig, half, sig)
                multiply(left, right, work)  # [i g; f c_{t-1}], or i g
                add(first, term, c)
                tanh(c, tanh_c)
                multiply(o, tanh_c, h_out)
                if pad is not None:  # padded sequences keep their state
                    copyto(c, c_prev, where=pad)
                    copyto(h_out, h_prev, where=pad)
        return cache

    def exp_activation(self, n: int, models: tuple = ()) -> bool:
        """Whether a pass over ``n`` sequences uses the exp activation.

        The choice :meth:`forward` makes from the gate elements per step;
        a pass split into chunks passes the whole batch's choice to
        :meth:`forward_states` to compute the same numbers.
        """
        return self.width * n * int(np.prod(models)) >= _EXP_ACTIVATION_ELEMENTS

    def forward_states(
        self,
        params: np.ndarray,
        x: np.ndarray,
        mask: np.ndarray | None = None,
        *,
        out: np.ndarray | None = None,
        exp_activation: bool | None = None,
    ) -> np.ndarray:
        """Forward-only pass keeping only the current state (inference).

        Computes the hidden states of :meth:`forward`, bit for bit, without
        its per-step buffers for backward: memory is O(n * hidden) (plus
        ``out``), not O(n * T * hidden).

        Parameters
        ----------
        params : ndarray of shape (P,) or (R, P)
            Flat parameters, or R stacked networks.
        x : ndarray of shape (n, T, n_inputs)
            The sequences.
        mask : ndarray of shape (n, T), default=None
            The real steps, as for :meth:`forward`.
        out : ndarray of shape (n, (R,) T, hidden), default=None
            Receives every ``h_t`` (any strides); without it only ``h_T``
            is returned.
        exp_activation : bool, default=None
            The activation's formula (see :meth:`exp_activation`); by
            default the one :meth:`forward` picks for ``n`` sequences.

        Returns
        -------
        h : ndarray
            ``out``, or ``h_T`` of shape (n, (R,) hidden): a view of a
            fresh buffer in the layout of ``forward(...).outputs[..., -1, :]``.
        """
        n, steps, n_inputs = x.shape
        models = params.shape[:-1]
        dtype = params.dtype
        h, width = self.hidden, self.width
        if exp_activation is None:
            exp_activation = self.exp_activation(n, models)
        padding = self._padding(mask, steps)
        # Two sets, by parity of t: step t reads [x_t; h_{t-1}; 1] and
        # [gates_t; c_{t-1}] from its own and writes h_t, c_t into the other.
        state = np.zeros((2, *models, n_inputs + h + 1, n), dtype=dtype)
        state[..., -1, :] = 1
        step = np.zeros((2, *models, width + h, n), dtype=dtype)
        tanh_c = np.empty((*models, h, n), dtype=dtype)
        work = np.empty((*models, 2 * h, n), dtype=dtype)
        first = work[..., :h, :]
        hidden_rows = slice(n_inputs, n_inputs + h)
        views = []
        for now, later in ((0, 1), (1, 0)):
            z = step[now, ..., :width, :]
            if self.forget_gate:  # [i; f] [g; c_{t-1}], as in _forward_views
                left = step[now, ..., h : 3 * h, :]
                right = step[now, ..., width - h :, :]
                term = work[..., h:, :]
            else:
                left, right = z[..., self.i_cols, :], z[..., self.g_cols, :]
                term = step[now, ..., width:, :]
            views.append(
                (
                    state[now],
                    state[now, ..., :n_inputs, :],
                    z,
                    z[..., self.sigmoid_cols, :],
                    z[..., self.g_cols, :],
                    z[..., self.o_cols, :],
                    left,
                    right,
                    term,
                    step[now, ..., width:, :],  # c_{t-1}
                    step[later, ..., width:, :],  # c_t
                    state[later, ..., hidden_rows, :],  # h_t
                    state[now, ..., hidden_rows, :],  # h_{t-1}
                )
            )
        inputs = x.transpose(1, 2, 0)  # (T, n_inputs, n)
        if models:
            inputs = inputs[:, None]
        if out is not None:  # (T, (R,) hidden, n) views of out
            outputs = out.transpose(-2, *range(1, len(models) + 1), -1, 0)
        scale = self._column_scale(exp_activation, dtype)
        weights = np.multiply(self.block(params), scale).swapaxes(-1, -2)
        product = np.matmul if models else np.dot
        one = np.ones((), dtype)
        half = np.full((), 0.5, dtype)
        add, multiply, tanh, exp = np.add, np.multiply, np.tanh, np.exp
        reciprocal, copyto = np.reciprocal, np.copyto
        live = work if self.forget_gate else first
        with np.errstate(over="ignore", under="ignore"):  # exp limits are right
            for t in range(steps):
                s, s_in, z, sig, g, o, left, right, term, c_prev, c, h_out, h_prev = (
                    views[t % 2]
                )
                pad = None if padding is None else padding[t]
                copyto(s_in, inputs[t])
                if pad is not None:  # padded inputs (NaN, say) must not reach the sums
                    copyto(s_in, 0, where=pad)
                product(weights, s, z)
                if exp_activation:
                    exp(sig, sig)
                    add(sig, one, sig)
                    reciprocal(sig, sig)
                    tanh(g, g)
                else:
                    tanh(z, z)
                    multiply(sig, half, sig)
                    add(sig, half, sig)
                multiply(left, right, live)
                add(first, term, c)
                tanh(c, tanh_c)
                multiply(o, tanh_c, h_out)
                if pad is not None:
                    copyto(c, c_prev, where=pad)
                    copyto(h_out, h_prev, where=pad)
                if out is not None:
                    copyto(outputs[t], h_out)
        if out is not None:
            return out
        h_last = state[steps % 2, ..., hidden_rows, :]  # ((R,) hidden, n)
        return h_last.transpose(-1, *range(len(models)), -2)

    # -- backward ---------------------------------------------------------
    def _backward_buffers(self, cache):
        """Derivative buffers and per-step views, made once per cache.

        ``delta[t]`` first holds the step's derivative factors for the gate
        rows (``dz/dh`` for o, ``dz/dc`` for the others) and a last block
        ``f_t`` (ones in the 1997 cell); one multiply by the step's upstream
        vector ``[dh_t; dc_t; dc_t; ...]`` turns it into the gate deltas
        ``dz_t`` and, in the last block, the cell gradient ``f_t dc_t`` that
        step t passes to step t - 1.
        """
        if cache.backward_buffers is None:
            h, n_gates = self.hidden, self.n_gates
            gates = cache.gates
            steps, models, n = gates.shape[0], gates.shape[1:-2], gates.shape[-1]
            dtype = gates.dtype
            delta = np.empty((steps, *models, (n_gates + 1) * h, n), dtype=dtype)
            cell_factor = np.empty_like(cache.tanh_cell)  # dc_t / dh_t
            # [dh_t; dc_t; dc_t; ...], one per parity of t: step t reads its
            # own and writes dh_{t-1} into the other.
            upstream = np.empty((2, *models, n_gates + 1, h, n), dtype=dtype)
            by_parity = [
                (
                    now.reshape(*models, (n_gates + 1) * h, n),
                    now[..., 0, :, :],  # dh_t
                    now[..., 1, :, :],  # dc_t
                    now[..., 2:, :, :],  # its copies
                    now[..., 1:2, :, :],
                    later[..., 0, :, :],  # receives dh_{t-1}
                )
                for now, later in ((upstream[0], upstream[1]), upstream[::-1])
            ]
            per_step = zip(
                delta,
                delta[:, ..., : n_gates * h, :],  # dz_t
                delta[:, ..., n_gates * h :, :],  # f_t dc_t, for step t - 1
                cell_factor,
                strict=True,
            )
            views = [own + by_parity[t % 2] for t, own in enumerate(per_step)]
            # Blocks of steps for the derivative factors, last block first.
            size = max(1, _BLOCK_ELEMENTS // delta[0].size)
            blocks = []
            for stop in range(steps, 0, -size):
                block = slice(max(0, stop - size), stop)
                blocks.append(
                    (block, self._factor_views(cache, delta, cell_factor, block))
                )
            dz = delta[:, ..., : n_gates * h, :]
            cache.backward_buffers = (dz, views, blocks)
        return cache.backward_buffers

    def _factor_views(self, cache, delta, cell_factor, block):
        """Views that :meth:`_derivative_factors` fills for the steps ``block``."""

        def rows(a, cols):
            return a[..., cols, :]

        h, width = self.hidden, self.width
        z, d = cache.gates[block], delta[block]
        return (
            rows(z, self.sigmoid_cols),
            rows(d, self.sigmoid_cols),
            cache.tanh_cell[block],
            rows(z, self.o_cols),
            rows(d, self.o_cols),
            rows(z, self.i_cols),
            rows(d, self.i_cols),
            rows(z, self.g_cols),
            rows(d, self.g_cols),
            rows(d, self.f_cols) if self.forget_gate else None,
            cache.cell[block.start : block.stop],  # c_{t-1}
            cell_factor[block],
            # the last block: f_t, or ones
            rows(z, self.f_cols) if self.forget_gate else None,
            rows(d, slice(width, width + h)),
        )

    @staticmethod
    def _derivative_factors(views):
        """Fill delta and cell_factor for one block of steps (vectorised).

        Gate rows get ``dz/dh`` (o) or ``dz/dc`` (i, f, g) factors:
        o: tanh(c) s'(o); i: g s'(i); f: c_{t-1} s'(f); g: i (1 - g^2);
        the last block ``f_t`` (ones without a forget gate), and
        cell_factor = o (1 - tanh(c)^2) = dc/dh through h = o tanh(c).
        """
        sig, d_sig, tanh_c, o, d_o, i, d_i, g, d_g, d_f, c_prev, factor, f, d_last = (
            views
        )
        one = np.ones((), sig.dtype)
        multiply, subtract = np.multiply, np.subtract
        subtract(one, sig, d_sig)
        multiply(d_sig, sig, d_sig)
        multiply(d_o, tanh_c, d_o)
        multiply(d_i, g, d_i)
        if d_f is not None:
            multiply(d_f, c_prev, d_f)
            np.copyto(d_last, f)
        else:
            d_last.fill(1)
        multiply(g, g, d_g)
        subtract(one, d_g, d_g)
        multiply(d_g, i, d_g)
        multiply(tanh_c, tanh_c, factor)
        subtract(one, factor, factor)
        multiply(factor, o, factor)

    def _grad_at(self, grad_outputs, t, models):
        """dL/dh_t as a (..., hidden, n) view of the caller's array."""
        step = grad_outputs[..., t, :]  # (n, (R,) hidden)
        return step.transpose(1, 2, 0) if models else step.T

    def backward(
        self,
        params: np.ndarray,
        cache: LSTMCache,
        grad_outputs: np.ndarray,
        grad: np.ndarray,
        *,
        alpha: float = 0.0,
        scale: float = 1.0,
        input_grad: bool = True,
    ) -> np.ndarray | None:
        """Backpropagate through time.

        ``grad_outputs`` is dL/dh_t, shaped like ``cache.outputs`` (every
        step; zeros where the loss does not read the step), or shaped like
        ``cache.outputs[..., -1, :]`` when the loss reads the last step
        only. Writes ``(dL/dM + alpha [W_x; W_h; 0]) / scale`` into the
        layer's slices of ``grad`` (shaped like ``params``): the gradient
        of the loss plus the L2 term ``alpha / 2 |W|^2`` on the input and
        recurrent weights (not the bias), divided by ``scale``. Returns
        dL/dx (n, T, n_inputs), or None with ``input_grad=False`` (a first
        layer needs none; stacked networks support only this).
        """
        models = params.shape[:-1]
        if models and input_grad:
            raise ValueError("stacked networks support only input_grad=False")
        dz, views, blocks = self._backward_buffers(cache)
        steps = dz.shape[0]
        every_step = grad_outputs.ndim == cache.outputs.ndim
        if every_step:
            last = self._grad_at(grad_outputs, steps - 1, models)
        else:
            last = self._grad_at(grad_outputs[..., None, :], 0, models)
        w_h = self.recurrent_weight(params)  # dh_{t-1} = W_h dz_t
        product = np.matmul if models else np.dot
        add, multiply, copyto = np.add, np.multiply, np.copyto
        padding = cache.padding
        # Per step: dc_t = dh_t cf_t + f_{t+1} dc_{t+1}; [dz_t; f_t dc_t] =
        # delta_t [dh_t; dc_t; ...; dc_t]; dh_{t-1} = W_h dz_t (+ dL/dh_{t-1}).
        carry_later = None  # f_{t+1} dc_{t+1}
        for block, factor_views in blocks:
            self._derivative_factors(factor_views)
            for t in range(block.stop - 1, block.start - 1, -1):
                d, d_gates, carry, factor, vector, dh, dc, copies, dc_one, dh_prev = (
                    views[t]
                )
                if carry_later is None:  # the last step
                    copyto(dh, last)
                elif every_step:  # dh_t from the product of step t + 1, plus
                    add(self._grad_at(grad_outputs, t, models), dh, dh)
                multiply(dh, factor, dc)
                if carry_later is not None:  # the cell state's own path
                    add(dc, carry_later, dc)
                copyto(copies, dc_one)
                multiply(d, vector, d)
                pad = None if padding is None else padding[t]
                if pad is not None:
                    # A padded step's gates get no delta, and the gradients
                    # of h and c pass to step t - 1 unchanged.
                    copyto(d_gates, 0, where=pad)
                    copyto(carry, 0 if carry_later is None else carry_later, where=pad)
                if t:
                    product(w_h, d_gates, dh_prev)
                    if pad is not None:
                        copyto(dh_prev, dh, where=pad)
                carry_later = carry
        self._weight_gradients(params, cache, dz, grad, alpha, scale)
        if not input_grad:
            return None
        dx = np.matmul(self.input_weight(params), dz)  # (T, n_inputs, n)
        return np.ascontiguousarray(dx.transpose(2, 0, 1))

    def _weight_gradients(self, params, cache, dz, grad, alpha, scale):
        """``sum_t s_t dz_t^T`` over steps and samples, plus L2, into M's gradient."""
        state = cache.state[: dz.shape[0]]
        out = self.block(grad)
        if params.ndim > 1:  # per network
            np.einsum("trkn,trgn->rkg", state, dz, out=out, optimize=True)
        else:  # one product over the (step, sample) pairs, which takes copies
            rows, width = state.shape[1], dz.shape[1]
            if dz.shape[-1] < _SAMPLE_MAJOR_BELOW:  # fewer, longer runs to copy
                state = state.transpose(0, 2, 1).reshape(-1, rows).T
                dz = dz.transpose(0, 2, 1).reshape(-1, width)
            else:
                state = state.swapaxes(0, 1).reshape(rows, -1)
                dz = dz.swapaxes(0, 1).reshape(width, -1).T
            np.dot(state, dz, out)
        if alpha:  # W_x and W_h rows; the bias (last row) is not penalised
            out[..., :-1, :] += alpha * self.block(params)[..., :-1, :]
        if scale != 1:
            np.multiply(out, np.asarray(1.0 / scale, dtype=dz.dtype), out)
