"""Error Entropy Minimization's math: information potential, entropy, widths.

The one home of the Parzen / information-potential math of the package:
every EEM loss of :mod:`.losses`, the metrics of :mod:`skentropy.metrics`
and the estimators' width rules call into this module.

For errors ``e_1, ..., e_N`` (scalars, or vectors in ``R^d``) with weights
``w_i`` (all 1 when unweighted), the information potential with a Gaussian
kernel of **pairwise** width ``s`` is the V-statistic

    V = sum_i sum_j w_i w_j G_s(e_i - e_j) / (sum_i w_i)^2,
    G_s(u) = c_d exp(-|u|^2 / (2 s^2)),  c_d = (2 pi s^2)^(-d/2),

and the quadratic Renyi entropy of the errors is ``H2 = -log V``. ``V`` is
the integral of the squared Parzen density estimate of width
``sigma = s / sqrt(2)``. The diagonal ``i = j`` is kept: it keeps ``V > 0``
and makes integer weights exactly equivalent to repeated rows.

With ``K_kj = exp(-|e_k - e_j|^2 / (2 s^2))`` and ``P = W K W / sum(W K W)``
(``W = diag(w)``), the gradients with respect to the error matrix ``E``
(N x d) are

    d(-log V)/dE = (2 / s^2) (diag(P 1) E - P E),
    d(-V)/dE     = V d(-log V)/dE,

so the two objectives differ by the factor ``1/V`` only. Both are computed
from the kernel sums ``r_k = sum_j w_j K_kj`` and ``m_k = sum_j w_j K_kj e_j``
through ``sum_j w_j K_kj (e_k - e_j) = e_k r_k - m_k``.

Estimators:

- ``"exact"``: all pairs, O(N^2 d) time, blocked over rows so that memory
  stays O(block x N); only the blocks on and above the diagonal are formed
  (the kernel is symmetric), halving the ``exp`` calls.
- ``"binned"`` (1-D errors): linear binning onto a grid of spacing
  ``s / grid_ratio``, one real-FFT convolution each with the kernel and with
  ``t K(t)``, linear interpolation back to the samples; O(N + M log M) for a
  grid of M points. Empty stretches of the line wider than the kernel's
  support are squeezed out of the grid, so a few far outliers cost nothing.
- ``"binned"`` (2-D and 3-D errors): multilinear binning onto a grid of
  spacing ``s / 4`` (2-D) or ``s / 3`` (3-D), one real ``d``-dimensional FFT
  convolution with the separable Gaussian (truncated at 7 s per axis), and
  one more per axis with ``t_k K(t)`` for the gradient. Binning displaces
  each error by a random amount of variance ``f (1 - f) h^2`` per axis,
  which widens the kernel by ``h^2 / 3`` per axis on average; the grid
  kernel is narrowed by as much and rescaled, which removes that O(h^2)
  bias. ``log V`` is then within about 1e-4 of the exact sums (1e-3 at
  worst in the tests: normal, t3, bimodal, weighted; 3000 errors), the
  gradient within about 2e-2. A grid that would exceed 2^23
  nodes is made coarser (down to ``s / 2``, still within 2e-3); beyond that
  the errors outside a central box (heavy tails) have their pairs within
  the cutoff summed exactly with a k-d tree. 1e6 errors take about 0.5 s in
  2-D and 1-7 s in 3-D (2-core AMD EPYC).
- ``"auto"``: exact up to :data:`AUTO_EXACT_MAX_SAMPLES` scalar errors and
  :data:`AUTO_EXACT_MAX_JOINT_SAMPLES` 2-D or 3-D errors, binned above (and
  exact again when no binned grid fits); exact for more dimensions. That is
  the crossover for one call (a metric: exact costs about 17 ms at 2048
  scalar errors, 20-40 ms at 2048 2-D or 3-D errors, where 3-D binning
  costs about as much). Training evaluates the loss every batch and uses the speed
  crossover :data:`TRAINING_EXACT_MAX_SAMPLES` instead (see
  :func:`choose_method`): float64 ``exp`` costs about 5 ns on a machine
  without AVX-512, so the exact sums of 200 errors take about 300 us and the
  binned ones about 130 us (measured on a 2-core AMD EPYC; they cross near
  100 errors).

Scale: ``V`` depends on the errors only through ``e / s``, up to ``c_d``.
The public functions multiply the errors by ``2^-k`` (exact) so that they
lie in (-1, 1), the width by the same factor, and form ``log c_d`` from
``log s``; the width rules measure the spread of the scaled errors. So the
results are exact across the float range: ``H(c e, c s) = H(e, s) + d
log|c|``, and the rules scale with the errors. Weights are normalised the
same way.

Numerics: ``log V`` is formed in the log domain, ``log V = log S - 2 log W
+ log c_d`` with ``log c_d = -(d/2) log(2 pi s^2)``, so ``c_d`` itself is
never formed (it under- or overflows for large ``d``). The largest exponent
of ``S = sum w_i w_j K_ij`` is that of the diagonal, 0, so the log-sum-exp
shift is zero and ``S >= sum w_i^2 > 0``. Scaled squared distances are
clamped at :data:`MAX_EXPONENT` before ``exp``: beyond it the kernel is below
1e-35 anyway, and float32 subnormals would make ``exp`` and the following
matrix products an order of magnitude slower. The errors are centred first
(the entropy is shift invariant), which keeps the distance arithmetic
accurate.

Many small sets at once: :func:`set_entropy_and_grad` evaluates one Parzen
sample per row (the ``c`` output-unit errors of one sequence, EEM-LSTM's
formulation) with two small matrix products over the ``c(c-1)/2`` pairs.

Resolutions of what the EEM papers (Alexandre & Marques de Sa, 2006;
Santos, Alexandre & Marques de Sa, 2004) leave open:

- Kernel width: ``kernel_width`` is the **pairwise** width ``s`` of
  ``G_s(e_i - e_j)``, the convention of the MEE book and of the LSTM
  paper's h = 1.3 ... 1.6; the Parzen width is ``s / sqrt(2)``.
- The diagonal ``i = j`` is kept (a V-statistic, above).
- Objective: ``-log V`` by default (scale-free); ``-V``, the papers'
  gradient ascent on ``V``, as ``objective="ip"``. The gradients differ by
  the factor ``1 / V`` only.
- The Parzen sample: at each time step the paper's sample is the ``c``
  output-unit errors of that step (``eem_outputs``); the classification
  MLPs' sample is the joint error vectors of the batch (``eem_samples``).
- Shift invariance: the entropy of the joint errors cannot see a constant
  offset, so the estimators store the mean training error and add it at
  predict time (Erdogmus's practice); the per-step output sets of one-hot
  targets with sigmoid outputs need no offset.
- Width rules: ``"silverman"`` (Silverman's rule of thumb, robust in 1-D)
  and ``"normal_reference"`` (the Gaussian-reference rule), each with one
  meaning everywhere (:data:`WIDTH_RULES`), applied once per fit to the
  initial errors of the Parzen sample the loss sees (``set_size`` = its
  size), never re-estimated from the shrinking errors.
- Training schedule: the paper updated after every symbol with truncated
  RTRL gradients; we use full backpropagation through time per batch
  (per string in the Reber reproduction).

Everything here is pure NumPy/SciPy; scikit-learn's validation happens in
:mod:`skentropy.metrics` and in the estimators.
"""

