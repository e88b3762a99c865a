"""The two baselines every trained pack is compared with, on the same split and features.

- the training mean: predicts the mean training score for every video (a model that learned nothing);
- a ridge regression on mean-pooled clip features, its penalty chosen by 5-fold cross-validation on the
  training part only (the test split is never seen before the final numbers).
A pack that does not beat the ridge on its own test split says so (`beats_ridge`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

RIDGE_PENALTIES = tuple(float(10.0**e) for e in np.arange(-3.0, 5.01, 0.5))


def mean_pool(features: Sequence[np.ndarray]) -> np.ndarray:
    """(n, d) mean over clips of each video's (T, d) features."""
    return np.stack([np.asarray(f, dtype=np.float64).mean(axis=0) for f in features])


@dataclass
class Ridge:
    """Standardised-input ridge regression y ≈ a + X·w."""

    penalty: float
    x_mean: np.ndarray
    x_scale: np.ndarray
    y_mean: float
    coef: np.ndarray
    cv_mse: dict[float, float] = field(default_factory=dict)

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self.y_mean + ((np.asarray(x, dtype=np.float64) - self.x_mean) / self.x_scale) @ self.coef


def _solve(x: np.ndarray, y: np.ndarray, penalties: Sequence[float]) -> dict[float, np.ndarray]:
    """Ridge coefficients for several penalties at once through one thin SVD."""
    u, s, vt = np.linalg.svd(x, full_matrices=False)
    uty = u.T @ y
    return {lam: vt.T @ (s / (s**2 + lam) * uty) for lam in penalties}


def _standardise(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    return mean, np.where(scale > 1e-12, scale, 1.0)


def fit_ridge(
    x: np.ndarray, y: np.ndarray, penalties: Sequence[float] = RIDGE_PENALTIES, folds: int = 5, seed: int = 0
) -> Ridge:
    """Ridge with the penalty of least cross-validated MSE (folds over the given training videos only)."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n = len(y)
    if n < 4:
        raise ValueError("the ridge baseline needs at least four training videos")
    folds = max(2, min(folds, n))
    order = np.random.default_rng(seed).permutation(n)
    parts = np.array_split(order, folds)
    errors = {lam: 0.0 for lam in penalties}
    for part in parts:
        keep = np.setdiff1d(order, part)
        m, sc = _standardise(x[keep])
        ym = float(y[keep].mean())
        coefs = _solve((x[keep] - m) / sc, y[keep] - ym, penalties)
        xt = (x[part] - m) / sc
        for lam, w in coefs.items():
            errors[lam] += float(((ym + xt @ w - y[part]) ** 2).sum())
    cv = {lam: e / n for lam, e in errors.items()}
    best = min(penalties, key=lambda lam: (cv[lam], -lam))
    m, sc = _standardise(x)
    ym = float(y.mean())
    w = _solve((x - m) / sc, y - ym, [best])[best]
    return Ridge(penalty=best, x_mean=m, x_scale=sc, y_mean=ym, coef=w, cv_mse=cv)
