"""The batch summary PDF: the scored routines ranked, with the label metrics, scatter and CS curve."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any, Sequence

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QBrush, QColor

from vatp_core import palette
from vatp_core.batch import spearman_text
from vatp_core.charts import cs_curve_chart, scatter_chart

from .canvas import MUTED, WARN_FG, pdf_canvas
from .painter import draw_chart


def render_batch_summary(
    rows: Sequence[Any],
    metrics: dict | None,
    out: str | Path,
    *,
    page_size: str = "A4",
    title: str = "Batch summary",
    pack_name: str = "",
) -> Path:
    """A PDF ranking the scored routines, with the label metrics, scatter and CS curve when labels were given."""
    out = Path(out)
    from vatp_core import __version__

    ok = sorted((r for r in rows if r.status == "ok" and r.mean is not None), key=lambda r: -float(r.mean))
    failed = [r for r in rows if r.status != "ok"]
    pack_name = pack_name or next((r.pack for r in rows if getattr(r, "pack", "")), "")
    with pdf_canvas(out, page_size, title, f"VATP Studio {__version__} · batch summary · pack {pack_name or '?'}") as c:
        W, M = c.content_width, c.margin
        c.text(QRectF(M, c.y, W, 24), title, 19, bold=True)
        c.y += 28
        c.text(
            QRectF(M, c.y, W, 12),
            f"{len(rows)} video(s): {len(ok)} scored, {len(failed)} failed  ·  pack "
            f"{pack_name or '?'}  ·  {date.today().isoformat()}",
            9,
            color=MUTED,
        )
        c.y += 16
        if metrics:
            c.heading("Agreement with the labels", keep_with=200)
            c.text(
                QRectF(M, c.y, W, 14),
                f"n = {metrics['n']}    Spearman ρ = {spearman_text(metrics)}    "
                f"R-ℓ2 = {metrics['rl2']:.3f}    MSE = {metrics['mse']:.3f}    MAE = {metrics.get('mae', 0):.3f}",
                10,
                bold=True,
            )
            c.y += 18
            c.need(180)
            half = (W - 12) / 2
            sc = metrics.get("scatter") or {}
            if sc.get("pred"):
                draw_chart(c, QRectF(M, c.y, half, 170), scatter_chart(sc["pred"], sc["true"]))
            cs = metrics.get("cs_curve") or {}
            if cs.get("alpha"):
                chart = cs_curve_chart({"": (cs["alpha"], cs["share"])})
                draw_chart(c, QRectF(M + half + 12, c.y, half, 170), chart)
            c.y += 176
        c.heading("Ranking")
        cols = [
            ("Rank", 34),
            ("Video", W - 34 - 70 - 50 - 60 - 55),
            ("Score μ", 70),
            ("σ", 50),
            ("True", 60),
            ("|error|", 55),
        ]
        row_h = 13.0

        c.table_header(cols, row_h)
        for k, r in enumerate(ok):
            if c.y + row_h > c.bottom:
                c.new_page()
                c.table_header(cols, row_h)
            if k % 2 == 0:
                c.painter.setPen(Qt.PenStyle.NoPen)
                c.painter.setBrush(QBrush(QColor(palette.STRIPE)))
                c.painter.drawRect(QRectF(M, c.y, W, row_h))
            err = abs(r.mean - r.true_score) if r.true_score is not None else None
            vals = [
                str(k + 1),
                r.file,
                f"{r.mean:.2f}",
                f"{r.std:.2f}" if r.std is not None else "",
                f"{r.true_score:.2f}" if r.true_score is not None else "",
                f"{err:.2f}" if err is not None else "",
            ]
            x = M
            for (_head, w), v in zip(cols, vals):
                c.text(
                    QRectF(x, c.y, w - 4, row_h), v, 8, align=Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
                )
                x += w
            c.y += row_h
        if failed:
            c.heading("Videos that could not be scored")
            for r in failed:
                h = max(12.0, c.text_height(f"{r.file}: {r.error}", W, 8))
                c.need(h + 2)
                c.text(QRectF(M, c.y, W, h + 2), f"{r.file}: {r.error}", 8, color=WARN_FG, wrap=True)
                c.y += h + 2
    return out
