"""The drawing model: plain data in upright display pixels of the video, so drawings stay put at any zoom.

Coordinates are pixels of the frame as the player shows it upright (rotation applied) at full size; the
set records that size (``space``), so a reader that later shows another size (sample-aspect correction,
a proxy) scales the points instead of losing them.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, field
from typing import Any

from ..errors import VATPError

DRAWING_KINDS: tuple[str, ...] = ("line", "arrow", "angle", "circle", "text", "freehand")
#: Points each kind needs (freehand: two or more).
_POINTS = {"line": 2, "arrow": 2, "angle": 3, "circle": 2, "text": 1}
DRAWINGS_FORMAT_VERSION = 1


class DrawingFormatError(VATPError):
    """A drawings file that cannot be read (damaged, or from a newer version)."""


def angle_degrees(points: list[list[float]] | list[tuple[float, float]]) -> float:
    """The angle at the middle point (the vertex) between the two arms, 0–180 degrees."""
    (ax, ay), (ox, oy), (bx, by) = points[:3]
    a = math.atan2(ay - oy, ax - ox)
    b = math.atan2(by - oy, bx - ox)
    d = abs(math.degrees(a - b)) % 360.0
    return 360.0 - d if d > 180.0 else d


@dataclass
class Drawing:
    """One shape on frames ``first``..``last`` (inclusive) of a video.

    ``points``: line/arrow [start, end]; angle [arm end, vertex, arm end]; circle [centre, a point on the
    rim]; text [anchor]; freehand the stroke.
    """

    kind: str
    points: list[list[float]]
    first: int
    last: int
    color: str = "#ffd400"
    thickness: float = 3.0
    text: str = ""
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])

    def __post_init__(self) -> None:
        if self.kind not in DRAWING_KINDS:
            raise DrawingFormatError(f"Unknown drawing kind {self.kind!r}.")
        self.points = [[float(x), float(y)] for x, y in self.points]
        need = _POINTS.get(self.kind, 2)
        if len(self.points) < need:
            raise DrawingFormatError(f"A {self.kind} needs {need} points, got {len(self.points)}.")
        self.first, self.last = sorted((int(self.first), int(self.last)))

    def on_frame(self, frame: int) -> bool:
        return self.first <= frame <= self.last

    @property
    def degrees(self) -> float | None:
        """The angle's value (None for other kinds)."""
        return angle_degrees(self.points) if self.kind == "angle" else None

    @property
    def radius(self) -> float:
        (cx, cy), (rx, ry) = self.points[:2]
        return math.hypot(rx - cx, ry - cy)

    def label(self) -> str:
        """What the drawing says on screen: the angle in degrees, or its text."""
        if self.kind == "angle":
            return f"{self.degrees:.1f}°"
        return self.text

    def moved(self, dx: float, dy: float) -> "Drawing":
        """A copy shifted by (dx, dy) pixels, same id (undo/redo swap whole drawings)."""
        return Drawing(
            self.kind,
            [[x + dx, y + dy] for x, y in self.points],
            self.first,
            self.last,
            self.color,
            self.thickness,
            self.text,
            self.id,
        )

    def scaled(self, sx: float, sy: float) -> "Drawing":
        d = self.moved(0, 0)
        d.points = [[x * sx, y * sy] for x, y in self.points]
        return d

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "points": [[round(x, 2), round(y, 2)] for x, y in self.points],
            "first": self.first,
            "last": self.last,
            "color": self.color,
            "thickness": self.thickness,
            "text": self.text,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Drawing":
        try:
            return cls(
                kind=str(data["kind"]),
                points=[[float(p[0]), float(p[1])] for p in data["points"]],
                first=int(data["first"]),
                last=int(data.get("last", data["first"])),
                color=str(data.get("color", "#ffd400")),
                thickness=float(data.get("thickness", 3.0)),
                text=str(data.get("text", "")),
                id=str(data.get("id") or uuid.uuid4().hex[:12]),
            )
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise DrawingFormatError(f"A drawing could not be read ({type(exc).__name__}: {exc}).") from None


@dataclass
class DrawingSet:
    """All drawings of one video, with the pixel size their coordinates refer to."""

    video_id: str = ""  # content identity of the video (vatp_core.identity.content_id)
    space: tuple[int, int] = (0, 0)  # (width, height) of the upright frame the points are in
    drawings: list[Drawing] = field(default_factory=list)

    def on_frame(self, frame: int) -> list[Drawing]:
        return [d for d in self.drawings if d.on_frame(frame)]

    def get(self, drawing_id: str) -> Drawing | None:
        return next((d for d in self.drawings if d.id == drawing_id), None)

    def put(self, drawing: Drawing) -> None:
        """Add, or replace the drawing with the same id (in place, keeping the order)."""
        for i, d in enumerate(self.drawings):
            if d.id == drawing.id:
                self.drawings[i] = drawing
                return
        self.drawings.append(drawing)

    def remove(self, drawing_id: str) -> Drawing | None:
        d = self.get(drawing_id)
        if d is not None:
            self.drawings.remove(d)
        return d

    def in_space(self, width: int, height: int) -> "DrawingSet":
        """The same drawings with their points in a frame of ``width × height`` pixels."""
        sw, sh = self.space
        if not sw or not sh or (sw, sh) == (width, height):
            return DrawingSet(self.video_id, (width, height), list(self.drawings))
        sx, sy = width / sw, height / sh
        return DrawingSet(self.video_id, (width, height), [d.scaled(sx, sy) for d in self.drawings])

    def to_dict(self) -> dict[str, Any]:
        return {
            "format_version": DRAWINGS_FORMAT_VERSION,
            "video_id": self.video_id,
            "space": list(self.space),
            "drawings": [d.to_dict() for d in self.drawings],
        }

    @classmethod
    def from_dict(cls, data: Any) -> "DrawingSet":
        if not isinstance(data, dict):
            raise DrawingFormatError("Drawings must be a JSON object.")
        version = data.get("format_version", 1)
        if not isinstance(version, int) or version > DRAWINGS_FORMAT_VERSION:
            raise DrawingFormatError(f"Drawings format version {version!r} is newer than this VATP Studio.")
        space = data.get("space") or (0, 0)
        try:
            size = (int(space[0]), int(space[1]))
        except (TypeError, ValueError, IndexError):
            raise DrawingFormatError("Drawings: 'space' must be [width, height].") from None
        items = data.get("drawings") or []
        if not isinstance(items, list):
            raise DrawingFormatError("Drawings: 'drawings' must be a list.")
        return cls(str(data.get("video_id", "")), size, [Drawing.from_dict(d) for d in items])
