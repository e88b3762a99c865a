"""Time to score: a 3-minute 1080p 25 fps H.264 routine (B-frames, GOP 250), uncached, with its breakdown.

Headless (no Qt). The video is generated once where the script runs (PyAV / x264) and cached by its
parameters, so it works on a bare GPU machine from a checkout. In one process it measures:
  - decode-only: the same frames, the same resize and the same decode threads / workers as the pipeline;
  - `Scorer.score` uncached, with its stages (index, decode, resize/normalise, backbone, model, explain)
    and CUDA initialisation timed separately before it;
  - their throughput ratio, and the feature difference of the chosen precision against fp32.

    python benchmarks/time_to_score.py                              # tiny backbone (demo pack), 180 s video
    python benchmarks/time_to_score.py --backbone swin3d_b --device cuda --precision bf16
    python benchmarks/time_to_score.py --seconds 30 --json out.json
    python benchmarks/time_to_score.py --seconds 60 --memory        # peak RSS, 1/3 of the length vs all of it
    python benchmarks/time_to_score.py --seconds 60 --scaling       # decode fps with N = 1..cores threads

Backbones other than tiny get a pack made here with random weights (speed does not depend on them).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEMO_PACK = ROOT / "resources" / "demo" / "demo_pack"
PROTOCOLS = {"swin3d_t": "vst-gdlt", "swin3d_s": "vst-gdlt", "swin3d_b": "vst-gdlt", "i3d": "i3d-mtl"}


def cache_dir(given: str | None) -> Path:
    base = Path(given or os.environ.get("VATP_BENCH_CACHE") or Path.home() / ".cache" / "vatp-bench")
    base.mkdir(parents=True, exist_ok=True)
    return base


def routine_video(folder: Path, seconds: float, gop: int, bframes: int) -> Path:
    """The 1080p test routine for these parameters, generated on first use."""
    from tests.videogen import make_test_video

    n = int(round(seconds * 25))
    path = folder / f"routine_{n}f_1080p25_gop{gop}_b{bframes}.mp4"
    if not path.exists():
        t = time.perf_counter()
        tmp = path.with_suffix(".part.mp4")
        make_test_video(tmp, n, size=(1920, 1080), fps=25, gop=gop, bframes=bframes, noise=3.0, crf=20)
        tmp.replace(path)
        print(f"generated {path.name} in {time.perf_counter() - t:.0f} s", flush=True)
    return path


def bench_pack(folder: Path, backbone: str) -> Path:
    """The demo pack for tiny; otherwise a pack with random model and backbone weights (made once)."""
    if backbone == "tiny":
        return DEMO_PACK
    path = folder / f"random_{backbone}_pack"
    if path.exists():
        return path
    import torch

    from vatp_core.features import load_backbone
    from vatp_core.model import VATPConfig, VATPNet
    from vatp_core.pack import PackManifest, save_pack
    from vatp_core.protocols import get_protocol

    b = load_backbone(backbone, random_init=True, device="cpu")
    torch.manual_seed(0)
    cfg = VATPConfig.preset("vatp", in_dim=b.feature_dim, use_text=False)
    manifest = PackManifest(
        name=f"bench-{backbone}",
        backbone=backbone,
        protocol=get_protocol(PROTOCOLS[backbone]).to_dict(),
        model_config=cfg.to_dict(),
        label="benchmark pack, random weights — not for judging",
        not_for_judging=True,
    )
    save_pack(path, manifest, VATPNet(cfg).eval(), backbone_state=b.state_dict())
    return path


def decode_only(video: Path, scorer) -> tuple[float, float, int, str]:
    """Wall and CPU seconds and frames to decode + resize every clip as the pipeline does (no model); the plan."""
    from vatp_core.features.pipeline import _leave_a_core_for_decoding
    from vatp_core.features.preprocess import PREPROCESS_GDLT, preprocessing_for
    from vatp_core.video import DecodeOptions, iter_clips, open_video

    prep = preprocessing_for(scorer.protocol.preprocess, scorer.backbone.spec)
    on_device = scorer.device.type == "cuda" and prep.version == PREPROCESS_GDLT
    with open_video(video, prefetch=False) as reader, _leave_a_core_for_decoding(scorer.device):
        ranges = scorer.protocol.clip_ranges(len(reader))
        t, cpu = time.perf_counter(), time.process_time()
        n = 0
        for _ in iter_clips(
            reader,
            scorer.protocol,
            resize=None if on_device else prep.reader_resize,
            frame_fn=None if on_device else prep.frame_fn,
            decode=DecodeOptions(),
        ):
            n += 1
        seconds, cpu = time.perf_counter() - t, time.process_time() - cpu
        plan = reader.last_plan.describe() if reader.last_plan else ""
    assert n == len(ranges)
    return seconds, cpu, ranges[-1][1] - ranges[0][0] + 1, plan


def precision_difference(video: Path, scorer, precision: str) -> dict | None:
    """Features of the first 20 s with ``precision`` against fp32: worst relative error and cosine."""
    import numpy as np

    from vatp_core.features import extract_features
    from vatp_core.features.batches import autocast_dtype

    if autocast_dtype(scorer.device, precision) is None:
        return None
    end = min(500, scorer.protocol.clip_len * 16)
    kw = dict(use_cache=False, start=0, end=end)
    a = extract_features(video, scorer.backbone, scorer.protocol, precision="fp32", **kw).features
    b = extract_features(video, scorer.backbone, scorer.protocol, precision=precision, **kw).features
    cos = (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1) + 1e-12)
    rel = np.linalg.norm(a - b, axis=1) / (np.linalg.norm(a, axis=1) + 1e-12)
    return {"clips": int(len(a)), "min_cosine": float(cos.min()), "max_relative_l2": float(rel.max())}


def run(args) -> dict:
    t_import = time.perf_counter()
    import torch

    from vatp_core.devices import device_label, resolve_device
    from vatp_core.pipeline import Scorer

    import_s = time.perf_counter() - t_import
    folder = cache_dir(args.workdir)
    video = routine_video(folder, args.seconds, args.gop, args.bframes)
    pack = bench_pack(folder, args.backbone)
    dev = resolve_device(args.device)
    cuda_init = 0.0
    if dev.type == "cuda":
        t = time.perf_counter()
        torch.cuda.init()
        torch.zeros(1, device=dev).add_(1).item()
        cuda_init = time.perf_counter() - t
    t = time.perf_counter()
    scorer = Scorer(pack, str(dev), precision=args.precision)
    load_s = time.perf_counter() - t
    video.read_bytes()  # the file in the OS cache for both measurements

    dec_s, dec_cpu, frames, plan = decode_only(video, scorer)
    t, cpu = time.perf_counter(), time.process_time()
    result = scorer.score(video, use_cache=False)
    if dev.type == "cuda":
        torch.cuda.synchronize()
    full_s, full_cpu = time.perf_counter() - t, time.process_time() - cpu
    tm = result.timings
    out = {
        "machine": f"{os.cpu_count()} CPU cores, {device_label(dev)}",
        "video": {"path": video.name, "frames": frames, "seconds": args.seconds, "gop": args.gop},
        "backbone": scorer.backbone.name,
        "protocol": scorer.protocol.name,
        "precision": args.precision,
        "decode_plan": plan,
        "torch_threads": torch.get_num_threads(),
        "import_torch_s": import_s,
        "cuda_init_s": cuda_init,
        "scorer_load_s": load_s,
        "decode_only_s": dec_s,
        "score_s": full_s,
        "decode_only_fps": frames / dec_s,
        "score_fps": frames / full_s,
        "ratio": dec_s / full_s,
        "decode_only_cpu_s": dec_cpu,
        "score_cpu_s": full_cpu,
        "cpu_ratio": dec_cpu / full_cpu,
        "load_average": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
        "stages": {
            "index": tm.get("index", 0.0),
            "features (wall)": tm.get("features", 0.0),
            "  decode (decoder s)": tm.get("features.decode", 0.0),
            "  resize (CPU s)": tm.get("features.resize", 0.0),
            "  upload": tm.get("features.upload", 0.0),
            "  normalise/resize on device": tm.get("features.normalise", 0.0),
            "  backbone": tm.get("features.backbone", 0.0),
            "  waiting for decode": tm.get("features.wait_for_decode", 0.0),
            "model": tm.get("model", 0.0),
            "explain": tm.get("explain", 0.0),
        },
    }
    out["precision_vs_fp32"] = precision_difference(video, scorer, args.precision)
    return out


def peak_rss(video_seconds: float, args) -> float:
    cmd = [sys.executable, __file__, "--_child", str(video_seconds), "--backbone", args.backbone]
    cmd += ["--device", args.device, "--gop", str(args.gop), "--bframes", str(args.bframes)]
    if args.workdir:
        cmd += ["--workdir", args.workdir]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def _child(args) -> None:
    """Score one video uncached and print this process's peak resident memory (MB)."""
    from vatp_core.pipeline import Scorer

    folder = cache_dir(args.workdir)
    video = routine_video(folder, args._child, args.gop, args.bframes)
    Scorer(bench_pack(folder, args.backbone), args.device).score(video, use_cache=False)
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            print(float(line.split()[1]) / 1024)


