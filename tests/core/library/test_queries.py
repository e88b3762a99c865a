"""Reading the library: filters, the progress series, CSV and athlete exports, moved videos, imports."""

from __future__ import annotations

import csv
import json

from vatp_core.library import (
    AttemptFilter,
    Library,
    attempt_rows,
    export_athlete,
    export_csv,
    import_path,
    locate_video,
    progress,
)
from vatp_core.library.synthetic import synthetic_pack, synthetic_result, synthetic_season
from vatp_core.result import ScoreResult


def fake_video(path):
    """Only the bytes matter here (the content hash): no need to encode a real video."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 64)
    return path


def fill(lib: Library, n: int = 60) -> None:
    lib.add_results([(r, None) for r in synthetic_season(n, athletes=3)])


def test_filters_narrow_the_table(tmp_path):
    with Library(tmp_path / "lib.sqlite3") as lib:
        fill(lib)
        everything = attempt_rows(lib)
        assert len(everything) == 60
        assert [r.scored_at for r in everything] == sorted((r.scored_at for r in everything), reverse=True)
        diver = attempt_rows(lib, AttemptFilter(athlete="A. Diver"))
        assert len(diver) == 20 and {r.athlete for r in diver} == {"A. Diver"}
        tagged = attempt_rows(lib, AttemptFilter(tag="competition"))
        assert tagged and all("competition" in r.tags for r in tagged)
        first, last = everything[-1].date, everything[0].date
        middle = attempt_rows(lib, AttemptFilter(date_from=first, date_to=first))
        assert middle and all(r.date == first for r in middle)
        assert attempt_rows(lib, AttemptFilter(date_from=last)) == [r for r in everything if r.date >= last]
        (routine,) = lib.routines()
        assert len(attempt_rows(lib, AttemptFilter(routine=routine))) == 60
        assert attempt_rows(lib, AttemptFilter(pack_id="nope")) == []
        assert attempt_rows(lib, AttemptFilter(athlete="")) == []


def test_progress_keeps_packs_apart_and_carries_intervals(tmp_path):
    other = synthetic_pack("other-pack", weights="1" * 64)
    with Library(tmp_path / "lib.sqlite3") as lib:
        fill(lib, 30)
        extra = [synthetic_result(1000 + i, athlete="A. Diver", pack=other, mean=5.0 + i) for i in range(4)]
        lib.add_results([(r, None) for r in extra])
        packs = dict(lib.packs("A. Diver"))
        assert set(packs.values()) == {"synthetic-diving", "other-pack"}
        for pack_id, name in packs.items():
            series = progress(lib, "A. Diver", pack_id)
            assert series.pack_name == name
            assert series.times == sorted(series.times)
            assert set(series.contributions) == {"Approach", "Take-off", "Flight", "Entry"}
            assert all(len(v) == len(series.means) for v in series.contributions.values())
        assert progress(lib, "A. Diver", "1" * 16).means == [5.0, 6.0, 7.0, 8.0]
        assert not progress(lib, "A. Diver", "1" * 16).has_intervals
        lib.execute("UPDATE attempts SET interval_lo = mean - 3, interval_hi = mean + 3")
        assert progress(lib, "A. Diver", "1" * 16).has_intervals


def test_interval_and_ood_are_stored_when_results_carry_them(tmp_path):
    result = synthetic_result(7, mean=70.0)
    result.interval = {"level": 0.9, "low": 66.0, "high": 74.0, "method": "split-conformal", "clipped": False}
    result.ood = {"flag": True, "distance": 9.0, "percentile": 99.9, "reason": "unlike the training videos"}
    with Library(tmp_path / "lib.sqlite3") as lib:
        lib.add_result(result)
        (row,) = attempt_rows(lib)
        assert (row.interval_lo, row.interval_hi, row.ood) == (66.0, 74.0, True)


def test_csv_export_has_one_row_per_attempt_with_subactions(tmp_path):
    with Library(tmp_path / "lib.sqlite3") as lib:
        fill(lib, 12)
        n = export_csv(lib, tmp_path / "out.csv", AttemptFilter(athlete="B. Springer"))
    with open(tmp_path / "out.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert n == len(rows) == 4
    assert {r["athlete"] for r in rows} == {"B. Springer"}
    assert rows[0]["subactions"].startswith("Approach +")
    assert float(rows[0]["mean"]) > 0


def test_athlete_export_holds_full_results_and_imports_back(tmp_path):
    with Library(tmp_path / "lib.sqlite3") as lib:
        fill(lib, 9)
        assert export_athlete(lib, "C. Platform", tmp_path / "c.json") == 3
    doc = json.loads((tmp_path / "c.json").read_text(encoding="utf-8"))
    assert doc["athlete"] == "C. Platform" and len(doc["attempts"]) == 3
    assert ScoreResult.from_dict(doc["attempts"][0]["result"]).subaction_names
    with Library(tmp_path / "other.sqlite3") as lib:
        summary = import_path(lib, tmp_path / "c.json")
        assert summary.added == 3
        assert lib.athletes() == ["C. Platform"]


def test_import_reads_sidecars_and_batch_results_and_skips_strangers(tmp_path):
    folder = tmp_path / "club"
    folder.mkdir()
    synthetic_result(1, athlete="A. Diver").save_sidecar(folder / "one.mp4")
    (folder / "notes.json").write_text('{"hello": 1}', encoding="utf-8")
    (folder / "broken.mp4.vatp.json").write_text("{not json", encoding="utf-8")
    results = folder / "results.vatp"
    results.mkdir()
    batch_result = synthetic_result(2, athlete="")
    batch_result.to_json(results / "two.mp4.000000000000.vatp.json")
    doc = {
        "format_version": 1,
        "folder": str(folder),
        "pack_id": "x",
        "rows": [
            {"file": "two.mp4", "status": "ok", "result_json": "results.vatp/two.mp4.000000000000.vatp.json"},
            {"file": "bad.mp4", "status": "error", "error": "cannot decode"},
        ],
    }
    (folder / "results.json").write_text(json.dumps(doc), encoding="utf-8")
    with Library(tmp_path / "lib.sqlite3") as lib:
        summary = import_path(lib, folder)
        assert summary.added == 2
        assert [f for f, _ in summary.failed] == [str(folder / "broken.mp4.vatp.json")]
        assert sorted(r.athlete for r in attempt_rows(lib)) == ["", "A. Diver"]


def test_moved_video_is_found_again_by_content_hash(tmp_path):
    video = fake_video(tmp_path / "shot" / "dive.mp4")
    from vatp_core.identity import content_id

    result = synthetic_result(5, athlete="A. Diver")
    result.video.path = str(video)
    result.video.content_hash = content_id(video)
    with Library(tmp_path / "lib.sqlite3") as lib:
        attempt = lib.add_result(result)
        moved = tmp_path / "archive" / "2026" / "renamed.mp4"
        moved.parent.mkdir(parents=True)
        video.rename(moved)
        assert locate_video(lib, attempt) is None
        assert locate_video(lib, attempt, [tmp_path / "archive"]) == moved.resolve()
        assert attempt_rows(lib)[0].video_path == str(moved.resolve())
        assert lib.result(attempt).video.path == str(moved.resolve())


def test_sidecar_moved_with_its_video_points_the_attempt_there(tmp_path):
    old = tmp_path / "old"
    old.mkdir()
    video = fake_video(old / "dive.mp4")
    result = synthetic_result(6, athlete="A. Diver")
    result.video.path = str(video)
    result.save_sidecar(video)
    with Library(tmp_path / "lib.sqlite3") as lib:
        import_path(lib, old)
        new = tmp_path / "new"
        old.rename(new)
        summary = import_path(lib, new)
        assert (summary.added, summary.already) == (0, 1)
        assert attempt_rows(lib)[0].video_path == str(new / "dive.mp4")


def test_progress_charts_draw_the_interval_band_when_there_is_one(tmp_path):
    from vatp_core.charts import Band, progress_charts

    with Library(tmp_path / "lib.sqlite3") as lib:
        fill(lib, 12)
        pack_id = lib.packs()[0][0]
        score, contributions = progress_charts(progress(lib, "A. Diver", pack_id))
        (band,) = score.bands
        series = progress(lib, "A. Diver", pack_id)
        assert band.lower == [m - s for m, s in zip(series.means, series.stds)]
        assert "± σ" in score.y.label
        assert [s.label for s in contributions.series] == ["Approach", "Take-off", "Flight", "Entry"]
        assert 0.0 <= score.y.lo < min(series.means) and score.y.hi <= 100.0
        lib.execute("UPDATE attempts SET interval_lo = mean - 5, interval_hi = mean + 5")
        score, _ = progress_charts(progress(lib, "A. Diver", pack_id))
        assert "interval" in score.y.label
        assert score.bands[0].y == [m + 5 for m in series.means]
    assert Band([0.0, 1.0], [2.0, 3.0], "#000000").outline() == [(0.0, 2.0), (1.0, 3.0), (1.0, 0.0), (0.0, 0.0)]


def test_edits_go_back_into_the_sidecar_and_survive_a_rebuild(tmp_path):
    from vatp_core.library import rebuild_library
    from vatp_core.library.sidecars import write_back

    folder = tmp_path / "videos"
    folder.mkdir()
    synthetic_result(4, athlete="").save_sidecar(folder / "dive.mp4")
    with Library(tmp_path / "lib.sqlite3") as lib:
        import_path(lib, folder)
        (row,) = attempt_rows(lib)
        lib.set_athlete(row.id, "A. Diver")
        lib.set_notes_tags(row.id, "entry too short", ["3m", "training"])
        assert write_back(lib, row.id) == folder / "dive.mp4.vatp.json"
    stored = ScoreResult.from_json(folder / "dive.mp4.vatp.json")
    assert (stored.athlete, stored.notes, stored.tags) == ("A. Diver", "entry too short", ["3m", "training"])
    rebuild_library([folder], tmp_path / "rebuilt.sqlite3")
    with Library(tmp_path / "rebuilt.sqlite3") as lib:
        (row,) = attempt_rows(lib)
        assert (row.athlete, row.notes, row.tags) == ("A. Diver", "entry too short", "3m, training")


def test_moved_video_with_an_older_sampled_identity_is_found_too(tmp_path):
    from vatp_core.identity import legacy_sampled_id

    video = fake_video(tmp_path / "shot" / "dive.mp4")
    result = synthetic_result(8, athlete="A. Diver")
    result.video.path = str(tmp_path / "gone" / "dive.mp4")
    result.video.content_hash = legacy_sampled_id(video)
    with Library(tmp_path / "lib.sqlite3") as lib:
        attempt = lib.add_result(result)
        assert locate_video(lib, attempt, [tmp_path / "shot"]) == video.resolve()


def test_stored_samples_of_every_result_version_import(tmp_path):
    """Sidecars, `vatp score --json` files and batch results of format 1 (no athlete) and later all enter."""
    from pathlib import Path

    samples = Path(__file__).resolve().parents[2] / "data" / "results"
    with Library(tmp_path / "lib.sqlite3") as lib:
        summary = import_path(lib, samples)
        assert summary.failed == []
        rows = attempt_rows(lib)
        assert {r.athlete for r in rows} >= {"", "A. Diver", "Anna"}
        diver = [r for r in rows if r.athlete == "A. Diver"]
        assert any(r.notes == "entry a little short" and r.tags == "training, 3m" for r in diver)  # the v2 sample
        assert import_path(lib, samples).added == 0
