"""GUI speed: launch-to-window time, and key-press-to-frame-painted latency on a 1080p H.264 file.

Targets: window shown < 2 s after launch; frame step < 30 ms median; on a 1080p H.264 file with GOP 250, a
random frame inside a cached sub-action < 30 ms median seek-to-paint, a step in the dual player < 30 ms
median for both views together.

    python benchmarks/gui.py [--frames 250] [--gop 50] [--presses 60] [--launches 5]
    python benchmarks/gui.py --review-only          # only the scrub-cache and dual-player figures

Launch: `vatp-studio --exit-after-show` in a fresh interpreter (time from process start to the window shown,
as the app measures it, plus the wall time seen from outside). Latency: in one process, a key event is sent
to the main window and the clock stops when the player's view has painted the new frame. Measured for →
(next frame), ← (previous frame: a seek back to the keyframe and a decode forward unless cached), and
PgDn (a +10 % jump), on a generated 1920×1080 H.264 file (tests/videogen.py) with B-frames.

Then the worker figures of benchmarks/gui_worker.py (also alone with --only-worker, or that script itself):
event-loop gaps after launch, while scoring and while a batch runs, and Cancel latencies, for the thread and
the process worker.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.gui_worker import pump, report_worker  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, int(round(q / 100 * (len(ordered) - 1)))))
    return ordered[k]


def measure_launch(runs: int, env: dict[str, str]) -> tuple[list[float], list[float]]:
    inside, outside = [], []
    cmd = [sys.executable, "-m", "app.main", "--exit-after-show"]
    subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, timeout=120)  # warm the file cache
    for _ in range(runs):
        t0 = time.perf_counter()
        out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        t1 = time.perf_counter()
        line = next((ln for ln in out.stdout.splitlines() if ln.startswith("window shown after")), None)
        if line is None:
            raise SystemExit(f"the app did not report showing its window:\n{out.stderr[-2000:]}")
        inside.append(float(line.split()[3]))
        outside.append(t1 - t0)
    return inside, outside


def measure_latency(video: Path, presses: int) -> dict[str, list[float]]:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from app.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    window = MainWindow(device_check=False)
    window.resize(1600, 1000)
    window.show()
    window.activateWindow()
    if not window.open_video(video):
        raise SystemExit(f"cannot open {video}")
    player = window.player
    painted: dict[int, float] = {}

    def on_painted(index: int, when: float) -> None:
        painted.setdefault(index, when)

    player.view.painted.connect(on_painted)

    def wait_for(index: int, timeout: float = 10.0) -> None:
        end = time.perf_counter() + timeout
        while index not in painted:
            app.processEvents()
            if time.perf_counter() > end:
                raise SystemExit(f"frame {index} was never painted")

    wait_for(0)
    results: dict[str, list[float]] = {"next frame (→)": [], "previous frame (←)": [], "+10 % jump (PgDn)": []}

    def press(key, label: str) -> None:
        painted.clear()
        t0 = time.perf_counter()
        QTest.keyClick(window, key)
        target = player.target
        wait_for(target)
        results[label].append((painted[target] - t0) * 1000)

    n = player.n_frames
    for _ in range(presses):  # forward steps through fresh (uncached) frames
        if player.target >= n - 2:
            break
        press(Qt.Key.Key_Right, "next frame (→)")
    player.seek(n - 1)
    wait_for(n - 1)
    for _ in range(presses):  # backward steps (the decoder's frame cache helps only after the first)
        if player.target <= 1:
            break
        press(Qt.Key.Key_Left, "previous frame (←)")
    player.seek(0)
    wait_for(0)
    for _ in range(9):
        press(Qt.Key.Key_PageDown, "+10 % jump (PgDn)")

    # Playback at 1×: how many distinct frames reach the screen, and how far behind the clock they are.
    player.seek(0)
    wait_for(0)
    shown: list[tuple[int, float]] = []
    player.view.painted.connect(lambda index, when: shown.append((index, when)))
    seconds = min(4.0, (n - 1) / player.fps)
    t0 = time.perf_counter()
    player.play()
    while time.perf_counter() - t0 < seconds:
        app.processEvents()
    player.pause()
    distinct = sorted({i for i, _ in shown})
    lags = [(when - t0) - player.timestamp(i) for i, when in shown]
    results["playback"] = [
        len(distinct) / seconds,
        player.fps,
        statistics.median(lags) * 1000 if lags else 0.0,
        seconds,
    ]
    window.close()
    return results


def _review_result(video: Path, n_frames: int, bounds: list[tuple[int, int]]):
    """A hand-made ScoreResult with these sub-actions (the figures need boundaries, not a model)."""
    from vatp_core.result import ScoreResult, Segment

    names = ["Approach", "Take-off", "Flight", "Entry"]
    segs = [Segment(k, names[k], a, b, a / 25, (b + 1) / 25, 0.8, 0.0) for k, (a, b) in enumerate(bounds)]
    return ScoreResult(
        video={
            "path": str(video),
            "name": video.name,
            "n_frames": n_frames,
            "fps": 25.0,
            "width": 1920,
            "height": 1080,
        },
        pack={"name": "benchmark"},
        mean=0.0,
        std=0.0,
        subaction_names=names[: len(bounds)],
        segments=segs,
    )


def measure_review(video: Path, n_frames: int, samples: int) -> dict[str, float]:
    """Random frames inside a sub-action without and with the scrub cache; steps in the dual player."""
    import random

    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from app.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    window = MainWindow(device_check=False)
    window.resize(1600, 1000)
    window.show()
    if not window.open_video(video):
        raise SystemExit(f"cannot open {video}")
    q = n_frames // 4
    bounds = [(k * q, k * q + q - 1) for k in range(4)]
    player = window.player
    painted: dict[int, float] = {}
    player.view.painted.connect(lambda i, when: painted.setdefault(i, when))

    def wait_for(index: int, view_painted: dict, timeout: float = 30.0) -> None:
        end = time.perf_counter() + timeout
        while index not in view_painted:
            app.processEvents()
            if time.perf_counter() > end:
                raise SystemExit(f"frame {index} was never painted")

    def seek_ms(frame: int) -> float:
        painted.clear()
        t0 = time.perf_counter()
        player.seek(frame)
        wait_for(frame, painted)
        return (painted[frame] - t0) * 1000

    wait_for(0, painted)
    seg = bounds[2]  # a sub-action in the middle of the GOP-250 file: random frames need a long decode
    rng = random.Random(0)
    frames = [rng.randint(seg[0], seg[1]) for _ in range(samples)]
    out: dict[str, float] = {}
    uncached = []
    for f in frames[: max(5, samples // 4)]:  # no result yet: no scrub cache, and the reader's cache emptied
        player.loader.reader.cache.clear()
        player.loader._decoder._cache.clear()
        uncached.append(seek_ms(f))
    out["random_uncached_ms"] = statistics.median(uncached)
    window.show_result(_review_result(video, n_frames, bounds))
    t0 = time.perf_counter()
    seek_ms(seg[0])
    pump(app, lambda: player.scrub.complete and player.scrub.range == seg, timeout=float("inf"))
    out["fill_s"] = time.perf_counter() - t0
    out["fill_frames"] = len(player.scrub)
    out["cache_mb"] = player.scrub.nbytes / 2**20
    out["view_size"] = player.scrub.size
    cached = [seek_ms(f) for f in frames]
    out["random_cached_ms"] = statistics.median(cached)
    out["random_cached_p95_ms"] = percentile(cached, 95)

    # dual player: the same file twice (B shifted by its own boundaries), sub-action sync, → steps
    other = _review_result(video, n_frames, [(a + 5, b + 5) for a, b in bounds])
    window.open_side_by_side(window.result, other)
    dual = window.review.dual
    shown: dict[str, dict[int, float]] = {"a": {}, "b": {}}
    dual.a.player.view.painted.connect(lambda i, when: shown["a"].setdefault(i, when))
    dual.b.player.view.painted.connect(lambda i, when: shown["b"].setdefault(i, when))
    dual.seek(seg[0])
    wait_for(seg[0], shown["a"])
    pump(app, lambda: dual.a.player.scrub.complete and dual.b.player.scrub.complete, timeout=120, required=False)
    steps = []
    for _ in range(min(samples, seg[1] - seg[0] - 10)):
        shown["a"].clear()
        shown["b"].clear()
        t0 = time.perf_counter()
        QTest.keyClick(window, Qt.Key.Key_Right)
        fa, fb = dual.a.player.target, dual.b.player.target
        wait_for(fa, shown["a"])
        wait_for(fb, shown["b"])
        steps.append((max(shown["a"][fa], shown["b"][fb]) - t0) * 1000)
    out["dual_step_ms"] = statistics.median(steps)
    out["dual_step_p95_ms"] = percentile(steps, 95)
    out["dual_cache_mb"] = (dual.a.player.scrub.nbytes + dual.b.player.scrub.nbytes) / 2**20
    out["budget_mb"] = window.settings.frame_cache_mb
    window.close()
    return out


def print_review(r: dict, video: Path) -> None:
    w, h = r["view_size"]
    print(
        f"random frame inside a sub-action of {video.name} (seek → painted): without the scrub cache median "
        f"{r['random_uncached_ms']:.0f} ms; cached median {r['random_cached_ms']:.1f} ms, p95 "
        f"{r['random_cached_p95_ms']:.1f} ms (target ≤ 30 ms: {'meets' if r['random_cached_ms'] <= 30 else 'misses'})"
    )
    print(
        f"scrub cache: {r['fill_frames']} frames at {w}×{h} filled in {r['fill_s']:.1f} s in the background, "
        f"{r['cache_mb']:.0f} MB held (frame budget {r['budget_mb']} MB)"
    )
    print(
        f"dual player step (→, both views painted): median {r['dual_step_ms']:.1f} ms, p95 {r['dual_step_p95_ms']:.1f} ms "
        f"(target ≤ 30 ms: {'meets' if r['dual_step_ms'] <= 30 else 'misses'}); the two caches hold "
        f"{r['dual_cache_mb']:.0f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=250)
    parser.add_argument("--gop", type=int, default=50)
    parser.add_argument("--presses", type=int, default=60)
    parser.add_argument("--launches", type=int, default=5)
    parser.add_argument("--video", type=Path, help="use this video instead of generating a 1080p H.264 one")
    parser.add_argument("--score-video", type=Path, help="video scored for the responsiveness figure (default: demo)")
    parser.add_argument("--pack", help="pack for the responsiveness figure (default: the demo pack)")
    parser.add_argument("--only-worker", action="store_true", help="only the worker figures (gaps, Cancel)")
    parser.add_argument("--review-frames", type=int, default=400, help="frames of the GOP-250 file (review figures)")
    parser.add_argument("--samples", type=int, default=40, help="random frames / dual steps measured")
    parser.add_argument("--review-only", action="store_true", help="only the scrub-cache and dual-player figures")
    args = parser.parse_args()
    from vatp_core import paths

    score_video = args.score_video or paths.demo_video_path()
    pack = args.pack or str(paths.demo_pack_path())
    if args.only_worker:
        report_worker(score_video, pack)
        return

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    home = tempfile.mkdtemp(prefix="vatp-gui-bench-")
    os.environ["VATP_HOME"] = home
    env = dict(os.environ)

    from tests.videogen import make_test_video

    long_gop = Path(home) / "bench_1080p_gop250.mp4"
    t0 = time.perf_counter()
    make_test_video(long_gop, args.review_frames, size=(1920, 1080), gop=250, bframes=2, preset="ultrafast", noise=4)
    print(
        f"generated {long_gop.name}: {args.review_frames} frames 1920×1080 H.264, GOP 250, B-frames 2, grain "
        f"({time.perf_counter() - t0:.1f} s)"
    )
    print_review(measure_review(long_gop, args.review_frames, args.samples), long_gop)
    if args.review_only:
        return

    inside, outside = measure_launch(args.launches, env)
    print(
        f"launch to window shown: median {statistics.median(inside):.3f} s (in-app clock), "
        f"{statistics.median(outside):.3f} s wall incl. interpreter exit, worst {max(inside):.3f} s, "
        f"{args.launches} runs (target < 2 s)"
    )

    video = args.video
    if video is None:
        from tests.videogen import make_test_video

        video = Path(home) / "bench_1080p.mp4"
        t0 = time.perf_counter()
        make_test_video(video, args.frames, size=(1920, 1080), gop=args.gop, bframes=2, preset="ultrafast")
        print(
            f"generated {video.name}: {args.frames} frames 1920×1080 H.264, GOP {args.gop}, B-frames 2 "
            f"({time.perf_counter() - t0:.1f} s)"
        )
    results = measure_latency(video, args.presses)
    fps_painted, fps, lag_ms, seconds = results.pop("playback")
    for label, values in results.items():
        if values:
            print(
                f"key press → frame painted, {label:<20}: median {statistics.median(values):6.1f} ms, "
                f"p95 {percentile(values, 95):6.1f} ms, n={len(values)}"
            )
    print(
        f"playback 1× for {seconds:.1f} s: {fps_painted:.1f} distinct frames painted per second of {fps:g} "
        f"(the rest dropped), median lag behind the clock {lag_ms:.0f} ms"
    )
    step = results["next frame (→)"]
    verdict = "meets" if step and statistics.median(step) < 30 else "misses"
    print(f"frame step target < 30 ms median: {verdict}")

    report_worker(score_video, pack)


if __name__ == "__main__":
    main()
