"""The Eliminating Overshoot Method (EOM): overshoot flags and the Eq. 12 / 13 steps.

Full-batch gradient descent on the squared error in which, after each plain
backprop step from ``a`` (the last accepted parameters) to ``b``, the
parameters that overshot are re-estimated per coordinate inside the bracket
``[a, b]``:

- Eq. 12, local linearisation: the intersection of the tangent lines of the
  error at ``a`` and ``b``,
  ``x = (E_a - E_b + g_b b - g_a a) / (g_b - g_a)``, accepted when it lies
  strictly inside ``(min(a, b), max(a, b))`` (the paper's convex case);
- Eq. 13, weighted mean, otherwise (the printed equation drops ``B_n``; with
  it restored it is the regula-falsi zero of the gradient):
  ``x = (|g_b| a + |g_a| b) / (|g_a| + |g_b|)``.

Parameters whose last two gradients are both below ``gradient_tol`` keep
``b``.

Resolutions of what the paper leaves open:

- The overshoot definition (OD) is output-level: output ``k`` overshoots
  when its error, averaged over the training patterns, is on the other side
  of zero than at the first iteration (for one pattern, exactly the paper's
  "outputs on the same side of the expected output"). Only *new* overshoot
  (not already present at the anchor) triggers corrections, and the
  paper's guard applies at the output level too: an output whose bias
  gradient is below ``gradient_tol`` at both ends has converged, and its
  crossing does not count.
- While the OD is violated, rounds of corrections run, layers in turn from
  the input side ("the OD propagates forwards"), each followed by a
  re-evaluation, for at most ``max_corrections`` rounds; at the cap the last
  point is kept. Output-layer parameters feeding an overshooting output are
  corrected; hidden parameters are corrected when their gradient changed
  sign (parameter-level OD) and, from the second round on, all of them
  (every hidden parameter feeds the overshooting outputs; judging the
  parameter-level OD anew instead leaves crossings of up to 1e-2 that the
  output layer alone cannot undo).
- The first correction of a parameter uses Eq. 12, else Eq. 13; repeat
  corrections use Eq. 13 with the Illinois rule (the anchor's gradient
  weight halves each time), and after four halvings never land closer to
  the overshooting end than the bracket's midpoint. Why: a plain step that
  nearly reaches the target leaves ``|g_b|`` far below ``|g_a|``, so
  Eq. 13 (regula falsi) lands next to ``b``, still across; halving alone
  needs ``log2(|g_a| / |g_b|)`` rounds to get back, which used up the
  round cap every iteration at large learning rates and stalled training
  (one pattern, learning rate 10: 7 of 20 patterns stuck at E = 0.01-0.09
  where plain backprop reached 1e-6). The midpoint is the safeguard of
  Dekker's method; applied from the first repeat it also removed the stall
  but doubled the iterations at learning rates 2.5-5 (4 to 8).
- Cheap passes: a correction changes one layer, so the forward pass
  re-runs from that layer up and the backward pass runs only as far down
  as the next correction or the next iteration needs
  (:class:`_Evaluator`; identical numbers, ``lazy=False`` is the
  reference).

The output-root correction (``correction="output_root"``)
--------------------------------------------------------
Why the faithful loop is slow: on one pattern at learning rates where plain
backprop overshoots on 95-100 % of the outputs, EOM needs 4-5 iterations but
about ten correction passes in each (3.4-4x plain backprop's wall time to
E < 1e-6): each round moves every flagged parameter by Eq. 12 / 13 on its
own, with the *total* error, so the outputs approach their targets a
fraction of the way per round.

For an output unit the overshoot definition flags exactly the parameters of
its row of the output layer, and with the hidden activations ``h`` of the
plain step fixed, moving that row from ``a`` to ``a + t (b - a)`` moves the
unit's pre-activation linearly, ``z(t) = z_a + t (z_b - z_a)`` (Eq. 12's
local linearisation, exact in ``z``). The point the paper's rounds approach,
the zero of the unit's error inside the bracket (where its gradient
vanishes), is then the root of ``mean_s sigma(z_s(t)) - d_s`` over ``t`` in
(0, 1): in closed form for one pattern (``t = (logit(d) - z_a) / (z_b -
z_a)``), by Illinois regula falsi on ``t`` otherwise, with no network pass
at all. The crossed outputs land on their targets from their own side
(``_ROOT_MARGIN`` short of the root), and the rows keep the direction of
the plain step.

Where the root is not bracketed, the hidden layers' own step already moved
the output across at ``t = 0`` (typically an output that landed on its
target in an earlier iteration, pushed across by the hidden step that the
other outputs' errors drive). Then the hidden layers' step is shrunk, as a
whole, to half the share at which the worst such output (interpolated
linearly from its anchor error) would cross, at most ``_ROOT_SHRINKS``
times, and undone when that share is under a sixteenth: the anchor has
every output on its side, so at the anchor's hidden activations every root
is bracketed. Once outputs have landed on their targets (or the hidden
step has been undone), later iterations step the output layer only: every
hidden unit feeds the landed outputs, so any hidden step moves them off
their targets, and the step would be shrunk and undone. Measured on 20
single patterns at learning rate 2.5: every later hidden step was undone,
and skipping them gave the same iterations and final errors for about two
passes less per fit. The hidden layers have in effect converged, as the
paper's guard freezes converged parameters. Every parameter thus
stays between its last two values, and no output crosses by more than
round-off, apart from the jitter the paper's guard allows a converged
output (bias gradient below ``gradient_tol`` at both ends); the paper's
rounds leave crossings of up to about 1e-3 of the range at their cap. A
mean error within round-off of zero is on no side (it is at the target).
What still crosses after that is left to the paper's rounds, which then
rarely run.

Cost: two output-layer forwards (``z_a`` and ``z_b``), one more forward
per shrink, and the re-evaluation of the output layer. Measured on single
patterns of the radiative-transfer toy data
(``benchmarks/eom_paper.py --correction output_root``): at learning rates
3-10 most patterns reach E < 1e-6 in one iteration, well under plain
backprop's wall time; at 2.5 patterns whose targets the first step does not
cross keep the hidden layers nearly frozen and converge through the output
rows alone, so the median is about plain backprop's time or a little more.
With many patterns the same freezing applies once outputs sit on their
mean targets (the output-level definition's stall): use
``definition="per_pattern"`` there.

The multi-pattern mode (``definition="per_pattern"``)
-----------------------------------------------------
Why the faithful OD stalls on many patterns: it judges output ``k`` on its
error averaged over the patterns. Once an output is fitted, least squares
with an output bias drives that mean error to zero, every plain step moves
it to one side or the other, so every step "overshoots", and the
corrections shrink every step (R^2 0.09 against plain backprop's 0.80 on
scikit-learn's regression check).

The per-pattern OD judges each (pattern, output) error the way the paper
judges its single pattern, against its side at the last accepted iterate,
and counts it only when the step flipped its sign *and* left it larger than
before: the step went past the target's mirror point, which for one pattern
and a small step is exactly "stepped over the minimum". An output overshoots
when more than a twentieth of its patterns (weighted) do so in the same step:
that is what a too-long step does (plain backprop oscillating), not what
noise-level residuals drifting across their targets do, so it does not
stall. Why a twentieth: where plain backprop converges without oscillating
(diabetes and 2000 radiative-transfer patterns at learning rate 2) under
0.1 % of the errors flip in a step, while where it oscillates 13-73 % of
them do. A tenth, the first choice, let diabetes at learning rate 8
oscillate as much as plain backprop (13.8 % of the errors flipping per
step against 13.4 %); a twentieth halves that (6.8 %) and keeps the other
cases' gains (``benchmarks/eom_patterns.py``). The correction is the
paper's (Eq. 12 inside the bracket, else Eq. 13, on the parameters feeding
an overshooting output and on hidden parameters whose gradient changed
sign), made once per iteration on every layer together and followed by one
evaluation: at most one extra pass an iteration, and never the escalation
to every hidden parameter that makes the faithful loop expensive. Designs
measured before choosing this one (judging against the first iteration's
side, no "grew" condition, a noise-level filter, mini-batches):
``benchmarks/eom_patterns.py`` and the issue-11 note.

Reference: the EOM chapter, Springer LNCS, doi:10.1007/978-3-319-92007-8_39.
"""

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .activations import ACTIVATIONS, DERIVATIVES
from .losses import LOSSES
from .network import FeedForwardNetwork, sample_scale
from .training import progress_line

