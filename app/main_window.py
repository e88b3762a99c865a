"""The main window: menus, the empty state, the review tab (player, timeline, score panel), the comparison tab.

It wires the views together and talks to the model only through the inference worker (`app.worker`).
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QMainWindow,
    QMenu,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from vatp_core import paths
from vatp_core.settings import Settings, load_settings, save_settings
from vatp_core.video import VIDEO_EXTENSIONS, is_video_filename

from .about import show_about
from .comparison_tab import ComparisonTab
from .empty_state import EmptyState
from .player import Player
from .score_bar import ScoreBar
from .score_panel import ScorePanel
from .shortcuts import ShortcutMap
from .subaction_nav import next_start, prev_start, segment_at
from .timeline import Timeline
from .worker import InferenceService, Job

log = logging.getLogger(__name__)

VIDEO_FILTER = "Videos ({});;All files (*)".format(" ".join(f"*{ext}" for ext in VIDEO_EXTENSIONS))
RESULT_FILTER = "Score results (*.vatp.json *.json);;All files (*)"
SCORE_TAG = "score"


class MainWindow(QMainWindow):
    result_shown = Signal(object)  # a ScoreResult now on screen (scored, or loaded from its JSON)

    def __init__(self, settings: Settings | None = None, scorer_factory=None, device_check: bool = True) -> None:
        super().__init__()
        self.settings = settings or load_settings()
        self.result = None
        self.interactive = True  # False: messages go to stderr instead of dialogs (scripted runs)
        self._pending_missing_weights = None
        self._retry_job: Job | None = None
        self._score_job: Job | None = None
        self.setWindowTitle("VATP Studio")
        self.setAcceptDrops(True)
        self.resize(1280, 800)

        # --- views ---------------------------------------------------------------------------
        self.player = Player(frame_cache_mb=self.settings.frame_cache_mb)
        self.timeline = Timeline()
        self.score_panel = ScorePanel()
        self.score_bar = ScoreBar()
        self.score_bar.fill_packs(self.settings.default_pack)
        self.score_bar.set_device(self.settings.device)
        self.comparison = ComparisonTab()

        top = QSplitter(Qt.Orientation.Horizontal)
        top.addWidget(self.player)
        top.addWidget(self.score_panel)
        top.setStretchFactor(0, 3)
        top.setStretchFactor(1, 1)
        vertical = QSplitter(Qt.Orientation.Vertical)
        vertical.addWidget(top)
        vertical.addWidget(self.timeline)
        vertical.setStretchFactor(0, 4)
        vertical.setStretchFactor(1, 1)
        self.review = QWidget()
        review_layout = QVBoxLayout(self.review)
        review_layout.setContentsMargins(0, 0, 0, 0)
        review_layout.addWidget(self.score_bar)
        review_layout.addWidget(vertical, 1)

        self.stack = QStackedWidget()
        self.empty_state = EmptyState()
        self.stack.addWidget(self.empty_state)
        self.stack.addWidget(self.review)
        self.tabs = QTabWidget()
        self.tabs.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.tabs.addTab(self.stack, "Review")
        self.tabs.addTab(self.comparison, "Compare")
        self.setCentralWidget(self.tabs)

        # --- worker --------------------------------------------------------------------------
        self.service = InferenceService(scorer_factory=scorer_factory, parent=self)
        self.service.progress.connect(self.score_bar.show_progress)
        self.service.job_started.connect(self._on_job_started)
        self.service.job_ended.connect(self._on_job_ended)
        self.service.missing_weights.connect(self._on_missing_weights)

        # --- wiring --------------------------------------------------------------------------
        self.player.position_changed.connect(self.timeline.set_position)
        self.player.video_opened.connect(self._on_video_opened)
        self.player.decode_failed.connect(self._show_status)
        self.timeline.seek_requested.connect(self.player.seek)
        self.score_panel.subaction_clicked.connect(self.show_subaction)
        self.score_bar.score_clicked.connect(self.start_scoring)
        self.score_bar.cancel_clicked.connect(self.cancel_scoring)
        self.comparison.attempt_activated.connect(self.review_attempt)
        self.empty_state.open_requested.connect(self.choose_video)
        self.empty_state.demo_requested.connect(self.open_demo)
        self.tabs.currentChanged.connect(self._on_tab_changed)

        self._build_menus()
        self.shortcuts = ShortcutMap(
            self,
            {
                "play_pause": self.player.play_pause,
                "next_frame": self.player.next_frame,
                "prev_frame": self.player.prev_frame,
                "next_frame_alt": self.player.next_frame,
                "prev_frame_alt": self.player.prev_frame,
                "first_frame": self.player.first_frame,
                "last_frame": self.player.last_frame,
                "forward_10pct": self.player.forward_10pct,
                "back_10pct": self.player.back_10pct,
                "speed_up": self.player.speed_up,
                "speed_down": self.player.speed_down,
                "next_subaction": self.next_subaction,
                "prev_subaction": self.prev_subaction,
                "loop_subaction": self.loop_subaction,
                "zoom_fit": self.player.zoom_fit,
                "zoom_100": self.player.zoom_100,
            },
        )
        self.shortcuts.apply(self.settings.shortcuts)
        self._build_playback_menu()
        self.statusBar().showMessage("Ready")
        geometry = self._window_state().value("main_window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        if device_check:
            # After the window is up: import torch in the worker and say which device will score.
            QTimer.singleShot(1500, self._check_device)

    @staticmethod
    def _window_state() -> QSettings:
        """Window geometry only; it follows VATP_HOME like every other user file."""
        return QSettings(str(paths.config_dir() / "window.ini"), QSettings.Format.IniFormat)

    # --- menus -------------------------------------------------------------------------------
    def _action(self, menu: QMenu, text: str, slot, shortcut=None, enabled: bool = True) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        action.setEnabled(enabled)
        menu.addAction(action)
        return action

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self._action(file_menu, "&Open video…", self.choose_video, QKeySequence.StandardKey.Open)
        self.recent_menu = QMenu("Open &recent", self)
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        file_menu.addMenu(self.recent_menu)
        self._action(file_menu, "Open scored &attempt (JSON)…", self.choose_result_json)
        self.save_action = self._action(
            file_menu, "&Save scored attempt", self.save_result, QKeySequence.StandardKey.Save, False
        )
        file_menu.addSeparator()
        self.report_action = self._action(file_menu, "Export &report (PDF)…", self.export_report, None, False)
        self._action(file_menu, "&Batch score folder…", self.open_batch)
        file_menu.addSeparator()
        self._action(file_menu, "Se&ttings…", self.open_settings, QKeySequence.StandardKey.Preferences)
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", self.close, QKeySequence.StandardKey.Quit)
        self.file_menu = file_menu

        score_menu = self.menuBar().addMenu("&Score")
        self.score_action = self._action(score_menu, "&Score this video", self.start_scoring, "Ctrl+Return", False)
        self.cancel_action = self._action(score_menu, "&Cancel scoring", self.cancel_scoring, "Ctrl+.", False)
        self.score_menu = score_menu

        help_menu = self.menuBar().addMenu("&Help")
        self._action(help_menu, "&About VATP Studio", self.show_about)
        self.help_menu = help_menu

    def _build_playback_menu(self) -> None:
        """The shortcut table's own actions, listed so their keys can be discovered (one action per key)."""
        menu = QMenu("&Playback", self)
        groups = (
            ("play_pause", "speed_up", "speed_down"),
            ("next_frame", "prev_frame", "forward_10pct", "back_10pct", "first_frame", "last_frame"),
            ("next_subaction", "prev_subaction", "loop_subaction"),
            ("zoom_fit", "zoom_100"),
        )
        for group in groups:
            for name in group:
                if name in self.shortcuts.actions:
                    menu.addAction(self.shortcuts.actions[name])
            menu.addSeparator()
        self.menuBar().insertMenu(self.score_menu.menuAction(), menu)
        self.playback_menu = menu

    @Slot()
    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        if not self.settings.recent_files:
            self.recent_menu.addAction("(no recent videos)").setEnabled(False)
            return
        for path in self.settings.recent_files:
            action = self.recent_menu.addAction(Path(path).name)
            action.setToolTip(path)
            action.setData(path)
            action.triggered.connect(self._open_recent)

    @Slot()
    def _open_recent(self) -> None:
        action = self.sender()
        if isinstance(action, QAction):
            self.open_video(action.data())

    @Slot()
    def show_about(self) -> None:
        show_about(self)

    def warn(self, title: str, text: str) -> None:
        """A message box, or with ``interactive`` off (--screenshot runs) a line on stderr: never block a script."""
        if self.interactive:
            QMessageBox.warning(self, title, text)
        else:
            print(f"vatp-studio: {title}: {text}", file=sys.stderr, flush=True)
        self.statusBar().showMessage(f"{title}: {text.splitlines()[0]}", 10000)

    @Slot(str)
    def _show_status(self, message: str) -> None:
        self.statusBar().showMessage(message, 8000)

    # --- opening videos ----------------------------------------------------------------------
    @Slot()
    def choose_video(self) -> None:
        start = str(Path(self.settings.recent_files[0]).parent) if self.settings.recent_files else ""
        path, _ = QFileDialog.getOpenFileName(self, "Open video", start, VIDEO_FILTER)
        if path:
            self.open_video(path)

    def open_video(self, path: str | Path, load_sidecar: bool = True) -> bool:
        """Show the video in the player; a file that cannot be opened gives a message and changes nothing."""
        from vatp_core.errors import VATPError

        path = Path(path)
        if not path.is_file():
            self.warn("Cannot open video", f"The file {path} does not exist.")
            return False
        try:
            self.player.open(path)
        except (VATPError, OSError, ValueError) as exc:
            self.warn("Cannot open video", f"{path.name} cannot be opened as a video.\n\n{exc}")
            return False
        self.settings.add_recent(path)
        save_settings(self.settings)
        self.statusBar().showMessage(f"Opened {path}", 8000)
        if load_sidecar:
            self._load_sidecar(path)
        return True

    @Slot(object)
    def _on_video_opened(self, info) -> None:
        self.stack.setCurrentWidget(self.review)
        self.tabs.setCurrentIndex(0)
        self.setWindowTitle(f"{Path(str(info.path)).name} — VATP Studio")
        self.timeline.set_video(info.n_frames, info.fps)
        self.show_result(None)
        self.score_bar.score_button.setEnabled(not self.scoring)
        self.score_action.setEnabled(not self.scoring)

    def _load_sidecar(self, video: Path) -> None:
        """Re-open a saved score beside the video without re-scoring, when it belongs to this video."""
        from vatp_core.result import ScoreResult

        sidecar = ScoreResult.sidecar_path(video)
        if not sidecar.is_file():
            return
        try:
            result = ScoreResult.from_json(sidecar)
        except Exception as exc:  # a damaged sidecar is reported, the video stays open
            self._show_status(f"Saved score {sidecar.name} could not be read: {exc}")
            return
        if int(result.video.get("n_frames") or -1) != self.player.n_frames:
            self._show_status(f"{sidecar.name} belongs to another version of this video; not loaded.")
            return
        self.show_result(result)
        self.comparison.add_attempt(result)
        self._show_status(f"Loaded the saved score {sidecar.name} (press Score to score again).")

    @Slot()
    def open_demo(self, score: bool = True) -> bool:
        """Open the bundled demo routine with the demo pack selected, and score it (unless a saved score loads)."""
        index = self.score_bar.pack_combo.findData("demo")
        if index >= 0:
            self.score_bar.pack_combo.setCurrentIndex(index)
        if not self.open_video(paths.demo_video_path()):
            return False
        if score and self.result is None:
            self.start_scoring()
        return True

    @Slot(int)
    def _on_tab_changed(self, index: int) -> None:
        """Player keys act only in the Review tab (the Compare tab's lists and tables keep their arrows)."""
        self.shortcuts.set_enabled(index == 0)

    # --- scoring -----------------------------------------------------------------------------
    @Slot()
    def start_scoring(self) -> Job | None:
        if self.player.path is None or self.scoring:
            return None
        self._score_job = self.service.score(
            self.player.path, pack=self.score_bar.pack, device=self.score_bar.device, tag=SCORE_TAG
        )
        self.score_bar.set_running(True)
        self.cancel_action.setEnabled(True)
        self.score_action.setEnabled(False)
        return self._score_job

    @property
    def scoring(self) -> bool:
        """A score job is queued or running."""
        return self._score_job is not None and self._score_job.status in ("queued", "running")

    @Slot()
    def cancel_scoring(self) -> None:
        if self.scoring:
            self.score_bar.show_cancelling()
            self.service.cancel(self._score_job)
        elif self.service.current is not None and self.service.current.tag == "weights":
            self.score_bar.show_cancelling()
            self.service.cancel(self.service.current)

    def _is_open_video(self, path) -> bool:
        try:
            return self.player.path is not None and Path(path).resolve() == self.player.path.resolve()
        except (OSError, ValueError):
            return False

    @Slot(object)
    def _on_job_started(self, job: Job) -> None:
        if job.tag == "weights":
            self.score_bar.set_running(True)
            self.cancel_action.setEnabled(True)
            self.score_action.setEnabled(False)

    @Slot(object)
    def _on_job_ended(self, job: Job) -> None:
        if job.tag == "device-check":
            if job.status == "done":
                self._show_status(job.result)
            return
        if job.tag not in (SCORE_TAG, "weights"):
            return
        self.score_bar.set_running(False)
        self.cancel_action.setEnabled(False)
        self.score_action.setEnabled(self.player.path is not None)
        self.score_bar.score_button.setEnabled(self.player.path is not None)
        if job.tag == "weights":
            self._after_weights(job)
            return
        if job.status == "done":
            result = job.result
            self.comparison.add_attempt(result)
            if not self._is_open_video(getattr(job, "video", "")):
                # Another video was opened while this one was scoring: keep the score, don't mix them up.
                self._show_status(
                    f"Scored {result.video_name}: {result.mean:.2f} ± {result.std:.2f} (added to the Compare tab)"
                )
                return
            self.show_result(result)
            took = sum(float(v) for v in (result.timings or {}).values())
            self._show_status(
                f"Scored {result.video_name}: {result.mean:.2f} ± {result.std:.2f}"
                + (f" in {took:.1f} s" if took else "")
            )
        elif job.status == "cancelled":
            self._show_status("Scoring cancelled.")
        elif job.status == "failed":
            if self._pending_missing_weights is not None and self.interactive:
                exc, self._pending_missing_weights = self._pending_missing_weights, None
                self._offer_weights(exc, job)
            else:
                self._pending_missing_weights = None
                self.warn("Scoring failed", job.error)

    @Slot(object)
    def _on_missing_weights(self, exc: object) -> None:
        self._pending_missing_weights = exc

    def _offer_weights(self, exc, job: Job) -> None:
        from .weights_dialog import ask_for_weights, install_job

        choice = ask_for_weights(self, exc)
        if choice.action == "cancel":
            self._show_status("Scoring needs the backbone weights; nothing was scored.")
            return
        self._retry_job = job
        self.service.call(install_job(choice), tag="weights")

    def _after_weights(self, job: Job) -> None:
        retry, self._retry_job = self._retry_job, None
        if job.status == "done":
            self._show_status("Backbone weights installed.")
            self.service.forget_scorers_later()
            if retry is not None and self.player.path is not None:
                self.start_scoring()
        elif job.status == "failed":
            self.warn("Weights not installed", job.error)

    @Slot()
    def _check_device(self) -> None:
        def check(ctx):
            from vatp_core.sysinfo import torch_device_summary

            _, device = torch_device_summary()
            if device.startswith("CUDA"):
                return f"GPU: {device.split(':', 1)[1].strip()}"
            return "No GPU found — scoring on the CPU (slower)"

        self.service.call(check, tag="device-check", uses_torch=False)

    # --- results -----------------------------------------------------------------------------
    def show_result(self, result) -> None:
        """Put a ScoreResult on screen (None clears the score views)."""
        self.result = result
        self.timeline.set_result(result)
        self.score_panel.set_result(result)
        self.save_action.setEnabled(result is not None)
        self.report_action.setEnabled(result is not None)
        if result is None:
            self.player.set_loop(None)
        else:
            self.result_shown.emit(result)

    @Slot()
    def save_result(self) -> Path | None:
        """Write the shown result beside its video (``<video>.vatp.json``)."""
        if self.result is None:
            return None
        video = self.player.path or Path(str(self.result.video.get("path", "")))
        try:
            path = self.result.save_sidecar(video)
        except (OSError, ValueError) as exc:
            self.warn("Cannot save", f"The score could not be saved beside the video: {exc}")
            return None
        self._show_status(f"Saved {path}")
        return path

    @Slot()
    def choose_result_json(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open scored attempt", "", RESULT_FILTER)
        if path:
            self.open_result_json(path)

    def open_result_json(self, path: str | Path) -> bool:
        """Open a saved score: its video (when it is still there) and the result, without re-scoring."""
        from vatp_core.result import ScoreResult

        path = Path(path)
        try:
            result = ScoreResult.from_json(path)
        except Exception as exc:
            self.warn("Cannot open score", f"{path.name} is not a readable score result.\n\n{exc}")
            return False
        self.review_attempt(result, json_path=path)
        self.comparison.add_attempt(result)
        return True

    @Slot(object)
    def review_attempt(self, result, json_path: Path | None = None) -> None:
        """Show an attempt in the review tab, with its video when it can be found."""
        candidates = [Path(str(result.video.get("path", "")))]
        if json_path is not None and json_path.name.endswith(".vatp.json"):
            candidates.insert(0, json_path.with_name(json_path.name[: -len(".vatp.json")]))
        video = next((c for c in candidates if str(c) and c.is_file()), None)
        if video is not None and (self.player.path is None or video.resolve() != self.player.path.resolve()):
            self.open_video(video, load_sidecar=False)
        elif video is None:
            self._show_status(f"The video of this attempt ({result.video_name}) was not found; showing the score only.")
        self.show_result(result)
        self.tabs.setCurrentIndex(0)

    @Slot()
    def export_report(self) -> None:
        if self.result is None:
            return
        from .report import export_report_dialog

        # The report's cumulative comparison: the first other attempt ticked in the Compare tab, if any.
        reference = next((r for r in self.comparison.checked() if r is not self.result), None)
        path = export_report_dialog(self, self.result, video_path=self.player.path, reference=reference)
        if path:
            self._show_status(f"Report written to {path}")

    @Slot()
    def open_batch(self) -> None:
        from .batch_dialog import BatchDialog

        dialog = BatchDialog(self, worker=self.service)
        dialog.exec()
        self._take_batch_labels(getattr(getattr(dialog, "summary", None), "out_csv", None))

    def _take_batch_labels(self, out_csv) -> None:
        """A batch run with true scores: show its CS curve and scatter in Compare → Labelled set."""
        from .comparison_tab import read_batch_results

        if not out_csv or not Path(out_csv).is_file():
            return
        try:
            labelled = read_batch_results(Path(out_csv))
        except (OSError, ValueError) as exc:
            self._show_status(f"Batch results could not be read: {exc}")
            return
        if labelled is not None and len(labelled.pred):
            self.comparison.show_labelled(labelled)
            self._show_status(f"{len(labelled.pred)} labelled videos from the batch are in Compare → Labelled set.")

    # --- sub-action navigation -----------------------------------------------------------------
    def _segments(self) -> list:
        return list(self.result.segments) if self.result is not None else []

    @Slot()
    def next_subaction(self) -> None:
        frame = next_start(self._segments(), self.player.target)
        if frame is not None:
            self.player.pause()
            self.player.seek(frame)

    @Slot()
    def prev_subaction(self) -> None:
        frame = prev_start(self._segments(), self.player.target)
        if frame is not None:
            self.player.pause()
            self.player.seek(frame)

    @Slot(int)
    def show_subaction(self, index: int) -> None:
        """Go to the start of sub-action ``index`` (a click on its contribution bar)."""
        seg = next((s for s in self._segments() if s.index == index), None)
        if seg is None:
            self._show_status("This sub-action was not placed in time.")
            return
        self.player.pause()
        self.player.seek(seg.start_frame)
        self._show_status(f"{seg.name}: frames {seg.start_frame}–{seg.end_frame}, contribution {seg.contribution:+.2f}")

    @Slot()
    def loop_subaction(self) -> None:
        """Loop the sub-action under the playhead; pressed again, stop looping."""
        if self.player.loop is not None:
            self.player.set_loop(None)
            self.player.pause()
            self._show_status("Loop off")
            return
        seg = segment_at(self._segments(), self.player.target)
        if seg is None:
            self._show_status("No sub-action under the playhead to loop.")
            return
        self.player.set_loop((seg.start_frame, seg.end_frame))
        self.player.seek(seg.start_frame)
        self.player.play()
        self._show_status(f"Looping {seg.name} (frames {seg.start_frame}–{seg.end_frame}); press L again to stop")

    # --- settings ----------------------------------------------------------------------------
    @Slot()
    def open_settings(self) -> None:
        from .settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.settings, self, reserved=self.menu_shortcuts())
        if dialog.exec():
            self.apply_settings(dialog.result_settings())

    def menu_shortcuts(self) -> dict[str, str]:
        """Key sequences of the menu items (not the player's table): {sequence: item text}."""
        table_actions = set(self.shortcuts.actions.values())
        out = {}
        for menu in (self.file_menu, self.score_menu, self.help_menu):
            for action in menu.actions():
                if action not in table_actions and not action.shortcut().isEmpty():
                    out[action.shortcut().toString(QKeySequence.SequenceFormat.PortableText)] = action.text().replace(
                        "&", ""
                    )
        return out

    def apply_settings(self, settings: Settings) -> None:
        self.settings = settings
        save_settings(settings)
        self.shortcuts.apply(settings.shortcuts)
        self.score_bar.fill_packs(settings.default_pack)
        self.score_bar.set_device(settings.device)
        self.player.frame_cache_mb = settings.frame_cache_mb

    # --- drag and drop -----------------------------------------------------------------------
    @staticmethod
    def _dropped_video(event: QDragEnterEvent | QDropEvent) -> str | None:
        mime = event.mimeData()
        if not mime.hasUrls():
            return None
        for url in mime.urls():
            if url.isLocalFile() and (is_video_filename(url.toLocalFile()) or url.toLocalFile().endswith(".vatp.json")):
                return url.toLocalFile()
        return None

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._dropped_video(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        path = self._dropped_video(event)
        if path:
            event.acceptProposedAction()
            if path.endswith(".vatp.json"):
                self.open_result_json(path)
            else:
                self.open_video(path)

    def closeEvent(self, event) -> None:
        self._window_state().setValue("main_window/geometry", self.saveGeometry())
        self.player.close_video()
        self.service.shutdown()
        super().closeEvent(event)
