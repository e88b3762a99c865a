"""File → Export: the sub-action (or loop) as an MP4 clip, the frame with its drawings as PNG, the .kva.

The clip is encoded in the background (`app.background`) with a progress dialog and Cancel: the window
stays usable while it is written.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from PySide6.QtCore import QObject, QThreadPool, Slot
from PySide6.QtWidgets import QFileDialog

from vatp_core.errors import VATPError

from .background import BackgroundTask, run_with_progress

if TYPE_CHECKING:
    from .main_window import MainWindow


class Exporter(QObject):
    """Export commands on what the Review tab shows."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.pool: QThreadPool | None = None  # where exports run (None: Qt's global thread pool)

    def clip_range(self) -> tuple[int, int, str] | None:
        """The loop range, else the sub-action under the playhead: (first, last, name)."""
        player, result = self.window.player, self.window.result
        if player.loop is not None:
            return player.loop[0], player.loop[1], "loop"
        seg = result.segment_at(player.target) if result is not None else None
        if seg is None:
            return None
        return seg.start_frame, seg.end_frame, seg.name

    def _save_name(self, title: str, suggested: str, filter_: str) -> Path | None:
        out, _ = QFileDialog.getSaveFileName(self.window, title, suggested, filter_)
        return Path(out) if out else None

    @Slot()
    def export_clip(self, out: Path | None = None) -> BackgroundTask | None:
        """Start writing the clip in the background; the task says when it is done (None: nothing to export)."""
        from vatp_core.export import export_clip

        video, span = self.window.player.path, self.clip_range()
        if video is None or span is None:
            self.window.show_status("Select a sub-action (put the playhead in it) or set a loop to export a clip.")
            return None
        first, last, name = span
        out = out or self._save_name("Export clip", f"{video.stem}_{name}.mp4", "MP4 (*.mp4)")
        if out is None:
            return None
        task = run_with_progress(
            self.window,
            f"Exporting {name} (frames {first}–{last})…",
            lambda progress, cancel: export_clip(video, first, last, out, progress=progress, cancel=cancel),
            self.pool,
        )
        self.watch(task, lambda clip: f"{name}: frames {first}–{last} ({clip.codec}) written to {clip.path}")
        return task

    def watch(self, task: BackgroundTask, said: Callable[[Any], str]) -> None:
        """Tell the outcome of a background export: ``said(result)`` in the status bar, a failure in a message box."""
        task.done.connect(lambda clip: self.window.show_status(said(clip)))
        task.failed.connect(lambda text: self.window.warn("Export failed", text))
        task.cancelled.connect(lambda: self.window.show_status("Export cancelled; nothing was written."))

    @Slot()
    def export_frame(self, out: Path | None = None) -> Path | None:
        from .drawings.paint import frame_png

        video, frame = self.window.player.path, self.window.player.shown
        if video is None or frame < 0:
            return None
        out = out or self._save_name("Export frame", f"{video.stem}_frame{frame}.png", "PNG (*.png)")
        if out is None:
            return None
        try:
            path, n = frame_png(video, frame, out, self.window.review.drawing.store)
        except (VATPError, OSError) as exc:
            self.window.warn("Export failed", str(exc))
            return None
        self.window.show_status(f"Frame {frame} with {n} drawing(s) written to {path}")
        return path

    @Slot()
    def export_kva(self, out: Path | None = None) -> Path | None:
        from vatp_core.export import write_kva

        video, result = self.window.player.path, self.window.result
        if video is None or result is None:
            self.window.show_status("Score the video first: the key images are its sub-actions.")
            return None
        out = out or self._save_name("Export Kinovea key images", str(video.with_suffix(".kva")), "Kinovea (*.kva)")
        if out is None:
            return None
        try:
            path = write_kva(result, out, video)
        except (VATPError, OSError) as exc:
            self.window.warn("Export failed", str(exc))
            return None
        self.window.show_status(f"{len(result.segments)} key images written to {path} (open the video in Kinovea)")
        return path
