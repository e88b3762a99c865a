"""The PDF page of a report: a QPdfWriter + QPainter drawing in points, with a flowing cursor, page breaks
and footers, and the report colours as QColors (from vatp_core.palette)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QMarginsF, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPageLayout, QPageSize, QPainter, QPdfWriter, QPen
from PySide6.QtWidgets import QApplication

from vatp_core import palette
from vatp_core.atomic import OutputError, atomic_path, verify_pdf

PAGE_SIZES = {"A4": QPageSize.PageSizeId.A4, "Letter": QPageSize.PageSizeId.Letter}
RESOLUTION = 300  # dots per inch of the PDF's device space; drawing happens in points (1/72 in)

INK = QColor(palette.INK)
MUTED = QColor(palette.MUTED)
GRID = QColor(palette.GRID)
ACCENT = QColor(palette.ACCENT)
WARN_BG = QColor(palette.WARN_BG)
WARN_FG = QColor(palette.WARN_FG)


def qcolor(color: str, alpha: float = 1.0) -> QColor:
    """A palette hex colour as a QColor, with an opacity in 0..1."""
    c = QColor(color)
    c.setAlphaF(alpha)
    return c


def subaction_qcolor(index: int) -> QColor:
    return QColor(palette.subaction_color(index))


def ensure_gui_application() -> QCoreApplication:
    """A Qt application for painting fonts into a PDF: the running one, else a new offscreen one (no window),
    so the CLI and batch make reports headless. A QApplication, so widgets can still be made later."""
    app = QApplication.instance()
    if app is None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        app = QApplication(["vatp"])
    return app


class Canvas:
    """A QPdfWriter + QPainter drawing in points, with a flowing cursor, page breaks and footers."""

    def __init__(self, path: Path, page_size: str, title: str, footer: str) -> None:
        ensure_gui_application()
        if page_size not in PAGE_SIZES:
            raise ValueError(f"page size must be one of {', '.join(PAGE_SIZES)}, not {page_size!r}")
        path.parent.mkdir(parents=True, exist_ok=True)
        self.writer = QPdfWriter(str(path))
        self.writer.setResolution(RESOLUTION)
        self.writer.setPageLayout(
            QPageLayout(QPageSize(PAGE_SIZES[page_size]), QPageLayout.Orientation.Portrait, QMarginsF(0, 0, 0, 0))
        )
        self.writer.setTitle(title)
        self.writer.setCreator("VATP Studio")
        rect = self.writer.pageLayout().fullRect(QPageLayout.Unit.Point)
        self.width, self.height = rect.width(), rect.height()
        self.margin = 42.0
        self.footer_text = footer
        self.page = 1
        self.painter = QPainter()
        if not self.painter.begin(self.writer):
            raise OutputError(f"Cannot write the PDF file {path}")
        self._setup()
        self.y = self.margin

    def _setup(self) -> None:
        p = self.painter
        p.resetTransform()
        scale = RESOLUTION / 72.0
        p.scale(scale, scale)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        p.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)

    @property
    def content_width(self) -> float:
        return self.width - 2 * self.margin

    @property
    def bottom(self) -> float:
        return self.height - self.margin - 14

    def font(self, size: float, bold: bool = False, italic: bool = False) -> QFont:
        f = QFont()
        f.setFamilies(["DejaVu Sans", "Helvetica", "Arial", "Sans Serif"])
        f.setPointSizeF(size * 72.0 / RESOLUTION)  # so that 1 unit of text = 1 point after the painter's scale
        f.setBold(bold)
        f.setItalic(italic)
        # no shaping, hence no ligatures: text copied from the PDF (and pdftotext) reads as typed
        f.setStyleStrategy(QFont.StyleStrategy.PreferNoShaping)
        return f

    def metrics(self, font: QFont) -> QFontMetricsF:
        return QFontMetricsF(font, self.writer)

    def text(
        self,
        rect: QRectF,
        text: str,
        size: float = 9.5,
        *,
        bold: bool = False,
        italic: bool = False,
        color: QColor = INK,
        align=Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop,
        wrap: bool = False,
    ) -> float:
        """Draw text in ``rect``; returns the height used."""
        font = self.font(size, bold, italic)
        self.painter.setFont(font)
        self.painter.setPen(QPen(color))
        flags = int(align.value if hasattr(align, "value") else align)
        if wrap:
            flags |= int(Qt.TextFlag.TextWordWrap.value)
        else:
            text = self.metrics(font).elidedText(text, Qt.TextElideMode.ElideRight, rect.width())
        used = self.painter.boundingRect(rect, flags, text)
        self.painter.drawText(rect, flags, text)
        return used.height()

    def text_height(self, text: str, width: float, size: float = 9.5, bold: bool = False) -> float:
        self.painter.setFont(self.font(size, bold))
        flags = int(Qt.TextFlag.TextWordWrap.value) | int(Qt.AlignmentFlag.AlignLeft.value)
        return self.painter.boundingRect(QRectF(0, 0, width, 10_000), flags, text).height()

    def text_width(self, text: str, size: float, bold: bool = False) -> float:
        return self.metrics(self.font(size, bold)).horizontalAdvance(text)

    def heading(self, text: str, keep_with: float = 20.0) -> None:
        """A section title; ``keep_with`` points of what follows must fit on the same page."""
        self.need(30 + keep_with)
        self.y += 6
        self.text(QRectF(self.margin, self.y, self.content_width, 16), text, 12.5, bold=True, color=ACCENT)
        self.y += 17
        self.painter.setPen(QPen(GRID, 0.8))
        self.painter.drawLine(QPointF(self.margin, self.y), QPointF(self.width - self.margin, self.y))
        self.y += 7

    def table_header(self, cols: list[tuple[str, float]], row_h: float) -> None:
        """One row of column titles (name, width) from the left margin, then move below it."""
        x = self.margin
        for head, w in cols:
            self.text(
                QRectF(x, self.y, w, row_h),
                head,
                8,
                bold=True,
                color=MUTED,
                align=Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            )
            x += w
        self.y += row_h

    def need(self, height: float) -> None:
        """Start a new page unless ``height`` points still fit above the footer."""
        if self.y + height > self.bottom:
            self.new_page()

    def new_page(self) -> None:
        self._footer()
        self.writer.newPage()
        self.page += 1
        self._setup()
        self.y = self.margin

    def _footer(self) -> None:
        y = self.height - self.margin + 2
        self.painter.setPen(QPen(GRID, 0.6))
        self.painter.drawLine(QPointF(self.margin, y - 4), QPointF(self.width - self.margin, y - 4))
        self.text(QRectF(self.margin, y, self.content_width - 60, 12), self.footer_text, 7.5, color=MUTED)
        self.text(
            QRectF(self.width - self.margin - 60, y, 60, 12),
            f"page {self.page}",
            7.5,
            color=MUTED,
            align=Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop,
        )

    def finish(self) -> None:
        """Close the page and the file (the PDF is complete on disk only after this)."""
        if not self.painter.isActive():
            return
        self._footer()
        ended = self.painter.end()
        self.writer = None  # type: ignore[assignment]  # releases the QPdfWriter, which closes its file
        if not ended:
            raise OutputError("The PDF could not be completed.")


@contextmanager
def pdf_canvas(out: Path, page_size: str, title: str, footer: str) -> Iterator[Canvas]:
    """A Canvas drawing into a temporary file that replaces ``out`` only once it is a complete PDF."""
    with atomic_path(out, verify=verify_pdf) as tmp:
        c = Canvas(tmp, page_size, title, footer)
        try:
            yield c
        except BaseException:
            if c.painter.isActive():
                c.painter.end()
            raise
        c.finish()
