"""Long-lived helper threads (inference, decoding) that outlive any careless owner without crashing Qt.

A QThread destroyed while running aborts the process, and Python may drop a window (and everything it
owns) at any time. So every helper thread is registered here: its owner asks it to stop when the owner
is destroyed, and whatever is still running at interpreter exit is stopped and joined.
"""

from __future__ import annotations

import atexit
import threading

from PySide6.QtCore import QObject, QThread

_live: dict[QThread, threading.Event | None] = {}


def start_thread(name: str, owner: QObject | None = None, cancel: threading.Event | None = None) -> QThread:
    """Start a QThread kept alive by this registry; it quits when ``owner`` is destroyed."""
    thread = QThread()
    thread.setObjectName(name)
    _live[thread] = cancel
    if owner is not None:
        owner.destroyed.connect(thread.quit)
        if cancel is not None:
            owner.destroyed.connect(cancel.set)
    thread.start()
    return thread


def stop_thread(thread: QThread, wait_ms: int = 5000) -> bool:
    """Quit and join one registered thread; True when it stopped."""
    cancel = _live.get(thread)
    if cancel is not None:
        cancel.set()
    thread.quit()
    stopped = thread.wait(wait_ms)
    if stopped:
        _live.pop(thread, None)
    return stopped


def live_threads() -> list[QThread]:
    """Registered threads still running (tests check nothing leaks)."""
    for thread in [t for t in _live if t.isFinished()]:
        _live.pop(thread, None)
    return list(_live)


@atexit.register
def stop_all() -> None:
    for thread in list(_live):
        stop_thread(thread, 10_000)
