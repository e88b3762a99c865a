"""Calibrating a trained model and reporting how far to believe it: the trust half of `vatp train` / `vatp eval`.

Three disjoint parts of the labelled data: the model is fitted on one, its epoch selected on another (or on
the test set under ``best_test``), and the conformal calibration takes a third that neither saw. The report
beside Spearman: a bootstrap 95% interval of Spearman, interval coverage and mean width on the test split,
and the same figures for the training mean and a mean-pooled ridge regression on the same split and features.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..datasets.base import DatasetError, FeatureDataset
from ..metrics import regression_metrics
from ..trust import (
    DEFAULT_LEVEL,
    Calibration,
    TrustStats,
    coverage_and_width,
    fit_calibration,
    fit_ood,
    interval_for,
    min_calibration_size,
    naive_width,
)
from ..trust.baselines import fit_ridge, mean_pool
from ..trust.bootstrap import spearman_ci
from ..trust.conformal import uncalibrated_reason
from ..trust.spread import SpreadData, fit_spread
from .trainer import Prediction

CALIBRATION_FRACTION = 0.2


def split_calibration(
    train: FeatureDataset, fraction: float, seed: int
) -> tuple[FeatureDataset, FeatureDataset | None]:
    """(the rest, the calibration part): a seeded share of the training split that fitting and selection never see."""
    if fraction <= 0:
        return train, None
    if not 0.0 < fraction < 1.0:
        raise ValueError("calibration fraction must be between 0 and 1")
    n_cal = max(1, int(round(len(train) * fraction)))
    if len(train) - n_cal < 4:
        raise DatasetError(
            f"too few training routines ({len(train)}) to hold out {n_cal} for calibration: "
            "use --calibration-fraction 0 (the pack will say 'uncalibrated')"
        )
    order = np.random.default_rng([seed, 7]).permutation(len(train))
    cal_idx, rest_idx = sorted(order[:n_cal].tolist()), sorted(order[n_cal:].tolist())
    return train.subset(rest_idx, f"{train.split}-minus-cal"), train.subset(cal_idx, f"{train.split}-cal")


def _target_units(pred: Prediction, dataset: FeatureDataset) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(μ, σ, true, factor) in the model's target units (÷ DD where the model divides by it)."""
    d = dataset.difficulties()
    factor = d if d is not None else np.ones(len(dataset))
    return pred.pred / factor, pred.sigma / factor, pred.true / factor, factor


def spread_data(pred: Prediction, dataset: FeatureDataset) -> SpreadData:
    mu, sigma, true, _ = _target_units(pred, dataset)
    pooled = mean_pool([dataset.features(i) for i in range(len(dataset))])
    return SpreadData(mu=mu, sigma=sigma, pooled=pooled, true=true)


def calibrate(
    fit_set: FeatureDataset,
    cal_set: FeatureDataset | None,
    cal_pred: Prediction | None,
    *,
    spread_set: FeatureDataset | None = None,
    spread_pred: Prediction | None = None,
    level: float = DEFAULT_LEVEL,
    data: str = "",
) -> TrustStats:
    """The pack's trust statistics: OOD distance on the fitting videos (reference: the calibration videos) and,
    when there are calibration videos, the conformal calibration (spread from ``spread_set``, else from half of
    the calibration videos so the quantile's half stays unseen)."""
    fit_feats = [fit_set.features(i) for i in range(len(fit_set))]
    cal_feats = [cal_set.features(i) for i in range(len(cal_set))] if cal_set is not None else None
    ood = fit_ood(fit_feats, cal_feats) if len(fit_feats) >= 3 else None
    if cal_set is None or cal_pred is None or len(cal_set) == 0:
        return TrustStats(ood=ood)
    cal = spread_data(cal_pred, cal_set)
    if spread_set is not None and spread_pred is not None and len(spread_set) >= 4:
        spread = spread_data(spread_pred, spread_set)
        how = f"spread chosen on the {len(spread_set)} selection videos"
    elif len(cal) >= 2 * min_calibration_size(level):
        order = np.random.default_rng(0).permutation(len(cal))
        half = len(cal) // 2
        spread, cal = cal.take(np.sort(order[:half])), cal.take(np.sort(order[half:]))
        how = f"spread chosen on {half} of the calibration videos, quantile on the other {len(cal)}"
    else:  # too few to choose a spread: a constant one, which depends on no data
        text = f"{data}; constant spread (too few videos to choose one)" if data else "constant spread"
        model = fit_spread("constant", cal)
        return TrustStats(calibration=Calibration(spread=model, scores=cal.abs_residual, data=text), ood=ood)
    text = f"{data}; {how}" if data else how
    return TrustStats(calibration=fit_calibration(spread, cal, level, data=text), ood=ood)


