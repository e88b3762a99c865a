"""One open container + decoder positioned somewhere in a stream; yields (frame index, av frame)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .index import FrameIndex


@dataclass
class DecodeStats:
    """What decoding found wrong with a file, shared by every decoder of one reader."""

    decode_errors: int = 0
    skip_retries: int = 0
    corrupt_frames: set[int] = field(default_factory=set)
    decode_s: float = 0.0  # seconds in the decoders of sequential passes (summed over range workers)
    convert_s: float = 0.0  # seconds converting / resizing their frames
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add_times(self, decode_s: float, convert_s: float) -> None:
        with self.lock:
            self.decode_s += decode_s
            self.convert_s += convert_s


class DecodeSession:
    """A private decoder over one video stream: seek to a keyframe, then pull frames in presentation order.

    ``threads`` sets FFmpeg's decoder threads (0: FFmpeg's own choice); ``hwaccel`` is an ``av`` HWAccel
    (NVDEC) or None. Frames are numbered through the shared `FrameIndex`.
    """

    def __init__(
        self,
        path: Path,
        stream_index: int,
        index: FrameIndex,
        thread_type: str,
        stats: DecodeStats,
        *,
        threads: int = 0,
        hwaccel=None,
    ):
        import av

        self._av = av
        self._path = str(path)
        self._threads = int(threads)
        self._hwaccel = hwaccel
        self.index = index
        self.stats = stats
        self.hw_error: str | None = None  # why the hardware decoder was not used, when it was asked for
        self.container: Any = None
        self.stream: Any = None
        self._open(stream_index, thread_type)
        self._iter: Iterator[tuple[int, Any]] | None = None
        self._ordinal_next = 0
        self.pos: int | None = None  # index of the last frame this decoder produced
        self.skipping = False

    def _open(self, stream_index: int, thread_type: str) -> None:
        self.container = None
        if self._hwaccel is not None:
            try:
                self.container = self._av.open(self._path, "r", hwaccel=self._hwaccel)
            except (self._av.error.FFmpegError, OSError, ValueError) as exc:  # no GPU, driver or NVDEC here
                self.hw_error = f"{type(exc).__name__}: {exc}"
                self._hwaccel = None
        if self.container is None:
            self.container = self._av.open(self._path, "r")
        self.stream = self.container.streams[stream_index]
        self.stream.thread_type = thread_type
        if self._threads > 0:
            self.stream.codec_context.thread_count = self._threads

    @property
    def hardware(self) -> bool:
        """True when frames come from the hardware decoder (NVDEC), not FFmpeg's software fallback."""
        if self._hwaccel is None:
            return False
        try:
            return bool(self.stream.codec_context.is_hwaccel)
        except Exception:  # noqa: BLE001 - not opened with hwaccel, or an older PyAV
            return False

    def close(self) -> None:
        self._iter = None
        try:
            self.container.close()
        except Exception:  # closing a half-broken container must not mask the real error
            pass

    @property
    def active(self) -> bool:
        return self._iter is not None

    def set_skip_nonref(self, on: bool) -> None:
        """Skip decoding frames nothing refers to (half the work of crossing a long GOP to a far target)."""
        if self.skipping == on:
            return
        try:
            self.stream.codec_context.skip_frame = "NONREF" if on else "DEFAULT"
            self.skipping = on
        except Exception:  # noqa: BLE001 - an older PyAV without the setter: just decode everything
            self.skipping = False

    def seek_keyframe(self, k: int) -> None:
        """Position the decoder at keyframe ``k`` (a frame index); the next frames decoded start there."""
        self._iter = None
        self.pos = None
        if self.index.ordinal or k <= 0:
            target = None
        else:
            target = int(self.index.pts[k])
        try:
            if target is None:
                self.container.seek(0, backward=True, any_frame=False)
            else:
                self.container.seek(target, stream=self.stream, backward=True, any_frame=False)
        except self._av.error.FFmpegError:
            # some files refuse a timestamp seek: start from the beginning instead (slow but exact)
            old = self.stream
            self.container.close()
            self._open(old.index, old.thread_type)
        self._ordinal_next = 0
        self._iter = self._frames()

    def _frames(self) -> Iterator[tuple[int, Any]]:
        av = self._av
        demux = self.container.demux(self.stream)
        while True:
            try:
                packet = next(demux)
            except StopIteration:
                break
            except av.error.FFmpegError:
                self.stats.decode_errors += 1
                break
            try:
                frames = packet.decode()
            except av.error.EOFError:
                break
            except av.error.FFmpegError:
                self.stats.decode_errors += 1
                continue
            for frame in frames:
                if self.index.ordinal:
                    idx = self._ordinal_next
                    self._ordinal_next += 1
                else:
                    ts = frame.pts if frame.pts is not None else frame.dts
                    found = self.index.index_of_pts(ts)
                    if found is None:
                        continue
                    idx = found
                self.pos = idx
                yield idx, frame
        self._iter = None

    def next_frame(self) -> tuple[int, Any] | None:
        if self._iter is None:
            return None
        try:
            return next(self._iter)
        except StopIteration:
            self._iter = None
            return None
