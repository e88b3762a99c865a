"""Frame-exact video reading: one timestamp index serves the player (random access) and the model (streaming)."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator
from pathlib import Path
from time import perf_counter

import numpy as np

from .access import RandomAccess
from .cache import FrameCache
from .convert import Resize, to_rgb
from .decoding import (
    DecodeOptions,
    DecodePlan,
    choose_workers,
    hwaccel_for,
    note_hw_failure,
    ordered_parallel,
    plan_ranges,
)
from .index import FrameIndex, VideoInfo, build_index, is_vfr, open_container
from .session import DecodeSession, DecodeStats


class VideoReader:
    """Frame-exact access to one video: ``len()``, ``frame(i)``, ``preview(i)``, ``stream()``, iteration.

    Frame i is the i-th frame in presentation order everywhere (player, model, results). Arrays are
    upright RGB uint8 (H, W, 3). ``frame``/``preview`` are safe to call from one thread while another
    thread consumes ``stream()`` (each stream has its own decoders).
    """

    def __init__(
        self,
        path: str | Path,
        *,
        frame_cache_mb: float = 256,
        random_access_threads: str = "AUTO",
        prefetch: bool = True,
    ):
        self.path = Path(path)
        container, stream = open_container(self.path)
        self._stream_index = stream.index
        try:
            self._index = build_index(container, stream, self.path)
            codec = stream.codec_context.name
            stored_w, stored_h = stream.codec_context.width, stream.codec_context.height
            nominal = stream.average_rate or stream.guessed_rate or stream.base_rate
            container_name = container.format.name
        finally:
            container.close()
        self._stats = DecodeStats()
        self.last_plan: DecodePlan | None = None  # how the latest stream() decoded
        access = RandomAccess(
            self.path,
            self._stream_index,
            self._index,
            self._stats,
            frame_cache_mb=frame_cache_mb,
            thread_type=random_access_threads,
            prefetch=prefetch,
        )
        self._access = access
        # the prefetch thread references `access` only, never this reader: dropping the reader collects it
        # at once, and this stops the thread and closes the decoder when it was never closed
        self._finalizer = weakref.finalize(self, access.close, False)
        try:
            first = access.probe_first_frame()
        except BaseException:
            self._finalizer()
            raise
        self.rotation = _clockwise_rotation(getattr(first, "rotation", 0))
        stored_w = stored_w or first.width
        stored_h = stored_h or first.height
        width, height = (stored_h, stored_w) if self.rotation in (90, 270) else (stored_w, stored_h)
        access.rotation, access.width, access.height = self.rotation, int(width), int(height)
        n = len(self._index)
        span = self._index.seconds(n - 1) if n > 1 else 0.0
        fps_measured = (n - 1) / span if span > 0 else float(nominal or 25)
        fps = float(nominal) if nominal else fps_measured
        frame_dur = float(self._index.median_delta * self._index.time_base) if n > 1 else 1.0 / fps
        self.info = VideoInfo(
            path=str(self.path),
            n_frames=n,
            fps=fps,
            fps_measured=fps_measured,
            duration=span + frame_dur,
            width=int(width),
            height=int(height),
            rotation=self.rotation,
            codec=codec,
            vfr=is_vfr(self._index),
            keyframes=[int(k) for k in self._index.keyframes],
            container=container_name,
            truncated=self._index.truncated,
        )

    # ------------------------------------------------------------------ basics
    def __len__(self) -> int:
        return len(self._index)

    def __enter__(self) -> "VideoReader":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __iter__(self) -> Iterator[np.ndarray]:
        for _, arr in self.stream():
            yield arr

    def __repr__(self) -> str:
        i = self.info
        return f"VideoReader({i.path!r}, {i.n_frames} frames, {i.width}x{i.height}, {i.fps:.3f} fps, {i.codec})"

    @property
    def fps(self) -> float:
        return self.info.fps

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of the upright frames."""
        return self.info.width, self.info.height

    @property
    def index(self) -> FrameIndex:
        return self._index

    @property
    def cache(self) -> FrameCache:
        return self._access.cache

    @property
    def corrupt_frames(self) -> set[int]:
        """Frames that decoded with concealed errors or not at all (the player shows the one before)."""
        return self._stats.corrupt_frames

    @property
    def decode_errors(self) -> int:
        return self._stats.decode_errors

    @property
    def skip_retries(self) -> int:
        return self._stats.skip_retries

    @property
    def decode_timing(self) -> dict[str, float]:
        """Seconds spent decoding and converting in this reader's sequential passes so far."""
        return {"decode": self._stats.decode_s, "convert": self._stats.convert_s}

    @property
    def _session(self) -> DecodeSession:
        """The player's decoder (tests watch its seeks)."""
        return self._access.session

    def close(self) -> None:
        self._finalizer.detach()
        self._access.close(join=True)

    def timestamp(self, i: int) -> float:
        """Seconds from the first frame to frame i (exact for variable frame rate)."""
        return self._index.seconds(self._check(i))

    def timestamps(self) -> np.ndarray:
        """Seconds from the first frame of every frame (float64, increasing)."""
        return (self._index.pts - self._index.pts[0]).astype(np.float64) * float(self._index.time_base)

    def index_at(self, seconds: float) -> int:
        """The frame on screen at ``seconds`` (the last frame whose timestamp is ≤ it)."""
        tb = self._index.time_base
        target = int(self._index.pts[0]) + seconds / float(tb)
        j = int(np.searchsorted(self._index.pts, target + 1e-6, side="right")) - 1
        return min(max(j, 0), len(self) - 1)

    def _check(self, i: int) -> int:
        n = len(self._index)
        i = int(i)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError(f"frame {i} out of range (video has {n} frames)")
        return i

    # ------------------------------------------------------------------ random access
    def frame(self, i: int) -> np.ndarray:
        """Exactly frame i, full size, upright RGB (a fresh array the caller may modify)."""
        return self._access.get(self._check(i), None).copy()

    def preview(self, i: int, max_side: int) -> np.ndarray:
        """Frame i scaled down so its long side is at most ``max_side`` (for the player's view)."""
        return self._access.get(self._check(i), int(max_side)).copy()

    # ------------------------------------------------------------------ streaming
    def stream(
        self,
        start: int = 0,
        stop: int | None = None,
        resize: Resize | None = None,
        *,
        threads: bool = True,
        decode: DecodeOptions | None = None,
    ) -> Iterator[tuple[int, np.ndarray]]:
        """Yield (index, frame) for frames start..stop-1 in order, each decoded once on private decoders.

        ``decode`` chooses frame threads, parallel keyframe-aligned ranges and NVDEC (default: one software
        decoder with a thread per core); ``threads=False`` decodes on one thread. Frames that cannot be
        decoded are skipped (the index jumps) and counted in ``corrupt_frames``. Memory stays bounded
        whatever the video length. ``last_plan`` tells how the pass decoded.
        """
        n = len(self)
        start = max(0, int(start))
        stop = n if stop is None else min(int(stop), n)
        if start >= stop:
            return
        options = decode or DecodeOptions(workers=1)
        if not threads:
            options = DecodeOptions(threads=1, workers=1, hwaccel=options.hwaccel)
        if resize is None:
            size, crop = None, None
            out_h, out_w = self.info.height, self.info.width
        else:
            sw, sh, crop = resize.plan(self.info.width, self.info.height)
            size = (sw, sh)
            out_h, out_w = resize.output_shape(self.info.width, self.info.height)
        kf = self._index.keyframes
        gop = float(np.median(np.diff(kf))) if len(kf) > 1 else float(n)
        workers = choose_workers(options, stop - start, out_h * out_w * 3, gop)
        ranges = plan_ranges(self._index, start, stop, workers)
        workers = min(workers, len(ranges))
        per_worker = max(1, options.total_threads() // workers)
        hw = hwaccel_for(options)

        def decode_range(a: int, b: int, cancel: threading.Event | None = None):
            return self._decode_range(a, b, size, crop, per_worker, hw, cancel)

        if hw is not None:  # open NVDEC once here: when it cannot be used, every range decodes in software
            probe = DecodeSession(self.path, self._stream_index, self._index, "AUTO", self._stats, hwaccel=hw)
            if not probe.hardware:
                note_hw_failure("cuda", probe.hw_error or "the hardware decoder does not take this stream")
                hw = None
            probe.close()
        self.last_plan = DecodePlan(workers, per_worker, len(ranges), "software" if hw is None else "nvdec")
        if workers == 1:
            yield from decode_range(start, stop)
        else:
            yield from ordered_parallel(ranges, workers, decode_range)

    def _decode_range(
        self,
        start: int,
        stop: int,
        size: tuple[int, int] | None,
        crop: tuple[int, int] | None,
        threads: int,
        hwaccel,
        cancel: threading.Event | None,
    ) -> Iterator[tuple[int, np.ndarray]]:
        """Frames start..stop-1 from one decoder that seeks to the keyframe at or before ``start``."""
        thread_type = "AUTO" if threads > 1 else "SLICE"
        session = DecodeSession(
            self.path, self._stream_index, self._index, thread_type, self._stats, threads=threads, hwaccel=hwaccel
        )
        note = self._stats.corrupt_frames.add
        t_decode = t_convert = 0.0
        try:
            kf = self._index.keyframe_before(start)
            session.seek_keyframe(kf)
            expected = start
            first = True
            retries = 0
            while not (cancel is not None and cancel.is_set()):
                t0 = perf_counter()
                got = session.next_frame()
                t_decode += perf_counter() - t0
                if got is None:
                    break
                idx, frame = got
                if first and idx > start and kf > 0 and retries < 8:
                    kf = self._index.keyframe_before_keyframe(kf)
                    retries += 1
                    session.seek_keyframe(kf)
                    continue
                first = False
                if idx < expected:
                    continue
                if idx >= stop:
                    break
                for missing in range(expected, idx):
                    note(missing)
                if frame.is_corrupt:
                    note(idx)
                t0 = perf_counter()
                arr = to_rgb(frame, self.rotation, size=size, crop=crop, fast=True)
                t_convert += perf_counter() - t0
                yield idx, arr
                expected = idx + 1
            if cancel is not None and cancel.is_set():
                return
            for missing in range(expected, stop):
                note(missing)
        finally:
            session.close()
            self._stats.add_times(t_decode, t_convert)


def _clockwise_rotation(ccw_degrees) -> int:
    """Display-matrix rotation (counter-clockwise, −180..180) → clockwise turn in {0, 90, 180, 270}."""
    try:
        deg = float(ccw_degrees or 0)
    except (TypeError, ValueError):
        return 0
    return int(round(-deg / 90.0)) % 4 * 90


def open_video(path: str | Path, *, frame_cache_mb: float = 256, prefetch: bool = True) -> VideoReader:
    """Open a video for frame-exact reading; raises a specific `VideoError` subclass when it can't.

    ``frame_cache_mb`` bounds the player's decoded-frame cache; ``prefetch`` decodes the frame a stepping
    user will ask for next in a background thread (off for batch/model use it costs nothing: it only
    reacts to ``frame``/``preview`` calls).
    """
    return VideoReader(path, frame_cache_mb=frame_cache_mb, prefetch=prefetch)
