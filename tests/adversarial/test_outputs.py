"""Outputs are complete or absent: full disk, devices, folders, symlinks, permissions, early checks (issue 16)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import pytest

from tests.adversarial.helpers import REPO, disk_full_after, one_line_error, run_cli
from vatp_core.atomic import OutputError, atomic_open, atomic_path, atomic_write, check_writable


def test_full_disk_keeps_the_old_file_and_says_so(tmp_path):
    """A write that runs out of space (RLIMIT_FSIZE in a child process) leaves the old file and no temp file."""
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    code = (
        "import sys; from vatp_core.atomic import atomic_write\n"
        "try:\n    atomic_write(sys.argv[1], b'x' * 100000, fsync=True)\n"
        "except Exception as e:\n    print(type(e).__name__, e); sys.exit(3)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(target)],
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        preexec_fn=disk_full_after(4096),
    )
    assert proc.returncode == 3 and proc.stdout.startswith("OutputError"), proc.stdout + proc.stderr
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.bin"]


def test_a_device_or_a_folder_is_never_replaced(tmp_path):
    with pytest.raises(OutputError, match="not a regular file"):
        atomic_write("/dev/full", b"x")
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)
    with pytest.raises(OutputError, match="folder"):
        atomic_write(tmp_path, "x")
    with pytest.raises(OutputError, match="folder"):
        check_writable(tmp_path)


def test_symlink_is_written_through_and_new_files_follow_the_umask(tmp_path):
    real = tmp_path / "real.json"
    real.write_text("old")
    os.chmod(real, 0o640)
    link = tmp_path / "link.json"
    link.symlink_to(real)
    atomic_write(link, "new")
    assert link.is_symlink() and real.read_text() == "new"
    assert stat.S_IMODE(real.stat().st_mode) == 0o640  # an existing file keeps its mode
    old = os.umask(0o022)
    try:
        fresh = atomic_write(tmp_path / "sub" / "fresh.csv", "a,b\n")
    finally:
        os.umask(old)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o644
    assert stat.S_IMODE(fresh.parent.stat().st_mode) == 0o755


def test_a_short_write_is_refused(tmp_path, monkeypatch):
    """Simulated: the size on disk comes back smaller than what was written (a lost write at close)."""
    target = tmp_path / "a.txt"
    target.write_text("old")
    real_stat = os.stat

    def short_stat(p, *a, **k):
        st = real_stat(p, *a, **k)
        if str(p).endswith(".tmp"):
            return os.stat_result((st.st_mode, 0, 0, 0, 0, 0, st.st_size - 1, 0, 0, 0))
        return st

    with pytest.raises(OutputError, match="part of the file"):
        with atomic_open(target, "w") as fh:
            fh.write("new text")
            monkeypatch.setattr(os, "stat", short_stat)
    monkeypatch.undo()
    assert target.read_text() == "old"


def test_verify_refusal_leaves_the_old_file(tmp_path):
    target = tmp_path / "r.pdf"
    target.write_bytes(b"good")

    def refuse(p):
        raise OutputError("incomplete")

    with pytest.raises(OutputError):
        with atomic_path(target, verify=refuse) as tmp:
            tmp.write_bytes(b"%PDF-broken")
    assert target.read_bytes() == b"good" and sorted(p.name for p in tmp_path.iterdir()) == ["r.pdf"]


def test_report_on_a_full_disk_fails_and_keeps_the_old_report(tmp_path):
    """Issue 16 item 1: the CLI said "report written" and left a truncated PDF over the good one."""
    pytest.importorskip("PySide6")
    from tests.app.test_report import make_result

    result = tmp_path / "r.json"
    make_result(None).to_json(result)
    out = tmp_path / "report.pdf"
    good = run_cli("report", str(result), "--out", str(out))
    assert good.returncode == 0, good.stderr
    before = out.read_bytes()
    assert before.rstrip().endswith(b"%%EOF")
    full = run_cli("report", str(result), "--out", str(out), preexec=disk_full_after(len(before) // 3))
    assert full.returncode != 0 and "report written" not in full.stdout
    assert "Cannot write" in one_line_error(full) or "incomplete" in one_line_error(full)
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json", "report.pdf"]
    dev = run_cli("report", str(result), "--out", "/dev/full")
    assert dev.returncode != 0 and "not a regular file" in one_line_error(dev)


def test_score_refuses_an_unwritable_json_before_scoring(tmp_path):
    """Issue 16 item 11: --json pointing at a folder failed with a traceback after the score was printed."""
    from tests.videogen import make_test_video

    video = make_test_video(tmp_path / "v.mp4", n_frames=24)
    proc = run_cli("score", str(video), "--json", str(tmp_path), "-q")
    assert proc.returncode != 0 and proc.stdout == ""  # nothing scored, nothing printed
    assert "is a folder" in one_line_error(proc)


def test_closed_stdout_pipe_is_not_a_traceback(tmp_path):
    """Issue 16 item 11: `vatp score V | head -1` printed a BrokenPipeError traceback (here: a pipe closed first)."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "vatp_core.cli", "info"],
            env={**os.environ, "PYTHONPATH": str(REPO)},
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    finally:
        os.close(write_end)
    assert "Traceback" not in proc.stderr and "BrokenPipeError" not in proc.stderr, proc.stderr
    assert proc.returncode == 141


def test_report_refuses_a_reference_from_another_pack_unless_forced(tmp_path):
    """Issue 16 item 13: a reference from another pack with another score range was compared silently."""
    pytest.importorskip("PySide6")
    import shutil

    from tests.app.test_report import make_result

    a = tmp_path / "a.json"
    make_result(None).to_json(a)
    other = make_result(None, mean=60.0)
    other.pack.name, other.pack.score_range = "another-pack", (0.0, 100.0)
    b = tmp_path / "b.json"
    other.to_json(b)
    out = tmp_path / "r.pdf"
    refused = run_cli("report", str(a), "--reference", str(b), "--out", str(out))
    assert refused.returncode != 0 and "not comparable" in one_line_error(refused) and not out.exists()
    forced = run_cli("report", str(a), "--reference", str(b), "--out", str(out), "--force")
    assert forced.returncode == 0 and "not comparable" in forced.stderr
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True).stdout
        assert "not comparable" in " ".join(text.split())


def test_sidecar_and_headless_save_in_a_read_only_folder_fail_before_scoring(tmp_path, monkeypatch, capsys):
    """Issue 16 item 11. Simulated read-only folder: os.access(W_OK) says no for it (root ignores chmod)."""
    from tests.videogen import make_test_video
    from vatp_core.cli import main

    (tmp_path / "ro").mkdir()
    video = make_test_video(tmp_path / "ro" / "v.mp4", n_frames=24)
    real_access = os.access
    monkeypatch.setattr(
        os, "access", lambda p, mode, **k: False if str(p) == str(video.parent) else real_access(p, mode)
    )
    assert main(["score", str(video), "--sidecar", "-q"]) == 2
    out = capsys.readouterr()
    assert out.out == "" and "read-only or not writable" in out.err and len(out.err.strip().splitlines()) == 1
    pytest.importorskip("PySide6")
    from app.headless import run_headless

    assert run_headless(video, None, "cpu", save=True) == 2
    assert "read-only or not writable" in capsys.readouterr().err
