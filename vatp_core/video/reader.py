"""Frame-exact video reading: one timestamp index serves the player (random access) and the model (streaming)."""

from __future__ import annotations

import logging
import os
import threading
import weakref
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from .cache import FrameCache
from .convert import Resize, preview_size, to_rgb
from .errors import CorruptVideoError, NoFramesError
from .index import FrameIndex, VideoInfo, build_index, is_vfr, open_container

log = logging.getLogger(__name__)

#: swscale threads for the player's conversions (latency of one frame matters there, not throughput)
_CONVERT_THREADS = max(1, min(4, os.cpu_count() or 1))

#: How many frames before a backward request are kept converted, so the next steps back are cache hits.
BACK_WINDOW = 24
#: Non-reference frames are skipped while crossing a GOP until this many frames before the first one kept
#: (covers B-frame reordering and frame-threading delay, so no frame that is needed gets skipped).
SKIP_MARGIN = 16
#: Refill the backward window when the user is this many frames from its end.
PREFETCH_BACK_MARGIN = 12


class _Prefetcher:
    """One background thread that decodes the frame a stepping user will most likely ask for next.

    It holds only a weak reference to the reader, so a reader that is never closed can still be collected.
    """

    def __init__(self, reader: "VideoReader") -> None:
        self._ref = weakref.ref(reader)
        self._cv = threading.Condition()
        self._job: tuple[int, int | None, int] | None = None
        self._thread: threading.Thread | None = None
        self._stopped = False
        self.enabled = True

    def suggest(self, i: int, variant: int | None, direction: int) -> None:
        if not self.enabled or self._stopped:
            return
        with self._cv:
            self._job = (i, variant, direction)
            self._cv.notify()
            if self._thread is None:
                self._thread = threading.Thread(
                    target=_prefetch_loop, args=(self._ref, self), daemon=True, name="vatp-frame-prefetch"
                )
                self._thread.start()

    def take(self, timeout: float) -> tuple[int, int | None, int] | None:
        with self._cv:
            if self._job is None and not self._stopped:
                self._cv.wait(timeout)
            job, self._job = self._job, None
            return job

    def stop(self) -> None:
        with self._cv:
            self._stopped = True
            self._job = None
            self._cv.notify()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)

    @property
    def stopped(self) -> bool:
        return self._stopped


def _prefetch_loop(ref, prefetcher: _Prefetcher) -> None:
    while not prefetcher.stopped:
        job = prefetcher.take(timeout=1.0)
        if job is None or prefetcher.stopped:
            continue
        reader = ref()
        if reader is None:
            return
        i, variant, direction = job
        try:
            with reader._lock:
                if prefetcher.stopped or reader._last_request != i:
                    continue  # the user has moved on: this guess is stale
                j = reader._prefetch_target(i, variant, direction)
                if j is not None:
                    reader._fetch(j, variant, backward=direction < 0)
        except Exception:  # noqa: BLE001 - a failed guess is harmless; the user's own request reports errors
            log.debug("frame prefetch failed", exc_info=True)
        finally:
            del reader


class _DecodeSession:
    """One open container + decoder positioned somewhere in the stream; yields (frame index, av frame)."""

    def __init__(self, path: Path, stream_index: int, index: FrameIndex, thread_type: str, owner: "VideoReader"):
        import av

        self._av = av
        self.container = av.open(str(path), "r")
        self.stream = self.container.streams[stream_index]
        self.stream.thread_type = thread_type
        self.index = index
        self.owner = owner
        self._iter: Iterator | None = None
        self._ordinal_next = 0
        self.pos: int | None = None  # index of the last frame this decoder produced
        self.skipping = False

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
            self.container.close()
            self.container = self._av.open(self.container.name, "r")
            old = self.stream
            self.stream = self.container.streams[old.index]
            self.stream.thread_type = old.thread_type
        self._ordinal_next = 0
        self._iter = self._frames()

    def _frames(self) -> Iterator[tuple[int, object]]:
        av = self._av
        demux = self.container.demux(self.stream)
        while True:
            try:
                packet = next(demux)
            except StopIteration:
                break
            except av.error.FFmpegError:
                self.owner.decode_errors += 1
                break
            try:
                frames = packet.decode()
            except av.error.EOFError:
                break
            except av.error.FFmpegError:
                self.owner.decode_errors += 1
                continue
            for frame in frames:
                if self.index.ordinal:
                    idx = self._ordinal_next
                    self._ordinal_next += 1
                else:
                    ts = frame.pts if frame.pts is not None else frame.dts
                    idx = self.index.index_of_pts(ts)
                    if idx is None:
                        continue
                self.pos = idx
                yield idx, frame
        self._iter = None

    def next_frame(self) -> tuple[int, object] | None:
        if self._iter is None:
            return None
        try:
            return next(self._iter)
        except StopIteration:
            self._iter = None
            return None


