"""The attempts table of the Library tab: a Qt model over rows read with sqlite3 (fast enough for 10,000+)."""

from __future__ import annotations

from typing import Any, Callable

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from vatp_core.library import AttemptRow

_Index = QModelIndex | QPersistentModelIndex


def _ood(r: AttemptRow) -> str:
    return {None: "", True: "out of distribution", False: "ok"}[r.ood]


# (header, text of a row, sort key of a row)
COLUMNS: tuple[tuple[str, Callable[[AttemptRow], str], Callable[[AttemptRow], Any]], ...] = (
    ("Scored", lambda r: r.scored_at[:16].replace("T", " "), lambda r: r.scored_at),
    ("Athlete", lambda r: r.athlete or "—", lambda r: r.athlete.lower()),
    ("Routine", lambda r: r.routine, lambda r: r.routine.lower()),
    ("Pack", lambda r: r.pack_name, lambda r: r.pack_name.lower()),
    ("Score", lambda r: f"{r.mean:.2f}", lambda r: r.mean),
    ("Interval", AttemptRow.interval_text, lambda r: (r.interval_lo is None, r.interval_lo or 0.0)),
    ("Check", _ood, lambda r: (r.ood is None, bool(r.ood))),
    ("Tags", lambda r: r.tags, lambda r: r.tags.lower()),
    ("Notes", lambda r: r.notes, lambda r: r.notes.lower()),
    ("Video", lambda r: r.video_name, lambda r: r.video_name.lower()),
)
SCORE_COLUMN = 4


class AttemptTableModel(QAbstractTableModel):
    """Rows are plain ``AttemptRow`` objects; sorting reorders them in Python (no re-query)."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.rows: list[AttemptRow] = []
        self._sort: tuple[int, Qt.SortOrder] = (0, Qt.SortOrder.DescendingOrder)

    def set_rows(self, rows: list[AttemptRow]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self._apply_sort()
        self.endResetModel()

    def row(self, index: int) -> AttemptRow:
        return self.rows[index]

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        r = self.rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[index.column()][1](r)
        if role == Qt.ItemDataRole.ToolTipRole:
            if index.column() == 6 and r.ood:
                return "This video is unlike what the pack was trained on: treat the score with caution."
            if index.column() == 9:
                return r.video_path
            if index.column() == 3:
                label = f" — {r.pack_label}" if r.pack_label else ""
                return f"{r.pack_name}{label} (weights {r.pack_id})"
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() == SCORE_COLUMN:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.UserRole:
            return r.id
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section][0]
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.layoutAboutToBeChanged.emit()
        self._sort = (column, order)
        self._apply_sort()
        self.layoutChanged.emit()

    def _apply_sort(self) -> None:
        column, order = self._sort
        key = COLUMNS[column][2]
        self.rows.sort(key=key, reverse=order == Qt.SortOrder.DescendingOrder)
