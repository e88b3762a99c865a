"""Stored results of every format version load into today's types (ScoreResult, BatchRow)."""

import csv
import json
from pathlib import Path

import pytest

from vatp_core.batch import BatchStore, load_batch_results
from vatp_core.result import RESULT_FORMAT_VERSION, ScoreResult
from vatp_core.result_rows import BATCH_FORMAT_VERSION, BatchRow

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "results"
VERSIONS = sorted(p for p in SAMPLES.iterdir() if p.is_dir())
SCORE_FILES = sorted(f for v in VERSIONS for f in v.rglob("*.json") if f.name != "results.json")


def test_a_sample_folder_exists_for_every_version():
    assert [v.name for v in VERSIONS] == [f"v{n}" for n in range(1, RESULT_FORMAT_VERSION + 1)]


@pytest.mark.parametrize("path", SCORE_FILES, ids=lambda p: str(p.relative_to(SAMPLES)))
def test_stored_score_result_loads_and_writes_the_current_version(path):
    stored = json.loads(path.read_text(encoding="utf-8"))
    r = ScoreResult.from_json(path)
    assert r.video_name == Path(stored["video"]["path"]).name
    assert r.mean == pytest.approx(stored["mean"]) and r.std == pytest.approx(stored["std"])
    assert [s.name for s in r.segments] == [s["name"] for s in stored["segments"]]
    assert r.video.fps == pytest.approx(stored["video"]["fps"])
    assert r.pack.name == stored["pack"]["name"]
    again = json.loads(r.to_json())
    assert again["format_version"] == RESULT_FORMAT_VERSION
    assert ScoreResult.from_dict(again) == r


@pytest.mark.parametrize("version", VERSIONS, ids=lambda p: p.name)
def test_stored_batch_tables_load_as_rows(version, tmp_path):
    folder = version / "batch"
    with open(folder / "results.csv", newline="", encoding="utf-8") as fh:
        csv_rows = [BatchRow.from_dict(d) for d in csv.DictReader(fh)]
    json_rows = [BatchRow.from_dict(d) for d in json.loads((folder / "results.json").read_text())["rows"]]
    assert [r.file for r in csv_rows] == [r.file for r in json_rows]
    assert {r.status for r in csv_rows} == {"ok", "error"}
    for a, b in zip(csv_rows, json_rows):
        assert a.status == b.status and a.content_hash == b.content_hash
        if a.mean is not None:
            assert a.mean == pytest.approx(b.mean, rel=1e-5)
    # the store reads a copy the same way a resumed batch would
    rows, metrics = load_batch_results(_copy_table(folder, tmp_path))
    assert [r.file for r in rows] == [r.file for r in json_rows]
    assert metrics is not None and metrics.get("n") == 2


def test_a_table_written_now_has_the_current_batch_version_and_reads_back(tmp_path):
    """The writer says which batch format it wrote; the newest sample's rows survive a rewrite."""
    rows, _ = load_batch_results(_copy_table(VERSIONS[-1] / "batch", tmp_path))
    store = BatchStore(tmp_path / "results.csv")
    store.write()
    assert json.loads((tmp_path / "results.json").read_text())["format_version"] == BATCH_FORMAT_VERSION
    with open(tmp_path / "results.csv", newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == BatchRow.columns()
        csv_rows = [BatchRow.from_dict(d) for d in reader]
    assert [(r.file, r.status, r.interval_level, r.ood) for r in csv_rows] == [
        (r.file, r.status, r.interval_level, r.ood) for r in rows
    ]
    assert load_batch_results(tmp_path / "results.csv")[0] == rows  # the JSON keeps every digit


def _copy_table(folder: Path, to: Path) -> Path:
    for name in ("results.csv", "results.json"):
        (to / name).write_bytes((folder / name).read_bytes())
    return to / "results.csv"
