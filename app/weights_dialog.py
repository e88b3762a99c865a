"""What the app does when a model pack needs backbone weights that are not installed: offer download or import."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget


@dataclass
class WeightsChoice:
    """The user's answer: ``action`` is "download" (with ``weights_id``), "import" (with ``path``) or "cancel"."""

    action: str
    weights_id: str | None = None
    path: Path | None = None


def known_weights_for(exc: BaseException):
    """The KnownWeights entry the error is about (by file name), or None."""
    from vatp_core.features.known_weights import KNOWN_WEIGHTS

    filename = getattr(exc, "filename", None)
    return next((k for k in KNOWN_WEIGHTS.values() if filename and k.filename == filename), None)


def ask_for_weights(parent: QWidget, exc: BaseException) -> WeightsChoice:
    """Explain what is missing and let the user download it (when it has a URL) or import a file."""
    known = known_weights_for(exc)
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("Backbone weights needed")
    box.setText("This model pack needs backbone weights that are not installed yet.")
    box.setInformativeText(str(exc))
    download = None
    if known is not None and known.url:
        download = box.addButton(f"Download {known.filename}", QMessageBox.ButtonRole.AcceptRole)
    import_button = box.addButton("Import a file…", QMessageBox.ButtonRole.ActionRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.exec()
    clicked = box.clickedButton()
    if download is not None and clicked is download:
        return WeightsChoice("download", weights_id=known.id)
    if clicked is import_button:
        path, _ = QFileDialog.getOpenFileName(
            parent, "Import backbone weights", "", "Weights (*.pth *.pt *.safetensors);;All files (*)"
        )
        if path:
            return WeightsChoice("import", weights_id=known.id if known else None, path=Path(path))
    return WeightsChoice("cancel")


def install_job(choice: WeightsChoice):
    """A worker function (for `InferenceService.call`) that downloads or imports the chosen weights."""

    def run(ctx):
        from vatp_core.features import weights

        if choice.action == "download":
            return weights.download_weights(choice.weights_id, progress=ctx.progress)
        return weights.import_weights(choice.path, weights_id=choice.weights_id, progress=ctx.progress)

    return run
