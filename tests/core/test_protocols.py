"""Clip sampling protocols and their mapping from clips back to frames."""

from __future__ import annotations

import numpy as np
import pytest

from vatp_core.protocols import I3D_MTL_STARTS, ClipProtocol, ProtocolError, get_protocol
from vatp_core.video import VideoTooShortError


def test_vst_gdlt_trims_symmetrically_to_a_multiple_of_32():
    p = get_protocol("vst-gdlt")
    assert (p.clip_len, p.stride) == (32, 32)
    clips = p.clip_indices(2250)  # RG-like: 90 s at 25 fps
    assert len(clips) == 2250 // 32 == 70
    extra = 2250 - 70 * 32  # 10 frames dropped, 5 at each end
    assert clips[0][0] == extra // 2 and clips[-1][-1] == 2250 - 1 - (extra - extra // 2)
    for a, b in zip(clips, clips[1:]):
        assert b[0] == a[-1] + 1  # non-overlapping, contiguous
    assert all(len(c) == 32 and np.all(np.diff(c) == 1) for c in clips)
    assert p.clip_ranges(2250)[0] == (5, 36)


def test_vst_gdlt_exact_multiple_and_range():
    p = get_protocol("vst-gdlt")
    assert p.clip_ranges(64) == [(0, 31), (32, 63)]
    # within [100, 200): 100 frames → 3 clips, 4 dropped, 2 each side
    assert p.clip_ranges(1000, 100, 200) == [(102, 133), (134, 165), (166, 197)]


def test_i3d_mtl_ten_clips_of_16_over_103_samples():
    p = get_protocol("i3d-mtl")
    clips = p.clip_indices(103)
    assert len(clips) == 10 and all(len(c) == 16 for c in clips)
    assert [int(c[0]) for c in clips] == list(I3D_MTL_STARTS) == [0, 10, 20, 30, 40, 50, 60, 70, 80, 87]
    assert clips[-1][-1] == 102
    # a dive annotated from frame 500 to 705 (end exclusive): 103 frames evenly sampled from it
    clips = p.clip_indices(5000, 500, 706)
    seq = p.sequence(5000, 500, 706)
    assert len(seq) == 103 and seq[0] == 500 and seq[-1] == 705 and np.all(np.diff(seq) >= 1)
    assert p.clip_ranges(5000, 500, 706)[0] == (500, int(seq[15]))
    assert p.clip_ranges(5000, 500, 706)[-1] == (int(seq[87]), 705)


def test_i3d_mtl_short_range_repeats_frames_but_keeps_order():
    p = get_protocol("i3d-mtl")
    seq = p.sequence(60)
    assert len(seq) == 103 and seq[0] == 0 and seq[-1] == 59 and np.all(np.diff(seq) >= 0)


def test_generic_clip_len_and_stride():
    p = get_protocol("generic", clip_len=8, stride=4)
    assert p.clip_ranges(20) == [(0, 7), (4, 11), (8, 15), (12, 19)]
    q = get_protocol("generic", clip_len=10)
    assert q.stride == 10 and q.clip_ranges(35) == [(0, 9), (10, 19), (20, 29)]  # tail shorter than a clip dropped
    assert get_protocol("generic", clip_len=4, stride=6).clip_ranges(20, 2) == [(2, 5), (8, 11), (14, 17)]


def test_too_short_raises():
    for name in ("vst-gdlt", "i3d-mtl", "generic"):
        p = get_protocol(name)
        with pytest.raises(VideoTooShortError):
            p.clip_indices(p.clip_len - 1)
    with pytest.raises(VideoTooShortError):
        get_protocol("vst-gdlt").clip_indices(1000, 10, 30)


def test_round_trip_and_errors():
    for name in ("vst-gdlt", "i3d-mtl", "generic"):
        p = get_protocol(name)
        d = p.to_dict()
        assert ClipProtocol.from_dict(d) == p
        import json

        assert ClipProtocol.from_dict(json.loads(json.dumps(d))) == p
    assert ClipProtocol.from_dict({"name": "vst-gdlt"}) == get_protocol("vst-gdlt")
    with pytest.raises(ProtocolError):
        get_protocol("nope")
    with pytest.raises(ProtocolError):
        get_protocol("generic", colour="blue")
    with pytest.raises(ProtocolError):
        ClipProtocol("generic", clip_len=0, stride=1)
    with pytest.raises(ValueError):  # ProtocolError is also a ValueError
        ClipProtocol("generic", clip_len=4, stride=4, trim="sideways")


def test_time_resampling_for_other_frame_rates():
    p = get_protocol("vst-gdlt", fps=25.0)
    ts50 = np.arange(400) / 50.0  # 8 s at 50 fps → 200 frames at 25 fps → 6 clips of 32, 8 frames trimmed
    clips = p.clip_indices(400, timestamps=ts50)
    assert len(clips) == 6
    assert np.all(np.diff(clips[0]) == 2)  # every other frame
    assert clips[0][0] == 8  # 4 resampled frames trimmed at the start
    with pytest.raises(ProtocolError):
        p.clip_indices(400)  # resampling needs timestamps
    # variable frame rate: each resampled frame is the one on screen at k/25 s
    ts = np.cumsum(np.tile([0.02, 0.06], 100)) - 0.02
    seq = get_protocol("generic", clip_len=8, fps=25.0).sequence(200, timestamps=ts)
    for k, i in enumerate(seq):
        assert ts[i] <= ts[0] + k / 25 + 1e-9 and (i == 199 or ts[i + 1] > ts[0] + k / 25 + 1e-9)
    assert ClipProtocol.from_dict(p.to_dict()) == p
