"""`--screenshot FILE`: wait until the window shows a scored routine, save it as a PNG, quit."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Slot
from PySide6.QtWidgets import QApplication


class ScreenshotRun(QObject):
    """Drives one screenshot: result shown → seek into the routine → frame painted → grab → quit."""

    TIMEOUT_MS = 600_000

    def __init__(self, window, path: str | Path) -> None:
        super().__init__(window)
        self.window = window
        self.path = Path(path)
        self.exit_code = 1
        self._target = -1
        self._timeout = QTimer(self)
        self._timeout.setSingleShot(True)
        self._timeout.timeout.connect(self._give_up)
        window.result_shown.connect(self._on_result)
        window.score_jobs.ended_without_result.connect(self._on_no_result)

    def start(self) -> None:
        self._timeout.start(self.TIMEOUT_MS)
        if self.window.result is not None:  # a saved score was loaded with the video
            QTimer.singleShot(0, self._seek_into_routine)

    @Slot(object)
    def _on_result(self, result) -> None:
        QTimer.singleShot(0, self._seek_into_routine)

    @Slot(str)
    def _on_no_result(self, what: str) -> None:
        print(f"vatp-studio: scoring did not finish ({what})", file=sys.stderr)
        self._finish(1)

    @Slot()
    def _seek_into_routine(self) -> None:
        """Show a frame inside the second sub-action (or the middle), so the picture tells something."""
        result, player = self.window.result, self.window.player
        segs = sorted(result.segments, key=lambda s: s.start_frame) if result is not None else []
        if len(segs) >= 2:
            target = (segs[1].start_frame + segs[1].end_frame) // 2
        else:
            target = max(player.n_frames // 2, 0)
        self._target = target
        player.position_changed.connect(self._on_position)
        player.seek(target)
        if player.shown == target:
            QTimer.singleShot(200, self._grab)

    @Slot(int)
    def _on_position(self, index: int) -> None:
        if index == self._target:
            QTimer.singleShot(300, self._grab)  # let the timeline and plots repaint

    @Slot()
    def _grab(self) -> None:
        if self.exit_code == 0:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        ok = self.window.grab().save(str(self.path))
        if ok:
            print(f"saved {self.path}")
        else:
            print(f"vatp-studio: error: cannot write {self.path}", file=sys.stderr)
        self._finish(0 if ok else 1)

    @Slot()
    def _give_up(self) -> None:
        print("vatp-studio: error: no scored result within the time limit", file=sys.stderr)
        self._finish(1)

    def _finish(self, code: int) -> None:
        self.exit_code = code
        self._timeout.stop()
        QApplication.instance().quit()
