"""PDF reports drawn with QPdfWriter + QPainter from a ScoreResult (vector plots, embedded fonts).

The same code runs in the app (File → Export report…) and headless from `vatp report` / `vatp batch
--reports`, so a report never depends on a window: it only needs a QGuiApplication for fonts. Plots are
vatp_core.charts charts painted as QPainterPaths (they stay sharp when zoomed); key frames are the only
raster images.

- canvas: the page (writer, fonts, cursor, page breaks, footers) and `ensure_gui_application`
- painter: the QPainter backend of vatp_core.charts
- attention, keyframes, provenance: parts of the routine report
- routine: the routine report; summary: the batch summary; dialog: File → Export report…
"""

from .canvas import PAGE_SIZES, ensure_gui_application
from .dialog import ReportOptionsDialog, export_report_dialog
from .keyframes import key_frames
from .routine import ReportFields, batch_report_maker, render_report
from .summary import render_batch_summary

__all__ = [
    "PAGE_SIZES",
    "ReportFields",
    "ReportOptionsDialog",
    "batch_report_maker",
    "ensure_gui_application",
    "export_report_dialog",
    "key_frames",
    "render_batch_summary",
    "render_report",
]
