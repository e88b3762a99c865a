"""Start-up costs: a cold `vatp score` of a 5-second 1080p clip against `import torch`, and the GUI launch.

    python benchmarks/startup.py                 # cold CLI scoring (target: wall - pipeline <= import torch + 1 s)
    python benchmarks/startup.py --gui           # also launch-to-window time (target < 2 s on a 2-core CPU)

CLI: fresh interpreters run `vatp score CLIP --no-cache --json` with the demo pack (tiny backbone) and
empty user folders; the pipeline's own time is the result's ``timings.total`` (index, features, model,
explain), so wall − pipeline is what starting, importing and loading cost. Runs alternate with
`python -c "import torch"` so load from other processes hits both alike; medians are printed.
GUI: `python -m app.main --exit-after-show`, offscreen (the same measurement benchmarks/gui.py starts with).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
ROOT = Path(__file__).resolve().parents[1]

from time_to_score import DEMO_PACK, cache_dir  # noqa: E402


def clip_5s(folder: Path) -> Path:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from tests.videogen import make_test_video

    path = folder / "clip_125f_1080p25.mp4"
    if not path.exists():
        tmp = path.with_suffix(".part.mp4")
        make_test_video(tmp, 125, size=(1920, 1080), fps=25, gop=50, bframes=2, noise=3.0)
        tmp.replace(path)
    return path


def _wall(cmd: list[str], env: dict[str, str]) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, env=env, check=True, capture_output=True, timeout=600)
    return time.perf_counter() - t


def measure_cli(runs: int, workdir: str | None) -> dict:
    clip = clip_5s(cache_dir(workdir))
    out = Path(tempfile.mkdtemp(prefix="vatp-startup-")) / "r.json"
    env = dict(os.environ, VATP_HOME=tempfile.mkdtemp(prefix="vatp-home-"), PYTHONPATH=str(ROOT))
    score = [sys.executable, "-m", "vatp_core.cli", "score", str(clip), "--pack", str(DEMO_PACK)]
    score += ["--no-cache", "--device", "cpu", "-q", "--json", str(out)]
    torch_only = [sys.executable, "-c", "import torch"]
    _wall(torch_only, env)  # warm the file cache
    walls, pipes, torch_s = [], [], []
    for _ in range(runs):
        torch_s.append(_wall(torch_only, env))
        walls.append(_wall(score, env))
        pipes.append(float(json.loads(out.read_text())["timings"]["total"]))
    overhead = [w - p for w, p in zip(walls, pipes)]
    return {
        "wall_s": statistics.median(walls),
        "pipeline_s": statistics.median(pipes),
        "overhead_s": statistics.median(overhead),
        "import_torch_s": statistics.median(torch_s),
        "margin_s": statistics.median(o - t for o, t in zip(overhead, torch_s)),
        "runs": runs,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--gui", action="store_true", help="also measure the GUI launch")
    p.add_argument("--workdir", default=None, help="cache folder for the clip (~/.cache/vatp-bench)")
    args = p.parse_args(argv)
    r = measure_cli(args.runs, args.workdir)
    print(
        f"cold `vatp score` of a 5 s 1080p clip (tiny): wall {r['wall_s']:.2f} s, pipeline {r['pipeline_s']:.2f} s, "
        f'wall - pipeline {r["overhead_s"]:.2f} s; `python -c "import torch"` {r["import_torch_s"]:.2f} s; '
        f"(wall - pipeline) - import torch = {r['margin_s']:+.2f} s (target <= +1.00 s); medians of {r['runs']} runs"
    )
    if args.gui:
        from gui import measure_launch

        env = dict(
            os.environ,
            QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"),
            VATP_HOME=tempfile.mkdtemp(prefix="vatp-bench-"),
        )
        inside, outside = measure_launch(args.runs, env)
        print(
            f"launch to window shown: median {statistics.median(inside):.3f} s, worst {max(inside):.3f} s "
            f"(in-app clock from the first line of app/main.py); median {statistics.median(outside):.3f} s wall "
            f"incl. interpreter start and exit; {args.runs} runs (target < 2 s)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
