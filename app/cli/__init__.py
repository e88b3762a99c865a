"""VATP Studio's additions to the `vatp` command line: the commands and the renderer that need Qt.

`extend` is registered in pyproject.toml under the entry-point group ``vatp_studio.cli``, which
vatp_core.cli.extensions discovers (the seam is described there). A new Qt-backed command is one
``ext.add_command(...)`` line below. Nothing here imports Qt until a command runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Sequence

from vatp_core.cli import CLIError
from vatp_core.cli.extensions import Extensions


def extend(ext: Extensions) -> None:
    from . import export_frame, report

    ext.add_command(report.register)
    ext.add_command(export_frame.register)
    ext.set_report_renderer(PdfReports())


def report_module():
    """app.report, or a one-line error when Qt (PySide6) cannot be loaded here."""
    try:
        import app.report as report
    except ImportError as exc:
        raise CLIError(f"this command needs Qt (PySide6), which could not be loaded: {exc}") from None
    return report


class PdfReports:
    """The `ReportRenderer` of `vatp batch --reports`: app.report's PDFs, made headless."""

    def report_maker(self, folder: Path, page_size: str) -> Callable[[Any, Any], Path]:
        return report_module().batch_report_maker(folder, page_size)

    def batch_summary(
        self, rows: Sequence[Any], metrics: dict | None, out: Path, *, page_size: str, title: str
    ) -> Path:
        return report_module().render_batch_summary(rows, metrics, out, page_size=page_size, title=title)
