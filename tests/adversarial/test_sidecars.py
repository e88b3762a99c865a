"""Saved scores beside videos: another video's sidecar, older sidecars, damaged and non-finite files (items 2, 6, 13)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.videogen import make_test_video
from vatp_core import identity, paths
from vatp_core.result import RESULT_FORMAT_VERSION, ResultFormatError, ScoreResult, SidecarMismatchError

V1 = Path(__file__).resolve().parents[1] / "data" / "results" / "v1"


def _result_for(video: Path) -> ScoreResult:
    from tests.app.conftest import make_result

    r = make_result(video, n_frames=48)
    r.video.content_hash = identity.content_id(video)
    return r


def test_another_videos_sidecar_is_not_loaded_and_not_deleted(tmp_path):
    """Issue 16 item 2: only the frame count was compared; a different video with as many frames 'loaded'."""
    a = make_test_video(tmp_path / "a.mp4", n_frames=48)
    b = make_test_video(tmp_path / "été 1.mp4", n_frames=48, start=100)  # as many frames, other pictures
    _result_for(a).save_sidecar(b)  # a's score lying beside b
    with pytest.raises(SidecarMismatchError, match="belongs to another video"):
        ScoreResult.load_sidecar(b)
    assert ScoreResult.sidecar_path(b).is_file()
    _result_for(b).save_sidecar(b)
    assert ScoreResult.load_sidecar(b).video.content_hash == identity.content_id(b)


def test_a_sidecar_with_the_old_sampled_hash_is_recognised_and_upgraded(tmp_path):
    video = tmp_path / "demo_routine.mp4"
    shutil.copyfile(paths.demo_video_path(), video)
    shutil.copyfile(V1 / "demo_routine.mp4.vatp.json", ScoreResult.sidecar_path(video))
    stored = json.loads(ScoreResult.sidecar_path(video).read_text())["video"]["content_hash"]
    assert not identity.is_full_id(stored)
    r = ScoreResult.load_sidecar(video)
    assert r is not None and r.video.content_hash == identity.content_id(video)
    upgraded = json.loads(ScoreResult.sidecar_path(video).read_text())
    assert (
        upgraded["video"]["content_hash"] == identity.content_id(video)
        and upgraded["format_version"] == RESULT_FORMAT_VERSION
    )


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("distribution", None, "distribution"),
        ("mean", "NaN", "mean"),
        ("mean", float("nan"), "finite"),
        ("std", float("inf"), "finite"),
        ("contributions", [1.0, "x"], "contributions"),
        ("segments", [{"index": 0}], "Not a valid score result"),
        ("attention", 3, "attention"),
        ("damage", "yes", "damage"),
    ],
)
def test_damaged_or_non_finite_results_are_refused_on_reading(tmp_path, field, value, message):
    """Issue 16 items 6 and 13: null distributions crashed the panel, "NaN" means printed "nan" in PDFs."""
    data = _result_for(make_test_video(tmp_path / "v.mp4", n_frames=48)).to_dict()
    data[field] = value
    text = json.dumps(data)  # json writes NaN / Infinity for float specials; the reader must refuse them
    with pytest.raises(ResultFormatError, match=message):
        ScoreResult.from_json(text)
