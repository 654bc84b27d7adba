"""Row operations on (rows, few columns) arrays: dot products, norms, maxima.

numpy reduces a short trailing axis one row at a time, which is ten times slower than one
vectorized pass per column; the state has few columns (themes, domains, tie slots), so these
loop over the columns. Dot products are summed from the first column to the last, the order
the compiled kernels (`numerics.kernels`) use, so that both give the same bits.
"""

from __future__ import annotations

import numpy as np


def normalize_rows(matrix: np.ndarray) -> np.ndarray:
    """Scale each row to unit Euclidean length in place (a zero row stays zero); return it."""
    norms = np.sqrt(row_dot(matrix, matrix))
    np.divide(matrix, norms[:, None], out=matrix, where=norms[:, None] > 0)
    return matrix


def row_max(matrix: np.ndarray) -> np.ndarray:
    """Largest value of each row."""
    out = matrix[:, 0].copy()
    for column in range(1, matrix.shape[1]):
        np.maximum(out, matrix[:, column], out=out)
    return out


def row_argmax(matrix: np.ndarray) -> np.ndarray:
    """Column of the largest value of each row (the first on ties)."""
    best = matrix[:, 0].copy()
    out = np.zeros(len(matrix), dtype=np.int64)
    for column in range(1, matrix.shape[1]):
        larger = matrix[:, column] > best
        out[larger] = column
        np.maximum(best, matrix[:, column], out=best)
    return out


def matvec(matrix: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """`matrix @ vector`, summed from the first column to the last (BLAS picks its own order,
    and is slow for a long matrix with few columns)."""
    out = matrix[:, 0] * vector[0]
    for column in range(1, matrix.shape[1]):
        out += matrix[:, column] * vector[column]
    return out


def row_any(matrix: np.ndarray) -> np.ndarray:
    """Whether each row of a boolean matrix has a True."""
    out = matrix[:, 0].copy()
    for column in range(1, matrix.shape[1]):
        out |= matrix[:, column]
    return out


def row_dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Dot product of matching rows of two (n, k) arrays, summed from the first column to the
    last (the order the compiled kernels in `numerics.kernels` use)."""
    out = a[:, 0] * b[:, 0]
    for column in range(1, a.shape[1]):
        out += a[:, column] * b[:, column]
    return out
