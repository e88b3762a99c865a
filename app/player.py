"""The frame-exact player: picture, transport bar, playback clock, stepping, speed and loop.

Frame numbers are the indices of `vatp_core.video` (the same index the model and the timeline use).
Playback follows the wall clock: every tick asks for the frame that should be on screen now, and the
decode thread only ever decodes the newest wish, so a slow decoder drops frames instead of lagging.
"""

from __future__ import annotations

import bisect
import time
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QVBoxLayout, QWidget

from .frame_loader import FrameLoader
from .player_view import PlayerView
from .transport_bar import TransportBar

SPEEDS: tuple[float, ...] = (0.1, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0)


class Player(QWidget):
    """Open a video, then drive it with the slots below (the shortcut table maps keys to them)."""

    position_changed = Signal(int)  # the frame now on screen
    video_opened = Signal(object)  # the VideoInfo of the new video
    playing_changed = Signal(bool)
    decode_failed = Signal(str)

    def __init__(self, frame_cache_mb: int = 256, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.frame_cache_mb = frame_cache_mb
        self.view = PlayerView()
        self.transport = TransportBar()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.transport)

        self.loader: FrameLoader | None = None
        self.info = None
        self.n_frames = 0
        self.fps = 25.0
        self._times: list[float] = []
        self.target = 0  # the frame last asked for
        self.shown = -1  # the frame on screen
        self.speed = 1.0
        self.loop: tuple[int, int] | None = None
        self.playing = False
        self._anchor_frame = 0
        self._anchor_clock = 0.0

        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._tick)

        self.view.step_requested.connect(self.step)
        self.transport.play_toggled.connect(self.play_pause)
        self.transport.step.connect(self.step)
        self.transport.seek.connect(self.seek)
        self.transport.zoom_fit.connect(self.set_fit)

    # --- opening -----------------------------------------------------------------------------
    def open(self, path: str | Path) -> None:
        """Open a video; raises VideoError (nothing changes) when it cannot be read."""
        from vatp_core.video import open_video

        reader = open_video(path, frame_cache_mb=self.frame_cache_mb)
        try:
            n = len(reader)
            stamps = getattr(reader, "timestamps", None)
            times = [float(t) for t in stamps()] if stamps else [float(reader.timestamp(i)) for i in range(n)]
        except Exception:
            reader.close()
            raise
        self.close_video()
        self.info = reader.info
        self.n_frames = n
        self.fps = float(reader.fps) or 25.0
        self._times = times
        # The reader keeps decoded frames (frame_cache_mb); the loader only a few ready-to-paint images.
        self.loader = FrameLoader(reader, min(64, max(16, self.frame_cache_mb // 4)), self)
        self.loader.frame_ready.connect(self._on_frame)
        self.loader.failed.connect(self._on_decode_failed)
        self.transport.set_length(n)
        self.loop = None
        self.target, self.shown = 0, -1
        self.loader.request(0)
        self.video_opened.emit(self.info)

    def close_video(self) -> None:
        self.pause()
        if self.loader is not None:
            self.loader.close()
            self.loader.deleteLater()
            self.loader = None
        self.info, self.n_frames, self._times = None, 0, []
        self.view.clear()

    @property
    def path(self) -> Path | None:
        return Path(str(self.info.path)) if self.info is not None else None

    def timestamp(self, index: int) -> float:
        return self._times[index] if 0 <= index < len(self._times) else 0.0

    # --- navigation slots --------------------------------------------------------------------
    @Slot(int)
    def seek(self, index: int) -> None:
        """Show frame ``index`` (clamped); during playback, playback continues from there."""
        if self.loader is None or self.n_frames == 0:
            return
        index = max(0, min(int(index), self.n_frames - 1))
        self.target = index
        if self.playing:
            self._anchor(index)
        self.loader.request(index)

    @Slot(int)
    def step(self, delta: int) -> None:
        if self.playing:
            self.pause()
        self.seek(self.target + delta)

    @Slot()
    def next_frame(self) -> None:
        self.step(1)

    @Slot()
    def prev_frame(self) -> None:
        self.step(-1)

    @Slot()
    def first_frame(self) -> None:
        self.seek(0)

    @Slot()
    def last_frame(self) -> None:
        self.seek(self.n_frames - 1)

    @Slot()
    def forward_10pct(self) -> None:
        self.seek(self.target + max(1, round(self.n_frames * 0.1)))

    @Slot()
    def back_10pct(self) -> None:
        self.seek(self.target - max(1, round(self.n_frames * 0.1)))

    # --- playback ----------------------------------------------------------------------------
    @Slot()
    def play_pause(self) -> None:
        if self.playing:
            self.pause()
        else:
            self.play()

    def play(self) -> None:
        if self.loader is None or self.playing:
            return
        if self.loop is None and self.target >= self.n_frames - 1:
            self.target = 0
        self.playing = True
        self._anchor(self.target)
        self._timer.start(self._interval_ms())
        self.transport.show_playing(True)
        self.playing_changed.emit(True)

    @Slot()
    def pause(self) -> None:
        if not self.playing:
            return
        self.playing = False
        self._timer.stop()
        self.transport.show_playing(False)
        self.playing_changed.emit(False)

    @Slot()
    def speed_up(self) -> None:
        self.set_speed(next((s for s in SPEEDS if s > self.speed + 1e-9), SPEEDS[-1]))

    @Slot()
    def speed_down(self) -> None:
        self.set_speed(next((s for s in reversed(SPEEDS) if s < self.speed - 1e-9), SPEEDS[0]))

    def set_speed(self, speed: float) -> None:
        self.speed = min(max(float(speed), SPEEDS[0]), SPEEDS[-1])
        if self.playing:
            self._anchor(self.target)
            self._timer.setInterval(self._interval_ms())
        self.transport.show_speed(self.speed)

    def set_loop(self, frames: tuple[int, int] | None) -> None:
        """Loop playback over ``(first, last)`` frames (inclusive), or stop looping with None."""
        if frames is not None:
            first, last = sorted((max(0, frames[0]), min(self.n_frames - 1, frames[1])))
            frames = (first, last)
        self.loop = frames

    def _interval_ms(self) -> int:
        # Tick at twice the frame rate so the shown frame is never more than half a frame late.
        return max(4, int(1000.0 / (self.fps * self.speed) / 2))

    def _anchor(self, index: int) -> None:
        self._anchor_frame = index
        self._anchor_clock = time.perf_counter()

    def _frame_at(self, media_time: float) -> int:
        return max(0, bisect.bisect_right(self._times, media_time + 1e-6) - 1)

    @Slot()
    def _tick(self) -> None:
        if self.loader is None:
            self.pause()
            return
        elapsed = (time.perf_counter() - self._anchor_clock) * self.speed
        index = self._frame_at(self.timestamp(self._anchor_frame) + elapsed)
        if self.loop is not None:
            first, last = self.loop
            if index > last or index < first:
                index = first
                self._anchor(first)
        elif index >= self.n_frames - 1:
            index = self.n_frames - 1
            self.pause()
        if index != self.target or self.shown != index:
            self.target = index
            self.loader.request(index)

    # --- zoom --------------------------------------------------------------------------------
    @Slot(bool)
    def set_fit(self, fit: bool) -> None:
        self.view.set_fit(fit)
        self.transport.show_fit(fit)

    @Slot()
    def zoom_fit(self) -> None:
        self.set_fit(True)

    @Slot()
    def zoom_100(self) -> None:
        self.set_fit(False)

    # --- frames arriving ---------------------------------------------------------------------
    @Slot(int, QImage)
    def _on_frame(self, index: int, image: QImage) -> None:
        self.shown = index
        self.view.show_frame(index, image)
        self.transport.show_position(index, self.n_frames, self.timestamp(index))
        self.position_changed.emit(index)

    @Slot(int, str)
    def _on_decode_failed(self, index: int, message: str) -> None:
        self.decode_failed.emit(f"Frame {index} could not be decoded: {message}")