class VideoReader:
    """Frame-exact access to one video: ``len()``, ``frame(i)``, ``preview(i)``, ``stream()``, iteration.

    Frame i is the i-th frame in presentation order everywhere (player, model, results). Arrays are
    upright RGB uint8 (H, W, 3). ``frame``/``preview`` are safe to call from one thread while another
    thread consumes ``stream()`` (each stream has its own decoder).
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
        self.decode_errors = 0
        self.skip_retries = 0
        self.corrupt_frames: set[int] = set()
        self._lock = threading.RLock()
        self._cache = FrameCache(frame_cache_mb)
        self._session = _DecodeSession(self.path, self._stream_index, self._index, random_access_threads, self)
        self._last_request: int | None = None
        self._prefetcher = _Prefetcher(self)
        self._prefetcher.enabled = prefetch
        self._last_av: tuple[int, object] | None = None
        self.rotation = 0
        try:
            first = self._probe_first_frame()
        except BaseException:
            self._session.close()
            raise
        stored_w = stored_w or first.width
        stored_h = stored_h or first.height
        width, height = (stored_h, stored_w) if self.rotation in (90, 270) else (stored_w, stored_h)
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
        return self._cache

    def close(self) -> None:
        self._prefetcher.stop()
        with self._lock:
            self._session.close()
            self._cache.clear()
            self._last_av = None

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

    def _note_corrupt(self, idx: int) -> None:
        self.corrupt_frames.add(int(idx))

    # ------------------------------------------------------------------ random access
    def _probe_first_frame(self):
        """Decode the first decodable frame: proves the file decodes and reads its rotation."""
        s = self._session
        s.seek_keyframe(0)
        got = s.next_frame()
        if got is None:
            raise NoFramesError(
                f"{self.path.name}: not a single frame could be decoded. The file is damaged or uses a codec "
                "this build cannot decode; re-export it as H.264 MP4."
            )
        idx, frame = got
        self.rotation = _clockwise_rotation(getattr(frame, "rotation", 0))
        self._last_av = (idx, frame)
        return frame

    def frame(self, i: int) -> np.ndarray:
        """Exactly frame i, full size, upright RGB (a fresh array the caller may modify)."""
        return self._get(i, None).copy()

    def preview(self, i: int, max_side: int) -> np.ndarray:
        """Frame i scaled down so its long side is at most ``max_side`` (for the player's view)."""
        return self._get(i, int(max_side)).copy()

    def _convert(self, frame, variant: int | None) -> np.ndarray:
        if variant is None:
            return to_rgb(frame, self.rotation, threads=_CONVERT_THREADS)
        w, h = preview_size(self.info.width, self.info.height, variant)
        return to_rgb(frame, self.rotation, size=(w, h), interpolation="AREA", threads=_CONVERT_THREADS)

    def _get(self, i: int, variant: int | None) -> np.ndarray:
        """A user request: serve frame i, then guess the next step and decode it in the background."""
        i = self._check(i)
        previous = self._last_request
        self._last_request = i
        backward = previous is not None and i < previous
        # a cached frame never waits for the decoder (which the prefetch thread may be busy with)
        arr = self._cache.get((i, variant))
        if arr is None:
            arr = self._fetch(i, variant, backward)
        direction = -1 if backward else 1
        self._prefetcher.suggest(i, variant, direction)
        return arr

    def _fetch(self, i: int, variant: int | None, backward: bool) -> np.ndarray:
        """Frame i from the cache, the open decoder (forward), or a seek; keeps a window when going back."""
        with self._lock:
            key = (i, variant)
            hit = self._cache.get(key)
            if hit is not None:
                return hit
            if self._last_av is not None and self._last_av[0] == i:
                arr = self._convert(self._last_av[1], variant)
                self._cache.put(key, arr)
                return arr
            keep_from = i
            if backward:
                keep_from = i - self._back_window(variant)
            s = self._session
            kf = self._index.keyframe_before(i)
            if not (s.active and s.pos is not None and kf <= s.pos < i):
                s.seek_keyframe(kf)
            start = s.pos if s.pos is not None else kf
            skip_until = keep_from - SKIP_MARGIN if keep_from - start > 2 * SKIP_MARGIN else None
            try:
                return self._decode_until(i, variant, keep_from, kf, skip_until)
            finally:
                s.set_skip_nonref(False)

    def _back_window(self, variant: int | None) -> int:
        w, h = (
            (self.info.width, self.info.height)
            if variant is None
            else preview_size(self.info.width, self.info.height, variant)
        )
        return min(BACK_WINDOW, max(0, self._cache.capacity_for(w * h * 3) // 2 - 1))

    def _prefetch_target(self, i: int, variant: int | None, direction: int) -> int | None:
        """The next frame worth decoding ahead of the user, or None when the cache already covers it."""
        n = len(self._index)
        if direction > 0:
            j = i + 1
            return j if j < n and (j, variant) not in self._cache else None
        # going back: refill the window a few frames before the user reaches its end
        for j in range(i - 1, max(-1, i - 1 - PREFETCH_BACK_MARGIN), -1):
            if (j, variant) not in self._cache:
                return j
        return None

    def _decode_until(
        self, target: int, variant: int | None, keep_from: int, kf: int, skip_until: int | None = None
    ) -> np.ndarray:
        """Decode forward to ``target``; ``skip_until``: skip non-reference frames until output reaches it."""
        s = self._session
        prev = None
        fresh_seek = s.pos is None
        retries = 0
        s.set_skip_nonref(skip_until is not None)
        while True:
            got = s.next_frame()
            if got is None:
                break
            idx, frame = got
            if s.skipping and idx >= skip_until:
                s.set_skip_nonref(False)
            self._last_av = (idx, frame)
            if fresh_seek and idx > target and kf > 0 and retries < 8:
                # the seek landed after the target: go one keyframe further back and try again
                kf = self._index.keyframe_before_keyframe(kf)
                retries += 1
                s.seek_keyframe(kf)
                continue
            fresh_seek = False
            if idx < target:
                if idx >= keep_from:
                    self._cache.put((idx, variant), self._convert(frame, variant))
                prev = frame
                continue
            if idx == target:
                if frame.is_corrupt:  # decoded with errors concealed: shown, but counted
                    self._note_corrupt(idx)
                arr = self._convert(frame, variant)
                self._cache.put((target, variant), arr)
                return arr
            if skip_until is not None:
                return self._redo_without_skipping(target, variant, keep_from, kf)
            # the decoder went past the target: frame `target` is missing (corrupt); show the one before
            self._note_corrupt(target)
            arr = self._convert(prev if prev is not None else frame, variant)
            self._cache.put((target, variant), arr)
            return arr
        if skip_until is not None:
            return self._redo_without_skipping(target, variant, keep_from, kf)
        if prev is None and self._last_av is not None and self._last_av[0] < target:
            prev = self._last_av[1]
        if prev is not None:
            # the stream ended before the target (truncated tail): show the last frame that decoded
            self._note_corrupt(target)
            arr = self._convert(prev, variant)
            self._cache.put((target, variant), arr)
            return arr
        raise CorruptVideoError(f"{self.path.name}: frame {target} cannot be decoded (the file is damaged there).")

    def _redo_without_skipping(self, target: int, variant: int | None, keep_from: int, kf: int) -> np.ndarray:
        """The target was not reached while skipping non-reference frames: decode again, every frame."""
        self.skip_retries += 1
        self._session.set_skip_nonref(False)
        self._session.seek_keyframe(kf)
        return self._decode_until(target, variant, keep_from, kf, None)

    # ------------------------------------------------------------------ streaming
    def stream(
        self,
        start: int = 0,
        stop: int | None = None,
        resize: Resize | None = None,
        *,
        threads: bool = True,
    ) -> Iterator[tuple[int, np.ndarray]]:
        """Yield (index, frame) for frames start..stop-1 in order, decoded once each on a private decoder.

        Frames that cannot be decoded are skipped (the index jumps) and counted in ``corrupt_frames``.
        Memory stays constant whatever the video length.
        """
        n = len(self)
        start = max(0, int(start))
        stop = n if stop is None else min(int(stop), n)
        if start >= stop:
            return
        if resize is None:
            size, crop = None, None
        else:
            sw, sh, crop = resize.plan(self.info.width, self.info.height)
            size = (sw, sh)
        session = _DecodeSession(self.path, self._stream_index, self._index, "AUTO" if threads else "SLICE", self)
        try:
            kf = self._index.keyframe_before(start)
            session.seek_keyframe(kf)
            expected = start
            first = True
            retries = 0
            while True:
                got = session.next_frame()
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
                if idx > expected:
                    for missing in range(expected, idx):
                        self._note_corrupt(missing)
                if frame.is_corrupt:
                    self._note_corrupt(idx)
                yield idx, to_rgb(frame, self.rotation, size=size, crop=crop, fast=True)
                expected = idx + 1
            for missing in range(expected, stop):
                self._note_corrupt(missing)
        finally:
            session.close()


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
