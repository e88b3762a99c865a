"""Kinovea annotation files (.kva, format version 2.0 as Kinovea 0.9.x reads it): one key image per sub-action.

A .kva is XML. Kinovea counts time in the video stream's own timestamps: ``AverageTimeStampsPerFrame``
is the timestamp step of one frame, ``FirstTimeStamp`` the first frame's, and each key image's
``Position`` is the absolute timestamp of its frame (``UserTime`` repeats it as a readable time). We
write those from the same presentation-timestamp index the player and the model use, so key image k sits
on the first frame of sub-action k.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from pathlib import Path

from .. import __version__
from ..atomic import atomic_write
from ..palette import rgb, subaction_color
from ..time_format import timecode

KVA_FORMAT_VERSION = "2.0"


def _text(parent: ET.Element, tag: str, value) -> ET.Element:
    el = ET.SubElement(parent, tag)
    el.text = str(value)
    return el


def kva_document(result, *, pts: list[int], time_base: float, video_path: str | os.PathLike | None = None) -> str:
    """The .kva XML of a scored result; ``pts`` are the stream timestamps of every frame (``time_base`` s each)."""
    video = result.video
    path = Path(str(video_path or video.path or result.video_name))
    fps = float(video.fps or 25.0)
    deltas = sorted(b - a for a, b in zip(pts, pts[1:]) if b > a)
    per_frame = deltas[len(deltas) // 2] if deltas else max(1, round(1.0 / (fps * time_base)))
    first_ts = int(pts[0]) if pts else 0

    root = ET.Element("KinoveaVideoAnalysis")
    _text(root, "FormatVersion", KVA_FORMAT_VERSION)
    _text(root, "Producer", f"VATP Studio {__version__}")
    _text(root, "OriginalFilename", path.stem)
    _text(root, "GlobalTitle", f"{result.video_name}: {result.mean:.2f} ± {result.std:.2f}")
    _text(root, "ImageSize", f"{video.width};{video.height}")
    _text(root, "AverageTimeStampsPerFrame", int(per_frame))
    _text(root, "CaptureFramerate", f"{fps:.3f}")
    _text(root, "UserFramerate", f"{fps:.3f}")
    _text(root, "FirstTimeStamp", first_ts)
    _text(root, "SelectionStart", first_ts)
    if pts:
        _text(root, "SelectionEnd", int(pts[-1]))
    keyframes = ET.SubElement(root, "Keyframes")
    n = len(pts)
    for seg in sorted(result.segments, key=lambda s: s.start_frame):
        frame = min(max(int(seg.start_frame), 0), n - 1) if n else int(seg.start_frame)
        ts = int(pts[frame]) if n else first_ts + frame * per_frame
        key = ET.SubElement(keyframes, "Keyframe")
        position = _text(key, "Position", ts)
        position.set("UserTime", timecode((ts - first_ts) * time_base))
        _text(key, "Title", seg.name)
        r, g, b = rgb(subaction_color(seg.index))
        _text(key, "Color", f"255;{r};{g};{b}")
        _text(
            key,
            "Comment",
            f"frames {seg.start_frame}–{seg.end_frame}, contribution {seg.contribution:+.2f} "
            f"(confidence {seg.confidence:.2f})",
        )
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def write_kva(result, out: str | os.PathLike, video_path: str | os.PathLike | None = None) -> Path:
    """Write the .kva of ``result``; the frame timestamps come from the video (its path in the result by default)."""
    from ..video import open_video

    video = Path(str(video_path or result.video.path))
    with open_video(video, prefetch=False) as reader:
        index = reader.index
        pts = [int(p) for p in index.pts]
        time_base = float(index.time_base)
    out = Path(out)
    atomic_write(out, kva_document(result, pts=pts, time_base=time_base, video_path=video))
    return out
