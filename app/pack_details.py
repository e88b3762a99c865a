"""The pack details dialog opened from the pack selector: what a pack is, how it was made, how far to believe it."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QPlainTextEdit, QVBoxLayout, QWidget

from vatp_core.errors import VATPError


def pack_details_text(pack: str) -> str:
    """Readable lines about a pack ('demo', an installed name or a path): identity, training, trust, test figures."""
    from vatp_core.pack import read_manifest, resolve_pack_path
    from vatp_core.trust.summary import pack_trust_lines

    try:
        path = resolve_pack_path(None if pack in ("", "demo") else pack)
        m = read_manifest(path)
    except VATPError as exc:
        return f"This pack cannot be used: {exc}"
    lines = [f"{m.name}" + (f" — {m.label}" if m.label else ""), f"{path}"]
    what = " / ".join(x for x in (m.sport, m.event) if x)
    if what:
        lines.append(what)
    if m.description:
        lines.append(m.description)
    lo, hi = m.score_range
    lines.append(f"backbone {m.backbone}, score range {lo:g}–{hi:g}")
    if m.phrase_input == "dive_code":
        lines.append("fused: the score also reads the announced dive, so scoring asks for its dive code")
    training = m.training or {}
    if training.get("selection_text"):
        lines.append(f"model selection: {training['selection_text']}")
    lines.append("")
    lines += pack_trust_lines(m)
    return "\n".join(lines)


class PackDetailsDialog(QDialog):
    def __init__(self, pack: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Model pack details")
        self.resize(640, 420)
        self.text = QPlainTextEdit(pack_details_text(pack))
        self.text.setObjectName("packDetailsText")
        self.text.setReadOnly(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(buttons)