__all__ = [
    "EOMResult",
    "correct_overshoot",
    "fit_overshoot",
    "gradient_sign_flips",
    "output_roots",
    "per_pattern_overshoot",
    "tangent_intersection",
    "weighted_mean",
]

# Repeat corrections at or below this Illinois weight (after four halvings)
# land no closer to the overshooting end than the bracket's midpoint.
_MIDPOINT_CAP_WEIGHT = 0.0625

# Eq. 12's point must be this far (relative to the bracket) inside it.
_INSIDE = 1e-12


def tangent_intersection(a, b, e_a: float, e_b: float, g_a, g_b) -> np.ndarray:
    """Eq. 12: where the tangents of E at ``a`` and at ``b`` cross (NaN if parallel)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return (e_a - e_b + g_b * b - g_a * a) / (g_b - g_a)


def weighted_mean(a, b, g_a, g_b, anchor_weight=1.0) -> np.ndarray:
    """Eq. 13 with the typo fixed: ``(|g_b| a + w |g_a| b) / (w |g_a| + |g_b|)``.

    ``w = anchor_weight`` is 1 in the paper's equation; the Illinois rule
    halves it while a parameter keeps overshooting, so that repeated rounds
    approach the gradient's zero from the anchor's side instead of creeping
    towards it from the overshooting side.
    """
    abs_a, abs_b = anchor_weight * np.abs(g_a), np.abs(g_b)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (abs_b * a + abs_a * b) / (abs_a + abs_b)


def correct_overshoot(
    a, b, e_a: float, e_b: float, g_a, g_b, gradient_tol: float, anchor_weight=None
) -> tuple[np.ndarray, np.ndarray]:
    """Re-estimated values for the bracket ``[a, b]``, coordinate-wise.

    Returns ``(x, used_tangent)``: Eq. 12 where it falls strictly inside the
    bracket, Eq. 13 elsewhere, and ``b`` unchanged where both gradients are
    below ``gradient_tol`` (or Eq. 13 is undefined). With ``anchor_weight``
    (repeat rounds) Eq. 13 with that Illinois weight is used throughout.
    """
    a, b, g_a, g_b = (np.asarray(v) for v in (a, b, g_a, g_b))
    if anchor_weight is None:
        lo, hi = np.minimum(a, b), np.maximum(a, b)
        margin = _INSIDE * (hi - lo)
        x12 = tangent_intersection(a, b, e_a, e_b, g_a, g_b)
        inside = np.isfinite(x12) & (x12 > lo + margin) & (x12 < hi - margin)
        x = np.where(inside, x12, weighted_mean(a, b, g_a, g_b))
    else:
        inside = np.zeros(a.shape, dtype=bool)
        # After four halvings, never closer to the overshooting end b than
        # the bracket's midpoint: the anchor's weight is capped at |g_b| (see
        # the module docstring).
        anchor = anchor_weight * np.abs(g_a)
        capped = np.asarray(anchor_weight) <= _MIDPOINT_CAP_WEIGHT
        anchor = np.where(capped, np.minimum(anchor, np.abs(g_b)), anchor)
        x = weighted_mean(a, b, anchor, g_b)
    frozen = (np.abs(g_a) < gradient_tol) & (np.abs(g_b) < gradient_tol)
    frozen |= ~np.isfinite(x)
    return np.where(frozen, b, x), inside & ~frozen


def gradient_sign_flips(g_a, g_b, gradient_tol: float) -> np.ndarray:
    """Parameter-level overshoot: the gradient changed sign (and is not negligible)."""
    flips = g_a * g_b < 0
    flips &= (np.abs(g_a) >= gradient_tol) | (np.abs(g_b) >= gradient_tol)
    return flips


# The output-root correction stops this fraction of the way short of the
# root (towards the anchor), so the output lands on its own side of the
# target and not across it by round-off.
_ROOT_MARGIN = 1e-6
# Shrinks of the hidden layers' step (to the share at which the worst
# unbracketed output would cross, halved) before it is undone for the
# iteration, and the smallest share kept.
_ROOT_SHRINKS = 2
_ROOT_MIN_SHARE = 1.0 / 16
# Regula falsi on the step fraction stops when the bracket is this narrow.
_ROOT_TOL = 1e-12
_ROOT_MAX_ITER = 60


def target_logits(y) -> np.ndarray:
    """``logit(y)`` of a single pattern's targets, as :func:`output_roots` uses it."""
    y = np.asarray(y, dtype=float)
    return np.log(y[0]) - np.log1p(-y[0])


