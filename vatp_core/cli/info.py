"""`vatp info`: versions, compute device and the folders VATP Studio uses."""

from __future__ import annotations

import argparse
import json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("info", help="show versions, the compute device and the user folders")
    p.add_argument("--json", action="store_true", help="print a JSON object")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from .. import paths
    from ..sysinfo import system_info

    info = system_info()
    info.update(
        config=str(paths.config_dir()),
        data=str(paths.data_dir()),
        cache=str(paths.cache_dir()),
        resources=str(paths.resources_dir()),
    )
    if args.json:
        print(json.dumps(info, indent=2))
    else:
        width = max(map(len, info))
        for key, value in info.items():
            print(f"{key:<{width}}  {value}")
    return 0
