"""Both batch engines fill a row through `vatp_core.batch.recording`: every column a result carries lands in it."""

from pathlib import Path

import pytest

from vatp_core.batch import BatchStore
from vatp_core.batch.labels import Label
from vatp_core.batch.recording import new_row, record_result, update_skipped
from vatp_core.result import ScoreResult

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "results" / "v5" / "score.json"


def test_record_result_fills_the_trust_and_damage_columns(tmp_path):
    result = ScoreResult.from_json(SAMPLE)
    store = BatchStore(tmp_path / "results.csv")
    row = new_row("a.mp4", "sha256-full:" + "0" * 64, "pack", "demo", Label(score=51.0), athlete="Anna")
    record_result(row, result, store)
    assert row.status == "ok" and row.athlete == "Anna" and row.true_score == 51.0
    assert row.mean == pytest.approx(result.mean)
    assert (row.interval_low, row.interval_high, row.interval_level) == pytest.approx((57.1858036, 79.6681663, 0.9))
    assert row.ood is False and row.out_of_range is False and row.damage == ""
    assert row.segments.startswith("Approach 0.00-")
    assert store.result_path(row).is_file()
    assert ScoreResult.from_json(store.result_path(row)) == result


def test_a_skipped_row_takes_a_new_label_and_athlete(tmp_path):
    store = BatchStore(tmp_path / "results.csv")
    row = new_row("a.mp4", "old-hash", "pack", "demo", None)
    assert not update_skipped(row, "old-hash", None, store, None)
    assert update_skipped(row, "new-hash", Label(score=7.5), store, None, athlete="Ben")
    assert (row.content_hash, row.true_score, row.athlete) == ("new-hash", 7.5, "Ben")
