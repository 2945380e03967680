"""Thin access to BLAS kernels whose epilogues fuse work NumPy would do in passes.

``gemm`` scales and accumulates into its output (``C = a A B + b C``), and
``axpy`` / ``scal`` update a vector in place, each saving one or two full
passes over a parameter-sized array per training step.
"""

from functools import cache

import numpy as np
from scipy.linalg import blas as _scipy_blas

__all__ = ["axpy", "scal", "weight_gradient"]


@cache
def _function(name: str, dtype: np.dtype):
    return _scipy_blas.get_blas_funcs(name, dtype=dtype)


def axpy(x: np.ndarray, y: np.ndarray, a: float) -> None:
    """``y += a * x`` in place (contiguous 1-D arrays of one dtype)."""
    _function("axpy", y.dtype)(x, y, a=a)


def scal(a: float, x: np.ndarray) -> None:
    """``x *= a`` in place (contiguous 1-D array)."""
    _function("scal", x.dtype)(a, x)


def weight_gradient(
    x: np.ndarray,
    delta: np.ndarray,
    weight: np.ndarray,
    out: np.ndarray,
    *,
    alpha: float,
    scale: float,
) -> None:
    """``out = (x.T @ delta + alpha * weight) / scale`` in one GEMM call.

    ``out`` (fan_in x fan_out, C-contiguous) is filled with ``weight`` and the
    GEMM accumulates into it, so the L2 term and the division by the sample
    weight cost no extra passes.
    """
    if alpha:
        np.copyto(out, weight)
    # Row-major out is column-major out.T = delta.T @ x, which BLAS reads
    # without copies when x and delta are C-contiguous.
    result = _function("gemm", out.dtype)(
        1.0 / scale,
        delta.T,
        x.T,
        beta=alpha / scale,
        c=out.T,
        trans_b=1,
        overwrite_c=1,
    )
    if not np.shares_memory(result, out):
        out[...] = result.T
