"""End to end: a generated video, a pack made here (tiny backbone inside) → `vatp score` and score_video."""

import json
import time

import numpy as np
import pytest
import torch

from tests.videogen import make_test_video
from vatp_core.errors import Cancelled
from vatp_core.features import load_backbone
from vatp_core.model import VATPConfig, VATPNet
from vatp_core.pack import PackManifest, load_pack, save_pack
from vatp_core.pipeline import DifficultyRequired, Scorer, gaussian_grid, read_difficulty_sidecar, score_video
from vatp_core.result import ScoreResult

N_FRAMES = 80  # 5 clips of 16 frames
PHRASES = ["Approach", "Take-off", "Flight", "Entry"]


def build_pack(path, preset="vatp", difficulty="none", trust=None, **manifest_overrides):
    torch.manual_seed(0)
    cfg = VATPConfig.preset(
        preset,
        in_dim=256,
        hidden_dim=64,
        d_model=32,
        n_heads=4,
        ffn_dim=64,
        n_queries=4,
        text_dim=768,
        dropout=0.0,
        n_blocks=1,
        cd_blocks=1,
    )
    model = VATPNet(cfg).eval()
    backbone = load_backbone("tiny", random_init=True, seed=0, device="cpu")
    use_text = cfg.use_text
    values = dict(
        name=f"pipeline-test-{preset}",
        backbone="tiny",
        protocol={"name": "generic", "clip_len": 16, "stride": 16},
        model_config=cfg.to_dict(),
        score_range=[0.0, 10.0],
        score_norm={"mean": 6.0, "std": 1.5},
        difficulty=difficulty,
        sport="diving",
        event="test",
        label="test pack — not for judging",
        not_for_judging=True,
        phrases=PHRASES if use_text else [],
        subaction_names=PHRASES if cfg.use_pd else [],
    )
    values.update(manifest_overrides)
    return save_pack(
        path,
        PackManifest(**values),
        model,
        phrase_embeddings=torch.randn(4, 768) if use_text else None,
        baseline_subactions=torch.randn(4, 32) * 0.1 if cfg.use_pd else None,
        backbone_state=backbone.state_dict(),
        trust=trust,
    )


@pytest.fixture(scope="module")
def assets(tmp_path_factory):
    root = tmp_path_factory.mktemp("pipeline")
    video = make_test_video(root / "routine.mp4", N_FRAMES, size=(96, 72))
    return {"root": root, "video": video, "pack": build_pack(root / "pack")}


def test_vatp_score_prints_summary_and_writes_json_that_loads_back_equal(assets, tmp_path, capsys):
    from vatp_core.cli import main

    out = tmp_path / "result.json"
    assert main(["score", str(assets["video"]), "--pack", str(assets["pack"]), "--json", str(out), "-q"]) == 0
    printed = capsys.readouterr().out
    data = json.loads(out.read_text())
    result = ScoreResult.from_json(out)
    assert ScoreResult.from_dict(data) == result and result.to_dict() == data
    assert ScoreResult.from_json(result.to_json()) == result
    for key in ("mean", "std", "segments", "attention", "pack"):
        assert key in data
    assert data["pack"]["name"] == "pipeline-test-vatp"
    assert len(data["attention"]) == 4 and all(len(row) == 5 for row in data["attention"])
    assert result.score_text(2) in printed and "uncalibrated" in printed
    for seg in result.segments:
        assert {"name", "start_frame", "end_frame", "contribution"} <= set(data["segments"][0])
        assert seg.name in printed and f"{seg.contribution:+.2f}" in printed
        assert 0 <= seg.start_frame <= seg.end_frame < N_FRAMES
    # the same numbers as the library call
    direct = score_video(assets["video"], load_pack(assets["pack"]), device="cpu")
    assert direct.mean == pytest.approx(result.mean, abs=1e-9) and direct.attention == result.attention


