"""`vatp batch DIR`: score every video of a folder into a resumable CSV + JSON (and PDF reports)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import VATPError
from ..settings import load_settings
from . import CLIError
from .engine import add_engine_args, ray_options
from .extensions import ReportRenderer, extensions
from .score import add_level_arg, level_from


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "batch",
        help="score every video in a folder (resumable CSV + JSON, optional PDF reports)",
        description="Score every video under DIR (recursively). Results are rewritten atomically "
        "after each video; run the same command again to resume a stopped batch "
        "(videos already scored with the same pack are skipped).",
    )
    p.add_argument("folder", metavar="DIR", help="folder of videos (searched recursively)")
    p.add_argument("--pack", help="model pack name or path (default: the settings' default pack, else the demo)")
    p.add_argument(
        "--out", help="results CSV (default DIR/results.csv); a JSON with the same name is written beside it"
    )
    p.add_argument("--reports", metavar="DIR", help="also write one PDF report per video and a summary PDF here")
    p.add_argument(
        "--labels",
        help="CSV with file,score[,difficulty][,athlete]: adds Spearman, R-l2, scatter, CS curve and a "
        "summary PDF ranking the routines (beside the CSV unless --reports is given); an athlete column "
        "(with or without scores) says whose each video is",
    )
    p.add_argument(
        "--athlete-from-folder",
        action="store_true",
        help="the athlete of each video is the name of its folder (DIR/Anna/dive3.mp4 → Anna)",
    )
    p.add_argument(
        "--library",
        metavar="FILE",
        help="athlete library that attempts with an athlete enter (default: the one the app uses)",
    )
    p.add_argument("--no-library", action="store_true", help="do not enter attempts into the athlete library")
    p.add_argument("--device", default="auto", choices=("auto", "cuda", "cpu"), help="compute device")
    p.add_argument("--page-size", default="A4", choices=("A4", "Letter"), help="paper size of the PDF reports")
    p.add_argument(
        "--no-prefetch", action="store_true", help="do not decode the next video while scoring the current one"
    )
    add_level_arg(p)
    p.add_argument("--quiet", "-q", action="store_true", help="print only the summary")
    add_engine_args(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..batch import score_folder, spearman_text, summary_pdf_path
    from .progress_bar import ProgressBar

    folder = Path(args.folder)
    if not folder.is_dir():
        raise CLIError(f"not a folder: {folder}")
    if args.labels and not Path(args.labels).is_file():
        raise CLIError(f"labels file not found: {args.labels}")
    out = Path(args.out) if args.out else folder / "results.csv"
    reports = Path(args.reports) if args.reports else None
    renderer = _renderer(required=reports is not None)
    make_report = renderer.report_maker(reports, args.page_size) if renderer and reports else None

    bar = ProgressBar(not args.quiet, stages=("batch",), lines=0, unit="video")  # a bar on a terminal only

    def on_row(row, result) -> None:
        if args.quiet:
            return
        if row.status == "ok":
            extra = f"  (true {row.true_score:g})" if row.true_score is not None else ""
            extra += "  (scored earlier)" if result is None else ""
            if row.interval_low is not None and row.interval_high is not None:
                sure = (
                    f"{100 * (row.interval_level or 0.9):g}% between {row.interval_low:.2f} and {row.interval_high:.2f}"
                )
            else:
                sure = "uncalibrated"
            warn = "  OUT OF DISTRIBUTION" if row.ood else ""
            warn += "  OUTSIDE THE SCORE RANGE" if row.out_of_range else ""
            bar.write(f"  {row.file}: {row.mean:.2f} — {sure}{warn}{extra}")
        else:
            bar.write(f"  {row.file}: ERROR {row.error}")

    def progress(stage: str, done: int, total: int) -> None:
        if stage == "batch" and not args.quiet and done == 0:
            bar.write(f"scoring {total} video(s) from {folder} → {out}")
        bar(stage, done, total)

    if args.engine == "ray" and args.athlete_from_folder:
        raise CLIError("--athlete-from-folder works with the local engine only")
    try:
        if args.engine == "ray":
            from ..distributed.ray_batch import run_ray_batch

            summary = run_ray_batch(
                folder,
                args.pack,
                options=ray_options(args),
                device=args.device,
                level=level_from(args, load_settings()),
                out_csv=out,
                labels=args.labels,
                progress=progress,
                on_row=on_row,
                make_report=make_report,
            )
        else:
            summary = score_folder(
                folder,
                args.pack,
                device=args.device,
                level=level_from(args, load_settings()),
                out_csv=out,
                labels=args.labels,
                prefetch=not args.no_prefetch,
                progress=progress,
                on_row=on_row,
                make_report=make_report,
                athlete_from_folder=args.athlete_from_folder,
                library=None if args.no_library else _library_path(args.library),
            )
    except VATPError as exc:
        raise CLIError(str(exc)) from None
    finally:
        bar.close()
    print(
        f"{summary.n_videos} video(s): {summary.n_scored} scored, {summary.n_skipped} already done, "
        f"{summary.n_failed} failed in {summary.seconds:.1f} s ({summary.videos_per_minute:.1f} videos/min)"
    )
    print(f"results: {summary.out_csv}  {summary.out_json}")
    if summary.library_added:
        print(f"library: {summary.library_added} attempt(s) entered")
    if summary.library_error:
        print(f"library not written: {summary.library_error}")
    if summary.metrics:
        m = summary.metrics
        print(f"labels: n={m['n']}  Spearman {spearman_text(m)}  R-l2 {m['rl2']:.3f}  MSE {m['mse']:.3f}")
    if renderer is not None and (reports is not None or summary.metrics):
        pdf = summary_pdf_path(summary.out_csv, reports)
        title = f"Batch summary: {summary.folder.name}"
        renderer.batch_summary(summary.rows, summary.metrics, pdf, page_size=args.page_size, title=title)
        print(f"reports: {reports}  summary: {pdf}" if reports else f"summary: {pdf}")
    elif summary.metrics:
        print(f"no summary PDF: {extensions().unavailable()}")
    if summary.cancelled:
        return 130
    return 1 if summary.n_failed and summary.n_failed == summary.n_videos else 0


def _library_path(chosen: str | None) -> Path:
    from ..library import default_library_path

    return Path(chosen) if chosen else default_library_path()


def _renderer(required: bool) -> ReportRenderer | None:
    """The PDF renderer an extension registered (see extensions); a one-line error when ``required``."""
    ext = extensions()
    if required:
        try:
            return ext.require_report_renderer()
        except VATPError as exc:
            raise CLIError(str(exc)) from None
    return ext.report_renderer
