"""`vatp export frame VIDEO --frame N --out f.png`: one frame at full size with the drawings made on it (Qt)."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    from vatp_core.cli.export import export_targets

    p = export_targets(sub).add_parser("frame", help="one frame with its drawings as a PNG (drawn with Qt)")
    p.add_argument("video", metavar="VIDEO", help="the video (its drawings are found by its content)")
    p.add_argument("--frame", type=int, required=True, metavar="N", help="frame number (0 = the first)")
    p.add_argument("--out", "-o", required=True, help="PNG file to write")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from vatp_core.cli import CLIError

    from . import report_module

    report = report_module()  # the one-line message when Qt cannot load
    report.ensure_gui_application()
    from ..drawings.paint import frame_png

    video = Path(args.video)
    if not video.is_file():
        raise CLIError(f"video not found: {video}")
    out, n = frame_png(video, args.frame, Path(args.out))
    print(f"frame {args.frame} with {n} drawing{'s' if n != 1 else ''} written to {out}")
    return 0
