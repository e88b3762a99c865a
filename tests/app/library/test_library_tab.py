"""The Library tab on a generated library: filters, sort, review/compare signals, exports, delete, damage."""

from __future__ import annotations

import csv

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt

from app.library import LibraryTab
from app.library.table_model import SCORE_COLUMN
from vatp_core.library import Library
from vatp_core.library.synthetic import synthetic_pack, synthetic_result, synthetic_season, write_synthetic_sidecars


@pytest.fixture
def library_file(tmp_path):
    path = tmp_path / "lib.sqlite3"
    with Library(path) as lib:
        lib.add_results([(r, None) for r in synthetic_season(40, athletes=4)])
    return path


@pytest.fixture
def tab(qtbot, library_file):
    widget = LibraryTab(library_file)
    qtbot.addWidget(widget)
    widget.resize(1200, 800)
    widget.show()
    qtbot.waitExposed(widget)
    qtbot.waitUntil(lambda: widget.chart.series is not None)  # the chart is drawn just after the table
    yield widget
    widget.close_library()


def select_rows(tab, rows):
    sel = tab.table.selectionModel()
    sel.clearSelection()
    for r in rows:
        sel.select(
            tab.model.index(r, 0), QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
        )


def test_table_filters_and_sorts(tab):
    assert tab.model.rowCount() == 40
    assert tab.count_label.text() == "40 attempt(s)"
    tab.filters.select_athlete("B. Springer")
    assert tab.model.rowCount() == 10 and {r.athlete for r in tab.model.rows} == {"B. Springer"}
    assert tab.count_label.text() == "10 of 40 attempt(s)"
    assert tab.chart.athlete.currentText() == "B. Springer"
    tab.filters.tag.setCurrentIndex(tab.filters.tag.findData("training"))
    assert all("training" in r.tags for r in tab.model.rows)
    tab.filters.tag.setCurrentIndex(0)
    tab.table.sortByColumn(SCORE_COLUMN, Qt.SortOrder.AscendingOrder)
    means = [r.mean for r in tab.model.rows]
    assert means == sorted(means)
    tab.filters.text.setText("attempt_00005")
    assert [r.video_name for r in tab.model.rows] == ["attempt_00005.mp4"]


def test_progress_chart_has_one_line_per_subaction_and_one_pack(tab, library_file, qtbot):
    tab.chart.show_athlete("A. Diver")
    series = tab.chart.series
    assert series is not None and len(series.means) == 10
    named = [item.name() for item in tab.chart.contrib_plot.listDataItems() if item.name()]
    assert named == ["Approach", "Take-off", "Flight", "Entry"]
    assert "band: ± σ" in tab.chart.caption.text()
    with Library(library_file) as lib:
        lib.add_results([(synthetic_result(900, athlete="A. Diver", pack=synthetic_pack("other", "2" * 64)), None)])
        lib.execute("UPDATE attempts SET interval_lo = mean - 4, interval_hi = mean + 4")
    tab.reload()
    qtbot.waitUntil(lambda: tab.chart.pack.count() == 2)
    assert "band: interval" in tab.chart.caption.text()
    tab.chart.pack.setCurrentIndex(tab.chart.pack.findText("other"))
    assert tab.chart.series.pack_name == "other" and len(tab.chart.series.means) == 1


def test_review_and_compare_signals_carry_results(tab, qtbot):
    select_rows(tab, [0])
    assert tab.review_button.isEnabled() and not tab.compare_button.isEnabled()
    with qtbot.waitSignal(tab.review_requested) as review:
        tab.open_selected()
    assert review.args[0].mean == pytest.approx(tab.model.rows[0].mean)
    select_rows(tab, [0, 3])
    assert tab.compare_button.isEnabled()
    with qtbot.waitSignal(tab.compare_requested) as compare:
        tab.compare_selected()
    assert [r.video_name for r in compare.args[0]] == [tab.model.rows[0].video_name, tab.model.rows[3].video_name]


