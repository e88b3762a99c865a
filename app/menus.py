"""The main window's menu bar: File (with Open recent), Playback, Score and Help."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Callable

from PySide6.QtCore import QObject, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu

if TYPE_CHECKING:
    from .main_window import MainWindow

#: The Playback menu lists the shortcut table's own actions, grouped (one action per key).
PLAYBACK_GROUPS = (
    ("play_pause", "speed_up", "speed_down"),
    ("next_frame", "prev_frame", "forward_10pct", "back_10pct", "first_frame", "last_frame"),
    ("next_subaction", "prev_subaction", "loop_subaction"),
    ("zoom_fit", "zoom_100"),
)


class WindowMenus(QObject):
    """Builds the menus on ``window`` and keeps the actions whose enabled state follows the window."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        bar = window.menuBar()

        file_menu = bar.addMenu("&File")
        self._action(file_menu, "&Open video…", window.choose_video, QKeySequence.StandardKey.Open)
        self.recent_menu = QMenu("Open &recent", window)
        self.recent_menu.aboutToShow.connect(self.fill_recent_menu)
        file_menu.addMenu(self.recent_menu)
        self._action(file_menu, "Open scored &attempt (JSON)…", window.choose_result_json)
        self.save_action = self._action(
            file_menu, "&Save scored attempt", window.save_result, QKeySequence.StandardKey.Save, False
        )
        file_menu.addSeparator()
        self.report_action = self._action(file_menu, "Export &report (PDF)…", window.export_report, None, False)
        self._action(file_menu, "Export &clip of the sub-action (MP4)…", window.exporter.export_clip)
        self._action(file_menu, "Export &frame with drawings (PNG)…", window.exporter.export_frame)
        self.kva_action = self._action(
            file_menu, "Export &Kinovea key images (.kva)…", window.exporter.export_kva, None, False
        )
        file_menu.addSeparator()
        self._action(file_menu, "&Watch side by side…", window.side_by_side.choose)
        self._action(file_menu, "&Batch score folder…", window.open_batch)
        file_menu.addSeparator()
        self._action(file_menu, "Se&ttings…", window.open_settings, QKeySequence.StandardKey.Preferences)
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", window.close, QKeySequence.StandardKey.Quit)
        self.file_menu = file_menu

        self.score_menu = bar.addMenu("&Score")
        self.score_action = self._action(
            self.score_menu, "&Score this video", window.start_scoring, "Ctrl+Return", False
        )
        self.cancel_action = self._action(self.score_menu, "&Cancel scoring", window.cancel_scoring, "Ctrl+.", False)

        self.help_menu = bar.addMenu("&Help")
        self._action(self.help_menu, "&About VATP Studio", window.show_about)
        self.playback_menu: QMenu | None = None

    def _action(self, menu: QMenu, text: str, slot: Callable, shortcut=None, enabled: bool = True) -> QAction:
        action = QAction(text, self.window)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        action.setEnabled(enabled)
        menu.addAction(action)
        return action

    def add_playback_menu(self, actions: dict[str, QAction]) -> QMenu:
        """The shortcut table's actions, listed before Score so their keys can be discovered."""
        menu = QMenu("&Playback", self.window)
        for group in PLAYBACK_GROUPS:
            for name in group:
                if name in actions:
                    menu.addAction(actions[name])
            menu.addSeparator()
        self.window.menuBar().insertMenu(self.score_menu.menuAction(), menu)
        self.playback_menu = menu
        return menu

    def set_result_actions(self, enabled: bool) -> None:
        """Save and Export need a result on screen."""
        self.save_action.setEnabled(enabled)
        self.report_action.setEnabled(enabled)
        self.kva_action.setEnabled(enabled)

    def set_scoring(self, running: bool, can_score: bool) -> None:
        self.cancel_action.setEnabled(running)
        self.score_action.setEnabled(can_score and not running)

    @Slot()
    def fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        recent = self.window.settings.recent_files
        if not recent:
            self.recent_menu.addAction("(no recent videos)").setEnabled(False)
            return
        for path in recent:
            action = self.recent_menu.addAction(Path(path).name)
            action.setToolTip(path)
            action.setData(path)
            action.triggered.connect(self._open_recent)

    @Slot()
    def _open_recent(self) -> None:
        action = self.sender()
        if isinstance(action, QAction):
            self.window.open_video(action.data())

    def menu_shortcuts(self, table_actions: set[QAction]) -> dict[str, str]:
        """Key sequences of the menu items (not the player's table): {sequence: item text}."""
        out = {}
        for menu in (self.file_menu, self.score_menu, self.help_menu):
            for action in menu.actions():
                if action not in table_actions and not action.shortcut().isEmpty():
                    key = action.shortcut().toString(QKeySequence.SequenceFormat.PortableText)
                    out[key] = action.text().replace("&", "")
        return out
