"""`vatp report RESULT.json|VIDEO --out FILE.pdf`: the athlete's PDF report, made headless."""

from __future__ import annotations

import argparse
from pathlib import Path

from . import CLIError


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
    p.add_argument("--video", help="the video the key frames come from (default: the path stored in the result)")
    p.add_argument("--athlete", default="", help="athlete's name printed on the report")
    p.add_argument("--routine", default="", help="routine / event printed on the report")
    p.add_argument("--date", default="", help="date printed on the report (default: today)")
    p.add_argument("--title", default="", help="report title (default: 'Routine score report')")
    p.add_argument("--page-size", default="A4", choices=("A4", "Letter"), help="paper size")
    p.set_defaults(func=run)


def load_or_score(path: Path, pack: str | None, device: str):
    """A ScoreResult from a result JSON, or by scoring a video with the given pack."""
    from ..errors import VATPError

    if not path.exists():
        raise CLIError(f"file not found: {path}")
    try:
        if path.suffix.lower() == ".json":
            from ..result import ScoreResult

            return ScoreResult.from_json(path)
        from ..pack import resolve_pack
        from ..pipeline import score_video

        return score_video(path, resolve_pack(pack), device=device)
    except VATPError as exc:
        raise CLIError(str(exc)) from None
    except (ValueError, KeyError, TypeError) as exc:
        raise CLIError(f"{path.name} is not a VATP result file ({exc})") from None


def run(args: argparse.Namespace) -> int:
    from datetime import date

    source = Path(args.input)
    result = load_or_score(source, args.pack, args.device)
    reference = load_or_score(Path(args.reference), args.pack, args.device) if args.reference else None
    from app.report import ReportFields, render_report

    fields = ReportFields(
        title=args.title or ReportFields.title,
        athlete=args.athlete,
        routine=args.routine,
        date=args.date or date.today().isoformat(),
    )
    video = Path(args.video) if args.video else (source if source.suffix.lower() != ".json" else None)
    out = render_report(
        result, Path(args.out), fields=fields, reference=reference, page_size=args.page_size, video_path=video
    )
    print(f"report written: {out}")
    return 0
