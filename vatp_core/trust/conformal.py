"""Split-conformal prediction intervals: a stated coverage from calibration videos no fitting or selection saw.

The nonconformity score of a calibration video is its absolute residual divided by a per-video spread
(`vatp_core.trust.spread`). For a level ``1 − α`` the interval half-width is the ⌈(n + 1)(1 − α)⌉-th smallest
score times the video's spread: with exchangeable calibration and test videos it covers the true score with
probability at least ``1 − α``. With fewer calibration videos than that rank needs, no finite interval has
the stated coverage, so `interval_for` says "uncalibrated" instead of showing a number.

`two_tailed_interval` bounds each side on its own: with signed scores (y − μ)/s the upper half-width is their
conformal quantile at 1 − α/2 and the lower that of (μ − y)/s, so each tail misses at most α/2 and the interval
covers at least 1 − α. It needs more calibration videos (19 at 90%) and pays off when the residuals are
skewed (a model that misses a penalty over-predicts a share of the routines by about its size).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

DEFAULT_LEVEL = 0.9
MIN_LEVEL, MAX_LEVEL = 0.5, 0.995


def check_level(level: float) -> float:
    """A coverage level as a float in [0.5, 0.995] (a clear ValueError otherwise)."""
    try:
        value = float(level)
    except (TypeError, ValueError):
        raise ValueError(f"interval level must be a number, not {level!r}") from None
    if not (MIN_LEVEL <= value <= MAX_LEVEL):
        raise ValueError(f"interval level must be between {MIN_LEVEL} and {MAX_LEVEL} (e.g. 0.9), not {level!r}")
    return value


def conformal_rank(n: int, level: float) -> int:
    """The 1-based rank ⌈(n + 1)·level⌉ of the calibration score that bounds the interval (may exceed n)."""
    return int(math.ceil((n + 1) * level - 1e-9))


def min_calibration_size(level: float) -> int:
    """The fewest calibration videos for which the finite-sample conformal quantile at ``level`` exists."""
    n = 1
    while conformal_rank(n, level) > n:
        n += 1
    return n


def conformal_quantile(scores: Sequence[float] | np.ndarray, level: float) -> float | None:
    """The finite-sample conformal quantile of the scores, or None when there are too few of them."""
    s = np.sort(np.asarray(scores, dtype=np.float64))
    k = conformal_rank(len(s), level)
    if len(s) == 0 or k > len(s):
        return None
    return float(s[k - 1])


def level_text(level: float) -> str:
    """'90%' for 0.9, '97.5%' for 0.975."""
    pct = 100.0 * level
    return f"{pct:.0f}%" if abs(pct - round(pct)) < 1e-6 else f"{pct:g}%"


def uncalibrated_reason(n: int, level: float) -> str:
    """Why there is no interval: no calibration at all, or too few videos for the level."""
    if n <= 0:
        return "uncalibrated: this pack carries no calibration"
    return f"uncalibrated: {n} calibration videos, need ≥ {min_calibration_size(level)} for {level_text(level)}"


@dataclass
class Interval:
    """A prediction interval in score units (``low``/``high`` None when uncalibrated, with the reason)."""

    level: float
    low: float | None
    high: float | None
    method: str  # e.g. "split-conformal, normalised by a constant spread", or "uncalibrated"
    clipped: bool = False  # True when the pack's score range cut it
    n_calibration: int = 0
    reason: str = ""  # for uncalibrated intervals, what a user reads instead of the numbers

    @property
    def calibrated(self) -> bool:
        return self.low is not None and self.high is not None

    @property
    def width(self) -> float | None:
        return None if not self.calibrated else float(self.high) - float(self.low)  # type: ignore[arg-type]

    def text(self, digits: int = 1) -> str:
        """'90% between 61.2 and 75.6', or the reason it is uncalibrated."""
        if not self.calibrated:
            return self.reason or "uncalibrated"
        return f"{level_text(self.level)} between {self.low:.{digits}f} and {self.high:.{digits}f}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "level": float(self.level),
            "low": None if self.low is None else float(self.low),
            "high": None if self.high is None else float(self.high),
            "method": self.method,
            "clipped": bool(self.clipped),
            "n_calibration": int(self.n_calibration),
            "reason": self.reason,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Interval":
        def opt(v: Any) -> float | None:
            return None if v is None else float(v)

        return cls(
            level=float(data.get("level", DEFAULT_LEVEL)),
            low=opt(data.get("low")),
            high=opt(data.get("high")),
            method=str(data.get("method", "")),
            clipped=bool(data.get("clipped", False)),
            n_calibration=int(data.get("n_calibration", 0) or 0),
            reason=str(data.get("reason", "")),
        )


def uncalibrated(level: float, n: int = 0) -> Interval:
    return Interval(level=level, low=None, high=None, method="uncalibrated", n_calibration=n,
                    reason=uncalibrated_reason(n, level))  # fmt: skip


def interval_for(
    mean: float,
    spread: float,
    scores: Sequence[float] | np.ndarray | None,
    level: float,
    *,
    score_range: Sequence[float] | None = None,
    method: str = "split-conformal",
) -> Interval:
    """The interval μ ± q·spread at ``level``, clipped to the score range (``clipped`` says when it was)."""
    level = check_level(level)
    n = 0 if scores is None else len(scores)
    q = conformal_quantile(scores, level) if scores is not None and n else None
    if q is None:
        return uncalibrated(level, n)
    return _clipped(level, mean - q * spread, mean + q * spread, score_range, method, n)


def two_tailed_interval(
    mean: float,
    spread: float,
    signed: Sequence[float] | np.ndarray,
    level: float,
    *,
    score_range: Sequence[float] | None = None,
    method: str = "split-conformal, two-tailed",
) -> Interval | None:
    """μ + [−q₋, q₊]·spread from signed scores (y − μ)/s, each tail at 1 − α/2 (None: too few for the tails)."""
    level = check_level(level)
    s = np.asarray(signed, dtype=np.float64)
    tail = 1.0 - (1.0 - level) / 2.0
    q_high, q_low = conformal_quantile(s, tail), conformal_quantile(-s, tail)
    if q_high is None or q_low is None:
        return None
    # a model that errs one way only has a negative quantile on the other side: the interval would not hold
    # the score it is shown with; holding it (a wider interval) keeps the coverage
    q_high, q_low = max(q_high, 0.0), max(q_low, 0.0)
    return _clipped(level, mean - q_low * spread, mean + q_high * spread, score_range, method, len(s))


def _clipped(
    level: float, low: float, high: float, score_range: Sequence[float] | None, method: str, n: int
) -> Interval:
    clipped = False
    if score_range is not None and len(score_range) == 2:
        lo, hi = float(score_range[0]), float(score_range[1])
        if low < lo or high > hi:
            clipped = True
            low, high = min(max(low, lo), hi), max(min(high, hi), lo)
    return Interval(level=level, low=float(low), high=float(high), method=method, clipped=clipped, n_calibration=n)


def coverage_and_width(true: np.ndarray, low: np.ndarray, high: np.ndarray) -> tuple[float, float]:
    """Share of true scores inside [low, high] and the mean width."""
    true, low, high = (np.asarray(a, dtype=np.float64) for a in (true, low, high))
    if len(true) == 0:
        return float("nan"), float("nan")
    inside = (true >= low - 1e-9) & (true <= high + 1e-9)
    return float(inside.mean()), float((high - low).mean())


def naive_width(scores: Sequence[float] | np.ndarray, level: float = DEFAULT_LEVEL) -> float:
    """Width of the central ``level`` share of scores: what an interval that knows nothing of the video spans."""
    s = np.asarray(scores, dtype=np.float64)
    a = (1.0 - level) / 2.0
    return float(np.quantile(s, 1.0 - a) - np.quantile(s, a))
