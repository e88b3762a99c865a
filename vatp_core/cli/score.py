"""`vatp score VIDEO`: predict a routine's score with a model pack and explain it."""

from __future__ import annotations

import argparse

from . import CLIError


def add_level_arg(p: argparse.ArgumentParser) -> None:
    """--level: the coverage of the calibrated interval (shared by score and batch)."""
    p.add_argument(
        "--level",
        type=float,
        default=None,
        metavar="L",
        help="coverage of the calibrated score interval, 0.5-0.995 (default: settings, 0.9)",
    )


def level_from(args: argparse.Namespace, settings) -> float:
    from ..trust import check_level

    try:
        return check_level(args.level if args.level is not None else settings.interval_level)
    except ValueError as exc:
        raise CLIError(str(exc)) from None


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("score", help="score a routine video and explain the score")
    p.add_argument("video", help="video file")
    p.add_argument(
        "--pack",
        default=None,
        help="model pack: installed name, folder or .zip (default: settings, else the bundled demo pack)",
    )
    p.add_argument("--json", metavar="OUT", default=None, help="write the full result as JSON ('-' for stdout)")
    p.add_argument("--sidecar", action="store_true", help="also save the result beside the video as VIDEO.vatp.json")
    p.add_argument("--device", default=None, choices=["auto", "cuda", "cpu"], help="compute device (default: settings)")
    p.add_argument(
        "--difficulty",
        type=float,
        default=None,
        metavar="DD",
        help="difficulty degree, for packs that predict score ÷ DD (MTL-AQA diving)",
    )
    p.add_argument(
        "--dive-code",
        default=None,
        metavar="CODE",
        help="dive code (e.g. 407C): a fused pack reads its phrases; a ÷DD pack looks its difficulty up",
    )
    add_level_arg(p)
    p.add_argument(
        "--athlete", default="", help="whose routine it is: stored in the result and entered into the athlete library"
    )
    p.add_argument("--notes", default="", help="notes stored with the result")
    p.add_argument(
        "--tag", action="append", default=[], metavar="TAG", help="a tag stored with the result (repeatable)"
    )
    p.add_argument("--no-library", action="store_true", help="with --athlete: do not enter the athlete library")
    p.add_argument("--no-cache", action="store_true", help="recompute the clip features even if cached")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress lines on stderr")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..errors import VATPError
    from ..settings import load_settings
    from .progress_bar import ProgressBar

    video = Path(args.video)
    if not video.exists():
        raise CLIError(f"No such file: {video}")
    from ..atomic import check_writable
    from ..result import ScoreResult

    if args.json and args.json != "-":
        check_writable(args.json)  # a folder or a read-only path fails now, not after a minute of scoring
    if args.sidecar:
        check_writable(ScoreResult.sidecar_path(video))
    settings = load_settings()
    device = args.device or settings.device or "auto"
    level = level_from(args, settings)
    progress = ProgressBar(not args.quiet, lines=1)  # off a terminal: one line as each stage ends
    try:
        from ..pipeline import score_video

        result = score_video(
            video,
            args.pack,
            device=device,
            progress=progress,
            difficulty=args.difficulty,
            dive_code=args.dive_code,
            use_cache=not args.no_cache,
            level=level,
        )
    except VATPError as exc:
        progress.close()
        raise CLIError(str(exc)) from None
    progress.close()
    result.athlete = " ".join(args.athlete.split())
    result.notes = args.notes.strip()
    result.tags = [t.strip() for t in args.tag if t.strip()]
    if args.json == "-":
        print(result.to_json())
    else:
        print(result.summary())
        if args.json:
            result.to_json(args.json)
            print(f"wrote {args.json}")
    if args.sidecar:
        path = result.save_sidecar(video)
        if args.json != "-":
            print(f"wrote {path}")
    if result.athlete and not args.no_library:
        from ..library import Library

        with Library() as lib:
            source = result.sidecar_path(video) if args.sidecar else (args.json if args.json not in (None, "-") else "")
            lib.add_result(result, source="cli", source_path=str(source or ""))
        if args.json != "-":
            print(f"entered into the athlete library ({lib.path}) for {result.athlete}")
    return 0
