"""Every bad input gives a specific, actionable error quickly, and the process carries on afterwards."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.core.decode_paths import decode  # noqa: F401 (a fixture)
from tests.videogen import decode_index, draw_frame, make_audio_only, make_test_video
from vatp_core.errors import VATPError
from vatp_core.protocols import get_protocol
from vatp_core.video import (
    CorruptVideoError,
    NoFramesError,
    NotAVideoError,
    NoVideoStreamError,
    VideoError,
    VideoNotFoundError,
    VideoTooShortError,
    iter_clips,
    open_video,
)

pytestmark = pytest.mark.timeout(60)  # nothing may hang


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    return make_test_video(tmp_path_factory.mktemp("good") / "good.mp4", 40, gop=10)


def still_works(good) -> None:
    """After an error the library is still usable: open a good file and read a frame."""
    with open_video(good) as r:
        assert decode_index(r.frame(33)) == 33


def _mjpeg_with_blanked_packets(tmp_path, which) -> tuple:
    import av

    path = make_test_video(tmp_path / "src.avi", 60, codec="mjpeg")
    data = bytearray(path.read_bytes())
    with av.open(str(path)) as c:
        spans = [(p.pos, p.size) for p in c.demux(c.streams.video[0]) if p.size]
    for k in which(len(spans)):
        pos, size = spans[k]
        data[pos : pos + size] = bytes(size)
    out = tmp_path / "damaged.avi"
    out.write_bytes(bytes(data))
    return out


def test_missing_file(tmp_path, good):
    with pytest.raises(VideoNotFoundError) as e:
        open_video(tmp_path / "gone.mp4")
    assert "gone.mp4" in str(e.value) and isinstance(e.value, VATPError)
    assert isinstance(e.value, FileNotFoundError)
    still_works(good)


@pytest.mark.parametrize("kind", ["text", "random", "png", "folder", "fifo"])
def test_not_a_video(tmp_path, good, kind):
    if kind == "text":
        path = tmp_path / "notes.mp4"
        path.write_text("judging notes, not a video\n" * 40)
    elif kind == "random":
        path = tmp_path / "blob.mov"
        path.write_bytes(np.random.default_rng(0).integers(0, 256, 50_000, dtype=np.uint8).tobytes())
    elif kind == "png":
        import cv2

        path = tmp_path / "photo.png"
        cv2.imwrite(str(path), draw_frame(3, 160, 120))
    elif kind == "fifo":
        import os

        if not hasattr(os, "mkfifo"):
            pytest.skip("no named pipes on this system")
        path = tmp_path / "pipe.mp4"
        os.mkfifo(path)  # nobody writes to it: opening it naively would block for ever
    else:
        path = tmp_path / "folder.mp4"
        path.mkdir()
    with pytest.raises(NotAVideoError):
        open_video(path)
    still_works(good)


def test_truncated_mp4_with_index_at_end(tmp_path, good):
    data = make_test_video(tmp_path / "full.mp4", 100).read_bytes()
    path = tmp_path / "half.mp4"
    path.write_bytes(data[: len(data) // 2])  # the moov atom (index) was never written
    with pytest.raises(CorruptVideoError) as e:
        open_video(path)
    assert "damaged or incomplete" in str(e.value)
    still_works(good)


def test_empty_file(tmp_path, good):
    path = tmp_path / "empty.mp4"
    path.write_bytes(b"")
    with pytest.raises(CorruptVideoError):
        open_video(path)
    still_works(good)


def test_truncated_streamable_file_opens_with_the_frames_it_has(tmp_path, good):
    """An AVI cut half-way keeps its first half readable; frames past the cut are simply not there."""
    data = make_test_video(tmp_path / "full.avi", 60, codec="mjpeg").read_bytes()
    path = tmp_path / "cut.avi"
    path.write_bytes(data[: len(data) // 2])
    with open_video(path) as r:
        n = len(r)
        assert 10 < n < 60
        assert [decode_index(f) for f in r] == list(range(n))
        assert decode_index(r.frame(n // 2)) == n // 2
    still_works(good)


def truncated_faststart_mp4(tmp_path) -> Path:
    """A 100-frame MP4 with its index first (faststart), cut at 60 % of its bytes."""
    import av

    path = tmp_path / "faststart.mp4"
    with av.open(str(path), "w", options={"movflags": "faststart"}) as c:
        s = c.add_stream("libx264", rate=25)
        s.width, s.height = 160, 120
        for i in range(100):
            for p in s.encode(av.VideoFrame.from_ndarray(draw_frame(i, 160, 120), format="rgb24")):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    data = path.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) * 6 // 10])
    return cut


def test_truncated_faststart_mp4_serves_the_frames_before_the_cut(tmp_path, good):
    cut = truncated_faststart_mp4(tmp_path)
    with open_video(cut) as r:
        assert r.info.truncated
        got = [i for i, f in r.stream() if decode_index(f) == i]
        assert len(got) >= 30 and got == list(range(len(got)))
        last = r.frame(len(r) - 1)  # past the last decodable frame: the last good frame, never a hang
        assert decode_index(last) <= len(r) - 1
    still_works(good)


def test_audio_only_file(tmp_path, good):
    path = make_audio_only(tmp_path / "commentary.wav")
    with pytest.raises(NoVideoStreamError) as e:
        open_video(path)
    assert "audio" in str(e.value)
    still_works(good)


def test_zero_decodable_frames(tmp_path, good):
    path = _mjpeg_with_blanked_packets(tmp_path, lambda n: range(n))
    with pytest.raises(NoFramesError):
        open_video(path)
    still_works(good)


def test_corrupt_frame_in_the_middle_is_skipped_and_counted(tmp_path, good, decode):  # noqa: F811
    path = _mjpeg_with_blanked_packets(tmp_path, lambda n: [30])
    with open_video(path) as r:
        assert len(r) == 60  # the index still numbers every frame
        streamed = [(i, decode_index(f)) for i, f in r.stream(decode=decode)]
        assert [i for i, _ in streamed] == [i for i in range(60) if i != 30]
        assert all(i == k for i, k in streamed)
        assert r.corrupt_frames == {30}
        assert decode_index(r.frame(31)) == 31 and decode_index(r.frame(29)) == 29
        assert decode_index(r.frame(30)) == 29  # the player shows the last good frame there
        clips = list(iter_clips(r, get_protocol("generic", clip_len=16), decode=decode))
        assert len(clips) == 3
        assert [decode_index(f) for f in clips[1][1]] == [
            16,
            17,
            18,
            19,
            20,
            21,
            22,
            23,
            24,
            25,
            26,
            27,
            28,
            29,
            29,
            31,
        ]
    still_works(good)


def test_shorter_than_one_clip(tmp_path, good):
    path = make_test_video(tmp_path / "short.mp4", 20, gop=10)
    with open_video(path) as r:
        with pytest.raises(VideoTooShortError) as e:
            list(iter_clips(r, get_protocol("vst-gdlt")))
        assert "32" in str(e.value)
        with pytest.raises(VideoTooShortError):
            list(iter_clips(r, get_protocol("generic", clip_len=16), start=10))
        assert len(list(iter_clips(r, get_protocol("generic", clip_len=16)))) == 1
    still_works(good)


def test_every_video_error_is_a_vatp_error():
    for cls in (
        VideoNotFoundError,
        NotAVideoError,
        NoVideoStreamError,
        CorruptVideoError,
        NoFramesError,
        VideoTooShortError,
    ):
        assert issubclass(cls, VideoError) and issubclass(cls, VATPError)


def test_undecodable_first_frames(tmp_path, good):
    """A file whose first frames are damaged opens; frame 0 shows the first frame that decodes."""
    path = _mjpeg_with_blanked_packets(tmp_path, lambda n: [0, 1])
    with open_video(path) as r:
        assert len(r) == 60
        assert decode_index(r.frame(0)) == 2
        assert decode_index(r.frame(5)) == 5
        assert [i for i, _ in r.stream(0, 6)] == [2, 3, 4, 5]
        assert {0, 1} <= r.corrupt_frames
    still_works(good)


def test_damaged_h264_packet_mid_gop(tmp_path, good, decode):  # noqa: F811
    """Garbage inside one H.264 packet: that frame is skipped and counted, every other frame stays exact."""
    import av

    path = make_test_video(tmp_path / "h.mp4", 120, gop=60, bframes=2)
    data = bytearray(path.read_bytes())
    with av.open(str(path)) as c:
        spans = [(p.pos, p.size) for p in c.demux(c.streams.video[0]) if p.size]
    pos, size = spans[30]
    data[pos + 4 : pos + size] = np.random.default_rng(0).integers(0, 256, size - 4, dtype=np.uint8).tobytes()
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(bytes(data))
    with open_video(bad) as r:
        streamed = []
        for i, f in r.stream(decode=decode):
            try:
                streamed.append((i, decode_index(f)))
            except ValueError:  # a concealed (smeared) frame, if the decoder chose to output one
                streamed.append((i, None))
        assert [i for i, _ in streamed] == sorted(i for i, _ in streamed)
        assert len(streamed) >= 118
        damaged = r.corrupt_frames
        assert 1 <= len(damaged) <= 2
        assert all(k == i for i, k in streamed if i not in damaged)
        for i in (0, 25, 40, 59, 60, 119):
            assert decode_index(r.frame(i)) == i
    still_works(good)


def test_clips_over_an_undecodable_range_raise(tmp_path, good):
    path = _mjpeg_with_blanked_packets(tmp_path, lambda n: range(20, n))
    with open_video(path) as r:
        assert len(r) == 60
        with pytest.raises(CorruptVideoError):
            list(iter_clips(r, get_protocol("generic", clip_len=16), start=30))
        clips = list(iter_clips(r, get_protocol("generic", clip_len=16), end=32))
        assert len(clips) == 2  # the second clip is padded with frame 19, the last good one
        assert [decode_index(f) for f in clips[1][1]][-1] == 19
    still_works(good)
