"""What a new user sees before opening a video: what to do next."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

EMPTY_STATE_TEXT = "Drop a routine video here, or choose File → Open video… (Ctrl+O)"


class EmptyState(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        title = QLabel("<h2>Score a routine</h2>")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint = QLabel(EMPTY_STATE_TEXT)
        self.hint.setObjectName("emptyStateHint")
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint.setWordWrap(True)
        detail = QLabel(
            "VATP Studio predicts the score of a dive, a gymnastics routine or a skating program, "
            "splits it into sub-actions and shows where the points were won or lost."
        )
        detail.setAlignment(Qt.AlignmentFlag.AlignCenter)
        detail.setWordWrap(True)
        detail.setStyleSheet("color: palette(mid);")
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(title)
        layout.addWidget(self.hint)
        layout.addWidget(detail)
        layout.addStretch(2)
