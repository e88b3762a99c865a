"""The refit after selection (fit + select, calibration part unseen) and the two-tailed interval shape."""

from __future__ import annotations

import json

import numpy as np
import pytest

from vatp_core.cli import main
from vatp_core.datasets.synthetic_features import SyntheticSpec, write_synthetic_rg
from vatp_core.trust import SpreadData, TrustStats, coverage_and_width, fit_calibration
from vatp_core.trust.shape import choose_shape


@pytest.fixture(scope="module")
def rg_small(tmp_path_factory):
    root = tmp_path_factory.mktemp("rg_refit")
    write_synthetic_rg(root, classes=("Ball",), n_train=20, n_test=6, spec=SyntheticSpec(clips=(10, 14), seed=3))
    return root


def test_refit_trains_on_fit_and_select_and_never_on_the_calibration_part(rg_small, tmp_path):
    from vatp_core.training import TrainConfig, run_class
    from vatp_core.training.protocol import load_for_training

    tc = TrainConfig(epochs=3, selection="val", device="cpu", num_threads=1, checkpoint_dir=str(tmp_path / "ck"))
    parts = load_for_training("rg", rg_small, "Ball", tc, calibration_fraction=0.2)
    heard: list[tuple[str, int]] = []
    run = run_class(
        "rg", rg_small, "Ball", "te", tc, calibration_fraction=0.2, refit=True, notify=lambda t, n: heard.append((t, n))
    )
    record = run.result.refit
    fit, sel, cal = set(parts.fit.names), set(parts.select.names), set(run.cal_set.names)
    assert record["done"] and record["epochs"] == run.result.best_epoch
    assert set(run.train_set.names) == fit | sel and not set(run.train_set.names) & cal  # what the shipped model saw
    assert record["n_videos"] == len(fit) + len(sel) == 16 and record["n_select"] == len(sel) == 3
    assert heard and heard[0][1] == run.result.best_epoch and "fit + select (16 videos)" in heard[0][0]
    assert any("refitted on fit + select" in n for n in run.result.notes)
    assert "held out from fitting, selection and the refit" in run.trust.calibration.data
    # the selection run's checkpoint is kept; the refit has its own folder, so a rerun resumes both
    assert (tmp_path / "ck" / "checkpoint.pt").is_file()
    assert (tmp_path / "ck" / f"refit-{record['epochs']}" / "checkpoint.pt").is_file()
    again = run_class("rg", rg_small, "Ball", "te", tc, calibration_fraction=0.2, refit=True)
    assert again.result.refit["resumed_from_epoch"] == record["epochs"]
    assert again.test["spearman"] == pytest.approx(run.test["spearman"], abs=1e-9)
    # the model differs from the selection run's (it learnt from more videos)
    off = run_class("rg", rg_small, "Ball", "te", tc, calibration_fraction=0.2, refit=False)
    assert off.result.refit == {"done": False, "reason": "off (the default; --refit turns it on)"}
    assert set(off.train_set.names) == fit
    assert off.test["mse"] != pytest.approx(run.test["mse"], rel=1e-6)


def test_train_cli_refit_flag_refits_and_records_it_and_the_default_does_not(rg_small, tmp_path, capsys):
    base = ["train", "--dataset", "rg", "--features", str(rg_small), "--class", "Ball", "--preset", "te"]
    base += ["--epochs", "2", "--threads", "1", "-q"]
    assert main([*base, "--out", str(tmp_path / "on"), "--checkpoint", str(tmp_path / "c1"), "--refit"]) == 0
    out = capsys.readouterr().out
    assert "refit: training again on fit + select (16 videos)" in out  # said before it starts
    training = json.loads((tmp_path / "on" / "manifest.json").read_text())["training"]
    assert training["refit"]["done"] and training["refit"]["epochs"] == training["best_epoch"]
    assert "calibration part saw neither run" in training["refit"]["why"]
    assert training["split"]["n_train"] == 16  # the pack records the videos its model learnt from
    from vatp_core.pack import load_pack
    from vatp_core.trust.summary import pack_trust_lines

    lines = pack_trust_lines(load_pack(tmp_path / "on").manifest)  # what `vatp packs show` and the ⓘ details print
    assert any(line.startswith("refit: trained again on fit + select (16 videos)") for line in lines)

    assert main([*base, "--out", str(tmp_path / "off"), "--checkpoint", str(tmp_path / "c2")]) == 0
    assert "refit:" not in capsys.readouterr().out
    training = json.loads((tmp_path / "off" / "manifest.json").read_text())["training"]
    assert training["refit"] == {"done": False, "reason": "off (the default; --refit turns it on)"}
    assert training["split"]["n_train"] == 13
    assert not any(p.name.startswith("refit-") for p in (tmp_path / "c2").iterdir())


