"""Time from process start to the main window shown (target < 2 s on a 2-core CPU).

Launches `python -m app.main --exit-after-show` in fresh interpreters, offscreen, with empty user folders,
and prints the median and worst time (the same measurement benchmarks/gui.py starts with).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from gui import measure_launch  # noqa: E402


def main(runs: int = 5) -> None:
    env = dict(
        os.environ,
        QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"),
        VATP_HOME=tempfile.mkdtemp(prefix="vatp-bench-"),
    )
    inside, outside = measure_launch(runs, env)
    print(
        f"launch to window shown: median {statistics.median(inside):.3f} s, worst {max(inside):.3f} s "
        f"(in-app clock from the first line of app/main.py); median {statistics.median(outside):.3f} s wall "
        f"incl. interpreter start and exit; {runs} runs (target < 2 s)"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