def output_roots(z_a, z_b, y, sample_weight=None, *, logit_y=None) -> np.ndarray:
    """Step fractions ``t`` in (0, 1) that put each output's mean error at zero.

    ``z_a``, ``z_b``: output pre-activations, shape (n_samples, n_outputs),
    of the output layer's rows at the anchor and after the step, on the same
    hidden activations; ``y`` the targets (in (0, 1), logistic outputs).
    Along ``z(t) = z_a + t (z_b - z_a)`` the (weighted) mean error
    ``f(t) = mean_s sigma(z_s(t)) - y_s`` is solved for ``f(t) = 0``: in
    closed form for one pattern, by Illinois regula falsi otherwise. NaN
    where the root is not bracketed (``f(0)`` and ``f(1)`` on the same side
    of zero, or one of them is zero). ``logit_y``: :func:`target_logits` of
    ``y`` when already known (one pattern; a fit solves many times).
    """
    z_a, z_b, y = (np.asarray(v, dtype=float) for v in (z_a, z_b, y))
    if z_a.shape[1] == 0:
        return np.empty(0)
    dz = z_b - z_a
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if z_a.shape[0] == 1 and sample_weight is None:
            if logit_y is None:
                logit_y = target_logits(y)
            t = (logit_y - z_a[0]) / dz[0]
            return np.where((t > 0) & (t < 1), t, np.nan)

        def f(t):
            outputs = ACTIVATIONS["logistic"](z_a + t * dz)  # a fresh array
            return np.average(outputs - y, axis=0, weights=sample_weight)

        lo, hi = np.zeros(z_a.shape[1]), np.ones(z_a.shape[1])
        f_lo, f_hi = f(lo), f(hi)
        bracketed = f_lo * f_hi < 0
        f_lo, f_hi = np.where(bracketed, f_lo, 1.0), np.where(bracketed, f_hi, -1.0)
        side = 0  # which end moved last (Illinois: halve the other's value)
        for _ in range(_ROOT_MAX_ITER):
            t = (lo * f_hi - hi * f_lo) / (f_hi - f_lo)
            f_t = f(t)
            left = np.sign(f_t) == np.sign(f_lo)
            lo, f_lo = np.where(left, t, lo), np.where(left, f_t, f_lo)
            hi, f_hi = np.where(left, hi, t), np.where(left, f_hi, f_t)
            f_hi = np.where(left & (side == 1), 0.5 * f_hi, f_hi)
            f_lo = np.where(~left & (side == -1), 0.5 * f_lo, f_lo)
            side = np.where(left, 1, -1)
            if np.all((hi - lo < _ROOT_TOL) | (f_t == 0) | ~bracketed):
                break
        return np.where(bracketed, t, np.nan)


