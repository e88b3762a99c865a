"""Time from process start to the main window shown (target < 2 s on a 2-core CPU).

Runs the app in a fresh interpreter several times, offscreen, and prints the median and worst time.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHILD = r"""
import sys, time
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from app.main_window import MainWindow
app = QApplication([])
w = MainWindow(); w.show()
def shown():
    print("SHOWN", time.time(), "torch" in sys.modules, flush=True); app.quit()
QTimer.singleShot(0, shown)
app.exec()
"""


def measure_once(env: dict[str, str]) -> tuple[float, bool]:
    start = time.time()
    out = subprocess.run([sys.executable, "-c", CHILD], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    line = next(line for line in out.stdout.splitlines() if line.startswith("SHOWN"))
    _, t, torch_loaded = line.split()
    return float(t) - start, torch_loaded == "True"


def main(runs: int = 5) -> None:
    import tempfile

    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    env["VATP_HOME"] = tempfile.mkdtemp(prefix="vatp-bench-")
    measure_once(env)  # warm the OS file cache, as a second launch would be
    times, torch_flags = zip(*(measure_once(env) for _ in range(runs)))
    print(f"launch-to-window: median {statistics.median(times):.3f} s, worst {max(times):.3f} s over {runs} runs"
          f" (target < 2 s); torch imported before show: {any(torch_flags)}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
