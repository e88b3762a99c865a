"""Conformal calibration, spread choice, out-of-distribution distance, baselines and bootstrap (plain numpy)."""

from __future__ import annotations

import numpy as np
import pytest

from vatp_core.trust import (
    SpreadData,
    TrustStats,
    assess,
    auroc,
    check_level,
    choose_spread,
    conformal_quantile,
    coverage_and_width,
    fit_calibration,
    fit_ood,
    interval_for,
    min_calibration_size,
    naive_width,
)
from vatp_core.trust.baselines import fit_ridge, mean_pool
from vatp_core.trust.bootstrap import spearman_ci


def _hetero(n: int, rng: np.random.Generator, d: int = 16) -> SpreadData:
    """Videos whose error spread grows with the first feature; the model's σ is collapsed (tiny, uninformative)."""
    pooled = rng.normal(size=(n, d))
    pooled[:, 0] *= 3.0  # the direction that matters is a main direction of variation
    spread = 0.5 + 2.0 / (1.0 + np.exp(-pooled[:, 0]))
    mu = rng.uniform(20, 80, size=n)
    true = mu + rng.normal(size=n) * spread
    return SpreadData(mu=mu, sigma=np.full(n, 0.01), pooled=pooled, true=true)


def _coverage(cal, data: SpreadData, level: float) -> tuple[float, float]:
    lows, highs = [], []
    for i in range(len(data)):
        iv = cal.interval(float(data.mu[i]), data.take(np.array([i])), level)
        lows.append(iv.low)
        highs.append(iv.high)
    return coverage_and_width(data.true, np.array(lows), np.array(highs))


def test_finite_sample_rank_and_minimum_size():
    assert min_calibration_size(0.9) == 9
    assert min_calibration_size(0.95) == 19
    assert conformal_quantile(np.arange(1, 9), 0.9) is None  # 8 videos cannot give 90%
    assert conformal_quantile(np.arange(1, 10), 0.9) == 9.0  # rank ⌈10·0.9⌉ = 9
    assert conformal_quantile(np.arange(1, 101), 0.9) == 91.0  # rank ⌈101·0.9⌉ = 91
    iv = interval_for(50.0, 1.0, np.arange(1, 9), 0.9)
    assert not iv.calibrated and iv.text() == "uncalibrated: 8 calibration videos, need ≥ 9 for 90%"
    with pytest.raises(ValueError):
        check_level(1.5)


def test_calibrated_coverage_is_nominal_and_skipping_calibration_is_not():
    rng = np.random.default_rng(0)
    spread_part, cal_part, test = _hetero(300, rng), _hetero(400, rng), _hetero(3000, rng)
    cal = fit_calibration(spread_part, cal_part, 0.9)
    cov, width = _coverage(cal, test, 0.9)
    assert 0.87 <= cov <= 0.93, cov
    assert width < 0.8 * naive_width(test.true - test.mu + 50.0, 0.9) or width < 10
    # the paper's σ as the interval (what "± σ" claimed) covers almost nothing
    cov_sigma, _ = coverage_and_width(test.true, test.mu - 1.645 * test.sigma, test.mu + 1.645 * test.sigma)
    assert cov_sigma < 0.1


def test_spread_choice_follows_the_measurement():
    rng = np.random.default_rng(1)
    hetero = _hetero(400, rng)
    assert choose_spread(hetero, 0.9).kind == "nll-head"  # the spread depends on the features
    n = 400
    homo = SpreadData(mu=rng.uniform(0, 10, n), sigma=np.full(n, 0.01), pooled=rng.normal(size=(n, 8)), true=None)
    homo.true = homo.mu + rng.normal(size=n)
    assert choose_spread(homo, 0.9).kind == "constant"
    sig = rng.uniform(0.2, 3.0, n)
    informative = SpreadData(mu=np.zeros(n), sigma=sig, pooled=rng.normal(size=(n, 8)), true=rng.normal(size=n) * sig)
    model = choose_spread(informative, 0.9)
    assert model.kind in ("sigma", "nll-head") and model.measured["mean_width"]["sigma"] is not None
    assert model.measured["mean_width"]["sigma"] < model.measured["mean_width"]["constant"]


