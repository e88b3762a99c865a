"""Which frame of attempt B to show beside a frame of attempt A: by sub-action, by a fixed offset, or free.

By sub-action, every parsed boundary (first and last frame of each sub-action both attempts have) is an
anchor, and frames between anchors are mapped linearly, so last week's take-off plays beside today's
take-off whatever the speed of each. Outside the first and last anchors B moves frame for frame with A.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Literal, Sequence

SyncMode = Literal["subaction", "offset", "free"]
SYNC_MODES: tuple[str, ...] = ("subaction", "offset", "free")


@dataclass
class SyncMap:
    """Maps a frame of A to the frame of B shown beside it (``None`` in free mode: B keeps its own place)."""

    mode: SyncMode = "free"
    n_frames_b: int = 0
    offset: int = 0  # offset mode: B = A + offset
    anchors: list[tuple[int, int]] = field(default_factory=list)  # subaction mode: (frame of A, frame of B)

    def b_for(self, frame_a: int) -> int | None:
        """The frame of B beside ``frame_a`` (clamped to B), or None when B is free."""
        if self.mode == "free" or self.n_frames_b <= 0:
            return None
        if self.mode == "offset" or not self.anchors:
            return self._clamp(frame_a + self.offset)
        return self._clamp(round(_interpolate(self.anchors, frame_a)))

    def a_for(self, frame_b: int, n_frames_a: int) -> int | None:
        """The inverse mapping (B leads, e.g. a click on B's timeline)."""
        if self.mode == "free":
            return None
        flipped = SyncMap(self.mode, n_frames_a, -self.offset, [(b, a) for a, b in self.anchors])
        return flipped.b_for(frame_b)

    def _clamp(self, frame: int) -> int:
        return max(0, min(int(frame), self.n_frames_b - 1))


def _interpolate(anchors: Sequence[tuple[int, int]], x: float) -> float:
    xs = [a for a, _ in anchors]
    if x <= xs[0]:
        return anchors[0][1] + (x - xs[0])
    if x >= xs[-1]:
        return anchors[-1][1] + (x - xs[-1])
    k = bisect.bisect_right(xs, x) - 1
    (x0, y0), (x1, y1) = anchors[k], anchors[k + 1]
    return y0 + (y1 - y0) * (x - x0) / (x1 - x0)


def boundary_anchors(segments_a: Sequence, segments_b: Sequence) -> list[tuple[int, int]]:
    """(A, B) frame pairs of the sub-action boundaries both attempts have, increasing in both.

    Segments are matched by sub-action name (then index), so attempts scored with the same pack pair up
    even if one of them has a sub-action that was not placed in time.
    """
    by_key_b = {(s.name, s.index): s for s in segments_b}
    pairs: set[tuple[int, int]] = set()
    for sa in segments_a:
        sb = by_key_b.get((sa.name, sa.index))
        if sb is None:
            continue
        pairs.add((int(sa.start_frame), int(sb.start_frame)))
        pairs.add((int(sa.end_frame), int(sb.end_frame)))
    anchors: list[tuple[int, int]] = []
    for a, b in sorted(pairs):
        if anchors and (a <= anchors[-1][0] or b <= anchors[-1][1]):
            continue  # a boundary out of order in B (or repeated) would fold time back: left out
        anchors.append((a, b))
    return anchors


def subaction_sync(segments_a: Sequence, segments_b: Sequence, n_frames_b: int) -> SyncMap:
    """The sub-action sync of two scored attempts (frame-for-frame when they share no boundary)."""
    return SyncMap("subaction", n_frames_b, 0, boundary_anchors(segments_a, segments_b))
