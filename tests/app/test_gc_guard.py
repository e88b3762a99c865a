"""Garbage cycles are collected on the GUI thread only (a worker thread's collection freeing a widget deadlocked)."""

from __future__ import annotations

import gc
import threading
import weakref

from PySide6.QtWidgets import QWidget

from app import gc_guard


class _Cycle:
    def __init__(self) -> None:
        self.me = self
        self.widget = QWidget()


def test_automatic_collection_is_off_and_the_gui_thread_collects(qapp, qtbot):
    gc_guard.install(qapp)
    assert not gc.isenabled()
    gc.collect()
    refs = []

    def make_garbage() -> None:  # a worker thread that allocates a lot never frees the widget cycles itself
        for _ in range(5):
            refs.append(weakref.ref(_Cycle()))
        junk = [[i] for i in range(10 * gc.get_threshold()[0])]  # would have started a collection here
        del junk

    worker = threading.Thread(target=make_garbage)
    worker.start()
    worker.join()
    assert all(r() is not None for r in refs)
    qtbot.waitUntil(lambda: all(r() is None for r in refs), timeout=10_000)  # the timer on the GUI thread
