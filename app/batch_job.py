"""The batch dialog's job, free of Qt at import: what the worker process runs for Batch → score a folder.

`run_batch_job` is sent by name to the worker process (like a score job), so importing torch, loading the
model and scoring never hold the GUI's interpreter lock; each written row comes back as plain data through
``ctx.post``. PDF reports are drawn there too, by the renderer `vatp batch --reports` uses (it imports Qt
in that process only when reports were asked for, and paints offscreen).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .worker_child import JobContext


@dataclass(frozen=True)
class BatchSpec:
    """The options of one folder batch, as plain data that can be sent to the worker process."""

    folder: Path
    pack: str | None
    device: str
    out_csv: Path
    labels: str | None = None
    reports: Path | None = None
    page_size: str = "A4"
    athlete_from_folder: bool = False
    library: Path | None = None


def run_batch_job(spec: BatchSpec, ctx: JobContext) -> Any:
    """A resumable folder batch on the worker's loaded scorer; rows go to ``ctx.post``, the summary is returned."""
    from vatp_core.batch import run_scorer_batch, summary_pdf_path

    from .cli import PdfReports

    scorer = ctx.scorer(spec.pack, spec.device)
    renderer = PdfReports()
    make_report = renderer.report_maker(spec.reports, spec.page_size) if spec.reports else None
    summary = run_scorer_batch(
        spec.folder,
        scorer,
        out_csv=spec.out_csv,
        labels=spec.labels,
        progress=ctx.progress,
        cancel=ctx.cancel,
        on_row=lambda row, result: ctx.post(row),
        make_report=make_report,
        athlete_from_folder=spec.athlete_from_folder,
        library=spec.library,
    )
    if summary.rows and (spec.reports or summary.metrics):
        summary.summary_pdf = renderer.batch_summary(
            summary.rows,
            summary.metrics,
            summary_pdf_path(summary.out_csv, spec.reports),
            page_size=spec.page_size,
            title=f"Batch summary: {spec.folder.name}",
        )
    return summary
