"""The athlete library: one SQLite file (stdlib ``sqlite3``) that many processes may write at once.

Every write is one ``BEGIN IMMEDIATE`` transaction, so a process killed at any instant leaves the last
committed state; a busy timeout makes a second writer wait instead of failing. WAL is used on local
disks; on a network share, where WAL is unsafe, a rollback journal is used and ``notice`` says so.
A damaged file or one from a newer version raises an error and is never written to.
"""

from __future__ import annotations

import functools
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, TypeVar

from .. import paths
from ..result import ScoreResult
from .errors import LibraryCorruptError, LibraryError, LibraryVersionError, translate
from .filesystem import network_fs_type
from .records import AttemptData, attempt_data, clean_tags, unpack_result
from .schema import SCHEMA_VERSION, migrate, schema_version

SQLITE_HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT_S = 30.0
T = TypeVar("T")


def default_library_path() -> Path:
    """The library file: the one set in the settings, else ``library.sqlite3`` in the user data folder."""
    from ..settings import load_settings

    chosen = load_settings().library_path
    return Path(chosen).expanduser() if chosen else paths.data_dir() / "library.sqlite3"


def _guarded(method: Callable[..., T]) -> Callable[..., T]:
    """sqlite3 errors inside a public method become one readable LibraryError."""

    @functools.wraps(method)
    def wrapper(self: "Library", *args: Any, **kwargs: Any) -> T:
        try:
            return method(self, *args, **kwargs)
        except sqlite3.Error as exc:
            raise translate(exc, self.path) from None

    return wrapper


