"""Drawings: geometry (angle degrees), round trip through JSON, storage keyed by content identity."""

import json
import math
import shutil

import pytest

from vatp_core.drawings import Drawing, DrawingSet, DrawingStore, angle_degrees
from vatp_core.drawings.model import DrawingFormatError


def test_angle_degrees_match_the_geometry():
    assert angle_degrees([[10, 0], [0, 0], [0, 10]]) == pytest.approx(90.0)
    assert angle_degrees([[1, 0], [0, 0], [-1, 0]]) == pytest.approx(180.0)
    p = [[100 + 50 * math.cos(math.radians(200)), 80 + 50 * math.sin(math.radians(200))], [100, 80], [150, 80]]
    assert angle_degrees(p) == pytest.approx(160.0)  # the smaller angle, whichever arm comes first
    assert Drawing("angle", p, 40, 40).label() == "160.0°"


def test_a_drawing_set_round_trips_and_scales_to_another_frame_size():
    ds = DrawingSet("sha256-full:" + "0" * 64, (640, 360))
    ds.put(Drawing("line", [[0, 0], [640, 360]], 10, 20, color="#ff0000", thickness=4))
    ds.put(Drawing("text", [[5, 5]], 3, 3, text="knees!"))
    back = DrawingSet.from_dict(json.loads(json.dumps(ds.to_dict())))
    assert [d.to_dict() for d in back.drawings] == [d.to_dict() for d in ds.drawings]
    assert [d.kind for d in back.on_frame(15)] == ["line"]
    half = back.in_space(320, 180)
    assert half.drawings[0].points == [[0, 0], [320, 180]]


def test_bad_drawings_are_refused_with_a_clear_error():
    with pytest.raises(DrawingFormatError):
        Drawing("angle", [[0, 0], [1, 1]], 0, 0)
    with pytest.raises(DrawingFormatError):
        DrawingSet.from_dict({"format_version": 99})
    with pytest.raises(DrawingFormatError):
        DrawingSet.from_dict({"drawings": [{"kind": "line"}]})


def test_store_keys_drawings_by_content_so_a_copy_keeps_them(tmp_path):
    video = tmp_path / "a.mp4"
    video.write_bytes(b"not really a video but bytes to hash" * 100)
    store = DrawingStore(tmp_path / "store")
    ds = store.load(video)
    assert ds.drawings == [] and ds.video_id.startswith("sha256-full:")
    ds.space = (96, 64)
    ds.put(Drawing("circle", [[10, 10], [20, 10]], 5, 9))
    store.save(video, ds)
    moved = tmp_path / "renamed.mp4"
    shutil.copy(video, moved)
    again = store.load(moved)
    assert [d.to_dict() for d in again.drawings] == [d.to_dict() for d in ds.drawings]
    assert again.drawings[0].radius == pytest.approx(10.0)


def test_drawings_go_into_an_existing_sidecar_and_survive_rescoring(tmp_path):
    from tests.core.test_result import make_result
    from vatp_core.result import ScoreResult

    video = tmp_path / "v.mp4"
    video.write_bytes(b"video bytes" * 50)
    store = DrawingStore(tmp_path / "store")
    ds = store.load(video)
    ds.put(Drawing("line", [[0, 0], [5, 5]], 1, 1))
    store.save(video, ds)
    assert not ScoreResult.sidecar_path(video).exists()  # an unscored video gets no sidecar
    make_result().save_sidecar(video)
    store.save(video, ds)
    sidecar = ScoreResult.sidecar_path(video)
    assert ScoreResult.from_json(sidecar).drawings["drawings"][0]["id"] == ds.drawings[0].id
    make_result(mean=70.0).save_sidecar(video)  # scored again: the sidecar keeps its drawings
    kept = ScoreResult.from_json(sidecar)
    assert kept.mean == 70.0 and kept.drawings["drawings"][0]["id"] == ds.drawings[0].id
    # the sidecar alone (copied to another computer, no user-data copy) brings the drawings back
    other = DrawingStore(tmp_path / "elsewhere").load(video)
    assert [d.id for d in other.drawings] == [ds.drawings[0].id]


def test_an_unwritable_sidecar_loses_nothing(tmp_path, monkeypatch):
    from tests.core.test_result import make_result
    from vatp_core import result as result_module
    from vatp_core.result import ScoreResult

    video = tmp_path / "card" / "v.mp4"
    video.parent.mkdir()
    video.write_bytes(b"video bytes" * 50)
    make_result().save_sidecar(video)
    before = ScoreResult.sidecar_path(video).read_bytes()

    def read_only(path, data, **kwargs):
        raise PermissionError(13, "Read-only file system", str(path))

    monkeypatch.setattr(result_module, "atomic_write", read_only)  # a read-only card or share
    store = DrawingStore(tmp_path / "store")
    ds = store.load(video)
    ds.put(Drawing("circle", [[1, 1], [4, 5]], 0, 0))
    store.save(video, ds)  # no error: the user-data copy is written
    assert ScoreResult.sidecar_path(video).read_bytes() == before
    assert [d.id for d in store.load(video).drawings] == [ds.drawings[0].id]


def test_the_stored_version_3_sidecar_brings_its_drawings():
    from pathlib import Path

    from vatp_core.result import ScoreResult

    sample = Path(__file__).resolve().parents[1] / "data" / "results" / "v3" / "demo_routine.mp4.vatp.json"
    ds = DrawingSet.from_dict(ScoreResult.from_json(sample).drawings)
    assert [d.kind for d in ds.on_frame(40)] == ["angle"] and ds.on_frame(40)[0].degrees == pytest.approx(
        angle_degrees([[200, 120], [160, 180], [230, 200]])
    )
