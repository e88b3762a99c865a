"""What a pack carries to say how sure a score is: a conformal calibration and out-of-distribution statistics.

`TrustStats` is stored in a pack as a manifest entry (``trust``: versions, methods, sizes, data used) and
tensors in ``weights.safetensors`` under ``trust.calibration.*`` and ``trust.ood.*``; `assess` turns one
video's prediction into the result's ``interval``, ``ood`` and ``out_of_range`` fields. Calibration works in
the model's target units (score ÷ difficulty for packs that divide by it); the interval is scaled back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from .conformal import DEFAULT_LEVEL, Interval, interval_for, two_tailed_interval, uncalibrated
from .ood import OODModel
from .shape import SHAPES, choose_shape
from .spread import SpreadData, SpreadModel, choose_spread

TRUST_VERSION = 2  # 2: the calibration's shape (two-tailed packs store signed scores); 1 is read as symmetric
TENSOR_PREFIX = "trust."
MAX_CALIBRATION_VIDEOS = 1_000_000


@dataclass
class Calibration:
    """Sorted normalised calibration residuals and the spread s that normalised them.

    ``shape`` "symmetric": scores |y − μ| / s, interval μ ± q·s; "two-tailed": signed scores (y − μ) / s, each
    side bounded on its own (`two_tailed_interval`), falling back to μ ± q·s on |scores| at a level whose
    tails the scores are too few for."""

    spread: SpreadModel
    scores: np.ndarray
    method: str = "split-conformal"
    data: str = ""  # which videos calibrated it, in words
    shape: str = "symmetric"
    measured: dict[str, Any] = field(default_factory=dict)  # how the shape was chosen

    def __post_init__(self) -> None:
        if self.shape not in SHAPES:
            raise ValueError(f"unknown interval shape {self.shape!r} (one of {', '.join(SHAPES)})")
        self.scores = np.sort(np.asarray(self.scores, dtype=np.float64).reshape(-1))

    @property
    def n(self) -> int:
        return int(len(self.scores))

    def describe(self, shape: str | None = None) -> str:
        tails = ", two-tailed" if (shape or self.shape) == "two-tailed" else ""
        return f"{self.method}{tails}, normalised by {self.spread.describe()}"

    def interval(
        self,
        mean: float,
        data: SpreadData,
        level: float = DEFAULT_LEVEL,
        *,
        factor: float = 1.0,
        score_range: Sequence[float] | None = None,
    ) -> Interval:
        """The interval of one video (``data`` has one row; ``mean`` in target units, × ``factor`` after)."""
        s = float(self.spread.spread(data)[0])
        if self.shape == "two-tailed":
            iv = two_tailed_interval(
                mean * factor, s * factor, self.scores, level, score_range=score_range, method=self.describe()
            )
            if iv is not None:
                return iv
        return interval_for(
            mean * factor,
            s * factor,
            np.abs(self.scores),
            level,
            score_range=score_range,
            method=self.describe("symmetric"),
        )


def fit_calibration(
    spread_data: SpreadData,
    calibration_data: SpreadData,
    level: float = DEFAULT_LEVEL,
    *,
    data: str = "",
    shapes: tuple[str, ...] = SHAPES,
) -> Calibration:
    """Choose the spread and the shape on one set of videos, then take the conformal scores of another, disjoint one."""
    spread = choose_spread(spread_data, level)
    signed = spread_data.signed_residual / spread.spread(spread_data)
    shape, measured = choose_shape(signed, len(calibration_data), level, shapes)
    scores = calibration_data.signed_residual / spread.spread(calibration_data)
    if shape == "symmetric":
        scores = np.abs(scores)
    return Calibration(spread=spread, scores=scores, data=data, shape=shape, measured=measured)


@dataclass
class TrustStats:
    """A pack's calibration and out-of-distribution statistics (either may be absent)."""

    calibration: Calibration | None = None
    ood: OODModel | None = None
    notes: dict[str, Any] = field(default_factory=dict)  # e.g. how the demo was calibrated

    def to_manifest(self) -> dict[str, Any]:
        out: dict[str, Any] = {"version": TRUST_VERSION}
        if self.calibration is not None:
            c = self.calibration
            out["calibration"] = {
                "method": c.method,
                "n": c.n,
                "data": c.data,
                "shape": c.shape,
                "spread": c.spread.to_manifest(),
            }
            if c.measured:
                out["calibration"]["shape_measured"] = c.measured
        if self.ood is not None:
            out["ood"] = self.ood.to_manifest()
        if self.notes:
            out["notes"] = dict(self.notes)
        return out

    def tensors(self) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        if self.calibration is not None:
            out[f"{TENSOR_PREFIX}calibration.scores"] = self.calibration.scores
            for k, v in self.calibration.spread.tensors().items():
                out[f"{TENSOR_PREFIX}calibration.spread.{k}"] = v
        if self.ood is not None:
            for k, v in self.ood.tensors().items():
                out[f"{TENSOR_PREFIX}ood.{k}"] = v
        return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in out.items()}

    @classmethod
    def from_stored(cls, meta: Any, tensors: dict[str, Any]) -> "TrustStats":
        """Validate and rebuild from a manifest entry and the pack's ``trust.*`` tensors (ValueError if bad)."""
        if meta is None:
            return cls()
        if not isinstance(meta, dict):
            raise ValueError("'trust' must be an object")
        version = meta.get("version")
        if not isinstance(version, int) or isinstance(version, bool) or not 1 <= version <= TRUST_VERSION:
            raise ValueError(f"trust statistics version {version!r} is not supported (up to {TRUST_VERSION})")
        arrays = {k[len(TENSOR_PREFIX) :]: np.asarray(_as_numpy(v)) for k, v in tensors.items()
                  if k.startswith(TENSOR_PREFIX)}  # fmt: skip
        cal = None
        if meta.get("calibration") is not None:
            c = meta["calibration"]
            if not isinstance(c, dict) or not isinstance(c.get("spread"), dict):
                raise ValueError("'trust.calibration' must be an object with a 'spread'")
            scores = arrays.get("calibration.scores")
            if scores is None or scores.ndim != 1:
                raise ValueError("the calibration lacks its scores tensor")
            shape = str(c.get("shape", "symmetric"))
            if shape not in SHAPES:
                raise ValueError(f"unknown interval shape {shape!r}")
            signed = shape == "two-tailed"
            if (
                len(scores) > MAX_CALIBRATION_VIDEOS
                or not np.all(np.isfinite(scores))
                or (not signed and np.any(scores < 0))
            ):
                raise ValueError(
                    "the calibration scores must be finite, non-negative (signed if two-tailed) and at most a million"
                )
            if int(c.get("n", -1)) != len(scores):
                raise ValueError("the calibration's 'n' does not match its scores tensor")
            spread_t = {k[len("calibration.spread.") :]: v for k, v in arrays.items()
                        if k.startswith("calibration.spread.")}  # fmt: skip
            spread = SpreadModel.from_stored(c["spread"], spread_t)
            measured = c.get("shape_measured")
            cal = Calibration(spread=spread, scores=scores, method=str(c.get("method", "split-conformal")),
                              data=str(c.get("data", "")), shape=shape,
                              measured=dict(measured) if isinstance(measured, dict) else {})  # fmt: skip
        ood = None
        if meta.get("ood") is not None:
            if not isinstance(meta["ood"], dict):
                raise ValueError("'trust.ood' must be an object")
            ood_t = {k[len("ood.") :]: v for k, v in arrays.items() if k.startswith("ood.")}
            ood = OODModel.from_stored(meta["ood"], ood_t)
        notes = meta.get("notes") or {}
        return cls(calibration=cal, ood=ood, notes=dict(notes) if isinstance(notes, dict) else {})


