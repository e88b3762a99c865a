"""The library under faults: a writer killed mid-import, two writers at once, re-imports that add nothing twice."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from vatp_core.library import Library, import_path
from vatp_core.library.synthetic import synthetic_result, write_synthetic_sidecars

WRITER = Path(__file__).with_name("writer.py")
ROOT = Path(__file__).resolve().parents[3]


def writer(db: Path, folder: Path, *extra: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.Popen(
        [sys.executable, str(WRITER), str(db), str(folder), *extra],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def start_together(procs: list[subprocess.Popen]) -> None:
    """Wait until every writer is up, then let them all go at once."""
    for proc in procs:
        assert proc.stdout.readline().strip() == "ready"
    for proc in procs:
        proc.stdin.write("go\n")
        proc.stdin.flush()


def count_keys(db: Path) -> tuple[int, int]:
    with Library(db) as lib:
        total = lib.count()
        distinct = lib.execute("SELECT count(DISTINCT attempt_key) FROM attempts").fetchone()[0]
        assert lib.execute("SELECT count(*) FROM results").fetchone()[0] == total
    return total, distinct


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs kill -9")
def test_kill_9_mid_import_then_reimport_adds_exactly_the_missing(tmp_path):
    folder = write_synthetic_sidecars(tmp_path / "sidecars", range(200))
    db = tmp_path / "library.sqlite3"
    proc = writer(db, folder, "--hang-at", "57")
    assert proc.stdout.readline().strip() == "ready"
    assert proc.stdout.readline().strip() == "inside"  # 57th attempt inserted, its transaction still open
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL

    with Library(db) as lib:
        assert lib.integrity_check() == "ok"
        assert lib.count() == 56  # the open transaction left nothing behind
        assert lib.execute("SELECT count(*) FROM subactions").fetchone()[0] == 56 * 4
        second = import_path(lib, folder)
        assert (second.added, second.already) == (200 - 56, 56)
        third = import_path(lib, folder)
        assert (third.added, third.already) == (0, 200)
    assert count_keys(db) == (200, 200)


def test_two_processes_writing_at_once_both_succeed(tmp_path):
    first = write_synthetic_sidecars(tmp_path / "a", range(0, 150))
    second = tmp_path / "b"
    second.mkdir()
    for i in range(50, 200):  # 100 attempts overlap: copies of the same sidecars
        name = f"attempt_{i:04d}.mp4.vatp.json"
        src = first / name
        if src.exists():
            shutil.copy(src, second / name)
        else:
            synthetic_result(i, athlete=f"Athlete {i % 7}").save_sidecar(second / f"attempt_{i:04d}.mp4")
    db = tmp_path / "library.sqlite3"
    Library(db).close()  # created (and migrated) once, so both writers race on the data, not the schema
    procs = [writer(db, first, "--wait"), writer(db, second, "--wait")]
    start_together(procs)
    outputs = [proc.communicate(timeout=300) for proc in procs]
    for proc, (_out, err) in zip(procs, outputs):
        assert proc.returncode == 0, err
    added = sum(int(out.strip().splitlines()[-1].split()[-1]) for out, _ in outputs)
    assert added == 200
    assert count_keys(db) == (200, 200)
    with Library(db) as lib:
        assert lib.integrity_check() == "ok"


def test_two_processes_creating_the_library_at_once(tmp_path):
    """Both find no file: one creates and migrates it, the other waits and finds it migrated."""
    a = write_synthetic_sidecars(tmp_path / "a", range(0, 20))
    b = write_synthetic_sidecars(tmp_path / "b", range(20, 40))
    db = tmp_path / "new.sqlite3"
    procs = [writer(db, a, "--wait"), writer(db, b, "--wait")]
    start_together(procs)
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
    assert count_keys(db) == (40, 40)