def test_exports_and_delete_athlete(tab, tmp_path, monkeypatch):
    tab.filters.select_athlete("C. Platform")
    tab.export_table(tmp_path / "c.csv")
    with open(tmp_path / "c.csv", newline="", encoding="utf-8") as fh:
        assert {r["athlete"] for r in csv.DictReader(fh)} == {"C. Platform"}
    tab.export_athlete("C. Platform", tmp_path / "c.json")
    assert (tmp_path / "c.json").stat().st_size > 0
    assert tab.delete_button.isEnabled()
    monkeypatch.setattr(tab, "confirm_delete", lambda name, n: (True, False))
    tab.delete_athlete()
    assert "C. Platform" not in tab.library.athletes()
    assert tab.library.count() == 30
    assert tab.filters.athlete.currentData() is None  # the deleted athlete's filter is gone


def test_added_result_appears(tab):
    tab.add_result(synthetic_result(777, athlete="New Kid"))
    assert "New Kid" in tab.athletes()
    assert tab.model.rowCount() == 41


def test_damaged_library_offers_a_rebuild_and_leaves_the_file(qtbot, tmp_path, vatp_home):
    broken = tmp_path / "lib.sqlite3"
    broken.write_bytes(b"garbage" * 50)
    sidecars = write_synthetic_sidecars(tmp_path / "videos", range(3), athlete="R. Ebuilt")
    tab = LibraryTab(broken)
    qtbot.addWidget(tab)
    tab.show()
    assert tab.ensure_open() is None
    assert "damaged" in tab.notice.text() and tab.rebuild_button.isVisibleTo(tab)
    target = tab.rebuild_from(sidecars)
    assert target is not None and target != broken
    assert broken.read_bytes() == b"garbage" * 50
    assert tab.model.rowCount() == 3 and not tab.rebuild_button.isVisibleTo(tab)
    from vatp_core.settings import load_settings

    assert load_settings().library_path == str(target)
    tab.close_library()


def test_edit_writes_the_library_and_the_sidecar(qtbot, tmp_path, monkeypatch):
    from vatp_core.result import ScoreResult

    folder = write_synthetic_sidecars(tmp_path / "videos", range(2), athlete="A. Diver")
    tab = LibraryTab(tmp_path / "lib.sqlite3")
    qtbot.addWidget(tab)
    tab.show()
    tab.import_folder(folder)
    assert tab.model.rowCount() == 2
    select_rows(tab, [0])
    assert tab.edit_button.isEnabled()
    row = tab.model.rows[0]
    monkeypatch.setattr(tab, "ask_edit", lambda r: ("B. Springer", "good take-off", "competition, 3m"))
    tab.edit_selected()
    edited = next(r for r in tab.model.rows if r.id == row.id)
    assert (edited.athlete, edited.notes, edited.tags) == ("B. Springer", "good take-off", "competition, 3m")
    assert "competition" in tab.library.tags()
    stored = ScoreResult.from_json(row.source_path)
    assert (stored.athlete, stored.notes, stored.tags) == ("B. Springer", "good take-off", ["competition", "3m"])
    tab.close_library()


@pytest.mark.parametrize("closing", ["close", "close_library"])
def test_a_chart_redraw_pending_when_the_tab_closes_never_runs(tab, qtbot, closing):
    """A redraw queued by reload() must not reach a chart that is being torn down (it crashed pyqtgraph)."""
    drawn = []
    tab.chart.drawn.connect(lambda: drawn.append(1))
    tab.reload()  # queues the chart redraw just after the table
    getattr(tab, closing)()
    qtbot.wait(50)  # let any queued timer fire
    assert drawn == []


def test_the_table_shows_the_interval_or_uncalibrated_never_sigma(qtbot):
    from app.library.table_model import AttemptTableModel
    from vatp_core.library import AttemptRow

    model = AttemptTableModel()
    common = dict(scored_at="2026-11-01T10:00", date="2026-11-01", athlete="A", routine="r", pack_name="p", pack_id="i")
    model.set_rows([
        AttemptRow(1, mean=68.43, std=0.04, interval_lo=57.19, interval_hi=79.67, **common),
        AttemptRow(2, mean=51.0, std=1.5, **common),
    ])  # fmt: skip
    shown = [[model.data(model.index(r, c)) for c in (SCORE_COLUMN, SCORE_COLUMN + 1)] for r in range(2)]
    assert shown == [["68.43", "57.2–79.7"], ["51.00", "uncalibrated"]]
