"""Frame-exactness of the video reader on the kinds of files coaches bring (generated, index in the pixels)."""

from __future__ import annotations

import random
import time

import numpy as np
import pytest

from tests.core.decode_paths import decode  # noqa: F401 (a fixture)
from tests.videogen import decode_index, frame_times, make_test_video
from vatp_core.video import Resize, VideoInfo, open_video

N = 300

CASES = {
    # name: (file name, make_test_video kwargs)
    "h264_bframes_gop250": ("h264.mp4", dict(codec="h264", gop=250, bframes=3)),
    "h264_short_gop": ("h264_gop12.mkv", dict(codec="h264", gop=12, bframes=2)),
    "h264_vfr": ("vfr.mp4", dict(codec="h264", gop=50, bframes=2, vfr=True)),
    "mpeg4_avi": ("mpeg4.avi", dict(codec="mpeg4", gop=30)),
    "mjpeg_avi": ("mjpeg.avi", dict(codec="mjpeg")),
    "portrait_rot90": ("phone.mp4", dict(codec="h264", gop=60, bframes=2, rotation=90, size=(120, 160))),
}


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    root = tmp_path_factory.mktemp("videos")
    return {name: make_test_video(root / fname, N, **kw) for name, (fname, kw) in CASES.items()}


@pytest.mark.parametrize("case", list(CASES))
def test_sequential_read_returns_every_frame_once_in_order(videos, case, decode):  # noqa: F811
    with open_video(videos[case]) as r:
        assert len(r) == N
        got = [(i, decode_index(frame)) for i, frame in r.stream(decode=decode)]
        assert got == [(i, i) for i in range(N)]
        assert [decode_index(f) for f in r] == list(range(N))
        indices = [i for i, _ in r.stream(40, 77, decode=decode)]
        assert indices == list(range(40, 77))
        resized = [(i, decode_index(f)) for i, f in r.stream(90, 260, resize=Resize(size=(80, 60)), decode=decode)]
        assert resized == [(i, i) for i in range(90, 260)]
        assert r.corrupt_frames == set()


@pytest.mark.parametrize("case", list(CASES))
def test_200_random_frames_are_exact(videos, case):
    rng = random.Random(hash(case) & 0xFFFF)
    with open_video(videos[case], frame_cache_mb=1) as r:
        wanted = [rng.randrange(N) for _ in range(200)]
        got = [decode_index(r.frame(i)) for i in wanted]
        assert got == wanted
        assert r.skip_retries == 0  # skipping non-reference frames never skipped a needed one
        w, h = r.size
        assert r.frame(wanted[0]).shape == (h, w, 3)
        assert r.frame(wanted[0]).dtype == np.uint8


@pytest.mark.parametrize("case", ["h264_bframes_gop250", "h264_vfr", "mpeg4_avi"])
def test_stepping_forward_and_backward_is_exact(videos, case):
    with open_video(videos[case]) as r:
        for i in range(100, 140):
            assert decode_index(r.frame(i)) == i
        for i in range(139, 60, -1):
            assert decode_index(r.frame(i)) == i
        for i in (N - 1, 0, N - 2, 1, 250, 249, 251):
            assert decode_index(r.frame(i)) == i
        assert decode_index(r.frame(-1)) == N - 1


def test_forward_step_reuses_decoder_and_backward_step_hits_cache(videos, monkeypatch):
    with open_video(videos["h264_bframes_gop250"], prefetch=False) as r:
        r.frame(120)
        seeks = []
        original = r._session.seek_keyframe
        monkeypatch.setattr(r._session, "seek_keyframe", lambda k: (seeks.append(k), original(k)))
        for i in range(121, 140):
            assert decode_index(r.frame(i)) == i
        assert seeks == []  # +1 never seeks
        hits = r.cache.hits
        for i in range(138, 120, -1):
            assert decode_index(r.frame(i)) == i
        assert seeks == [] and r.cache.hits - hits == 18  # −1 served from the cache
        for i in range(119, 100, -1):  # before what was decoded: one seek, then a cache window
            assert decode_index(r.frame(i)) == i
        assert len(seeks) == 1


def test_far_seek_skips_non_reference_frames(videos):
    """Crossing a long GOP decodes only the frames later ones depend on, until close to the target."""
    with open_video(videos["h264_bframes_gop250"], prefetch=False) as r:
        produced = []
        original = r._session.next_frame

        def counting():
            got = original()
            if got is not None:
                produced.append(got[0])
            return got

        r._session.next_frame = counting
        assert decode_index(r.frame(240)) == 240
        assert produced[-1] == 240 and len(produced) < 200  # B-frames before ~224 were never decoded
        assert produced[-10:] == list(range(231, 241))  # every frame close to the target was
        assert r.skip_retries == 0


def _wait_cached(r, key, timeout=10.0):
    t = time.monotonic()
    while key not in r.cache and time.monotonic() - t < timeout:
        time.sleep(0.01)
    return key in r.cache


