"""The routine report: one scored routine on paper (score, distribution, sub-actions, attention, key
frames, the cumulative score against a reference attempt, and where the score came from)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPen

from vatp_core import palette
from vatp_core.charts import cumulative_chart, distribution_chart
from vatp_core.identity import digest_part
from vatp_core.result import PackRecord, VideoRecord
from vatp_core.time_format import clock as fmt_time

from .attention import draw_attention_strip
from .canvas import ACCENT, INK, MUTED, WARN_BG, WARN_FG, Canvas, pdf_canvas, subaction_qcolor
from .keyframes import key_frames
from .painter import draw_chart
from .provenance import fmt_value, not_for_judging, pack_manifest, protocol_text


@dataclass
class ReportFields:
    """What the person exporting fills in: printed in the report's header."""

    title: str = "Routine score report"
    athlete: str = ""
    routine: str = ""
    date: str = ""
    notes: str = ""


def render_report(
    result: Any,
    out: str | Path,
    *,
    fields: ReportFields | None = None,
    reference: Any = None,
    page_size: str = "A4",
    video_path: str | Path | None = None,
    force_reference: bool = False,
) -> Path:
    """Write the PDF report of one scored routine (``reference``: an earlier attempt to compare with).

    A reference scored with another pack is refused (`NotComparableError`); with ``force_reference`` it is
    compared under a warning printed on the report.
    """
    from vatp_core.result import NotComparableError

    problem = result.comparison_problem(reference) if reference is not None else ""
    if problem and not force_reference:
        raise NotComparableError(f"Cannot compare: {problem} (use --force to compare anyway, under a warning).")
    out = Path(out)
    fields = fields or ReportFields()
    pack, video = result.pack, result.video
    warning = not_for_judging(pack)
    from vatp_core import __version__

    footer = f"VATP Studio {__version__} · {result.video_name} · pack {pack.name or '?'}"
    if warning:
        footer += f" · {warning}"
    with pdf_canvas(out, page_size, fields.title or "Routine score report", footer) as c:
        _report_body(c, result, fields, reference, pack, video, warning, video_path, problem)
    return out


def _warning_banner(c: Canvas, text: str) -> None:
    """A framed warning line across the page (never left out of a report that it applies to)."""
    W, M = c.content_width, c.margin
    height = max(20.0, c.text_height(f"⚠  {text}", W - 16, 9, bold=True) + 8)
    r = QRectF(M, c.y, W, height)
    c.painter.setPen(QPen(WARN_FG, 0.8))
    c.painter.setBrush(QBrush(WARN_BG))
    c.painter.drawRoundedRect(r, 3, 3)
    c.text(
        r.adjusted(8, 0, -8, 0),
        f"⚠  {text}",
        9,
        bold=True,
        color=WARN_FG,
        align=Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
        wrap=True,
    )
    c.y += height + 6


