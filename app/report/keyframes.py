"""Key frames of a report: one frame of each sub-action (the first one drawn on, else the middle) with its drawings."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtGui import QImage

log = logging.getLogger(__name__)

KEYFRAME_MAX_SIDE = 480  # pixels: sharp in print at the size drawn, small in the file


def frame_to_qimage(frame: Any) -> QImage:
    import numpy as np

    arr = np.ascontiguousarray(frame[..., :3], dtype=np.uint8)
    h, w = arr.shape[:2]
    return QImage(arr.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


def _drawings_of(path: Path):
    """The coach's drawings of the video, or None (a report never fails for want of them)."""
    try:
        from vatp_core.drawings import DrawingStore

        drawings = DrawingStore().load(path)
    except Exception as exc:  # noqa: BLE001 - an unreadable drawings file costs only the drawings
        log.info("drawings of %s not used in the report: %s", path, exc)
        return None
    return drawings if drawings.drawings else None


def _key_frame_index(seg: Any, n: int, drawings) -> int:
    """The first frame of the sub-action that has drawings on it, else its middle frame."""
    first, last = int(seg.start_frame), int(seg.end_frame)
    if drawings is not None:
        drawn = sorted(max(first, d.first) for d in drawings.drawings if d.first <= last and d.last >= first)
        if drawn:
            return max(0, min(n - 1, drawn[0]))
    return max(0, min(n - 1, (first + last) // 2))


def key_frames(result: Any, video_path: str | Path | None = None) -> tuple[list[tuple[Any, int, QImage]], str]:
    """One frame from the middle of each sub-action, read through vatp_core.video; a note when impossible."""
    segments = list(result.segments or [])
    if not segments:
        return [], "No sub-action was placed in time, so there are no key frames."
    candidates = [Path(video_path)] if video_path else []
    stored = result.video.path
    if stored:
        candidates.append(Path(stored))
    path = next((p for p in candidates if p.is_file()), None)
    if path is None:
        where = str(candidates[0]) if candidates else "(no path stored in the result)"
        return [], f"Key frames not included: the video was not found at {where}."
    try:
        from vatp_core.video import open_video

        frames = []
        drawings = _drawings_of(path)
        with open_video(path) as reader:
            n = len(reader)
            expected = result.video.n_frames or n
            if n != expected:  # another file now sits at that path: its frames would mislabel the sub-actions
                return [], (f"Key frames not included: {path.name} has {n} frames, the scored video had {expected}.")
            for seg in segments:
                i = _key_frame_index(seg, n, drawings)
                if hasattr(reader, "preview"):
                    img = reader.preview(i, KEYFRAME_MAX_SIDE)
                else:
                    img = reader.frame(i)
                on_frame = drawings.on_frame(i) if drawings is not None else []
                if on_frame:
                    from ..drawings.paint import render_frame_with_drawings

                    image = render_frame_with_drawings(img, on_frame, drawings.space or reader.size)
                else:
                    image = frame_to_qimage(img)
                frames.append((seg, i, image))
        return frames, ""
    except Exception as exc:  # a video that no longer decodes must not stop the report
        log.warning("key frames from %s failed: %s", path, exc)
        return [], f"Key frames not included: {path.name} could not be read ({exc})."
