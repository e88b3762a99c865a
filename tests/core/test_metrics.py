"""Metrics agree with their textbook definitions and with scipy."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import spearmanr

from vatp_core import metrics


def test_spearman_matches_scipy_with_ties():
    rng = np.random.default_rng(0)
    pred = rng.normal(size=40)
    true = np.round(rng.normal(size=40), 1)  # ties
    assert metrics.spearman(pred, true) == pytest.approx(spearmanr(pred, true)[0], abs=1e-12)


def test_spearman_perfect_reverse_and_constant():
    assert metrics.spearman([1, 2, 3, 4], [10, 20, 30, 45]) == pytest.approx(1.0)
    assert metrics.spearman([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    assert metrics.spearman([5, 5, 5], [1, 2, 3]) == 0.0
    assert metrics.spearman([1.0], [2.0]) == 0.0


def test_relative_l2_as_core_defines_it():
    pred = [10.0, 20.0, 30.0]
    true = [12.0, 20.0, 25.0]
    # mean(((2/50)^2, 0, (5/50)^2)) * 100
    expected = ((2 / 50) ** 2 + (5 / 50) ** 2) / 3 * 100
    assert metrics.relative_l2(pred, true, (0.0, 50.0)) == pytest.approx(expected)
    assert metrics.relative_l2(pred, true, 50.0) == pytest.approx(expected)
    # default range = the targets' own range (25 - 12 = 13)
    assert metrics.relative_l2(pred, true) == pytest.approx(((2 / 13) ** 2 + (5 / 13) ** 2) / 3 * 100)
    with pytest.raises(ValueError):
        metrics.relative_l2(pred, true, (3.0, 3.0))


def test_mse_mae_and_length_checks():
    assert metrics.mse([1, 2], [3, 2]) == pytest.approx(2.0)
    assert metrics.mae([1, 2], [3, 2]) == pytest.approx(1.0)
    with pytest.raises(ValueError):
        metrics.mse([1, 2], [1])
    with pytest.raises(ValueError):
        metrics.mse([], [])
    with pytest.raises(ValueError):
        metrics.mse([float("nan")], [1.0])


def test_cumulative_score_curve():
    pred = [1.0, 2.0, 4.0, 1.0]
    true = [1.0, 1.0, 1.0, 1.5]  # errors 0, 1, 3, 0.5
    a, s = metrics.cumulative_score_curve(pred, true, [0, 0.5, 1, 2, 3])
    np.testing.assert_allclose(s, [0.25, 0.5, 0.75, 0.75, 1.0])
    a, s = metrics.cumulative_score_curve(pred, true)
    assert a[0] == 0 and a[-1] == pytest.approx(3.0) and s[-1] == 1.0
    assert np.all(np.diff(s) >= 0)


def test_fisher_z_mean():
    r = [0.3, 0.8]
    assert metrics.fisher_z_mean(r) == pytest.approx(math.tanh((math.atanh(0.3) + math.atanh(0.8)) / 2))
    assert metrics.fisher_z_mean(r, weights=[1, 0]) == pytest.approx(0.3)
    assert metrics.fisher_z_mean([1.0, 1.0]) == pytest.approx(1.0, abs=1e-4)  # stays finite
    # Fisher-z average of 0.9 and 0.5 is above the arithmetic mean
    assert metrics.fisher_z_mean([0.9, 0.5]) > 0.7
    with pytest.raises(ValueError):
        metrics.fisher_z_mean([])


def test_regression_metrics_bundle():
    m = metrics.regression_metrics([1, 2, 3], [1, 2, 4], (0, 10))
    d = m.to_dict()
    assert d["n"] == 3 and d["spearman"] == pytest.approx(1.0)
    assert d["mse"] == pytest.approx(1 / 3)
    assert d["rl2"] == pytest.approx((0.1**2) / 3 * 100)
