"""The summary window of a run: where the initial transient ends.

A run summary averages over a window that leaves out the start of the run, while the system
still moves from its starting state to its steady state. The window starts at the truncation
point MSER-5 chooses (the Marginal Standard Error Rule on batch means of 5 observations: White
1997; White, Cobb and Spratt 2000; Franklin and White 2008), applied to several outputs at
once, the latest of their truncation points winning:

    Z_1 .. Z_k   means of consecutive batches of 5 steps (aligned to end at the last step)
    MSER(d) = sum_{j > d} (Z_j - mean(Z_{d+1..k}))^2 / (k - d)^2,   d = 0 .. floor(k / 2)
    d* = argmin MSER(d)   (the first on ties),   truncation = 5 d* steps

MSER(d) is the squared standard error of the mean of what remains after dropping d batches:
dropping the transient lowers it, dropping steady-state data raises it. The search stops at
half the batches (as its authors advise), so at least half the run is always kept. The
implementation is here because the one packaged version on PyPI (pymser) needs PyTorch.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

BATCH = 5
# outputs whose transients the window must leave out: the flow of work and the capacity behind
# it (which carries the people's engagement, skills and effectiveness); smooth, nearly
# noiseless series are left out, because MSER's minimum then drifts to its search limit
SERIES = ("throughput", "wip", "capacity")


def mser(values: np.ndarray, batch: int = BATCH) -> int:
    """The MSER truncation point of a series, in observations: how many of the first values
    to drop (a multiple of `batch`, plus the leftover that does not fill a batch)."""
    values = np.asarray(values, dtype=np.float64)
    leftover = len(values) % batch
    batches = values[leftover:].reshape(-1, batch).mean(axis=1)
    k = len(batches)
    if k < 2 or not np.isfinite(batches).all():
        return leftover
    # sums over the tails Z_{d+1..k}, for every d at once
    tail_sum = np.cumsum(batches[::-1])[::-1]
    tail_square = np.cumsum((batches * batches)[::-1])[::-1]
    remaining = np.arange(k, 0, -1, dtype=np.float64)
    deviations = tail_square - tail_sum * tail_sum / remaining
    score = deviations / remaining**2
    d = int(np.argmin(score[: k // 2 + 1]))
    return leftover + batch * d


def truncation(table: pd.DataFrame, series: tuple[str, ...] = SERIES) -> tuple[int, bool]:
    """How many steps after step 0 the window leaves out (the latest MSER-5 point of
    `series`), and whether that point is at the search's limit, half the run: then the run
    may not have settled, and its summary should be read with care."""
    steps = table[table["step"] > 0]
    if len(steps) < 2 * BATCH:
        return 0, False
    cut = max(mser(steps[name].to_numpy()) for name in series)
    limit = len(steps) % BATCH + BATCH * ((len(steps) // BATCH) // 2)
    return cut, cut >= limit


def steady_window(table: pd.DataFrame, series: tuple[str, ...] = SERIES) -> pd.DataFrame:
    """The rows of a step table after the initial transient: steps 1..T (step 0 is the state
    before the run) after the `truncation`; the last row alone if the run has no step beyond
    0."""
    steps = table[table["step"] > 0]
    if steps.empty:
        return table.iloc[-1:]
    return steps.iloc[truncation(table, series)[0]:]
