"""Out-of-distribution distance: how unlike a video's clip features are to those a pack was trained on.

A video is summarised by its clip features' mean and standard deviation over time (`pooled_summary`: a
still test card has the std of a still picture, noise the mean of nothing the backbone has seen). The
distance is a Mahalanobis distance under a Ledoit–Wolf shrunk covariance of the training summaries, kept
compact in the pack as the top principal directions with their shrunk variances plus one variance for all
other directions (the shrunk covariance's mean remaining eigenvalue). A reference distribution of distances
(videos of the pack's data the statistics were not fitted on, else the training videos themselves) gives
each distance a percentile; beyond the threshold percentile (default the 99th) the video is flagged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

MAX_COMPONENTS = 64
DEFAULT_THRESHOLD_PERCENTILE = 99.0
OOD_REASON = "unlike the videos this pack was trained on"
OOD_MESSAGE = "This video is unlike the videos this pack was trained on — treat the score with caution."


def pooled_summary(features: np.ndarray) -> np.ndarray:
    """(T, d) clip features → (2d,) mean and standard deviation over time."""
    f = np.asarray(features, dtype=np.float64)
    if f.ndim != 2 or f.shape[0] == 0:
        raise ValueError("clip features must be a non-empty (T, d) array")
    return np.concatenate([f.mean(axis=0), f.std(axis=0)])


def ledoit_wolf(x: np.ndarray) -> tuple[np.ndarray, float, float]:
    """(sample covariance, shrinkage α, target variance μ) of the Ledoit–Wolf estimator (1 − α)·S + α·μ·I."""
    n, d = x.shape
    xc = x - x.mean(axis=0)
    s = xc.T @ xc / n
    mu = float(np.trace(s) / d)
    delta = float(((s - mu * np.eye(d)) ** 2).sum() / d)
    x2 = xc**2
    beta_bar = float(((x2.T @ x2) / n - s**2).sum() / (d * n))
    beta = min(beta_bar, delta)
    alpha = 0.0 if delta <= 0 else beta / delta
    return s, float(alpha), mu


@dataclass
class OODModel:
    """The compact distance model and the reference distances it is judged against."""

    mean: np.ndarray  # (D,)
    components: np.ndarray  # (k, D) orthonormal rows
    variances: np.ndarray  # (k,) shrunk variances along them
    rest_variance: float  # for every other direction
    reference: np.ndarray  # sorted distances of the reference videos
    threshold_percentile: float = DEFAULT_THRESHOLD_PERCENTILE
    reference_kind: str = "held-out"  # "held-out" (videos not used for the fit) or "training"
    n_fit: int = 0
    shrinkage: float = 0.0

    @property
    def threshold(self) -> float:
        return float(np.percentile(self.reference, self.threshold_percentile))

    def distance(self, summaries: np.ndarray) -> np.ndarray:
        """Mahalanobis distances of (n, D) summaries (or one (D,) summary → (1,))."""
        x = np.atleast_2d(np.asarray(summaries, dtype=np.float64)) - self.mean
        if x.shape[1] != self.mean.shape[0]:
            raise ValueError(f"summary has {x.shape[1]} values, the statistics {self.mean.shape[0]}")
        proj = x @ self.components.T
        along = (proj**2 / self.variances).sum(axis=1)
        rest = np.maximum((x**2).sum(axis=1) - (proj**2).sum(axis=1), 0.0) / self.rest_variance
        return np.sqrt(along + rest)

    def percentile(self, distance: float) -> float:
        """Share (in %) of reference videos at most this far."""
        return float(100.0 * np.searchsorted(self.reference, distance, side="right") / len(self.reference))

    def check(self, features: np.ndarray) -> dict[str, Any]:
        """The result's ``ood`` field for one video's clip features."""
        d = float(self.distance(pooled_summary(features))[0])
        flag = bool(d > self.threshold)
        pct = self.percentile(d)
        reason = (
            f"{OOD_REASON} (distance {d:.1f} beyond the {self.threshold_percentile:g}th percentile "
            f"{self.threshold:.1f} of its {self.reference_kind} videos)"
            if flag
            else ""
        )
        return {"flag": flag, "distance": d, "percentile": pct, "threshold": self.threshold, "reason": reason}

    # ------------------------------------------------------------------------------ pack storage
    def to_manifest(self) -> dict[str, Any]:
        return {
            "version": 1,
            "summary": "mean+std over clips",
            "distance": "mahalanobis, ledoit-wolf shrinkage, low-rank",
            "components": int(self.components.shape[0]),
            "rest_variance": float(self.rest_variance),
            "threshold_percentile": float(self.threshold_percentile),
            "threshold": self.threshold,
            "reference": self.reference_kind,
            "n_reference": int(len(self.reference)),
            "n_fit": int(self.n_fit),
            "shrinkage": float(self.shrinkage),
        }

    def tensors(self) -> dict[str, np.ndarray]:
        return {
            "mean": self.mean,
            "components": self.components,
            "variances": self.variances,
            "reference": self.reference,
        }

    @classmethod
    def from_stored(cls, meta: dict[str, Any], tensors: dict[str, np.ndarray]) -> "OODModel":
        for key in ("mean", "components", "variances", "reference"):
            if key not in tensors:
                raise ValueError(f"the out-of-distribution statistics lack their {key!r} tensor")
        mean = np.asarray(tensors["mean"], dtype=np.float64)
        comps = np.asarray(tensors["components"], dtype=np.float64)
        var = np.asarray(tensors["variances"], dtype=np.float64)
        ref = np.sort(np.asarray(tensors["reference"], dtype=np.float64))
        rest = float(meta.get("rest_variance", 0.0))
        pct = float(meta.get("threshold_percentile", DEFAULT_THRESHOLD_PERCENTILE))
        if mean.ndim != 1 or comps.ndim != 2 or comps.shape[1] != mean.shape[0] or var.shape != (comps.shape[0],):
            raise ValueError("the out-of-distribution statistics have inconsistent shapes")
        if ref.ndim != 1 or len(ref) < 1 or not np.all(np.isfinite(ref)) or not np.all(np.isfinite(mean)):
            raise ValueError("the out-of-distribution reference distances are missing or not finite")
        if not (np.all(var > 0) and rest > 0 and np.isfinite(rest)):
            raise ValueError("the out-of-distribution variances must be positive")
        if not (50.0 <= pct <= 100.0):
            raise ValueError("the out-of-distribution threshold percentile must be between 50 and 100")
        return cls(
            mean=mean,
            components=comps,
            variances=var,
            rest_variance=rest,
            reference=ref,
            threshold_percentile=pct,
            reference_kind=str(meta.get("reference", "held-out")),
            n_fit=int(meta.get("n_fit", 0) or 0),
            shrinkage=float(meta.get("shrinkage", 0.0) or 0.0),
        )


def fit_ood(
    train_features: Sequence[np.ndarray],
    reference_features: Sequence[np.ndarray] | None = None,
    *,
    threshold_percentile: float = DEFAULT_THRESHOLD_PERCENTILE,
    max_components: int = MAX_COMPONENTS,
) -> OODModel:
    """Fit the distance on training videos' clip features; reference distances from held-out videos when given."""
    x = np.stack([pooled_summary(f) for f in train_features])
    n, dim = x.shape
    if n < 3:
        raise ValueError("out-of-distribution statistics need at least three training videos")
    mean = x.mean(axis=0)
    xc = x - mean
    s, alpha, mu = ledoit_wolf(x)
    # eigenvectors of the sample covariance (through the thin SVD, n ≪ D) are those of the shrunk one
    _, sv, vt = np.linalg.svd(xc / np.sqrt(n), full_matrices=False)
    eig = sv**2
    k = int(min(max_components, len(eig), max(1, n - 1)))
    shrunk = (1.0 - alpha) * eig + alpha * mu
    total = (1.0 - alpha) * float(np.trace(s)) + alpha * mu * dim
    rest = max((total - float(shrunk[:k].sum())) / max(dim - k, 1), 1e-12)
    model = OODModel(
        mean=mean,
        components=vt[:k],
        variances=np.maximum(shrunk[:k], 1e-12),
        rest_variance=float(rest),
        reference=np.zeros(1),
        threshold_percentile=threshold_percentile,
        n_fit=n,
        shrinkage=alpha,
    )
    if reference_features:
        ref = np.stack([pooled_summary(f) for f in reference_features])
        model.reference_kind = "held-out"
    else:
        ref = x
        model.reference_kind = "training"
    model.reference = np.sort(model.distance(ref))
    return model


def auroc(in_dist: Sequence[float], out_dist: Sequence[float]) -> float:
    """Probability that an out-of-distribution video is farther than an in-distribution one (ties count ½)."""
    a = np.asarray(in_dist, dtype=np.float64)
    b = np.asarray(out_dist, dtype=np.float64)
    if len(a) == 0 or len(b) == 0:
        return float("nan")
    greater = (b[:, None] > a[None, :]).mean()
    ties = (b[:, None] == a[None, :]).mean()
    return float(greater + 0.5 * ties)
