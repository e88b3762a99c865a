"""A club folder of videos → `vatp train` (tiny backbone shipped in the pack) → `vatp score` loads and uses the pack."""

from __future__ import annotations

import json

import pytest

from tests.videogen import make_test_video
from vatp_core.cli import main


def test_videos_to_pack_to_vatp_score(tmp_path, capsys):
    from safetensors.torch import save_file

    from vatp_core.features import load_backbone

    club = tmp_path / "club"
    club.mkdir()
    rows = ["file,score,phrases"]
    for i in range(6):
        make_test_video(club / f"attempt{i}.mp4", 40 + 8 * i, size=(96, 72))
        rows.append(f"attempt{i}.mp4,{6 + i * 0.5},approach;jump;flight;landing")
    (club / "labels.csv").write_text("\n".join(rows) + "\n")
    weights = tmp_path / "tiny.safetensors"
    save_file(load_backbone("tiny", random_init=True, device="cpu").state_dict(), str(weights))

    rc = main(
        [
            "train",
            "--dataset",
            "generic",
            "--features",
            str(club),
            "--backbone",
            "tiny",
            "--backbone-weights",
            str(weights),
            "--epochs",
            "1",
            "--selection",
            "last",
            "--batch-size",
            "2",
            "--out",
            str(tmp_path / "pack"),
            "--name",
            "club-attempts",
            "-q",
        ]
    )
    assert rc == 0, capsys.readouterr().err
    manifest = json.loads((tmp_path / "pack" / "manifest.json").read_text())
    assert manifest["backbone"] == "tiny" and manifest["backbone_in_pack"] is True
    assert manifest["protocol"]["clip_len"] == 16
    assert sorted(manifest["subaction_names"]) == ["approach", "flight", "jump", "landing"]
    # of the 5 training videos one is held out to calibrate (too few for 90%: the pack says so)
    assert manifest["training"]["split"]["n_train"] == 4 and manifest["training"]["split"]["n_test"] == 1
    assert manifest["trust"]["calibration"]["n"] == 1

    rc = main(
        [
            "score",
            str(club / "attempt3.mp4"),
            "--pack",
            str(tmp_path / "pack"),
            "--device",
            "cpu",
            "--json",
            str(tmp_path / "score.json"),
            "-q",
        ]
    )
    assert rc == 0, capsys.readouterr().err
    result = json.loads((tmp_path / "score.json").read_text())
    assert result["pack"]["name"] == "club-attempts"
    assert isinstance(result["mean"], float) and len(result["attention"]) == 4

    # vatp eval scores the folder with the pack's own backbone and protocol (no installed weights needed)
    rc = main(
        [
            "eval",
            "--pack",
            str(tmp_path / "pack"),
            "--dataset",
            "generic",
            "--features",
            str(club),
            "--split",
            "all",
            "--json",
            str(tmp_path / "eval.json"),
        ]
    )
    assert rc == 0, capsys.readouterr().err
    report = json.loads((tmp_path / "eval.json").read_text())
    assert report["n"] == 6 and len(report["scatter"]["pred"]) == 6
    one = report["scatter"]["names"].index("attempt3.mp4")
    assert report["scatter"]["pred"][one] == pytest.approx(result["mean"], abs=1e-3)  # same number as vatp score