import itertools
import math
import sys
from functools import cache
from numbers import Integral, Real
from typing import Literal

import numpy as np
import scipy.fft
import scipy.spatial

__all__ = [
    "AUTO_EXACT_MAX_JOINT_SAMPLES",
    "AUTO_EXACT_MAX_SAMPLES",
    "MAX_EXPONENT",
    "TRAINING_EXACT_MAX_SAMPLES",
    "WIDTH_RULES",
    "choose_method",
    "error_entropy_and_grad",
    "information_potential",
    "information_potential_and_grad",
    "normal_reference_width",
    "pair_matrix",
    "resolve_kernel_width",
    "set_entropy_and_grad",
    "silverman_width",
]

#: Scaled squared distances ``|u|^2 / (2 s^2)`` are clamped here before ``exp``.
MAX_EXPONENT = 80.0

#: ``method="auto"`` uses the exact estimator up to this many scalar errors.
AUTO_EXACT_MAX_SAMPLES = 2048

#: ``method="auto"`` uses the exact estimator up to this many 2-D or 3-D errors.
AUTO_EXACT_MAX_JOINT_SAMPLES = 2048

#: Training losses with ``method="auto"`` use the exact estimator up to this
#: many scalar errors a batch, where it is still as fast as the binned one.
TRAINING_EXACT_MAX_SAMPLES = 128

# Largest |error| / (sqrt(2) s) the exact estimator accepts (its squares must
# stay finite), and above which float32 errors are handled in float64.
_MAX_REACH = 1e150
_MAX_REACH_F32 = 1e15

# Kernel elements per block of the exact estimator (about 1 MiB in float64),
# and at most this many rows per block: smaller blocks skip more of the
# lower triangle (64 was fastest from 128 to 2048 errors, 1-D and 3-D).
_BLOCK_ELEMENTS = 2**17
_MAX_BLOCK_ROWS = 64

# The binned estimator truncates the kernel at |u| = _CUTOFF * s, where it is
# exp(-_CUTOFF^2 / 2) ~ 2e-22 of its peak.
_CUTOFF = 10.0

# Largest grid (after squeezing out empty stretches) the binned estimator
# builds, and the size above which a grid longer than the sample is squeezed.
_MAX_GRID = 2**23
_SQUEEZE_MIN_GRID = 2**16

# The binned estimator serves errors of up to this many dimensions, on a grid
# of spacing s / _GRID_RATIO[d] (when grid_ratio is None).
_MAX_BINNED_DIMS = 3
_GRID_RATIO = {1: 8.0, 2: 4.0, 3: 3.0}
# In 2-D and 3-D a grid too large at the default ratio is made coarser, down
# to this ratio (where log V is still within about 1e-3 of the exact sums).
_MIN_GRID_RATIO = 2.0
# Beyond that, the errors outside a central box that fits (heavy tails) have
# their pairs summed exactly, when they are at most this fraction of all.
_MAX_TAIL_FRACTION = 0.05

# Widths beyond this many times the largest scaled error make every kernel
# value exp(-tiny) = 1; they are clamped here so that their squares stay finite.
_MAX_REL_WIDTH = 1e150

_LN2 = math.log(2.0)
_LOG_FLOAT_MAX = math.log(sys.float_info.max)

# The 2-D and 3-D binned estimator truncates its kernel at |u_k| = _CUTOFF_ND s
# along each axis (exp(-_CUTOFF_ND^2 / 2) ~ 2e-11 of the peak, far below its
# binning error): a shorter support keeps the padded grid small.
_CUTOFF_ND = 7.0


class _GridTooLarge(ValueError):
    """The binned estimator's grid would not fit; ``"auto"`` falls back to exact."""


# Relative floor of the Silverman width, and the width used when all errors
# are equal (any width is then as good as another: the gradient is zero).
_WIDTH_REL_FLOOR = 1e-3
_WIDTH_ABS_FLOOR = 1e-8

Method = Literal["auto", "exact", "binned"]
Objective = Literal["log", "ip"]


# --------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------


def _check_errors(errors) -> np.ndarray:
    """Float array of shape (N,) or (N, d); float32 kept, everything else float64."""
    e = np.asarray(errors)
    if e.dtype != np.float32:
        e = e.astype(np.float64, copy=False)
    if e.ndim not in (1, 2):
        raise ValueError(
            f"errors must be 1-D (n_samples,) or 2-D (n_samples, n_outputs); "
            f"got an array with shape {e.shape}"
        )
    if e.shape[0] == 0 or (e.ndim == 2 and e.shape[1] == 0):
        raise ValueError(f"errors must not be empty; got shape {e.shape}")
    # min and max propagate NaN and see infinities, without a boolean temporary.
    if not (np.isfinite(e.min()) and np.isfinite(e.max())):
        raise ValueError(
            "errors contain NaN or infinity; the information potential needs "
            "finite errors (did the model diverge?)"
        )
    return e


def _check_weights(sample_weight, n_samples: int) -> np.ndarray | None:
    """Non-negative finite float64 weights with a positive sum, or None."""
    if sample_weight is None:
        return None
    w = np.asarray(sample_weight, dtype=np.float64)
    if w.ndim != 1 or w.shape[0] != n_samples:
        raise ValueError(f"sample_weight must have shape ({n_samples},); got {w.shape}")
    if not np.isfinite(w).all():
        raise ValueError("sample_weight contains NaN or infinity")
    if (w < 0).any():
        raise ValueError("sample_weight must be non-negative")
    if not w.sum() > 0:
        raise ValueError("sample_weight must have a positive sum")
    return w


def _check_width(kernel_width) -> float:
    if isinstance(kernel_width, bool) or not isinstance(kernel_width, Real):
        raise ValueError(
            f"kernel_width must be a positive float or one of "
            f"{sorted(WIDTH_RULES)}; got {kernel_width!r}"
        )
    s = float(kernel_width)
    if not (math.isfinite(s) and s > 0):
        raise ValueError(
            f"kernel_width must be a positive finite float; got {kernel_width!r}"
        )
    return s


