"""Scoring from the window: the score job, Cancel, the missing-weights offer and the start-up device check.

Every job here carries its own outcome callbacks (methods of this GUI-thread object), see `app.worker`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal, Slot

from .dive_code_dialog import ask_dive_code, check_dive_code, pack_needs_dive_code, remembered_dive_code
from .worker import Job
from .worker_child import describe_device

if TYPE_CHECKING:
    from .main_window import MainWindow


class ScoringController(QObject):
    """Starts and cancels the window's score job and shows what came of it."""

    ended_without_result = Signal(str)  # a score job failed or was cancelled: what happened, in words

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.job: Job | None = None
        self.weights_job: Job | None = None
        self.athlete = ""
        self.asked_dive_code = False  # the running job's pack needed the dive code (kept in the sidecar)
        self._retry_after_weights = False

    @property
    def service(self):
        return self.window.service

    @staticmethod
    def _pending(job: Job | None) -> bool:
        return job is not None and job.status in ("queued", "running")

    @property
    def scoring(self) -> bool:
        """A score job is queued or running."""
        return self._pending(self.job)

    def start(self) -> Job | None:
        player = self.window.player
        if player.path is None or self.scoring:
            return None
        bar = self.window.score_bar
        bar.set_video_frames(player.n_frames)
        self.athlete = bar.athlete()  # the attempt is this athlete's, whatever is typed while it scores
        dive_code = None
        self.asked_dive_code = pack_needs_dive_code(bar.pack)
        if self.asked_dive_code:
            dive_code = self._ask_dive_code(player.path, bar.pack_combo.currentText() or bar.pack)
            if dive_code is None:
                self.window.show_status("Not scored: this pack needs the dive code.")
                return None
        self.job = self.service.score(
            player.path,
            pack=bar.pack,
            device=bar.device,
            dive_code=dive_code,
            on_done=self._on_scored,
            on_failed=self._on_score_failed,
            on_cancelled=self._on_cancelled,
        )
        self._set_running(True)
        return self.job

    def _ask_dive_code(self, video, pack_name: str) -> str | None:
        """The dive code for a fused pack: asked (prefilled with the remembered one); a scripted run takes that one."""
        offered = remembered_dive_code(video, self.window.result)
        if not self.window.interactive:
            return check_dive_code(offered)[0]
        return ask_dive_code(self.window, pack_name, offered)

    def cancel(self) -> None:
        for job in (self.job, self.weights_job):
            if self._pending(job):
                self.window.score_bar.show_cancelling()
                self.service.cancel(job)
                return

    def check_device(self) -> None:
        self.service.call(describe_device, uses_torch=False, process=True, on_done=self.window.show_status)

    def _set_running(self, running: bool) -> None:
        self.window.score_bar.set_running(running)
        can_score = self.window.player.path is not None
        self.window.menus.set_scoring(running, can_score)
        if not running:
            self.window.score_bar.score_button.setEnabled(can_score)

    # --- outcomes (GUI thread) -----------------------------------------------------------------
    @Slot(object)
    def _on_scored(self, result: Any) -> None:
        self._set_running(False)
        window = self.window
        summary = f"Scored {result.video_name}: {result.score_text()}"
        if result.warnings():
            summary += " — " + result.warnings()[0]
        if self.athlete and self.job is not None:
            result.athlete = self.athlete
            summary += " — " + window.library_tab.record_scored(result, self.job.video)
            window.fill_athletes()
        window.comparison.add_attempt(result)
        if self.asked_dive_code and self.job is not None and not self.athlete:  # (with an athlete it is saved anyway)
            try:  # remembered per video: the next Score offers this code again
                result.save_sidecar(self.job.video)
            except OSError as exc:
                summary += f" — the dive code is not remembered (cannot write beside the video: {exc.strerror or exc})"
        if self.job is None or not window.files.is_open_video(getattr(self.job, "video", "")):
            # Another video was opened while this one was scoring: keep the score, don't mix them up.
            window.show_status(summary + " (added to the Compare tab)")
            return
        window.show_result(result)
        took = sum(float(v) for v in (result.timings or {}).values())
        window.show_status(summary + (f" in {took:.1f} s" if took else ""))

    @Slot(object)
    def _on_cancelled(self, job: Job) -> None:
        self._set_running(False)
        self.window.show_status("Scoring cancelled.")
        self.ended_without_result.emit("cancelled")

    @Slot(object)
    def _on_score_failed(self, job: Job) -> None:
        self._set_running(False)
        self.ended_without_result.emit(f"failed: {job.error}")
        if job.missing_weights and self.window.interactive:
            self._offer_weights(job.exception)
        else:
            self.window.warn("Scoring failed", job.error)

    def _offer_weights(self, exc) -> None:
        from . import weights_dialog

        choice = weights_dialog.ask_for_weights(self.window, exc)
        if choice.action == "cancel":
            self.window.show_status("Scoring needs the backbone weights; nothing was scored.")
            return
        self._retry_after_weights = True
        self.weights_job = self.service.call(
            weights_dialog.install_job(choice),
            on_done=self._on_weights_installed,
            on_failed=self._on_weights_failed,
            on_cancelled=self._on_weights_cancelled,
        )
        self._set_running(True)

    @Slot(object)
    def _on_weights_installed(self, _result: Any) -> None:
        self._set_running(False)
        retry, self._retry_after_weights = self._retry_after_weights, False
        self.window.show_status("Backbone weights installed.")
        self.service.forget_scorers_later()
        if retry and self.window.player.path is not None:
            self.start()

    @Slot(object)
    def _on_weights_failed(self, job: Job) -> None:
        self._set_running(False)
        self._retry_after_weights = False
        self.window.warn("Weights not installed", job.error)

    @Slot(object)
    def _on_weights_cancelled(self, job: Job) -> None:
        self._set_running(False)
        self._retry_after_weights = False