def test_result_content_and_explanation(assets):
    r = score_video(assets["video"], assets["pack"], device="cpu")
    assert r.video.n_frames == N_FRAMES and r.video.fps == pytest.approx(25.0)
    assert r.clip_ranges == [[16 * i, 16 * i + 15] for i in range(5)]
    assert r.difficulty is None and r.raw_mean == r.mean
    np.testing.assert_allclose(np.sum(r.attention, axis=1), 1.0, atol=1e-5)
    assert sorted(r.subaction_names) == sorted(PHRASES) or all(n.split(" (")[0] in PHRASES for n in r.subaction_names)
    assert abs(sum(r.contributions) - (r.mean - r.baseline_mean)) < 1e-5
    assert r.cumulative["scores"][0] == r.baseline_mean and abs(r.cumulative["scores"][-1] - r.mean) < 1e-5
    assert [s.start_frame for s in r.segments] == sorted(s.start_frame for s in r.segments)
    x, pdf = np.array(r.distribution["x"]), np.array(r.distribution["pdf"])
    assert x[0] <= 0.0 and x[-1] >= 10.0 and abs(x[np.argmax(pdf)] - r.mean) <= (x[1] - x[0])
    assert np.trapezoid(pdf, x) == pytest.approx(1.0, abs=1e-3)
    assert {"index", "features", "model", "explain", "total"} <= set(r.timings)


def test_second_score_uses_the_feature_cache(assets, capsys):
    scorer = Scorer(load_pack(assets["pack"]), device="cpu")
    t0 = time.perf_counter()
    first = scorer.score(assets["video"])
    t1 = time.perf_counter()
    second = scorer.score(assets["video"])
    t2 = time.perf_counter()
    assert first.video.features_from_cache is False and second.video.features_from_cache is True
    assert second.mean == pytest.approx(first.mean, abs=1e-6) and second.segments == first.segments
    with capsys.disabled():
        print(
            f"\n[cache] first score {t1 - t0:.3f} s (features {first.timings['features']:.3f} s), "
            f"second {t2 - t1:.3f} s (features {second.timings['features']:.3f} s)"
        )
    assert second.timings["features"] < first.timings["features"]


def test_progress_stages_cancel_and_split_halves(assets):
    scorer = Scorer(assets["pack"], device="cpu")
    stages = []
    scorer.score(assets["video"], progress=lambda s, d, t: stages.append(s), use_cache=False)
    seen = list(dict.fromkeys(stages))
    assert [s for s in seen if s in ("index", "features", "model", "explain")] == [
        "index",
        "features",
        "model",
        "explain",
    ]

    calls = {"n": 0}

    def cancel_in_features():
        calls["n"] += 1
        return "features" in stages_b

    stages_b = []
    with pytest.raises(Cancelled):
        scorer.score(
            assets["video"], progress=lambda s, d, t: stages_b.append(s), cancel=cancel_in_features, use_cache=False
        )
    assert "model" not in stages_b

    feats = scorer.features(assets["video"])
    split = scorer.score_features(assets["video"], feats)
    whole = scorer.score(assets["video"])
    assert split.mean == whole.mean and split.segments == whole.segments


def test_difficulty_divide_protocol(assets, tmp_path):
    pack = load_pack(build_pack(tmp_path / "dd", difficulty="divide", difficulty_table={"407C": 3.2}))
    video = tmp_path / "dive.mp4"
    video.write_bytes(assets["video"].read_bytes())
    scorer = Scorer(pack, device="cpu")
    with pytest.raises(DifficultyRequired, match="--difficulty"):
        scorer.score(video)
    r = scorer.score(video, difficulty=2.0)
    assert r.difficulty == 2.0 and r.mean == pytest.approx(2.0 * r.raw_mean)
    assert abs(sum(r.contributions) - (r.mean - r.baseline_mean)) < 1e-5
    r2 = scorer.score(video, dive_code="407c")
    assert r2.difficulty == 3.2 and r2.mean == pytest.approx(3.2 * r.raw_mean)
    assert r2.std == pytest.approx(1.6 * r.std)
    with pytest.raises(DifficultyRequired, match="no difficulty degree for dive 109C"):
        scorer.score(video, dive_code="109C")
    (tmp_path / "dive.json").write_text(json.dumps({"score": 80.0, "difficulty": 2.5}))
    assert read_difficulty_sidecar(video) == {"difficulty": 2.5}
    assert scorer.score(video).difficulty == 2.5


