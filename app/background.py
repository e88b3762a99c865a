"""File writing off the GUI thread: a task in Qt's thread pool with progress, Cancel and a one-line outcome.

For exports (MP4 clips, side-by-side clips) whose encoder is plain Python: the work runs in a pool thread,
``fn(progress, cancel)`` with ``progress(done, total)`` and ``cancel() -> bool`` to poll; what it returns,
the message of the error it raises, or its cancellation comes back to the GUI thread as a signal. The file
itself is written atomically by the encoder, so a cancelled or failed export leaves the destination as it was.
"""

from __future__ import annotations

import logging
import threading
import traceback
from typing import Any, Callable

from PySide6.QtCore import QCoreApplication, QObject, QRunnable, Qt, QThreadPool, Signal, Slot
from PySide6.QtWidgets import QProgressDialog, QWidget

from vatp_core.errors import Cancelled, VATPError

log = logging.getLogger(__name__)

Work = Callable[[Callable[[int, int], None], Callable[[], bool]], Any]


class BackgroundTask(QObject):
    """One piece of work in the pool; ``done(result)``, ``failed(message)`` or ``cancelled()`` once, in the GUI thread."""

    progress = Signal(int, int)
    done = Signal(object)
    failed = Signal(str)
    cancelled = Signal()
    _ended = Signal(str, object)  # from the pool thread: ("done" | "failed" | "cancelled", value)

    def __init__(self, fn: Work, parent: QObject | None = None) -> None:
        # Always owned by a GUI-thread parent (the application when none is given): the pool thread may drop
        # the last Python reference, and a parentless QObject would then be destroyed outside its thread.
        super().__init__(parent if parent is not None else QCoreApplication.instance())
        self._fn = fn
        self._cancel = threading.Event()
        self.finished = False
        self.dialog: QProgressDialog | None = None
        self._ended.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    def start(self, pool: QThreadPool | None = None) -> BackgroundTask:
        (pool or QThreadPool.globalInstance()).start(_Runnable(self))
        return self

    def cancel(self) -> None:
        """Ask the work to stop at its next poll (the outcome is then ``cancelled``)."""
        self._cancel.set()

    def _run(self) -> None:  # in the pool thread
        try:
            if self._cancel.is_set():  # cancelled while it waited for a pool thread
                raise Cancelled()
            value = self._fn(self._report, self._cancel.is_set)
        except Cancelled:
            outcome: tuple[str, Any] = ("cancelled", None)
        except (VATPError, OSError) as exc:
            outcome = ("failed", str(exc) or type(exc).__name__)
        except Exception as exc:  # an export bug must not take the app down
            log.error("background task failed:\n%s", "".join(traceback.format_exception(exc)))
            outcome = ("failed", f"Unexpected error: {type(exc).__name__}: {exc}")
        else:
            outcome = ("done", value)
        try:
            self._ended.emit(*outcome)
        except RuntimeError:  # the task's owner was deleted meanwhile (the window closed)
            pass

    def _report(self, done: int, total: int) -> None:
        try:
            self.progress.emit(int(done), int(total))
        except RuntimeError:
            self._cancel.set()

    @Slot(str, object)
    def _deliver(self, how: str, value: Any) -> None:
        self.finished = True
        if how == "done":
            self.done.emit(value)
        elif how == "cancelled":
            self.cancelled.emit()
        else:
            self.failed.emit(value)
        if self.parent() is QCoreApplication.instance():
            self.deleteLater()  # nothing else owns it


class _Runnable(QRunnable):
    def __init__(self, task: BackgroundTask) -> None:
        super().__init__()
        self.task = task

    def run(self) -> None:
        self.task._run()


def run_with_progress(parent: QWidget, label: str, fn: Work, pool: QThreadPool | None = None) -> BackgroundTask:
    """Start ``fn`` in the background (``pool``, default Qt's global one) with a non-modal progress dialog whose
    Cancel stops it; the window stays usable."""
    task = BackgroundTask(fn, parent)
    dialog = QProgressDialog(label, "Cancel", 0, 0, parent)
    dialog.setWindowTitle(label.rstrip("…"))
    dialog.setWindowModality(Qt.WindowModality.NonModal)
    dialog.setMinimumDuration(400)  # a short export never flashes a dialog
    dialog.setAutoClose(False)
    dialog.setAutoReset(False)
    dialog.canceled.connect(task.cancel)
    task.progress.connect(lambda done, total: (dialog.setMaximum(max(total, 1)), dialog.setValue(done)))
    for signal in (task.done, task.failed, task.cancelled):
        signal.connect(dialog.deleteLater)
    task.dialog = dialog
    return task.start(pool)
