"""Transport controls under the picture: play/pause, steps, position slider, frame number, timecode, speed."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QToolButton, QWidget

from vatp_core.time_format import timecode


class TransportBar(QWidget):
    """Buttons never take keyboard focus, so the player's shortcuts always reach the window."""

    play_toggled = Signal()
    step = Signal(int)
    seek = Signal(int)
    zoom_fit = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.play_button = self._button("▶", "Play / pause (Space)", self.play_toggled.emit)
        self.back_button = self._button("◀|", "Previous frame (←)", self._step_back)
        self.fwd_button = self._button("|▶", "Next frame (→)", self._step_forward)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.slider.setRange(0, 0)
        self.slider.valueChanged.connect(self._slider_moved)
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        self.frame_label = QLabel("frame –")
        self.frame_label.setObjectName("frameLabel")
        self.frame_label.setFont(mono)
        self.time_label = QLabel("--:--.---")
        self.time_label.setObjectName("timecodeLabel")
        self.time_label.setFont(mono)
        self.speed_label = QLabel("1×")
        self.speed_label.setToolTip("Playback speed (↑ / ↓)")
        self.fit_button = self._button("Fit", "Zoom to fit (Ctrl+0) / 100 % (Ctrl+1)", self._toggle_fit)
        self.fit_button.setCheckable(True)
        self.fit_button.setChecked(True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        for w in (self.back_button, self.play_button, self.fwd_button):
            layout.addWidget(w)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.frame_label)
        layout.addWidget(self.time_label)
        layout.addWidget(self.speed_label)
        layout.addWidget(self.fit_button)
        self._updating = False

    def _button(self, text: str, tip: str, slot) -> QToolButton:
        button = QToolButton()
        button.setText(text)
        button.setToolTip(tip)
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        button.clicked.connect(slot)
        return button

    @Slot()
    def _step_back(self) -> None:
        self.step.emit(-1)

    @Slot()
    def _step_forward(self) -> None:
        self.step.emit(1)

    @Slot()
    def _toggle_fit(self) -> None:
        self.zoom_fit.emit(self.fit_button.isChecked())

    @Slot(int)
    def _slider_moved(self, value: int) -> None:
        if not self._updating:
            self.seek.emit(value)

    def set_length(self, n_frames: int) -> None:
        self._updating = True
        self.slider.setRange(0, max(n_frames - 1, 0))
        self._updating = False

    def show_position(self, index: int, n_frames: int, seconds: float) -> None:
        """Frame number (1-based count shown as ``index / last``) and timecode of the shown frame."""
        self._updating = True
        self.slider.setValue(index)
        self._updating = False
        width = len(str(max(n_frames - 1, 0)))
        self.frame_label.setText(f"frame {index:>{width}} / {max(n_frames - 1, 0)}")
        self.time_label.setText(timecode(seconds))

    def show_playing(self, playing: bool) -> None:
        self.play_button.setText("❚❚" if playing else "▶")

    def show_speed(self, speed: float) -> None:
        self.speed_label.setText(f"{speed:g}×")

    def show_fit(self, fit: bool) -> None:
        self.fit_button.setChecked(fit)
        self.fit_button.setText("Fit" if fit else "100%")
