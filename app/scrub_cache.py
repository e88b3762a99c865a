"""The scrub cache: the selected sub-action (or loop) decoded once in the background, at the size the view
shows it, so stepping, scrubbing and looping inside it never wait on the decoder.

It decodes with its own stream of the same frame-exact reader (`VideoReader.stream`, a private decoder),
so the player's own decoder stays free. Its memory is what the player's frame budget leaves after the
reader's step-back cache; a range that does not fit is covered by a window around the playhead, moved
along as the playhead leaves its middle, and the status says so.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QObject, Signal
from PySide6.QtGui import QImage

from .frame_loader import rgb_to_qimage

log = logging.getLogger(__name__)

READER_SHARE = 0.25  # of the frame budget, kept by the reader for stepping outside the cached range
READER_MAX_MB = 256


def split_budget(frame_cache_mb: int) -> tuple[int, int]:
    """(reader's step-back cache, scrub cache) in MB out of the one frame budget."""
    reader = int(min(READER_MAX_MB, max(16, frame_cache_mb * READER_SHARE)))
    return reader, max(0, int(frame_cache_mb) - reader)


class ScrubCache(QObject):
    """Frames of one range as ready-to-paint QImages; `get(i)` never blocks."""

    progress = Signal(int, int, int)  # frames cached, frames wanted, bytes held
    status = Signal(str)

    def __init__(self, budget_mb: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.budget_bytes = int(budget_mb) << 20
        self._images: dict[int, QImage] = {}
        self._lock = threading.Lock()
        self._generation = 0
        self._thread: threading.Thread | None = None
        self.reader = None
        self.range: tuple[int, int] | None = None  # the frames asked for (inclusive)
        self.window: tuple[int, int] | None = None  # the frames being held (== range when it fits)
        self.size: tuple[int, int] = (0, 0)
        self.label = ""
        self.nbytes = 0
        app = QCoreApplication.instance()
        if app is not None:  # a decode thread must not signal into a Qt that is shutting down
            app.aboutToQuit.connect(self.stop)

    # --- queries (GUI thread) ------------------------------------------------------------------
    def get(self, index: int) -> QImage | None:
        with self._lock:
            return self._images.get(index)

    def __len__(self) -> int:
        with self._lock:
            return len(self._images)

    @property
    def complete(self) -> bool:
        w = self.window
        return w is not None and len(self) == w[1] - w[0] + 1

    def capacity(self, size: tuple[int, int]) -> int:
        """How many frames of ``size`` (w, h) fit in the budget (QImage RGB888, rows padded to 4 bytes)."""
        w, h = size
        per = ((w * 3 + 3) // 4 * 4) * h
        return self.budget_bytes // max(1, per)

    # --- filling -------------------------------------------------------------------------------
    def set_reader(self, reader) -> None:
        self.clear()
        self.reader = reader

    def fill(self, first: int, last: int, size: tuple[int, int], playhead: int, label: str = "") -> None:
        """Cache frames ``first``..``last`` at ``size`` (or the window around ``playhead`` that fits)."""
        if self.reader is None or first > last:
            return
        size = (max(2, int(size[0])), max(2, int(size[1])))
        window = self._window(first, last, size, playhead)
        if window is None:
            self.clear()
            self.status.emit("Scrub cache off: no frame fits in the frame memory (Settings → Player frame memory).")
            return
        if (first, last) == self.range and size == self.size and window == self.window:
            return
        if size != self.size or (first, last) != self.range:
            self._drop_all()
        else:
            self._keep_only(window)
        self.range, self.size, self.window, self.label = (first, last), size, window, label
        self._generation += 1
        self._start(self._generation, window, size)

    def follow(self, playhead: int) -> None:
        """Move the window along when the range does not fit and the playhead has left the window's middle."""
        if self.range is None or self.window is None or self.window == self.range:
            return
        lo, hi = self.window
        margin = (hi - lo + 1) // 4
        if lo + margin <= playhead <= hi - margin or not (self.range[0] <= playhead <= self.range[1]):
            return
        self.fill(self.range[0], self.range[1], self.size, playhead, self.label)

    def _window(self, first: int, last: int, size: tuple[int, int], playhead: int) -> tuple[int, int] | None:
        cap = self.capacity(size)
        if cap <= 0:
            return None
        if last - first + 1 <= cap:
            return first, last
        lo = max(first, min(playhead - cap // 2, last - cap + 1))
        return lo, lo + cap - 1

    def stop(self) -> None:
        """Stop filling and wait for the decode thread (before its reader closes, and at quit)."""
        self._generation += 1
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=10)
        self._thread = None

    def clear(self) -> None:
        self._generation += 1
        self._drop_all()
        self.range = self.window = None
        self.size = (0, 0)

    def _drop_all(self) -> None:
        with self._lock:
            self._images.clear()
            self.nbytes = 0

    def _keep_only(self, window: tuple[int, int]) -> None:
        with self._lock:
            for i in [i for i in self._images if not window[0] <= i <= window[1]]:
                self.nbytes -= self._images.pop(i).sizeInBytes()

    def _start(self, generation: int, window: tuple[int, int], size: tuple[int, int]) -> None:
        thread = threading.Thread(
            target=self._run, args=(generation, window, size), daemon=True, name="vatp-scrub-cache"
        )
        self._thread = thread
        thread.start()

    def _run(self, generation: int, window: tuple[int, int], size: tuple[int, int]) -> None:
        from vatp_core.video import Resize

        reader, (lo, hi) = self.reader, window
        wanted = hi - lo + 1
        todo = [i for i in range(lo, hi + 1) if self.get(i) is None]
        if not todo or reader is None:
            self._report(generation, wanted)
            return
        stale: Callable[[], bool] = lambda: generation != self._generation  # noqa: E731
        try:
            for i, rgb in reader.stream(todo[0], todo[-1] + 1, Resize(size=size)):
                if stale():
                    return
                image = rgb_to_qimage(rgb)
                with self._lock:
                    if stale():
                        return
                    if i not in self._images:
                        self._images[i] = image
                        self.nbytes += image.sizeInBytes()
                if i % 8 == 0 or i == hi:
                    self._report(generation, wanted)
        except Exception as exc:  # noqa: BLE001 - the cache is an accelerator: the player still decodes itself
            log.warning("scrub cache stopped: %s", exc)
            if not stale():
                self.status.emit(f"Scrub cache stopped: {exc}")
            return
        self._report(generation, wanted)

    def _report(self, generation: int, wanted: int) -> None:
        if generation == self._generation:
            self.progress.emit(len(self), wanted, self.nbytes)

    def describe(self) -> str:
        """The status-bar line: what is cached, how full, and whether only a window of the range fits."""
        if self.range is None or self.window is None:
            return ""
        held, (lo, hi) = len(self), self.window
        text = f"Scrub cache {self.label or 'range'}: {held}/{hi - lo + 1} frames, {self.nbytes / 2**20:.0f} MB"
        if self.window != self.range:
            text += (
                f" — a window of frames {lo}–{hi} around the playhead (frames {self.range[0]}–{self.range[1]} "
                f"do not fit in {self.budget_bytes >> 20} MB)"
            )
        return text
