"""What a new user sees before opening a video: what to do next."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from vatp_core import paths

EMPTY_STATE_TEXT = "Drop a routine video here, or choose File → Open video… (Ctrl+O)"


class EmptyState(QWidget):
    open_requested = Signal()
    demo_requested = Signal()

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
        self.open_button = QPushButton("Open video…")
        self.open_button.clicked.connect(self.open_requested)
        self.demo_button = QPushButton("Try the demo routine")
        self.demo_button.setToolTip("A synthetic routine scored with the bundled demo pack (not for judging)")
        self.demo_button.clicked.connect(self.demo_requested)
        self.demo_button.setVisible(paths.demo_video_path().is_file())
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.demo_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        layout.addStretch(2)
