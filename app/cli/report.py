"""`vatp report RESULT.json|VIDEO --out FILE.pdf`: the athlete's PDF report, made headless."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "report",
        help="write a PDF report of a scored routine (from a result JSON or a video)",
        description="Make the PDF report of one routine. Give a result JSON (from `vatp score` or the "
        "app) or a video, which is scored first with --pack.",
    )
    p.add_argument("input", metavar="RESULT.json|VIDEO", help="a ScoreResult JSON, or a video to score")
    p.add_argument("--out", "-o", required=True, help="PDF file to write")
    p.add_argument("--pack", help="model pack to score a video with (default: the settings' default, else the demo)")
    p.add_argument("--device", default="auto", choices=("auto", "cuda", "cpu"), help="compute device when scoring")
    p.add_argument("--reference", metavar="REF.json", help="a previous attempt (result JSON or video) to compare with")
    p.add_argument(
        "--force",
        action="store_true",
        help="compare with a reference scored by another pack anyway (the report then says they are not comparable)",
    )
    p.add_argument("--video", help="the video the key frames come from (default: the path stored in the result)")
    p.add_argument(
        "--athlete", default="", help="athlete's name printed on the report (default: the one the result carries)"
    )
    p.add_argument("--routine", default="", help="routine / event printed on the report")
    p.add_argument("--date", default="", help="date printed on the report (default: today)")
    p.add_argument("--title", default="", help="report title (default: 'Routine score report')")
    p.add_argument("--page-size", default="A4", choices=("A4", "Letter"), help="paper size")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from datetime import date

    from vatp_core.atomic import check_writable
    from vatp_core.cli.inputs import load_or_score

    from . import report_module

    check_writable(args.out)  # /dev/full, a folder or a read-only place fails now, before any scoring
    report = report_module()
    source = Path(args.input)
    result = load_or_score(source, args.pack, args.device)
    reference = load_or_score(Path(args.reference), args.pack, args.device) if args.reference else None
    fields = report.ReportFields(
        title=args.title or report.ReportFields.title,
        athlete=args.athlete or result.athlete,
        routine=args.routine,
        date=args.date or date.today().isoformat(),
    )
    problem = result.comparison_problem(reference) if reference is not None else ""
    if problem and args.force:
        print(f"warning: compared anyway although {problem}", file=sys.stderr)
    video = Path(args.video) if args.video else (source if source.suffix.lower() != ".json" else None)
    out = report.render_report(
        result,
        Path(args.out),
        fields=fields,
        reference=reference,
        page_size=args.page_size,
        video_path=video,
        force_reference=args.force,
    )
    print(f"report written: {out}")
    return 0
