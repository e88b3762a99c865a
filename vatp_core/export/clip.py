"""MP4 clips through PyAV: exactly the frames asked for, in order, H.264 when the bundled FFmpeg has it.

Frames come from the frame-exact reader (`VideoReader.stream`), so frame k of the clip is frame
``first + k`` of the source, whatever its GOP, B-frames or variable frame rate; their presentation times
are kept relative to the first one.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from ..atomic import atomic_open
from ..errors import VATPError, check_cancel

Progress = Callable[[int, int], None]  # (frames written, frames in total)


class ExportError(VATPError):
    """A clip could not be written (unwritable folder, empty range, no encoder)."""


@dataclass
class ClipExport:
    """What was written: the file, its frame range in the source and the encoder used."""

    path: Path
    first: int
    last: int
    n_frames: int
    codec: str
    size: tuple[int, int]


def pick_encoder() -> str:
    """'libx264' when this FFmpeg build has it, else 'mpeg4' (always built in)."""
    import av

    return "libx264" if "libx264" in av.codecs_available else "mpeg4"


def _even(n: int) -> int:
    return max(2, n - n % 2)  # yuv420p needs even sizes


def _open_stream(container, codec: str, fps: float, width: int, height: int):
    rate = Fraction(fps).limit_denominator(1001) if fps > 0 else Fraction(25)
    stream = container.add_stream(codec, rate=rate)
    stream.width, stream.height = width, height
    stream.pix_fmt = "yuv420p"
    stream.codec_context.time_base = Fraction(1, 90000)
    stream.time_base = Fraction(1, 90000)
    if codec == "libx264":
        stream.options = {"crf": "18", "preset": "veryfast"}
    else:
        stream.options = {"qscale": "2"}
    return stream


def _encode(
    out: Path,
    frames: Iterator[tuple[float, np.ndarray]],
    total: int,
    fps: float,
    size: tuple[int, int],
    progress: Progress | None,
    cancel: Callable[[], bool] | None = None,
) -> tuple[int, str]:
    """Write (seconds since the first frame, RGB frame) pairs; returns (frames written, codec).

    ``cancel`` is polled before each frame: `Cancelled` then leaves the destination as it was.
    """
    import av

    codec = pick_encoder()
    width, height = _even(size[0]), _even(size[1])
    written = 0
    try:
        with atomic_open(out, "wb") as fh:
            container = av.open(fh, "w", format="mp4")
            try:
                stream = _open_stream(container, codec, fps, width, height)
                last_pts = -1
                for seconds, rgb in frames:
                    check_cancel(cancel)
                    rgb = np.ascontiguousarray(rgb[:height, :width])
                    frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
                    pts = max(last_pts + 1, round(seconds * 90000))
                    frame.pts, frame.time_base, last_pts = pts, Fraction(1, 90000), pts
                    for packet in stream.encode(frame):
                        container.mux(packet)
                    written += 1
                    if progress is not None:
                        progress(written, total)
                for packet in stream.encode():
                    container.mux(packet)
            finally:
                container.close()
            if written == 0:
                raise ExportError("No frame could be decoded in that range; nothing was written.")
    except OSError as exc:
        raise ExportError(f"Cannot write {out}: {exc.strerror or exc}") from None
    return written, codec


def export_clip(
    video: str | os.PathLike,
    first: int,
    last: int,
    out: str | os.PathLike,
    *,
    progress: Progress | None = None,
    cancel: Callable[[], bool] | None = None,
) -> ClipExport:
    """Frames ``first``..``last`` (inclusive) of ``video`` as an MP4 at ``out`` (written atomically)."""
    from ..video import open_video

    out = Path(out)
    with open_video(video, prefetch=False) as reader:
        n = len(reader)
        first, last = max(0, int(first)), min(int(last), n - 1)
        if first > last:
            raise ExportError(f"Empty frame range {first}–{last} (the video has {n} frames).")
        t0 = reader.timestamp(first)
        stamps = reader.timestamps()
        frames = ((float(stamps[i] - t0), arr) for i, arr in reader.stream(first, last + 1))
        written, codec = _encode(out, frames, last - first + 1, reader.fps, reader.size, progress, cancel)
        size = (_even(reader.size[0]), _even(reader.size[1]))
    return ClipExport(out, first, last, written, codec, size)


def export_side_by_side(
    video_a: str | os.PathLike,
    video_b: str | os.PathLike,
    frames_a: range,
    b_for: Callable[[int], int | None],
    out: str | os.PathLike,
    *,
    height: int = 720,
    progress: Progress | None = None,
    cancel: Callable[[], bool] | None = None,
) -> ClipExport:
    """A over ``frames_a`` beside the frame of B that ``b_for`` (a `SyncMap.b_for`) puts next to each.

    Both are scaled to ``height`` pixels high; A's timing drives the clip. A free sync (``b_for`` gives
    None) keeps B at its first frame.
    """
    import cv2

    from ..video import open_video

    out = Path(out)
    with open_video(video_a, prefetch=False) as ra, open_video(video_b, prefetch=False) as rb:
        first, last = max(0, frames_a.start), min(frames_a.stop - 1, len(ra) - 1)
        if first > last:
            raise ExportError("Empty frame range for the side-by-side clip.")
        wa = round(ra.size[0] * height / ra.size[1])
        wb = round(rb.size[0] * height / rb.size[1])
        t0 = ra.timestamp(first)
        stamps = ra.timestamps()

        def frames() -> Iterator[tuple[float, np.ndarray]]:
            for i, a in ra.stream(first, last + 1):
                j = b_for(i)
                b = rb.frame(0 if j is None else j)
                both = np.concatenate(
                    [
                        cv2.resize(a, (wa, height), interpolation=cv2.INTER_AREA),
                        cv2.resize(b, (wb, height), interpolation=cv2.INTER_AREA),
                    ],
                    axis=1,
                )
                yield float(stamps[i] - t0), both

        written, codec = _encode(out, frames(), last - first + 1, ra.fps, (wa + wb, height), progress, cancel)
    return ClipExport(out, first, last, written, codec, (_even(wa + wb), _even(height)))
