"""GUI responsiveness while the inference worker runs, for the thread and the process worker (VATP_WORKER).

Each figure in a fresh interpreter (torch is imported once per process), with a 10 ms timer in the GUI
thread whose longest gap between ticks is how long the event loop stalled (target ≤ 100 ms):
  - over the first 10 s after launch (the device check imports torch at 1.5 s);
  - from the first Score press to the result on screen;
  - Batch → score a folder (two copies of the video): from Start to the first video done, and to the end;
and how long Cancel takes to give control back when pressed at the start of the model load, of feature
extraction and of the model stage, and at the start of a batch (target ≤ 1 s).

    python benchmarks/gui_worker.py [--score-video V --pack P]     # also the tail of benchmarks/gui.py
    python benchmarks/gui_worker.py --only batch
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

KINDS = ("idle", "launch", "score", "cancel", "batch")


class GapMeter:
    """A 10 ms timer in the GUI thread; the longest gap between its ticks is how long the event loop stalled."""

    def __init__(self) -> None:
        from PySide6.QtCore import QTimer

        self.ticks: list[float] = []
        self.timer = QTimer()
        self.timer.timeout.connect(lambda: self.ticks.append(time.perf_counter()))
        self.timer.start(10)

    def longest_ms(self, start: float, end: float) -> float:
        return self.longest(start, end)[0]

    def longest(self, start: float, end: float) -> tuple[float, float]:
        """The longest gap in ms and when it began (perf_counter seconds)."""
        inside = [t for t in self.ticks if start <= t <= end]
        edges = [start, *inside, end]
        gap, at = max((b - a, a) for a, b in zip(edges, edges[1:]))
        return gap * 1000, at


def pump(app, until, timeout: float = 300.0, required: bool = True) -> bool:
    """Run the event loop until ``until()`` holds (checked every millisecond); False, or an exit when
    ``required``, after ``timeout`` seconds."""
    from PySide6.QtCore import QEventLoop, QTimer

    end = time.perf_counter() + timeout
    loop = QEventLoop()
    poll = QTimer()

    def check() -> None:
        if until() or time.perf_counter() > end:
            loop.quit()

    poll.timeout.connect(check)
    poll.start(1)
    if not until():
        loop.exec()
    poll.stop()
    if until():
        return True
    if required:
        raise SystemExit("timed out")
    return False


def measure_batch(window, app, meter: GapMeter, video: Path, pack: str) -> dict:
    """Batch → score a folder of two copies of ``video``: the longest gaps from Start to the first video done
    and to the end; then Cancel pressed at the start of a second batch (the model is loaded by then)."""
    from app.batch_dialog import BatchDialog

    folder = Path(tempfile.mkdtemp(prefix="vatp-gui-batch-"))
    for k in range(2):
        shutil.copy(video, folder / f"copy{k}{video.suffix}")
    dlg = BatchDialog(window, worker=window.service)
    dlg.show()
    rows: list[float] = []
    ended: list[tuple[str, float]] = []
    dlg.row_added.connect(lambda row: rows.append(time.perf_counter()))
    dlg.batch_ended.connect(lambda how: ended.append((how, time.perf_counter())))
    dlg.folder_edit.setText(str(folder))
    dlg.pack_combo.setEditText(pack)
    dlg.device_combo.setCurrentText("cpu")
    t_start = time.perf_counter()
    if not dlg.start():
        raise SystemExit(f"the batch did not start: {dlg.summary_label.text()}")
    pump(app, lambda: bool(ended))
    if ended[0][0] != "done" or not rows:
        raise SystemExit(f"the batch {ended[0][0]}: {dlg.summary_label.text()}")
    gap, at = meter.longest(t_start, rows[0])
    out = {
        "first_gap_ms": gap,
        "first_gap_at_s": at - t_start,
        "first_s": rows[0] - t_start,
        "all_gap_ms": meter.longest_ms(t_start, ended[0][1]),
        "all_s": ended[0][1] - t_start,
        "videos": len(rows),
    }
    ended.clear()
    dlg.out_edit.setText(str(folder / "again.csv"))
    dlg.start()
    pump(app, lambda: dlg.job is not None and dlg.job.status == "running")
    t_cancel = time.perf_counter()
    dlg.cancel()
    pump(app, lambda: bool(ended))
    out["cancel_ms"] = (ended[0][1] - t_cancel) * 1000
    out["cancel_status"] = ended[0][0]
    dlg.close()
    return out


def measure_worker(kind: str, video: Path, pack: str) -> dict:
    """One figure in a fresh interpreter (torch is imported once per process): run with --measure KIND."""
    from PySide6.QtWidgets import QApplication

    from app.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    meter = GapMeter()
    if kind in ("launch", "idle"):  # the first 10 s after the window is up; the device check imports torch at 1.5 s
        window = MainWindow(device_check=kind == "launch")
        said: list[str] = []
        window.statusBar().messageChanged.connect(lambda m: said.append(m) if m and m != "Ready" else None)
        window.show()
        app.processEvents()
        t0 = time.perf_counter()
        pump(app, lambda: time.perf_counter() - t0 >= 10.0)
        out = {"gap_ms": meter.longest_ms(t0, time.perf_counter()), "status": said[0] if said else ""}
        window.close()
        return out
    window = MainWindow(device_check=False)
    window.show()
    if not window.open_video(video):
        raise SystemExit(f"cannot open {video}")
    window.score_bar.add_pack_path(pack)
    window.score_bar.set_device("cpu")
    settle = time.perf_counter()
    pump(app, lambda: time.perf_counter() - settle >= 1.0)  # the first frame is up; the process has started
    if kind == "batch":
        out = measure_batch(window, app, meter, video, pack)
        window.close()
        return out
    stages: list[tuple[str, float]] = []
    window.service.progress.connect(lambda s, d, t: stages.append((s, time.perf_counter())))
    if kind == "score":  # first Score press to the result on screen
        shown: list[float] = []
        window.result_shown.connect(lambda r: shown.append(time.perf_counter()))
        t_press = time.perf_counter()
        job = window.start_scoring()
        pump(app, lambda: bool(shown) or job.status in ("failed", "cancelled"))
        if not shown:
            raise SystemExit(f"scoring {job.status}: {job.error}")
        window.close()
        gap, at = meter.longest(t_press, shown[0])
        during = next((s for s, t in reversed(stages) if t <= at), "before the first progress")
        if at >= shown[0] - 1e-3 or (stages and at > stages[-1][1] and job.status == "done"):
            during = "showing the result"
        return {"gap_ms": gap, "seconds": shown[0] - t_press, "during": during}
    out = {}
    for stage in ("load", "features", "model"):  # Cancel at the start of each stage of a fresh job
        stages.clear()
        ended: list[float] = []
        job = window.start_scoring()

        def on_end(j, job=job):
            if j is job:
                ended.append(time.perf_counter())

        window.service.job_ended.connect(on_end)
        if stage == "load":
            pump(app, lambda: job.status == "running")
        else:
            pump(app, lambda stage=stage: any(s == stage for s, _ in stages) or job.status != "running")
        t_cancel = time.perf_counter()
        window.cancel_scoring()
        pump(app, lambda: bool(ended))
        window.service.job_ended.disconnect(on_end)
        out[stage] = {"ms": (ended[0] - t_cancel) * 1000, "status": job.status}
    window.close()
    return out


def run_fresh(kind: str, mode: str, video: Path, pack: str) -> dict:
    env = dict(os.environ, VATP_WORKER=mode, VATP_HOME=tempfile.mkdtemp(prefix="vatp-gui-bench-"))
    cmd = [sys.executable, __file__, "--measure", kind, "--score-video", str(video), "--pack", pack]
    out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("{")), None)
    if line is None:
        raise SystemExit(f"--measure {kind} ({mode}) failed:\n{out.stderr[-2000:]}")
    return json.loads(line)


def report_worker(video: Path, pack: str, only: str | None = None) -> None:
    """The worker's figures for the thread and the process, each in fresh interpreters."""
    print(f"worker figures ({video.name}, pack {Path(pack).name}, CPU; {platform.node()}: {machine_words()})")
    idle = run_fresh("idle", "process", video, pack)
    print(f"  noise floor: longest event-loop gap {idle['gap_ms']:.0f} ms over 10 s of an idle window (no job at all)")
    for mode in ("thread", "process"):
        if only in (None, "batch"):
            b = run_fresh("batch", mode, video, pack)
            print(
                f"  {mode:<7}: batch of {b['videos']}: longest event-loop gap {b['first_gap_ms']:5.0f} ms from Start to "
                f"the first video done ({b['first_s']:.1f} s; it began {b['first_gap_at_s']:.2f} s after Start), {b['all_gap_ms']:5.0f} ms to the end ({b['all_s']:.1f} s) "
                f"— target ≤ 100 ms; Cancel at the start of a batch → control back {b['cancel_ms']:.1f} ms "
                f"({b['cancel_status']})"
            )
        if only == "batch":
            continue
        launch = run_fresh("launch", mode, video, pack)
        score = run_fresh("score", mode, video, pack)
        cancel = run_fresh("cancel", mode, video, pack)
        print(
            f"  {mode:<7}: longest event-loop gap {launch['gap_ms']:5.0f} ms over the first 10 s after launch "
            f"(device check: {launch['status'] or 'no answer within 10 s'}), {score['gap_ms']:5.0f} ms from the first Score press "
            f"to the result ({score['seconds']:.1f} s; longest during {score['during']}) — target ≤ 100 ms"
        )
        print(
            "           Cancel → control back: "
            + ", ".join(f"{stage} {c['ms']:.1f} ms ({c['status']})" for stage, c in cancel.items())
            + " — target ≤ 1000 ms"
        )


def machine_words() -> str:
    cores = os.cpu_count() or 0
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = float("nan")
    return f"{cores} CPU cores, load average {load:.1f}, no GPU used"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--score-video", type=Path, help="video to score (default: the demo video)")
    parser.add_argument("--pack", help="pack to score with (default: the demo pack)")
    parser.add_argument("--only", choices=("batch",), help="only the batch figures")
    parser.add_argument("--measure", choices=KINDS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    from vatp_core import paths

    video = args.score_video or paths.demo_video_path()
    pack = args.pack or str(paths.demo_pack_path())
    if args.measure:  # a child run of report_worker: one figure, as JSON
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        print(json.dumps(measure_worker(args.measure, video, pack)), flush=True)
        return
    report_worker(video, pack, args.only)


if __name__ == "__main__":
    main()
