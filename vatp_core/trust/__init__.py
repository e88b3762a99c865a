"""Trust around the paper-faithful model: calibrated intervals, out-of-distribution warnings, honest reports.

Plain numpy (no torch, no Qt): conformal calibration (`conformal`, `spread`, `calibration`), the
out-of-distribution distance (`ood`), the two baselines (`baselines`) and bootstrap intervals (`bootstrap`).
"""

from __future__ import annotations

from .calibration import Calibration, TrustStats, assess, fit_calibration
from .conformal import (
    DEFAULT_LEVEL,
    Interval,
    check_level,
    conformal_quantile,
    coverage_and_width,
    interval_for,
    min_calibration_size,
    naive_width,
    uncalibrated,
)
from .ood import OOD_MESSAGE, OODModel, auroc, fit_ood, pooled_summary
from .spread import SpreadData, SpreadModel, choose_spread, fit_spread

__all__ = [
    "DEFAULT_LEVEL",
    "OOD_MESSAGE",
    "Calibration",
    "Interval",
    "OODModel",
    "SpreadData",
    "SpreadModel",
    "TrustStats",
    "assess",
    "auroc",
    "check_level",
    "choose_spread",
    "conformal_quantile",
    "coverage_and_width",
    "fit_calibration",
    "fit_ood",
    "fit_spread",
    "interval_for",
    "min_calibration_size",
    "naive_width",
    "pooled_summary",
    "uncalibrated",
]
