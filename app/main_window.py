"""The main window shell: the empty state and the Review and Compare tabs, the worker, settings, drag and drop.

The parts live in their own modules: `app.review_tab` (player, timeline, score panel), `app.comparison_tab`,
`app.menus`, `app.opening` (videos, saved scores, sidecars) and `app.scoring` (score jobs). The window
talks to the model only through the inference worker (`app.worker`).
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QMainWindow, QMessageBox, QStackedWidget, QTabWidget

from vatp_core import paths
from vatp_core.settings import Settings, load_settings, save_settings
from vatp_core.video import is_video_filename

from .about import show_about
from .comparison_tab import ComparisonTab
from .empty_state import EmptyState
from .exports import Exporter
from .library import LibraryTab
from .menus import WindowMenus
from .opening import FileOpener
from .review_tab import ReviewTab
from .scoring import ScoringController
from .shortcuts import ShortcutMap
from .side_by_side import SideBySide
from .worker import InferenceService, Job

log = logging.getLogger(__name__)


class MainWindow(QMainWindow):
    result_shown = Signal(object)  # a ScoreResult now on screen (scored, or loaded from its JSON)

    def __init__(self, settings: Settings | None = None, scorer_factory=None, device_check: bool = True) -> None:
        super().__init__()
        self.settings = settings or load_settings()
        self.interactive = True  # False: messages go to stderr instead of dialogs (scripted runs)
        self._closed = False
        self.setWindowTitle("VATP Studio")
        self.setAcceptDrops(True)
        self.resize(1280, 800)

        # --- tabs ----------------------------------------------------------------------------
        self.review = ReviewTab(self.settings)
        self.player = self.review.player
        self.timeline = self.review.timeline
        self.score_panel = self.review.score_panel
        self.score_bar = self.review.score_bar
        self.comparison = ComparisonTab()
        self.stack = QStackedWidget()
        self.empty_state = EmptyState()
        self.stack.addWidget(self.empty_state)
        self.stack.addWidget(self.review)
        self.tabs = QTabWidget()
        self.tabs.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.tabs.addTab(self.stack, "Review")
        self.tabs.addTab(self.comparison, "Compare")
        self.library_tab = LibraryTab()
        self.tabs.addTab(self.library_tab, "Library")
        self.setCentralWidget(self.tabs)

        # --- worker and the window's parts ---------------------------------------------------
        self.service = InferenceService(scorer_factory=scorer_factory, parent=self)
        self.service.progress.connect(self.score_bar.show_progress)
        self.files = FileOpener(self)
        self.score_jobs = ScoringController(self)
        self.side_by_side = SideBySide(self)
        self.exporter = Exporter(self)
        self.menus = WindowMenus(self)
        self.recent_menu = self.menus.recent_menu
        self.save_action = self.menus.save_action
        self.report_action = self.menus.report_action

        # --- wiring --------------------------------------------------------------------------
        self.player.video_opened.connect(self._on_video_opened)
        self.review.status.connect(self.show_status)
        self.score_bar.score_clicked.connect(self.start_scoring)
        self.score_bar.cancel_clicked.connect(self.cancel_scoring)
        self.comparison.attempt_activated.connect(self.review_attempt)
        self.comparison.side_by_side_requested.connect(self.open_side_by_side)
        self.library_tab.review_requested.connect(self.review_attempt)
        self.library_tab.compare_requested.connect(self.compare_attempts)
        self.library_tab.side_by_side_requested.connect(self.open_side_by_side)
        self.library_tab.status.connect(self.show_status)
        self.empty_state.open_requested.connect(self.choose_video)
        self.empty_state.demo_requested.connect(self.open_demo)
        self.tabs.currentChanged.connect(self._on_tab_changed)

        self.shortcuts = ShortcutMap(self, self.review.player_actions())
        self.shortcuts.apply(self.settings.shortcuts)
        self.playback_menu = self.menus.add_playback_menu(self.shortcuts.actions)
        self.statusBar().showMessage("Ready")
        geometry = self._window_state().value("main_window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        # the library opens after the window is up (the window as context: a deleted window's call is dropped)
        QTimer.singleShot(0, self, self.fill_athletes)
        if device_check:
            # After the window is up: import torch in the worker and say which device will score.
            QTimer.singleShot(1500, self, self.score_jobs.check_device)

    @staticmethod
    def _window_state() -> QSettings:
        """Window geometry only; it follows VATP_HOME like every other user file."""
        return QSettings(str(paths.config_dir() / "window.ini"), QSettings.Format.IniFormat)

    # --- messages ----------------------------------------------------------------------------
    def warn(self, title: str, text: str) -> None:
        """A message box, or with ``interactive`` off (--screenshot runs) a line on stderr: never block a script."""
        if self.interactive:
            QMessageBox.warning(self, title, text)
        else:
            print(f"vatp-studio: {title}: {text}", file=sys.stderr, flush=True)
        self.statusBar().showMessage(f"{title}: {text.splitlines()[0]}", 10000)

    @Slot(str)
    def show_status(self, message: str) -> None:
        self.statusBar().showMessage(message, 8000)

    @Slot()
    def show_about(self) -> None:
        show_about(self)

    # --- files (app.opening) -----------------------------------------------------------------
    @Slot()
    def choose_video(self) -> None:
        self.files.choose_video()

    def open_video(self, path: str | Path, load_sidecar: bool = True) -> bool:
        """Show the video in the player; a file that cannot be opened gives a message and changes nothing."""
        return self.files.open_video(path, load_sidecar)

    @Slot()
    def open_demo(self, score: bool = True) -> bool:
        return self.files.open_demo(score)

    @Slot()
    def choose_result_json(self) -> None:
        self.files.choose_result_json()

    def open_result_json(self, path: str | Path) -> bool:
        return self.files.open_result_json(path)

    @Slot(object)
    def review_attempt(self, result, json_path: Path | None = None) -> None:
        self.files.review_attempt(result, json_path)

    def open_side_by_side(self, first, second) -> bool:
        """Watch two attempts side by side in the Review tab (each a ScoreResult, a result JSON or a video path)."""
        return self.side_by_side.open(first, second)

    @Slot()
    def save_result(self) -> Path | None:
        return self.files.save_result()

    # --- the library (app.library) -----------------------------------------------------------
    @Slot(list)
    def compare_attempts(self, results: list) -> None:
        """Attempts picked in the Library: side by side in the Compare tab."""
        self.comparison.show_only(results)
        self.tabs.setCurrentWidget(self.comparison)

    def show_library(self, path: str | Path | None = None) -> None:
        """The Library tab, optionally on another library file."""
        if path is not None:
            self.library_tab.use_library(path)
        self.tabs.setCurrentWidget(self.library_tab)

    def fill_athletes(self) -> None:
        """The athletes the score bar offers: the library's (opening it when first needed)."""
        self.score_bar.set_athletes(self.library_tab.athletes())

    @Slot(object)
    def _on_video_opened(self, info) -> None:
        self.stack.setCurrentWidget(self.review)
        self.tabs.setCurrentIndex(0)
        self.setWindowTitle(f"{Path(str(info.path)).name} — VATP Studio")
        self.review.set_video(info.n_frames, info.fps)
        self.show_result(None)
        self.score_bar.score_button.setEnabled(not self.scoring)
        self.menus.score_action.setEnabled(not self.scoring)

    @Slot(int)
    def _on_tab_changed(self, index: int) -> None:
        """Player keys act only in the Review tab (the Compare tab's lists and tables keep their arrows)."""
        shortcuts = self.__dict__.get("shortcuts")  # None while a window that was never closed is collected
        if shortcuts is not None:
            shortcuts.set_enabled(index == 0)

    # --- scoring (app.scoring) ---------------------------------------------------------------
    @Slot()
    def start_scoring(self) -> Job | None:
        return self.score_jobs.start()

    @Slot()
    def cancel_scoring(self) -> None:
        self.score_jobs.cancel()

    @property
    def scoring(self) -> bool:
        """A score job is queued or running."""
        return self.score_jobs.scoring

    # --- results -----------------------------------------------------------------------------
    @property
    def result(self):
        """The ScoreResult on screen, or None."""
        return self.review.result

    def show_result(self, result) -> None:
        """Put a ScoreResult on screen (None clears the score views)."""
        self.review.show_result(result)
        self.menus.set_result_actions(result is not None)
        if result is not None:
            self.result_shown.emit(result)

    @Slot()
    def export_report(self) -> None:
        if self.result is None:
            return
        from .report import export_report_dialog

        # The report's cumulative comparison: the first other attempt ticked in the Compare tab, if any.
        reference = next((r for r in self.comparison.checked() if r is not self.result), None)
        path = export_report_dialog(self, self.result, video_path=self.player.path, reference=reference)
        if path:
            self.show_status(f"Report written to {path}")

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
            self.show_status(f"Batch results could not be read: {exc}")
            return
        if labelled is not None and len(labelled.pred):
            self.comparison.show_labelled(labelled)
            self.show_status(f"{len(labelled.pred)} labelled videos from the batch are in Compare → Labelled set.")

    # --- settings ----------------------------------------------------------------------------
    @Slot()
    def open_settings(self) -> None:
        from .settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.settings, self, reserved=self.menu_shortcuts())
        if dialog.exec():
            self.apply_settings(dialog.result_settings())

    def menu_shortcuts(self) -> dict[str, str]:
        """Key sequences of the menu items (not the player's table): {sequence: item text}."""
        return self.menus.menu_shortcuts(set(self.shortcuts.actions.values()))

    def apply_settings(self, settings: Settings) -> None:
        self.settings = settings
        save_settings(settings)
        self.shortcuts.apply(settings.shortcuts)
        self.review.apply_settings(settings)

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
        if not self._closed:  # the tabs go away while the window is deleted: no tab-change slot then
            self._closed = True
            self.tabs.currentChanged.disconnect(self._on_tab_changed)
        self.library_tab.close_library()
        self.player.close_video()
        self.service.shutdown()
        super().closeEvent(event)
