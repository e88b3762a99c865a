"""Feature extraction benchmark: decode-only vs full extraction on the same 1080p H.264 file, in one process.

Target (CUDA, Swin-B): full extraction >= 0.85 x decode-only throughput (the model hidden behind
decoding). Both numbers count the frames the protocol's clips cover; "decode-only" decodes and resizes
them exactly as the pipeline does (same reader, same resize, clips assembled), without the backbone.

    python benchmarks/features.py                                   # CPU: tiny and swin3d_t, 4 s video
    python benchmarks/features.py --backbone swin3d_b --seconds 20 --device cuda
    python benchmarks/features.py --backbone tiny --video my.mp4 --json out.json
    python benchmarks/features.py --preprocess-only                 # vst-gdlt preprocessing, before vs after

Random backbone weights are used unless --installed (speed does not depend on the values).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_PROTOCOL = {
    "swin3d_t": "vst-gdlt",
    "swin3d_s": "vst-gdlt",
    "swin3d_b": "vst-gdlt",
    "i3d": "generic",
    "tiny": "generic",
}


def decode_only(path: Path, protocol, spec, cpu_time: list[float] | None = None) -> tuple[float, int]:
    """Seconds and frames to decode + preprocess + assemble every clip of the protocol (no model).

    ``cpu_time`` gets the process CPU seconds (all threads) spent, a figure other load disturbs less.
    """
    from vatp_core.features.preprocess import preprocessing_for
    from vatp_core.video import iter_clips, open_video

    prep = preprocessing_for(protocol.preprocess, spec)
    with open_video(path) as reader:
        ranges = protocol.clip_ranges(len(reader))
        t, c = time.perf_counter(), time.process_time()
        n_clips = sum(1 for _ in iter_clips(reader, protocol, resize=prep.reader_resize, frame_fn=prep.frame_fn))
        seconds = time.perf_counter() - t
        if cpu_time is not None:
            cpu_time.append(time.process_time() - c)
    frames = ranges[-1][1] - ranges[0][0] + 1
    assert n_clips == len(ranges)
    return seconds, frames


def run_one(
    path: Path, backbone_name: str, device: str, batch_size: int, installed: bool, protocol_name: str | None
) -> dict:
    import torch

    from vatp_core.devices import device_label
    from vatp_core.features import extract_features, load_backbone
    from vatp_core.protocols import get_protocol

    backbone = load_backbone(backbone_name, random_init=not installed, device=device)
    spec = backbone.spec
    protocol = get_protocol(
        protocol_name or DEFAULT_PROTOCOL[spec.name],
        **(
            {"clip_len": spec.clip_len, "stride": spec.clip_len}
            if (protocol_name or DEFAULT_PROTOCOL[spec.name]) == "generic"
            else {}
        ),
    )
    dev = backbone.device
    # warm-up: lazy CUDA init, cuDNN autotuning, the file in the OS cache
    with torch.inference_mode():
        x = torch.zeros(batch_size, 3, protocol.clip_len, spec.input_size, spec.input_size, device=dev)
        if dev.type == "cuda":
            with torch.autocast("cuda", dtype=torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16):
                backbone.module(x)
            torch.cuda.synchronize()
        else:
            backbone.module(x[:1])
    path.read_bytes()

    dec_s, frames = decode_only(path, protocol, spec)
    t = time.perf_counter()
    result = extract_features(path, backbone, protocol, batch_size=batch_size, use_cache=False)
    if dev.type == "cuda":
        torch.cuda.synchronize()
    full_s = time.perf_counter() - t
    decode_fps = frames / dec_s
    full_fps = frames / full_s
    return {
        "backbone": spec.name,
        "protocol": protocol.name,
        "clip_len": protocol.clip_len,
        "device": device_label(dev),
        "torch_threads": torch.get_num_threads(),
        "batch_size": batch_size,
        "frames": frames,
        "clips": result.n_clips,
        "feature_dim": int(result.features.shape[1]),
        "decode_only_s": round(dec_s, 3),
        "full_s": round(full_s, 3),
        "decode_only_fps": round(decode_fps, 2),
        "full_fps": round(full_fps, 2),
        "full_clips_per_s": round(result.n_clips / full_s, 3),
        "ratio": round(full_fps / decode_fps, 3),
        "timings": {k: round(v, 3) for k, v in result.timings.items()},
    }


def preprocessing_before_after(path: Path, repeats: int = 3) -> dict:
    """vst-gdlt decode + preprocessing throughput: the old square crop (before) against gdlt-v2 (after).

    Runs alternate and the fastest of ``repeats`` counts, so load from other processes hurts both alike;
    torch runs on the threads the extraction pipeline gives it while decoding (one core left to the decoder).
    """
    import torch

    from vatp_core.features import get_backbone_spec
    from vatp_core.features.pipeline import _leave_a_core_for_decoding
    from vatp_core.protocols import get_protocol

    spec = get_backbone_spec("swin3d_b")
    best = {"square-v1": float("inf"), "gdlt-v2": float("inf")}
    cpu: dict[str, list[float]] = {k: [] for k in best}
    frames = 0
    with _leave_a_core_for_decoding(torch.device("cpu")):
        for _ in range(max(1, repeats)):
            for version in best:
                seconds, frames = decode_only(path, get_protocol("vst-gdlt", preprocess=version), spec, cpu[version])
                best[version] = min(best[version], seconds)
    before, after = frames / best["square-v1"], frames / best["gdlt-v2"]
    cpu_before, cpu_after = (min(cpu[k]) / frames * 1e3 for k in ("square-v1", "gdlt-v2"))
    return {
        "frames": frames,
        "before_square_v1_fps": round(before, 2),
        "after_gdlt_v2_fps": round(after, 2),
        "after_over_before": round(after / before, 3),
        "before_cpu_ms_per_frame": round(cpu_before, 2),
        "after_cpu_ms_per_frame": round(cpu_after, 2),
        "cpu_after_over_before": round(cpu_after / cpu_before, 3),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--backbone",
        action="append",
        default=None,
        help="backbone(s) to measure (repeatable); default: tiny and swin3d_t on CPU, swin3d_b on CUDA",
    )
    p.add_argument("--seconds", type=float, default=None, help="length of the generated video (default 4 CPU, 20 CUDA)")
    p.add_argument("--video", type=Path, default=None, help="measure this file instead of a generated one")
    p.add_argument("--device", default="auto")
    p.add_argument("--batch-size", type=int, default=None, help="clips per batch (default 8 on CUDA, 2 on CPU)")
    p.add_argument(
        "--protocol", default=None, help="override the protocol (default: vst-gdlt for Swin, generic otherwise)"
    )
    p.add_argument("--installed", action="store_true", help="use the installed weights instead of random ones")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    p.add_argument("--json", type=Path, default=None, help="also write the results here")
    p.add_argument(
        "--preprocess-only",
        action="store_true",
        help="only the vst-gdlt decode + preprocessing comparison (square-v1 before, gdlt-v2 after), no backbone",
    )
    args = p.parse_args(argv)

    import torch

    from vatp_core.devices import resolve_device

    if args.threads:
        torch.set_num_threads(args.threads)
    dev = resolve_device(args.device)
    cuda = dev.type == "cuda"
    backbones = args.backbone or (["swin3d_b"] if cuda else ["tiny", "swin3d_t"])
    seconds = args.seconds or (20.0 if cuda else 4.0)
    batch = args.batch_size or (8 if cuda else 2)

    with tempfile.TemporaryDirectory(prefix="vatp-bench-") as tmp:
        if args.video:
            path = args.video
            source = str(path)
        else:
            from tests.videogen import make_test_video

            path = Path(tmp) / "bench_1080p.mp4"
            n = int(round(seconds * 25))
            t = time.perf_counter()
            make_test_video(path, n, size=(1920, 1080), fps=25, codec="h264", gop=50, bframes=2, noise=6.0)
            source = f"generated 1920x1080 H.264, 25 fps, {n} frames ({seconds:g} s), camera-like grain, made in {time.perf_counter() - t:.1f} s"
        print(f"video: {source}")
        prep = preprocessing_before_after(path)
        print(
            f"vst-gdlt decode + preprocessing ({prep['frames']} frames): before (square-v1) "
            f"{prep['before_square_v1_fps']:.1f} frames/s, after (gdlt-v2) {prep['after_gdlt_v2_fps']:.1f} frames/s, "
            f"after/before {prep['after_over_before']:.2f}; CPU time {prep['before_cpu_ms_per_frame']:.1f} -> "
            f"{prep['after_cpu_ms_per_frame']:.1f} ms/frame (x{prep['cpu_after_over_before']:.2f})"
        )
        results = []
        for name in [] if args.preprocess_only else backbones:
            r = run_one(path, name, str(dev), batch, args.installed, args.protocol)
            results.append(r)
            print(
                f"{r['backbone']:<9} on {r['device']} ({r['protocol']}, {r['clips']} clips x {r['clip_len']} frames, "
                f"batch {r['batch_size']}): decode-only {r['decode_only_fps']:.1f} frames/s, "
                f"full extraction {r['full_fps']:.1f} frames/s ({r['full_clips_per_s']:.2f} clips/s), "
                f"ratio {r['ratio']:.2f}"
            )
    if args.json:
        args.json.write_text(json.dumps({"video": source, "preprocessing": prep, "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