def _check_method(method: str, e: np.ndarray) -> str:
    if method not in ("auto", "exact", "binned"):
        raise ValueError(f'method must be "auto", "exact" or "binned"; got {method!r}')
    d = _dim(e)
    if method == "binned" and d > _MAX_BINNED_DIMS:
        raise ValueError(
            f"method='binned' handles errors of 1 to {_MAX_BINNED_DIMS} dimensions; "
            f"got {d} (use 'exact', or fewer columns at a time)"
        )
    if method == "auto":
        return choose_method(
            e.shape[0], d, max_exact_joint=AUTO_EXACT_MAX_JOINT_SAMPLES
        )
    return method


def choose_method(
    n_samples: int,
    n_dims: int,
    max_exact: int = AUTO_EXACT_MAX_SAMPLES,
    max_exact_joint: int | None = None,
) -> str:
    """The estimator ``method="auto"`` stands for.

    Parameters
    ----------
    n_samples : int
        Number of errors in the Parzen sample.
    n_dims : int
        Their dimension; the binned estimator serves 1 to 3 dimensions.
    max_exact : int, default=AUTO_EXACT_MAX_SAMPLES
        Largest sample of scalar errors given to the exact estimator; the
        training losses pass :data:`TRAINING_EXACT_MAX_SAMPLES`.
    max_exact_joint : int, default=None
        Largest sample of 2-D or 3-D errors given to the exact estimator;
        None gives them all to it (the training losses, whose estimators
        document exact sums for several outputs). ``method="auto"`` of
        :func:`information_potential` and :func:`error_entropy_and_grad`
        passes :data:`AUTO_EXACT_MAX_JOINT_SAMPLES`.

    Returns
    -------
    method : {"exact", "binned"}
    """
    if n_dims == 1:
        return "binned" if n_samples > max_exact else "exact"
    if n_dims <= _MAX_BINNED_DIMS and max_exact_joint is not None:
        return "binned" if n_samples > max_exact_joint else "exact"
    return "exact"


# --------------------------------------------------------------------------
# Kernel width
# --------------------------------------------------------------------------


def _weighted_quantile(x: np.ndarray, w: np.ndarray, q: float) -> float:
    """Quantile with linear interpolation; frequency weights.

    With integer weights it equals ``np.quantile`` of the rows repeated
    ``w_i`` times (numpy's default "linear" method).
    """
    keep = w > 0
    x, w = x[keep], w[keep]
    order = np.argsort(x, kind="stable")
    x, w = x[order], w[order]
    ends = np.cumsum(w)
    pos = max(q * (ends[-1] - 1.0), 0.0)
    below = math.floor(pos)
    frac = pos - below
    last = x.shape[0] - 1
    i = min(int(np.searchsorted(ends, below, side="right")), last)
    j = min(int(np.searchsorted(ends, below + 1, side="right")), last)
    return float(x[i] + frac * (x[j] - x[i]))


def _scale_exponent(x: np.ndarray) -> int:
    """``k`` with ``max|x| = f 2^k``, ``1/2 <= f < 1`` (0 when ``x`` is all zero).

    ``x * 2^-k`` lies in (-1, 1); multiplying by a power of two is exact, so
    the scaled values carry every bit of the originals.
    """
    top = max(-float(x.min()), float(x.max()))
    return math.frexp(top)[1] if top > 0 else 0


def _unscale(mantissa: float, exponent: int) -> float:
    """``mantissa * 2^exponent`` as a positive float, clamped to the float range."""
    try:
        value = math.ldexp(mantissa, exponent)
    except OverflowError:
        return sys.float_info.max
    return max(value, math.ulp(0.0))


def _spread(errors, sample_weight, set_size):
    """Scaled errors, weights, the size N, their pooled std and the scale.

    Returns the checked errors as float64 (N, d) multiplied by ``2^-k`` so
    that they lie in (-1, 1), and their std in those units: the moments
    neither overflow nor underflow anywhere in the float range.
    """
    e = _check_errors(errors)
    w = _check_weights(sample_weight, e.shape[0])
    if set_size is None:
        n = float(e.shape[0] if w is None else w.sum())
    else:
        if isinstance(set_size, bool) or not isinstance(set_size, Real):
            raise ValueError(f"set_size must be a positive number; got {set_size!r}")
        n = float(set_size)
        if not n > 0:
            raise ValueError(f"set_size must be a positive number; got {set_size!r}")
    k = _scale_exponent(e)
    e2 = np.ldexp(e.reshape(e.shape[0], -1).astype(np.float64, copy=False), -k)
    mean = np.average(e2, axis=0, weights=w)
    var = np.average((e2 - mean) ** 2, axis=0, weights=w)
    return e2, w, n, float(np.sqrt(var.mean())), k


def _pairwise(sigma: float, std: float, k: int) -> tuple[float, int]:
    """Floored Parzen width ``sigma 2^k`` as the pairwise ``sqrt(2) sigma 2^k``.

    ``sigma`` and ``std`` are in the scaled units of :func:`_spread`; the
    width is returned as ``(mantissa, exponent)``. With all errors equal
    (``std = 0``) the absolute floor applies, unscaled.
    """
    if std > 0:
        return float(math.sqrt(2.0) * max(sigma, _WIDTH_REL_FLOOR * std)), k
    return float(math.sqrt(2.0) * _WIDTH_ABS_FLOOR), 0


def normal_reference_width(errors, sample_weight=None, *, set_size=None) -> float:
    """The normal-reference rule, returned as a **pairwise** width.

    The Parzen width that minimises the asymptotic mean integrated squared
    error when the errors are Gaussian,
    ``sigma = std (4 / ((d + 2) N))^(1 / (d + 4))`` (in 1-D
    ``1.06 std N^(-1/5)``), with ``std`` the root mean of the
    per-dimension variances (the kernel is isotropic), floored as in
    :func:`silverman_width`; ``s = sqrt(2) sigma`` is returned. Unlike the
    1-D :func:`silverman_width` it does not shrink for multimodal errors,
    such as the errors of one-hot class targets.

    Parameters
    ----------
    errors : array-like of shape (n_samples,) or (n_samples, d)
        The errors the spread is measured on.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights; None means all ones.
    set_size : float, default=None
        ``N``: the size of one Parzen sample the width is for. None uses the
        (weighted) number of errors; an estimator whose Parzen sample is a
        small set (the output units of one sequence) passes the set's size
        and the errors of many sets pooled.

    Returns
    -------
    width : float
        The pairwise kernel width ``s``, positive.
    """
    return _unscale(*_normal_reference_parts(errors, sample_weight, set_size))