# The multi-pattern OD: a (pattern, output) error counts when the step flipped
# its sign and left it larger than before; an output overshoots when more
# than this share of its patterns (weighted) do so at once.
PER_PATTERN_SHARE = 0.05


def per_pattern_overshoot(err_a, err_b, sample_weight=None) -> np.ndarray:
    """Outputs that overshoot by the multi-pattern definition.

    ``err_a``, ``err_b``: errors ``O - D`` of shape (n_samples, n_outputs) at
    the anchor and after the step. Pattern ``s`` overshoots on output ``k``
    when its error changed sign *and* grew (``|e_b| > |e_a|``: the step went
    past the mirror point of the target); output ``k`` overshoots when more
    than :data:`PER_PATTERN_SHARE` of its patterns (weighted) do.
    """
    flipped = np.sign(err_b) == -np.sign(err_a)
    flipped &= np.sign(err_a) != 0
    worse = flipped & (np.abs(err_b) > np.abs(err_a))
    share = np.average(worse, axis=0, weights=sample_weight)
    return share > PER_PATTERN_SHARE


@dataclass
class EOMResult:
    """Outcome and per-iteration history of :func:`fit_overshoot`.

    ``loss_curve`` holds the total error ``E = 1/2 sum (O - D)^2`` after each
    iteration, ``overshoot_curve`` the fraction of outputs on the wrong side
    of their targets right after the plain backprop step, ``corrections_curve``
    the number of parameter corrections made, ``rounds_curve`` the number of
    extra evaluations they cost, ``crossing_curve`` the fraction of
    (pattern, output) errors whose sign the plain step flipped (weighted over
    the patterns), ``passes_curve`` the work of each iteration
    in full forward/backward pass equivalents (1 for plain backprop), and
    ``outputs_curve`` (when recorded) the network outputs before training and
    after each iteration.
    """

    n_iter: int = 0
    initial_loss: float = math.nan
    loss_curve: list = field(default_factory=list)
    overshoot_curve: list = field(default_factory=list)
    corrections_curve: list = field(default_factory=list)
    rounds_curve: list = field(default_factory=list)
    crossing_curve: list = field(default_factory=list)
    passes_curve: list = field(default_factory=list)
    outputs_curve: list | None = None
    diverged_iter: int | None = None
    reached_tol: bool = False
    interrupted: bool = False


class _Evaluator:
    """Squared error, gradient and outputs at the working parameters, lazily.

    A correction changes one layer, so :meth:`evaluate` re-runs the forward
    pass from that layer up (the activations below it are cached) and
    :meth:`gradient` runs the backward pass only down to the layer asked
    for, resuming where the last call stopped. Every number is computed by
    the same calls in the same order as ``network.loss_grad``, so the results
    are identical to full evaluations, only cheaper. ``lazy=False`` makes
    every call a full pass (the reference the equivalence test compares
    with).

    ``passes`` counts the work done in full-pass equivalents: a layer's
    forward, its weight gradient and its input delta each count as one
    third of that layer's share.
    """

    def __init__(
        self, network: FeedForwardNetwork, x, y, alpha: float, sample_weight, lazy
    ):
        self.network, self.x, self.y, self.alpha = network, x, y, alpha
        self.sample_weight = sample_weight
        self.lazy = lazy
        self.n = x.shape[0]
        self.buffers = network.buffers(self.n, y.dtype)
        self.buffers.x = x
        self.layers = network.layers
        self.n_layers = len(network.layers)
        self.hidden = ACTIVATIONS[network.activation]
        self.derivative = DERIVATIVES[network.activation]
        self.loss = LOSSES["squared_error"]
        self.scale = sample_scale(x, sample_weight)
        self.params = None
        self.grad = None
        self.passes = 0.0
        # Layers whose cached forward outputs are current; the gradient is
        # current from layer ``grad_from`` up, ``delta`` is the error signal
        # entering layer ``grad_from - 1``.
        self.forward_from = 0
        self.grad_from = self.n_layers
        self.delta = None

    def _share(self):
        # A full pass: every layer's forward and weight gradient, and the
        # input delta of every layer but the first.
        return 1.0 / (3 * self.n_layers - 1)

    def evaluate(self, params, changed_layer: int = 0):
        """Error at ``params`` (the working vector), whose layers below
        ``changed_layer`` are unchanged since the last call.

        Returns ``(mean_error, outputs)``; ``outputs`` is a view valid until
        the next call. The gradient is computed on demand by :meth:`gradient`.
        """
        start = changed_layer if self.lazy and self.params is params else 0
        self.params = params
        n = self.n
        outputs = [buf[:n] for buf in self.buffers.outputs]
        a = self.x if start == 0 else outputs[start - 1]
        last = self.n_layers - 1
        for i in range(start, self.n_layers):
            a = self.layers[i].forward(params, a, out=outputs[i])
            if i < last:
                self.hidden(a)
        self.passes += (self.n_layers - start) * self._share()
        value, self.delta = self.loss(
            self.y, a, self.network.output, self.sample_weight
        )
        value = self.network._with_l2(value, params, self.alpha, self.scale)
        self.grad = np.empty_like(params)
        self.grad_from = self.n_layers
        if not self.lazy:
            self.gradient(0)
        return value, outputs[-1]

    def output_logits(self, params) -> np.ndarray:
        """The output layer's pre-activations with the weights of ``params``,
        on the cached input of that layer (one layer's forward)."""
        last = self.n_layers - 1
        layer_input = self.x if last == 0 else self.buffers.outputs[last - 1][: self.n]
        self.passes += self._share()
        return self.layers[last].forward(params, layer_input)

    def gradient(self, down_to: int = 0) -> np.ndarray:
        """The gradient at the last evaluated point, current from layer
        ``down_to`` up (the whole of it for 0)."""
        n = self.n
        outputs = [buf[:n] for buf in self.buffers.outputs]
        params, grad, delta = self.params, self.grad, self.delta
        for i in range(self.grad_from - 1, down_to - 1, -1):
            layer_input = self.x if i == 0 else outputs[i - 1]
            self.layers[i].backward(
                params, layer_input, delta, grad, alpha=self.alpha, scale=self.scale
            )
            self.passes += self._share()
            if i > 0:
                delta = self.layers[i].input_delta(
                    params, delta, self.buffers.deltas[i - 1][:n]
                )
                self.derivative(outputs[i - 1], delta)
                self.passes += self._share()
        self.grad_from = min(self.grad_from, down_to)
        self.delta = delta
        return grad


