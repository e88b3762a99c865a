"""The GUI side of the worker process: starts it (spawn), sends it jobs, reads its replies without blocking.

The process (`app.worker_child.child_main`) owns torch and the model, so importing torch and loading a pack
never hold the GUI's interpreter lock. Replies arrive as plain data on a pipe, read either by a
QSocketNotifier in the GUI thread (POSIX: the pipe is a socket) or by a small reader thread that hands each
message to the GUI thread through a queued signal (Windows, where a pipe handle cannot be watched by a
QSocketNotifier; ``VATP_PIPE_READER=thread`` or ``reader="thread"`` selects it anywhere). Cancel is cooperative first (a shared event the job polls between clips); a job still
running ``CANCEL_GRACE_S`` later — e.g. inside the model load, which cannot poll — is ended by killing the
process, so Cancel takes effect within a second at every stage; the next job starts a fresh process. A
process that dies on its own (out of memory, a CUDA crash) fails its job with one line and is likewise
restarted at the next job.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import sys
import threading
from typing import Any

from PySide6.QtCore import QObject, QSocketNotifier, Qt, QTimer, Signal, Slot

from vatp_core.errors import VATPError
from vatp_core.result import ScoreResult

from .worker_child import child_main

log = logging.getLogger(__name__)

CANCEL_GRACE_S = 0.4
READERS = ("notifier", "thread")


def default_reader() -> str:
    """How replies are read: a reader thread on Windows, the socket notifier elsewhere; VATP_PIPE_READER overrides."""
    chosen = os.environ.get("VATP_PIPE_READER", "").strip().lower()
    if chosen in READERS:
        return chosen
    return "thread" if sys.platform == "win32" else "notifier"


def _read_pipe(conn: Any, generation: int, arrived: Any) -> None:
    """The reader thread: every message of one process's pipe to ``arrived`` (queued), then None at its end.

    It alone closes this connection (closing it from the GUI thread while recv() waits on it could leave the
    thread reading a reused descriptor); it ends when the process exits or is killed.
    """
    try:
        while True:
            try:
                message = conn.recv()
            except (EOFError, OSError):
                arrived.emit(generation, None)
                return
            arrived.emit(generation, message)
    except RuntimeError:  # the link was deleted (the app is closing): nobody is listening
        pass
    finally:
        conn.close()


class RemoteError(VATPError):
    """A job's error as raised in the worker process: its message, class names and simple attributes."""

    def __init__(self, message: str, class_names: list[str], attrs: dict[str, Any]) -> None:
        super().__init__(message)
        self.class_names = list(class_names)
        for key, value in attrs.items():
            if not hasattr(self, key):
                setattr(self, key, value)


def _exit_reason(code: int | None) -> str:
    if code is None:
        return "it stopped answering"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"killed by {name}" + (" — out of memory?" if -code == signal.SIGKILL else "")
    return f"exit code {code}"


