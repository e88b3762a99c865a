"""Decode paths of the model's pass: range planning, ordered reassembly, NVDEC fallback, NV12 conversion."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from tests.core.decode_paths import decode  # noqa: F401 (a fixture)
from tests.videogen import decode_index, make_test_video
from vatp_core.protocols import get_protocol
from vatp_core.video import DecodeOptions, Resize, decoding, iter_clips, open_video
from vatp_core.video.convert import scaled_rgb
from vatp_core.video.index import FrameIndex


@pytest.fixture(scope="module")
def long_gop12(tmp_path_factory):
    return make_test_video(tmp_path_factory.mktemp("d") / "g12.mp4", 400, gop=12, bframes=2)


def _index(n: int, gop: int) -> FrameIndex:
    from fractions import Fraction

    return FrameIndex(pts=np.arange(n, dtype=np.int64), keyframes=np.arange(0, n, gop), time_base=Fraction(1, 25))


def test_ranges_start_at_keyframes_and_cover_the_span_once():
    idx = _index(4500, 250)
    ranges = decoding.plan_ranges(idx, 10, 4490, workers=8)
    assert ranges[0][0] == 10 and ranges[-1][1] == 4490
    assert all(a == b for (_, a), (b, _) in zip(ranges, ranges[1:]))  # contiguous, no overlap
    assert all(a % 250 == 0 for a, _ in ranges[1:])  # every later range starts on a keyframe
    assert len(ranges) == 18  # one per GOP (250 >= the 192-frame target)
    assert decoding.plan_ranges(idx, 0, 4500, workers=1) == [(0, 4500)]
    assert decoding.plan_ranges(_index(4500, 4500), 0, 4500, workers=8) == [(0, 4500)]  # one GOP: one range


def test_workers_follow_cores_length_and_memory():
    opts = DecodeOptions(threads=16)
    assert decoding.choose_workers(opts, 4500, 224 * 224 * 3, 250) == 8
    assert decoding.choose_workers(opts, 100, 224 * 224 * 3, 250) == 1  # short: one decoder
    assert decoding.choose_workers(opts, 4500, 1920 * 1080 * 3, 250) == 1  # full-size frames: memory says one
    assert decoding.choose_workers(DecodeOptions(workers=3), 4500, 1000, 50) == 3


def test_parallel_ranges_are_frame_exact_and_use_several_decoders(long_gop12, monkeypatch):
    monkeypatch.setattr(decoding, "MIN_RANGE_FRAMES", 16)
    names = set()
    original = decoding.ordered_parallel

    def watching(ranges, workers, fn):
        def wrapped(a, b, stop):
            names.add(threading.current_thread().name)
            yield from fn(a, b, stop)

        return original(ranges, workers, wrapped)

    monkeypatch.setattr("vatp_core.video.reader.ordered_parallel", watching)
    with open_video(long_gop12) as r:
        got = [(i, decode_index(f)) for i, f in r.stream(5, 395, decode=DecodeOptions(workers=3, threads=3))]
        assert got == [(i, i) for i in range(5, 395)]
        plan = r.last_plan
        assert plan.workers == 3 and plan.ranges > 3 and plan.hwaccel == "software"
        assert len(names) == 3
        clips = list(iter_clips(r, get_protocol("generic", clip_len=16, stride=8), decode=DecodeOptions(workers=2)))
        assert [[decode_index(f) for f in c] for _, c in clips[:3]] == [list(range(k, k + 16)) for k in (0, 8, 16)]
    assert not [t for t in threading.enumerate() if t.name.startswith("vatp-decode-range")]


def test_closing_a_parallel_stream_early_stops_its_workers(long_gop12, monkeypatch):
    monkeypatch.setattr(decoding, "MIN_RANGE_FRAMES", 16)
    with open_video(long_gop12) as r:
        it = r.stream(decode=DecodeOptions(workers=2))
        assert [next(it)[0] for _ in range(30)] == list(range(30))
        it.close()
    assert not [t for t in threading.enumerate() if t.name.startswith("vatp-decode-range") and t.is_alive()]


def test_an_error_in_a_range_worker_reaches_the_consumer():
    def decode_range(a, b, stop):
        if a == 20:
            raise RuntimeError("range 20 broke")
        yield from ((i, None) for i in range(a, b))

    got = []
    with pytest.raises(RuntimeError, match="range 20"):
        for i, _ in decoding.ordered_parallel([(0, 10), (10, 20), (20, 30)], 2, decode_range):
            got.append(i)
    assert got == list(range(20))


def test_nvdec_request_falls_back_to_software_when_unusable(long_gop12, monkeypatch):
    """Without a usable GPU (or without NVDEC in FFmpeg) the pass decodes in software, exactly."""
    monkeypatch.setattr(decoding, "_hw_unavailable", {})
    with open_video(long_gop12) as r:
        got = [decode_index(f) for _, f in r.stream(0, 50, decode=DecodeOptions(hwaccel="cuda"))]
        assert got == list(range(50))
        import torch

        if not torch.cuda.is_available():
            assert r.last_plan.hwaccel == "software"
            assert decoding.hw_unavailable_reason("cuda") or decoding.hwaccel_for(DecodeOptions(hwaccel="cuda")) is None
        # once known unusable, later passes do not try again
        if r.last_plan.hwaccel == "software":
            assert decoding.hwaccel_for(DecodeOptions(hwaccel="auto")) is None
    assert decoding.hwaccel_for(DecodeOptions()) is None  # "none" never asks for it


def test_nv12_frames_convert_like_planar_ones(long_gop12):
    import av

    with av.open(str(long_gop12)) as c:
        frame = next(c.decode(c.streams.video[0]))
    nv12 = frame.reformat(format="nv12")
    for rotation in (0, 90):
        a = scaled_rgb(frame, rotation, (80, 60) if rotation == 0 else (60, 80), (50, 40))
        b = scaled_rgb(nv12, rotation, (80, 60) if rotation == 0 else (60, 80), (50, 40))
        assert b is not None and b.shape == a.shape == (40, 50, 3)
        np.testing.assert_array_equal(a, b)


def test_every_path_gives_the_same_model_input(long_gop12, decode):  # noqa: F811
    with open_video(long_gop12) as r:
        ref = [f for _, f in r.stream(100, 180, resize=Resize(short_side=64, crop=56))]
        got = [f for _, f in r.stream(100, 180, resize=Resize(short_side=64, crop=56), decode=decode)]
    assert len(got) == len(ref) == 80
    for a, b in zip(ref, got):
        np.testing.assert_array_equal(a, b)
