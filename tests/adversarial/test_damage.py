"""Damaged videos are scored visibly, never silently (issue 16 item 3): the result, JSON, CLI text and cache."""

from __future__ import annotations

import json

import pytest

from tests.app.conftest import small_pack  # noqa: F401  (a real pack with a tiny backbone: ~1 s a score)
from tests.core.test_video_errors import _mjpeg_with_blanked_packets
from vatp_core.result import RESULT_FORMAT_VERSION, ScoreResult, VideoDamage


@pytest.fixture
def scorer(small_pack):  # noqa: F811
    from vatp_core.pipeline import Scorer

    s = Scorer(small_pack, device="cpu")
    yield s
    close = getattr(s, "close", None)
    if close:
        close()


def test_corrupt_frames_reach_the_result_the_json_and_the_summary(tmp_path, scorer):
    video = _mjpeg_with_blanked_packets(tmp_path, lambda n: [30, 31, 45])
    result = scorer.score(video)
    assert result.damage == VideoDamage(3, [[30, 31], [45, 45]], False)
    assert "WARNING: Damaged video: 3 damaged frame(s) skipped (frames 30–31, 45)" in result.summary()
    again = ScoreResult.from_json(result.to_json())
    assert again.damage == result.damage and json.loads(result.to_json())["format_version"] == RESULT_FORMAT_VERSION
    cached = scorer.score(video)  # served from the feature cache: the damage is remembered with the features
    assert cached.video.features_from_cache and cached.damage == result.damage


def test_a_cut_off_file_is_flagged_truncated(tmp_path, scorer):
    from tests.core.test_video_errors import truncated_faststart_mp4

    result = scorer.score(truncated_faststart_mp4(tmp_path))
    assert result.damage.truncated and "cut short" in result.damage.message()


def test_a_whole_video_has_no_warning(tmp_path, scorer):
    from tests.videogen import make_test_video

    result = scorer.score(make_test_video(tmp_path / "ok.mp4", n_frames=48))
    assert not result.damage.any and "WARNING" not in result.summary()


def test_damage_reaches_the_batch_csv_and_the_pdf(tmp_path, scorer):
    import csv
    import shutil
    import subprocess

    from vatp_core.batch import run_batch

    folder = tmp_path / "videos"
    folder.mkdir()
    _mjpeg_with_blanked_packets(folder, lambda n: [20]).rename(folder / "bad.avi")
    for leftover in folder.glob("src.avi"):
        leftover.unlink()
    out = tmp_path / "out.csv"
    run_batch(folder, scorer, pack_id="p", out_csv=out)
    with open(out, newline="", encoding="utf-8") as fh:
        (row,) = list(csv.DictReader(fh))
    assert row["status"] == "ok" and row["damage"].startswith("Damaged video: 1 damaged frame(s) skipped (frames 20)")
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils not installed")
    pytest.importorskip("PySide6")
    from app.report import render_report

    result = scorer.score(folder / "bad.avi")
    pdf = render_report(result, tmp_path / "bad.pdf")
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "Damaged video" in " ".join(text.split())
