"""How times are written for people, the same in the summary, the PDF, the timeline and the command line."""

from __future__ import annotations


def clock(seconds: float, decimals: int = 2) -> str:
    """A position in a routine as ``m:ss.ss`` (``1:05.25``); minutes are not padded and never roll over to hours."""
    total = round(max(0.0, float(seconds)), decimals)  # round first, so 59.999 s is 1:00.00, never 0:60.00
    minutes, sec = divmod(total, 60.0)
    width = 3 + decimals if decimals > 0 else 2
    return f"{int(minutes)}:{sec:0{width}.{decimals}f}"


def timecode(seconds: float) -> str:
    """``H:MM:SS.mmm`` without the hour when it is zero: what a video editor shows for a frame."""
    ms_total = int(round(max(0.0, float(seconds)) * 1000))
    hours, rest = divmod(ms_total, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, ms = divmod(rest, 1000)
    text = f"{minutes:02d}:{secs:02d}.{ms:03d}"
    return f"{hours}:{text}" if hours else text


def duration(seconds: float) -> str:
    """A length of time to wait, to the coarsest useful unit: ``42s``, ``3m07s``, ``2h05m``."""
    s = int(round(max(0.0, float(seconds))))
    if s >= 3600:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    return f"{s // 60}m{s % 60:02d}s" if s >= 60 else f"{s}s"