def _report_body(
    c: Canvas,
    result: Any,
    fields: ReportFields,
    reference: Any,
    pack: PackRecord,
    video: VideoRecord,
    warning: str,
    video_path: str | Path | None,
    reference_problem: str = "",
) -> None:
    W, M = c.content_width, c.margin
    # title + fields
    c.text(QRectF(M, c.y, W, 24), fields.title or "Routine score report", 19, bold=True)
    c.y += 28
    col = W / 3
    info = [
        ("Athlete", fields.athlete or "—"),
        ("Routine", fields.routine or result.video_name),
        ("Date", fields.date or date.today().isoformat()),
    ]
    for k, (label, value) in enumerate(info):
        x = M + k * col
        c.text(QRectF(x, c.y, col - 8, 10), label.upper(), 7, bold=True, color=MUTED)
        c.text(QRectF(x, c.y + 10, col - 8, 14), value, 10.5)
    c.y += 28
    c.text(
        QRectF(M, c.y, W, 11),
        f"Video: {result.video_name}  ·  {video.n_frames or '?'} frames  ·  "
        f"{video.fps:.2f} fps  ·  {fmt_time(video.duration)}  ·  "
        f"scored {str(result.created)[:19].replace('T', ' ')}",
        8,
        color=MUTED,
    )
    c.y += 14
    if fields.notes:
        c.y += c.text(QRectF(M, c.y, W, 200), fields.notes, 9, italic=True, wrap=True) + 4
    if warning:
        _warning_banner(c, f"Model pack “{pack.name or '?'}”: {warning}")
    for text in result.warnings():  # unlike the training videos, off the score range, damaged: always printed
        _warning_banner(c, text)
    if reference_problem:
        _warning_banner(c, f"Compared anyway although {reference_problem}.")

    # score + distribution
    c.heading("Predicted score")
    top = c.y
    left_w = 170.0
    c.text(QRectF(M, top, left_w, 40), f"{result.mean:.2f}", 34, bold=True, color=ACCENT)
    c.text(QRectF(M, top + 42, left_w, 14), result.interval_text(), 10, wrap=True)
    lines = [f"model σ {result.std:.2f} (the paper's, not an interval)"]
    lo_hi = pack.score_range
    if lo_hi:
        lines.append(f"score range {float(lo_hi[0]):g}–{float(lo_hi[1]):g}")
    if result.difficulty is not None:
        raw = result.raw_mean if result.raw_mean is not None else result.mean / (result.difficulty or 1)
        lines.append(f"difficulty {result.difficulty:g} × execution {raw:.3f}")
    if result.segments:
        lines.append(f"baseline {result.baseline_mean:.2f} + sub-actions {sum(result.contributions or [0]):+.2f}")
    c.text(QRectF(M, top + 60, left_w, 40), "\n".join(lines), 8, color=MUTED, wrap=True)
    draw_chart(c, QRectF(M + left_w + 10, top, W - left_w - 10, 112), distribution_chart(result))
    c.y = top + 118

    # sub-action table
    c.heading("Sub-actions")
    segs = list(result.segments or [])
    names = list(result.subaction_names or [])
    contributions = list(result.contributions or [])
    placed = {s.index for s in segs}
    unplaced = [(i, n) for i, n in enumerate(names) if i not in placed]
    cols = [("#", 18), ("Sub-action", 150), ("Time", 96), ("Frames", 82), ("Contribution", W - 346)]
    row_h = 15.0
    c.need(row_h * (len(segs) + len(unplaced) + 2))
    c.table_header(cols, row_h)
    all_c = [abs(s.contribution) for s in segs] + [abs(contributions[i]) for i, _ in unplaced if i < len(contributions)]
    cmax = max(all_c + [1e-9])
    bar_w = cols[-1][1] - 60

    def table_row(k: int, index: int, name: str, time_txt: str, frame_txt: str, contrib: float | None) -> None:
        if k % 2 == 0:
            c.painter.setPen(Qt.PenStyle.NoPen)
            c.painter.setBrush(QBrush(QColor(palette.STRIPE)))
            c.painter.drawRect(QRectF(M, c.y, W, row_h))
        color = subaction_qcolor(index)
        c.painter.setBrush(QBrush(color))
        c.painter.setPen(Qt.PenStyle.NoPen)
        c.painter.drawRect(QRectF(M + cols[0][1], c.y + 4, 7, 7))
        vals = [str(k + 1), name, time_txt, frame_txt]
        xx = M
        for (head, w), v in zip(cols, vals):
            off = 11 if head == "Sub-action" else 0
            c.text(
                QRectF(xx + off, c.y, w - off, row_h),
                v,
                8.5,
                align=Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            )
            xx += w
        if contrib is not None:
            c.text(
                QRectF(xx, c.y, 50, row_h),
                f"{contrib:+.3f}",
                8.5,
                align=Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
            )
            mid = xx + 60 + bar_w / 2
            length = contrib / cmax * (bar_w / 2 - 2)
            c.painter.setBrush(QBrush(QColor(palette.POSITIVE if contrib >= 0 else palette.NEGATIVE)))
            c.painter.drawRect(QRectF(min(mid, mid + length), c.y + 4, abs(length), row_h - 8))
            c.painter.setPen(QPen(MUTED, 0.5))
            c.painter.drawLine(QPointF(mid, c.y + 2), QPointF(mid, c.y + row_h - 2))
        c.y += row_h

    for k, seg in enumerate(segs):
        table_row(
            k,
            seg.index,
            seg.name,
            f"{fmt_time(seg.start_time)} – {fmt_time(seg.end_time)}",
            f"{seg.start_frame}–{seg.end_frame}",
            seg.contribution,
        )
    for j, (i, name) in enumerate(unplaced):
        table_row(
            len(segs) + j, i, name, "not placed in time", "—", contributions[i] if i < len(contributions) else None
        )
    if not segs and not unplaced:
        c.text(
            QRectF(M, c.y, W, 14),
            "This model pack does not parse the routine into sub-actions.",
            9,
            italic=True,
            color=MUTED,
        )
        c.y += 16

    # attention strip
    if result.attention:
        c.heading("Attention along the routine", keep_with=14 + 4 + 14.0 * len(result.attention) + 46)
        h = 14 + 4 + 14.0 * len(result.attention) + 26
        c.need(h + 20)
        draw_attention_strip(c, QRectF(M, c.y, W, h), result)
        c.y += h + 4
        c.text(
            QRectF(M, c.y, W, 24),
            "Each row shows where in the video the model looked for that sub-action "
            "(darker = more attention); the band above shows the parsed sub-actions.",
            7.5,
            color=MUTED,
            wrap=True,
        )
        c.y += 20

    # key frames
    frames, note = key_frames(result, video_path)
    fps = video.fps or 25.0
    ncol = max(1, min(4, len(frames)))
    gap = 8.0
    cell_w = (W - gap * (ncol - 1)) / ncol
    aspect = max((img.height() / max(1, img.width()) for _, _, img in frames), default=0.0)
    img_h = min(cell_w * aspect, 150.0)
    c.heading("Key frames", keep_with=(img_h + 30) if frames else 20)
    if note:
        c.text(QRectF(M, c.y, W, 30), note, 9, italic=True, color=MUTED, wrap=True)
        c.y += c.text_height(note, W, 9) + 6
    for start in range(0, len(frames), ncol):
        c.need(img_h + 30)
        for k, (seg, idx, img) in enumerate(frames[start : start + ncol]):
            x = M + k * (cell_w + gap)
            w = min(cell_w, img_h * img.width() / max(1, img.height()))
            target = QRectF(x, c.y, w, w * img.height() / max(1, img.width()))
            c.painter.drawImage(target, img)
            c.painter.setPen(QPen(subaction_qcolor(seg.index), 2))
            c.painter.setBrush(Qt.BrushStyle.NoBrush)
            c.painter.drawRect(target)
            c.text(QRectF(x, c.y + img_h + 3, cell_w, 11), seg.name, 8.5, bold=True)
            c.text(QRectF(x, c.y + img_h + 14, cell_w, 10), f"frame {idx} · {fmt_time(idx / fps)}", 7.5, color=MUTED)
        c.y += img_h + 30

    # cumulative comparison
    chart = cumulative_chart(result, reference)
    if chart is not None:
        c.heading(
            "Cumulative score" + (" — comparison with the reference attempt" if reference is not None else ""),
            keep_with=170,
        )
        draw_chart(c, QRectF(M, c.y, W, 160), chart)
        c.y += 164
        text = "The curve starts at the baseline score and adds each sub-action's contribution when it ends."
        if reference is not None:
            diff = result.mean - reference.mean
            text += f" This attempt scores {diff:+.2f} against the reference."
            ref_by_name = {s.name: s.contribution for s in reference.segments or []}
            deltas = [(s.name, s.contribution - ref_by_name[s.name]) for s in segs if s.name in ref_by_name]
            if deltas:
                text += " Per sub-action: " + ", ".join(f"{n} {d:+.2f}" for n, d in deltas) + "."
        c.y += c.text(QRectF(M, c.y, W, 60), text, 8, color=MUTED, wrap=True) + 6
    elif reference is not None:
        c.heading("Comparison with the reference attempt")
        c.text(
            QRectF(M, c.y, W, 14),
            f"This attempt {result.mean:.2f}, reference {reference.mean:.2f} ({result.mean - reference.mean:+.2f}).",
            9,
        )
        c.y += 18

    # provenance
    c.heading("Model pack")
    rows = [
        ("Pack", pack.name or "?"),
        ("Sport / event", " / ".join(v for v in (pack.sport, pack.event) if v) or "—"),
        ("Backbone", pack.backbone or "—"),
        ("Clip protocol", protocol_text(pack.protocol) or "—"),
    ]
    if lo_hi:
        rows.append(("Score range", f"{float(lo_hi[0]):g} – {float(lo_hi[1]):g}"))
    extra = pack_manifest(pack)
    for key in ("description", "training", "metrics"):
        if extra.get(key):
            value = extra[key]
            if isinstance(value, dict):  # the readable top level only; the manifest has the rest
                text = ", ".join(
                    f"{k}: {fmt_value(v)}"
                    for k, v in value.items()
                    if isinstance(v, (str, int, float)) and v not in ("", None)
                )
            else:
                text = str(value)
            if len(text) > 400:
                text = text[:397] + "…"
            if text:
                rows.append((key.replace("_", " ").capitalize(), text))
    if pack.weights_sha256:
        rows.append(("Weights SHA-256", pack.weights_sha256[:16]))
    rows.append(("Label", warning or (pack.label or "—")))
    if video.content_hash:
        rows.append(("Video hash", digest_part(video.content_hash, 16)))
    if result.timings:
        rows.append(("Scoring time", f"{sum(float(v) for v in result.timings.values()):.1f} s"))
    for key, value in rows:
        h = max(12.0, c.text_height(value, W - 100, 8.5))
        c.need(h + 2)
        c.text(QRectF(M, c.y, 95, h), key, 8.5, bold=True, color=MUTED)
        c.text(
            QRectF(M + 100, c.y, W - 100, h + 2),
            value,
            8.5,
            wrap=True,
            color=WARN_FG if key == "Label" and warning else INK,
        )
        c.y += h + 2
    c.y += 4
    disclaimer = (
        "Scores are predictions of a machine-learning model and come with the uncertainty shown (σ). "
        "They are an aid for training and review, not an official judgement."
    )
    c.need(30)
    c.text(QRectF(M, c.y, W, 30), disclaimer, 7.5, italic=True, color=MUTED, wrap=True)


def batch_report_maker(reports: str | Path, page_size: str = "A4"):
    """A ``make_report(row, result)`` for `run_batch`: one PDF per scored video in ``reports``."""
    reports = Path(reports)
    reports.mkdir(parents=True, exist_ok=True)

    def make(row: Any, result: Any) -> Path:
        name = row.file.replace("/", "__").rsplit(".", 1)[0] + ".pdf"
        fields = ReportFields(routine=Path(row.file).stem)
        return render_report(result, reports / name, fields=fields, page_size=page_size)

    return make
