"""Two attempts side by side in the Review tab with one transport, synced by sub-action, by an offset, or free.

Each pane is a frame-exact `Player` (its own decoder, its own drawings) whose transport is hidden; the
shared transport drives A, and B shows the frame the `vatp_core.sync.SyncMap` puts beside A's. Each pane
says its own frame number, timecode and sub-action.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QSpinBox, QVBoxLayout, QWidget

from vatp_core.sync import SyncMap, subaction_sync
from vatp_core.time_format import timecode

from .drawings.overlay import DrawingOverlay
from .player import Player
from .transport_bar import TransportBar

MODE_LABELS = {"subaction": "Sync by sub-action", "offset": "Sync by offset", "free": "Free"}


@dataclass
class Attempt:
    """A video to watch, with its scored result when there is one (needed for the sub-action sync)."""

    video: Path
    result: object | None = None

    @property
    def segments(self) -> list:
        return list(getattr(self.result, "segments", None) or [])


class DualPane(QWidget):
    """One side: caption (name · frame · timecode · sub-action) over a player without its own transport."""

    def __init__(self, name: str, frame_cache_mb: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.attempt: Attempt | None = None
        self.player = Player(frame_cache_mb=frame_cache_mb)
        self.player.transport.hide()
        self.overlay = DrawingOverlay(parent=self)
        self.player.view.set_overlay(self.overlay)
        self.caption = QLabel(f"{name}: –")
        self.caption.setObjectName(f"dualCaption{name}")
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        self.caption.setFont(mono)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.caption)
        layout.addWidget(self.player, 1)
        self.player.position_changed.connect(self._show_caption)

    def open(self, attempt: Attempt) -> None:
        """Open the attempt's video (raises VideoError, nothing changed, when it cannot be read)."""
        self.player.open(attempt.video)
        self.attempt = attempt
        self.player.set_segments(attempt.segments)
        info = self.player.info
        self.overlay.set_video(info.path, (int(info.width), int(info.height)))

    def subaction_name(self, frame: int) -> str:
        result = self.attempt.result if self.attempt is not None else None
        seg = result.segment_at(frame) if result is not None else None
        return seg.name if seg is not None else "—"

    def caption_text(self, frame: int) -> str:
        p = self.player
        width = len(str(max(p.n_frames - 1, 0)))
        title = self.attempt.video.name if self.attempt is not None else ""
        return (
            f"{self.name} {title} · frame {frame:>{width}} / {max(p.n_frames - 1, 0)} · "
            f"{timecode(p.timestamp(frame))} · {self.subaction_name(frame)}"
        )

    @Slot(int)
    def _show_caption(self, frame: int) -> None:
        self.caption.setText(self.caption_text(frame))

    def close_video(self) -> None:
        self.player.close_video()
        self.attempt = None