def _layer_masks(network: FeedForwardNetwork) -> list[np.ndarray]:
    masks = []
    for layer in network.layers:
        mask = np.zeros(network.n_params, dtype=bool)
        mask[layer.weight_slice] = True
        mask[layer.bias_slice] = True
        masks.append(mask)
    return masks


def _output_unit_flags(network, unit_overshoots: np.ndarray) -> np.ndarray:
    """Flat mask of the output-layer parameters that feed an overshooting unit."""
    layer = network.layers[-1]
    flags = np.zeros(network.n_params, dtype=bool)
    flags[layer.weight_slice] = np.broadcast_to(
        unit_overshoots, (layer.fan_in, layer.fan_out)
    ).ravel()
    flags[layer.bias_slice] = unit_overshoots
    return flags


def fit_overshoot(
    network: FeedForwardNetwork,
    params: np.ndarray,
    x,
    y: np.ndarray,
    *,
    learning_rate: float,
    max_iter: int,
    tol: float,
    eliminate: bool = True,
    gradient_tol: float = 1e-6,
    max_corrections: int = 10,
    alpha: float = 0.0,
    record_outputs: bool = False,
    verbose: bool = False,
    sample_weight: np.ndarray | None = None,
    definition: str = "mean",
    lazy: bool = True,
    on_iteration_end: Callable[[int, np.ndarray], bool] | None = None,
    correction: str = "paper",
) -> EOMResult:
    """Full-batch backprop on ``1/2 sum (O - D)^2``, with or without EOM.

    The descent uses the error averaged over samples (so ``learning_rate``
    does not scale with the data size; for one pattern this is the paper's
    E); ``tol`` and the reported curves use the paper's total error.
    ``params`` is updated in place. With ``eliminate=False`` this is
    traditional backprop (TBP) with the same bookkeeping. With
    ``sample_weight`` every average over the patterns (the error, its
    gradient and the output-level OD) is weighted, and the total error is
    the weighted sum, so integer weights act as repeated rows and zero
    weights as dropped ones. ``definition="per_pattern"`` is the
    multi-pattern mode (:func:`per_pattern_overshoot`: one joint correction
    of every layer at most per iteration). ``correction="output_root"``
    (with ``definition="mean"``) first moves the output-layer rows of the
    overshooting outputs to the root of their error along the step
    (:func:`output_roots`), and runs the paper's rounds only for what that
    leaves across (see the module docstring). ``lazy=False``
    re-evaluates everything after every correction (same results, slower;
    kept as the reference of the cheap passes). ``verbose`` prints one line
    per iteration (total error, overshoot, corrections, elapsed time);
    ``on_iteration_end(n_iter, params)`` runs after every accepted
    iteration and ends training when it returns true.
    """
    started_at = time.perf_counter()
    if definition not in ("mean", "per_pattern"):
        raise ValueError(
            f"definition must be 'mean' or 'per_pattern', got {definition!r}"
        )
    if correction not in ("paper", "output_root"):
        raise ValueError(
            f"correction must be 'paper' or 'output_root', got {correction!r}"
        )
    result = EOMResult(outputs_curve=[] if record_outputs else None)
    with np.errstate(over="ignore", invalid="ignore"):
        loop = _OvershootLoop(
            network,
            params,
            x,
            y,
            learning_rate=learning_rate,
            gradient_tol=gradient_tol,
            max_corrections=max_corrections,
            alpha=alpha,
            sample_weight=sample_weight,
            lazy=lazy,
            correction=correction if eliminate else None,
            definition=definition,
        )
        n = loop.evaluate.scale  # the total error is the weighted sum
        result.initial_loss = loop.e_a * n
        if record_outputs:
            result.outputs_curve.append(loop.out.copy())
        # Ctrl-C keeps the last accepted iterate, as scikit-learn's MLP keeps
        # the model trained so far.
        try:
            for iteration in range(1, max_iter + 1):
                step = loop.iterate()
                if step is None:
                    result.diverged_iter = iteration
                    break
                total = loop.e_a * n
                result.n_iter = iteration
                result.loss_curve.append(total)
                result.overshoot_curve.append(step.overshoot_fraction)
                result.crossing_curve.append(step.crossing_fraction)
                result.corrections_curve.append(step.corrections)
                result.rounds_curve.append(step.rounds)
                result.passes_curve.append(step.passes)
                if record_outputs:
                    result.outputs_curve.append(loop.out.copy())
                if verbose:
                    print(
                        progress_line(
                            iteration,
                            started_at,
                            total_error=f"{total:.8g}",
                            overshoot=f"{step.overshoot_fraction:.3f}",
                            corrections=str(step.corrections),
                        )
                    )
                stop = on_iteration_end is not None and on_iteration_end(
                    iteration, params
                )
                if total < tol:
                    result.reached_tol = True
                    break
                if stop:
                    break
        except KeyboardInterrupt:
            params[...] = loop.a
            result.interrupted = True
    return result