class Library:
    """An open library file. Use it from one thread; open another ``Library`` per thread or process."""

    def __init__(self, path: str | os.PathLike | None = None, *, busy_timeout: float = BUSY_TIMEOUT_S) -> None:
        self.path = Path(path) if path is not None else default_library_path()
        self._busy_timeout = busy_timeout
        self.notice = ""  # shown to the user: e.g. why WAL is not used here
        self.network_fs = network_fs_type(self.path.parent)
        _check_file(self.path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(str(self.path), timeout=busy_timeout, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise LibraryError(f"Cannot open the athlete library {self.path}: {exc}") from None
        try:
            self._setup()
        except sqlite3.Error as exc:
            self._conn.close()
            raise translate(exc, self.path) from None
        except LibraryError:
            self._conn.close()
            raise

    # ----------------------------------------------------------------------------- opening
    def _setup(self) -> None:
        conn = self._conn
        version = schema_version(conn)
        has_tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] > 0
        if version > SCHEMA_VERSION:
            raise LibraryVersionError(
                f"The athlete library {self.path} was written by a newer VATP Studio (schema {version}, this "
                f"version knows up to {SCHEMA_VERSION}); it was left as it is — update VATP Studio."
            )
        if version == 0 and has_tables:
            raise LibraryCorruptError(
                f"{self.path} is an SQLite database but not a VATP Studio library; left as it is."
            )
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA cache_size = -32768")  # 32 MiB: the attempts table of a big library stays in memory
        conn.execute("PRAGMA secure_delete = ON")  # a deleted athlete's data is overwritten, not just unlinked
        if self.network_fs:
            mode = self._journal_mode("delete")
            self.notice = (
                f"The library is on a network share ({self.network_fs}), where SQLite's WAL mode is unsafe; it "
                "uses a rollback journal instead. Let only one computer write to it at a time."
            )
        else:
            mode = self._journal_mode("wal")
        self.journal_mode = str(mode).lower()
        conn.execute("PRAGMA synchronous = NORMAL" if self.journal_mode == "wal" else "PRAGMA synchronous = FULL")
        if version < SCHEMA_VERSION:
            with self.write():
                migrate(self._conn)  # re-reads the version inside the lock: another process may have migrated
        elif conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'attempts'").fetchone() is None:
            raise LibraryCorruptError(f"The athlete library {self.path} has lost its tables; left as it is.")

    def _journal_mode(self, wanted: str) -> str:
        """Switch the journal mode; SQLite answers 'locked' at once (no busy wait) while another process
        creates the file, so this retries until the busy timeout."""
        deadline = time.monotonic() + self._busy_timeout
        while True:
            current = str(self._conn.execute("PRAGMA journal_mode").fetchone()[0]).lower()
            if current == wanted:
                return current
            try:
                return str(self._conn.execute(f"PRAGMA journal_mode = {wanted}").fetchone()[0])
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc).lower() or time.monotonic() > deadline:
                    raise
            time.sleep(0.02)

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> "Library":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: all of it is stored, or (on an error or a kill) none of it."""
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield self._conn
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    def execute(self, sql: str, params: tuple | dict = ()) -> sqlite3.Cursor:
        """A read query (the table model and the benchmarks use it)."""
        try:
            return self._conn.execute(sql, params)
        except sqlite3.Error as exc:
            raise translate(exc, self.path) from None

    # ----------------------------------------------------------------------------- adding
    @_guarded
    def add_result(
        self,
        result: ScoreResult,
        *,
        athlete: str | None = None,
        source: str = "app",
        source_path: str | os.PathLike = "",
        place: str = "",
    ) -> int | None:
        """Store one scored attempt; returns its id, or None when this very attempt is already stored."""
        data = attempt_data(result, athlete=athlete, source=source, source_path=str(source_path))
        with self.write():
            return self._add(data, place.strip())

    @_guarded
    def add_results(self, items: list[tuple[ScoreResult, str | None]], *, source: str = "", place: str = "") -> int:
        """Store many (result, athlete) pairs in one transaction; returns how many were new."""
        prepared = [attempt_data(r, athlete=a, source=source) for r, a in items]
        with self.write():
            return sum(self._add(d, place.strip()) is not None for d in prepared)

    def _add(self, data: AttemptData, place: str) -> int | None:
        conn = self._conn
        row = conn.execute("SELECT id, video_path FROM attempts WHERE attempt_key = ?", (data.key,)).fetchone()
        if row is not None:
            self._refresh_location(row[0], row[1], data)
            return None
        athlete_id = self._athlete_id(data.athlete) if data.athlete else None
        session_id = self._session_id(athlete_id, data.columns["date"], place)
        columns = {"attempt_key": data.key, "athlete_id": athlete_id, "session_id": session_id, **data.columns}
        names = ", ".join(columns)
        marks = ", ".join("?" for _ in columns)
        cur = conn.execute(f"INSERT INTO attempts ({names}) VALUES ({marks})", tuple(columns.values()))
        attempt_id = int(cur.lastrowid or 0)
        self._store_details(attempt_id, data)
        return attempt_id

    def _store_details(self, attempt_id: int, data: AttemptData) -> None:
        conn = self._conn
        conn.executemany(
            "INSERT INTO subactions (attempt_id, position, name, contribution, start_time, end_time, start_frame, "
            "end_frame, confidence) VALUES (:attempt_id, :position, :name, :contribution, :start_time, :end_time, "
            ":start_frame, :end_frame, :confidence)",
            [{"attempt_id": attempt_id, **s} for s in data.subactions],
        )
        conn.executemany(
            "INSERT OR IGNORE INTO attempt_tags (attempt_id, tag) VALUES (?, ?)", [(attempt_id, t) for t in data.tags]
        )
        conn.execute("INSERT INTO results (attempt_id, data) VALUES (?, ?)", (attempt_id, data.blob))

    def _refresh_location(self, attempt_id: int, stored_video: str, data: AttemptData) -> None:
        """An attempt seen again: keep its data, but follow its video if the stored path is gone."""
        new_video = data.columns["video_path"]
        if new_video and new_video != stored_video and not Path(stored_video).exists() and Path(new_video).exists():
            self._conn.execute("UPDATE attempts SET video_path = ? WHERE id = ?", (new_video, attempt_id))

    def _athlete_id(self, name: str) -> int:
        conn = self._conn
        conn.execute("INSERT OR IGNORE INTO athletes (name, created) VALUES (?, ?)", (name, _now()))
        return int(conn.execute("SELECT id FROM athletes WHERE name = ?", (name,)).fetchone()[0])

    def _session_id(self, athlete_id: int | None, date: str, place: str) -> int | None:
        if athlete_id is None:
            return None
        conn = self._conn
        conn.execute(
            "INSERT OR IGNORE INTO sessions (athlete_id, date, place) VALUES (?, ?, ?)", (athlete_id, date, place)
        )
        row = conn.execute(
            "SELECT id FROM sessions WHERE athlete_id = ? AND date = ? AND place = ?", (athlete_id, date, place)
        ).fetchone()
        return int(row[0])

    # ----------------------------------------------------------------------------- editing
    @_guarded
    def set_athlete(self, attempt_id: int, name: str) -> None:
        name = name.strip()
        with self.write() as conn:
            date = conn.execute("SELECT date FROM attempts WHERE id = ?", (attempt_id,)).fetchone()
            if date is None:
                raise LibraryError(f"No attempt {attempt_id} in the library.")
            athlete_id = self._athlete_id(name) if name else None
            session_id = self._session_id(athlete_id, date[0], "")
            conn.execute(
                "UPDATE attempts SET athlete_id = ?, session_id = ? WHERE id = ?", (athlete_id, session_id, attempt_id)
            )

    @_guarded
    def set_notes_tags(self, attempt_id: int, notes: str, tags: list[str] | str) -> None:
        tags = clean_tags(tags)
        with self.write() as conn:
            conn.execute("UPDATE attempts SET notes = ?, tags = ? WHERE id = ?", (notes, ", ".join(tags), attempt_id))
            conn.execute("DELETE FROM attempt_tags WHERE attempt_id = ?", (attempt_id,))
            conn.executemany(
                "INSERT OR IGNORE INTO attempt_tags (attempt_id, tag) VALUES (?, ?)", [(attempt_id, t) for t in tags]
            )

    @_guarded
    def set_video_path(self, attempt_id: int, path: str | os.PathLike) -> None:
        with self.write() as conn:
            conn.execute("UPDATE attempts SET video_path = ? WHERE id = ?", (str(path), attempt_id))

    @_guarded
    def delete_athlete(self, name: str) -> list[str]:
        """Delete the athlete with every attempt, session and stored result; returns the files that still name them.

        The returned sidecar/result files lie outside the library: the caller decides whether to delete them.
        """
        with self.write() as conn:
            row = conn.execute("SELECT id FROM athletes WHERE name = ?", (name,)).fetchone()
            if row is None:
                raise LibraryError(f"No athlete named {name!r} in the library.")
            files = [
                r[0]
                for r in conn.execute(
                    "SELECT DISTINCT source_path FROM attempts WHERE athlete_id = ? AND source_path != ''", (row[0],)
                )
            ]
            conn.execute("DELETE FROM athletes WHERE id = ?", (row[0],))
        if self.journal_mode == "wal":  # move the overwritten pages into the main file, empty the log
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return files

    # ----------------------------------------------------------------------------- reading
    @_guarded
    def count(self) -> int:
        return int(self._conn.execute("SELECT count(*) FROM attempts").fetchone()[0])

    @_guarded
    def athletes(self) -> list[str]:
        return [r[0] for r in self._conn.execute("SELECT name FROM athletes ORDER BY name COLLATE NOCASE")]

    @_guarded
    def routines(self) -> list[str]:
        return [
            r[0] for r in self._conn.execute("SELECT DISTINCT routine FROM attempts WHERE routine != '' ORDER BY 1")
        ]

    @_guarded
    def packs(self, athlete: str | None = None) -> list[tuple[str, str]]:
        """(pack id, readable name) of the packs used, optionally only those one athlete was scored with."""
        sql = "SELECT a.pack_id, min(a.pack_name), count(*) FROM attempts a"
        params: tuple = ()
        if athlete is not None:
            sql += " JOIN athletes t ON t.id = a.athlete_id WHERE t.name = ?"
            params = (athlete,)
        rows = self._conn.execute(sql + " GROUP BY a.pack_id ORDER BY 2, 1", params).fetchall()
        names = [r[1] for r in rows]
        return [(pid, name if names.count(name) == 1 else f"{name} ({pid[:8]})") for pid, name, _ in rows]

    @_guarded
    def tags(self) -> list[str]:
        return [r[0] for r in self._conn.execute("SELECT DISTINCT tag FROM attempt_tags ORDER BY 1 COLLATE NOCASE")]

    @_guarded
    def result(self, attempt_id: int) -> ScoreResult:
        """The full stored result of an attempt, with the library's athlete, notes and tags on it."""
        row = self._conn.execute(
            "SELECT r.data, COALESCE(t.name, ''), a.notes, a.tags, a.video_path FROM results r "
            "JOIN attempts a ON a.id = r.attempt_id LEFT JOIN athletes t ON t.id = a.athlete_id "
            "WHERE r.attempt_id = ?",
            (attempt_id,),
        ).fetchone()
        if row is None:
            raise LibraryError(f"No attempt {attempt_id} in the library.")
        result = unpack_result(row[0])
        result.athlete, result.notes, result.tags = row[1], row[2], clean_tags(row[3])
        if row[4]:
            result.video.path = row[4]
        return result

    @_guarded
    def data_version(self) -> int:
        """Changes when another connection (a batch, another window) commits: time to re-read."""
        return int(self._conn.execute("PRAGMA data_version").fetchone()[0])

    @_guarded
    def integrity_check(self) -> str:
        """``ok``, or SQLite's description of what is damaged."""
        rows = self._conn.execute("PRAGMA integrity_check").fetchall()
        return "\n".join(str(r[0]) for r in rows)


def _check_file(path: Path) -> None:
    """Refuse a file that is not an SQLite database before SQLite touches it (so it is never overwritten)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(len(SQLITE_HEADER))
    except FileNotFoundError:
        return
    except IsADirectoryError:
        raise LibraryError(f"The athlete library {path} is a folder, not a file.") from None
    except OSError as exc:
        raise LibraryError(f"Cannot read the athlete library {path}: {exc.strerror or exc}") from None
    if head and head != SQLITE_HEADER:
        raise LibraryCorruptError(
            f"The athlete library {path} is damaged (not an SQLite database); it was left as it is — rebuild it "
            "from the sidecars into a new file."
        )


def _now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()
