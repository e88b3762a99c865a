"""`vatp weights`: list, download and import backbone weights (verified, loaded with weights_only=True)."""

from __future__ import annotations

import argparse
import json

from . import CLIError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("weights", help="list, download or import backbone weights")
    wsub = p.add_subparsers(dest="weights_command", metavar="ACTION")
    ls = wsub.add_parser("list", help="known and installed weights, and what each installed model pack needs")
    ls.add_argument("--json", action="store_true", help="print a JSON object")
    dl = wsub.add_parser("download", help="download a known checkpoint (torchvision) with a progress bar")
    dl.add_argument("name", help="a weights id from `vatp weights list` (e.g. swin3d_b-k400)")
    dl.add_argument("--url", default=None, help="download from this address instead (a mirror)")
    dl.add_argument("--timeout", type=float, default=15.0, help="seconds to wait for the server (default 15)")
    dl.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    im = wsub.add_parser("import", help="verify a checkpoint file you have and install it")
    im.add_argument("file", help="a .pth / .pt / .safetensors checkpoint")
    im.add_argument("--backbone", default=None, help="the backbone it belongs to (guessed from its keys otherwise)")
    im.add_argument("--id", dest="weights_id", default=None, help="the known weights id it is (guessed from its name)")
    im.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    rm = wsub.add_parser("remove", help="delete an installed weights file")
    rm.add_argument("file", help="the installed file name (as `vatp weights list` shows it)")
    p.set_defaults(func=run, _parser=p)


def run(args: argparse.Namespace) -> int:
    from ..errors import VATPError

    action = getattr(args, "weights_command", None)
    if action is None:
        args._parser.print_help()
        return 0
    try:
        return {"list": _list, "download": _download, "import": _import, "remove": _remove}[action](args)
    except VATPError as exc:
        raise CLIError(str(exc)) from exc


def _pack_needs() -> list[dict]:
    """What each installed model pack needs, and whether it is there."""
    from ..features import weights as wm
    from ..features.backbones import get_backbone_spec
    from ..features.known_weights import KNOWN_WEIGHTS

    try:
        from ..pack import installed_packs
    except ImportError:
        return []
    installed = wm.list_installed()
    rows = []
    for info in installed_packs():
        m = info.manifest
        if m is None:
            rows.append({"pack": info.name, "backbone": "?", "status": f"unreadable: {info.error}"})
            continue
        if m.backbone_in_pack:
            status = "in the pack"
        else:
            ok = [
                w
                for w in installed
                if w.backbone == m.backbone and (not m.backbone_weights_hash or w.state_hash == m.backbone_weights_hash)
            ]
            if ok:
                status = f"installed ({ok[0].path.name})"
            else:
                spec_id = get_backbone_spec(m.backbone).weights_id
                hint = KNOWN_WEIGHTS[spec_id].filename if spec_id in KNOWN_WEIGHTS else m.backbone
                status = (
                    f"MISSING: weights hash {m.backbone_weights_hash}"
                    if m.backbone_weights_hash
                    else f"MISSING: {hint}"
                )
        rows.append(
            {"pack": info.name, "backbone": m.backbone, "weights_hash": m.backbone_weights_hash, "status": status}
        )
    return rows


def _list(args: argparse.Namespace) -> int:
    from .. import paths
    from ..features import weights as wm
    from ..features.known_weights import KNOWN_WEIGHTS

    installed = wm.list_installed()
    by_id = {w.id: w for w in installed}
    known = [
        {
            "id": k.id,
            "backbone": k.backbone,
            "file": k.filename,
            "installed": k.id in by_id,
            "how": f"vatp weights download {k.id}" if k.url else f"import (get it from {k.source})",
            "description": k.description,
        }
        for k in KNOWN_WEIGHTS.values()
    ]
    packs = _pack_needs()
    if args.json:
        print(
            json.dumps(
                {
                    "folder": str(paths.weights_dir()),
                    "known": known,
                    "installed": [w.to_dict() for w in installed],
                    "packs": packs,
                },
                indent=2,
            )
        )
        return 0
    print(f"Weights folder: {paths.weights_dir()}")
    print("\nKnown weights:")
    for k in known:
        mark = "installed" if k["installed"] else "-"
        print(f"  {k['id']:<24} {k['backbone']:<9} {mark:<10} {k['file']}")
        if not k["installed"]:
            print(f"  {'':<24} {'':<9} {'':<10} {k['how']}")
    print("\nInstalled files:")
    if not installed:
        print("  (none)")
    for w in installed:
        print(
            f"  {w.path.name:<48} {w.backbone:<9} hash {w.state_hash}  {w.size / 2**20:.1f} MB  from {w.original_name}"
        )
    print("\nModel packs:")
    if not packs:
        print("  (none installed)")
    for row in packs:
        print(f"  {row['pack']:<28} {row['backbone']:<9} backbone weights: {row['status']}")
    return 0


def _download(args: argparse.Namespace) -> int:
    from ..features import weights as wm
    from .progress_bar import ProgressBar

    bar = ProgressBar(enabled=not args.quiet, unit="bytes")
    bar.set_label(args.name)
    try:
        item = wm.download_weights(args.name, url=args.url, progress=bar, timeout=args.timeout)
    finally:
        bar.close()
    print(f"Installed {item.path.name} for {item.backbone} (SHA-256 verified; weights hash {item.state_hash}).")
    return 0


def _import(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..features import weights as wm
    from .progress_bar import ProgressBar

    source = Path(args.file).expanduser()
    if not source.is_file():
        raise CLIError(f"No such file: {source}")
    bar = ProgressBar(enabled=not args.quiet, unit="bytes")
    try:
        item = wm.import_weights(source, backbone=args.backbone, weights_id=args.weights_id, progress=bar)
    finally:
        bar.close()
    print(
        f"Installed {item.path.name} for {item.backbone} (SHA-256 {item.source_sha256[:12]}… verified; "
        f"weights hash {item.state_hash})."
    )
    return 0


def _remove(args: argparse.Namespace) -> int:
    from ..features import weights as wm

    for w in wm.list_installed():
        if w.path.name == args.file:
            wm.remove_weights(w)
            print(f"Removed {w.path.name}.")
            return 0
    raise CLIError(f"No installed weights file named {args.file!r} (see `vatp weights list`).")
