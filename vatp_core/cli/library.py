"""`vatp library list|import|export|...`: the athlete library of scored attempts from the command line."""

from __future__ import annotations

import argparse
import json
import sys


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("library", help="the athlete library: list, import sidecars, export CSV")
    verbs = p.add_subparsers(dest="library_command", metavar="ACTION")
    ls = verbs.add_parser("list", help="list attempts, newest first")
    _filters(ls)
    ls.add_argument("--json", action="store_true", help="print JSON")
    imp = verbs.add_parser("import", help="import sidecars, batch result files and athlete exports under DIR")
    imp.add_argument("path", metavar="DIR", help="a folder (searched recursively) or one file")
    imp.add_argument("--athlete", help="give every imported attempt this athlete (default: the one each file names)")
    imp.add_argument("--place", default="", help="where the session took place")
    exp = verbs.add_parser("export", help="write the (filtered) attempts table as CSV")
    exp.add_argument("csv", metavar="CSV")
    _filters(exp)
    ea = verbs.add_parser("export-athlete", help="one athlete's attempts with full results, as JSON")
    ea.add_argument("name")
    ea.add_argument("out", metavar="FILE")
    da = verbs.add_parser("delete-athlete", help="delete an athlete with all their attempts")
    da.add_argument("name")
    da.add_argument("--yes", action="store_true", help="do it (without --yes only says what would go)")
    check = verbs.add_parser("check", help="run SQLite's integrity check on the library")
    for verb in (ls, imp, exp, ea, da, check):
        verb.add_argument("--db", metavar="FILE", help="library file (default: the one the app uses)")
    p.set_defaults(func=run, _parser=p)


def _filters(p: argparse.ArgumentParser) -> None:
    p.add_argument("--athlete", help="only this athlete")
    p.add_argument("--pack", help="only attempts scored with this pack (name)")
    p.add_argument("--tag", help="only attempts with this tag")
    p.add_argument("--since", metavar="YYYY-MM-DD", help="scored on or after this date")
    p.add_argument("--until", metavar="YYYY-MM-DD", help="scored on or before this date")


def _filter(lib, args: argparse.Namespace):
    from ..library import AttemptFilter

    pack_id = None
    if args.pack:
        ids = [pid for pid, name in lib.packs() if name.split(" (")[0] == args.pack or pid == args.pack]
        pack_id = ids[0] if ids else "\x00no such pack"
    return AttemptFilter(athlete=args.athlete, pack_id=pack_id, tag=args.tag, date_from=args.since, date_to=args.until)


def run(args: argparse.Namespace) -> int:
    from ..library import Library, attempt_rows, export_athlete, export_csv, import_path

    cmd = getattr(args, "library_command", None)
    if cmd is None:
        args._parser.print_help()
        return 0
    with Library(args.db) as lib:
        if lib.notice:
            print(lib.notice, file=sys.stderr)
        if cmd == "list":
            rows = attempt_rows(lib, _filter(lib, args))
            if args.json:
                print(json.dumps({"library": str(lib.path), "attempts": [r.to_dict() for r in rows]}, indent=1))
                return 0
            for r in rows:
                ood = "  OUT OF DISTRIBUTION" if r.ood else ""
                print(
                    f"{r.id:>6}  {r.scored_at[:16].replace('T', ' ')}  {r.athlete or '—':<20} {r.pack_name:<20} "
                    f"{r.mean:7.2f} [{r.interval_text()}]{ood}  {r.video_name}"
                )
            print(f"{len(rows)} attempt(s) in {lib.path}")
            return 0
        if cmd == "import":

            def show(done: int, total: int, current: str) -> None:
                if sys.stderr.isatty() and total:
                    print(f"\r{done}/{total} files", end="" if done < total else "\n", file=sys.stderr, flush=True)

            summary = import_path(lib, args.path, athlete=args.athlete, place=args.place, progress=show)
            for file, why in summary.failed:
                print(f"skipped {file}: {why}", file=sys.stderr)
            print(f"{summary.text()} ({lib.path}).")
            return 0
        if cmd == "export":
            n = export_csv(lib, args.csv, _filter(lib, args))
            print(f"Wrote {n} attempt(s) to {args.csv}")
            return 0
        if cmd == "export-athlete":
            n = export_athlete(lib, args.name, args.out)
            print(f"Wrote {n} attempt(s) of {args.name} to {args.out}")
            return 0
        if cmd == "delete-athlete":
            from ..library import AttemptFilter

            n = len(attempt_rows(lib, AttemptFilter(athlete=args.name)))
            if not args.yes:
                print(f"Would delete {args.name} and {n} attempt(s); run again with --yes to do it.")
                return 1
            files = lib.delete_athlete(args.name)
            print(f"Deleted {args.name} and {n} attempt(s).")
            if files:
                print(f"{len(files)} sidecar/result file(s) outside the library still name them, e.g. {files[0]}")
            return 0
        if cmd == "check":
            verdict = lib.integrity_check()
            print(f"{lib.path}: {verdict}")
            return 0 if verdict == "ok" else 1
    return 0
