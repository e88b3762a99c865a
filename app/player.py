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
from .scrub_cache import ScrubCache, split_budget
from .transport_bar import TransportBar

SPEEDS: tuple[float, ...] = (0.1, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0)


class Player(QWidget):
    """Open a video, then drive it with the slots below (the shortcut table maps keys to them)."""

    position_changed = Signal(int)  # the frame now on screen
    video_opened = Signal(object)  # the VideoInfo of the new video
    playing_changed = Signal(bool)
    decode_failed = Signal(str)
    cache_changed = Signal(str)  # the scrub cache's status line (empty when nothing is cached)

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
        self.segments: list = []  # sub-actions of the video: the one under the playhead is kept in the scrub cache
        self.scrub = ScrubCache(split_budget(frame_cache_mb)[1], self)
        self.scrub.progress.connect(lambda *_: self.cache_changed.emit(self.scrub.describe()))
        self.scrub.status.connect(self.cache_changed)

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

        reader_mb, scrub_mb = split_budget(self.frame_cache_mb)
        reader = open_video(path, frame_cache_mb=reader_mb)
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
        self.loader.frame_ready.connect(self._on_decoded)
        self.loader.failed.connect(self._on_decode_failed)
        self.scrub.budget_bytes = scrub_mb << 20
        self.scrub.set_reader(reader)
        self.segments = []
        self.transport.set_length(n)
        self.loop = None
        self.target, self.shown = 0, -1
        self.loader.request(0)
        self.video_opened.emit(self.info)

    def close_video(self) -> None:
        self.pause()
        self.scrub.stop()
        self.scrub.clear()
        self.scrub.set_reader(None)
        self.cache_changed.emit("")
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
        self._keep_cached(index)
        image = self.scrub.get(index) if self.view.fit else None
        if image is not None:
            self._on_frame(index, image)  # painted now: the decoder is not asked
            return
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
        self._keep_cached(self.target)

    # --- the scrub cache ---------------------------------------------------------------------
    def set_segments(self, segments) -> None:
        """The video's sub-actions; the one under the playhead (or the loop) is decoded ahead into RAM."""
        self.segments = sorted(segments or [], key=lambda s: s.start_frame)
        self._keep_cached(self.target)

    def view_size(self) -> tuple[int, int]:
        """The size frames are painted at when fitted to the view (never larger than the video)."""
        if self.info is None:
            return (0, 0)
        w, h = int(self.info.width), int(self.info.height)
        ratio = self.view.devicePixelRatioF() or 1.0
        vw, vh = self.view.width() * ratio, self.view.height() * ratio
        scale = min(1.0, vw / w, vh / h) if w and h else 1.0
        return max(2, round(w * scale)), max(2, round(h * scale))

    def _keep_cached(self, index: int) -> None:
        if self.scrub.reader is None:
            return
        if self.loop is not None:
            first, last, label = self.loop[0], self.loop[1], "loop"
        else:
            seg = next((s for s in self.segments if s.start_frame <= index <= s.end_frame), None)
            if seg is None:
                self.scrub.follow(index)
                return
            first, last, label = seg.start_frame, seg.end_frame, seg.name
        if self.scrub.range == (first, last) and self.scrub.size == self.view_size():
            self.scrub.follow(index)
        else:
            self.scrub.fill(first, last, self.view_size(), index, label)

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
            image = self.scrub.get(index) if self.view.fit else None
            if image is not None:
                self._on_frame(index, image)
            else:
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

    @Slot(int, QImage)
    def _on_decoded(self, index: int, image: QImage) -> None:
        if index != self.target and self.scrub.get(self.target) is not None and self.shown == self.target:
            return  # a decode asked for before the cached frame on screen now: stale
        self._on_frame(index, image)

    @Slot(int, str)
    def _on_decode_failed(self, index: int, message: str) -> None:
        self.decode_failed.emit(f"Frame {index} could not be decoded: {message}")
