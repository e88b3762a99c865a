"""Decodes player frames off the GUI thread, always the newest one asked for (older requests are dropped).

One `VideoReader` (the same frame index the model uses) lives in a decode thread. The GUI calls
`request(i)` as often as it likes; the thread decodes only the latest wish, so fast stepping or playback
faster than the decoder drops frames instead of queueing them. Decoded frames are kept in a small LRU
cache (``frame_cache_mb``), so stepping back and forth over a few frames costs nothing.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QImage

from .threads import start_thread, stop_thread

log = logging.getLogger(__name__)


def rgb_to_qimage(frame: np.ndarray) -> QImage:
    """An RGB uint8 (H, W, 3) array as a QImage that owns its pixels."""
    frame = np.ascontiguousarray(frame)
    h, w = frame.shape[:2]
    return QImage(frame.data, w, h, frame.strides[0], QImage.Format.Format_RGB888).copy()


def qimage_to_rgb(image: QImage) -> np.ndarray:
    """The inverse of `rgb_to_qimage` (tests and screenshots read the shown frame back)."""
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    w, h, bpl = image.width(), image.height(), image.bytesPerLine()
    buf = np.frombuffer(image.constBits(), np.uint8, count=h * bpl).reshape(h, bpl)
    return buf[:, : w * 3].reshape(h, w, 3).copy()


class _Decoder(QObject):
    """Lives in the decode thread."""

    frame_ready = Signal(int, QImage)
    failed = Signal(int, str)

    def __init__(self, reader, cache_bytes: int) -> None:
        super().__init__()
        self.reader = reader
        self._lock = threading.Lock()
        self._wanted: int | None = None
        self._cache: OrderedDict[int, QImage] = OrderedDict()
        self._cache_bytes = cache_bytes
        self._cached = 0
        self.busy = False

    def want(self, index: int) -> bool:
        """Record the newest wish; True when the thread must be woken up."""
        with self._lock:
            wake = self._wanted is None and not self.busy
            self._wanted = index
            return wake

    def cached(self, index: int) -> QImage | None:
        with self._lock:
            image = self._cache.get(index)
            if image is not None:
                self._cache.move_to_end(index)
            return image

    @Slot()
    def work(self) -> None:
        while True:
            with self._lock:
                index, self._wanted = self._wanted, None
                self.busy = index is not None
            if index is None:
                return
            try:
                image = self.cached(index)
                if image is None:
                    image = rgb_to_qimage(self.reader.frame(index))
                    self._store(index, image)
            except Exception as exc:  # a damaged frame must not kill the player
                log.warning("cannot decode frame %d: %s", index, exc)
                self.failed.emit(index, str(exc) or type(exc).__name__)
            else:
                self.frame_ready.emit(index, image)
            finally:
                with self._lock:
                    self.busy = False

    def _store(self, index: int, image: QImage) -> None:
        size = image.sizeInBytes()
        with self._lock:
            self._cache[index] = image
            self._cached += size
            while self._cached > self._cache_bytes and len(self._cache) > 1:
                _, old = self._cache.popitem(last=False)
                self._cached -= old.sizeInBytes()


class FrameLoader(QObject):
    """GUI-side handle: `request(i)`; `frame_ready(i, image)` arrives in the GUI thread."""

    frame_ready = Signal(int, QImage)
    failed = Signal(int, str)
    _wake = Signal()

    def __init__(self, reader, cache_mb: int = 256, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.reader = reader
        self.path = Path(str(reader.info.path))
        self._decoder = _Decoder(reader, max(cache_mb, 16) * 1024 * 1024)
        self._thread = start_thread("vatp-decode", owner=self)
        self._decoder.moveToThread(self._thread)
        self._wake.connect(self._decoder.work)
        self._decoder.frame_ready.connect(self._on_ready)
        self._decoder.failed.connect(self._on_failed)

    def request(self, index: int) -> None:
        """Ask for frame ``index``; a cached frame comes back at once, others after decoding."""
        image = self._decoder.cached(index)
        if image is not None:
            self.frame_ready.emit(index, image)
            return
        if self._decoder.want(index):
            self._wake.emit()

    @property
    def busy(self) -> bool:
        return self._decoder.busy

    @Slot(int, QImage)
    def _on_ready(self, index: int, image: QImage) -> None:
        self.frame_ready.emit(index, image)

    @Slot(int, str)
    def _on_failed(self, index: int, message: str) -> None:
        self.failed.emit(index, message)

    def close(self) -> None:
        """Stop the thread and close the reader."""
        stop_thread(self._thread)
        try:
            self.reader.close()
        except Exception:  # closing a reader must never take the app down
            log.debug("reader close failed", exc_info=True)
