"""Whose attempt each video is, and the athlete library the batch enters them into as it goes.

The athlete comes from the labels file's ``athlete`` column, else (with ``athlete_from_folder``) from the
name of the folder the video is in. Entering the library is idempotent, so a resumed batch also enters
what an earlier, killed run had scored; a library that cannot be opened never stops the batch.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from ..errors import VATPError
from .labels import Label

log = logging.getLogger(__name__)


def athlete_of(rel: str, label: Label | None, from_folder: bool) -> str:
    """The labels file's athlete, else the video's folder name (``Anna/dive3.mp4`` → ``Anna``), else ""."""
    if label is not None and label.athlete:
        return label.athlete
    if from_folder and "/" in rel:
        return rel.rsplit("/", 2)[-2].strip()
    return ""


class LibraryFeed:
    """Adds each scored attempt that has an athlete to the library file at ``path``."""

    def __init__(self, path: str | os.PathLike | None) -> None:
        self.path = Path(path) if path is not None else None
        self._lib: Any = None
        self.added = 0
        self.error = ""  # why the library could not be written, when it could not

    def add(self, result: Any, athlete: str, source_path: Path | None) -> None:
        if not athlete or self.path is None or self.error:
            return
        from ..library import Library

        try:
            if self._lib is None:
                self._lib = Library(self.path)
            if self._lib.add_result(result, athlete=athlete, source="batch", source_path=source_path or "") is not None:
                self.added += 1
        except VATPError as exc:
            self.error = str(exc)
            log.warning("batch: the athlete library is not written: %s", exc)

    def add_stored(self, result_json: Path | None, athlete: str) -> None:
        """An attempt a previous run scored (maybe before the library was asked for)."""
        if not athlete or self.path is None or self.error or result_json is None or not result_json.is_file():
            return
        from ..result import ScoreResult

        try:
            result = ScoreResult.from_json(result_json)
        except VATPError as exc:
            log.warning("batch: %s not entered into the library: %s", result_json, exc)
            return
        self.add(result, athlete, result_json)

    def close(self) -> None:
        if self._lib is not None:
            self._lib.close()
            self._lib = None
