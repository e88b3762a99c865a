"""ScoreResult: plain JSON data that loads back equal; clear errors for files that are not results."""

import json

import numpy as np
import pytest

from vatp_core.result import RESULT_FORMAT_VERSION, ResultFormatError, ScoreResult, Segment


def make_result(**overrides) -> ScoreResult:
    segs = [
        Segment(
            index=0,
            name="Take-off",
            start_frame=0,
            end_frame=31,
            start_time=0.0,
            end_time=1.28,
            confidence=0.8,
            contribution=1.25,
        ),
        Segment(
            index=1,
            name="Entry",
            start_frame=64,
            end_frame=95,
            start_time=2.56,
            end_time=3.84,
            confidence=0.6,
            contribution=-0.5,
        ),
    ]
    values = dict(
        video={
            "path": "/tmp/v.mp4",
            "name": "v.mp4",
            "n_frames": 96,
            "fps": 25.0,
            "duration": 3.84,
            "width": 64,
            "height": 48,
            "content_hash": "abc",
        },
        pack={
            "name": "p",
            "sport": "diving",
            "event": "3m",
            "label": "test",
            "not_for_judging": True,
            "backbone": "tiny",
            "protocol": {"name": "generic", "clip_len": 16, "stride": 16},
            "score_range": [0.0, 100.0],
        },
        mean=81.5,
        std=2.25,
        difficulty=None,
        raw_mean=81.5,
        distribution={"x": [70.0, 80.0, 90.0], "pdf": [0.01, 0.2, 0.01]},
        clip_ranges=[[0, 31], [32, 63], [64, 95]],
        attention=[[0.8, 0.1, 0.1], [0.1, 0.1, 0.8]],
        subaction_names=["Take-off", "Entry"],
        segments=segs,
        contributions=[1.25, -0.5],
        baseline_mean=80.75,
        cumulative={"frames": [0, 0, 31, 64, 95], "scores": [80.75, 80.75, 82.0, 82.0, 81.5]},
        timings={"features": 1.5, "model": 0.01},
    )
    values.update(overrides)
    return ScoreResult(**values)


def test_json_round_trip_is_equal(tmp_path):
    r = make_result()
    path = tmp_path / "r.json"
    r.to_json(path)
    back = ScoreResult.from_json(path)
    assert back == r
    assert ScoreResult.from_json(r.to_json()) == r
    data = json.loads(path.read_text())
    for key in ("mean", "std", "segments", "attention", "pack"):
        assert key in data
    assert set(data["segments"][0]) >= {"name", "start_frame", "end_frame", "contribution"}


def test_numpy_values_become_plain_json():
    r = make_result(attention=np.array([[0.5, 0.5]], dtype=np.float32), clip_ranges=[(np.int64(0), np.int64(9))])
    data = r.to_dict()
    json.dumps(data)  # no numpy left
    assert data["attention"] == [[0.5, 0.5]] and data["clip_ranges"] == [[0, 9]]
    with pytest.raises(ValueError):
        make_result(mean=float("nan")).to_dict()


def test_sidecar_path_and_lookup(tmp_path):
    assert ScoreResult.sidecar_path(tmp_path / "dive.mp4") == tmp_path / "dive.mp4.vatp.json"
    r = make_result()
    saved = r.save_sidecar(tmp_path / "dive.mp4")
    assert ScoreResult.from_json(saved) == r
    assert r.segment_at(10).name == "Take-off" and r.segment_at(40) is None and r.segment_at(95).name == "Entry"


def test_summary_lists_each_subaction():
    text = make_result().summary()
    assert "81.50 — uncalibrated" in text and "σ (the paper's, not an interval) 2.25" in text
    assert "Take-off" in text and "+1.25" in text and "Entry" in text and "-0.50" in text


def test_interval_ood_and_out_of_range_are_stored_and_shown():
    r = make_result(
        interval={"level": 0.9, "low": 74.25, "high": 88.75, "method": "split-conformal", "clipped": False},
        ood={"flag": True, "distance": 40.0, "percentile": 100.0, "reason": "unlike the videos"},
        out_of_range=True,
    )
    back = ScoreResult.from_json(r.to_json())
    assert back == r and back.calibrated and back.ood_flag and back.out_of_range
    assert back.score_text() == "81.5 — 90% between 74.2 and 88.8"
    text = back.summary()
    assert "90% between 74.25 and 88.75" in text
    assert "unlike the videos this pack was trained on" in text and "outside the pack's score range" in text
    old = json.loads(make_result().to_json())
    old["format_version"] = 1
    for key in ("interval", "ood", "out_of_range"):
        old.pop(key)
    v1 = ScoreResult.from_dict(old)
    assert not v1.calibrated and not v1.ood_flag and v1.out_of_range is False and "uncalibrated" in v1.score_text()


@pytest.mark.parametrize(
    "text, needle",
    [
        ("[1, 2]", "JSON object"),
        ("{not json", "invalid JSON"),
        ('{"format_version": 99, "mean": 1}', "version"),
        ('{"format_version": 1, "mean": 1}', "missing"),
    ],
)
def test_bad_result_files(tmp_path, text, needle):
    p = tmp_path / "bad.json"
    p.write_text(text)
    with pytest.raises(ResultFormatError, match=needle):
        ScoreResult.from_json(p)


def test_version_1_result_loads_without_athlete_notes_tags():
    data = make_result().to_dict()
    data["format_version"] = 1
    for key in ("athlete", "notes", "tags"):
        data.pop(key)
    loaded = ScoreResult.from_dict(data)
    assert (loaded.athlete, loaded.notes, loaded.tags) == ("", "", [])
    assert loaded.format_version == RESULT_FORMAT_VERSION and loaded.drawings is None


def test_athlete_notes_tags_round_trip(tmp_path):
    result = make_result()
    result.athlete, result.notes, result.tags = "A. Diver", "late entry", ["training", "3m"]
    path = result.save_sidecar(tmp_path / "v.mp4")
    loaded = ScoreResult.from_json(path)
    assert (loaded.athlete, loaded.notes, loaded.tags) == ("A. Diver", "late entry", ["training", "3m"])


def test_video_and_pack_are_typed_records():
    from vatp_core.result import PackRecord, VideoRecord

    r = make_result()
    assert isinstance(r.video, VideoRecord) and isinstance(r.pack, PackRecord)
    assert r.video.fps == 25.0 and r.video.n_frames == 96 and r.pack.score_range == (0.0, 100.0)
    back = ScoreResult.from_json(r.to_json())
    assert back.video == r.video and back.pack == r.pack


def test_unknown_video_and_pack_keys_survive_a_round_trip():
    data = make_result().to_dict()
    data["video"]["camera"] = "side"
    data["pack"]["club"] = "north"
    again = ScoreResult.from_dict(data).to_dict()
    assert again["video"]["camera"] == "side" and again["pack"]["club"] == "north"


@pytest.mark.parametrize(
    ("part", "key", "value"),
    [("video", "fps", "fast"), ("video", "n_frames", [1]), ("pack", "score_range", ["a", "b"])],
)
def test_wrong_typed_record_fields_are_a_format_error(part, key, value):
    data = make_result().to_dict()
    data[part][key] = value
    with pytest.raises(ResultFormatError, match=key):
        ScoreResult.from_dict(data)


def test_a_record_that_is_not_an_object_is_a_format_error():
    data = make_result().to_dict()
    data["video"] = None
    with pytest.raises(ResultFormatError, match="video"):
        ScoreResult.from_dict(data)
