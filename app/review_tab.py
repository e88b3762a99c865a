"""The Review tab: the player, the timeline and the score panel around one video, with sub-action navigation.

It shows a result it is given; opening files and scoring live in `app.opening` and `app.scoring`.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QLabel, QSplitter, QStackedWidget, QVBoxLayout, QWidget

from vatp_core.settings import Settings

from .drawings.overlay import DrawingOverlay
from .drawings.toolbar import DrawingToolbar
from .dual_player import Attempt, DualPlayer
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
        self.drawing = DrawingOverlay(parent=self)
        self.player.view.set_overlay(self.drawing)
        self.drawing_bar = DrawingToolbar(self.drawing, self)
        picture = QWidget()
        picture_layout = QVBoxLayout(picture)
        picture_layout.setContentsMargins(0, 0, 0, 0)
        picture_layout.setSpacing(0)
        picture_layout.addWidget(self.drawing_bar)
        picture_layout.addWidget(self.player, 1)
        self.timeline = Timeline()
        self.score_panel = ScorePanel()
        self.score_bar = ScoreBar()
        self.score_bar.fill_packs(settings.default_pack)
        self.score_bar.set_device(settings.device)

        top = QSplitter(Qt.Orientation.Horizontal)
        top.addWidget(picture)
        top.addWidget(self.score_panel)
        top.setStretchFactor(0, 3)
        top.setStretchFactor(1, 1)
        vertical = QSplitter(Qt.Orientation.Vertical)
        vertical.addWidget(top)
        vertical.addWidget(self.timeline)
        vertical.setStretchFactor(0, 4)
        vertical.setStretchFactor(1, 1)
        self.dual = DualPlayer(frame_cache_mb=settings.frame_cache_mb)
        self.modes = QStackedWidget()
        self.modes.addWidget(vertical)
        self.modes.addWidget(self.dual)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        # Shown whenever the result on screen carries a warning (unlike the training videos, μ off the range, a
        # damaged video): the one place the window shows them, in the words the PDF and `vatp score` print.
        # It has no close button: a warning about a score is not dismissed while the score is shown.
        self.ood_banner = QLabel("")
        self.ood_banner.setObjectName("oodBanner")
        self.ood_banner.setWordWrap(True)
        self.ood_banner.setStyleSheet(
            "background: #FFF3CD; color: #6B4E00; border: 1px solid #E0B000; padding: 6px; font-weight: bold;"
        )
        self.ood_banner.hide()
        layout.addWidget(self.score_bar)
        layout.addWidget(self.ood_banner)
        layout.addWidget(self.modes, 1)
        self.dual.closed.connect(self.show_single)
        self.dual.status.connect(self.status)

        self.player.position_changed.connect(self.timeline.set_position)
        self.player.decode_failed.connect(self.status)
        self.player.cache_changed.connect(self._cache_status)
        self.player.video_opened.connect(self._on_video_opened)
        self.drawing.status.connect(self.status)
        self.timeline.seek_requested.connect(self.player.seek)
        self.score_panel.subaction_clicked.connect(self.show_subaction)

    def player_actions(self) -> dict:
        """The shortcut table's names → what they trigger (see `app.shortcuts`): the dual player's when it shows."""
        single, dual = self._single_actions(), self.dual.actions()

        def route(name: str):
            def run() -> None:
                handler = dual.get(name) if self.dual_active else single[name]
                if handler is not None:
                    handler()

            return run

        return {name: route(name) for name in single}

    @property
    def dual_active(self) -> bool:
        return self.modes.currentWidget() is self.dual

    def show_side_by_side(self, a: Attempt, b: Attempt) -> None:
        """Open two attempts in the dual player (raises VideoError when one cannot be read)."""
        self.player.pause()
        self.player.scrub.clear()  # the dual player's two sides share the frame budget now
        self.dual.open(a, b)
        self.modes.setCurrentWidget(self.dual)
        self.status.emit(f"Side by side: A {a.video.name}, B {b.video.name} ({self.dual.mode_box.currentText()})")

    @Slot()
    def show_single(self) -> None:
        self.dual.a.player.pause()
        self.dual.close_videos()
        self.modes.setCurrentIndex(0)

    def _single_actions(self) -> dict:
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

    @Slot(str)
    def _cache_status(self, text: str) -> None:
        if text:
            self.status.emit(text)

    @Slot(object)
    def _on_video_opened(self, info) -> None:
        self.drawing.set_video(info.path, (int(info.width), int(info.height)))

    def set_video(self, n_frames: int, fps: float) -> None:
        """A new video is in the player: its timeline, and no score yet."""
        self.timeline.set_video(n_frames, fps)
        self.show_result(None)

    def show_result(self, result) -> None:
        """Put a ScoreResult on the timeline and score panel (None clears them and any loop)."""
        self.result = result
        self.player.set_segments(result.segments if result is not None else [])
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
        for pane in (self.dual.a, self.dual.b):
            pane.player.frame_cache_mb = settings.frame_cache_mb // 2

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
