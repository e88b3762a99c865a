"""The player's keyboard shortcuts: one table (settings.shortcuts) turned into window-wide QActions."""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget

from vatp_core.settings import DEFAULT_SHORTCUTS

#: What each entry of the table does, as the settings dialog lists it.
SHORTCUT_LABELS: dict[str, str] = {
    "play_pause": "Play / pause",
    "next_frame": "Next frame",
    "prev_frame": "Previous frame",
    "next_frame_alt": "Next frame (alternative)",
    "prev_frame_alt": "Previous frame (alternative)",
    "first_frame": "First frame",
    "last_frame": "Last frame",
    "forward_10pct": "Forward 10 %",
    "back_10pct": "Back 10 %",
    "speed_up": "Faster",
    "speed_down": "Slower",
    "next_subaction": "Next sub-action start",
    "prev_subaction": "Previous sub-action start",
    "loop_subaction": "Loop the current sub-action",
    "zoom_fit": "Zoom to fit",
    "zoom_100": "Zoom 100 %",
}


def shortcut_conflicts(table: dict[str, str]) -> dict[str, list[str]]:
    """Key sequences bound to more than one action: {sequence: [action names]}."""
    seen: dict[str, list[str]] = {}
    for name, seq in table.items():
        key = QKeySequence(seq).toString(QKeySequence.SequenceFormat.PortableText)
        if key:
            seen.setdefault(key, []).append(name)
    return {k: v for k, v in seen.items() if len(v) > 1}


class ShortcutMap:
    """Owns one QAction per table entry on ``window``; `apply()` rebinds keys after the settings change."""

    def __init__(self, window: QWidget, handlers: dict[str, Callable[[], None]]) -> None:
        self.actions: dict[str, QAction] = {}
        for name in DEFAULT_SHORTCUTS:
            handler = handlers.get(name)
            if handler is None:
                continue
            action = QAction(SHORTCUT_LABELS.get(name, name), window)
            action.setObjectName(f"shortcut_{name}")
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.setAutoRepeat(True)
            action.triggered.connect(handler)
            window.addAction(action)
            self.actions[name] = action

    def apply(self, table: dict[str, str]) -> None:
        merged = {**DEFAULT_SHORTCUTS, **(table or {})}
        for name, action in self.actions.items():
            action.setShortcut(QKeySequence(merged.get(name, "")))

    def set_enabled(self, enabled: bool) -> None:
        for action in self.actions.values():
            action.setEnabled(enabled)