def _normal_reference_parts(errors, sample_weight, set_size) -> tuple[float, int]:
    e2, _, n, std, k = _spread(errors, sample_weight, set_size)
    return _pairwise(_normal_reference_sigma(std, n, e2.shape[1]), std, k)


def _normal_reference_sigma(std: float, n: float, d: int) -> float:
    return std * (4.0 / ((d + 2) * n)) ** (1.0 / (d + 4))


def silverman_width(errors, sample_weight=None, *, set_size=None) -> float:
    """Silverman's rule of thumb, returned as a **pairwise** width.

    The Parzen width is

    - 1-D: ``sigma = 0.9 min(std, IQR / 1.34) N^(-1/5)`` (``std`` alone when
      the IQR is zero),
    - ``d`` dimensions: ``sigma = std (4 / ((d + 2) N))^(1 / (d + 4))`` with
      ``std`` the root mean of the per-dimension variances (the kernel is
      isotropic),

    floored at ``1e-3 std`` (at ``1e-8`` when all errors are equal), and the
    pairwise width ``s = sqrt(2) sigma`` is returned. The moments and
    quantiles are weighted, with frequency semantics (``N = sum w``), so
    integer weights give the same width as repeated rows.

    Parameters
    ----------
    errors : array-like of shape (n_samples,) or (n_samples, d)
        The errors.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights; None means all ones.
    set_size : float, default=None
        ``N``, as in :func:`normal_reference_width`.

    Returns
    -------
    width : float
        The pairwise kernel width ``s``, positive.
    """
    return _unscale(*_silverman_parts(errors, sample_weight, set_size))


def _silverman_parts(errors, sample_weight, set_size) -> tuple[float, int]:
    e2, w, n, std, k = _spread(errors, sample_weight, set_size)
    if e2.shape[1] > 1:
        return _pairwise(_normal_reference_sigma(std, n, e2.shape[1]), std, k)
    x = e2[:, 0]
    if w is None:
        q1, q3 = np.quantile(x, [0.25, 0.75])
    else:
        q1, q3 = (_weighted_quantile(x, w, q) for q in (0.25, 0.75))
    iqr = float(q3 - q1)
    spread = min(std, iqr / 1.34) if iqr > 0 else std
    return _pairwise(0.9 * spread * n ** (-0.2), std, k)


#: The kernel-width rules by name, each ``rule(errors, sample_weight, *, set_size)``.
WIDTH_RULES = {
    "silverman": silverman_width,
    "normal_reference": normal_reference_width,
}

# The same rules returning the width as (mantissa, exponent), never rounded
# to the float range.
_WIDTH_PARTS = {
    "silverman": _silverman_parts,
    "normal_reference": _normal_reference_parts,
}


def resolve_kernel_width(
    kernel_width, errors, sample_weight=None, *, set_size=None
) -> float:
    """The pairwise kernel width as a float.

    Parameters
    ----------
    kernel_width : float or {"silverman", "normal_reference"}
        A positive float is returned as it is; a rule name applies that rule
        of :data:`WIDTH_RULES` to ``errors``.
    errors : array-like of shape (n_samples,) or (n_samples, d)
        The errors (only read for a rule).
    sample_weight : array-like of shape (n_samples,), default=None
        Weights for a rule.
    set_size : float, default=None
        Size of one Parzen sample, for a rule (see
        :func:`normal_reference_width`).

    Returns
    -------
    width : float

    Raises
    ------
    ValueError
        If ``kernel_width`` is neither a positive finite number nor a rule.
    """
    if isinstance(kernel_width, str):
        return _unscale(*_width_parts(kernel_width, errors, sample_weight, set_size))
    return _check_width(kernel_width)


def _width_parts(kernel_width, errors, sample_weight, set_size=None):
    """The pairwise width as ``(mantissa, exponent)``: exact for any scale."""
    if isinstance(kernel_width, str):
        if kernel_width not in WIDTH_RULES:
            raise ValueError(
                f"kernel_width must be a positive float or one of "
                f"{sorted(WIDTH_RULES)}; got {kernel_width!r}"
            )
        return _WIDTH_PARTS[kernel_width](errors, sample_weight, set_size)
    return _check_width(kernel_width), 0


# --------------------------------------------------------------------------
# Kernel sums: S = sum_kj w_k w_j K_kj and g_k = w_k sum_j w_j K_kj (e_k - e_j)
# --------------------------------------------------------------------------


def _centre(e: np.ndarray, w: np.ndarray | None) -> np.ndarray:
    return e - np.average(e, axis=0, weights=w).astype(e.dtype)


