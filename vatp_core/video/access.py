"""The player's side of a reader: frame(i) through a cache, one decoder kept open, and a prefetch thread.

`RandomAccess` holds everything the background thread touches, so that thread never references the
public `VideoReader`: dropping the last reference to a reader collects it at once (its finalizer stops the
thread), with no window in which the thread briefly holds it alive.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Any

import numpy as np

from .cache import FrameCache
from .convert import preview_size, to_rgb
from .errors import CorruptVideoError, NoFramesError
from .index import FrameIndex
from .session import DecodeSession, DecodeStats

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


class Prefetcher:
    """One background thread that decodes the frame a stepping user will most likely ask for next."""

    def __init__(self, access: "RandomAccess") -> None:
        self._access = access
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
                self._thread = threading.Thread(target=self._loop, daemon=True, name="vatp-frame-prefetch")
                self._thread.start()

    def _take(self) -> tuple[int, int | None, int] | None:
        with self._cv:
            while self._job is None and not self._stopped:
                self._cv.wait()
            job, self._job = self._job, None
            return None if self._stopped else job

    def _loop(self) -> None:
        access = self._access
        while True:
            job = self._take()
            if job is None:
                return
            i, variant, direction = job
            try:
                with access.lock:
                    if self._stopped or access.last_request != i:
                        continue  # the user has moved on (or the reader closed): this guess is stale
                    j = access.prefetch_target(i, variant, direction)
                    if j is not None:
                        access.fetch(j, variant, backward=direction < 0)
            except Exception:  # noqa: BLE001 - a failed guess is harmless; the user's own request reports errors
                log.debug("frame prefetch failed", exc_info=True)

    def stop(self, join: bool = True) -> None:
        with self._cv:
            self._stopped = True
            self._job = None
            self._cv.notify()
            thread = self._thread
        if join and thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)


class RandomAccess:
    """Exact frame i (full size or a preview) from a cache, the open decoder going forward, or a seek."""

    def __init__(
        self,
        path: Path,
        stream_index: int,
        index: FrameIndex,
        stats: DecodeStats,
        *,
        frame_cache_mb: float,
        thread_type: str,
        prefetch: bool,
    ) -> None:
        self.path = path
        self.index = index
        self.stats = stats
        self.lock = threading.RLock()
        self.cache = FrameCache(frame_cache_mb)
        self.session = DecodeSession(path, stream_index, index, thread_type, stats)
        self.last_request: int | None = None
        self.last_av: tuple[int, Any] | None = None
        self.rotation = 0
        self.width = self.height = 0  # upright size, set by the reader once the first frame is known
        self.prefetcher = Prefetcher(self)
        self.prefetcher.enabled = prefetch
        self._closed = False

    def close(self, join: bool = True) -> None:
        """Stop the prefetch thread and close the decoder (idempotent; ``join=False`` from a finalizer)."""
        self.prefetcher.stop(join=join)
        with self.lock:
            if self._closed:
                return
            self._closed = True
            self.session.close()
            self.cache.clear()
            self.last_av = None

    def probe_first_frame(self):
        """Decode the first decodable frame: proves the file decodes and gives its rotation."""
        s = self.session
        s.seek_keyframe(0)
        got = s.next_frame()
        if got is None:
            raise NoFramesError(
                f"{self.path.name}: not a single frame could be decoded. The file is damaged or uses a codec "
                "this build cannot decode; re-export it as H.264 MP4."
            )
        self.last_av = got
        return got[1]

    def note_corrupt(self, idx: int) -> None:
        self.stats.corrupt_frames.add(int(idx))

    def convert(self, frame, variant: int | None) -> np.ndarray:
        if variant is None:
            return to_rgb(frame, self.rotation, threads=_CONVERT_THREADS)
        w, h = preview_size(self.width, self.height, variant)
        return to_rgb(frame, self.rotation, size=(w, h), interpolation="AREA", threads=_CONVERT_THREADS)

    def get(self, i: int, variant: int | None) -> np.ndarray:
        """A user request: serve frame i, then guess the next step and decode it in the background."""
        previous = self.last_request
        self.last_request = i
        backward = previous is not None and i < previous
        # a cached frame never waits for the decoder (which the prefetch thread may be busy with)
        arr = self.cache.get((i, variant))
        if arr is None:
            arr = self.fetch(i, variant, backward)
        self.prefetcher.suggest(i, variant, -1 if backward else 1)
        return arr

    def fetch(self, i: int, variant: int | None, backward: bool) -> np.ndarray:
        """Frame i from the cache, the open decoder (forward), or a seek; keeps a window when going back."""
        with self.lock:
            key = (i, variant)
            hit = self.cache.get(key)
            if hit is not None:
                return hit
            if self.last_av is not None and self.last_av[0] == i:
                arr = self.convert(self.last_av[1], variant)
                self.cache.put(key, arr)
                return arr
            keep_from = i
            if backward:
                keep_from = i - self._back_window(variant)
            s = self.session
            kf = self.index.keyframe_before(i)
            if not (s.active and s.pos is not None and kf <= s.pos < i):
                s.seek_keyframe(kf)
            start = s.pos if s.pos is not None else kf
            skip_until = keep_from - SKIP_MARGIN if keep_from - start > 2 * SKIP_MARGIN else None
            try:
                return self._decode_until(i, variant, keep_from, kf, skip_until)
            finally:
                s.set_skip_nonref(False)

    def _back_window(self, variant: int | None) -> int:
        w, h = (self.width, self.height) if variant is None else preview_size(self.width, self.height, variant)
        return min(BACK_WINDOW, max(0, self.cache.capacity_for(w * h * 3) // 2 - 1))

    def prefetch_target(self, i: int, variant: int | None, direction: int) -> int | None:
        """The next frame worth decoding ahead of the user, or None when the cache already covers it."""
        n = len(self.index)
        if direction > 0:
            j = i + 1
            return j if j < n and (j, variant) not in self.cache else None
        # going back: refill the window a few frames before the user reaches its end
        for j in range(i - 1, max(-1, i - 1 - PREFETCH_BACK_MARGIN), -1):
            if (j, variant) not in self.cache:
                return j
        return None

    def _decode_until(
        self, target: int, variant: int | None, keep_from: int, kf: int, skip_until: int | None = None
    ) -> np.ndarray:
        """Decode forward to ``target``; ``skip_until``: skip non-reference frames until output reaches it."""
        s = self.session
        prev = None
        fresh_seek = s.pos is None
        retries = 0
        s.set_skip_nonref(skip_until is not None)
        while True:
            got = s.next_frame()
            if got is None:
                break
            idx, frame = got
            if s.skipping and skip_until is not None and idx >= skip_until:
                s.set_skip_nonref(False)
            self.last_av = (idx, frame)
            if fresh_seek and idx > target and kf > 0 and retries < 8:
                # the seek landed after the target: go one keyframe further back and try again
                kf = self.index.keyframe_before_keyframe(kf)
                retries += 1
                s.seek_keyframe(kf)
                continue
            fresh_seek = False
            if idx < target:
                if idx >= keep_from:
                    self.cache.put((idx, variant), self.convert(frame, variant))
                prev = frame
                continue
            if idx == target:
                if frame.is_corrupt:  # decoded with errors concealed: shown, but counted
                    self.note_corrupt(idx)
                arr = self.convert(frame, variant)
                self.cache.put((target, variant), arr)
                return arr
            if skip_until is not None:
                return self._redo_without_skipping(target, variant, keep_from, kf)
            # the decoder went past the target: frame `target` is missing (corrupt); show the one before
            self.note_corrupt(target)
            arr = self.convert(prev if prev is not None else frame, variant)
            self.cache.put((target, variant), arr)
            return arr
        if skip_until is not None:
            return self._redo_without_skipping(target, variant, keep_from, kf)
        if prev is None and self.last_av is not None and self.last_av[0] < target:
            prev = self.last_av[1]
        if prev is not None:
            # the stream ended before the target (truncated tail): show the last frame that decoded
            self.note_corrupt(target)
            arr = self.convert(prev, variant)
            self.cache.put((target, variant), arr)
            return arr
        raise CorruptVideoError(f"{self.path.name}: frame {target} cannot be decoded (the file is damaged there).")

    def _redo_without_skipping(self, target: int, variant: int | None, keep_from: int, kf: int) -> np.ndarray:
        """The target was not reached while skipping non-reference frames: decode again, every frame."""
        self.stats.skip_retries += 1
        self.session.set_skip_nonref(False)
        self.session.seek_keyframe(kf)
        return self._decode_until(target, variant, keep_from, kf, None)
