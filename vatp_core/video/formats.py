"""File types offered in open dialogs and picked up by batch scoring."""

from __future__ import annotations

from pathlib import Path

VIDEO_EXTENSIONS: tuple[str, ...] = (
    ".mp4",
    ".m4v",
    ".mov",
    ".avi",
    ".mkv",
    ".webm",
    ".mpg",
    ".mpeg",
    ".mts",
    ".m2ts",
    ".ts",
    ".wmv",
    ".flv",
    ".3gp",
)


def is_video_filename(path: str | Path) -> bool:
    return Path(path).suffix.lower() in VIDEO_EXTENSIONS
