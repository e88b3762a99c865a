"""`vatp packs list|install|remove|show`: manage the model packs in the user data folder."""

from __future__ import annotations

import argparse
import json

from . import CLIError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("packs", help="list, install, show or remove model packs")
    verbs = p.add_subparsers(dest="packs_command", metavar="ACTION")
    ls = verbs.add_parser("list", help="list installed packs (and the bundled demo pack)")
    ls.add_argument("--json", action="store_true", help="print JSON")
    ins = verbs.add_parser("install", help="validate a pack folder or .zip and install it")
    ins.add_argument("path")
    ins.add_argument("--replace", action="store_true", help="replace an installed pack of the same name")
    ins.add_argument("--default", action="store_true", help="also make it the default pack")
    rm = verbs.add_parser("remove", help="delete an installed pack")
    rm.add_argument("name")
    show = verbs.add_parser("show", help="validate a pack (name or path) and print its manifest")
    show.add_argument("name", nargs="?", default=None, help="pack name or path (default: the pack `vatp score` uses)")
    p.set_defaults(func=run, _parser=p)


def run(args: argparse.Namespace) -> int:
    from .. import pack as packs
    from .. import paths
    from ..settings import load_settings, save_settings

    cmd = getattr(args, "packs_command", None)
    try:
        if cmd == "list":
            infos = packs.installed_packs()
            default = load_settings().default_pack
            demo = paths.demo_pack_path()
            if args.json:
                rows = [
                    {
                        "name": i.name,
                        "path": str(i.path),
                        "ok": i.ok,
                        "error": i.error,
                        "default": i.name == default,
                        "manifest": i.manifest.to_dict() if i.manifest else None,
                    }
                    for i in infos
                ]
                print(json.dumps({"packs": rows, "demo_pack": str(demo) if demo.exists() else None}, indent=2))
                return 0
            if not infos:
                print(f"No packs installed (folder {paths.packs_dir()}).")
            for i in infos:
                mark = "*" if i.name == default else " "
                if i.ok and i.manifest is not None:
                    m = i.manifest
                    what = " / ".join(x for x in (m.sport, m.event) if x) or "-"
                    lo, hi = m.score_range
                    flag = "  [not for judging]" if m.not_for_judging else ""
                    print(f"{mark} {i.name:<24} {what:<28} backbone {m.backbone:<9} range {lo:g}–{hi:g}{flag}")
                else:
                    print(f"{mark} {i.name:<24} DAMAGED: {i.error}")
            if demo.exists():
                print(f"{'*' if not default else ' '} (demo) bundled demo pack at {demo}")
            return 0
        if cmd == "install":
            pack = packs.install_pack(args.path, replace=args.replace)
            print(f"Installed {pack.name} → {pack.path}")
            if args.default:
                s = load_settings()
                s.default_pack = pack.name
                if not save_settings(s):
                    raise CLIError(f"installed {pack.name}, but the settings could not be saved to make it the default")
                print(f"{pack.name} is now the default pack.")
            return 0
        if cmd == "remove":
            removed = packs.remove_pack(args.name)  # clears the default (with a warning) when it was this pack
            print(f"Removed {removed}")
            return 0
        if cmd == "show":
            from ..trust.summary import pack_trust_lines

            pack = packs.resolve_pack(args.name)
            print(f"# {pack.path}  (valid)")
            if pack.needs_dive_code:
                print(f"# fused: scoring reads the dive's phrases — {packs.NEEDS_DIVE_CODE}")
            for line in pack_trust_lines(pack.manifest):
                print(f"# {line}")
            print(json.dumps(pack.manifest.to_dict(), indent=2))
            return 0
    except packs.PackError as exc:
        raise CLIError(str(exc)) from None
    args._parser.print_help()
    return 0
