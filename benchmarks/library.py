"""Library tab speed on a generated library: opening it (table shown) and filtering, against their targets.

A library of N synthetic attempts (default 10,000, five athletes over a season) is written to a temporary
file once. Then, in this process with an offscreen Qt: the time from creating the Library tab to its
table model holding every row and the window painted (target < 0.5 s), and the time of each filter
change (athlete, tag, pack, date range, text; target < 100 ms) until the table holds the filtered rows.
Each figure is also printed as a ratio to its target (< 1.0 meets it).

    python benchmarks/library.py                 # 10,000 attempts
    python benchmarks/library.py --n 50000 --json out.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

OPEN_TARGET_S = 0.5
FILTER_TARGET_S = 0.1


def build(path: Path, n: int) -> float:
    from vatp_core.library.synthetic import build_synthetic_library

    t0 = time.perf_counter()
    build_synthetic_library(path, n, athletes=5)
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="attempts in the generated library")
    parser.add_argument("--repeat", type=int, default=5, help="times each filter change is measured")
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["VATP_HOME"] = str(Path(tmp) / "home")
        db = Path(tmp) / "library.sqlite3"
        build_s = build(db, args.n)
        size_mb = db.stat().st_size / 1e6

        from PySide6.QtWidgets import QApplication

        from app.library import LibraryTab

        app = QApplication.instance() or QApplication(sys.argv[:1])
        t0 = time.perf_counter()
        tab = LibraryTab(db)
        tab.resize(1400, 900)
        tab.show()
        tab.ensure_open()
        tab.repaint()  # the table painted with its rows: what "open" means
        open_s = time.perf_counter() - t0
        assert tab.model.rowCount() == args.n, tab.model.rowCount()
        app.processEvents()  # the progress chart, drawn right after the table
        tab.repaint()
        chart_s = time.perf_counter() - t0
        assert tab.chart.series is not None

        bar = tab.filters
        changes = {
            "athlete": lambda: bar.athlete.setCurrentIndex(2),
            "tag": lambda: bar.tag.setCurrentIndex(1),
            "pack": lambda: bar.pack.setCurrentIndex(1),
            "date range": lambda: bar.use_dates.setChecked(True),
            "text": lambda: bar.text.setText("attempt_01"),
        }

        def clear() -> None:
            for combo in (bar.athlete, bar.tag, bar.pack, bar.routine):
                combo.setCurrentIndex(0)
            bar.use_dates.setChecked(False)
            bar.text.clear()

        bar.date_from.setDate(bar.date_from.date().fromString("2026-10-01", "yyyy-MM-dd"))
        bar.date_to.setDate(bar.date_to.date().fromString("2026-10-31", "yyyy-MM-dd"))
        filter_s: dict[str, float] = {}
        rows: dict[str, int] = {}
        for name, change in changes.items():
            times = []
            for _ in range(args.repeat):
                clear()
                app.processEvents()
                t = time.perf_counter()
                change()
                app.processEvents()
                times.append(time.perf_counter() - t)
            filter_s[name] = statistics.median(times)
            rows[name] = tab.model.rowCount()
        clear()
        tab.close_library()

    machine = f"{platform.machine()} {platform.processor() or ''} {os.cpu_count()} CPU(s), {platform.system()}".strip()
    load = f", load average {os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else ""
    print(f"machine: {machine}{load} (a loaded shared machine slows every figure alike)")
    print(f"library: {args.n} attempts, {size_mb:.1f} MB (written in {build_s:.1f} s)")
    print(
        f"open the Library tab (table of {args.n} rows shown): {open_s * 1000:.0f} ms  ratio to 0.5 s: "
        f"{open_s / OPEN_TARGET_S:.2f}"
    )
    print(f"  ... and the progress chart drawn ({len(tab.chart.series.means)} points): {chart_s * 1000:.0f} ms")
    for name, s in filter_s.items():
        print(
            f"filter by {name:<10} ({rows[name]:>5} rows): {s * 1000:6.1f} ms  ratio to 100 ms: "
            f"{s / FILTER_TARGET_S:.2f}"
        )
    worst = max(filter_s.values())
    ok = open_s < OPEN_TARGET_S and worst < FILTER_TARGET_S
    print("targets met" if ok else "target missed")
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "n": args.n,
                    "machine": machine,
                    "open_s": open_s,
                    "chart_s": chart_s,
                    "filter_s": filter_s,
                    "rows": rows,
                    "ok": ok,
                },
                indent=1,
            ),
            encoding="utf-8",
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