def test_prefetch_decodes_the_next_step_in_the_background(videos):
    with open_video(videos["h264_bframes_gop250"]) as r:
        r.frame(200)
        for i in range(201, 206):
            assert _wait_cached(r, (i, None))  # decoded before the user asks
            hits = r.cache.hits
            assert decode_index(r.frame(i)) == i
            assert r.cache.hits == hits + 1
        r.frame(150)  # jump, then step back: the window before 150 gets filled ahead of the user
        for i in range(149, 120, -1):
            assert _wait_cached(r, (i, None))
            assert decode_index(r.frame(i)) == i
        p = r.preview(100, 80)
        assert decode_index(p) == 100 and _wait_cached(r, (99, 80))  # still going backwards
    # closing stops the thread; an unclosed reader is still collected
    import gc
    import weakref

    r2 = open_video(videos["mjpeg_avi"])
    r2.frame(3)
    ref = weakref.ref(r2)
    del r2
    gc.collect()
    assert ref() is None


def test_frame_cache_stays_within_budget(videos):
    with open_video(videos["mjpeg_avi"], frame_cache_mb=0.5) as r:
        for i in range(0, N, 3):
            r.frame(i)
        assert r.cache.nbytes <= 0.5 * 1024 * 1024
        assert len(r.cache) <= (0.5 * 1024 * 1024) // (160 * 120 * 3)
        f = r.frame(5)
        f[:] = 0  # callers get their own copy
        assert decode_index(r.frame(5)) == 5


def test_index_info_without_decoding(videos):
    with open_video(videos["h264_bframes_gop250"]) as r:
        info = r.info
        assert isinstance(info, VideoInfo)
        assert (info.n_frames, info.width, info.height, info.rotation, info.codec) == (N, 160, 120, 0, "h264")
        assert info.keyframes == [0, 250]
        assert info.fps == pytest.approx(25) and info.fps_measured == pytest.approx(25)
        assert info.duration == pytest.approx(N / 25)
        assert not info.vfr
        d = info.to_dict()
        assert d["n_frames"] == N and d["keyframes"] == [0, 250]
        assert r.timestamp(50) == pytest.approx(2.0)


def test_vfr_flag_and_exact_timestamps(videos):
    times = frame_times(N, vfr=True)
    with open_video(videos["h264_vfr"]) as r:
        assert r.info.vfr
        for i in (0, 1, 2, 7, 123, N - 1):
            assert r.timestamp(i) == pytest.approx(times[i], abs=1e-3)
            assert r.index_at(times[i] + 0.001) == i
        assert r.info.fps_measured == pytest.approx((N - 1) / times[-1], rel=1e-3)
        assert decode_index(r.frame(123)) == 123


def test_rotation_metadata_gives_upright_frames(videos):
    with open_video(videos["portrait_rot90"]) as r:
        assert r.rotation == 90 and r.info.rotation == 90
        assert r.size == (120, 160)
        f = r.frame(17)
        assert f.shape == (160, 120, 3)
        assert decode_index(f) == 17  # markers only read back when upright
        p = r.preview(17, 80)
        assert p.shape == (80, 60, 3) and decode_index(p) == 17
        i, clip = next(r.stream(3, 4, resize=Resize(size=(60, 80))))
        assert i == 3 and clip.shape == (80, 60, 3) and decode_index(clip) == 3


@pytest.mark.parametrize("rotation", [180, 270])
def test_other_rotations(tmp_path, rotation):
    size = (120, 160) if rotation == 270 else (160, 120)
    path = make_test_video(tmp_path / "r.mov", 30, size=size, rotation=rotation, gop=10)
    with open_video(path) as r:
        assert r.rotation == rotation and r.size == size
        assert [decode_index(f) for f in r] == list(range(30))
        assert decode_index(r.frame(21)) == 21


def test_preview_is_downscaled_and_exact(videos):
    with open_video(videos["h264_bframes_gop250"]) as r:
        p = r.preview(42, 80)
        assert p.shape == (60, 80, 3)
        assert decode_index(p) == 42
        assert r.preview(42, 1000).shape == (120, 160, 3)  # never upscaled
        assert decode_index(r.frame(42)) == 42  # same frame at full size


def test_stream_resize_short_side_and_crop(videos):
    with open_video(videos["h264_bframes_gop250"]) as r:
        frames = list(r.stream(0, 5, resize=Resize(short_side=60, crop=50)))
        assert [i for i, _ in frames] == list(range(5))
        assert all(f.shape == (50, 50, 3) for _, f in frames)
        _, exact = next(r.stream(10, 11, resize=Resize(size=(80, 60))))
        assert exact.shape == (60, 80, 3) and decode_index(exact) == 10
        assert Resize(short_side=256, crop=224).output_shape(1920, 1080) == (224, 224)
        assert Resize(short_side=256).output_shape(1080, 1920) == (455, 256)


def test_stream_and_random_access_together(videos):
    """The model's stream and the player's frame(i) use separate decoders and agree on frame numbers."""
    with open_video(videos["h264_bframes_gop250"]) as r:
        for i, f in r.stream(0, 60):
            if i % 7 == 0:
                assert decode_index(r.frame(N - 1 - i)) == N - 1 - i
            assert decode_index(f) == i


def test_index_errors(videos):
    with open_video(videos["mjpeg_avi"]) as r:
        with pytest.raises(IndexError):
            r.frame(N)
        with pytest.raises(IndexError):
            r.frame(-N - 1)
