"""Summary statistics of a population."""

from __future__ import annotations

import numpy as np


def gini(values: np.ndarray) -> float:
    """Gini coefficient of non-negative values (0 = equal, 1 = one holds all; 0 if all zero)."""
    n = len(values)
    total = float(values.sum(dtype=np.float64))
    if n == 0 or total <= 0:
        return 0.0
    ordered = np.sort(values).astype(np.float64)
    weights = np.arange(1 - n, n, 2)  # 2 i - n - 1 for i = 1..n
    # an elementwise product summed by numpy, not `@`: BLAS's order of summation depends on
    # the CPU it runs on, and a run must give the same numbers everywhere
    return float((weights * ordered).sum() / (n * total))