def _as_numpy(v: Any) -> np.ndarray:
    if hasattr(v, "detach"):
        return v.detach().cpu().double().numpy()
    return np.asarray(v, dtype=np.float64)


def assess(
    trust: TrustStats | None,
    *,
    raw_mean: float,
    raw_sigma: float,
    features: np.ndarray,
    factor: float,
    score_range: Sequence[float],
    level: float = DEFAULT_LEVEL,
) -> dict[str, Any]:
    """The result fields ``interval``, ``ood`` and ``out_of_range`` for one scored video."""
    mean = raw_mean * factor
    lo, hi = float(score_range[0]), float(score_range[1])
    out_of_range = bool(mean < lo or mean > hi)
    if trust is None or trust.calibration is None:
        interval = uncalibrated(level)
    else:
        pooled = np.asarray(features, dtype=np.float64).mean(axis=0)[None]
        data = SpreadData(mu=np.array([raw_mean]), sigma=np.array([raw_sigma]), pooled=pooled)
        interval = trust.calibration.interval(raw_mean, data, level, factor=factor, score_range=(lo, hi))
    if trust is None or trust.ood is None:
        ood: dict[str, Any] = {
            "flag": None,
            "distance": None,
            "percentile": None,
            "reason": "no out-of-distribution statistics in this pack",
        }
    else:
        ood = trust.ood.check(features)
    return {"interval": interval.to_dict(), "ood": ood, "out_of_range": out_of_range}
