"""The Library tab's filter row: athlete, routine, pack, tag, date range and free text."""

from __future__ import annotations

from PySide6.QtCore import QDate, Signal, Slot
from PySide6.QtWidgets import QCheckBox, QComboBox, QDateEdit, QHBoxLayout, QLabel, QLineEdit, QWidget

from vatp_core.library import AttemptFilter

ANY = "(any)"
NO_ATHLETE = "(no athlete)"


class FilterBar(QWidget):
    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.athlete = QComboBox()
        self.routine = QComboBox()
        self.pack = QComboBox()
        self.tag = QComboBox()
        for combo in (self.athlete, self.routine, self.pack, self.tag):
            combo.setMinimumContentsLength(10)
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.currentIndexChanged.connect(self._emit)
        self.use_dates = QCheckBox("From")
        self.date_from = QDateEdit()
        self.date_to = QDateEdit()
        for edit in (self.date_from, self.date_to):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setDate(QDate.currentDate())
            edit.dateChanged.connect(self._dates_changed)
        self.date_from.setDate(QDate.currentDate().addMonths(-3))
        self.use_dates.toggled.connect(self._emit)
        self.text = QLineEdit()
        self.text.setPlaceholderText("search video or notes")
        self.text.setClearButtonEnabled(True)
        self.text.textChanged.connect(self._emit)

        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        for label, widget in (("Athlete", self.athlete), ("Routine", self.routine), ("Pack", self.pack)):
            row.addWidget(QLabel(label))
            row.addWidget(widget)
        row.addWidget(QLabel("Tag"))
        row.addWidget(self.tag)
        row.addWidget(self.use_dates)
        row.addWidget(self.date_from)
        row.addWidget(QLabel("to"))
        row.addWidget(self.date_to)
        row.addWidget(self.text, 1)
        self._quiet = False

    def set_choices(
        self, athletes: list[str], routines: list[str], packs: list[tuple[str, str]], tags: list[str]
    ) -> None:
        """Refill the combo boxes, keeping what was selected when it still exists."""
        self._quiet = True
        try:
            _refill(self.athlete, [(ANY, None), (NO_ATHLETE, "")] + [(a, a) for a in athletes])
            _refill(self.routine, [(ANY, None)] + [(r, r) for r in routines])
            _refill(self.pack, [(ANY, None)] + [(name, pid) for pid, name in packs])
            _refill(self.tag, [(ANY, None)] + [(t, t) for t in tags])
        finally:
            self._quiet = False

    def select_athlete(self, name: str) -> None:
        i = self.athlete.findData(name)
        if i >= 0:
            self.athlete.setCurrentIndex(i)

    def current(self) -> AttemptFilter:
        dates = self.use_dates.isChecked()
        return AttemptFilter(
            athlete=self.athlete.currentData(),
            routine=self.routine.currentData(),
            pack_id=self.pack.currentData(),
            tag=self.tag.currentData(),
            date_from=self.date_from.date().toString("yyyy-MM-dd") if dates else None,
            date_to=self.date_to.date().toString("yyyy-MM-dd") if dates else None,
            text=self.text.text().strip() or None,
        )

    @Slot()
    def _dates_changed(self) -> None:
        if self.use_dates.isChecked():
            self._emit()

    @Slot()
    def _emit(self) -> None:
        if not self._quiet:
            self.changed.emit()


def _refill(combo: QComboBox, items: list[tuple[str, str | None]]) -> None:
    keep = combo.currentData()
    combo.clear()
    for text, data in items:
        combo.addItem(text, data)
    i = combo.findData(keep) if keep is not None else 0
    combo.setCurrentIndex(max(i, 0))
