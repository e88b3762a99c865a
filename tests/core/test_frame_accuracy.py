"""Sub-action frame accuracy: a perfect parse scores 1.0, equal parts the fraction counted by hand, and the
figure reaches `vatp train`, the manifest, `vatp packs show` and `vatp eval` on a tiny SynthAQA set."""

from __future__ import annotations

import json

import numpy as np
import pytest

from vatp_core.training.frame_accuracy import equal_parts, frame_scores, parse_frames, summarise_frames

# 64 frames in 8 clips of 8: idle, sub-action 0 (2 clips), 1, 2 (2 clips), 3, idle
CLIP_LABELS = [-1, 0, 0, 1, 2, 2, 3, -1]
RANGES = [(8 * c, 8 * c + 7) for c in range(8)]
TRUTH = np.repeat(CLIP_LABELS, 8)


def perfect_attention(labels=CLIP_LABELS) -> np.ndarray:
    a = np.full((4, 8), 1e-6)
    for c, lab in enumerate(labels):
        if lab >= 0:
            a[lab, c] = 1.0
    return a / a.sum(axis=1, keepdims=True)


def test_equal_parts_known_fraction():
    assert equal_parts(64, 4).tolist() == [0] * 16 + [1] * 16 + [2] * 16 + [3] * 16
    # right: frames 8-15 (0), 24-31 (1), 32-47 (2), 48-55 (3) = 40 of 64; 40 of the 48 sub-action frames
    assert frame_scores(equal_parts(64, 4), TRUTH) == pytest.approx((40 / 64, 40 / 48))


def test_perfect_parse_scores_one_and_beats_equal_parts():
    pred = parse_frames(perfect_attention(), RANGES, 64)
    assert pred.tolist() == TRUTH.tolist()
    out = summarise_frames([(pred, TRUTH)], 4)
    assert out == {
        "n_videos": 1,
        "subactions": 4,
        "parse": 1.0,
        "equal_parts": 0.625,
        "parse_active": 1.0,
        "equal_parts_active": round(40 / 48, 4),
    }


def test_shuffled_queries_are_put_in_routine_order():
    """The queries come out of the model in any order: the parse orders them in time, as scoring does."""
    pred = parse_frames(perfect_attention()[[2, 0, 3, 1]], RANGES, 64)
    assert frame_scores(pred, TRUTH) == (1.0, 1.0)


def test_parse_one_clip_early_scores_the_counted_fraction():
    early = parse_frames(perfect_attention([0, 0, 1, 2, 2, 3, -1, -1]), RANGES, 64)
    # right: clip 1 (0), clip 4 (2), clip 7 (idle) = 3 of 8 clips; 2 of the 6 sub-action clips
    assert frame_scores(early, TRUTH) == pytest.approx((3 / 8, 2 / 6))
    assert summarise_frames([], 4) is None


def test_frame_accuracy_in_train_packs_show_and_eval(tmp_path, capsys):
    from safetensors.torch import save_file

    from vatp_core.cli import main
    from vatp_core.features import load_backbone
    from vatp_core.synth import SynthConfig, generate_dataset

    club = tmp_path / "synth"
    items = generate_dataset(club, SynthConfig(n=8, seed=3, size=(64, 64)), workers=1)
    weights = tmp_path / "tiny.safetensors"
    save_file(load_backbone("tiny", random_init=True, device="cpu").state_dict(), str(weights))
    pack = tmp_path / "pack"
    common = ["--dataset", "generic", "--features", str(club)]
    args = ["train", *common, "--backbone-weights", str(weights), "--epochs", "1", "--batch-size", "4"]
    args += ["--out", str(pack), "--device", "cpu", "-q"]
    assert main([*args, "--json", str(tmp_path / "train.json")]) == 0, capsys.readouterr().err
    printed = capsys.readouterr().out
    assert "sub-action frame accuracy on 2 labelled videos" in printed
    assert json.loads((tmp_path / "train.json").read_text())["test"]["frame_accuracy"]["n_videos"] == 2

    fa = json.loads((pack / "manifest.json").read_text())["metrics"]["test"]["frame_accuracy"]
    from vatp_core.datasets import load_split

    test = load_split("generic", club, None, "test")
    truth = {it.video.name: np.array(it.frame_labels) for it in items}
    expected = np.mean([frame_scores(equal_parts(len(truth[n]), 4), truth[n])[0] for n in test.names])
    assert fa["n_videos"] == 2 and fa["subactions"] == 4
    assert fa["equal_parts"] == pytest.approx(expected, abs=1e-4)
    assert 0.0 <= fa["parse"] <= 1.0

    assert main(["packs", "show", str(pack)]) == 0
    assert "sub-action frame accuracy on 2 labelled videos" in capsys.readouterr().out

    out = tmp_path / "eval.json"
    assert main(["eval", "--pack", str(pack), *common, "--device", "cpu", "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    assert report["frame_accuracy"]["equal_parts"] == pytest.approx(expected, abs=1e-4)
    assert report["frame_accuracy"]["parse"] == pytest.approx(fa["parse"], abs=1e-4)
