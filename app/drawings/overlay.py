"""The editing layer over the player's picture: draw, select, move, delete, undo/redo (QUndoStack).

Points are kept in the video's upright display pixels; the view converts mouse positions with its frame
rectangle, so what is drawn at one zoom is in the same place at any other. Every change is saved at once
(`DrawingStore`: the user data folder, and the sidecar beside the video when that folder is writable).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QPointF, QRectF, Signal
from PySide6.QtGui import QPainter, QUndoCommand, QUndoStack

from vatp_core.drawings import Drawing, DrawingSet, DrawingStore
from vatp_core.errors import VATPError

from .paint import paint_drawings

log = logging.getLogger(__name__)

TOOLS: tuple[str, ...] = ("select", "line", "arrow", "angle", "circle", "text", "freehand")
HIT_TOLERANCE = 8.0  # screen pixels


class _Change(QUndoCommand):
    """Replace one drawing by another (``None`` on either side: add or delete)."""

    def __init__(self, overlay: "DrawingOverlay", before: Drawing | None, after: Drawing | None, text: str) -> None:
        super().__init__(text)
        self.overlay, self.before, self.after = overlay, before, after

    def redo(self) -> None:
        self.overlay._apply(self.before, self.after)

    def undo(self) -> None:
        self.overlay._apply(self.after, self.before)


class DrawingOverlay(QObject):
    """Drawings of the open video and the tool in hand; the player view forwards mouse events here."""

    changed = Signal()  # repaint
    status = Signal(str)
    angle_measured = Signal(float)  # live degrees while an angle is drawn, and its final value

    def __init__(self, store: DrawingStore | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store or DrawingStore()
        self.undo_stack = QUndoStack(self)
        self.drawings = DrawingSet()
        self.video: Path | None = None
        self.frame = 0
        self.tool = "select"
        self.color = "#ffd400"
        self.thickness = 3.0
        self.hold_frames = 0  # a new drawing stays on this many frames after the one it is drawn on
        self.selected: str | None = None
        self.text_provider: Callable[[], str | None] = _ask_text
        self._pending: list[list[float]] = []
        self._hover: list[float] | None = None
        self._drag_from: list[float] | None = None
        self._drag_before: Drawing | None = None

    # --- the video -----------------------------------------------------------------------------
    def set_video(self, path: str | Path | None, size: tuple[int, int] = (0, 0)) -> None:
        """Load the drawings of the video now in the player (an unreadable store is said, not fatal)."""
        self.undo_stack.clear()
        self._pending, self.selected, self.frame = [], None, 0
        self.video = Path(path) if path else None
        self.drawings = DrawingSet(space=size)
        if self.video is not None:
            try:
                loaded = self.store.load(self.video)
            except VATPError as exc:
                self.status.emit(f"Drawings not loaded: {exc}")
            else:
                self.drawings = loaded.in_space(*size) if size[0] and size[1] else loaded
        self.changed.emit()

    def set_frame(self, frame: int) -> None:
        if frame != self.frame:
            self.frame = frame
            if self._pending and self.tool != "freehand":
                self._pending = []  # a shape is drawn on one frame
            self.changed.emit()

    def set_tool(self, tool: str) -> None:
        self.tool = tool if tool in TOOLS else "select"
        self._pending = []
        self.changed.emit()

    def visible(self) -> list[Drawing]:
        return self.drawings.on_frame(self.frame)

    # --- changes (all through the undo stack) --------------------------------------------------
    def add(self, drawing: Drawing) -> Drawing:
        self.undo_stack.push(_Change(self, None, drawing, f"Add {drawing.kind}"))
        if drawing.kind == "angle":
            self.angle_measured.emit(drawing.degrees)
        return drawing

    def replace(self, before: Drawing, after: Drawing, text: str = "Move") -> None:
        self.undo_stack.push(_Change(self, before, after, text))

    def delete_selected(self) -> bool:
        d = self.drawings.get(self.selected) if self.selected else None
        if d is None:
            return False
        self.undo_stack.push(_Change(self, d, None, f"Delete {d.kind}"))
        self.selected = None
        return True

    def _apply(self, old: Drawing | None, new: Drawing | None) -> None:
        if new is None:
            if old is not None:
                self.drawings.remove(old.id)
        else:
            self.drawings.put(new)
        self._save()
        self.changed.emit()

    def _save(self) -> None:
        if self.video is None:
            return
        try:
            self.store.save(self.video, self.drawings)
        except VATPError as exc:
            self.status.emit(f"Drawings not saved: {exc}")

    # --- mouse (positions in video pixels; ``tolerance`` in video pixels) ----------------------
    def press(self, p: list[float], tolerance: float) -> bool:
        """A left click at ``p``; True when the overlay used it."""
        if self.tool == "select":
            hit = self.hit(p, tolerance)
            self.selected = hit.id if hit else None
            self._drag_from, self._drag_before = (p, hit) if hit else (None, None)
            self.changed.emit()
            return hit is not None
        if self.tool == "text":
            text = self.text_provider()
            if text:
                self.add(self._new("text", [p], text))
            return True
        if self.tool == "freehand":
            self._pending = [p]
            return True
        self._pending.append(p)
        need = 3 if self.tool == "angle" else 2
        if len(self._pending) >= need:
            points, self._pending = self._pending[:need], []
            self.add(self._new(self.tool, points))
        self.changed.emit()
        return True

    def move(self, p: list[float], dragging: bool) -> None:
        self._hover = p
        if self.tool == "freehand" and dragging and self._pending:
            self._pending.append(p)
        elif self.tool == "select" and dragging and self._drag_before is not None and self._drag_from is not None:
            dx, dy = p[0] - self._drag_from[0], p[1] - self._drag_from[1]
            self.drawings.put(self._drag_before.moved(dx, dy))  # shown live, committed on release
        elif self.tool == "angle" and len(self._pending) == 2:
            self.angle_measured.emit(Drawing("angle", self._pending + [p], 0, 0).degrees)
        self.changed.emit()

    def release(self, p: list[float]) -> None:
        if self.tool == "freehand" and len(self._pending) >= 2:
            points, self._pending = self._pending, []
            self.add(self._new("freehand", points))
        elif self.tool == "select" and self._drag_before is not None and self._drag_from is not None:
            before = self._drag_before
            dx, dy = p[0] - self._drag_from[0], p[1] - self._drag_from[1]
            self.drawings.put(before)
            if math.hypot(dx, dy) > 0.5:
                self.replace(before, before.moved(dx, dy))
        self._drag_from, self._drag_before = None, None
        self.changed.emit()

    def _new(self, kind: str, points: list[list[float]], text: str = "") -> Drawing:
        return Drawing(kind, points, self.frame, self.frame + self.hold_frames, self.color, self.thickness, text)

    def hit(self, p: list[float], tolerance: float) -> Drawing | None:
        """The drawing on this frame nearest to ``p`` within ``tolerance`` (topmost first)."""
        best, best_d = None, tolerance
        for d in reversed(self.visible()):
            dist = _distance(d, p)
            if dist <= best_d:
                best, best_d = d, dist
        return best

    # --- painting ------------------------------------------------------------------------------
    def paint(self, painter: QPainter, target: QRectF) -> None:
        space = self.drawings.space
        paint_drawings(painter, self.visible(), target, space, self.selected)
        preview = self._preview()
        if preview is not None:
            paint_drawings(painter, [preview], target, space)

    def _preview(self) -> Drawing | None:
        """The shape being drawn, up to the mouse (rubber band)."""
        if not self._pending or self._hover is None:
            return None
        points = self._pending + ([] if self.tool == "freehand" else [self._hover])
        kind = self.tool
        if kind == "angle" and len(points) == 2:
            kind = "line"
        try:
            return Drawing(kind, points, self.frame, self.frame, self.color, self.thickness)
        except VATPError:
            return None


def _segment_distance(p, a, b) -> float:
    ax, ay, bx, by, px, py = a[0], a[1], b[0], b[1], p[0], p[1]
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy
    t = 0.0 if length2 == 0 else max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / length2))
    return math.hypot(px - (ax + t * dx), py - (ay + t * dy))


def _distance(d: Drawing, p) -> float:
    pts = d.points
    if d.kind == "circle":
        return abs(math.hypot(p[0] - pts[0][0], p[1] - pts[0][1]) - d.radius)
    if d.kind == "text":
        return math.hypot(p[0] - pts[0][0], p[1] - pts[0][1]) / 3  # the label is bigger than its anchor
    if d.kind == "angle":
        return min(_segment_distance(p, pts[1], pts[0]), _segment_distance(p, pts[1], pts[2]))
    return min(_segment_distance(p, a, b) for a, b in zip(pts, pts[1:]))


def _ask_text() -> str | None:
    from PySide6.QtWidgets import QApplication, QInputDialog

    text, ok = QInputDialog.getText(QApplication.activeWindow(), "Text", "Text to show on the frame:")
    return text if ok and text else None


def view_to_video(pos: QPointF, target: QRectF, space: tuple[int, int]) -> list[float]:
    """A widget position → video pixels, given where the frame is drawn."""
    sw, sh = space
    if target.width() <= 0 or target.height() <= 0 or not sw or not sh:
        return [pos.x(), pos.y()]
    return [(pos.x() - target.x()) * sw / target.width(), (pos.y() - target.y()) * sh / target.height()]
