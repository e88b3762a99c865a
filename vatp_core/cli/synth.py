"""`vatp synth`: make a SynthAQA set — rendered dive routines with exact scores, phrases and frame labels."""

from __future__ import annotations

import argparse
import time


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(x) for x in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT, e.g. 160x120, got {text!r}") from None
    return w, h


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "synth",
        help="generate synthetic routine videos with ground-truth scores and sub-action labels",
        description="Render N synthetic dive routines (approach, take-off, rotation, entry) as H.264 videos, with "
        "labels.csv (file,score,difficulty,phrases) and <name>.json (score, phrases, frame_labels) beside each video. "
        "The same seed gives the same set.",
    )
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--n", type=int, default=100, help="number of routines (default 100)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument(
        "--size", type=_size, default=(160, 120), help="frame size WIDTHxHEIGHT, even numbers (default 160x120)"
    )
    p.add_argument("--fps", type=float, default=25.0, help="frame rate (default 25)")
    p.add_argument("--no-idle", action="store_true", help="no idle frames (label -1) before and after the routine")
    p.add_argument("--workers", type=int, default=2, help="parallel processes, at most 2 (default 2)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..synth import SynthConfig, generate_dataset
    from . import CLIError
    from .progress_bar import ProgressBar

    if args.n < 1:
        raise CLIError("--n must be at least 1")
    w, h = args.size
    if w < 64 or h < 64 or w % 2 or h % 2:
        raise CLIError(f"--size must be even and at least 64x64, got {w}x{h}")
    if not 1 <= args.fps <= 120:
        raise CLIError("--fps must be between 1 and 120")
    cfg = SynthConfig(n=args.n, seed=args.seed, size=(w, h), fps=args.fps, idle=not args.no_idle)
    t0 = time.perf_counter()
    try:
        with ProgressBar(unit="routine") as progress:
            items = generate_dataset(args.out, cfg, workers=args.workers, progress=progress)
    except OSError as exc:
        raise CLIError(f"cannot write to {args.out}: {exc}") from exc
    frames = sum(len(it.frame_labels) for it in items)
    print(
        f"wrote {len(items)} routines ({frames} frames) and labels.csv to {args.out} in {time.perf_counter() - t0:.1f} s"
    )
    return 0
