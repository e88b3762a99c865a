"""Opening the library: migrations, damaged and newer files left untouched, network shares, editing."""

from __future__ import annotations

import hashlib
import sqlite3

import pytest

from vatp_core.library import (
    SCHEMA_VERSION,
    AttemptFilter,
    Library,
    LibraryCorruptError,
    LibraryError,
    LibraryVersionError,
    attempt_rows,
    default_library_path,
    rebuild_library,
    rebuild_path,
)
from vatp_core.library import store as store_module
from vatp_core.library.schema import MIGRATIONS, migrate, schema_version
from vatp_core.library.synthetic import synthetic_result, write_synthetic_sidecars


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_new_library_is_wal_and_at_the_latest_schema(tmp_path):
    with Library(tmp_path / "lib.sqlite3") as lib:
        assert lib.journal_mode == "wal"
        assert lib.notice == ""
        assert schema_version(lib._conn) == SCHEMA_VERSION
        assert lib.integrity_check() == "ok"


def test_default_path_is_in_the_data_folder_or_the_settings(vatp_home, tmp_path):
    from vatp_core.settings import Settings, save_settings

    assert default_library_path() == vatp_home / "data" / "library.sqlite3"
    save_settings(Settings(library_path=str(tmp_path / "other.sqlite3")))
    assert default_library_path() == tmp_path / "other.sqlite3"


def test_every_migration_in_order_keeps_stored_attempts(tmp_path):
    """A version-1 file with an attempt in it opens migrated; the attempt is intact, new columns empty."""
    assert [m.version for m in MIGRATIONS] == list(range(1, SCHEMA_VERSION + 1))
    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    assert migrate(conn, target=1) == [1]
    conn.execute(
        "INSERT INTO attempts (attempt_key, scored_at, date, mean, std, pack_id) "
        "VALUES ('k', '2026-09-01T10:00:00+00:00', '2026-09-01', 71.5, 2.0, 'p')"
    )
    conn.execute("COMMIT")
    conn.close()
    with Library(path) as lib:
        assert schema_version(lib._conn) == SCHEMA_VERSION
        (row,) = attempt_rows(lib)
        assert (row.mean, row.interval_lo, row.interval_hi, row.ood) == (71.5, None, None, None)


@pytest.mark.parametrize(
    "content",
    [b"this is not a database at all" * 10, b"SQLite format 3\x00" + b"\xff" * 4000],
    ids=["garbage", "damaged-pages"],
)
def test_damaged_file_is_refused_and_never_written(tmp_path, content):
    path = tmp_path / "lib.sqlite3"
    path.write_bytes(content)
    before = digest(path)
    with pytest.raises(LibraryCorruptError, match="left as it is"):
        Library(path)
    assert digest(path) == before
    assert not (tmp_path / "lib.sqlite3-wal").exists()


def test_sqlite_file_of_another_program_is_refused(tmp_path):
    path = tmp_path / "other.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    before = digest(path)
    with pytest.raises(LibraryCorruptError, match="not a VATP Studio library"):
        Library(path)
    assert digest(path) == before


def test_newer_library_is_refused_and_untouched(tmp_path):
    path = tmp_path / "lib.sqlite3"
    Library(path).close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    before = digest(path)
    with pytest.raises(LibraryVersionError, match="newer VATP Studio"):
        Library(path)
    assert digest(path) == before


def test_damaged_library_is_rebuilt_from_sidecars_into_a_new_file(tmp_path):
    broken = tmp_path / "lib.sqlite3"
    broken.write_bytes(b"garbage" * 100)
    sidecars = write_synthetic_sidecars(tmp_path / "videos", range(5), athlete="R. Ebuilt")
    target = rebuild_path(broken)
    assert target.parent == broken.parent and target != broken
    summary = rebuild_library([sidecars], target)
    assert summary.added == 5
    assert broken.read_bytes() == b"garbage" * 100
    with Library(target) as lib:
        assert lib.athletes() == ["R. Ebuilt"]
    with pytest.raises(LibraryError, match="new file only"):
        rebuild_library([sidecars], target)


def test_network_share_uses_a_rollback_journal_and_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(store_module, "network_fs_type", lambda path: "cifs")
    with Library(tmp_path / "lib.sqlite3") as lib:
        assert lib.journal_mode == "delete"
        assert "network share (cifs)" in lib.notice and "WAL" in lib.notice
        assert lib.add_result(synthetic_result(1)) is not None


def test_network_fs_type_reads_the_mount_table(monkeypatch, tmp_path):
    from vatp_core.library import filesystem

    monkeypatch.setattr(filesystem.sys, "platform", "linux")
    monkeypatch.setattr(
        filesystem, "_proc_mounts", lambda: [("/", "ext4"), (str(tmp_path / "share"), "nfs4"), ("/proc", "proc")]
    )
    monkeypatch.setattr(filesystem.Path, "is_file", lambda self: True)
    (tmp_path / "share").mkdir()
    assert filesystem.network_fs_type(tmp_path / "share" / "lib.sqlite3") == "nfs4"
    assert filesystem.network_fs_type(tmp_path) is None


def test_add_is_idempotent_and_edits_stay(tmp_path):
    result = synthetic_result(3, athlete="A. Diver")
    with Library(tmp_path / "lib.sqlite3") as lib:
        attempt = lib.add_result(result)
        assert attempt is not None
        assert lib.add_result(result) is None
        lib.set_notes_tags(attempt, "better entry", "Entry, entry , board")
        lib.set_athlete(attempt, "B. Springer")
        (row,) = attempt_rows(lib)
        assert (row.athlete, row.notes, row.tags) == ("B. Springer", "better entry", "Entry, board")
        assert lib.tags() == ["board", "Entry"]
        stored = lib.result(attempt)
        assert (stored.athlete, stored.notes, stored.tags) == ("B. Springer", "better entry", ["Entry", "board"])
        assert stored.contributions == result.contributions


def test_delete_athlete_removes_every_trace(tmp_path):
    with Library(tmp_path / "lib.sqlite3") as lib:
        lib.add_results([(synthetic_result(i), "Minor" if i % 2 else "Adult") for i in range(10)])
        lib.delete_athlete("Minor")
        assert lib.athletes() == ["Adult"]
        assert lib.count() == 5
        for table in ("subactions", "attempt_tags", "results"):
            orphans = lib.execute(
                f"SELECT count(*) FROM {table} WHERE attempt_id NOT IN (SELECT id FROM attempts)"
            ).fetchone()[0]
            assert orphans == 0, table
        assert lib.execute("SELECT count(*) FROM sessions").fetchone()[0] == 1
        assert attempt_rows(lib, AttemptFilter(athlete="Minor")) == []
        with pytest.raises(LibraryError, match="No athlete"):
            lib.delete_athlete("Minor")
    assert b"Minor" not in (tmp_path / "lib.sqlite3").read_bytes()