def test_pack_without_parseformer_scores_without_segments(assets, tmp_path):
    r = score_video(assets["video"], build_pack(tmp_path / "mlp", preset="mlp"), device="cpu")
    assert r.segments == [] and r.attention == [] and r.contributions == []
    assert r.baseline_mean == r.mean and r.score_text(2) in r.summary()


def test_cli_errors(assets, tmp_path, capsys):
    from vatp_core.cli import main

    assert main(["score", str(tmp_path / "missing.mp4"), "--pack", str(assets["pack"])]) == 2
    assert "No such file" in capsys.readouterr().err
    (tmp_path / "notes.mp4").write_text("not a video")
    assert main(["score", str(tmp_path / "notes.mp4"), "--pack", str(assets["pack"]), "-q"]) == 2
    assert "error" in capsys.readouterr().err
    assert main(["score", str(assets["video"]), "--pack", "no-such-pack", "-q"]) == 2
    assert "No model pack" in capsys.readouterr().err


def test_gaussian_grid_is_a_density():
    g = gaussian_grid(5.0, 0.5, [0.0, 10.0])
    assert np.trapezoid(g["pdf"], g["x"]) == pytest.approx(1.0, abs=1e-4)
    g = gaussian_grid(50.0, 30.0, [0.0, 10.0])
    assert g["x"][0] <= 50 - 120 and g["x"][-1] >= 50 + 120


def test_segment_times_follow_the_frame_timestamps_on_vfr_video(assets, tmp_path):
    from vatp_core.video import open_video

    video = make_test_video(tmp_path / "vfr.mp4", 64, size=(96, 72), vfr=True)
    r = Scorer(assets["pack"], device="cpu").score(video)
    assert r.segments
    with open_video(video) as reader:
        assert reader.info.vfr
        fps = reader.fps
        for seg in r.segments:
            assert seg.start_time == pytest.approx(reader.timestamp(seg.start_frame), abs=1e-6)
        # the frame-rate formula would be wrong here: the check above is not vacuous
        assert any(abs(reader.timestamp(s.start_frame) - s.start_frame / fps) > 1e-3 for s in r.segments[1:])


def test_cli_json_to_stdout_and_sidecar(assets, tmp_path, capsys):
    from vatp_core.cli import main

    video = tmp_path / "attempt.mp4"
    video.write_bytes(assets["video"].read_bytes())
    assert (
        main(["score", str(video), "--pack", str(assets["pack"]), "--json", "-", "--sidecar", "-q", "--device", "cpu"])
        == 0
    )
    printed = ScoreResult.from_json(capsys.readouterr().out)
    saved = ScoreResult.from_json(ScoreResult.sidecar_path(video))
    assert saved == printed and saved.video.name == "attempt.mp4"


@pytest.mark.gpu
def test_scoring_on_cuda_matches_cpu(assets):
    cpu = Scorer(assets["pack"], device="cpu").score(assets["video"])
    gpu = Scorer(assets["pack"], device="cuda").score(assets["video"])
    assert gpu.mean == pytest.approx(cpu.mean, abs=1e-3) and gpu.std == pytest.approx(cpu.std, abs=1e-3)
    np.testing.assert_allclose(gpu.attention, cpu.attention, atol=1e-3)
    assert abs(sum(gpu.contributions) - (gpu.mean - gpu.baseline_mean)) < 1e-4


def test_protocol_that_resamples_time(assets, tmp_path):
    pack = build_pack(tmp_path / "fps", protocol={"name": "generic", "clip_len": 16, "stride": 16, "fps": 12.5})
    r = score_video(assets["video"], pack, device="cpu")
    assert r.clip_ranges == [[0, 30], [32, 62]]  # every other frame of the 25 fps video
    assert all(0 <= s.start_frame <= s.end_frame < N_FRAMES for s in r.segments)
