"""The batch dialog's live results table: one row per video, placed as rows arrive, sortable once done."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHeaderView, QTableWidget, QTableWidgetItem, QWidget

COLUMNS = ("Video", "Status", "Score μ", "σ", "True", "Time (s)", "Error")
_NUMBER_COLUMNS = (2, 3, 4, 5)


class _SortItem(QTableWidgetItem):
    """A cell that sorts by its number (scores, times) instead of its text."""

    def __init__(self, text: str, key: float | None) -> None:
        super().__init__(text)
        self.key = key

    def __lt__(self, other: QTableWidgetItem) -> bool:
        a, b = self.key, getattr(other, "key", None)
        if a is None or b is None:  # rows without a number (errors) rank lowest
            return (a is not None, self.text()) < (b is not None, other.text())
        return a < b


class BatchTable(QTableWidget):
    """Rows keyed by the video's relative path; a row seen again (a retry, the final summary) is updated."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, len(COLUMNS), parent)
        self.setHorizontalHeaderLabels(list(COLUMNS))
        self.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.setSortingEnabled(False)
        self.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.rows: dict[str, int] = {}
        self.result_files: dict[str, Path] = {}

    def clear_rows(self) -> None:
        """Empty, and placed by index (not sorted) while a batch runs."""
        self.setSortingEnabled(False)
        self.setRowCount(0)
        self.rows.clear()
        self.result_files.clear()

    def put(self, row: Any, results_dir: Path) -> None:
        """Show a `BatchRow` (its result JSON, if any, is relative to ``results_dir``)."""
        r = self.rows.get(row.file)
        if r is None:
            r = self.rowCount()
            self.insertRow(r)
            self.rows[row.file] = r
        values = [
            row.file,
            row.status,
            f"{row.mean:.2f}" if row.mean is not None else "",
            f"{row.std:.2f}" if row.std is not None else "",
            f"{row.true_score:g}" if row.true_score is not None else "",
            f"{row.seconds:.1f}" if row.seconds is not None else "",
            row.error,
        ]
        keys = {2: row.mean, 3: row.std, 4: row.true_score, 5: row.seconds}
        if row.result_json:
            self.result_files[row.file] = results_dir / row.result_json
        for c, value in enumerate(values):
            item = _SortItem(value, keys[c]) if c in keys else QTableWidgetItem(value)
            if c in _NUMBER_COLUMNS:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if row.status != "ok":
                item.setForeground(Qt.GlobalColor.darkRed)
            self.setItem(r, c, item)
        self.scrollToItem(self.item(r, 0))

    def keep_only(self, files: set[str]) -> None:
        """Drop the rows of videos no longer in the batch (e.g. deleted since an earlier run)."""
        for r in sorted((r for f, r in self.rows.items() if f not in files), reverse=True):
            self.removeRow(r)
        self.rows = {self.item(r, 0).text(): r for r in range(self.rowCount())}

    def result_file(self, r: int) -> Path | None:
        """The scored result JSON of table row ``r``, if it exists."""
        item = self.item(r, 0)
        path = self.result_files.get(item.text()) if item is not None else None
        return path if path is not None and path.is_file() else None
