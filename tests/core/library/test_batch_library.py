"""A batch run enters its attempts into the athlete library: athletes from folders or a labels column."""

from __future__ import annotations

import csv

from tests.core.test_batch import FakeScorer
from tests.videogen import make_test_video
from vatp_core.batch import run_batch
from vatp_core.cli import main
from vatp_core.library import Library, attempt_rows, import_path
from vatp_core.result import ScoreResult


def club(tmp_path):
    folder = tmp_path / "club"
    for rel, n in (("Anna/a.mp4", 8), ("Anna/b.mp4", 10), ("Ben/c.mp4", 12), ("top.mp4", 14)):
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        make_test_video(folder / rel, n, size=(32, 24))
    return folder


def test_athletes_from_folders_and_labels_enter_the_library_once(tmp_path):
    folder = club(tmp_path)
    db = tmp_path / "lib.sqlite3"
    out = tmp_path / "out" / "results.csv"
    first = run_batch(
        folder, FakeScorer(), pack_id="p", out_csv=out, athlete_from_folder=True, library=db, prefetch=False
    )
    assert (first.n_scored, first.library_added, first.library_error) == (4, 3, "")
    with Library(db) as lib:
        assert lib.athletes() == ["Anna", "Ben"]
        assert sorted(r.video_name for r in attempt_rows(lib)) == ["a.mp4", "b.mp4", "c.mp4"]
    with open(out, newline="", encoding="utf-8") as fh:
        rows = {r["file"]: r for r in csv.DictReader(fh)}
    assert rows["Anna/a.mp4"]["athlete"] == "Anna" and rows["top.mp4"]["athlete"] == ""
    stored = ScoreResult.from_json(out.parent / rows["Ben/c.mp4"]["result_json"])
    assert stored.athlete == "Ben"

    labels = tmp_path / "athletes.csv"
    labels.write_text("file,athlete\ntop.mp4,Cara\n", encoding="utf-8")
    again = run_batch(
        folder,
        FakeScorer(),
        pack_id="p",
        out_csv=out,
        labels=labels,
        athlete_from_folder=True,
        library=db,
        prefetch=False,
    )
    assert (again.n_scored, again.n_skipped, again.library_added) == (0, 4, 1)
    with Library(db) as lib:
        assert lib.athletes() == ["Anna", "Ben", "Cara"] and lib.count() == 4

    with Library(tmp_path / "rebuilt.sqlite3") as lib:  # the batch's result files are enough to rebuild
        summary = import_path(lib, out.parent)
        assert summary.added == 4
        assert {r.athlete for r in attempt_rows(lib)} == {"Anna", "Ben", "Cara"}


def test_cli_batch_athlete_from_folder(tmp_path, capsys, vatp_home, monkeypatch):
    import vatp_core.batch as batch_package

    def fake_score_folder(folder, pack, *, device, out_csv, level=None, **kwargs):
        return run_batch(folder, FakeScorer(), pack_id="p", out_csv=out_csv, **kwargs)

    monkeypatch.setattr(batch_package, "score_folder", fake_score_folder)
    folder = club(tmp_path)
    assert main(["batch", str(folder), "--athlete-from-folder", "--quiet", "--no-prefetch"]) == 0
    assert "library: 3 attempt(s) entered" in capsys.readouterr().out
    with Library(vatp_home / "data" / "library.sqlite3") as lib:
        assert lib.athletes() == ["Anna", "Ben"]


def test_a_damaged_library_never_stops_a_batch(tmp_path):
    folder = club(tmp_path)
    db = tmp_path / "lib.sqlite3"
    db.write_bytes(b"not a database" * 20)
    summary = run_batch(
        folder, FakeScorer(), pack_id="p", out_csv=tmp_path / "r.csv", athlete_from_folder=True, library=db
    )
    assert summary.n_scored == 4 and summary.library_added == 0
    assert "damaged" in summary.library_error
    assert db.read_bytes() == b"not a database" * 20
