"""`vatp extract`: clip features of a video or a folder, one ``<name>.npy`` (n_clips, dim) per video.

The layout the public RG / Fis-V features use, so a model trained on them and on these agree.
"""

from __future__ import annotations

import argparse

from . import CLIError
from .engine import add_engine_args, ray_options


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("extract", help="extract clip features of videos into <name>.npy files")
    p.add_argument("source", metavar="VIDEO_OR_DIR", help="a video file or a folder of videos")
    p.add_argument("--backbone", required=True, help="swin3d_t, swin3d_s, swin3d_b, i3d or tiny")
    p.add_argument(
        "--protocol",
        default=None,
        help="clip protocol: vst-gdlt, i3d-mtl or generic (default; i3d-mtl with --mtl-annotations)",
    )
    p.add_argument(
        "--mtl-annotations",
        default=None,
        metavar="FILE",
        help="MTL-AQA: the annotation pickle (or its folder); VIDEO_OR_DIR holds the competition videos "
        "(01.mp4 …, cut at each dive's start_frame..end_frame) or per-dive clips (01_01.mp4 …); "
        "writes <video>_<dive>.npy as the MTL-AQA loader expects",
    )
    p.add_argument("--clip-len", type=int, default=None, help="frames per clip (overrides the protocol)")
    p.add_argument("--stride", type=int, default=None, help="frames between clip starts (overrides the protocol)")
    p.add_argument(
        "--preprocess",
        default=None,
        choices=("square-v1", "gdlt-v2"),
        help="frame preprocessing (default: the protocol's; vst-gdlt uses gdlt-v2, as the public features)",
    )
    p.add_argument("--out", required=True, metavar="DIR", help="folder for the .npy files")
    p.add_argument(
        "--save-input",
        default=None,
        metavar="FILE.npy",
        help="also save the normalised backbone input of the first video's first clip, (C, T, H, W) float32",
    )
    src = p.add_mutually_exclusive_group()
    src.add_argument(
        "--weights", default=None, metavar="FILE", help="backbone weights file (default: the installed one)"
    )
    src.add_argument(
        "--weights-id",
        default=None,
        metavar="ID",
        help="installed weights to use (see `vatp weights list`); default: the protocol's (vst-gdlt + swin3d_b: "
        "the official Kinetics-600 model the public features used, when installed), else the backbone's",
    )
    src.add_argument("--pack", default=None, help="take the backbone (and its weights) from this model pack")
    p.add_argument("--device", default=None, help="auto, cuda or cpu (default: the settings)")
    p.add_argument("--batch-size", type=int, default=8, help="clips per batch (default 8)")
    p.add_argument("--recursive", action="store_true", help="also look in subfolders (mirrored under --out)")
    p.add_argument("--overwrite", action="store_true", help="redo videos whose .npy exists")
    p.add_argument("--no-cache", action="store_true", help="do not read or write the feature cache")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    add_engine_args(p)
    p.set_defaults(func=run)


def _videos(source, recursive: bool):
    from pathlib import Path

    from ..video.formats import is_video_filename

    source = Path(source).expanduser()
    if source.is_file():
        return source.parent, [source]
    if not source.is_dir():
        raise CLIError(f"No such file or folder: {source}")
    pattern = "**/*" if recursive else "*"
    found = sorted(
        p
        for p in source.glob(pattern)
        if p.is_file()
        and is_video_filename(p.name)
        and not any(part.startswith(".") for part in p.relative_to(source).parts)
    )
    if not found:
        raise CLIError(f"No video files in {source}{' (or its subfolders)' if recursive else ''}.")
    return source, found


def _save_npy(path, array) -> None:
    import numpy as np

    from ..atomic import atomic_open

    with atomic_open(path, "wb") as fh:
        np.save(fh, array, allow_pickle=False)


