"""The interval's shape: symmetric (μ ± q·s) or two-tailed (each side its own quantile), chosen by measurement.

A model that misses a penalty (an out-of-order routine on RG loses 3 points) over-predicts those routines by
about the penalty while the others sit close: its residuals are skewed, and a symmetric interval must be as
wide on the side that rarely errs as on the side that does. The two-tailed interval bounds each side at
1 − α/2 instead; it needs more calibration videos and is wider when the residuals are symmetric, so it is
used only where it measures narrower.

The choice reads only videos the calibration never sees (the select part): on them, the width each shape would
give with as many calibration videos as the pack has, each quantile taken at the rank the finite-sample rule
would use. Any fixed rule on data disjoint from the calibration keeps the conformal guarantee.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .conformal import conformal_rank, min_calibration_size

SHAPES = ("symmetric", "two-tailed")
MIN_CHOICE_VIDEOS = 20  # fewer to choose on: symmetric (the simpler shape)
TIE = 0.95  # two-tailed must measure at least 5% narrower (its extreme order statistics are noisier)


def _width(signed: np.ndarray, shape: str, n_cal: int, level: float) -> float | None:
    """The mean width (in spread units) a calibration of ``n_cal`` videos like these would give."""
    if shape == "symmetric":
        k = conformal_rank(n_cal, level)
        return None if k > n_cal else 2.0 * float(np.quantile(np.abs(signed), k / (n_cal + 1)))
    tail = 1.0 - (1.0 - level) / 2.0
    k = conformal_rank(n_cal, tail)
    if k > n_cal:
        return None
    share = k / (n_cal + 1)
    # each side held at ≥ 0, as `two_tailed_interval` holds it (the interval keeps μ inside)
    return float(max(np.quantile(signed, share), 0.0) + max(np.quantile(-signed, share), 0.0))


def choose_shape(
    signed: np.ndarray, n_cal: int, level: float, shapes: tuple[str, ...] = SHAPES
) -> tuple[str, dict[str, Any]]:
    """(shape, what was measured) from signed normalised residuals (y − μ)/s of videos the calibration never sees."""
    signed = np.asarray(signed, dtype=np.float64).reshape(-1)
    measured: dict[str, Any] = {"level": level, "n": len(signed), "n_calibration": n_cal, "mean_width": {}}
    if len(signed) < MIN_CHOICE_VIDEOS or "two-tailed" not in shapes:
        measured["reason"] = f"fewer than {MIN_CHOICE_VIDEOS} videos to choose on" if "two-tailed" in shapes else ""
        return "symmetric", measured
    tail = 1.0 - (1.0 - level) / 2.0
    if n_cal < min_calibration_size(tail):
        measured["reason"] = f"two-tailed needs ≥ {min_calibration_size(tail)} calibration videos"
        return "symmetric", measured
    widths = {shape: _width(signed, shape, n_cal, level) for shape in SHAPES}
    measured["mean_width"] = {k: None if v is None else round(v, 6) for k, v in widths.items()}
    sym, two = widths["symmetric"], widths["two-tailed"]
    if sym is not None and two is not None and two < TIE * sym:
        return "two-tailed", measured
    return "symmetric", measured
