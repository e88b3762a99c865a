"""The library's tables and their numbered migrations.

``PRAGMA user_version`` holds the number of the last migration applied. Each migration runs once, in
order, inside the write transaction that opens the database, so a process killed while migrating
leaves the previous version intact. A later field (an out-of-distribution score, a damage flag) is a
new migration that adds columns; nothing already stored is rewritten.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass


@dataclass(frozen=True)
class Migration:
    version: int
    what: str
    sql: str


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "athletes, sessions, attempts with their sub-actions, tags and full results",
        """
        CREATE TABLE athletes (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE COLLATE NOCASE,
            created TEXT NOT NULL
        );
        CREATE TABLE sessions (
            id INTEGER PRIMARY KEY,
            athlete_id INTEGER REFERENCES athletes(id) ON DELETE CASCADE,
            date TEXT NOT NULL,
            place TEXT NOT NULL DEFAULT '',
            UNIQUE (athlete_id, date, place)
        );
        CREATE TABLE attempts (
            id INTEGER PRIMARY KEY,
            attempt_key TEXT NOT NULL UNIQUE,
            athlete_id INTEGER REFERENCES athletes(id) ON DELETE CASCADE,
            session_id INTEGER REFERENCES sessions(id) ON DELETE SET NULL,
            scored_at TEXT NOT NULL,
            date TEXT NOT NULL,
            video_path TEXT NOT NULL DEFAULT '',
            video_name TEXT NOT NULL DEFAULT '',
            content_hash TEXT NOT NULL DEFAULT '',
            routine TEXT NOT NULL DEFAULT '',
            pack_name TEXT NOT NULL DEFAULT '',
            pack_label TEXT NOT NULL DEFAULT '',
            pack_id TEXT NOT NULL DEFAULT '',
            weights_sha256 TEXT NOT NULL DEFAULT '',
            score_lo REAL,
            score_hi REAL,
            mean REAL NOT NULL,
            std REAL NOT NULL,
            raw_mean REAL,
            difficulty REAL,
            duration REAL,
            notes TEXT NOT NULL DEFAULT '',
            tags TEXT NOT NULL DEFAULT '',
            source TEXT NOT NULL DEFAULT '',
            source_path TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX attempts_time ON attempts (scored_at);
        CREATE INDEX attempts_athlete ON attempts (athlete_id, date);
        CREATE INDEX attempts_hash ON attempts (content_hash);
        CREATE INDEX attempts_pack ON attempts (pack_id);
        CREATE TABLE subactions (
            attempt_id INTEGER NOT NULL REFERENCES attempts(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            name TEXT NOT NULL,
            contribution REAL,
            start_time REAL,
            end_time REAL,
            start_frame INTEGER,
            end_frame INTEGER,
            confidence REAL,
            PRIMARY KEY (attempt_id, position)
        ) WITHOUT ROWID;
        CREATE TABLE attempt_tags (
            attempt_id INTEGER NOT NULL REFERENCES attempts(id) ON DELETE CASCADE,
            tag TEXT NOT NULL COLLATE NOCASE,
            PRIMARY KEY (attempt_id, tag)
        ) WITHOUT ROWID;
        CREATE INDEX attempt_tags_tag ON attempt_tags (tag);
        CREATE TABLE results (
            attempt_id INTEGER PRIMARY KEY REFERENCES attempts(id) ON DELETE CASCADE,
            data BLOB NOT NULL
        );
        """,
    ),
    Migration(
        2,
        "score interval and out-of-distribution flag, filled once results carry them",
        """
        ALTER TABLE attempts ADD COLUMN interval_lo REAL;
        ALTER TABLE attempts ADD COLUMN interval_hi REAL;
        ALTER TABLE attempts ADD COLUMN ood INTEGER;
        """,
    ),
)

SCHEMA_VERSION = MIGRATIONS[-1].version


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection, target: int = SCHEMA_VERSION) -> list[int]:
    """Apply the migrations after the stored version up to ``target``; the caller holds a write transaction.

    Returns the versions applied. ``executescript`` is avoided because it commits on its own.
    """
    current = schema_version(conn)
    applied = []
    for migration in MIGRATIONS:
        if current < migration.version <= target:
            for statement in _statements(migration.sql):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {int(migration.version)}")
            applied.append(migration.version)
    return applied


def _statements(sql: str) -> list[str]:
    return [s.strip() for s in sql.split(";") if s.strip()]