def _block_rows(n: int, block_size: int | None) -> int:
    if block_size is not None:
        if isinstance(block_size, bool) or not isinstance(block_size, Integral):
            raise ValueError(f"block_size must be a positive int; got {block_size!r}")
        if block_size < 1:
            raise ValueError(f"block_size must be a positive int; got {block_size}")
        return int(block_size)
    return max(16, min(_MAX_BLOCK_ROWS, _BLOCK_ELEMENTS // n))


def _exact_sums(
    e: np.ndarray,
    w: np.ndarray | None,
    s: float,
    block_size: int | None,
    need_grad: bool,
) -> tuple[float, np.ndarray | None]:
    """``S`` and ``g`` by all pairs, blockwise over the upper block triangle.

    ``e`` is (N, d), centred. The kernel is ``exp(-|u_k - u_j|^2)`` in the
    scaled coordinates ``u = e / (sqrt(2) s)``. For row block ``I`` the
    kernel block against the columns ``J >= I`` is formed once; its product
    with ``Z = [w, w e]`` gives the sums of the rows in ``I`` and, transposed,
    those of the rows after ``I``.
    """
    n, d = e.shape
    dtype = e.dtype
    a = 1.0 / (math.sqrt(2.0) * s)
    reach = float(np.abs(e).max()) * a
    if reach > _MAX_REACH:
        raise ValueError(
            f"the errors are more than {_MAX_REACH:g} kernel widths apart; "
            "use a larger kernel_width"
        )
    if dtype == np.float32 and max(a, reach) > _MAX_REACH_F32:
        # Scaled coordinates (or their squares) beyond float32: use float64.
        e, dtype = e.astype(np.float64), np.dtype(np.float64)
    u = e * dtype.type(a)
    ones = np.ones((n, 1), dtype=dtype)
    z = np.hstack([ones, e]) if w is None else np.hstack([ones, e]) * w[:, None]
    z = z.astype(dtype, copy=False)
    sums = np.zeros((n, d + 1), dtype=dtype)
    sq = np.einsum("ij,ij->i", u, u) if d > 1 else None
    b = _block_rows(n, block_size)
    buf = np.empty(b * n, dtype=dtype)
    for start in range(0, n, b):
        stop = min(start + b, n)
        k = buf[: (stop - start) * (n - start)].reshape(stop - start, n - start)
        # k = -|u_i - u_j|^2, clamped at -MAX_EXPONENT, then exp.
        if d == 1:
            np.subtract(u[start:stop], u[start:, 0], out=k)
            np.multiply(k, k, out=k)
            np.negative(k, out=k)
        else:
            np.matmul(u[start:stop], u[start:].T, out=k)
            k *= 2.0
            k -= sq[start:stop, None]
            k -= sq[None, start:]
            np.minimum(k, 0.0, out=k)  # rounding can leave tiny positives
        np.maximum(k, -MAX_EXPONENT, out=k)
        np.exp(k, out=k)
        sums[start:stop] += k @ z[start:]
        if stop < n:
            sums[stop:] += k[:, stop - start :].T @ z[start:stop]
    r = sums[:, 0].astype(np.float64)
    total = float(r.sum()) if w is None else float(r @ w)
    if not need_grad:
        return total, None
    g = e * sums[:, :1] - sums[:, 1:]
    if w is not None:
        g *= w[:, None].astype(dtype)
    return total, g


def _squeeze_gaps(x: np.ndarray, cell: int) -> np.ndarray:
    """Grid positions with every run of empty cells shortened to one cell.

    ``x`` are grid positions (>= 0); cells are ``cell`` grid steps wide, two
    more than the kernel's half-support. Points in the same or in adjacent
    occupied cells keep their distance; points further apart stay more than
    one cell apart, so even the grid nodes they are binned to are beyond the
    truncated kernel's reach, and the kernel sums do not change.
    """
    idx = np.floor(x / cell).astype(np.int64)
    n_cells = int(idx.max()) + 1
    if n_cells <= 4 * x.shape[0] + 1024:
        occupied = np.flatnonzero(np.bincount(idx, minlength=n_cells))
        lookup = None
    else:
        occupied, lookup = np.unique(idx, return_inverse=True)
    steps = np.where(np.diff(occupied) == 1, 1, 2)
    slots = np.concatenate([[0], np.cumsum(steps)])
    if lookup is None:
        table = np.zeros(n_cells, dtype=np.int64)
        table[occupied] = slots
        new_cell = table[idx]
    else:
        new_cell = slots[lookup]
    return x + (new_cell - idx) * float(cell)


def _binned_sums(
    e: np.ndarray,
    w: np.ndarray | None,
    s: float,
    grid_ratio: float,
    need_grad: bool,
) -> tuple[float, np.ndarray | None]:
    """``S`` and ``g`` for 1-D errors by linear binning and FFT convolution."""
    x = e.astype(np.float64, copy=False)
    h = s / grid_ratio
    half = math.ceil(_CUTOFF * grid_ratio)  # kernel half-support, grid steps
    lo, hi = float(x.min()), float(x.max())
    span = (hi - lo) / h
    if span > 2.0**62:
        raise _GridTooLarge(
            "the errors span more than 2^62 grid steps of the binned estimator; "
            "use a larger kernel_width or method='exact'"
        )
    x = (x - lo) * (1.0 / h)
    # Squeeze out empty stretches when the grid would be far larger than the
    # sample (outliers), or too large to build.
    if span + 2 > _MAX_GRID or (span > _SQUEEZE_MIN_GRID and span > x.shape[0]):
        x = _squeeze_gaps(x, half + 2)
        m = int(x.max()) + 2
    else:
        m = int(span) + 3  # one spare node: x.max() may round above span
    if m > _MAX_GRID:
        raise _GridTooLarge(
            f"the binned estimator would need a grid of {m} points (more than "
            f"{_MAX_GRID}): the kernel is far narrower than the spacing of the "
            "errors; use a larger kernel_width or method='exact'"
        )
    i = x.astype(np.intp)
    np.minimum(i, m - 2, out=i)
    f = x - i
    # Linear binning: w(1 - f) to node i, w f to node i + 1.
    wf = f if w is None else w * f
    upper = np.bincount(i, weights=wf, minlength=m)
    counts = np.bincount(i, minlength=m) if w is None else np.bincount(i, w, m)
    counts = counts - upper
    counts[1:] += upper[:-1]

    n_fft = scipy.fft.next_fast_len(m + half, real=True)
    offsets = np.arange(half + 1) * h
    kern = np.exp(-0.5 * (offsets / s) ** 2)
    k_arr = np.zeros(n_fft)
    k_arr[: half + 1] = kern
    k_arr[n_fft - half :] = kern[:0:-1]
    c_hat = scipy.fft.rfft(counts, n_fft)
    a = scipy.fft.irfft(c_hat * scipy.fft.rfft(k_arr), n_fft)[:m]
    total = float(counts @ a)
    if not need_grad:
        return total, None
    # Convolution with t K(t) (odd): sum_j w_j K(e_k - e_j) (e_k - e_j).
    t_arr = np.zeros(n_fft)
    t_arr[: half + 1] = kern * offsets
    t_arr[n_fft - half :] = -(kern * offsets)[:0:-1]
    b = scipy.fft.irfft(c_hat * scipy.fft.rfft(t_arr), n_fft)[:m]
    slope = np.diff(b)
    g = b[i]
    g += f * slope[i]
    if w is not None:
        g *= w
    return total, g.astype(e.dtype, copy=False)


def _nd_grid(xs: np.ndarray, grid_ratio: float):
    """Grid positions, node counts and FFT lengths for errors ``xs`` in units of s.

    ``xs`` (N, d) is measured from its minimum. Returns None when the padded
    grid would exceed :data:`_MAX_GRID` nodes, even with the empty slabs
    squeezed out.
    """
    n, d = xs.shape
    half = math.ceil(_CUTOFF_ND * grid_ratio)
    span = xs.max(axis=0) * grid_ratio
    if span.max() > 2.0**62:
        return None
    x = xs * grid_ratio
    shape = [int(sk) + 3 for sk in span]  # one spare node: rounding
    if math.prod(m + half for m in shape) > min(_MAX_GRID, max(64 * n, 2**20)):
        # A grid far larger than the sample (outliers): squeeze every axis.
        x = np.column_stack([_squeeze_gaps(x[:, k], half + 2) for k in range(d)])
        shape = [int(x[:, k].max()) + 2 for k in range(d)]
    n_fft = [
        scipy.fft.next_fast_len(m + half, real=k == d - 1) for k, m in enumerate(shape)
    ]
    if math.prod(n_fft) > _MAX_GRID:
        return None
    return x, shape, n_fft, half


def _binned_sums_nd(
    e: np.ndarray,
    w: np.ndarray | None,
    s: float,
    grid_ratio: float | None,
    need_grad: bool,
) -> tuple[float, np.ndarray | None]:
    """``S`` and ``g`` for 2-D or 3-D errors by linear binning and FFT convolution.

    The errors (N, d) are binned linearly onto a grid of spacing
    ``h = s / grid_ratio`` (each error spread over the ``2^d`` nodes of its
    cell with multilinear weights). The Gaussian is separable, so its FFT is
    the outer product of 1-D transforms: one real ``d``-dimensional FFT of
    the counts, one product and one inverse give the kernel sums on every
    node; the gradient convolves with ``t_k K(t)`` along each axis ``k`` and
    interpolates back to the errors multilinearly. Empty slabs along an axis
    wider than the kernel's support are squeezed out, as in 1-D. With
    ``grid_ratio=None`` the ratio starts at ``_GRID_RATIO[d]`` and is lowered
    (to :data:`_MIN_GRID_RATIO` at least) until the grid fits.
    """
    n, d = e.shape
    x = e.astype(np.float64, copy=False)
    xs = (x - x.min(axis=0)) * (1.0 / s)
    ratio = _GRID_RATIO[d] if grid_ratio is None else grid_ratio
    plan = _nd_grid(xs, ratio)
    while plan is None and grid_ratio is None and ratio > _MIN_GRID_RATIO:
        # The grid shrinks about as ratio^d: aim just below the limit.
        size = math.prod(int(sk * ratio) + 3 for sk in xs.max(axis=0))
        ratio = max(
            _MIN_GRID_RATIO, min(0.9, 0.9 * (_MAX_GRID / size) ** (1 / d)) * ratio
        )
        plan = _nd_grid(xs, ratio)
    if plan is not None:
        return _grid_sums(*plan, w, ratio, s, need_grad)
    # Heavy tails: the errors in a central box go on the grid, the pairs with
    # an error outside it (within the kernel's reach) are summed exactly.
    half = math.ceil(_CUTOFF_ND * ratio)
    side = (math.floor(_MAX_GRID ** (1 / d)) * 0.9 - half - 4) / ratio
    centre = np.median(xs, axis=0)
    core = np.all(np.abs(xs - centre) <= 0.5 * side, axis=1)
    n_tail = n - int(np.count_nonzero(core))
    plan = _nd_grid(xs[core] - xs[core].min(axis=0), ratio) if n_tail < n else None
    if plan is None or n_tail > _MAX_TAIL_FRACTION * n:
        raise _GridTooLarge(
            f"the binned estimator's grid in {d} dimensions would exceed "
            f"{_MAX_GRID} points: the kernel is far narrower than the spread of "
            "the errors; use a larger kernel_width or method='exact'"
        )
    w_core = None if w is None else w[core]
    total, g_core = _grid_sums(*plan, w_core, ratio, s, need_grad)
    extra, g = _tail_sums(xs, w, ~core, s, need_grad)
    if need_grad:
        g[core] += g_core
    return total + extra, g


def _tail_sums(xs, w, tail, s, need_grad):
    """Exact sums of the pairs that hold a ``tail`` error, within the cutoff.

    ``xs`` (N, d) are the errors in units of ``s``. Returns the part of
    ``S`` from those pairs, and ``g`` (N, d) with their pulls (or None).
    """
    rows = np.flatnonzero(tail)
    pairs = scipy.spatial.cKDTree(xs[rows]).sparse_distance_matrix(
        scipy.spatial.cKDTree(xs), _CUTOFF_ND, output_type="ndarray"
    )
    i, j = rows[pairs["i"]], pairs["j"]
    kern = np.exp(-0.5 * pairs["v"] ** 2)
    if w is not None:
        kern *= w[i] * w[j]
    # Rows i in the tail against every j: the tail-tail pairs come twice.
    extra = 2.0 * float(kern.sum()) - float(kern[tail[j]].sum())
    if not need_grad:
        return extra, None
    n, d = xs.shape
    g = np.zeros((n, d))
    core_j = ~tail[j]
    for k in range(d):
        pull = kern * (xs[i, k] - xs[j, k]) * s
        g[:, k] += np.bincount(i, pull, minlength=n)
        g[:, k] -= np.bincount(j[core_j], pull[core_j], minlength=n)
    return extra, g


def _grid_sums(x, shape, n_fft, half, w, grid_ratio, s, need_grad):
    """``S`` and ``g`` of the errors ``x`` (grid units) on the planned grid."""
    n, d = x.shape
    cell = x.astype(np.intp)
    np.minimum(cell, np.array(shape) - 2, out=cell)
    frac = x - cell
    del x
    strides = np.cumprod([1, *shape[:0:-1]])[::-1]  # C order
    base = cell @ strides
    del cell
    corners = [
        (int(np.dot(bits, strides)), bits)
        for bits in itertools.product((0, 1), repeat=d)
    ]

    def corner_weight(bits):
        wt = frac[:, 0] if bits[0] else 1.0 - frac[:, 0]
        for k in range(1, d):
            wt = wt * (frac[:, k] if bits[k] else 1.0 - frac[:, k])
        return wt

    size = math.prod(shape)
    counts = np.zeros(size)
    for offset, bits in corners:
        wt = corner_weight(bits)
        if w is not None:
            wt *= w
        counts += np.bincount(base + offset, weights=wt, minlength=size)
    counts = counts.reshape(shape)

    # Linear binning displaces each error by a random amount of variance
    # f (1 - f) h^2 per axis (h^2 / 6 on average), so the binned sums see the
    # kernel widened by h^2 / 3 per axis; a grid kernel narrowed by as much,
    # and rescaled, removes that O(h^2) bias (see the module's docstring).
    narrow = math.sqrt(1.0 - 1.0 / (3.0 * grid_ratio**2))  # s_grid / s
    offsets = np.arange(half + 1) * (1.0 / grid_ratio)  # in units of s
    kern = np.exp(-0.5 * (offsets / narrow) ** 2)

    def axis_hat(k, values, odd):
        arr = np.zeros(n_fft[k])
        arr[: half + 1] = values
        arr[n_fft[k] - half :] = (-values if odd else values)[:0:-1]
        hat = scipy.fft.rfft(arr) if k == d - 1 else scipy.fft.fft(arr)
        view = [1] * d
        view[k] = -1
        return (hat.imag * 1j if odd else hat.real).reshape(view)

    k_hats = [axis_hat(k, kern, False) for k in range(d)]
    c_hat = scipy.fft.rfftn(counts, n_fft)
    grid = tuple(slice(0, m) for m in shape)

    def convolve(factors):
        prod = c_hat * factors[0]
        for f in factors[1:]:
            prod *= f
        return scipy.fft.irfftn(prod, n_fft)[grid]

    total = float(np.vdot(counts, convolve(k_hats))) / narrow**d
    if not need_grad:
        return total, None
    g = np.zeros((n, d))
    t_kern = kern * offsets * s  # t K(t), t in the units of e
    for k in range(d):
        factors = list(k_hats)
        factors[k] = axis_hat(k, t_kern, True)
        b = convolve(factors).reshape(-1)
        for offset, bits in corners:
            g[:, k] += corner_weight(bits) * b[base + offset]
    g *= 1.0 / narrow ** (d + 2)
    if w is not None:
        g *= w[:, None]
    return total, g


def _kernel_sums(e, w, s, method, grid_ratio, block_size, need_grad, fallback=False):
    """``S`` and ``g`` (shape (N, d), or None) for errors ``e`` (N,) or (N, d).

    With ``fallback`` (``method="auto"``), a binned grid that would not fit
    gives way to the exact sums instead of an error.
    """
    if method == "binned":
        d = _dim(e)
        if grid_ratio is not None and not grid_ratio >= 1:
            raise ValueError(f"grid_ratio must be >= 1; got {grid_ratio!r}")
        try:
            # Binning subtracts the minimum: no centring needed.
            if d > 1:
                return _binned_sums_nd(e, w, s, grid_ratio, need_grad)
            ratio = _GRID_RATIO[1] if grid_ratio is None else float(grid_ratio)
            total, g = _binned_sums(e.reshape(-1), w, s, ratio, need_grad)
            return total, None if g is None else g[:, None]
        except _GridTooLarge:
            if not fallback:
                raise
    e2 = _centre(e.reshape(e.shape[0], -1), w)
    return _exact_sums(e2, w, s, block_size, need_grad)


def _dim(e: np.ndarray) -> int:
    return 1 if e.ndim == 1 else e.shape[1]


def _log_potential(total: float, w, n: int, d: int, log_s: float) -> float:
    """``log V = log S - 2 log(sum w) + log c_d``, without forming ``c_d``."""
    log_w = math.log(n) if w is None else math.log(float(w.sum()))
    log_cd = -0.5 * d * (math.log(2.0 * math.pi) + 2.0 * log_s)
    return math.log(total) - 2.0 * log_w + log_cd


def _exp_potential(log_v: float) -> float:
    """``V = exp(log V)``, with a clear error where it exceeds the float range."""
    if log_v > _LOG_FLOAT_MAX:
        raise ValueError(
            f"the information potential exp({log_v:.6g}) exceeds the float range "
            "(errors far smaller than 1 in several dimensions); use its logarithm, "
            "the negated error entropy, which is computed in the log domain"
        )
    return math.exp(log_v)


def _scaled_sums(
    errors, kernel_width, sample_weight, method, grid_ratio, block_size, need_grad
):
    """Validate, then the kernel sums of the errors scaled into (-1, 1).

    ``V`` depends on the errors only through ``e / s``, up to the factor
    ``c_d``: the errors are multiplied by ``2^-k`` (exact) so that they lie
    in (-1, 1), the width by the same factor, and ``log c_d`` is formed from
    ``log s`` itself. Nothing overflows or underflows for errors and widths
    anywhere in the float range; weights are normalised the same way (``V``
    does not depend on their scale).

    Returns
    -------
    log_v : float
    total : float
        ``S`` of the scaled weights.
    g : ndarray of shape (N, d) or None
        Kernel pulls of the scaled errors and weights.
    s_rel : float
        The width in the scaled units.
    k : int
        The errors' scale exponent.
    """
    e = _check_errors(errors)
    w = _check_weights(sample_weight, e.shape[0])
    s_mantissa, s_exponent = _width_parts(kernel_width, e, w)
    how = _check_method(method, e)
    k = _scale_exponent(e)
    try:
        s_rel = math.ldexp(s_mantissa, s_exponent - k)
    except OverflowError:
        s_rel = math.inf
    # Beyond this the kernel is 1 for every pair (|u|^2 < 1e-300).
    s_rel = min(s_rel, _MAX_REL_WIDTH)
    if s_rel == 0.0:
        raise ValueError(
            f"the errors are more than {_MAX_REACH:g} kernel widths apart; "
            "use a larger kernel_width"
        )
    e_scaled = np.ldexp(e, -k) if k else e
    if w is not None:
        w = np.ldexp(w, -_scale_exponent(w))
    total, g = _kernel_sums(
        e_scaled, w, s_rel, how, grid_ratio, block_size, need_grad, method == "auto"
    )
    log_s = math.log(s_mantissa) + s_exponent * _LN2
    log_v = _log_potential(total, w, e.shape[0], _dim(e), log_s)
    return log_v, total, g, s_rel, k


# --------------------------------------------------------------------------
# Many small Parzen sets at once: the output units of each row
# --------------------------------------------------------------------------


@cache
def pair_matrix(c: int, dtype) -> np.ndarray:
    """(c, c(c-1)/2) matrix D with ``e @ D = e_i - e_j`` over the pairs i < j."""
    i, j = np.triu_indices(c, k=1)
    pairs = np.zeros((c, i.size), dtype=dtype)
    pairs[i, np.arange(i.size)] = 1
    pairs[j, np.arange(i.size)] = -1
    return pairs


def set_entropy_and_grad(
    errors: np.ndarray,
    kernel_width,
    objective: Objective = "log",
    need_grad: bool = True,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Error entropy of every row's set of ``c`` scalar errors, and its gradient.

    Row ``k`` of ``errors`` (n x c) is one Parzen sample of ``c`` scalars
    (the output-unit errors of one sample, EEM-LSTM's formulation):
    ``V_k = (1/c^2) sum_i sum_j G_s(e_ki - e_kj)`` with the pairwise width
    ``s`` (a float, or an array of one width per row). The loss per row is
    ``-log V_k`` (``objective="log"``) or ``-V_k`` (``"ip"``).

    The kernel is symmetric with ones on its diagonal, so only the
    ``c(c-1)/2`` pairs i < j are evaluated, as two small matrix products
    with :func:`pair_matrix`; exponents are clamped at :data:`MAX_EXPONENT`.

    Parameters
    ----------
    errors : ndarray of shape (n, c)
        Finite errors (not validated: the hot path of training).
    kernel_width : float or ndarray of shape (n,)
        Pairwise kernel width(s).
    objective : {"log", "ip"}, default="log"
        ``-log V`` or ``-V``.
    need_grad : bool, default=True
        Also return the gradient.

    Returns
    -------
    loss : ndarray of shape (n,)
        The loss of each row.
    grad : ndarray of shape (n, c) or None
        ``dL_k/de_k``: ``(2/s^2) pull / sum K`` for ``-log V`` and
        ``(2 norm / (c^2 s^2)) pull`` for ``-V``, with
        ``pull_i = sum_j K_ij (e_i - e_j)``.
    """
    n, c = errors.shape
    dtype = errors.dtype
    width = np.asarray(kernel_width, dtype=dtype)
    if width.ndim:
        width = width.reshape(n, 1)
    pairs = pair_matrix(c, dtype)
    diff = errors @ pairs  # e_i - e_j, i < j
    kernel = diff * diff
    kernel *= 0.5 / width**2
    np.minimum(kernel, MAX_EXPONENT, out=kernel)
    np.negative(kernel, out=kernel)
    np.exp(kernel, out=kernel)
    norm = 1.0 / (width * np.sqrt(2 * np.pi))
    total = c + 2 * kernel.sum(axis=1, keepdims=True)  # sum_i sum_j K_ij
    potential = (norm * total / c**2)[:, 0]
    loss = -np.log(potential) if objective == "log" else -potential
    if not need_grad:
        return loss, None
    kernel *= diff
    pull = kernel @ pairs.T
    if objective == "log":
        pull *= (2.0 / width**2) / total
    else:
        pull *= 2.0 * norm / (c**2 * width**2)
    return loss, pull


# --------------------------------------------------------------------------
# Public functions
# --------------------------------------------------------------------------


def information_potential(
    errors,
    kernel_width: float | str,
    sample_weight=None,
    *,
    method: Method = "auto",
    log: bool = False,
    grid_ratio: float | None = None,
    block_size: int | None = None,
) -> float:
    """Information potential ``V`` of a set of errors (or ``log V``).

    ``V = sum_i sum_j w_i w_j G_s(e_i - e_j) / (sum w)^2`` with a Gaussian
    kernel of pairwise width ``s`` (isotropic in ``d`` dimensions).

    Parameters
    ----------
    errors : array-like of shape (n_samples,) or (n_samples, d)
        Finite errors; a 2-D array is one ``d``-variate error per row.
    kernel_width : float or "silverman"
        Pairwise kernel width ``s = sqrt(2) sigma_Parzen``.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights (frequency semantics); None means all ones.
    method : {"auto", "exact", "binned"}, default="auto"
        Estimator; ``"binned"`` needs errors of 1 to 3 dimensions.
    log : bool, default=False
        Return ``log V`` (computed in the log domain) instead of ``V``.
    grid_ratio : float, default=None
        The binned estimator's grid spacing is ``kernel_width / grid_ratio``;
        None uses 8 in 1-D, 4 in 2-D and 3 in 3-D (coarser when the grid
        would not fit).
    block_size : int, default=None
        Rows per block of the exact estimator; None picks about 2^17 kernel
        elements per block.

    Returns
    -------
    value : float
        ``V`` (or ``log V``).
    """
    log_v, *_ = _scaled_sums(
        errors, kernel_width, sample_weight, method, grid_ratio, block_size, False
    )
    return log_v if log else _exp_potential(log_v)


def error_entropy_and_grad(
    errors,
    kernel_width: float | str,
    sample_weight=None,
    *,
    objective: Objective = "log",
    method: Method = "auto",
    grid_ratio: float | None = None,
    block_size: int | None = None,
) -> tuple[float, np.ndarray]:
    """Error-entropy loss and its gradient with respect to the errors.

    The loss is always something to *minimise*:

    - ``objective="log"``: ``L = -log V`` (quadratic Renyi entropy,
      scale-free), ``dL/dE = (2 / s^2) (diag(P 1) E - P E)`` with
      ``P = W K W / sum(W K W)``;
    - ``objective="ip"``: ``L = -V`` (gradient ascent on ``V``, as the
      papers did), ``dL/dE = V d(-log V)/dE``.

    For errors ``E = T - Y`` the gradient with respect to the outputs is
    ``dL/dY = -dL/dE``. It sums to zero over the samples (shift invariance).

    Parameters
    ----------
    errors : array-like of shape (n_samples,) or (n_samples, d)
        Finite errors.
    kernel_width : float or "silverman"
        Pairwise kernel width ``s``.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights; None means all ones.
    objective : {"log", "ip"}, default="log"
        ``-log V`` or ``-V``.
    method : {"auto", "exact", "binned"}, default="auto"
        Estimator; ``"binned"`` needs errors of 1 to 3 dimensions.
    grid_ratio : float, default=None
        The binned estimator's grid spacing is ``kernel_width / grid_ratio``;
        None uses 8 in 1-D, 4 in 2-D and 3 in 3-D (coarser when the grid
        would not fit).
    block_size : int, default=None
        Rows per block of the exact estimator.

    Returns
    -------
    loss : float
        ``-log V`` or ``-V``.
    grad : ndarray of the shape and dtype of ``errors`` (float32 or float64)
        ``dL/dE``.
    """
    if objective not in ("log", "ip"):
        raise ValueError(f'objective must be "log" or "ip"; got {objective!r}')
    log_v, total, g, s_rel, k = _scaled_sums(
        errors, kernel_width, sample_weight, method, grid_ratio, block_size, True
    )
    # dL/dE = (2 / (s^2 S)) g in the original units: g scales with the
    # errors and s^2 with their square, hence the factor 2^-k.
    factor = 2.0 / (s_rel * s_rel * total)
    if objective == "log":
        value = -log_v
    else:
        value = -_exp_potential(log_v)
        factor *= -value
    dtype = np.asarray(errors).dtype
    dtype = dtype if dtype == np.float32 else np.dtype(np.float64)
    grad = np.ldexp(g.astype(np.float64, copy=False) * factor, -k)
    shape = np.shape(errors)
    return value, grad.reshape(shape).astype(dtype, copy=False)


def information_potential_and_grad(
    errors,
    kernel_width: float | str,
    sample_weight=None,
    *,
    method: Method = "auto",
    grid_ratio: float | None = None,
    block_size: int | None = None,
) -> tuple[float, np.ndarray]:
    """``V`` and ``dV/dE`` (the negated ``objective="ip"`` loss and gradient).

    Parameters and estimators as in :func:`error_entropy_and_grad`.

    Returns
    -------
    potential : float
    grad : ndarray of the shape and dtype of ``errors``
    """
    loss, grad = error_entropy_and_grad(
        errors,
        kernel_width,
        sample_weight,
        objective="ip",
        method=method,
        grid_ratio=grid_ratio,
        block_size=block_size,
    )
    np.negative(grad, out=grad)
    return -loss, grad