def run(args: argparse.Namespace) -> int:
    import sys
    from pathlib import Path

    from ..errors import VATPError
    from ..settings import load_settings
    from .progress_bar import ProgressBar

    root, videos = _videos(args.source, args.recursive)
    jobs: list[tuple[Path, Path, int, int | None]] = [
        (v.relative_to(root) if args.recursive else Path(v.name), v, 0, None) for v in videos
    ]
    missing = 0
    if args.mtl_annotations:
        from ..datasets import DatasetError
        from ..datasets.mtl_aqa import video_jobs

        if not Path(args.source).is_dir():
            raise CLIError("with --mtl-annotations, give the folder of the MTL-AQA videos")
        try:
            found, missing = video_jobs(args.mtl_annotations, args.source)
        except DatasetError as exc:
            raise CLIError(str(exc)) from exc
        if not found:
            raise CLIError(f"none of the annotated dives has a video in {args.source}")
        jobs = [(Path(name + ".npy"), v, start, end) for name, v, start, end in found]
    protocol_name = args.protocol or ("i3d-mtl" if args.mtl_annotations else "generic")
    out = Path(args.out).expanduser()
    device = args.device or load_settings().device or "auto"
    try:
        from ..features import get_backbone_spec, load_backbone
        from ..protocols import get_protocol

        pairs = (("clip_len", args.clip_len), ("stride", args.stride), ("preprocess", args.preprocess))
        overrides = {k: v for k, v in pairs if v is not None}
        protocol = get_protocol(protocol_name, **overrides)
        if args.pack:
            from ..pack import resolve_pack

            pack = resolve_pack(args.pack)
            if pack.manifest.backbone != get_backbone_spec(args.backbone).name:
                raise CLIError(
                    f"The pack {pack.manifest.name!r} uses the {pack.manifest.backbone} backbone, not {args.backbone}."
                )
            prefer = None
            if args.engine != "ray":  # Ray workers load their own
                backbone = pack.load_backbone(device)
        else:
            from ..features.known_weights import preferred_weights_id
            from ..features.weights import find_installed

            name = get_backbone_spec(args.backbone).name
            if args.weights_id:
                find_installed(name, weights_id=args.weights_id)  # a clear error when it is not installed
            prefer = args.weights_id or preferred_weights_id(name, protocol.name)
            if args.engine != "ray":
                backbone = load_backbone(name, weights=args.weights, device=device, prefer_weights=prefer)
    except VATPError as exc:
        raise CLIError(str(exc)) from exc
    if args.engine == "ray":
        return _run_ray(args, jobs, missing, out, device, protocol, prefer)

    from ..features import extract_features
    from ..features.record import write_record

    write_record(out, backbone.identity(), protocol)
    bar = ProgressBar(enabled=not args.quiet)
    done = skipped = failed = clips = 0
    save_input = Path(args.save_input).expanduser() if args.save_input else None
    for rel, video, start, end in jobs:
        target = out / rel.with_suffix(".npy")
        keep_input = save_input is not None
        if target.exists() and not args.overwrite and not keep_input:
            skipped += 1
            continue
        bar.set_label(str(rel))
        try:
            result = extract_features(
                video,
                backbone,
                protocol,
                batch_size=args.batch_size,
                progress=bar,
                use_cache=not args.no_cache,
                keep_first_input=keep_input,
                start=start,
                end=end,
            )
        except VATPError as exc:
            bar.close()
            print(f"{rel}: error: {exc}", file=sys.stderr)
            failed += 1
            continue
        except KeyboardInterrupt:
            bar.close()
            raise
        bar.close()
        if keep_input and result.first_input is not None:
            assert save_input is not None
            _save_npy(save_input, result.first_input.astype("float32"))
            print(f"Saved the first clip's input {tuple(result.first_input.shape)} of {rel} to {save_input}")
            save_input = None
            if target.exists() and not args.overwrite:
                skipped += 1
                continue
        _save_npy(target, result.features)
        done += 1
        clips += result.n_clips
    weights = backbone.weights_id or backbone.weights_source
    parts = [
        f"Extracted {done} video{'s' if done != 1 else ''} ({clips} clips, {backbone.spec.feature_dim}-d, "
        f"{backbone.spec.name} {weights}, protocol {protocol.name}, preprocessing {protocol.preprocess}) to {out}"
    ]
    return _report(args, parts, skipped, failed, missing)


def _report(args: argparse.Namespace, parts: list[str], skipped: int, failed: int, missing: int) -> int:
    if skipped:
        parts.append(f"{skipped} skipped (already there; --overwrite to redo)")
    if failed:
        parts.append(f"{failed} failed")
    if missing:
        parts.append(f"{missing} annotated dives have no video in {args.source}")
    print("; ".join(parts) + ".")
    return 1 if failed else 0


def _run_ray(args: argparse.Namespace, jobs, missing: int, out, device: str, protocol, prefer: str | None) -> int:
    """The same videos, targets and files as the local loop, extracted on Ray workers."""
    import sys
    from pathlib import Path

    from ..distributed.ray_extract import BackboneFactory, run_ray_extract
    from ..errors import VATPError
    from .progress_bar import ProgressBar

    if args.save_input:
        raise CLIError("--save-input works with the local engine only")
    options = ray_options(args)
    todo, skipped = [], 0
    for rel, video, start, end in jobs:
        target = out / rel.with_suffix(".npy")
        if target.exists() and not args.overwrite:
            skipped += 1
        else:
            todo.append((video, target, start, end))
    pack = str(Path(args.pack).resolve()) if args.pack and Path(args.pack).exists() else args.pack
    weights = str(Path(args.weights).resolve()) if args.weights else None
    factory = BackboneFactory(args.backbone, weights=weights, pack=pack, device=device, prefer_weights=prefer)
    bar = ProgressBar(enabled=not args.quiet, unit="video")

    def on_error(target, message: str) -> None:
        print(f"{target.relative_to(out)}: error: {message}", file=sys.stderr)

    try:
        counts = run_ray_extract(
            todo,
            factory,
            protocol,
            _save_npy,
            options=options,
            batch_size=args.batch_size,
            use_cache=not args.no_cache,
            progress=bar,
            on_error=on_error,
        )
    except VATPError as exc:
        raise CLIError(str(exc)) from exc
    finally:
        bar.close()
    info = counts.backbone or {}
    if info:
        from ..features.record import write_record

        write_record(out, info, protocol)
    weights_text = info.get("weights_id") or info.get("weights_source") or ""
    parts = [
        f"Extracted {counts.done} video{'s' if counts.done != 1 else ''} on Ray ({counts.clips} clips, "
        f"{counts.feature_dim}-d, {info.get('backbone', args.backbone)} {weights_text}, protocol {protocol.name}, "
        f"preprocessing {protocol.preprocess}) to {out}"
    ]
    return _report(args, parts, skipped, counts.failed, missing)
