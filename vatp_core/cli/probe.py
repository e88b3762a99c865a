"""`vatp probe VIDEO`: what the frame index says about a file (frames, fps, keyframes, rotation, codec)."""

from __future__ import annotations

import argparse
import json

from . import CLIError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("probe", help="show a video's frame index: frames, fps, keyframes, rotation, codec")
    p.add_argument("video", help="a video file")
    p.add_argument("--json", action="store_true", help="print a JSON object")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..video import VideoError, open_video

    try:
        with open_video(args.video) as reader:
            info = reader.info.to_dict()
    except VideoError as exc:
        raise CLIError(str(exc)) from None
    keyframes = info.pop("keyframes")
    info["n_keyframes"] = len(keyframes)
    info = {k: round(v, 3) if isinstance(v, float) else v for k, v in info.items()}
    info["longest_gop"] = max((b - a for a, b in zip(keyframes, keyframes[1:] + [info["n_frames"]])), default=0)
    if args.json:
        print(json.dumps(info, indent=2, default=str))
    else:
        width = max(map(len, info))
        for key, value in info.items():
            print(f"{key:<{width}}  {value}")
    return 0
