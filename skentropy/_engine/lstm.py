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
  ``sum_t s_t dz_t^T``, written straight into the gradient's block.
* The loops call ufuncs with positional output arguments, constants as
  0-d arrays and per-step views made once per cache: with small online
  batches the per-call overhead, not arithmetic, is the cost, and keyword
  ``out=`` or Python-float operands roughly double it.
* Small steps activate all gates with one ``tanh`` (the sigmoid rows are
  prescaled by 1/2: ``s(a) = (1 + tanh(a / 2)) / 2``); large steps use one
  ``exp`` instead (rows scaled by -1 and, for the candidate, -2), which has
  two more calls but is about twice as fast per element as ``tanh``.
* The backward pass forms the derivative factors of a block of steps in a
  few vectorised passes, leaving six or seven ufunc calls per step in the
  recurrence itself.

Padding: ``forward(..., mask=valid)`` takes a boolean (n, T) array of the
real steps. At a padded step the state passes through untouched
(``h_t = h_{t-1}``, ``c_t = c_{t-1}``), and the backward pass sends the
gradients of ``h_t`` and ``c_t`` straight to step t - 1 with zero deltas for
the step's gates. A sequence padded anywhere (front, back, or both) thus
gives the hidden states and gradients of the unpadded one, up to the
summation order of the weight gradient; the last step's state is the state
after the last real step. Steps without any padding cost nothing extra.
"""

import numpy as np

__all__ = ["LSTM", "LSTMCache"]

# Gate elements per step from which the exp activation (fewer nanoseconds
# per element) beats the tanh one (fewer calls).
_EXP_ACTIVATION_ELEMENTS = 2048
# Elements of one block of derivative factors in the backward pass.
_BLOCK_ELEMENTS = 1 << 21


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
        # Per step: None, or the (1, n) boolean rows of the padded and of
        # the real sequences (set by each forward pass).
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
        """Gate-column factors of the activation: tanh(a/2) or exp(-a), exp(-2a)."""
        key = (exp_activation, np.dtype(dtype))
        if key not in self._scales:
            scale = np.full(self.width, -1.0 if exp_activation else 0.5, dtype=dtype)
            scale[self.g_cols] = -2.0 if exp_activation else 1.0
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
            hidden_rows, views = slice(self.n_inputs, self.n_inputs + self.hidden), []
            h, width = self.hidden, self.width
            for t in range(cache.gates.shape[0]):
                z, step = cache.gates[t], cache.step[t]
                views.append(
                    (
                        cache.state[t],
                        z,
                        z[..., self.sigmoid_cols, :],
                        z[..., self.o_cols, :],
                        # [i; f] and [g; c_{t-1}] (modern), or i and g (1997)
                        step[..., h : 3 * h if self.forget_gate else 2 * h, :],
                        step[..., width - h :, :]
                        if self.forget_gate
                        else z[..., self.g_cols, :],
                        cache.cell[t],
                        cache.cell[t + 1],
                        cache.tanh_cell[t],
                        cache.state[t + 1][..., hidden_rows, :],
                    )
                )
            cache.forward_views = views
        return cache.forward_views

    @staticmethod
    def _padding(mask, steps):
        """Per step: None, or (padded, real) boolean rows of shape (1, n)."""
        if mask is None:
            return [None] * steps
        mask = np.asarray(mask, dtype=bool)
        padded = ~mask
        return [
            (padded[None, :, t], mask[None, :, t]) if padded[:, t].any() else None
            for t in range(steps)
        ]

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
        cache.padding = self._padding(mask, steps)
        inputs = x.transpose(1, 2, 0)  # (T, n_inputs, n)
        if models:
            inputs = inputs[:, None]
        cache.state[:steps, ..., :n_inputs, :] = inputs
        if mask is not None:  # padded inputs (NaN, say) must not reach the sums
            state_inputs = cache.state[:steps, ..., :n_inputs, :]
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
        half, two = np.full((), 0.5, dtype), np.full((), 2, dtype)
        add, multiply = np.add, np.multiply
        h, forget_gate = self.hidden, self.forget_gate
        work = cache.work if forget_gate else cache.work[..., :h, :]
        terms = (work[..., :h, :], work[..., h:, :])
        g_rows = self.g_cols
        hidden_rows = slice(n_inputs, n_inputs + h)
        copyto = np.copyto
        with np.errstate(over="ignore", under="ignore"):  # exp limits are right
            for (
                state,
                z,
                sig,
                o,
                left,
                right,
                c_prev,
                c,
                tanh_c,
                h_out,
            ), padding in zip(self._forward_views(cache), cache.padding, strict=True):
                product(weights, state, z)
                if exp_activation:
                    np.exp(z, z)
                    add(z, one, z)
                    np.reciprocal(z, z)  # the sigmoids; g holds (1 + tanh) / 2
                    g = z[..., g_rows, :]
                    multiply(g, two, g)
                    np.subtract(g, one, g)
                else:
                    np.tanh(z, z)  # g done; the sigmoids are (1 + tanh) / 2
                    multiply(sig, half, sig)
                    add(sig, half, sig)
                multiply(left, right, work)  # [i g; f c_{t-1}], or i g
                if forget_gate:
                    add(*terms, c)
                else:
                    add(work, c_prev, c)
                np.tanh(c, tanh_c)
                multiply(o, tanh_c, h_out)
                if padding is not None:  # padded sequences keep their state
                    copyto(c, c_prev, where=padding[0])
                    copyto(h_out, state[..., hidden_rows, :], where=padding[0])
        return cache

    # -- backward ---------------------------------------------------------
    def _backward_buffers(self, cache):
        """Derivative buffers and per-step views, made once per cache."""
        if cache.backward_buffers is None:
            h = self.hidden
            # dz first holds each step's derivative factors (dz/dh for o,
            # dz/dc for i, f, g), then the deltas: the factors times the
            # step's upstream vector [dh; dc; dc (; dc)], one multiply.
            dz = np.empty_like(cache.gates)
            cell_factor = np.empty_like(cache.tanh_cell)  # dc_t / dh_t
            upstream = (np.empty_like(dz[0]), np.empty_like(dz[0]))  # alternate
            carry = np.empty_like(cache.tanh_cell[0])  # f_t dc_t, for step t - 1
            views = []
            for t in range(dz.shape[0]):
                now, later = upstream[t % 2], upstream[(t + 1) % 2]
                views.append(
                    (
                        dz[t],
                        cell_factor[t],
                        now,
                        now[..., :h, :],  # dh_t
                        now[..., h : 2 * h, :],  # dc_t
                        # the other gates dc_t drives, as (..., k, h, n)
                        now[..., 2 * h :, :].reshape(
                            *now.shape[:-2], self.n_gates - 2, h, now.shape[-1]
                        ),
                        now[..., None, h : 2 * h, :],
                        later[..., :h, :],  # receives dh_{t-1}
                        later[..., h : 2 * h, :],  # dc_{t+1} (1997 cell)
                        cache.gates[t][..., self.f_cols, :]
                        if self.forget_gate
                        else None,
                    )
                )
            # Blocks of steps for the derivative factors, last block first.
            size = max(1, _BLOCK_ELEMENTS // dz[0].size)
            blocks = []
            for stop in range(dz.shape[0], 0, -size):
                block = slice(max(0, stop - size), stop)
                blocks.append(
                    (block, self._factor_views(cache, dz, cell_factor, block))
                )
            cache.backward_buffers = (dz, carry, views, blocks)
        return cache.backward_buffers

    def _factor_views(self, cache, dz, cell_factor, block):
        """Views that :meth:`_derivative_factors` fills for the steps ``block``."""

        def rows(a, cols):
            return a[..., cols, :]

        z, d = cache.gates[block], dz[block]
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
        )

    @staticmethod
    def _derivative_factors(views):
        """Fill dz and cell_factor for one block of steps (vectorised).

        Gate rows get ``dz/dh`` (o) or ``dz/dc`` (i, f, g) factors:
        o: tanh(c) s'(o); i: g s'(i); f: c_{t-1} s'(f); g: i (1 - g^2);
        and cell_factor = o (1 - tanh(c)^2) = dc/dh through h = o tanh(c).
        """
        sig, d_sig, tanh_c, o, d_o, i, d_i, g, d_g, d_f, c_prev, factor = views
        one = np.ones((), sig.dtype)
        multiply, subtract = np.multiply, np.subtract
        subtract(one, sig, d_sig)
        multiply(d_sig, sig, d_sig)
        multiply(d_o, tanh_c, d_o)
        multiply(d_i, g, d_i)
        if d_f is not None:
            multiply(d_f, c_prev, d_f)
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
        dz, carry, views, blocks = self._backward_buffers(cache)
        steps = dz.shape[0]
        every_step = grad_outputs.ndim == cache.outputs.ndim
        if every_step:
            last = self._grad_at(grad_outputs, steps - 1, models)
        else:
            last = self._grad_at(grad_outputs[..., None, :], 0, models)
        w_h = self.recurrent_weight(params)  # dh_{t-1} = W_h dz_t
        product = np.matmul if models else np.dot
        add, multiply, copyto = np.add, np.multiply, np.copyto
        forget_gate = self.forget_gate
        padding = cache.padding
        if forget_gate and any(p is not None for p in padding):
            carry.fill(0)  # a padded last step passes on a zero dc
        for block, factor_views in blocks:
            self._derivative_factors(factor_views)
            for t in range(block.stop - 1, block.start - 1, -1):
                d, factor, vector, dh, dc, dc_copies, dc_one, dh_prev, dc_later, f = (
                    views[t]
                )
                if t == steps - 1:
                    copyto(dh, last)
                elif every_step:  # dh_t from the product of step t + 1, plus
                    add(self._grad_at(grad_outputs, t, models), dh, dh)
                multiply(dh, factor, dc)
                if t < steps - 1:  # the cell state's own path from step t + 1
                    add(dc, carry if forget_gate else dc_later, dc)
                pad = padding[t]
                if pad is not None and not forget_gate:  # dc_t = dc_{t+1}
                    if t < steps - 1:
                        copyto(dc, dc_later, where=pad[0])
                    else:
                        copyto(dc, 0, where=pad[0])
                copyto(dc_copies, dc_one)
                multiply(d, vector, d)
                if pad is not None:  # a padded step's gates get no delta
                    copyto(d, 0, where=pad[0])
                if t:
                    if forget_gate:
                        if pad is None:
                            multiply(dc, f, carry)
                        else:  # padded: carry dc_{t+1} on unchanged
                            multiply(dc, f, carry, where=pad[1])
                    product(w_h, d, dh_prev)
                    if pad is not None:  # padded: dh_{t-1} = dh_t
                        copyto(dh_prev, dh, where=pad[0])
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
        else:  # one product over (step, sample) pairs
            rows, width = state.shape[1], dz.shape[1]
            np.dot(
                state.swapaxes(0, 1).reshape(rows, -1),
                dz.swapaxes(0, 1).reshape(width, -1).T,
                out,
            )
        if alpha:  # W_x and W_h rows; the bias (last row) is not penalised
            out[..., :-1, :] += alpha * self.block(params)[..., :-1, :]
        if scale != 1:
            np.multiply(out, np.asarray(1.0 / scale, dtype=dz.dtype), out)
