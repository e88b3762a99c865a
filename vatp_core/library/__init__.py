"""The athlete library: every scored attempt in one SQLite file, searchable, with progress over time.

The sidecar JSON beside each video stays the portable record; the library can always be rebuilt from
sidecars and batch result files (`import_path`). Qt-free: the app's Library tab and `vatp library` share it.
"""

from __future__ import annotations

from .errors import LibraryCorruptError, LibraryError, LibraryVersionError
from .export import export_athlete, export_csv
from .importer import ImportSummary, import_path, locate_video, relocate_videos
from .queries import AttemptFilter, ProgressSeries, attempt_row, attempt_rows, progress
from .rebuild import rebuild_library, rebuild_path
from .records import AttemptRow
from .schema import SCHEMA_VERSION
from .sidecars import write_back
from .store import Library, default_library_path

__all__ = [
    "SCHEMA_VERSION",
    "AttemptFilter",
    "AttemptRow",
    "ImportSummary",
    "Library",
    "LibraryCorruptError",
    "LibraryError",
    "LibraryVersionError",
    "ProgressSeries",
    "attempt_row",
    "attempt_rows",
    "default_library_path",
    "export_athlete",
    "export_csv",
    "import_path",
    "locate_video",
    "progress",
    "rebuild_library",
    "rebuild_path",
    "relocate_videos",
    "write_back",
]
