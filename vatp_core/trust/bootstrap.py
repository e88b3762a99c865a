"""Bootstrap confidence intervals of Spearman's ρ: one Spearman on ~24 held-out videos needs an error bar."""

from __future__ import annotations

import numpy as np

from ..metrics import spearman

DEFAULT_RESAMPLES = 1000


def spearman_ci(
    pred: np.ndarray, true: np.ndarray, level: float = 0.95, resamples: int = DEFAULT_RESAMPLES, seed: int = 0
) -> list[float] | None:
    """Percentile bootstrap interval [low, high] of Spearman over resampled videos (None below 4 videos)."""
    p = np.asarray(pred, dtype=np.float64)
    t = np.asarray(true, dtype=np.float64)
    n = len(p)
    if n < 4:
        return None
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(resamples):
        idx = rng.integers(0, n, size=n)
        if np.ptp(p[idx]) == 0 or np.ptp(t[idx]) == 0:
            continue  # a resample with a constant side has no rank correlation
        values.append(spearman(p[idx], t[idx]))
    if not values:
        return None
    a = (1.0 - level) / 2.0
    return [float(np.quantile(values, a)), float(np.quantile(values, 1.0 - a))]