class ProcessLink(QObject):
    """One worker process at a time and the job it runs; ``job_ended(job)`` when that job has an outcome."""

    progress = Signal(str, int, int)
    posted = Signal(object, object)  # the job, what it posted
    job_ended = Signal(object)
    _arrived = Signal(int, object)  # from the reader thread: (process generation, message or None at the end)

    def __init__(
        self, factory_spec: str | None = None, parent: QObject | None = None, reader: str | None = None
    ) -> None:
        super().__init__(parent)
        self.factory_spec = factory_spec
        self.reader = reader or default_reader()
        if self.reader not in READERS:
            raise ValueError(f"reader must be one of {READERS}, not {self.reader!r}")
        self._arrived.connect(self._on_arrived, Qt.ConnectionType.QueuedConnection)
        self._mp = multiprocessing.get_context("spawn")  # never fork a process that runs Qt
        self.process: Any = None
        self._conn: Any = None
        self._notifier: QSocketNotifier | None = None
        self._cancel = self._mp.Event()
        self.job: Any = None
        self._draining: int | None = None  # id of a cancelled job the process has not stopped yet
        self._pending: tuple | None = None  # the payload of ``job``, sent once the cancelled one has stopped
        self.restarts = 0  # processes started after the first (a crash, or a kill on Cancel)
        self._starts = 0
        self._grace = QTimer(self)
        self._grace.setSingleShot(True)
        self._grace.timeout.connect(self._end_cancelled_job)

    # --- process lifetime ------------------------------------------------------------------------
    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.is_alive()

    def start(self) -> None:
        """Start the process now (it imports nothing heavy until its first job)."""
        if self.alive:
            return
        self._teardown()
        if self._starts:
            self.restarts += 1
        self._starts += 1
        parent_conn, child_conn = self._mp.Pipe(duplex=True)
        self._cancel = self._mp.Event()
        process = self._mp.Process(
            target=child_main, args=(child_conn, self._cancel, self.factory_spec), name="vatp-worker", daemon=True
        )
        process.start()
        child_conn.close()
        self.process, self._conn = process, parent_conn
        if self.reader == "thread":
            threading.Thread(
                target=_read_pipe, args=(parent_conn, self._starts, self._arrived), name="vatp-worker-pipe", daemon=True
            ).start()
        else:
            self._notifier = QSocketNotifier(parent_conn.fileno(), QSocketNotifier.Type.Read, self)
            self._notifier.activated.connect(self._read)

    def _teardown(self, kill: bool = False, wait_s: float = 0.0) -> int | None:
        """Stop watching the pipe and (with ``kill``) end the process without waiting; its exit code if known.

        A killed process is reaped by multiprocessing when the next one starts: the GUI never blocks on it.
        """
        if self._notifier is not None:
            self._notifier.setEnabled(False)
            self._notifier.deleteLater()
            self._notifier = None
        if self._conn is not None:
            if self.reader == "notifier":  # the reader thread closes its own connection when the process ends
                self._conn.close()
            self._conn = None
        code = None
        if self.process is not None:
            if kill and self.process.is_alive():
                self.process.kill()
            self.process.join(wait_s)
            code = self.process.exitcode
            self.process = None
        return code

    def shutdown(self, timeout_s: float = 0.3) -> None:
        """Ask the process to exit; kill it if it has not within ``timeout_s`` (it holds nothing unsaved)."""
        self._grace.stop()
        if self.alive and self._conn is not None:
            self._cancel.set()
            try:
                self._conn.send(("stop",))
            except OSError:
                pass
            self.process.join(timeout_s)
        self._teardown(kill=True)
        self.job, self._draining, self._pending = None, None, None

    # --- jobs ------------------------------------------------------------------------------------
    def run(self, job: Any, payload: tuple) -> None:
        """Send a job to the process (started or restarted first); its outcome comes as ``job_ended``."""
        self.job = job
        job.status = "running"
        if self._draining is not None:  # a cancelled job is still stopping: this one goes next
            self._pending = payload
            return
        self._send(job, payload)

    def _send(self, job: Any, payload: tuple) -> None:
        if not self.alive:
            self.start()
        self._cancel.clear()
        try:
            self._conn.send(("job", job.id, payload, job.uses_torch))
        except Exception as exc:  # e.g. a function that cannot be pickled
            self._finish(job, "failed", error=f"Unexpected error: the job could not be sent: {exc}", exception=exc)

    def _send_pending(self) -> None:
        payload, self._pending = self._pending, None
        if payload is not None and self.job is not None:
            self._send(self.job, payload)

    def forget_scorers(self) -> None:
        """The process drops its loaded scorers after the job it runs (e.g. new weights were installed)."""
        if self.alive and self._conn is not None:
            self._conn.send(("forget",))

    def cancel(self) -> None:
        """The job ends as cancelled now; the process stops it cooperatively or is killed after the grace period.

        Whatever the process still produces for it (a model load that could not be interrupted) is discarded.
        """
        job = self.job
        if job is None:
            return
        if self._pending is not None:  # it was never sent
            self._pending = None
        else:
            self._cancel.set()
            self._draining = job.id
            self._grace.start(int(CANCEL_GRACE_S * 1000))
        self._finish(job, "cancelled")

    @Slot()
    def _end_cancelled_job(self) -> None:
        if self._draining is None:
            return
        log.info(
            "job %s did not stop within %.1f s of Cancel: the worker process is ended", self._draining, CANCEL_GRACE_S
        )
        self._draining = None
        self._teardown(kill=True)  # whatever it was loading is discarded; the next job starts afresh
        self._send_pending()

    # --- replies (GUI thread) --------------------------------------------------------------------
    @Slot(int, object)
    def _on_arrived(self, generation: int, message: Any) -> None:
        if generation != self._starts or self._conn is None:  # from a process already torn down
            return
        if message is None:
            self._crashed()
        else:
            self._handle(message)

    @Slot()
    def _read(self) -> None:
        conn = self._conn
        while conn is not None and conn is self._conn:
            try:
                if not conn.poll():
                    return
                message = conn.recv()
            except (EOFError, OSError):
                self._crashed()
                return
            self._handle(message)

    def _handle(self, message: tuple) -> None:
        kind, job_id = message[0], message[1]
        if job_id == self._draining:
            if kind not in ("progress", "post"):  # the cancelled job has stopped: its outcome is dropped
                self._grace.stop()
                self._draining = None
                self._send_pending()
            return
        job = self.job
        if job is None or job.id != job_id:
            return
        if kind == "progress":
            self.progress.emit(message[2], message[3], message[4])
        elif kind == "post":
            self.posted.emit(job, message[2])
        elif kind == "done":
            value_kind, value = message[2], message[3]
            try:
                result = ScoreResult.from_dict(value) if value_kind == "score" else value
            except VATPError as exc:
                self._finish(job, "failed", error=str(exc), exception=exc)
                return
            self._finish(job, "done", result=result)
        elif kind == "failed":
            _, _, text, names, attrs = message
            self._finish(job, "failed", error=text, exception=RemoteError(text, names, attrs))
        elif kind == "cancelled":
            self._finish(job, "cancelled")

    def _crashed(self) -> None:
        code = self._teardown(wait_s=0.5)
        if self._draining is not None:  # it died while a cancelled job was stopping: nothing is lost
            self._grace.stop()
            self._draining = None
            self._send_pending()
            return
        job = self.job
        text = f"The scoring process stopped unexpectedly ({_exit_reason(code)}); it restarts at the next job."
        log.warning(text)
        if job is not None:
            self._finish(job, "failed", error=text, exception=VATPError(text))

    def _finish(self, job: Any, status: str, result: Any = None, error: str = "", exception: Any = None) -> None:
        if self.job is job:
            self.job = None
        job.status, job.result, job.error, job.exception = status, result, error, exception
        self.job_ended.emit(job)
