"""File → Export report…: the options dialog (athlete, routine, date, notes, paper, reference attempt)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QWidget,
)

from .canvas import PAGE_SIZES
from .routine import ReportFields, render_report


class ReportOptionsDialog(QDialog):
    """Athlete, routine, date, notes, paper size and an optional reference attempt for the report."""

    def __init__(self, parent: QWidget | None, result: Any, reference: Any = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export report")
        self.result = result
        self.open_reference = reference
        form = QFormLayout(self)
        self.title_edit = QLineEdit(ReportFields.title)
        self.athlete_edit = QLineEdit(result.athlete if result is not None else "")
        self.athlete_edit.setPlaceholderText("athlete's name")
        self.routine_edit = QLineEdit(Path(result.video_name).stem if result is not None else "")
        self.date_edit = QDateEdit(QDate.currentDate())
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setDisplayFormat("yyyy-MM-dd")
        self.notes_edit = QPlainTextEdit()
        self.notes_edit.setPlaceholderText("notes for the athlete (optional)")
        self.notes_edit.setFixedHeight(60)
        if result is not None and result.notes:
            self.notes_edit.setPlainText(result.notes)
        self.page_combo = QComboBox()
        self.page_combo.addItems(list(PAGE_SIZES))
        self.reference_edit = QLineEdit()
        self.reference_edit.setPlaceholderText("optional: result JSON of an earlier attempt")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse_reference)
        ref_row = QHBoxLayout()
        ref_row.addWidget(self.reference_edit)
        ref_row.addWidget(browse)
        form.addRow("Title", self.title_edit)
        form.addRow("Athlete", self.athlete_edit)
        form.addRow("Routine", self.routine_edit)
        form.addRow("Date", self.date_edit)
        form.addRow("Notes", self.notes_edit)
        form.addRow("Paper", self.page_combo)
        self.reference_check = QCheckBox()
        if reference is not None:
            self.reference_check.setText(f"the other open attempt: {reference.video_name} ({reference.mean:.2f})")
            self.reference_check.setChecked(True)
            form.addRow("Compare with", self.reference_check)
            form.addRow("or a file", ref_row)
        else:
            form.addRow("Compare with", ref_row)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    @Slot()
    def _browse_reference(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Reference attempt", "", "VATP results (*.json);;All files (*)")
        if path:
            self.reference_edit.setText(path)

    def fields(self) -> ReportFields:
        return ReportFields(
            title=self.title_edit.text().strip() or ReportFields.title,
            athlete=self.athlete_edit.text().strip(),
            routine=self.routine_edit.text().strip(),
            date=self.date_edit.date().toString("yyyy-MM-dd"),
            notes=self.notes_edit.toPlainText().strip(),
        )

    def page_size(self) -> str:
        return self.page_combo.currentText()

    def reference(self) -> Any:
        """The reference attempt's ScoreResult, or None when the field is empty."""
        text = self.reference_edit.text().strip()
        if not text:
            return self.open_reference if self.reference_check.isChecked() else None
        from vatp_core.result import ScoreResult

        return ScoreResult.from_json(text)


def export_report_dialog(
    parent: Any, result: Any, video_path: str | Path | None = None, reference: Any = None
) -> Path | None:
    """File → Export report…: ask for the fields and a file name, write the PDF; None when cancelled.

    ``reference`` (e.g. the other attempt open in the comparison tab) is offered, ticked, as the attempt to compare with.
    """
    from vatp_core.errors import VATPError

    if result is None:
        QMessageBox.information(parent, "Export report", "Score a video first: the report is made from its result.")
        return None
    dlg = ReportOptionsDialog(parent, result, reference)
    if dlg.exec() != QDialog.DialogCode.Accepted:
        return None
    default = Path(result.video.path or result.video_name).with_suffix(".report.pdf")
    path, _ = QFileDialog.getSaveFileName(parent, "Save report", str(default), "PDF (*.pdf)")
    if not path:
        return None
    path = Path(path) if path.lower().endswith(".pdf") else Path(path + ".pdf")
    try:
        return render_report(
            result,
            path,
            fields=dlg.fields(),
            reference=dlg.reference(),
            page_size=dlg.page_size(),
            video_path=video_path,
        )
    except (VATPError, OSError, ValueError) as exc:
        QMessageBox.warning(parent, "Export report", f"The report could not be written:\n{exc}")
        return None
