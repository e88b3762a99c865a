"""The scoring controls: model pack, device, Score, a progress bar per stage and Cancel."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QToolButton,
    QWidget,
)

from vatp_core.time_format import duration

from .settings_dialog import DEVICES, pack_choices

STAGE_NAMES = {
    "load": "Loading the model",
    "index": "Indexing video",
    "decode": "Decoding",
    "features": "Extracting features",
    "model": "Running VATP-Net",
    "explain": "Explaining the score",
    "download": "Downloading weights",
    "hash": "Checking file",
}


class ScoreBar(QWidget):
    score_clicked = Signal()
    cancel_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._video_frames, self._stage, self._stage_t0 = 0, "", 0.0
        self.pack_combo = QComboBox()
        self.pack_combo.setToolTip("Model pack used to score")
        self.pack_combo.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.pack_combo.setMinimumContentsLength(18)
        self.browse_button = QToolButton()
        self.browse_button.setText("…")
        self.browse_button.setToolTip("Use a model pack folder or .zip that is not installed")
        self.browse_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.browse_button.clicked.connect(self.choose_pack_path)
        self.details_button = QToolButton()
        self.details_button.setText("ⓘ")
        self.details_button.setObjectName("packDetailsButton")
        self.details_button.setToolTip("Pack details: training, calibration, test figures and baselines")
        self.details_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.details_button.clicked.connect(self.show_pack_details)
        self.pack_warning = QLabel("")  # the configured default pack is missing: say so, never a silent swap
        self.pack_warning.setObjectName("packMissingWarning")
        self.pack_warning.setStyleSheet("color: #b45309; font-weight: bold")
        self.pack_warning.hide()
        self.device_combo = QComboBox()
        self.device_combo.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        for value, label in DEVICES:
            self.device_combo.addItem(value.upper() if value != "auto" else "Auto", value)
            self.device_combo.setItemData(self.device_combo.count() - 1, label, Qt.ItemDataRole.ToolTipRole)
        self.athlete_combo = QComboBox()
        self.athlete_combo.setEditable(True)
        self.athlete_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.athlete_combo.setMinimumContentsLength(14)
        self.athlete_combo.lineEdit().setPlaceholderText("athlete (optional)")
        self.athlete_combo.setToolTip("Who performed the routine: attempts scored with an athlete enter the Library")
        self.score_button = QPushButton("Score")
        self.score_button.setObjectName("scoreButton")
        self.score_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.score_button.setEnabled(False)
        self.score_button.clicked.connect(self.score_clicked)
        self.stage_label = QLabel("")
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(300)
        self.progress.setTextVisible(True)
        self.progress.hide()
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.cancel_button.clicked.connect(self.cancel_clicked)
        self.cancel_button.hide()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.addWidget(QLabel("Pack"))
        layout.addWidget(self.pack_combo)
        layout.addWidget(self.browse_button)
        layout.addWidget(self.details_button)
        layout.addWidget(self.pack_warning)
        layout.addWidget(QLabel("Device"))
        layout.addWidget(self.device_combo)
        layout.addWidget(QLabel("Athlete"))
        layout.addWidget(self.athlete_combo)
        layout.addWidget(self.score_button)
        layout.addStretch(1)
        layout.addWidget(self.stage_label)
        layout.addWidget(self.progress)
        layout.addWidget(self.cancel_button)

    def set_athletes(self, names: list[str]) -> None:
        """The library's athletes to choose from; what is typed stays."""
        typed = self.athlete_combo.currentText()
        self.athlete_combo.clear()
        self.athlete_combo.addItems(names)
        self.athlete_combo.setEditText(typed)

    def athlete(self) -> str:
        return " ".join(self.athlete_combo.currentText().split())

    def fill_packs(self, current: str = "") -> None:
        """Installed packs and the demo; ``current`` ("" = demo) is selected, with a warning when it is missing."""
        self.pack_combo.clear()
        for value, label in pack_choices():
            self.pack_combo.addItem(label.split(" — ")[0] if value else "Demo pack (synthetic)", value or "demo")
            self.pack_combo.setItemData(self.pack_combo.count() - 1, label, Qt.ItemDataRole.ToolTipRole)
        index = self.pack_combo.findData(current or "demo")
        missing = ""
        if index < 0 and current:
            if Path(current).expanduser().exists():  # a default given as a pack's path, as the CLI accepts it
                self.add_pack_path(str(Path(current).expanduser()))
                index = self.pack_combo.currentIndex()
            else:
                missing = current
        self.pack_combo.setCurrentIndex(max(index, 0))
        text = f"⚠ Default pack {missing!r} is not installed (or damaged) — the demo pack is selected"
        self.pack_warning.setText(text if missing else "")
        self.pack_warning.setToolTip(
            "Install the pack again (vatp packs install PATH) or choose another default in Settings" if missing else ""
        )
        self.pack_warning.setVisible(bool(missing))

    def add_pack_path(self, path: str) -> None:
        """Offer (and select) a pack given by its path."""
        index = self.pack_combo.findData(path)
        if index < 0:
            self.pack_combo.addItem(Path(path).name, path)
            self.pack_combo.setItemData(self.pack_combo.count() - 1, path, Qt.ItemDataRole.ToolTipRole)
            index = self.pack_combo.count() - 1
        self.pack_combo.setCurrentIndex(index)

    @Slot()
    def choose_pack_path(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Model pack", "", "Model packs (manifest.json *.zip);;All files (*)"
        )
        if path:
            self.add_pack_path(str(Path(path).parent) if Path(path).name == "manifest.json" else path)

    @Slot()
    def show_pack_details(self) -> None:
        from .pack_details import PackDetailsDialog

        PackDetailsDialog(self.pack, self).exec()

    def set_device(self, device: str) -> None:
        self.device_combo.setCurrentIndex(max(self.device_combo.findData(device), 0))

    @property
    def pack(self) -> str:
        return self.pack_combo.currentData() or "demo"

    @property
    def device(self) -> str:
        return self.device_combo.currentData() or "auto"

    def set_running(self, running: bool) -> None:
        self.score_button.setEnabled(not running)
        self.pack_combo.setEnabled(not running)
        self.device_combo.setEnabled(not running)
        self.athlete_combo.setEnabled(not running)
        self.progress.setVisible(running)
        self.cancel_button.setVisible(running)
        self.cancel_button.setEnabled(True)
        self._stage = ""
        if running:
            self.progress.setRange(0, 0)
            self.stage_label.setText("Loading the model…")
        else:
            self.stage_label.setText("")

    def set_video_frames(self, n_frames: int) -> None:
        """Frames of the video being scored: feature extraction then shows frames/s and the time left."""
        self._video_frames = max(0, int(n_frames))

    @Slot(str, int, int)
    def show_progress(self, stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if stage != self._stage:
            self._stage, self._stage_t0 = stage, now
        self.stage_label.setText(STAGE_NAMES.get(stage, stage.capitalize()))
        if total > 0:
            self.progress.setRange(0, total)
            self.progress.setValue(min(done, total))
            rate = self._rate_text(stage, done, total, now - self._stage_t0)
            self.progress.setFormat(f"{done}/{total}" + rate)
            self.progress.setToolTip(rate.strip(" ·"))
        else:
            self.progress.setRange(0, 0)

    def _rate_text(self, stage: str, done: int, total: int, elapsed: float) -> str:
        """`` · 120 frames/s · 4s left`` while features are extracted (once a clip is done), else ``""``."""
        n_frames = self._video_frames
        if stage != "features" or done <= 0 or done >= total or elapsed <= 0 or n_frames <= 0:
            return ""
        fraction = done / total
        fps = fraction * n_frames / elapsed
        left = elapsed * (1 - fraction) / fraction
        return f" · {fps:.0f} frames/s · {duration(left)} left"

    def show_cancelling(self) -> None:
        self.stage_label.setText("Cancelling…")
        self.cancel_button.setEnabled(False)
