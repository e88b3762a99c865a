"""Exports: a clip holds exactly its sub-action's frames in order; the .kva is Kinovea's XML; the CLI writes both."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from tests.core.test_result import make_result
from tests.videogen import decode_index, make_test_video
from vatp_core.cli import main
from vatp_core.export import export_clip, export_side_by_side, kva_document
from vatp_core.result import Segment
from vatp_core.sync import SyncMap
from vatp_core.video import open_video

SEGMENTS = [(0, "Approach", 5, 24), (1, "Take-off", 25, 47), (2, "Entry", 48, 70)]


@pytest.fixture(scope="module")
def video(tmp_path_factory):
    # B-frames and a GOP shorter than the clip: the clip starts mid-GOP and crosses a keyframe
    return make_test_video(tmp_path_factory.mktemp("v") / "attempt.mp4", 80, size=(96, 64), gop=30, bframes=2)


def scored(video_path):
    segs = [Segment(i, name, a, b, a / 25, (b + 1) / 25, 0.7, 0.5 - i) for i, name, a, b in SEGMENTS]
    result = make_result(segments=segs, subaction_names=[s[1] for s in SEGMENTS], contributions=[0.5, -0.5, -1.5])
    v = result.video
    v.path, v.name, v.n_frames, v.width, v.height = str(video_path), video_path.name, 80, 96, 64
    return result


def indices(path):
    with open_video(path, prefetch=False) as reader:
        return [decode_index(frame) for _, frame in reader.stream()]


def test_clip_has_exactly_the_subaction_frames_in_order(video, tmp_path):
    clip = export_clip(video, 25, 47, tmp_path / "takeoff.mp4")
    assert clip.n_frames == 23 and clip.codec in ("libx264", "mpeg4")
    assert indices(clip.path) == list(range(25, 48))


def test_clip_range_is_clamped_and_empty_range_refused(video, tmp_path):
    from vatp_core.export.clip import ExportError

    assert indices(export_clip(video, 70, 500, tmp_path / "tail.mp4").path) == list(range(70, 80))
    with pytest.raises(ExportError):
        export_clip(video, 90, 95, tmp_path / "none.mp4")
    assert not (tmp_path / "none.mp4").exists()


def test_a_cancelled_clip_leaves_the_destination_as_it_was(video, tmp_path):
    from vatp_core.errors import Cancelled

    out = tmp_path / "clip.mp4"
    out.write_bytes(b"an earlier clip")
    seen = []
    with pytest.raises(Cancelled):
        export_clip(video, 0, 79, out, progress=lambda done, total: seen.append(done), cancel=lambda: len(seen) >= 5)
    assert seen == [1, 2, 3, 4, 5] and out.read_bytes() == b"an earlier clip"
    assert [p.name for p in tmp_path.iterdir()] == ["clip.mp4"]  # no temporary file left behind


def test_side_by_side_pairs_frames_by_the_sync(video, tmp_path):
    sync = SyncMap("offset", 80, offset=10)
    clip = export_side_by_side(video, video, range(20, 30), sync.b_for, tmp_path / "sbs.mp4", height=64)
    with open_video(clip.path, prefetch=False) as reader:
        pairs = [(decode_index(f[:, :96]), decode_index(f[:, 96:192])) for _, f in reader.stream()]
    assert pairs == [(i, i + 10) for i in range(20, 30)]


def test_kva_has_one_key_image_per_subaction_at_stream_timestamps(video):
    result = scored(video)
    with open_video(video, prefetch=False) as reader:
        pts = [int(p) for p in reader.index.pts]
        tb = float(reader.index.time_base)
    root = ET.fromstring(kva_document(result, pts=pts, time_base=tb))
    assert root.tag == "KinoveaVideoAnalysis" and root.findtext("FormatVersion") == "2.0"
    step = int(root.findtext("AverageTimeStampsPerFrame"))
    assert step == round(1 / (25 * tb))  # one frame of a 25 fps stream in its own time units
    assert int(root.findtext("FirstTimeStamp")) == pts[0]
    assert root.findtext("ImageSize") == "96;64"
    keys = root.findall("Keyframes/Keyframe")
    assert [k.findtext("Title") for k in keys] == [s[1] for s in SEGMENTS]
    positions = [int(k.findtext("Position")) for k in keys]
    assert positions == [pts[s[2]] for s in SEGMENTS]
    assert [(p - pts[0]) // step for p in positions] == [s[2] for s in SEGMENTS]
    assert keys[1].find("Position").get("UserTime") == "00:01.000"


def test_cli_export_clip_and_kva(video, tmp_path, capsys):
    path = tmp_path / "attempt.json"
    scored(video).to_json(path)
    assert main(["export", "clip", str(path), "--subaction", "3", "--out", str(tmp_path / "entry.mp4")]) == 0
    assert indices(tmp_path / "entry.mp4") == list(range(48, 71))
    assert main(["export", "kva", str(path), "--out", str(tmp_path / "attempt.kva")]) == 0
    assert len(ET.parse(tmp_path / "attempt.kva").getroot().findall("Keyframes/Keyframe")) == 3
    capsys.readouterr()
    assert main(["export", "clip", str(path), "--subaction", "9", "--out", str(tmp_path / "x.mp4")]) == 2
    assert "--subaction must be 1–3" in capsys.readouterr().err


def test_cli_export_refuses_a_missing_video_in_one_line(tmp_path, capsys):
    result = make_result()  # its video path does not exist
    path = tmp_path / "r.json"
    result.to_json(path)
    assert main(["export", "kva", str(path), "--out", str(tmp_path / "r.kva")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "video not found" in err