def print_scaling(args) -> int:
    """Decode + model-input resize of the routine with N threads in all, as benchmarks/video.py measures it."""
    from benchmarks.video import MODEL_INPUT, decode_scaling

    video = routine_video(cache_dir(args.workdir), args.seconds, args.gop, args.bframes)
    scaling = decode_scaling(video, MODEL_INPUT)
    print(f"{video.name}, {os.cpu_count()} CPU cores: decode + resize with N threads in all (fps, and ÷ N = 1):")
    for key, label in (("frame_threads", "one decoder, N frame threads"), ("range_workers", "N range decoders")):
        row = scaling[key]
        cells = "  ".join(f"N={n + 1}: {v:6.1f} ({v / row[0]:.2f}x)" for n, v in enumerate(row))
        print(f"  {label:<30} {cells}")
    if args.json:
        args.json.write_text(json.dumps(scaling, indent=2))
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--backbone", default="tiny", help="tiny (the demo pack) or swin3d_t/s/b, i3d (random pack)")
    p.add_argument("--device", default="auto", choices=("auto", "cuda", "cpu"))
    p.add_argument("--precision", default="auto", choices=("auto", "fp32", "bf16", "fp16"))
    p.add_argument("--seconds", type=float, default=180.0, help="length of the routine (default 180)")
    p.add_argument("--gop", type=int, default=250)
    p.add_argument("--bframes", type=int, default=2)
    p.add_argument("--workdir", default=None, help="cache folder for videos and packs (~/.cache/vatp-bench)")
    p.add_argument("--memory", action="store_true", help="also compare peak RSS at 1/3 and the full length")
    p.add_argument("--scaling", action="store_true", help="only decode fps with N = 1..cores threads / range decoders")
    p.add_argument("--json", type=Path, default=None, help="also write the figures here")
    p.add_argument("--_child", type=float, default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args._child is not None:
        _child(args)
        return 0
    if args.scaling:
        return print_scaling(args)
    r = run(args)
    print(f"machine: {r['machine']}; torch threads {r['torch_threads']}; decoding: {r['decode_plan']}")
    print(f"video: {r['video']['frames']} frames 1920x1080 H.264 25 fps, GOP {args.gop}, {args.bframes} B-frames")
    print(f"backbone {r['backbone']} ({r['protocol']}), precision {r['precision']}")
    print(
        f"import torch {r['import_torch_s']:.2f} s   CUDA init {r['cuda_init_s']:.2f} s   Scorer load {r['scorer_load_s']:.2f} s"
    )
    print(f"decode-only  {r['decode_only_s']:7.2f} s  {r['decode_only_fps']:7.1f} frames/s")
    print(f"Scorer.score {r['score_s']:7.2f} s  {r['score_fps']:7.1f} frames/s   (uncached)")
    print(f"full / decode-only throughput: {r['ratio']:.3f} (target >= 0.9 on the CPU with tiny)")
    print(
        f"by CPU time (all threads; what other processes' load barely changes): decode-only "
        f"{r['decode_only_cpu_s']:.1f} s, Scorer.score {r['score_cpu_s']:.1f} s, ratio {r['cpu_ratio']:.3f}"
        + (f"; load average {r['load_average']:.1f}" if r["load_average"] is not None else "")
    )
    for name, v in r["stages"].items():
        print(f"  {name:<30} {v:7.3f} s")
    d = r["precision_vs_fp32"]
    if d:
        print(
            f"{args.precision} vs fp32 on {d['clips']} clips: min cosine {d['min_cosine']:.5f}, "
            f"max relative L2 {d['max_relative_l2']:.4f}"
        )
    else:
        print("precision: fp32 (no autocast on this device), no difference to report")
    if args.memory:
        short = peak_rss(args.seconds / 3, args)
        full = peak_rss(args.seconds, args)
        r["peak_rss_mb"] = {"short": short, "full": full, "ratio": full / short}
        print(
            f"peak RSS: {args.seconds / 3:.0f} s video {short:.0f} MB, {args.seconds:.0f} s video {full:.0f} MB "
            f"(ratio {full / short:.3f}; target within 10 %)"
        )
    if args.json:
        args.json.write_text(json.dumps(r, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