def _skewed(n: int, rng: np.random.Generator) -> SpreadData:
    """A model that misses a penalty: 30% of the routines over-predicted by about 3, the rest close."""
    mu = rng.uniform(5, 20, n)
    missed = rng.random(n) < 0.3
    true = mu + rng.normal(0, 0.4, n) - 3.0 * missed
    return SpreadData(mu=mu, sigma=np.full(n, 0.01), pooled=rng.normal(size=(n, 4)), true=true)


def _test_figures(cal, data: SpreadData) -> tuple[float, float]:
    ivs = [cal.interval(float(data.mu[i]), data.take(np.array([i])), 0.9) for i in range(len(data))]
    return coverage_and_width(data.true, np.array([iv.low for iv in ivs]), np.array([iv.high for iv in ivs]))


def test_two_tailed_shape_is_chosen_for_skewed_residuals_and_keeps_coverage():
    rng = np.random.default_rng(0)
    covs, widths, sym_widths = [], [], []
    for _ in range(30):  # 30 calibrations of 40 videos (as RG's) chosen on 32 select videos each
        select, cal_part = _skewed(32, rng), _skewed(40, rng)
        cal = fit_calibration(select, cal_part, 0.9)
        assert cal.shape == "two-tailed" and cal.measured["mean_width"]["two-tailed"] is not None
        sym = fit_calibration(select, cal_part, 0.9, shapes=("symmetric",))
        test = _skewed(400, rng)
        cov, width = _test_figures(cal, test)
        covs.append(cov)
        widths.append(width)
        sym_widths.append(_test_figures(sym, test)[1])
    assert 0.88 <= float(np.mean(covs)) <= 0.97, np.mean(covs)  # conformal: at least 0.9 on average
    assert float(np.mean(widths)) < 0.8 * float(np.mean(sym_widths))
    iv = cal.interval(10.0, test.take(np.array([0])), 0.9)
    assert iv.high - 10.0 < 10.0 - iv.low and "two-tailed" in iv.method  # the long side is the penalty's


def test_shape_stays_symmetric_for_symmetric_residuals_and_few_videos():
    rng = np.random.default_rng(1)
    n = 4000
    sym = rng.normal(size=n)
    assert choose_shape(sym, 100, 0.9)[0] == "symmetric"
    skew = rng.normal(0, 0.4, n) - 3.0 * (rng.random(n) < 0.3)
    assert choose_shape(skew, 100, 0.9)[0] == "two-tailed"
    shape, measured = choose_shape(skew, 15, 0.9)  # 15 calibration videos cannot bound each tail at 95%
    assert shape == "symmetric" and "19 calibration videos" in measured["reason"]
    assert choose_shape(skew[:10], 100, 0.9)[0] == "symmetric"  # too few to choose on


def test_two_tailed_calibration_round_trips_and_falls_back_at_a_higher_level():
    rng = np.random.default_rng(2)
    cal = fit_calibration(_skewed(40, rng), _skewed(30, rng), 0.9)
    assert cal.shape == "two-tailed" and np.any(cal.scores < 0)
    meta, tensors = TrustStats(calibration=cal).to_manifest(), TrustStats(calibration=cal).tensors()
    assert meta["calibration"]["shape"] == "two-tailed" and meta["version"] == 2
    back = TrustStats.from_stored(meta, tensors).calibration
    assert back.shape == "two-tailed" and back.measured["n_calibration"] == 30
    one = _skewed(1, rng)
    assert back.interval(10.0, one, 0.9).to_dict() == pytest.approx(cal.interval(10.0, one, 0.9).to_dict())
    # 30 videos bound each tail at 95% but not at 97.5%: at 95% the symmetric interval on |scores| is used
    wide = back.interval(10.0, one, 0.95)
    assert wide.calibrated and "two-tailed" not in wide.method and wide.high - 10.0 == pytest.approx(10.0 - wide.low)
    # an older (version 1) pack has no shape: symmetric, and its scores must not be negative
    old = {"version": 1, "calibration": {k: v for k, v in meta["calibration"].items() if k != "shape"}}
    with pytest.raises(ValueError):
        TrustStats.from_stored(old, tensors)
    old_tensors = {**tensors, "trust.calibration.scores": np.abs(tensors["trust.calibration.scores"])}
    assert TrustStats.from_stored(old, old_tensors).calibration.shape == "symmetric"


def test_a_two_tailed_interval_always_holds_the_score_it_is_shown_with():
    from vatp_core.trust.conformal import two_tailed_interval

    under = np.linspace(0.5, 3.0, 60)  # the model under-predicts every video: y − μ > 0 throughout
    iv = two_tailed_interval(10.0, 1.0, under, 0.9)
    assert iv is not None and iv.low == pytest.approx(10.0) and iv.high > 12.5  # not [10.5, 13]: μ stays inside
    iv = two_tailed_interval(10.0, 1.0, -under, 0.9)
    assert iv is not None and iv.high == pytest.approx(10.0) and iv.low < 7.5