def test_interval_is_clipped_to_the_range_and_out_of_range_flagged():
    rng = np.random.default_rng(2)
    part = _hetero(100, rng)
    stats = TrustStats(calibration=fit_calibration(part, _hetero(100, rng), 0.9))
    feats = rng.normal(size=(10, 16))
    inside = assess(stats, raw_mean=50.0, raw_sigma=0.0, features=feats, factor=1.0, score_range=(0, 100))
    assert inside["out_of_range"] is False and inside["interval"]["clipped"] is False
    over = assess(stats, raw_mean=100.5, raw_sigma=0.0, features=feats, factor=1.0, score_range=(0, 100))
    assert over["out_of_range"] is True and over["interval"]["clipped"] is True
    assert over["interval"]["high"] == 100.0 and over["interval"]["low"] < 100.0
    below = assess(stats, raw_mean=-36.0, raw_sigma=0.0, features=feats, factor=1.0, score_range=(0, 100))
    assert below["out_of_range"] is True and below["interval"]["low"] == below["interval"]["high"] == 0.0
    none = assess(None, raw_mean=50.0, raw_sigma=0.0, features=feats, factor=1.0, score_range=(0, 100))
    assert none["interval"]["low"] is None and "uncalibrated" in none["interval"]["reason"]
    assert none["ood"]["flag"] is None


def _videos(rng: np.random.Generator, base: np.ndarray, n: int) -> list[np.ndarray]:
    return [base + rng.normal(size=(int(rng.integers(8, 20)), len(base))) for _ in range(n)]


def test_ood_distance_flags_unlike_videos_and_not_like_ones():
    rng = np.random.default_rng(3)
    base = rng.normal(size=12)
    ood = fit_ood(_videos(rng, base, 200), _videos(rng, base, 100), threshold_percentile=99.0)
    unseen = _videos(rng, base, 100)
    flagged_in = np.mean([ood.check(v)["flag"] for v in unseen])
    far = [np.full((10, 12), 4.0), np.zeros((10, 12)), base + rng.normal(size=(10, 12)) * 5.0]
    checks = [ood.check(v) for v in far]
    assert all(c["flag"] for c in checks) and all(c["reason"] for c in checks)
    assert flagged_in <= 0.06
    assert auroc([ood.check(v)["distance"] for v in unseen], [c["distance"] for c in checks]) == 1.0


def test_trust_stats_round_trip_and_reject_tampering():
    rng = np.random.default_rng(5)
    stats = TrustStats(
        calibration=fit_calibration(_hetero(200, rng), _hetero(120, rng), 0.9),
        ood=fit_ood([rng.normal(size=(6, 16)) for _ in range(40)], [rng.normal(size=(6, 16)) for _ in range(30)]),
    )
    meta, tensors = stats.to_manifest(), stats.tensors()
    back = TrustStats.from_stored(meta, tensors)
    assert back.calibration.n == 120 and back.calibration.spread.kind == stats.calibration.spread.kind
    assert back.ood.threshold == pytest.approx(stats.ood.threshold, rel=1e-5)
    with pytest.raises(ValueError):
        TrustStats.from_stored({**meta, "version": 99}, tensors)
    bad = dict(tensors)
    bad["trust.calibration.scores"] = bad["trust.calibration.scores"][:5]
    with pytest.raises(ValueError):
        TrustStats.from_stored(meta, bad)
    bad = {k: v for k, v in tensors.items() if not k.startswith("trust.ood.reference")}
    with pytest.raises(ValueError):
        TrustStats.from_stored(meta, bad)
    assert TrustStats.from_stored(None, {}).calibration is None


def test_ridge_baseline_and_bootstrap():
    rng = np.random.default_rng(6)
    feats = [rng.normal(size=(int(rng.integers(5, 15)), 30)) for _ in range(120)]
    x = mean_pool(feats)
    w = rng.normal(size=30)
    y = x @ w * 3.0 + rng.normal(size=120) * 1.0
    ridge = fit_ridge(x[:100], y[:100])
    pred = ridge.predict(x[100:])
    assert np.corrcoef(pred, y[100:])[0, 1] > 0.9
    assert ridge.penalty in ridge.cv_mse
    ci = spearman_ci(pred, y[100:], resamples=300)
    assert ci is not None and ci[0] < ci[1] <= 1.0 and ci[0] > 0.5
    assert spearman_ci(pred[:3], y[100:103]) is None