class DualPlayer(QWidget):
    """Attempt A and attempt B, one transport; `sync` maps A's frame to B's."""

    closed = Signal()
    status = Signal(str)

    def __init__(self, frame_cache_mb: int = 256, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # one frame budget for the window: each side gets half of it
        self.a = DualPane("A", frame_cache_mb // 2)
        self.b = DualPane("B", frame_cache_mb // 2)
        self.sync = SyncMap("free")
        self.transport = TransportBar()
        self.mode_box = QComboBox()
        for mode, label in MODE_LABELS.items():
            self.mode_box.addItem(label, mode)
        self.mode_box.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.mode_box.currentIndexChanged.connect(lambda _: self.set_mode(self.mode_box.currentData()))
        self.offset_box = QSpinBox()
        self.offset_box.setRange(-1_000_000, 1_000_000)
        self.offset_box.setPrefix("B − A = ")
        self.offset_box.setSuffix(" frames")
        self.offset_box.setToolTip("Offset mode: B shows A's frame plus this many frames")
        self.offset_box.valueChanged.connect(self._offset_changed)
        self.close_button = QPushButton("Single view")
        self.close_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.close_button.clicked.connect(self.closed.emit)
        self.export_button = QPushButton("Export side by side…")
        self.export_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)

        views = QHBoxLayout()
        views.setSpacing(4)
        views.addWidget(self.a, 1)
        views.addWidget(self.b, 1)
        controls = QHBoxLayout()
        controls.addWidget(self.mode_box)
        controls.addWidget(self.offset_box)
        controls.addStretch(1)
        controls.addWidget(self.export_button)
        controls.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(controls)
        layout.addLayout(views, 1)
        layout.addWidget(self.transport)

        self.transport.step.connect(self.step)
        self.transport.seek.connect(self.seek)
        self.transport.play_toggled.connect(self.play_pause)
        self.transport.zoom_fit.connect(self.set_fit)
        self.a.player.position_changed.connect(self._a_shown)
        self.a.player.playing_changed.connect(self._a_playing)

    # --- opening -------------------------------------------------------------------------------
    def open(self, a: Attempt, b: Attempt) -> None:
        """Open both attempts (a VideoError leaves the dual player closed); sub-action sync when both are scored."""
        self.close_videos()
        try:
            self.a.open(a)
            self.b.open(b)
        except Exception:
            self.close_videos()
            raise
        self.transport.set_length(self.a.player.n_frames)
        mode = "subaction" if a.segments and b.segments else "offset"
        if self.mode_box.currentData() == mode:
            self.set_mode(mode)
        else:
            self.mode_box.setCurrentIndex(list(MODE_LABELS).index(mode))

    def close_videos(self) -> None:
        self.a.close_video()
        self.b.close_video()

    @property
    def is_open(self) -> bool:
        return self.a.attempt is not None and self.b.attempt is not None

    # --- sync ----------------------------------------------------------------------------------
    def set_mode(self, mode: str) -> None:
        """Sub-action sync (needs both results), offset (from where the two are now) or free."""
        a, b = self.a.player, self.b.player
        if mode == "subaction" and not (self.a.attempt and self.a.attempt.segments and self.b.attempt.segments):
            self.status.emit("Sync by sub-action needs both attempts scored; using an offset instead.")
            mode = "offset"
        if mode == "subaction":
            self.sync = subaction_sync(self.a.attempt.segments, self.b.attempt.segments, b.n_frames)
        elif mode == "offset":
            offset = b.target - a.target if self.sync.mode == "free" else self.offset_box.value()
            self.sync = SyncMap("offset", b.n_frames, offset=offset)
            self.offset_box.blockSignals(True)
            self.offset_box.setValue(offset)
            self.offset_box.blockSignals(False)
        else:
            self.sync = SyncMap("free", b.n_frames)
        self.offset_box.setEnabled(mode == "offset")
        index = list(MODE_LABELS).index(mode)
        if self.mode_box.currentIndex() != index:
            self.mode_box.blockSignals(True)
            self.mode_box.setCurrentIndex(index)
            self.mode_box.blockSignals(False)
        self._follow(a.target)

    @Slot(int)
    def _offset_changed(self, value: int) -> None:
        if self.sync.mode == "offset":
            self.sync = SyncMap("offset", self.b.player.n_frames, offset=int(value))
            self._follow(self.a.player.target)

    def _follow(self, frame_a: int) -> None:
        j = self.sync.b_for(frame_a)
        if j is not None and self.b.player.loader is not None:
            self.b.player.seek(j)

    # --- one transport -------------------------------------------------------------------------
    @Slot(int)
    def step(self, delta: int) -> None:
        self.a.player.step(delta)
        if self.sync.mode == "free":
            self.b.player.step(delta)
        else:
            self._follow(self.a.player.target)

    @Slot(int)
    def seek(self, frame: int) -> None:
        self.a.player.seek(frame)
        self._follow(self.a.player.target)

    @Slot()
    def play_pause(self) -> None:
        self.a.player.play_pause()

    @Slot(bool)
    def _a_playing(self, playing: bool) -> None:
        self.transport.show_playing(playing)
        if self.sync.mode == "free":  # B plays on its own clock; synced, it follows A frame by frame
            if playing:
                self.b.player.play()
            else:
                self.b.player.pause()

    @Slot(int)
    def _a_shown(self, frame: int) -> None:
        p = self.a.player
        self.transport.show_position(frame, p.n_frames, p.timestamp(frame))
        if p.playing and self.sync.mode != "free":
            self._follow(frame)

    @Slot(bool)
    def set_fit(self, fit: bool) -> None:
        self.a.player.set_fit(fit)
        self.b.player.set_fit(fit)
        self.transport.show_fit(fit)

    def set_speed_step(self, up: bool) -> None:
        p = self.a.player
        p.speed_up() if up else p.speed_down()
        self.b.player.set_speed(p.speed)
        self.transport.show_speed(p.speed)

    def jump_subaction(self, forward: bool) -> None:
        """Previous / next sub-action start of A (B follows through the sync)."""
        from .subaction_nav import next_start, prev_start

        segs = self.a.attempt.segments if self.a.attempt else []
        frame = (next_start if forward else prev_start)(segs, self.a.player.target)
        if frame is not None:
            self.a.player.pause()
            self.seek(frame)

    def export_range(self) -> range:
        """A's frames to export: its loop, else the sub-action under the playhead, else the whole video."""
        p = self.a.player
        if p.loop is not None:
            return range(p.loop[0], p.loop[1] + 1)
        result = self.a.attempt.result if self.a.attempt else None
        seg = result.segment_at(p.target) if result is not None else None
        if seg is not None:
            return range(seg.start_frame, seg.end_frame + 1)
        return range(0, p.n_frames)

    def actions(self) -> dict:
        """The shortcut table's names → what they do in the dual player."""
        a = self.a.player
        return {
            "play_pause": self.play_pause,
            "next_frame": lambda: self.step(1),
            "prev_frame": lambda: self.step(-1),
            "next_frame_alt": lambda: self.step(1),
            "prev_frame_alt": lambda: self.step(-1),
            "first_frame": lambda: self.seek(0),
            "last_frame": lambda: self.seek(a.n_frames - 1),
            "forward_10pct": lambda: self.seek(a.target + max(1, round(a.n_frames * 0.1))),
            "back_10pct": lambda: self.seek(a.target - max(1, round(a.n_frames * 0.1))),
            "speed_up": lambda: self.set_speed_step(True),
            "speed_down": lambda: self.set_speed_step(False),
            "next_subaction": lambda: self.jump_subaction(True),
            "prev_subaction": lambda: self.jump_subaction(False),
            "zoom_fit": lambda: self.set_fit(True),
            "zoom_100": lambda: self.set_fit(False),
        }
