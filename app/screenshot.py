"""`--screenshot FILE`: wait until the window shows what the picture is of, save it as a PNG, quit.

`ScreenshotRun` waits for a scored routine (the main picture); `LibraryScreenshot` for the Library tab's
progress chart on a generated library (`--library-demo`). ``--screenshot-view`` picks the scored routine's
picture: ``main`` (the Review tab), ``angle`` (an angle drawn on the frame, kept in a throw-away drawings
folder so the user's own drawings are not touched) or ``dual`` (the dual player: the routine beside a
second pass of itself, offset by a few frames).
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Slot
from PySide6.QtWidgets import QApplication


class _Shot(QObject):
    """Grab the window once, when a subclass says it is ready; give up after a time limit."""

    TIMEOUT_MS = 600_000
    WAITING_FOR = "the window"

    def __init__(self, window, path: str | Path) -> None:
        super().__init__(window)
        self.window = window
        self.path = Path(path)
        self.exit_code = 1
        self._timeout = QTimer(self)
        self._timeout.setSingleShot(True)
        self._timeout.timeout.connect(self._give_up)

    def start(self) -> None:
        self._timeout.start(self.TIMEOUT_MS)

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
        print(f"vatp-studio: error: no {self.WAITING_FOR} within the time limit", file=sys.stderr)
        self._finish(1)

    def _finish(self, code: int) -> None:
        self.exit_code = code
        self._timeout.stop()
        QApplication.instance().quit()


class ScreenshotRun(_Shot):
    """Drives one screenshot: result shown → seek into the routine → frame painted → grab → quit."""

    WAITING_FOR = "scored result"
    VIEWS = ("main", "angle", "dual")
    DUAL_OFFSET = -12  # frames: B is a second pass of the routine, a little behind

    def __init__(self, window, path: str | Path, view: str = "main") -> None:
        super().__init__(window, path)
        self.view = view if view in self.VIEWS else "main"
        self._target = -1
        window.result_shown.connect(self._on_result)
        window.score_jobs.ended_without_result.connect(self._on_no_result)

    def start(self) -> None:
        super().start()
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
        if self.view == "dual":
            self._show_dual(result, target)
            return
        player.position_changed.connect(self._on_position)
        player.seek(target)
        if player.shown == target:
            QTimer.singleShot(200, self._prepare_and_grab)

    @Slot(int)
    def _on_position(self, index: int) -> None:
        if index == self._target:
            QTimer.singleShot(300, self._prepare_and_grab)  # let the timeline and plots repaint

    def _show_dual(self, result, target: int) -> None:
        if not self.window.open_side_by_side(result, result):
            self._finish(1)
            return
        dual = self.window.review.dual
        dual.set_mode("offset")
        dual.offset_box.setValue(self.DUAL_OFFSET)
        dual.a.player.position_changed.connect(self._on_dual_position)
        dual.b.player.position_changed.connect(self._on_dual_position)
        dual.seek(target)

    @Slot(int)
    def _on_dual_position(self, index: int) -> None:
        dual = self.window.review.dual
        if dual.a.player.shown == self._target and dual.b.player.shown == dual.sync.b_for(self._target):
            QTimer.singleShot(300, self._grab)

    @Slot()
    def _prepare_and_grab(self) -> None:
        if self.view == "angle":
            self._draw_angle()
        QTimer.singleShot(200, self._grab)

    def _draw_angle(self) -> None:
        """An angle in the middle of the frame, added through the overlay as three clicks would add it."""
        import tempfile

        from vatp_core.drawings import Drawing, DrawingStore

        review = self.window.review
        overlay = review.drawing
        overlay.store = DrawingStore(tempfile.mkdtemp(prefix="vatp-screenshot-drawings-"))
        w, h = overlay.drawings.space
        points = [[0.62 * w, 0.30 * h], [0.50 * w, 0.55 * h], [0.66 * w, 0.78 * h]]
        review.drawing_bar.tool_actions["angle"].trigger()
        overlay.add(Drawing("angle", points, self._target, self._target, "#ffd400", 4.0))


class LibraryScreenshot(_Shot):
    """The Library tab on a generated library, grabbed once its progress chart is drawn."""

    TIMEOUT_MS = 120_000
    WAITING_FOR = "library chart"

    def __init__(self, window, path: str | Path) -> None:
        super().__init__(window, path)
        window.library_tab.chart.drawn.connect(self._on_drawn)

    def start(self) -> None:
        super().start()
        if self.window.library_tab.chart.series is not None:
            self._on_drawn()

    @Slot()
    def _on_drawn(self) -> None:
        QTimer.singleShot(300, self._grab)  # let the table and the plots repaint
