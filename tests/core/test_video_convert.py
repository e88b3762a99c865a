"""Model-input conversion: the fast Y/U/V path agrees with FFmpeg's swscale, for every rotation and range."""

from __future__ import annotations

import av
import numpy as np
import pytest

from tests.videogen import make_test_video
from vatp_core.video import Resize
from vatp_core.video.convert import preview_size, scaled_rgb, to_rgb


def _first_frame(path, k=5):
    with av.open(str(path)) as c:
        for i, f in enumerate(c.decode(c.streams.video[0])):
            if i == k:
                return f


@pytest.fixture(scope="module")
def frames(tmp_path_factory):
    root = tmp_path_factory.mktemp("conv")
    h264 = _first_frame(make_test_video(root / "a.mp4", 8, size=(320, 240), gop=4))
    mjpeg = _first_frame(make_test_video(root / "b.avi", 8, size=(320, 240), codec="mjpeg"))
    return {"yuv420p": h264, "yuvj420p": mjpeg}


@pytest.mark.parametrize("fmt", ["yuv420p", "yuvj420p"])
@pytest.mark.parametrize("rotation", [0, 90, 180, 270])
def test_fast_path_matches_swscale(frames, fmt, rotation):
    frame = frames[fmt]
    assert frame.format.name == fmt
    upright = (240, 320) if rotation in (90, 270) else (320, 240)
    for resize in (Resize(short_side=112, crop=100), Resize(size=(160, 120) if rotation in (0, 180) else (120, 160))):
        sw, sh, crop = resize.plan(*upright)
        fast = scaled_rgb(frame, rotation, (sw, sh), crop)
        ref = to_rgb(frame, rotation, size=(sw, sh), crop=crop, interpolation="BILINEAR")
        assert fast.shape == ref.shape == resize.output_shape(*upright) + (3,)
        diff = np.abs(fast.astype(int) - ref.astype(int))
        assert diff.mean() < 4 and np.percentile(diff, 99) < 40  # same colours, same geometry


def test_fast_path_geometry_follows_rotation(frames):
    frame = frames["yuv420p"]
    base = scaled_rgb(frame, 0, (160, 120), None)
    assert np.array_equal(scaled_rgb(frame, 90, (120, 160), None), np.rot90(base, k=-1))
    assert np.array_equal(scaled_rgb(frame, 180, (160, 120), None), np.rot90(base, k=2))


def test_full_size_rgb_and_preview_size(frames):
    frame = frames["yuv420p"]
    full = to_rgb(frame, 0)
    assert full.shape == (240, 320, 3)
    assert to_rgb(frame, 90).shape == (320, 240, 3)
    assert preview_size(1920, 1080, 640) == (640, 360)
    assert preview_size(1080, 1920, 640) == (360, 640)
    assert preview_size(320, 240, 1000) == (320, 240)


def test_resize_validation():
    with pytest.raises(ValueError):
        Resize(short_side=0)
    with pytest.raises(ValueError):
        Resize(short_side=10, size=(5, 5))
    assert Resize().output_shape(30, 20) == (20, 30)
    assert Resize(crop=10).output_shape(30, 20) == (10, 10)