def interval_bounds(
    trust: TrustStats, pred: Prediction, dataset: FeatureDataset, level: float = DEFAULT_LEVEL
) -> tuple[np.ndarray, np.ndarray] | None:
    """Per-video interval bounds in judged-score units, clipped to the score range (None when uncalibrated)."""
    if trust.calibration is None:
        return None
    data = spread_data(pred, dataset)
    _, _, _, factor = _target_units(pred, dataset)
    lows, highs = [], []
    for i in range(len(dataset)):
        iv = trust.calibration.interval(
            float(data.mu[i]), data.take(np.array([i])), level, factor=float(factor[i]), score_range=dataset.score_range
        )
        if not iv.calibrated:
            return None
        lows.append(iv.low)
        highs.append(iv.high)
    return np.array(lows), np.array(highs)


def _interval_metrics(true: np.ndarray, bounds: tuple[np.ndarray, np.ndarray] | None) -> dict[str, Any]:
    if bounds is None:
        return {"coverage": None, "interval_width": None}
    cov, width = coverage_and_width(true, *bounds)
    return {"coverage": round(cov, 4), "interval_width": round(width, 4)}


def _baseline_row(
    pred_test: np.ndarray, true_test: np.ndarray, cal_res: np.ndarray | None, score_range, level: float
) -> dict[str, Any]:
    m = regression_metrics(pred_test, true_test, score_range).to_dict()
    row = {k: m[k] for k in ("spearman", "rl2", "mse", "mae") if k in m}
    bounds = None
    if cal_res is not None and len(cal_res):
        lo, hi = float(score_range[0]), float(score_range[1])
        ivs = [interval_for(float(p), 1.0, cal_res, level, score_range=(lo, hi)) for p in pred_test]
        if all(iv.calibrated for iv in ivs):
            bounds = (np.array([iv.low for iv in ivs]), np.array([iv.high for iv in ivs]))
    row.update(_interval_metrics(true_test, bounds))
    return row


def baselines(
    fit_set: FeatureDataset,
    test_set: FeatureDataset,
    cal_set: FeatureDataset | None = None,
    level: float = DEFAULT_LEVEL,
) -> dict[str, Any]:
    """Training mean and mean-pooled ridge (penalty by 5-fold CV on the fitting part) on the test split."""
    y_fit = fit_set.scores()
    x_fit = mean_pool([fit_set.features(i) for i in range(len(fit_set))])
    x_test = mean_pool([test_set.features(i) for i in range(len(test_set))])
    y_test = test_set.scores()
    ridge = fit_ridge(x_fit, y_fit)
    cal_res_mean = cal_res_ridge = None
    if cal_set is not None and len(cal_set):
        x_cal = mean_pool([cal_set.features(i) for i in range(len(cal_set))])
        y_cal = cal_set.scores()
        cal_res_mean = np.abs(y_cal - float(y_fit.mean()))
        cal_res_ridge = np.abs(y_cal - ridge.predict(x_cal))
    mean_row = _baseline_row(
        np.full(len(y_test), float(y_fit.mean())), y_test, cal_res_mean, test_set.score_range, level
    )
    ridge_row = _baseline_row(ridge.predict(x_test), y_test, cal_res_ridge, test_set.score_range, level)
    ridge_row["penalty"] = ridge.penalty
    return {"training_mean": mean_row, "ridge": ridge_row}


def trust_report(
    pred: Prediction,
    test_set: FeatureDataset,
    trust: TrustStats | None,
    *,
    fit_set: FeatureDataset | None = None,
    cal_set: FeatureDataset | None = None,
    level: float = DEFAULT_LEVEL,
) -> dict[str, Any]:
    """What `vatp train` and `vatp eval` print and store beside Spearman."""
    m = regression_metrics(pred.pred, pred.true, test_set.score_range)
    out: dict[str, Any] = {"level": level, "spearman_ci": spearman_ci(pred.pred, pred.true)}
    trust = trust or TrustStats()
    out.update(_interval_metrics(pred.true, interval_bounds(trust, pred, test_set, level)))
    n = trust.calibration.n if trust.calibration is not None else 0
    if out["coverage"] is None:
        out["uncalibrated"] = uncalibrated_reason(n, level)
    out["n_calibration"] = n
    out["naive_width"] = round(naive_width(pred.true, level), 4)
    if trust.ood is not None:
        test_dist = [trust.ood.check(test_set.features(i))["flag"] for i in range(len(test_set))]
        out["ood_flagged"] = round(float(np.mean(test_dist)), 4)
    if fit_set is not None and len(fit_set) >= 4:
        out["baselines"] = baselines(fit_set, test_set, cal_set, level)
        ridge = out["baselines"]["ridge"]["spearman"]
        out["beats_ridge"] = bool(m.spearman > ridge)
    return out
