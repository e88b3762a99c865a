"""Python's cyclic garbage collector, run on the GUI thread only.

The automatic collector runs in whichever thread happens to allocate. When a worker thread's allocation starts
a collection that frees a widget, PySide's destructor and the GIL deadlock (seen: a batch thread hung in
``gc_collect_main`` freeing a QWidget while the GUI thread waited). So the GUI process turns automatic
collection off and a timer on the GUI thread collects instead: the young generation every tick, the middle one
every 5th, all of them every 120th (a minute at the default interval: a full pass over a heap with torch
imported takes ~0.2 s, which the user should rarely wait for)."""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer, Slot


class MainThreadCollector(QObject):
    """Collects garbage cycles from the GUI thread's event loop; automatic collection stays off while it lives."""

    def __init__(self, parent: QObject | None = None, interval_ms: int = 500) -> None:
        super().__init__(parent)
        self._ticks = 0
        gc.disable()
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.check)
        self._timer.start()
        self.destroyed.connect(gc.enable)

    @Slot()
    def check(self) -> int:
        """One tick's collection; returns how many objects it found unreachable."""
        self._ticks += 1
        generation = 2 if self._ticks % 120 == 0 else 1 if self._ticks % 5 == 0 else 0
        return gc.collect(generation)


_installed: MainThreadCollector | None = None


def install(app: QObject) -> MainThreadCollector:
    """One collector for the GUI process, owned by the application object (idempotent)."""
    global _installed
    if _installed is None:
        _installed = MainThreadCollector(app)
    return _installed
