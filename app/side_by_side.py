"""Opening two attempts side by side (from Compare, the File menu or another tab) and exporting that view.

An attempt is a scored result (its video is found from it), a result JSON, or a video (its saved score
beside it is used when there is one, for the sub-action sync).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Slot
from PySide6.QtWidgets import QFileDialog

from vatp_core.errors import VATPError

from .background import BackgroundTask, run_with_progress
from .dual_player import Attempt
from .opening import VIDEO_FILTER

if TYPE_CHECKING:
    from .main_window import MainWindow

ATTEMPT_FILTER = "Videos or score results ({} *.json);;All files (*)".format(VIDEO_FILTER.split("(")[1].split(")")[0])


def attempt_of(item, current_video: Path | None = None) -> Attempt:
    """A ScoreResult, a result JSON path or a video path → an Attempt (VATPError when its video is missing)."""
    from vatp_core.result import ScoreResult

    if isinstance(item, (str, Path)):
        path = Path(item)
        if path.suffix.lower() == ".json":
            item = ScoreResult.from_json(path)
        else:
            if not path.is_file():
                raise VATPError(f"The video {path} does not exist.")
            sidecar = ScoreResult.sidecar_path(path)
            result = None
            if sidecar.is_file():
                try:
                    result = ScoreResult.from_json(sidecar)
                except VATPError:
                    result = None  # a damaged sidecar: the video is still watched, unsynced by sub-action
            return Attempt(path, result)
    video = Path(item.video.path)
    if not video.is_file() and current_video is not None and video.name == current_video.name:
        video = current_video
    if not video.is_file():
        raise VATPError(f"The video of {getattr(item, 'video_name', 'this attempt')} was not found at {video}.")
    return Attempt(video, item)


class SideBySide(QObject):
    """The window's side-by-side commands."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        window.review.dual.export_button.clicked.connect(self.export_view)

    def open(self, first, second) -> bool:
        """Watch two attempts side by side in the Review tab; a message and no change when one cannot be read."""
        try:
            a = attempt_of(first, self.window.player.path)
            b = attempt_of(second, self.window.player.path)
            self.window.stack.setCurrentWidget(self.window.review)
            self.window.review.show_side_by_side(a, b)
        except (VATPError, OSError, ValueError) as exc:
            self.window.warn("Cannot watch side by side", str(exc))
            return False
        self.window.tabs.setCurrentIndex(0)
        return True

    @Slot()
    def choose(self) -> None:
        """File → Watch side by side: the video on screen beside another one, or two chosen files."""
        w = self.window
        first = w.result if w.result is not None else w.player.path
        if first is None:
            path, _ = QFileDialog.getOpenFileName(w, "First attempt (A)", "", ATTEMPT_FILTER)
            if not path:
                return
            first = path
        second, _ = QFileDialog.getOpenFileName(w, "Attempt to watch beside it (B)", "", ATTEMPT_FILTER)
        if second:
            self.open(first, second)

    @Slot()
    def export_view(self, out: str | Path | None = None) -> BackgroundTask | None:
        """The side-by-side view over A's current sub-action (or A's loop, or all of A) as one MP4, written in
        the background with progress and Cancel (None: nothing to export)."""
        from vatp_core.export import export_side_by_side

        dual = self.window.review.dual
        if not dual.is_open:
            return None
        frames = dual.export_range()
        if out is None:
            out, _ = QFileDialog.getSaveFileName(self.window, "Export side by side", "side_by_side.mp4", "MP4 (*.mp4)")
        if not out:
            return None
        a, b, b_for, target = dual.a.attempt.video, dual.b.attempt.video, dual.sync.b_for, Path(out)
        task = run_with_progress(
            self.window,
            f"Exporting side by side ({len(frames)} frames)…",
            lambda progress, cancel: export_side_by_side(a, b, frames, b_for, target, progress=progress, cancel=cancel),
            self.window.exporter.pool,
        )
        self.window.exporter.watch(
            task, lambda clip: f"Side-by-side clip ({clip.n_frames} frames, {clip.codec}) written to {clip.path}"
        )
        return task
