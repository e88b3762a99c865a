"""Video I/O benchmark: decode throughput, model-input throughput, player latencies, memory vs video length.

Generates its own 1080p H.264 file (frames carry their index, so every timed read is also checked), then prints:
  - sequential decode fps (bare decode, no conversion) and decode → full-size RGB fps
  - decode + resize-to-model-input fps (short side 256, centre crop 224), and as clips (vst-gdlt)
  - decode + resize throughput with N = 1..cores threads (frame threads, or range decoders) ÷ one
  - median / p95 latency of random frame(i), of stepping +1 and of stepping −1
  - peak RSS of streaming all clips of a 1-minute and a 10-minute video, each in its own process

    python benchmarks/video.py                      # full run
    python benchmarks/video.py --seconds 10 --no-memory
    python benchmarks/video.py --json results.json
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.videogen import decode_index, make_test_video  # noqa: E402
from vatp_core.protocols import get_protocol  # noqa: E402
from vatp_core.video import Resize, iter_clips, open_video  # noqa: E402

MODEL_INPUT = Resize(short_side=256, crop=224)


def _stats(ms: list[float]) -> dict:
    a = np.asarray(ms)
    return {"median_ms": float(np.median(a)), "p95_ms": float(np.percentile(a, 95)), "n": len(ms)}


def bare_decode_fps(path: Path) -> tuple[float, float]:
    """Decode every frame with FFmpeg's threaded decoder and do nothing with it (the ceiling).

    Returns (frames per second, CPU milliseconds per frame over all threads).
    """
    import av

    with av.open(str(path)) as c:
        s = c.streams.video[0]
        s.thread_type = "AUTO"
        t, cpu = time.perf_counter(), time.process_time()
        n = sum(1 for _ in c.decode(s))
        return n / (time.perf_counter() - t), (time.process_time() - cpu) * 1000 / n


def stream_fps(path: Path, resize: Resize | None, check: bool = True) -> tuple[float, float]:
    """(fps, CPU ms per frame) of reader.stream() with or without a resize to the model input."""
    with open_video(path) as r:
        t, cpu = time.perf_counter(), time.process_time()
        n = 0
        for i, f in r.stream(resize=resize):  # noqa: B007 (the last frame is checked below)
            n += 1
        dt, dcpu = time.perf_counter() - t, time.process_time() - cpu
        if check and resize is None:
            assert decode_index(f) == i
        assert n == len(r), f"streamed {n} of {len(r)} frames"
        return n / dt, dcpu * 1000 / n


def decode_scaling(path: Path, resize: Resize | None) -> dict[str, list[float]]:
    """Model-input decode fps with N = 1..cores threads in all: as FFmpeg frame threads of one decoder,
    and as N decoders on keyframe-aligned ranges (one thread each)."""
    from vatp_core.video import DecodeOptions
    from vatp_core.video.decoding import available_cpus

    out: dict[str, list[float]] = {"frame_threads": [], "range_workers": []}
    with open_video(path, prefetch=False) as r:
        for n in range(1, available_cpus() + 1):
            for key, opts in (
                ("frame_threads", DecodeOptions(threads=n, workers=1)),
                ("range_workers", DecodeOptions(threads=n, workers=n)),
            ):
                t = time.perf_counter()
                count = sum(1 for _ in r.stream(resize=resize, decode=opts))
                out[key].append(count / (time.perf_counter() - t))
    return out


def clips_fps(path: Path) -> float:
    proto = get_protocol("vst-gdlt")
    with open_video(path) as r:
        t = time.perf_counter()
        n = sum(c.shape[0] for _, c in iter_clips(r, proto, MODEL_INPUT))
        return n / (time.perf_counter() - t)


def random_access(path: Path, n: int, seed: int = 0) -> dict:
    rng = random.Random(seed)
    ms = []
    with open_video(path, frame_cache_mb=64) as r:
        for _ in range(n):
            i = rng.randrange(len(r))
            t = time.perf_counter()
            f = r.frame(i)
            ms.append((time.perf_counter() - t) * 1000)
            assert decode_index(f) == i
    return _stats(ms)


def stepping(
    path: Path, steps: int, direction: int, seed: int = 1, preview: int | None = None, interval_ms: float = 0.0
) -> dict:
    """Latency of frame(i ± 1) (or preview(i ± 1)) after a random jump, like a coach scrubbing then stepping.

    ``interval_ms`` = 0: steps back to back (worst case); 40: a held arrow key (25 steps/s), which leaves the
    reader's background decoder time to have the next frame ready.
    """
    rng = random.Random(seed)
    ms = []
    with open_video(path) as r:
        get = r.frame if preview is None else (lambda k: r.preview(k, preview))
        n = len(r)
        runs = max(1, steps // 50)
        for _ in range(runs):
            lo, hi = (0, n - 51) if direction > 0 else (50, n - 1)
            i = rng.randint(lo, hi)
            get(i)  # the jump itself is not a step
            for _ in range(min(50, steps)):
                i += direction
                t = time.perf_counter()
                f = get(i)
                ms.append((time.perf_counter() - t) * 1000)
                assert decode_index(f) == i
                if interval_ms:
                    time.sleep(max(0.0, interval_ms / 1000 - (time.perf_counter() - t)))
    return _stats(ms)


def peak_rss_mb(path: Path) -> float:
    """Stream every model clip of ``path`` in a fresh process and return its peak RSS."""
    out = subprocess.run(
        [sys.executable, __file__, "--_rss-child", str(path)], capture_output=True, text=True, check=True
    )
    return float(out.stdout.strip().splitlines()[-1])


def _rss_child(path: str) -> None:
    proto = get_protocol("vst-gdlt")
    with open_video(path) as r:
        n = 0
        for _, _clip in iter_clips(r, proto, MODEL_INPUT):
            n += 1
        # the player side too: a few random frames and steps through the small cache
        for i in (len(r) // 3, len(r) // 2, len(r) - 2):
            r.frame(i)
            r.frame(i + 1)
            r.frame(i - 1)
    print(n, file=sys.stderr)
    print(_peak_rss_mb())


def _peak_rss_mb() -> float:
    """This process's peak resident memory in MB.

    VmHWM belongs to the process image, whereas Linux carries ru_maxrss across exec (a child started from a
    big parent would report the parent's size), so prefer VmHWM where /proc exists.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return float(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=20, help="length of the 1080p test file (default 20 s)")
    ap.add_argument("--gop", type=int, default=50, help="keyframe interval of the 1080p file (default 50)")
    ap.add_argument("--bframes", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=5, help="paired throughput rounds (median ratio)")
    ap.add_argument("--random", type=int, default=40, help="random frame(i) calls")
    ap.add_argument("--steps", type=int, default=150, help="±1 steps timed in each direction")
    ap.add_argument("--no-memory", action="store_true", help="skip the 1-min vs 10-min memory test")
    ap.add_argument("--memory-size", default="640x360", help="frame size of the memory-test videos")
    ap.add_argument("--workdir", help="keep the generated files here (default: a temporary folder)")
    ap.add_argument("--json", help="also write the figures to this JSON file")
    ap.add_argument("--_rss-child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)
    if args._rss_child:
        _rss_child(args._rss_child)
        return 0

    work = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="vatp_video_bench_"))
    work.mkdir(parents=True, exist_ok=True)
    res: dict = {"machine": f"{os.cpu_count()} CPU cores", "file": {}}
    n = int(round(args.seconds * 25))
    hd = work / f"hd_{n}_gop{args.gop}.mp4"
    if not hd.exists():
        t = time.perf_counter()
        make_test_video(
            hd, n, size=(1920, 1080), gop=args.gop, bframes=args.bframes, preset="veryfast", crf=20, noise=3
        )
        print(f"generated {hd.name}: {n} frames 1920x1080 H.264 GOP {args.gop} in {time.perf_counter() - t:.1f} s")
    mbps = hd.stat().st_size * 8 / (n / 25) / 1e6
    res["file"] = {
        "frames": n,
        "size": "1920x1080",
        "codec": "h264",
        "gop": args.gop,
        "bframes": args.bframes,
        "mbps": round(mbps, 1),
    }
    print(
        f"file: {n} frames 1920x1080 H.264 (x264 veryfast, GOP {args.gop}, {args.bframes} B-frames), {mbps:.1f} Mbit/s"
    )

    # throughput on a shared machine: run bare decode and decode+resize back to back in each round, take the
    # median of the per-round ratios (a burst of load from other processes hits both halves of a pair alike),
    # and also report CPU time per frame, which other processes barely disturb
    runs: dict[str, list[tuple[float, float]]] = {"bare": [], "resize": [], "rgb": []}
    for _ in range(args.rounds):
        runs["bare"].append(bare_decode_fps(hd))
        runs["resize"].append(stream_fps(hd, MODEL_INPUT))
    for _ in range(max(1, args.rounds // 2)):
        runs["rgb"].append(stream_fps(hd, None))
    clip_rate = clips_fps(hd)
    ratios = [r[0] / b[0] for b, r in zip(runs["bare"], runs["resize"])]
    cpu = {k: float(np.median([c for _, c in v])) for k, v in runs.items()}
    res["bare_decode_fps"] = max(f for f, _ in runs["bare"])
    res["decode_rgb_fps"] = max(f for f, _ in runs["rgb"])
    res["decode_resize_fps"] = max(f for f, _ in runs["resize"])
    res["clips_fps"] = clip_rate
    res["resize_ratio"] = float(np.median(ratios))
    res["resize_ratio_rounds"] = ratios
    res["cpu_ms_per_frame"] = cpu
    res["resize_ratio_cpu"] = cpu["bare"] / cpu["resize"]
    print(f"sequential decode (bare)        {res['bare_decode_fps']:7.1f} fps   {cpu['bare']:5.2f} CPU ms/frame")
    print(f"decode + RGB 1920x1080          {res['decode_rgb_fps']:7.1f} fps   {cpu['rgb']:5.2f} CPU ms/frame")
    print(f"decode + resize 256/crop 224    {res['decode_resize_fps']:7.1f} fps   {cpu['resize']:5.2f} CPU ms/frame")
    print(
        f"  decode+resize / bare decode: {res['resize_ratio']:.2f} (median of {len(ratios)} paired rounds: "
        f"{', '.join(f'{x:.2f}' for x in ratios)}); by CPU time {res['resize_ratio_cpu']:.2f}; target ≥ 0.80"
    )
    print(f"vst-gdlt clips (32×224×224)     {res['clips_fps']:7.1f} frames/s")
    scaling = decode_scaling(hd, MODEL_INPUT)
    res["decode_scaling"] = scaling
    print("decode + resize with N threads in all (fps, and ÷ N = 1):")
    for key, label in (("frame_threads", "one decoder, N frame threads"), ("range_workers", "N range decoders")):
        row = scaling[key]
        cells = "  ".join(f"N={n + 1}: {v:6.1f} ({v / row[0]:.2f}x)" for n, v in enumerate(row))
        print(f"  {label:<30} {cells}")

    res["random_frame"] = random_access(hd, args.random)
    res["step_forward"] = stepping(hd, args.steps, +1)
    res["step_backward"] = stepping(hd, args.steps, -1)
    res["step_forward_key_repeat"] = stepping(hd, args.steps, +1, seed=4, interval_ms=40)
    res["step_backward_key_repeat"] = stepping(hd, args.steps, -1, seed=5, interval_ms=40)
    res["preview_step_forward"] = stepping(hd, args.steps, +1, seed=2, preview=960)
    res["preview_step_backward"] = stepping(hd, args.steps, -1, seed=3, preview=960)
    for key, label, target in (
        ("random_frame", "random frame(i)", None),
        ("step_forward", "step +1 back-to-back", 10),
        ("step_backward", "step −1 back-to-back", 30),
        ("step_forward_key_repeat", "step +1 at 25/s", 10),
        ("step_backward_key_repeat", "step −1 at 25/s", 30),
        ("preview_step_forward", "preview(960) +1", None),
        ("preview_step_backward", "preview(960) −1", None),
    ):
        s = res[key]
        goal = f"  (target median < {target} ms)" if target else ""
        print(f"{label:<22} median {s['median_ms']:7.2f} ms   p95 {s['p95_ms']:7.2f} ms   n={s['n']}{goal}")

    if not args.no_memory:
        w, h = (int(v) for v in args.memory_size.split("x"))
        rss = {}
        for minutes in (1, 10):
            path = work / f"len_{minutes}min_{w}x{h}.mp4"
            if not path.exists():
                t = time.perf_counter()
                make_test_video(path, minutes * 60 * 25, size=(w, h), gop=50, bframes=2, preset="ultrafast")
                print(f"generated {path.name} in {time.perf_counter() - t:.1f} s")
            rss[minutes] = peak_rss_mb(path)
            t = time.perf_counter()
            with open_video(path) as r:
                res[f"open_{minutes}min_s"] = time.perf_counter() - t
                assert len(r) == minutes * 60 * 25
        res["peak_rss_mb"] = {"1min": rss[1], "10min": rss[10], "size": f"{w}x{h}", "ratio": rss[10] / rss[1]}
        print(
            f"peak RSS streaming all clips: 1 min {rss[1]:.1f} MB, 10 min {rss[10]:.1f} MB "
            f"(ratio {rss[10] / rss[1]:.3f}; target within 10 %) at {w}x{h}"
        )
        print(
            f"open + index (demux only): 1 min {res['open_1min_s'] * 1000:.0f} ms, "
            f"10 min {res['open_10min_s'] * 1000:.0f} ms"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
