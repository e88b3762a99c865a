"""Batch inputs a spreadsheet user or a second terminal produces (issue 16 items 11 and 15)."""

from __future__ import annotations

import pytest

from tests.core.test_batch import FakeScorer
from tests.videogen import make_test_video
from vatp_core.atomic import OutputError
from vatp_core.batch import BatchRow, BatchStore, label_metrics, read_labels, run_batch, spearman_text
from vatp_core.errors import VATPError
from vatp_core.locking import LockedError, exclusive_lock


def test_cp1252_labels_from_excel_are_read(tmp_path):
    f = tmp_path / "labels.csv"
    f.write_bytes("file,score\nété 1.mp4,7.5\nNaïve.mp4,6\n".encode("cp1252"))
    assert read_labels(f)["été 1.mp4"].score == 7.5


@pytest.mark.parametrize("bad", ["nan", "inf", "-inf", "seven"])
def test_non_finite_labels_are_one_line_errors_before_any_scoring(tmp_path, bad):
    folder = tmp_path / "v"
    folder.mkdir()
    make_test_video(folder / "a.mp4", n_frames=24)
    labels = tmp_path / "labels.csv"
    labels.write_text(f"file,score\na.mp4,{bad}\n")
    scorer = FakeScorer()
    with pytest.raises(VATPError, match=r"labels.csv:2: score"):
        run_batch(folder, scorer, pack_id="p", out_csv=tmp_path / "out.csv", labels=labels)
    assert scorer.calls == []


def test_conflicting_duplicate_labels_are_refused(tmp_path):
    f = tmp_path / "labels.csv"
    f.write_text("file,score\na.mp4,7\nb.mp4,5\na.mp4,7\n")
    assert read_labels(f)["a.mp4"].score == 7  # the same label twice is harmless
    f.write_text("file,score\na.mp4,7\nb.mp4,5\na.mp4,8\n")
    with pytest.raises(VATPError, match=r"labels.csv:4: 'a.mp4' is labelled again .*line 2"):
        read_labels(f)


def test_spearman_of_one_labelled_video_is_not_a_number(tmp_path):
    rows = [BatchRow(file="a.mp4", status="ok", mean=7.0, true_score=6.0)]
    m = label_metrics(rows)
    assert m["spearman"] is None and spearman_text(m).startswith("n/a")
    two = rows + [BatchRow(file="b.mp4", status="ok", mean=5.0, true_score=4.0)]
    assert spearman_text(label_metrics(two)) == "1.000"


def test_two_batches_on_one_results_table_are_refused(tmp_path):
    folder = tmp_path / "v"
    folder.mkdir()
    make_test_video(folder / "a.mp4", n_frames=24)
    out = tmp_path / "out.csv"
    with exclusive_lock(out, "The results table"):
        with pytest.raises(LockedError, match="another run"):
            run_batch(folder, FakeScorer(), pack_id="p", out_csv=out)
    run_batch(folder, FakeScorer(), pack_id="p", out_csv=out)  # free again afterwards
    assert BatchStore(out).rows["a.mp4"].status == "ok"


def test_lock_is_held_across_processes(tmp_path):
    import subprocess
    import sys

    from tests.adversarial.helpers import REPO

    out = tmp_path / "out.csv"
    code = "import sys; from vatp_core.locking import exclusive_lock\nwith exclusive_lock(sys.argv[1]):\n    print('held', flush=True); sys.stdin.read()\n"
    child = subprocess.Popen(
        [sys.executable, "-c", code, str(out)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
    )
    try:
        assert child.stdout.readline().strip() == "held"
        with pytest.raises(LockedError, match="pid"):
            with exclusive_lock(out):
                pass
    finally:
        child.communicate("", timeout=60)
    with exclusive_lock(out):
        pass


def test_results_table_on_a_full_disk_is_one_line_and_keeps_the_old_table(tmp_path, monkeypatch):
    """Simulated: the store's atomic write raises ENOSPC (monkeypatched os.replace, as a full disk does at rename)."""
    import errno
    import os

    folder = tmp_path / "v"
    folder.mkdir()
    make_test_video(folder / "a.mp4", n_frames=24)
    out = tmp_path / "out.csv"
    run_batch(folder, FakeScorer(), pack_id="p", out_csv=out)
    before = out.read_bytes()
    make_test_video(folder / "b.mp4", n_frames=30)
    real_replace = os.replace

    def full(src, dst):
        if str(dst).endswith((".csv", ".json")) and "vatp.json" not in str(dst):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", full)
    with pytest.raises(OutputError, match="no space left"):
        run_batch(folder, FakeScorer(), pack_id="p", out_csv=out)
    monkeypatch.undo()
    assert out.read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_batch_lock_in_an_unwritable_folder_is_one_line(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(OutputError, match="Cannot write"):
        run_batch(tmp_path, FakeScorer(), pack_id="p", out_csv=blocker / "out.csv")


def test_batch_remakes_an_empty_or_cut_off_report(tmp_path):
    """Issue 16 item 1: a 0-byte PDF that the CSV linked to was never remade on a rerun."""
    from vatp_core.atomic import atomic_write

    folder = tmp_path / "v"
    folder.mkdir()
    make_test_video(folder / "a.mp4", n_frames=24)
    out = tmp_path / "out.csv"
    made = []

    def make_report(row, result):
        made.append(row.file)
        return atomic_write(tmp_path / "a.pdf", b"%PDF-1.4\n...\n%%EOF\n")

    run_batch(folder, FakeScorer(), pack_id="p", out_csv=out, make_report=make_report)
    run_batch(folder, FakeScorer(), pack_id="p", out_csv=out, make_report=make_report)
    assert made == ["a.mp4"]  # complete: kept
    (tmp_path / "a.pdf").write_bytes(b"")
    run_batch(folder, FakeScorer(), pack_id="p", out_csv=out, make_report=make_report)
    assert made == ["a.mp4", "a.mp4"] and (tmp_path / "a.pdf").stat().st_size > 0
