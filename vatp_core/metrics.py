"""Action-quality metrics as the AQA literature reports them (Spearman, R-ℓ2 ×100, MSE, CS curve, Fisher-z).

Plain numpy/scipy, no torch, so the CLI, the batch scorer and the app can import it cheaply.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Iterable, Sequence

import numpy as np

_R_CLIP = 0.99999  # keeps arctanh finite for a perfect correlation


def _pair(pred: Iterable[float], true: Iterable[float]) -> tuple[np.ndarray, np.ndarray]:
    p = np.asarray(list(pred) if not isinstance(pred, np.ndarray) else pred, dtype=np.float64).reshape(-1)
    t = np.asarray(list(true) if not isinstance(true, np.ndarray) else true, dtype=np.float64).reshape(-1)
    if p.shape != t.shape:
        raise ValueError(f"predictions ({p.size}) and targets ({t.size}) differ in length")
    if p.size == 0:
        raise ValueError("no predictions to score")
    if not (np.all(np.isfinite(p)) and np.all(np.isfinite(t))):
        raise ValueError("predictions and targets must be finite numbers")
    return p, t


def spearman(pred: Iterable[float], true: Iterable[float]) -> float:
    """Spearman rank correlation (ties get average ranks); 0.0 when either side is constant or n < 2."""
    from scipy.stats import rankdata

    p, t = _pair(pred, true)
    if p.size < 2:
        return 0.0
    rp, rt = rankdata(p), rankdata(t)
    rp -= rp.mean()
    rt -= rt.mean()
    denom = math.sqrt(float(np.dot(rp, rp)) * float(np.dot(rt, rt)))
    if denom == 0.0:
        return 0.0
    return float(np.clip(np.dot(rp, rt) / denom, -1.0, 1.0))


def _range_width(score_range, true: np.ndarray) -> float:
    if score_range is None:
        width = float(true.max() - true.min())
    elif np.ndim(score_range) == 0:
        width = float(score_range)
    else:
        lo, hi = (float(v) for v in score_range)
        width = hi - lo
    if not width > 0:
        raise ValueError(f"score range must have positive width, got {score_range!r}")
    return width


def relative_l2(pred: Iterable[float], true: Iterable[float], score_range=None) -> float:
    """Relative ℓ2 distance ×100 as CoRe reports it: mean((|ŝ−s| / (max−min))²) × 100.

    ``score_range`` is ``(lo, hi)``, a width, or None (the targets' own range).
    """
    p, t = _pair(pred, true)
    width = _range_width(score_range, t)
    return float(np.mean((np.abs(p - t) / width) ** 2) * 100.0)


def mse(pred: Iterable[float], true: Iterable[float]) -> float:
    """Mean squared error."""
    p, t = _pair(pred, true)
    return float(np.mean((p - t) ** 2))


def mae(pred: Iterable[float], true: Iterable[float]) -> float:
    """Mean absolute error."""
    p, t = _pair(pred, true)
    return float(np.mean(np.abs(p - t)))


def cumulative_score_curve(
    pred: Iterable[float], true: Iterable[float], alphas: Sequence[float] | np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative score curve (paper Fig. 7): for each error threshold α, the share of videos with |ŝ−s| ≤ α.

    Without ``alphas``, 50 thresholds from 0 to the largest absolute error are used.
    Returns ``(alphas, shares)`` with shares in [0, 1], non-decreasing in α.
    """
    p, t = _pair(pred, true)
    err = np.abs(p - t)
    if alphas is None:
        top = float(err.max()) if err.max() > 0 else 1.0
        a = np.linspace(0.0, top, 50)
    else:
        a = np.asarray(alphas, dtype=np.float64).reshape(-1)
        if np.any(a < 0):
            raise ValueError("error thresholds must be non-negative")
    shares = (err[None, :] <= a[:, None] + 1e-12).mean(axis=1)
    return a, shares


def fisher_z_mean(corrs: Iterable[float], weights: Iterable[float] | None = None) -> float:
    """Average correlations through Fisher's z (arctanh), as AQA papers average over classes."""
    r = np.asarray(list(corrs), dtype=np.float64).reshape(-1)
    if r.size == 0:
        raise ValueError("no correlations to average")
    z = np.arctanh(np.clip(r, -_R_CLIP, _R_CLIP))
    if weights is None:
        zm = float(z.mean())
    else:
        w = np.asarray(list(weights), dtype=np.float64).reshape(-1)
        if w.shape != r.shape or np.any(w < 0) or w.sum() <= 0:
            raise ValueError("weights must be non-negative, one per correlation, not all zero")
        zm = float(np.dot(z, w) / w.sum())
    return float(np.tanh(zm))


@dataclass
class RegressionMetrics:
    """The numbers an AQA table reports for one set of predictions."""

    n: int
    spearman: float
    rl2: float
    mse: float
    mae: float

    def to_dict(self) -> dict:
        return asdict(self)


def regression_metrics(pred: Iterable[float], true: Iterable[float], score_range=None) -> RegressionMetrics:
    """Spearman, R-ℓ2 (×100), MSE and MAE of one prediction set."""
    p, t = _pair(pred, true)
    return RegressionMetrics(
        n=int(p.size), spearman=spearman(p, t), rl2=relative_l2(p, t, score_range), mse=mse(p, t), mae=mae(p, t)
    )
