"""Edit one attempt's athlete, notes and tags (written to the library and back into its sidecar)."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLineEdit, QPlainTextEdit, QWidget

from vatp_core.library import AttemptRow


class AttemptEditDialog(QDialog):
    def __init__(self, row: AttemptRow, athletes: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Edit {row.video_name}")
        self.athlete = QComboBox()
        self.athlete.setEditable(True)
        self.athlete.addItems(athletes)
        self.athlete.setEditText(row.athlete)
        self.notes = QPlainTextEdit(row.notes)
        self.notes.setFixedHeight(80)
        self.tags = QLineEdit(row.tags)
        self.tags.setPlaceholderText("comma-separated, e.g. training, new board")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("Athlete", self.athlete)
        form.addRow("Notes", self.notes)
        form.addRow("Tags", self.tags)
        form.addRow(buttons)

    def values(self) -> tuple[str, str, str]:
        """(athlete, notes, tags as typed)."""
        return " ".join(self.athlete.currentText().split()), self.notes.toPlainText().strip(), self.tags.text()
