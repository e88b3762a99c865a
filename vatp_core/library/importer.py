"""Fill the library from the portable records: sidecars, batch result files and athlete exports.

Importing is idempotent (each attempt has a unique key), so importing a folder again after a crash adds
exactly what is missing. Videos that moved are found again by their content hash.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from ..errors import VATPError, check_cancel
from ..result import SIDECAR_SUFFIX, ScoreResult
from .errors import LibraryError
from .store import Library

log = logging.getLogger(__name__)

ImportProgress = Callable[[int, int, str], None]  # done, total, current file
ATHLETE_EXPORT_FORMAT = "vatp-athlete-export"


@dataclass
class ImportSummary:
    added: int = 0
    already: int = 0  # attempts that were in the library before
    failed: list[tuple[str, str]] = field(default_factory=list)  # (file, why)
    relocated: int = 0  # attempts whose moved video was found again

    def text(self) -> str:
        parts = [f"{self.added} attempt(s) added", f"{self.already} already in the library"]
        if self.relocated:
            parts.append(f"{self.relocated} moved video(s) found again")
        if self.failed:
            parts.append(f"{len(self.failed)} file(s) could not be read")
        return ", ".join(parts)


@dataclass
class _Found:
    result: ScoreResult
    source: str  # "sidecar", "batch", "export"
    path: Path
    athlete: str | None = None
    video_beside: Path | None = None  # where the video is when it is not at the recorded path


def import_path(
    lib: Library,
    path: str | os.PathLike,
    *,
    athlete: str | None = None,
    place: str = "",
    progress: ImportProgress | None = None,
    cancel: Callable[[], bool] | None = None,
) -> ImportSummary:
    """Import a folder (searched recursively) or one sidecar / batch JSON / athlete export file."""
    root = Path(path)
    if not root.exists():
        raise LibraryError(f"Nothing to import: {root} does not exist.")
    files = _record_files(root)
    summary = ImportSummary()
    for done, file in enumerate(files):
        check_cancel(cancel)
        if progress is not None:
            progress(done, len(files), str(file))
        try:
            found = list(_read_records(file))
        except (VATPError, OSError, ValueError, KeyError, TypeError) as exc:
            summary.failed.append((str(file), str(exc)))
            continue
        for item in found:
            if item.video_beside is not None:
                item.result.video.path = str(item.video_beside)
            attempt = lib.add_result(
                item.result,
                athlete=athlete if athlete is not None else item.athlete,
                source=item.source,
                source_path=str(item.path),
                place=place,
            )
            if attempt is None:
                summary.already += 1
            else:
                summary.added += 1
    if progress is not None:
        progress(len(files), len(files), "")
    summary.relocated = relocate_videos(lib, [root if root.is_dir() else root.parent], cancel=cancel)
    return summary


def _record_files(root: Path) -> list[Path]:
    if root.is_file():
        return [root]
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") or d.endswith(".vatp"))
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            if name.endswith(SIDECAR_SUFFIX) or name.endswith(".json"):
                found.append(Path(dirpath, name))
    return found


def _read_records(file: Path) -> Iterator[_Found]:
    """The attempts a file holds; JSON files that are not VATP records yield nothing."""
    if file.name.endswith(SIDECAR_SUFFIX):
        result = ScoreResult.from_json(file)
        beside = file.with_name(file.name[: -len(SIDECAR_SUFFIX)])
        yield _Found(result, "sidecar", file, video_beside=_moved_to(result, beside))
        return
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return
    if not isinstance(data, dict):
        return
    if data.get("format") == ATHLETE_EXPORT_FORMAT:
        for item in data.get("attempts", []):
            result = ScoreResult.from_dict(item["result"])
            yield _Found(result, "export", file, athlete=str(data.get("athlete") or "") or None)
    elif {"video", "pack", "mean", "std"} <= set(data):  # a result saved with `vatp score --json`
        yield _Found(ScoreResult.from_dict(data), "result", file)
    elif isinstance(data.get("rows"), list) and "pack_id" in data:  # a `vatp batch` results file
        folder = Path(str(data.get("folder") or file.parent))
        for row in data["rows"]:
            if not isinstance(row, dict) or row.get("status") != "ok" or not row.get("result_json"):
                continue
            result_file = file.parent / str(row["result_json"])
            if not result_file.is_file():
                continue
            result = ScoreResult.from_json(result_file)
            video = folder / str(row.get("file", ""))
            athlete = str(row.get("athlete") or "").strip() or None
            yield _Found(result, "batch", result_file, athlete=athlete, video_beside=_moved_to(result, video))


def _moved_to(result: ScoreResult, candidate: Path) -> Path | None:
    """``candidate`` when the recorded video path is gone and the candidate file exists."""
    recorded = result.video.path
    if recorded and Path(recorded).exists():
        return None
    return candidate if candidate.is_file() else None


def relocate_videos(lib: Library, folders: list[Path], *, cancel: Callable[[], bool] | None = None) -> int:
    """Point attempts whose video is gone at a file under ``folders`` with the same content hash."""
    missing: dict[str, list[int]] = {}
    for attempt_id, video_path, chash in lib.execute(
        "SELECT id, video_path, content_hash FROM attempts WHERE content_hash != ''"
    ):
        if not video_path or not Path(video_path).exists():
            missing.setdefault(chash, []).append(attempt_id)
    if not missing:
        return 0
    from ..batch import find_videos
    from ..identity import content_id, is_full_id, legacy_sampled_id

    legacy = any(not is_full_id(h) for h in missing)  # attempts stored before full-content identities
    moved = 0
    for folder in folders:
        if not folder.is_dir():
            continue
        for video in find_videos(folder):
            check_cancel(cancel)
            try:
                ids = [content_id(video)] + ([legacy_sampled_id(video)] if legacy else [])
            except (OSError, VATPError) as exc:
                log.debug("cannot hash %s: %s", video, exc)
                continue
            for chash in ids:
                for attempt_id in missing.pop(chash, []):
                    lib.set_video_path(attempt_id, video.resolve())
                    moved += 1
            if not missing:
                return moved
    return moved


def locate_video(lib: Library, attempt_id: int, folders: list[Path] = ()) -> Path | None:  # type: ignore[assignment]
    """The attempt's video: at its stored path, beside its sidecar, or found by content hash in ``folders``."""
    row = lib.execute(
        "SELECT video_path, source_path, content_hash FROM attempts WHERE id = ?", (attempt_id,)
    ).fetchone()
    if row is None:
        return None
    video_path, source_path, _ = row
    if video_path and Path(video_path).is_file():
        return Path(video_path)
    if source_path.endswith(SIDECAR_SUFFIX):
        beside = Path(source_path[: -len(SIDECAR_SUFFIX)])
        if beside.is_file():
            lib.set_video_path(attempt_id, beside)
            return beside
    search = list(folders) + ([Path(video_path).parent] if video_path else [])
    if relocate_videos(lib, [f for f in search if f.is_dir()]):
        found = lib.execute("SELECT video_path FROM attempts WHERE id = ?", (attempt_id,)).fetchone()[0]
        if found and Path(found).is_file():
            return Path(found)
    return None
