"""Thin access to BLAS kernels that save NumPy passes.

``axpy`` / ``scal`` update a vector in place, each saving one or two full
passes over a parameter-sized array per training step, and :func:`ones`
turns column sums into matrix-vector products.

(A fused ``gemm`` for the weight gradient, ``(x.T @ delta + alpha W) / scale``
in one call, was measured slower than ``np.matmul`` plus the two in-place
passes over the small weight matrix on every shape we train, in both dtypes.)
"""

from functools import cache, lru_cache

import numpy as np
from scipy.linalg import blas as _scipy_blas

__all__ = ["axpy", "ones", "scal"]


@cache
def _function(name: str, dtype: np.dtype):
    return _scipy_blas.get_blas_funcs(name, dtype=dtype)


def axpy(x: np.ndarray, y: np.ndarray, a: float) -> None:
    """``y += a * x`` in place (contiguous 1-D arrays of one dtype)."""
    _function("axpy", y.dtype)(x, y, a=a)


def scal(a: float, x: np.ndarray) -> None:
    """``x *= a`` in place (contiguous 1-D array)."""
    _function("scal", x.dtype)(a, x)


@lru_cache(maxsize=16)
def ones(n: int, dtype) -> np.ndarray:
    """A read-only vector of ``n`` ones: ``ones(n) @ a`` sums the rows of ``a``.

    BLAS computes the column sums of a C-contiguous matrix as a
    matrix-vector product in one sweep, several times faster than
    ``np.add.reduce(a, axis=0)``; the vectors are cached per batch size.
    """
    vector = np.ones(n, dtype=dtype)
    vector.flags.writeable = False
    return vector
