"""Streaming clips for the model: right frames, right order, resized, constant memory, cancellable."""

from __future__ import annotations

import numpy as np
import pytest

from tests.videogen import decode_index, make_test_video
from vatp_core.errors import Cancelled
from vatp_core.protocols import get_protocol
from vatp_core.video import Resize, iter_clips, open_video


@pytest.fixture(scope="module")
def video(tmp_path_factory):
    return make_test_video(tmp_path_factory.mktemp("clips") / "v.mp4", 230, gop=250, bframes=3)


@pytest.mark.parametrize(
    "protocol, start, end",
    [
        (get_protocol("vst-gdlt"), 0, None),
        (get_protocol("i3d-mtl"), 20, 200),
        (get_protocol("generic", clip_len=16, stride=8), 5, None),
        (get_protocol("generic", clip_len=4, stride=20), 0, 100),
    ],
)
def test_clips_hold_exactly_the_protocol_frames(video, protocol, start, end):
    with open_video(video) as r:
        expected = protocol.clip_indices(len(r), start, end)
        got = list(iter_clips(r, protocol, Resize(size=(80, 60)), start=start, end=end))
        assert [i for i, _ in got] == list(range(len(expected)))
        for (_, clip), want in zip(got, expected):
            assert clip.shape == (protocol.clip_len, 60, 80, 3) and clip.dtype.name == "uint8"
            assert [decode_index(f) for f in clip] == [int(k) for k in want]


def test_model_input_shape(video):
    with open_video(video) as r:
        _, clip = next(iter_clips(r, get_protocol("generic", clip_len=8), Resize(short_side=64, crop=56)))
        assert clip.shape == (8, 56, 56, 3)


def test_cancel_stops_between_clips(video):
    calls = {"n": 0}

    def cancel():
        calls["n"] += 1
        return calls["n"] > 3

    with open_video(video) as r:
        seen = []
        with pytest.raises(Cancelled):
            for i, _ in iter_clips(r, get_protocol("generic", clip_len=8), cancel=cancel):
                seen.append(i)
        assert 0 < len(seen) < 28


def test_memory_holds_one_clip_span(video, monkeypatch):
    """iter_clips never holds more frames than one clip span (plus the clip being built)."""
    import vatp_core.video.clips as clips_mod

    peak = {"n": 0}
    original = clips_mod._fill_missing

    def spy(held, clip, last_seen):
        peak["n"] = max(peak["n"], len(held))
        return original(held, clip, last_seen)

    monkeypatch.setattr(clips_mod, "_fill_missing", spy)
    with open_video(video) as r:
        n = sum(1 for _ in iter_clips(r, get_protocol("generic", clip_len=16, stride=16)))
    assert n == 230 // 16
    assert peak["n"] <= 16


def test_time_resampled_clips_on_a_vfr_file(tmp_path):
    from tests.videogen import frame_times

    path = make_test_video(tmp_path / "vfr.mp4", 120, vfr=True, gop=30)
    proto = get_protocol("generic", clip_len=8, fps=25.0)
    with open_video(path) as r:
        ts = r.timestamps()
        assert np.allclose(ts, frame_times(120, vfr=True), atol=1e-3)
        expected = proto.clip_indices(len(r), timestamps=ts)
        got = list(iter_clips(r, proto, Resize(size=(80, 60))))
        assert len(got) == len(expected) > 0
        for (_, clip), want in zip(got, expected):
            assert [decode_index(f) for f in clip] == [int(k) for k in want]
