"""Settings dialog: default model pack, device, cache sizes and the shortcut table (remappable)."""

from __future__ import annotations

import copy

from PySide6.QtCore import Slot
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHeaderView,
    QKeySequenceEdit,
    QLabel,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from vatp_core.settings import DEFAULT_SHORTCUTS, Settings

from .shortcuts import SHORTCUT_LABELS, shortcut_conflicts

DEVICES = (("auto", "Automatic (GPU when there is one)"), ("cuda", "GPU (CUDA)"), ("cpu", "CPU"))


def pack_choices() -> list[tuple[str, str]]:
    """(value stored in settings, label) for every usable pack; "" is the bundled demo pack."""
    from vatp_core.pack import installed_packs

    choices = [("", "Bundled demo pack (synthetic — not for judging)")]
    for info in installed_packs():
        if info.ok:
            label = info.name + (f" — {info.manifest.label}" if info.manifest.label else "")
            choices.append((info.name, label))
    return choices


def missing_default_pack() -> str:
    """The configured default pack when it is set but neither installed (and usable) nor an existing path, else ""."""
    from pathlib import Path

    from vatp_core.settings import load_settings

    name = load_settings().default_pack
    if not name or name == "demo" or Path(name).expanduser().exists():
        return ""
    return "" if name in {value for value, _ in pack_choices()} else name


class SettingsDialog(QDialog):
    def __init__(
        self, settings: Settings, parent: QWidget | None = None, reserved: dict[str, str] | None = None
    ) -> None:
        """``reserved``: key sequences the menus already use ({sequence: menu item}); a shortcut may not take them."""
        super().__init__(parent)
        self.reserved = {
            QKeySequence(k).toString(QKeySequence.SequenceFormat.PortableText): v
            for k, v in (reserved or {}).items()
            if k
        }
        self.setWindowTitle("Settings")
        self.resize(560, 520)
        self.settings = copy.deepcopy(settings)

        general = QWidget()
        form = QFormLayout(general)
        self.pack_combo = QComboBox()
        for value, label in pack_choices():
            self.pack_combo.addItem(label, value)
        if self.settings.default_pack and self.pack_combo.findData(self.settings.default_pack) < 0:
            self.pack_combo.addItem(f"{self.settings.default_pack} (not installed)", self.settings.default_pack)
        self.pack_combo.setCurrentIndex(max(self.pack_combo.findData(self.settings.default_pack), 0))
        self.device_combo = QComboBox()
        for value, label in DEVICES:
            self.device_combo.addItem(label, value)
        self.device_combo.setCurrentIndex(max(self.device_combo.findData(self.settings.device), 0))
        self.cache_spin = QSpinBox()
        self.cache_spin.setRange(0, 1_000_000)
        self.cache_spin.setSingleStep(512)
        self.cache_spin.setSuffix(" MB")
        self.cache_spin.setValue(self.settings.cache_size_mb)
        self.frame_cache_spin = QSpinBox()
        self.frame_cache_spin.setRange(16, 16384)
        self.frame_cache_spin.setSingleStep(64)
        self.frame_cache_spin.setSuffix(" MB")
        self.frame_cache_spin.setValue(self.settings.frame_cache_mb)
        form.addRow("Default model pack", self.pack_combo)
        form.addRow("Device", self.device_combo)
        form.addRow("Feature cache on disk", self.cache_spin)
        self.frame_cache_spin.setToolTip(
            "Memory for decoded frames: the step-back cache and the scrub cache of the selected sub-action"
        )
        form.addRow("Player frame memory", self.frame_cache_spin)

        keys = QWidget()
        keys_layout = QVBoxLayout(keys)
        self.table = QTableWidget(len(DEFAULT_SHORTCUTS), 2)
        self.table.setHorizontalHeaderLabels(["Action", "Shortcut"])
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().hide()
        self.key_edits: dict[str, QKeySequenceEdit] = {}
        for row, name in enumerate(DEFAULT_SHORTCUTS):
            item = QTableWidgetItem(SHORTCUT_LABELS.get(name, name))
            item.setToolTip(name)
            self.table.setItem(row, 0, item)
            edit = QKeySequenceEdit(QKeySequence(self.settings.shortcuts.get(name, DEFAULT_SHORTCUTS[name])))
            edit.setMaximumSequenceLength(1)
            edit.keySequenceChanged.connect(self._check_conflicts)
            self.table.setCellWidget(row, 1, edit)
            self.key_edits[name] = edit
        self.conflict_label = QLabel("")
        self.conflict_label.setStyleSheet("color: #C8413B;")
        self.conflict_label.setWordWrap(True)
        reset = QPushButton("Reset to defaults")
        reset.clicked.connect(self.reset_shortcuts)
        keys_layout.addWidget(self.table, 1)
        keys_layout.addWidget(self.conflict_label)
        keys_layout.addWidget(reset)

        tabs = QTabWidget()
        tabs.addTab(general, "General")
        tabs.addTab(keys, "Shortcuts")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(tabs)
        layout.addWidget(self.buttons)

    def shortcut_table(self) -> dict[str, str]:
        return {
            name: edit.keySequence().toString(QKeySequence.SequenceFormat.PortableText)
            for name, edit in self.key_edits.items()
        }

    @Slot()
    def _check_conflicts(self, *args) -> None:
        table = self.shortcut_table()
        conflicts = shortcut_conflicts(table)
        lines = [
            f"{key} is used by " + " and ".join(SHORTCUT_LABELS.get(n, n) for n in names)
            for key, names in conflicts.items()
        ]
        for name, seq in table.items():
            if seq in self.reserved:
                lines.append(
                    f"{seq} is the menu's {self.reserved[seq]!r}, not free for {SHORTCUT_LABELS.get(name, name)}"
                )
                conflicts[seq] = [name]
        text = "; ".join(lines)
        self.conflict_label.setText(text)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not conflicts)

    @Slot()
    def reset_shortcuts(self) -> None:
        for name, edit in self.key_edits.items():
            edit.setKeySequence(QKeySequence(DEFAULT_SHORTCUTS[name]))

    def result_settings(self) -> Settings:
        """The edited settings (apply them only when the dialog was accepted)."""
        out = copy.deepcopy(self.settings)
        out.default_pack = self.pack_combo.currentData() or ""
        out.device = self.device_combo.currentData() or "auto"
        out.cache_size_mb = self.cache_spin.value()
        out.frame_cache_mb = self.frame_cache_spin.value()
        out.shortcuts = self.shortcut_table()
        return out
