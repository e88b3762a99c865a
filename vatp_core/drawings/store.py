"""Where drawings are kept: one JSON file per video in the user data folder, keyed by the video's content.

Keyed by content identity (not path), a renamed or moved video keeps its drawings, and re-scoring never
touches them. Every write goes through `vatp_core.atomic`; an unwritable sidecar folder (a read-only card
or share) only means the copy beside the video is skipped.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from .. import paths
from ..atomic import atomic_write
from ..errors import VATPError
from ..identity import content_id, digest_part
from .model import DrawingFormatError, DrawingSet

log = logging.getLogger(__name__)


def drawings_folder() -> Path:
    return paths.data_dir() / "drawings"


def video_identity(video: str | os.PathLike) -> str:
    """The one content identity of the video (the key of its drawings)."""
    return content_id(video)


class DrawingStore:
    """Loads and saves the `DrawingSet` of a video (``folder`` defaults to the user data folder)."""

    def __init__(self, folder: str | os.PathLike | None = None) -> None:
        self._folder = Path(folder) if folder is not None else None

    @property
    def folder(self) -> Path:
        return self._folder if self._folder is not None else drawings_folder()

    def file_for(self, identity: str) -> Path:
        return self.folder / f"{digest_part(identity)}.json"

    def load(self, video: str | os.PathLike) -> DrawingSet:
        """The video's drawings (an empty set when it has none); a damaged file is reported, not replaced."""
        identity = video_identity(video)
        file = self.file_for(identity)
        try:
            text = file.read_text(encoding="utf-8")
        except FileNotFoundError:
            return self._from_sidecar(video, identity)
        except OSError as exc:
            raise VATPError(f"Cannot read the drawings file {file}: {exc.strerror or exc}") from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DrawingFormatError(f"The drawings file {file} is damaged (invalid JSON: {exc.msg}).") from None
        drawings = DrawingSet.from_dict(data)
        drawings.video_id = identity
        return drawings

    def save(self, video: str | os.PathLike, drawings: DrawingSet) -> Path:
        """Write the user-data copy (atomically) and, where the folder is writable, the sidecar's copy."""
        drawings.video_id = drawings.video_id or video_identity(video)
        file = self.file_for(drawings.video_id)
        try:
            atomic_write(file, json.dumps(drawings.to_dict(), indent=1))
        except OSError as exc:
            raise VATPError(f"Cannot write the drawings to {file.parent}: {exc.strerror or exc}") from None
        self._to_sidecar(video, drawings)
        return file

    # --- the copy in the video's sidecar (its scored result, read and written through ScoreResult) ------
    @staticmethod
    def _from_sidecar(video: str | os.PathLike, identity: str) -> DrawingSet:
        """Drawings carried in the sidecar (a video and its sidecar copied to another computer)."""
        from ..result import ScoreResult

        sidecar = ScoreResult.sidecar_path(video)
        try:
            stored = ScoreResult.from_json(sidecar).drawings if sidecar.is_file() else None
            found = DrawingSet.from_dict(stored) if stored else None
        except VATPError as exc:
            log.info("drawings in %s not used: %s", sidecar, exc)
            found = None
        if found is None or (found.video_id and found.video_id != identity):
            return DrawingSet(identity)  # none, or made on another version of the file
        found.video_id = identity
        return found

    @staticmethod
    def _to_sidecar(video: str | os.PathLike, drawings: DrawingSet) -> None:
        """Update the drawings of an existing sidecar (an unscored video has none: nothing is created)."""
        from ..result import ScoreResult

        sidecar = ScoreResult.sidecar_path(video)
        if not sidecar.is_file():
            return
        try:
            result = ScoreResult.from_json(sidecar)
            result.drawings = drawings.to_dict()
            result.to_json(sidecar)
        except (OSError, VATPError) as exc:  # read-only card or share: the user-data copy is enough
            log.info("drawings not written into %s: %s", sidecar, exc)
