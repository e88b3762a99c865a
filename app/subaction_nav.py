"""Jumping between parsed sub-actions (Ctrl+←/→) and finding the one under the playhead (L loops it)."""

from __future__ import annotations


def _starts(segments) -> list[int]:
    return sorted({int(s.start_frame) for s in segments})


def next_start(segments, frame: int) -> int | None:
    """Start frame of the first sub-action that starts after ``frame``."""
    return next((s for s in _starts(segments) if s > frame), None)


def prev_start(segments, frame: int) -> int | None:
    """Start of the sub-action before the one ``frame`` is in (or of the current one, when past its start).

    As in an editor: from inside a sub-action go to its start; from its first frame go to the previous one.
    """
    return next((s for s in reversed(_starts(segments)) if s < frame), None)


def segment_at(segments, frame: int):
    """The segment containing ``frame``; between segments, the nearest one before it (else after)."""
    if not segments:
        return None
    ordered = sorted(segments, key=lambda s: s.start_frame)
    for seg in ordered:
        if seg.start_frame <= frame <= seg.end_frame:
            return seg
    before = [s for s in ordered if s.end_frame < frame]
    return before[-1] if before else ordered[0]
