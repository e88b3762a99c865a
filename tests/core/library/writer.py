"""A library writer run as a subprocess by the fault tests.

``python writer.py DB FOLDER [--hang-at N]``: imports FOLDER; with ``--hang-at N`` it stops inside the
write transaction of the N-th new attempt (after its rows were inserted, before the commit) and waits
to be killed. ``--wait`` makes it read one line from stdin before it starts (so two writers start together).
"""

from __future__ import annotations

import argparse
import sys

from vatp_core.library import Library, import_path
from vatp_core.library.store import Library as _Library


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("db")
    parser.add_argument("folder")
    parser.add_argument("--hang-at", type=int, default=0)
    parser.add_argument("--wait", action="store_true")
    args = parser.parse_args()
    if args.hang_at:
        original = _Library._store_details
        stored = {"n": 0}

        def store_then_hang(self, attempt_id, data):
            original(self, attempt_id, data)
            stored["n"] += 1
            if stored["n"] == args.hang_at:
                print("inside", flush=True)
                sys.stdin.readline()  # the test kills this process here, inside the open transaction

        _Library._store_details = store_then_hang
    print("ready", flush=True)
    if args.wait:
        sys.stdin.readline()
    with Library(args.db, busy_timeout=120) as lib:
        summary = import_path(lib, args.folder)
    print(f"added {summary.added}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
