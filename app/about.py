"""Help → About: app, torch, compute device and Qt versions."""

from __future__ import annotations

import PySide6
from PySide6.QtCore import qVersion
from PySide6.QtWidgets import QMessageBox, QWidget

from vatp_core import __version__


def about_text(import_torch: bool = True) -> str:
    """The About box's text; with ``import_torch`` off and torch not loaded yet, it says so instead of freezing."""
    import sys

    if import_torch or "torch" in sys.modules:
        from vatp_core.sysinfo import torch_device_summary  # imports torch: only when asked

        torch_version, device = torch_device_summary()
    else:
        torch_version, device = "not loaded yet (it loads with the first scoring)", "checked when torch loads"
    return (
        f"<h3>VATP Studio {__version__}</h3>"
        "<p>Action quality assessment with VATP-Net (Gedamu et al., IEEE TCSVT 2025).</p>"
        f"<p>torch {torch_version}<br>Device: {device}<br>"
        f"Qt {qVersion()} (PySide6 {PySide6.__version__})</p>"
    )


def show_about(parent: QWidget) -> None:
    """Never blocks the GUI on importing torch: before it is loaded, the box says so."""
    QMessageBox.about(parent, "About VATP Studio", about_text(import_torch=False))
