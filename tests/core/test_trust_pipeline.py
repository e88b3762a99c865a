"""Scoring with a pack's calibration and out-of-distribution statistics: interval, ood and out_of_range fields."""

import json

import numpy as np
import pytest

from tests.core.test_pipeline import build_pack
from tests.videogen import make_test_video
from vatp_core.pack import PackError, load_pack
from vatp_core.pipeline import Scorer, score_video
from vatp_core.result import ScoreResult
from vatp_core.trust import SpreadData, TrustStats, fit_calibration, fit_ood


@pytest.fixture(scope="module")
def assets(tmp_path_factory):
    root = tmp_path_factory.mktemp("trust")
    video = make_test_video(root / "routine.mp4", 80, size=(96, 72))
    plain = build_pack(root / "plain")
    feats = Scorer(plain, device="cpu").features(video, use_cache=False).features
    return {"root": root, "video": video, "plain": plain, "features": np.asarray(feats, dtype=np.float64)}


def _calibration(rng, n=200, d=256):
    def part():
        mu = rng.uniform(4, 8, n)
        return SpreadData(mu=mu, sigma=np.full(n, 1e-3), pooled=rng.normal(size=(n, d)), true=mu + rng.normal(size=n))

    return fit_calibration(part(), part(), 0.9)


def _like(features, rng, n):
    """Videos like the test video: its clip features with small perturbations."""
    return [features + rng.normal(scale=0.05, size=features.shape) * features.std() for _ in range(n)]


def test_calibrated_pack_gives_an_interval_and_a_clear_ood_check(assets):
    rng = np.random.default_rng(0)
    f = assets["features"]
    trust = TrustStats(calibration=_calibration(rng), ood=fit_ood(_like(f, rng, 40), _like(f, rng, 40)))
    pack = build_pack(assets["root"] / "calibrated", trust=trust)
    loaded = load_pack(pack)
    assert loaded.calibrated and loaded.trust.ood is not None
    r = score_video(assets["video"], loaded, device="cpu")
    iv = r.interval
    assert iv["level"] == 0.9 and iv["low"] < r.mean < iv["high"] and iv["clipped"] is False
    assert "split-conformal" in iv["method"] and iv["n_calibration"] == 200
    # the half-width is the conformal quantile of |N(0,1)| residuals: about 1.64
    assert 1.3 < (iv["high"] - iv["low"]) / 2 < 2.0
    narrower = score_video(assets["video"], loaded, device="cpu", level=0.5).interval
    assert narrower["high"] - narrower["low"] < iv["high"] - iv["low"]
    assert r.ood["flag"] is False and 0.0 <= r.ood["percentile"] <= 100.0
    data = json.loads(r.to_json())
    assert {"low", "high", "level", "clipped"} <= set(data["interval"]) and "flag" in data["ood"]
    assert data["out_of_range"] is False
    assert ScoreResult.from_dict(data) == r


def test_ood_statistics_are_used(assets):
    """Statistics of other videos (shifted features) flag this one; a pack without them says it cannot tell."""
    rng = np.random.default_rng(1)
    f = assets["features"]
    far = [f + 3.0 * f.std() + rng.normal(size=f.shape) * f.std() * 0.05 for _ in range(40)]
    pack = build_pack(assets["root"] / "elsewhere", trust=TrustStats(ood=fit_ood(far[:20], far[20:])))
    r = score_video(assets["video"], pack, device="cpu")
    assert r.ood["flag"] is True and "unlike the videos this pack was trained on" in r.ood["reason"]
    assert any("unlike the videos this pack was trained on" in w for w in r.warnings())
    assert "uncalibrated: this pack carries no calibration" in r.score_text()
    plain = score_video(assets["video"], assets["plain"], device="cpu")
    assert plain.ood["flag"] is None and plain.interval["low"] is None


def test_out_of_range_mean_is_flagged_and_the_interval_clipped(assets):
    rng = np.random.default_rng(2)
    pack = build_pack(
        assets["root"] / "offrange",
        trust=TrustStats(calibration=_calibration(rng)),
        score_norm={"mean": 40.0, "std": 1.5},
    )
    r = score_video(assets["video"], pack, device="cpu")
    assert r.mean > 10.0 and r.out_of_range is True and r.ood["flag"] is None
    assert r.interval["clipped"] is True and r.interval["high"] == 10.0
    assert any("outside the pack's score range" in w for w in r.warnings())


def test_tampered_trust_statistics_are_refused(assets, tmp_path):
    rng = np.random.default_rng(3)
    pack = build_pack(tmp_path / "p", trust=TrustStats(calibration=_calibration(rng)))
    manifest = json.loads((pack / "manifest.json").read_text())
    manifest["trust"]["calibration"]["n"] = 5
    (pack / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(PackError, match="calibration"):
        load_pack(pack)
    manifest["trust"] = {}
    (pack / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(PackError, match="trust"):
        load_pack(pack)


def test_cli_level_flag_and_batch_columns(assets, tmp_path, capsys):
    from vatp_core.batch import BatchRow
    from vatp_core.cli import main

    rng = np.random.default_rng(4)
    f = assets["features"]
    pack = build_pack(
        tmp_path / "p",
        trust=TrustStats(calibration=_calibration(rng), ood=fit_ood(_like(f, rng, 30), _like(f, rng, 30))),
    )
    assert main(["score", str(assets["video"]), "--pack", str(pack), "--level", "0.8", "-q"]) == 0
    assert "80% between" in capsys.readouterr().out
    assert main(["score", str(assets["video"]), "--pack", str(pack), "--level", "2", "-q"]) != 0
    folder = tmp_path / "batch"
    folder.mkdir()
    (folder / "a.mp4").write_bytes(assets["video"].read_bytes())
    assert main(["batch", str(folder), "--pack", str(pack), "-q"]) == 0
    header = (folder / "results.csv").read_text().splitlines()[0].split(",")
    assert {"interval_low", "interval_high", "ood", "out_of_range"} <= set(header)
    import csv

    with open(folder / "results.csv", newline="") as fh:
        row = BatchRow.from_dict(next(csv.DictReader(fh)))
    assert row.interval_low < row.mean < row.interval_high and row.ood is False and row.out_of_range is False