@dataclass
class _Step:
    """What one accepted iteration did (the per-iteration curves)."""

    overshoot_fraction: float
    crossing_fraction: float
    corrections: int
    rounds: int
    passes: float


class _OvershootLoop:
    """The state of :func:`fit_overshoot` between iterations, and one iteration.

    ``a``, ``e_a``, ``g_a`` and ``err_a`` are the last accepted iterate, its
    mean error, gradient and per-pattern errors; ``params`` is the working
    vector (the caller's, updated in place). ``correction`` is None for
    plain backprop, else ``"paper"`` or ``"output_root"``. Call with
    floating-point warnings silenced (overflow in the logistic is expected).
    """

    def __init__(
        self,
        network: FeedForwardNetwork,
        params: np.ndarray,
        x,
        y: np.ndarray,
        *,
        learning_rate: float,
        gradient_tol: float,
        max_corrections: int,
        alpha: float,
        sample_weight,
        lazy: bool,
        correction: str | None,
        definition: str,
    ):
        self.network, self.params, self.y = network, params, y
        self.learning_rate = learning_rate
        self.gradient_tol = gradient_tol
        self.max_corrections = max_corrections
        self.sample_weight = sample_weight
        self.correction, self.definition = correction, definition
        self.evaluate = _Evaluator(network, x, y, alpha, sample_weight, lazy=lazy)
        self.masks = _layer_masks(network)
        self.last = len(self.masks) - 1
        self.hidden_mask = (
            np.logical_or.reduce(self.masks[:-1]) if self.last else ~self.masks[-1]
        )
        self.out_layer = network.layers[-1]
        self.n_hidden = int(self.hidden_mask.sum())
        self.logit_y = (
            target_logits(y) if y.shape[0] == 1 and sample_weight is None else None
        )

        self.e_a, self.out = self.evaluate.evaluate(params)
        self.g_a = self.evaluate.gradient().copy()
        self.target_mean = self.mean_rows(y)
        self.reference_side = np.sign(self.mean_rows(self.out) - self.target_mean)
        self.a = params.copy()
        # Each error's side of its target, at the anchor and after the step:
        # the crossing curve compares these (cheaper than the errors'
        # product, a fifth of a plain iteration on 2000 patterns).
        self.above_a, self.below_a, self.above_b, self.below_b, self.flipped = (
            np.empty(y.shape, dtype=bool) for _ in range(5)
        )
        self.sides(self.out, self.above_a, self.below_a)
        # The errors themselves, where the mode reads them.
        self.track_errors = definition == "per_pattern" or correction == "output_root"
        if self.track_errors:
            self.err_a = self.out - y  # the anchor's errors, per pattern
            self.err_b = np.empty_like(self.err_a)
        # With the output-root correction outputs land on their targets, so a
        # mean error within round-off of zero is on no side (it is at the
        # target); the paper's rounds never get there and keep plain signs.
        self.roundoff = 64 * np.finfo(y.dtype).eps if correction == "output_root" else 0
        self.across_at_anchor = np.zeros(y.shape[1], dtype=bool)
        # Once outputs have landed, only the output layer steps (see the
        # module docstring).
        self.hidden_frozen = False

    # -- the overshoot definition -------------------------------------------

    def mean_rows(self, values):
        """Mean over the patterns (weighted); one pattern's own row."""
        if self.sample_weight is None:
            return values[0] if values.shape[0] == 1 else values.mean(axis=0)
        return np.average(values, axis=0, weights=self.sample_weight)

    def across(self, out):
        """Outputs whose mean error is on the other side than at the start."""
        # Opposite signs, by more than round-off (reference_side is +-1, or
        # 0 for an output that started on its target).
        return (
            self.mean_rows(out) - self.target_mean
        ) * self.reference_side < -self.roundoff

    def output_converged(self, g_b):
        """The paper's guard at the output level: an output whose bias
        gradient is below gradient_tol at both ends has converged, and its
        crossing is jitter, not overshoot."""
        bias = self.out_layer.bias_slice
        return (np.abs(self.g_a[bias]) < self.gradient_tol) & (
            np.abs(g_b[bias]) < self.gradient_tol
        )

    def overshooting(self, out, across=None):
        """Outputs newly across their target, unless converged. ``across``:
        :meth:`across` of ``out`` when already known."""
        if across is None:
            across = self.across(out)
        crossed = across & ~self.across_at_anchor
        if not crossed.any():  # the guard cannot matter
            return crossed
        g_b = self.evaluate.gradient(self.last)
        return crossed & ~self.output_converged(g_b)

    def correct(self, subset, e_b, g_b, anchor_weight=None):
        """Eq. 12 / Eq. 13 on the parameters in ``subset``, in place."""
        a, params = self.a, self.params
        params[subset], _ = correct_overshoot(
            a[subset],
            params[subset],
            self.e_a,
            e_b,
            self.g_a[subset],
            g_b[subset],
            self.gradient_tol,
            anchor_weight,
        )

    def above_tolerance(self, flags, g_b):
        """``flags`` without the parameters the paper's guard freezes."""
        tol = self.gradient_tol
        return flags & ((np.abs(self.g_a) >= tol) | (np.abs(g_b) >= tol))

    # -- one iteration -------------------------------------------------------

    def iterate(self) -> _Step | None:
        """One plain step, its corrections, and acceptance; None if diverged
        (``params`` is then back at the last accepted iterate)."""
        evaluate, params = self.evaluate, self.params
        passes_before = evaluate.passes
        params -= self.learning_rate * self.g_a
        e_b, out = evaluate.evaluate(params, self.last if self.hidden_frozen else 0)
        across = self.across(out)
        overshoot_fraction = np.count_nonzero(across) / across.size
        # Errors the plain step flipped (a zero error has no side).
        flipped = self.crossings(out)
        if self.track_errors:
            np.subtract(out, self.y, out=self.err_b)
        if self.sample_weight is None:
            crossing_fraction = np.count_nonzero(flipped) / flipped.size
        else:
            crossing_fraction = float(
                np.mean(np.average(flipped, axis=0, weights=self.sample_weight))
            )
        corrections = rounds = 0
        if self.correction is not None and math.isfinite(e_b):
            if self.definition == "per_pattern":
                e_b, out, corrections, rounds = self.per_pattern_correction(e_b, out)
            else:
                crossed = self.overshooting(out, across)
                if self.correction == "output_root" and crossed.any():
                    corrections, rounds = self.move_to_roots(crossed)
                    if rounds:
                        e_b, out = evaluate.evaluate(params, self.last)
                        crossed = self.overshooting(out)
                if crossed.any():
                    e_b, out, more, extra = self.paper_rounds(e_b, out, crossed)
                    corrections, rounds = corrections + more, rounds + extra

        g_b = evaluate.gradient(self.last if self.hidden_frozen else 0)
        if self.hidden_frozen:
            g_b[self.hidden_mask] = 0.0
        if not (math.isfinite(e_b) and np.isfinite(params).all()):
            params[...] = self.a
            return None
        self.a[...] = params
        self.e_a = e_b
        self.g_a[...] = g_b
        self.out = out
        if self.correction is not None:
            # Unless corrected, ``out`` is the plain step's, across as above.
            self.across_at_anchor = self.across(out) if rounds else across
        if rounds:  # corrected: the accepted point's own sides and errors
            self.sides(out, self.above_a, self.below_a)
            if self.track_errors:
                np.subtract(out, self.y, out=self.err_a)
        else:  # the plain step's are the accepted point's
            self.above_a, self.above_b = self.above_b, self.above_a
            self.below_a, self.below_b = self.below_b, self.below_a
            if self.track_errors:
                self.err_a, self.err_b = self.err_b, self.err_a
        return _Step(
            overshoot_fraction,
            crossing_fraction,
            corrections,
            rounds,
            evaluate.passes - passes_before,
        )

    def crossings(self, out):
        """(pattern, output) errors on the other side of zero than at the
        anchor; an error at zero, then or now, has no side. (The sign of
        ``O - D`` is the comparison's, so this is ``e_b e_a < 0``.)"""
        above, below, flipped = self.above_b, self.below_b, self.flipped
        self.sides(out, above, below)
        np.logical_and(above, self.below_a, out=flipped)
        flipped |= below & self.above_a
        return flipped

    def sides(self, out, above, below):
        """Each output above / below its target, into the boolean buffers."""
        np.greater(out, self.y, out=above)
        np.less(out, self.y, out=below)

    def per_pattern_correction(self, e_b, out):
        """The multi-pattern mode: one joint correction of every layer, then
        one pass. Returns ``(e_b, out, corrections, rounds)``."""
        g_b = self.evaluate.gradient()
        crossed = per_pattern_overshoot(
            self.err_a, self.err_b, self.sample_weight
        ) & ~self.output_converged(g_b)
        if not crossed.any():
            return e_b, out, 0, 0
        flags = _output_unit_flags(self.network, crossed)
        flags |= (
            gradient_sign_flips(self.g_a, g_b, self.gradient_tol) & self.hidden_mask
        )
        flags = self.above_tolerance(flags, g_b)
        if not flags.any():
            return e_b, out, 0, 0
        self.correct(flags, e_b, g_b)
        e_b, out = self.evaluate.evaluate(self.params)
        return e_b, out, int(flags.sum()), 1

    def paper_rounds(self, e_b, out, crossed):
        """Eq. 12 / 13 rounds while some output newly overshoots (see the
        module docstring); within a round, layers go from the input side.
        Returns ``(e_b, out, corrections, rounds)``."""
        params, evaluate = self.params, self.evaluate
        weight = np.ones_like(params)
        first = np.ones(params.shape, dtype=bool)
        corrections = rounds = 0
        for round_ in range(self.max_corrections):
            if not (crossed.any() and math.isfinite(e_b)):
                break
            for layer_index, mask in enumerate(self.masks):
                # The gradient of this layer at the current point.
                g_b = evaluate.gradient(layer_index)
                if layer_index == self.last:
                    flags = _output_unit_flags(self.network, crossed)
                elif round_ == 0:
                    flags = gradient_sign_flips(self.g_a, g_b, self.gradient_tol)
                    flags &= mask
                else:
                    # Outputs still across after a full round: every hidden
                    # parameter feeds them, so all overshoot.
                    flags = mask.copy()
                flags = self.above_tolerance(flags, g_b)
                if not flags.any():
                    continue
                fresh, again = flags & first, flags & ~first
                for subset, w in ((fresh, None), (again, weight[again])):
                    if subset.any():
                        self.correct(subset, e_b, g_b, w)
                # Illinois: halve the anchor's weight for every parameter
                # corrected again (it kept overshooting).
                weight[again] *= 0.5
                first &= ~flags
                corrections += int(flags.sum())
                rounds += 1
                e_b, out = evaluate.evaluate(params, layer_index)
                crossed = self.overshooting(out)
                if not crossed.any():
                    break
        return e_b, out, corrections, rounds

    def move_to_roots(self, crossed):
        """Output rows of the ``crossed`` units to their error's root along
        the step, just short of it. Where a root is not bracketed (the hidden
        layers' step alone moved the output across), the hidden layers' step
        is shrunk first (see :data:`_ROOT_SHRINKS`). Returns ``(parameters
        moved, evaluations)``: the working point is left to re-evaluate
        (from the output layer) when evaluations is non-zero."""
        evaluate, params, a = self.evaluate, self.params, self.a
        hidden_mask, y, n_hidden = self.hidden_mask, self.y, self.n_hidden
        shrinks = 0
        while True:
            if not crossed.any():  # the shrunk step crosses nothing
                return (n_hidden, shrinks + 1) if shrinks else (0, 0)
            z_a = evaluate.output_logits(a)
            z_b = evaluate.output_logits(params)
            t = output_roots(z_a, z_b, y, self.sample_weight, logit_y=self.logit_y)
            missing = crossed & np.isnan(t)
            if missing.any():
                # The mean error at t = 0: the anchor's rows on the new
                # hidden activations. At the target (within round-off) the
                # output keeps its anchor row.
                f0 = self.mean_rows(ACTIVATIONS["logistic"](z_a.copy()) - y)
                at_target = missing & (np.abs(f0) <= self.roundoff)
                t[at_target] = 0.0
                missing &= ~at_target
            if not missing.any() or not self.last or shrinks > _ROOT_SHRINKS:
                break
            shrinks += 1
            # Keep half the share of the hidden step at which the worst output,
            # interpolated linearly from its anchor error to f0, would cross;
            # undo the step when that is under a sixteenth or the shrinks are
            # used up. Once undone, later iterations step the output layer
            # only (see the module docstring).
            e_anchor = self.mean_rows(self.err_a)[missing]
            share = 0.5 * float(np.min(e_anchor / (e_anchor - f0[missing])))
            if shrinks > _ROOT_SHRINKS or not share >= _ROOT_MIN_SHARE:
                share = 0.0
                self.hidden_frozen = True
            params[hidden_mask] = a[hidden_mask] + share * (
                params[hidden_mask] - a[hidden_mask]
            )
            _, out = evaluate.evaluate(params)
            crossed = self.across(out) & ~self.across_at_anchor
        move = crossed & ~missing
        n_moved = int(np.count_nonzero(move))
        if n_moved:
            # Landed outputs: later hidden steps would only be undone.
            self.hidden_frozen = True
            self.land(move, t)
        moved = (n_hidden if shrinks else 0) + n_moved * (self.out_layer.fan_in + 1)
        return (moved, shrinks + 1) if moved else (0, 0)

    def land(self, move, t):
        """The output rows of the ``move`` units to the fraction ``t`` of
        their step, just short of it."""
        layer, a, params = self.out_layer, self.a, self.params
        shape = (layer.fan_in, layer.fan_out)
        # Full-width where(): rows not moved keep their values bit for bit,
        # without fancy-indexed copies.
        share = np.where(move, t * (1.0 - _ROOT_MARGIN), 0.0).astype(params.dtype)
        w_a = a[layer.weight_slice].reshape(shape)
        w_b = params[layer.weight_slice].reshape(shape)
        w_b[...] = np.where(move, w_a + share * (w_b - w_a), w_b)
        b_a, b_b = a[layer.bias_slice], params[layer.bias_slice]
        b_b[...] = np.where(move, b_a + share * (b_b - b_a), b_b)
