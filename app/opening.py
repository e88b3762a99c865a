"""Opening files in the window: videos (with the saved score beside them), saved score JSONs, the demo; saving."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Slot
from PySide6.QtWidgets import QFileDialog

from vatp_core import paths
from vatp_core.settings import save_settings
from vatp_core.video import VIDEO_EXTENSIONS

if TYPE_CHECKING:
    from .main_window import MainWindow

VIDEO_FILTER = "Videos ({});;All files (*)".format(" ".join(f"*{ext}" for ext in VIDEO_EXTENSIONS))
RESULT_FILTER = "Score results (*.vatp.json *.json);;All files (*)"


class FileOpener(QObject):
    """Puts files on ``window``'s Review tab; a file that cannot be opened gives a message and changes nothing."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window

    @property
    def player(self):
        return self.window.player

    @Slot()
    def choose_video(self) -> None:
        recent = self.window.settings.recent_files
        start = str(Path(recent[0]).parent) if recent else ""
        path, _ = QFileDialog.getOpenFileName(self.window, "Open video", start, VIDEO_FILTER)
        if path:
            self.open_video(path)

    def open_video(self, path: str | Path, load_sidecar: bool = True) -> bool:
        """Show the video in the player, and the score saved beside it (when ``load_sidecar``)."""
        from vatp_core.errors import VATPError
        from vatp_core.identity import require_regular_file

        path = Path(path)
        try:
            require_regular_file(path)  # a folder or a named pipe is named as such (and a FIFO is never opened)
        except VATPError as exc:
            self.window.warn("Cannot open video", str(exc))
            return False
        try:
            self.player.open(path)
        except (VATPError, OSError, ValueError) as exc:
            self.window.warn("Cannot open video", f"{path.name} cannot be opened as a video.\n\n{exc}")
            return False
        self.window.settings.add_recent(path)
        save_settings(self.window.settings)
        self.window.statusBar().showMessage(f"Opened {path}", 8000)
        if load_sidecar:
            self.load_sidecar(path)
        return True

    def load_sidecar(self, video: Path) -> None:
        """Re-open a saved score beside the video without re-scoring, when it belongs to this video."""
        from vatp_core.errors import VATPError
        from vatp_core.result import ScoreResult, SidecarMismatchError

        sidecar = ScoreResult.sidecar_path(video)
        try:
            result = ScoreResult.load_sidecar(video)  # checks the stored content identity against the video
        except SidecarMismatchError as exc:  # another video's score: not shown, not deleted
            self.window.show_status(str(exc))
            return
        except (VATPError, OSError) as exc:  # a damaged sidecar is reported, the video stays open
            self.window.show_status(f"Saved score {sidecar.name} could not be read: {exc}")
            return
        if result is None:
            return
        if (result.video.n_frames or -1) != self.player.n_frames:
            self.window.show_status(f"{sidecar.name} belongs to another version of this video; not loaded.")
            return
        self.window.show_result(result)
        self.window.comparison.add_attempt(result)
        self.window.show_status(f"Loaded the saved score {sidecar.name} (press Score to score again).")

    @Slot()
    def open_demo(self, score: bool = True) -> bool:
        """Open the bundled demo routine with the demo pack selected, and score it (unless a saved score loads)."""
        combo = self.window.score_bar.pack_combo
        index = combo.findData("demo")
        if index >= 0:
            combo.setCurrentIndex(index)
        if not self.open_video(paths.demo_video_path()):
            return False
        if score and self.window.result is None:
            self.window.start_scoring()
        return True

    @Slot()
    def choose_result_json(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Open scored attempt", "", RESULT_FILTER)
        if path:
            self.open_result_json(path)

    def open_result_json(self, path: str | Path) -> bool:
        """Open a saved score: its video (when it is still there) and the result, without re-scoring."""
        from vatp_core.result import ScoreResult

        path = Path(path)
        try:
            result = ScoreResult.from_json(path)
        except Exception as exc:
            self.window.warn("Cannot open score", f"{path.name} is not a readable score result.\n\n{exc}")
            return False
        self.review_attempt(result, json_path=path)
        self.window.comparison.add_attempt(result)
        return True

    @Slot(object)
    def review_attempt(self, result, json_path: Path | None = None) -> None:
        """Show an attempt in the review tab, with its video when it can be found."""
        candidates = [Path(result.video.path)]
        if json_path is not None and json_path.name.endswith(".vatp.json"):
            candidates.insert(0, json_path.with_name(json_path.name[: -len(".vatp.json")]))
        video = next((c for c in candidates if str(c) and c.is_file()), None)
        if video is not None and (self.player.path is None or video.resolve() != self.player.path.resolve()):
            self.open_video(video, load_sidecar=False)
        elif video is None:
            self.window.show_status(
                f"The video of this attempt ({result.video_name}) was not found; showing the score only."
            )
        self.window.show_result(result)
        self.window.tabs.setCurrentIndex(0)

    @Slot()
    def save_result(self) -> Path | None:
        """Write the shown result beside its video (``<video>.vatp.json``)."""
        result = self.window.result
        if result is None:
            return None
        video = self.player.path or Path(result.video.path)
        try:
            path = result.save_sidecar(video)
        except (OSError, ValueError) as exc:
            self.window.warn("Cannot save", f"The score could not be saved beside the video: {exc}")
            return None
        self.window.show_status(f"Saved {path}")
        return path

    def is_open_video(self, path) -> bool:
        """``path`` is the video now in the player (a score that finishes late must not land on another)."""
        try:
            return self.player.path is not None and Path(path).resolve() == self.player.path.resolve()
        except (OSError, ValueError):
            return False
