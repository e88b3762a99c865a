"""`vatp export clip|kva|frame`: a sub-action as MP4, Kinovea key images, a frame with its drawings as PNG.

``clip`` and ``kva`` are made here; ``frame`` draws with Qt, so the app adds it to this command's
subcommands through the extension seam (`export_targets` gives it where to add itself).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from . import CLIError

_targets: dict[int, argparse._SubParsersAction] = {}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export",
        help="export a sub-action as MP4, the sub-actions as Kinovea key images (.kva), or a frame as PNG",
        description="Exports for coaches: `clip` (a sub-action or frame range as an MP4), `kva` (one Kinovea "
        "key image per sub-action), `frame` (one frame with its drawings as a PNG; needs the app's Qt part).",
    )
    targets = p.add_subparsers(dest="target", metavar="WHAT")
    _targets[id(sub)] = targets

    clip = targets.add_parser("clip", help="a sub-action (or a frame range) of a scored video as an MP4")
    clip.add_argument("result", metavar="RESULT.json", help="the scored attempt (its video is taken from it)")
    which = clip.add_mutually_exclusive_group(required=True)
    which.add_argument("--subaction", type=int, metavar="N", help="sub-action number, 1 = the first in time")
    which.add_argument("--frames", metavar="FIRST-LAST", help="a frame range instead (inclusive)")
    clip.add_argument("--video", help="the video (default: the path stored in the result)")
    clip.add_argument("--out", "-o", required=True, help="MP4 file to write")
    clip.set_defaults(func=run_clip)

    kva = targets.add_parser("kva", help="the parsed sub-actions as Kinovea key images (.kva)")
    kva.add_argument("result", metavar="RESULT.json", help="the scored attempt")
    kva.add_argument("--video", help="the video (default: the path stored in the result)")
    kva.add_argument("--out", "-o", required=True, help=".kva file to write (VIDEO.kva loads by itself in Kinovea)")
    kva.set_defaults(func=run_kva)
    p.set_defaults(func=lambda args: _no_target(p))


def export_targets(sub: argparse._SubParsersAction) -> argparse._SubParsersAction:
    """The subcommands of `vatp export` in the parser being built (where an extension adds `frame`)."""
    try:
        return _targets[id(sub)]
    except KeyError:
        raise RuntimeError("vatp export is not registered in this parser") from None


def _no_target(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def _load(path: str):
    from .inputs import load_or_score

    p = Path(path)
    if p.suffix.lower() != ".json":
        raise CLIError(f"{p.name}: give the result JSON of a scored video (from `vatp score --json` or the app)")
    return load_or_score(p, None, "cpu")


def _video(result, given: str | None) -> Path:
    video = Path(given) if given else Path(result.video.path)
    if not video.is_file():
        raise CLIError(f"video not found: {video} (give it with --video)")
    return video


def segment_frames(result, number: int) -> tuple[int, int, str]:
    """First and last frame and name of sub-action ``number`` (1 = the first in time)."""
    segments = sorted(result.segments, key=lambda s: s.start_frame)
    if not segments:
        raise CLIError("this result has no sub-actions placed in time")
    if not 1 <= number <= len(segments):
        raise CLIError(f"--subaction must be 1–{len(segments)} ({', '.join(s.name for s in segments)})")
    seg = segments[number - 1]
    return seg.start_frame, seg.end_frame, seg.name


def _frame_range(text: str) -> tuple[int, int]:
    try:
        a, b = text.replace("–", "-").split("-", 1)
        return int(a), int(b)
    except ValueError:
        raise CLIError(f"--frames must look like 120-180, got {text!r}") from None


def run_clip(args: argparse.Namespace) -> int:
    from ..export import export_clip

    result = _load(args.result)
    video = _video(result, args.video)
    if args.subaction is not None:
        first, last, name = segment_frames(result, args.subaction)
    else:
        (first, last), name = _frame_range(args.frames), "frames"
    clip = export_clip(video, first, last, Path(args.out))
    print(f"{name}: frames {clip.first}–{clip.last} ({clip.n_frames} frames, {clip.codec}) written to {clip.path}")
    return 0


def run_kva(args: argparse.Namespace) -> int:
    from ..export import write_kva

    result = _load(args.result)
    video = _video(result, args.video)
    out = write_kva(result, Path(args.out), video)
    print(f"{len(result.segments)} key images written to {out}")
    return 0
