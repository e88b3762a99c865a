"""Asking for the dive code before a fused pack scores: a small dialog, checked as the CLI checks `--dive-code`.

A fused pack's score head reads the announced dive's phrases, so the app asks for its code (prefilled with
the one this video was last scored with, or the one in ``VIDEO.json`` beside it) and shows the phrases it
stands for while it is typed. The code travels with the score job; the result records it.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QLineEdit, QVBoxLayout, QWidget

from vatp_core.errors import VATPError


def pack_needs_dive_code(pack: str | None) -> bool:
    """Whether the pack ('demo', an installed name or a path) is a fused one (False when it cannot be read:
    scoring then says what is wrong with it)."""
    from vatp_core.pack import read_manifest, resolve_pack_path

    try:
        return (
            read_manifest(resolve_pack_path(None if pack in (None, "", "demo") else pack)).phrase_input == "dive_code"
        )
    except VATPError:
        return False


def check_dive_code(text: str) -> tuple[str | None, str]:
    """(the code in capitals, its phrases joined by ' / ') or (None, why it is not a dive code)."""
    from vatp_core.phrases import dive_code_phrases

    code = text.strip().upper()
    if not code:
        return None, "Type the announced dive's code, e.g. 407C."
    try:
        return code, " / ".join(dive_code_phrases(code))
    except VATPError as exc:
        return None, str(exc)


def remembered_dive_code(video: str | Path, shown=None) -> str:
    """The code to offer: the one the shown result of this video read, else ``dive_code`` in VIDEO.json."""
    from vatp_core.dive_info import read_difficulty_sidecar

    if shown is not None and getattr(shown, "dive_code", None):
        if Path(shown.video.path).resolve() == Path(video).resolve():
            return str(shown.dive_code)
    return str(read_difficulty_sidecar(video).get("dive_code", ""))


class DiveCodeDialog(QDialog):
    """One line for the code, the phrases it stands for (or why it is not one) below; OK only for a valid code."""

    def __init__(self, pack_name: str, code: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Dive code")
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"The pack {pack_name!r} reads the announced dive: which dive is it?"))
        self.edit = QLineEdit(code)
        self.edit.setPlaceholderText("e.g. 407C")
        self.edit.setMaxLength(8)
        layout.addWidget(self.edit)
        self.phrases = QLabel()
        self.phrases.setWordWrap(True)
        layout.addWidget(self.phrases)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.edit.textChanged.connect(self._check)
        self._check(code)

    def _check(self, text: str) -> None:
        code, words = check_dive_code(text)
        self.phrases.setText(words)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(code is not None)

    def code(self) -> str | None:
        return check_dive_code(self.edit.text())[0]


def ask_dive_code(parent: QWidget, pack_name: str, code: str = "") -> str | None:
    """The code the user confirmed, or None when they cancelled."""
    dialog = DiveCodeDialog(pack_name, code, parent)
    return dialog.code() if dialog.exec() == QDialog.DialogCode.Accepted else None
