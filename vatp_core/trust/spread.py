"""Per-video spread that normalises conformal residuals, chosen among three by measured interval width.

Candidates:
- ``constant``: every video gets the same spread (plain split conformal on absolute residuals).
- ``sigma``: the model's own σ (paper Eq. 14), floored. The paper trains σ only through an MSE on the sampled
  score μ + εσ, which rewards σ → 0, so σ alone is not a spread; the floor (a tenth of the median absolute
  residual) keeps a collapsed σ from giving zero-width intervals.
- ``nll-head``: a small Gaussian-NLL head on detached features — log s² linear in the top principal
  components of the mean-pooled clip features and the predicted μ, fitted by Newton steps with an L2 penalty.

Which one a pack uses is measured, not assumed: `choose_spread` cross-fits each candidate on two halves of the
spread-fitting videos and keeps the one whose conformal intervals are narrowest at the level asked (coverage
is guaranteed by the conformal quantile whichever spread is used; only the width differs). On the demo pack and
the generated RG features σ had collapsed (its spread carries almost no information about the error), so the
measurement usually keeps ``constant`` or the head; the figures of each are recorded in the pack manifest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .conformal import conformal_quantile

SPREAD_KINDS = ("constant", "sigma", "nll-head")
HEAD_COMPONENTS = 4
HEAD_PENALTY = 1.0
SIGMA_FLOOR_SHARE = 0.1


@dataclass
class SpreadData:
    """What the spread is computed from, one row per video (scores in judged-score units)."""

    mu: np.ndarray  # (n,)
    sigma: np.ndarray  # (n,) the model's σ
    pooled: np.ndarray  # (n, d) mean-pooled clip features
    true: np.ndarray | None = None  # (n,) known scores (for fitting and calibration)

    def __post_init__(self) -> None:
        self.mu = np.asarray(self.mu, dtype=np.float64).reshape(-1)
        self.sigma = np.asarray(self.sigma, dtype=np.float64).reshape(-1)
        self.pooled = np.asarray(self.pooled, dtype=np.float64).reshape(len(self.mu), -1)
        if self.true is not None:
            self.true = np.asarray(self.true, dtype=np.float64).reshape(-1)

    def __len__(self) -> int:
        return len(self.mu)

    def take(self, idx: np.ndarray) -> "SpreadData":
        return SpreadData(
            self.mu[idx], self.sigma[idx], self.pooled[idx], None if self.true is None else self.true[idx]
        )

    @property
    def signed_residual(self) -> np.ndarray:
        """y − μ (positive where the model under-predicts)."""
        if self.true is None:
            raise ValueError("no true scores to compute residuals from")
        return self.true - self.mu

    @property
    def abs_residual(self) -> np.ndarray:
        return np.abs(self.signed_residual)


@dataclass
class SpreadModel:
    """A fitted spread: ``spread(data)`` gives one positive number per video, in score units."""

    kind: str
    floor: float = 1e-6
    # nll-head parameters: pooled features → centred → projected → standardised; mu standardised; linear log s²
    center: np.ndarray | None = None  # (d,)
    components: np.ndarray | None = None  # (k, d)
    z_scale: np.ndarray | None = None  # (k + 1,) std of the projected features and of μ
    z_shift: np.ndarray | None = None  # (k + 1,) mean of the projected features and of μ
    coef: np.ndarray | None = None  # (k + 2,) intercept first
    measured: dict[str, Any] = field(default_factory=dict)  # cross-fitted widths of every candidate

    def __post_init__(self) -> None:
        if self.kind not in SPREAD_KINDS:
            raise ValueError(f"unknown spread {self.kind!r} (one of {', '.join(SPREAD_KINDS)})")

    def _design(self, data: SpreadData) -> np.ndarray:
        z = (data.pooled - self.center) @ self.components.T  # type: ignore[union-attr]
        z = np.concatenate([z, data.mu[:, None]], axis=1)
        z = (z - self.z_shift) / self.z_scale
        return np.concatenate([np.ones((len(z), 1)), z], axis=1)

    def spread(self, data: SpreadData) -> np.ndarray:
        if self.kind == "constant":
            return np.ones(len(data))
        if self.kind == "sigma":
            return np.maximum(data.sigma, self.floor)
        eta = np.clip(self._design(data) @ self.coef, -30.0, 30.0)
        return np.maximum(np.exp(0.5 * eta), self.floor)

    def describe(self) -> str:
        return {
            "constant": "a constant spread",
            "sigma": "the model's σ (floored)",
            "nll-head": "a Gaussian-NLL spread head on detached features",
        }[self.kind]

    # ------------------------------------------------------------------------------ pack storage
    def to_manifest(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "floor": float(self.floor)}
        if self.measured:
            out["measured"] = self.measured
        if self.kind == "nll-head":
            out["components"] = int(self.components.shape[0])  # type: ignore[union-attr]
        return out

    def tensors(self) -> dict[str, np.ndarray]:
        if self.kind != "nll-head":
            return {}
        return {
            "center": self.center,  # type: ignore[dict-item]
            "components": self.components,  # type: ignore[dict-item]
            "z_scale": self.z_scale,  # type: ignore[dict-item]
            "z_shift": self.z_shift,  # type: ignore[dict-item]
            "coef": self.coef,  # type: ignore[dict-item]
        }

    @classmethod
    def from_stored(cls, meta: dict[str, Any], tensors: dict[str, np.ndarray]) -> "SpreadModel":
        kind = str(meta.get("kind"))
        floor = float(meta.get("floor", 1e-6))
        model = cls(kind=kind, floor=floor, measured=dict(meta.get("measured") or {}))
        if kind == "nll-head":
            for key in ("center", "components", "z_scale", "z_shift", "coef"):
                if key not in tensors:
                    raise ValueError(f"the spread head lacks its {key!r} tensor")
                setattr(model, key, np.asarray(tensors[key], dtype=np.float64))
            k, d = model.components.shape  # type: ignore[union-attr]
            if (
                model.center.shape != (d,)  # type: ignore[union-attr]
                or model.z_scale.shape != (k + 1,)  # type: ignore[union-attr]
                or model.z_shift.shape != (k + 1,)  # type: ignore[union-attr]
                or model.coef.shape != (k + 2,)  # type: ignore[union-attr]
            ):
                raise ValueError("the spread head's tensors have inconsistent shapes")
        return model


def _floor(data: SpreadData) -> float:
    return max(SIGMA_FLOOR_SHARE * float(np.median(data.abs_residual)), 1e-6)


def fit_spread(kind: str, data: SpreadData) -> SpreadModel:
    """Fit one spread candidate on videos with known scores."""
    floor = _floor(data)
    if kind in ("constant", "sigma"):
        return SpreadModel(kind=kind, floor=floor)
    if kind != "nll-head":
        raise ValueError(f"unknown spread {kind!r}")
    x = data.pooled
    center = x.mean(axis=0)
    k = max(1, min(HEAD_COMPONENTS, len(data) // 10, x.shape[1]))
    _, _, vt = np.linalg.svd(x - center, full_matrices=False)
    components = vt[:k]
    model = SpreadModel(kind=kind, floor=floor, center=center, components=components)
    z = np.concatenate([(x - center) @ components.T, data.mu[:, None]], axis=1)
    model.z_shift = z.mean(axis=0)
    model.z_scale = np.where(z.std(axis=0) > 1e-12, z.std(axis=0), 1.0)
    design = np.concatenate([np.ones((len(z), 1)), (z - model.z_shift) / model.z_scale], axis=1)
    r2 = np.maximum(data.abs_residual**2, floor**2)
    model.coef = _fit_log_variance(design, r2, HEAD_PENALTY)
    return model


def _fit_log_variance(design: np.ndarray, r2: np.ndarray, penalty: float, steps: int = 50) -> np.ndarray:
    """Minimise Σ η + r²·e^(−η) + penalty·|β₁..|² with η = Xβ (the Gaussian NLL of residuals), by Newton steps."""
    beta = np.zeros(design.shape[1])
    beta[0] = float(np.log(r2.mean()))
    reg = np.full(design.shape[1], 2.0 * penalty)
    reg[0] = 0.0  # the intercept is not penalised
    for _ in range(steps):
        eta = np.clip(design @ beta, -30.0, 30.0)
        w = r2 * np.exp(-eta)
        grad = design.T @ (1.0 - w) + reg * beta
        hess = (design * w[:, None]).T @ design + np.diag(reg) + 1e-9 * np.eye(len(beta))
        step = np.linalg.solve(hess, grad)
        beta = beta - step
        if float(np.abs(step).max()) < 1e-8:
            break
    return beta


def crossfit_width(kind: str, data: SpreadData, level: float, seed: int = 0) -> float | None:
    """Mean interval width of a candidate, fitted on one half and calibrated + measured on the other (both ways)."""
    n = len(data)
    order = np.random.default_rng(seed).permutation(n)
    halves = (order[: n // 2], order[n // 2 :])
    widths = []
    for a, b in (halves, halves[::-1]):
        model = fit_spread(kind, data.take(a))
        held = data.take(b)
        s = model.spread(held)
        q = conformal_quantile(held.abs_residual / s, level)
        if q is None:
            return None
        widths.append(float(np.mean(2.0 * q * s)))
    return float(np.mean(widths))


def choose_spread(data: SpreadData, level: float, kinds: tuple[str, ...] = SPREAD_KINDS, seed: int = 0) -> SpreadModel:
    """The candidate with the narrowest cross-fitted intervals at ``level``, refitted on all of ``data``.

    Ties (within 1%) go to the simpler spread, in the order constant, sigma, nll-head.
    """
    measured: dict[str, Any] = {}
    best_kind, best_width = "constant", None
    for kind in kinds:
        if kind == "nll-head" and len(data) < 20:
            measured[kind] = None  # too few videos to fit a head honestly
            continue
        w = crossfit_width(kind, data, level, seed)
        measured[kind] = None if w is None else round(w, 6)
        if w is not None and (best_width is None or w < 0.99 * best_width):
            best_kind, best_width = kind, w
    model = fit_spread(best_kind, data)
    model.measured = {"level": level, "n": len(data), "mean_width": measured}
    return model
