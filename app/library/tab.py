"""The Library tab: every scored attempt, filtered and sorted; progress per athlete and pack; exports.

The database is read in the GUI thread with stdlib sqlite3 (10,000 attempts load in a fraction of a
second, see benchmarks/library.py). A damaged or newer library is never written to: the tab says so and
offers to rebuild one from the sidecars into a new file.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QItemSelectionModel, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from vatp_core.library import (
    Library,
    LibraryCorruptError,
    LibraryError,
    LibraryVersionError,
    attempt_rows,
    default_library_path,
    locate_video,
)

from .actions import LibraryActions
from .filter_bar import FilterBar
from .progress_chart import ProgressChart
from .table_model import AttemptTableModel


class LibraryTab(LibraryActions, QWidget):
    review_requested = Signal(object)  # a ScoreResult to show in the Review tab
    compare_requested = Signal(list)  # two ScoreResults to compare
    side_by_side_requested = Signal(object, object)  # two ScoreResults to watch in the dual player
    status = Signal(str)

    def __init__(self, path: str | os.PathLike | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._path = Path(path) if path is not None else None
        self.library: Library | None = None
        self.all_rows: list = []  # every attempt, newest first; the filter narrows these in memory
        self._loaded = False  # all_rows is what the file held when last read
        self._seen_version = -1
        self.broken: Path | None = None  # a library file that could not be opened
        self.filters = FilterBar()
        self.filters.changed.connect(self.refresh_rows)
        self.model = AttemptTableModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.DescendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setResizeContentsPrecision(10)  # fit columns to a few rows, not all
        self._fitted = False
        self.table.doubleClicked.connect(self.open_selected)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.chart = ProgressChart()
        self.chart.attempt_clicked.connect(self.select_attempt)
        # the chart is drawn just after the table; a timer the tab owns, stopped when the tab or library closes,
        # so a pending redraw never reaches a chart being torn down (a bare singleShot could, mid-collection)
        self._chart_timer = QTimer(self)
        self._chart_timer.setSingleShot(True)
        self._chart_timer.setInterval(0)
        self._chart_timer.timeout.connect(self._reload_chart)

        self.count_label = QLabel()
        self.notice = QLabel()
        self.notice.setWordWrap(True)
        self.notice.setStyleSheet("color: #9A4A00;")
        self.rebuild_button = QPushButton("Rebuild from sidecars into a new file…")
        self.rebuild_button.clicked.connect(self.rebuild)
        self.rebuild_button.hide()
        self.review_button = self._button("Open in Review", self.open_selected)
        self.compare_button = self._button("Compare the two selected", self.compare_selected)
        self.watch_button = self._button("Watch side by side", self.watch_selected)
        self.watch_button.setToolTip("Play the two selected attempts side by side, synced by sub-action")
        self.edit_button = self._button("Edit…", self.edit_selected)
        self.import_button = self._button("Import folder…", self.choose_import)
        self.csv_button = self._button("Export CSV…", self.choose_export_csv)
        self.athlete_export_button = self._button("Export athlete…", self.choose_export_athlete)
        self.delete_button = self._button("Delete athlete…", self.delete_athlete)

        buttons = QHBoxLayout()
        for b in (self.review_button, self.compare_button, self.watch_button, self.edit_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.count_label)
        buttons.addStretch(1)
        for b in (self.import_button, self.csv_button, self.athlete_export_button, self.delete_button):
            buttons.addWidget(b)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.table, 1)
        left_layout.addLayout(buttons)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(left)
        split.addWidget(self.chart)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(self.filters)
        layout.addWidget(self.notice)
        layout.addWidget(self.rebuild_button)
        layout.addWidget(split, 1)
        self._selection_changed()

    def _button(self, text: str, slot) -> QPushButton:
        button = QPushButton(text)
        button.clicked.connect(slot)
        return button

    # ----------------------------------------------------------------------------- opening
    @property
    def path(self) -> Path:
        return self._path if self._path is not None else default_library_path()

    def ensure_open(self) -> Library | None:
        """Open the library on first use; None (and a message in the tab) when it cannot be opened."""
        if self.library is not None:
            return self.library
        if self.broken is not None:
            return None
        try:
            self.library = Library(self.path)
        except (LibraryCorruptError, LibraryVersionError) as exc:
            self.broken = self.path
            self._show_problem(str(exc), rebuild=True)
            return None
        except LibraryError as exc:
            self._show_problem(str(exc), rebuild=False)
            return None
        self.notice.setText(self.library.notice)
        self.notice.setVisible(bool(self.library.notice))
        self.rebuild_button.hide()
        self._loaded = False
        if self.isVisible():
            self.reload()
        return self.library

    def _show_problem(self, text: str, rebuild: bool) -> None:
        self.notice.setText(text)
        self.notice.show()
        self.rebuild_button.setVisible(rebuild)
        self.model.set_rows([])
        self.count_label.setText("")
        for b in (self.import_button, self.csv_button, self.athlete_export_button, self.delete_button):
            b.setEnabled(False)

    def showEvent(self, event) -> None:
        """Rows are read when the tab is first shown, and again when anything changed the file since."""
        super().showEvent(event)
        if self.ensure_open() is not None and (not self._loaded or self._changed_elsewhere()):
            self.reload()

    def _changed_elsewhere(self) -> bool:
        try:
            return self.library is not None and self.library.data_version() != self._seen_version
        except LibraryError:
            return False

    def use_library(self, path: str | os.PathLike) -> None:
        """Show another library file (a rebuilt one, or a generated one for a picture)."""
        self.close_library()
        self._path, self.broken = Path(path), None
        if self.isVisible():
            self.ensure_open()

    def closeEvent(self, event) -> None:
        self._chart_timer.stop()
        super().closeEvent(event)

    def close_library(self) -> None:
        self._chart_timer.stop()
        if self.library is not None:
            self.library.close()
            self.library = None

    # ----------------------------------------------------------------------------- contents
    def reload(self) -> None:
        """Refill the filter choices, the table and the chart (after imports, deletions, new scores)."""
        lib = self.library
        if lib is None:
            return
        try:
            self._seen_version = lib.data_version()
            self.all_rows = attempt_rows(lib)
            self._loaded = True
            self.filters.set_choices(lib.athletes(), lib.routines(), lib.packs(), lib.tags())
        except LibraryError as exc:
            self._show_problem(str(exc), rebuild=isinstance(exc, LibraryCorruptError))
            return
        self.refresh_rows()
        if not self._fitted and self.model.rows:
            self.table.resizeColumnsToContents()
            self._fitted = True
        # the table shows first; the chart (thousands of points) is drawn right after it
        self._chart_timer.start()

    @Slot()
    def _reload_chart(self) -> None:
        if self.library is None:  # closed meanwhile
            return
        self.chart.set_library(self.library, self.filters.current().athlete or None)

    @Slot()
    def refresh_rows(self) -> None:
        if self.library is None:
            return
        flt = self.filters.current()
        rows = flt.apply(self.all_rows)
        self.model.set_rows(rows)
        total = len(self.all_rows)
        self.count_label.setText(f"{len(rows)} of {total} attempt(s)" if len(rows) != total else f"{total} attempt(s)")
        if flt.athlete:
            self.chart.show_athlete(flt.athlete)
        self._selection_changed()

    def add_result(self, result, source_path: str | os.PathLike = "") -> int | None:
        """Store a result scored in the app (it carries its athlete); returns the attempt id or None."""
        lib = self.ensure_open()
        if lib is None:
            return None
        try:
            attempt = lib.add_result(result, source="app", source_path=str(source_path))
        except LibraryError as exc:
            self.status.emit(str(exc))
            return None
        if self.isVisible():
            self.reload()
        else:
            self._loaded = False  # read again when the tab is shown
        return attempt

    def record_scored(self, result, video: str | os.PathLike) -> str:
        """An attempt scored with an athlete: saved beside its video (the portable record the library can be
        rebuilt from) and entered into the library. Returns what happened, for the status bar."""
        sidecar: Path | None = None
        problem = ""
        try:
            sidecar = result.save_sidecar(video)
        except (OSError, ValueError) as exc:
            problem = f"; not saved beside the video ({exc})"
        if self.add_result(result, source_path=sidecar or "") is None and self.library is None:
            return f"not entered into the Library ({self.notice.text() or 'it cannot be opened'}){problem}"
        return f"in the Library for {result.athlete}{problem}"

    def athletes(self) -> list[str]:
        lib = self.ensure_open()
        return lib.athletes() if lib is not None else []

    def selected_ids(self) -> list[int]:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [self.model.row(r).id for r in rows]

    @Slot(int)
    def select_attempt(self, attempt_id: int) -> None:
        for r, row in enumerate(self.model.rows):
            if row.id == attempt_id:
                index = self.model.index(r, 0)
                flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
                self.table.selectionModel().select(index, flags)
                self.table.scrollTo(index)
                return

    @Slot()
    def _selection_changed(self, *args) -> None:
        n = len(self.selected_ids()) if self.library is not None else 0
        self.review_button.setEnabled(n == 1)
        self.edit_button.setEnabled(n == 1)
        self.compare_button.setEnabled(n == 2)
        self.watch_button.setEnabled(n == 2)
        athlete = self._selected_athlete()
        self.athlete_export_button.setEnabled(bool(athlete))
        self.delete_button.setEnabled(bool(athlete))
        for b in (self.import_button, self.csv_button):
            b.setEnabled(self.library is not None)
        if athlete:
            self.chart.show_athlete(athlete)

    def _selected_athlete(self) -> str:
        """The athlete of the filter, else of the selected rows (when they share one)."""
        flt = self.filters.current().athlete
        if flt:
            return flt
        names = {self.model.row(i.row()).athlete for i in self.table.selectionModel().selectedRows()}
        return names.pop() if len(names) == 1 else ""

    def _result_with_video(self, attempt_id: int):
        """The stored result, pointing at its video (found again by content hash if it moved)."""
        assert self.library is not None
        result = self.library.result(attempt_id)
        video = locate_video(self.library, attempt_id)
        if video is not None:
            result.video.path = str(video)
        return result

    @Slot()
    def open_selected(self, *args) -> None:
        ids = self.selected_ids()
        if len(ids) == 1 and self.library is not None:
            try:
                self.review_requested.emit(self._result_with_video(ids[0]))
            except LibraryError as exc:
                QMessageBox.warning(self, "Library", str(exc))

    @Slot()
    def compare_selected(self) -> None:
        pair = self._selected_pair()
        if pair is not None:
            self.compare_requested.emit(pair)

    @Slot()
    def watch_selected(self) -> None:
        """The two selected attempts in the dual player at once (no detour through the Compare tab)."""
        pair = self._selected_pair()
        if pair is not None:
            self.side_by_side_requested.emit(*pair)

    def _selected_pair(self) -> list | None:
        """The two selected attempts' results (table order), or None with a message when one cannot be read."""
        ids = self.selected_ids()
        if len(ids) != 2 or self.library is None:
            return None
        try:
            return [self._result_with_video(i) for i in ids]
        except LibraryError as exc:
            QMessageBox.warning(self, "Library", str(exc))
            return None
