"""The Review tab: the player, the timeline and the score panel around one video, with sub-action navigation.

It shows a result it is given; opening files and scoring live in `app.opening` and `app.scoring`.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QLabel, QSplitter, QVBoxLayout, QWidget

from vatp_core.settings import Settings

from .player import Player
from .score_bar import ScoreBar
from .score_panel import ScorePanel
from .subaction_nav import next_start, prev_start, segment_at
from .timeline import Timeline


class ReviewTab(QWidget):
    """The review views of one video and its score (``result`` is the ScoreResult on screen, or None)."""

    status = Signal(str)  # a short message for the window's status bar

    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.result = None
        self.player = Player(frame_cache_mb=settings.frame_cache_mb)
        self.timeline = Timeline()
        self.score_panel = ScorePanel()
        self.score_bar = ScoreBar()
        self.score_bar.fill_packs(settings.default_pack)
        self.score_bar.set_device(settings.device)

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
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        # Shown whenever the result on screen carries a warning (unlike the training videos, μ off the range);
        # it has no close button: a warning about a score is not dismissed while the score is shown.
        self.ood_banner = QLabel("")
        self.ood_banner.setObjectName("oodBanner")
        self.ood_banner.setWordWrap(True)
        self.ood_banner.setStyleSheet(
            "background: #FFF3CD; color: #6B4E00; border: 1px solid #E0B000; padding: 6px; font-weight: bold;"
        )
        self.ood_banner.hide()
        layout.addWidget(self.score_bar)
        layout.addWidget(self.ood_banner)
        layout.addWidget(vertical, 1)

        self.player.position_changed.connect(self.timeline.set_position)
        self.player.decode_failed.connect(self.status)
        self.timeline.seek_requested.connect(self.player.seek)
        self.score_panel.subaction_clicked.connect(self.show_subaction)

    def player_actions(self) -> dict:
        """The shortcut table's names → the slots they trigger (see `app.shortcuts`)."""
        p = self.player
        return {
            "play_pause": p.play_pause,
            "next_frame": p.next_frame,
            "prev_frame": p.prev_frame,
            "next_frame_alt": p.next_frame,
            "prev_frame_alt": p.prev_frame,
            "first_frame": p.first_frame,
            "last_frame": p.last_frame,
            "forward_10pct": p.forward_10pct,
            "back_10pct": p.back_10pct,
            "speed_up": p.speed_up,
            "speed_down": p.speed_down,
            "next_subaction": self.next_subaction,
            "prev_subaction": self.prev_subaction,
            "loop_subaction": self.loop_subaction,
            "zoom_fit": p.zoom_fit,
            "zoom_100": p.zoom_100,
        }

    def set_video(self, n_frames: int, fps: float) -> None:
        """A new video is in the player: its timeline, and no score yet."""
        self.timeline.set_video(n_frames, fps)
        self.show_result(None)

    def show_result(self, result) -> None:
        """Put a ScoreResult on the timeline and score panel (None clears them and any loop)."""
        self.result = result
        self.timeline.set_result(result)
        self.score_panel.set_result(result)
        warnings = result.warnings() if result is not None else []
        self.ood_banner.setText("⚠ " + "  ".join(warnings) if warnings else "")
        self.ood_banner.setVisible(bool(warnings))
        if result is None:
            self.player.set_loop(None)

    def apply_settings(self, settings: Settings) -> None:
        self.score_bar.fill_packs(settings.default_pack)
        self.score_bar.set_device(settings.device)
        self.player.frame_cache_mb = settings.frame_cache_mb

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
            self.status.emit("This sub-action was not placed in time.")
            return
        self.player.pause()
        self.player.seek(seg.start_frame)
        self.status.emit(f"{seg.name}: frames {seg.start_frame}–{seg.end_frame}, contribution {seg.contribution:+.2f}")

    @Slot()
    def loop_subaction(self) -> None:
        """Loop the sub-action under the playhead; pressed again, stop looping."""
        if self.player.loop is not None:
            self.player.set_loop(None)
            self.player.pause()
            self.status.emit("Loop off")
            return
        seg = segment_at(self._segments(), self.player.target)
        if seg is None:
            self.status.emit("No sub-action under the playhead to loop.")
            return
        self.player.set_loop((seg.start_frame, seg.end_frame))
        self.player.seek(seg.start_frame)
        self.player.play()
        self.status.emit(f"Looping {seg.name} (frames {seg.start_frame}–{seg.end_frame}); press L again to stop")
