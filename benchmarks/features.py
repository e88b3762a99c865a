"""Feature extraction benchmark: decode-only vs full extraction on the same 1080p H.264 file, in one process.

DESIGN §9 target (CUDA, Swin-B): full extraction >= 0.85 x decode-only throughput (the model hidden behind
decoding). Both numbers count the frames the protocol's clips cover; "decode-only" decodes and resizes
them exactly as the pipeline does (same reader, same resize, clips assembled), without the backbone.

    python benchmarks/features.py                                   # CPU: tiny and swin3d_t, 4 s video
    python benchmarks/features.py --backbone swin3d_b --seconds 20 --device cuda
    python benchmarks/features.py --backbone tiny --video my.mp4 --json out.json

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


def decode_only(path: Path, protocol, resize) -> tuple[float, int]:
    """Seconds and frames to decode + resize + assemble every clip of the protocol (no model)."""
    from vatp_core.video import iter_clips, open_video

    with open_video(path) as reader:
        ranges = protocol.clip_ranges(len(reader))
        t = time.perf_counter()
        n_clips = sum(1 for _ in iter_clips(reader, protocol, resize=resize))
        seconds = time.perf_counter() - t
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
    from vatp_core.video import Resize

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
    resize = Resize(short_side=spec.short_side, crop=spec.input_size)
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

    dec_s, frames = decode_only(path, protocol, resize)
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
        results = []
        for name in backbones:
            r = run_one(path, name, str(dev), batch, args.installed, args.protocol)
            results.append(r)
            print(
                f"{r['backbone']:<9} on {r['device']} ({r['protocol']}, {r['clips']} clips x {r['clip_len']} frames, "
                f"batch {r['batch_size']}): decode-only {r['decode_only_fps']:.1f} frames/s, "
                f"full extraction {r['full_fps']:.1f} frames/s ({r['full_clips_per_s']:.2f} clips/s), "
                f"ratio {r['ratio']:.2f}"
            )
    if args.json:
        args.json.write_text(json.dumps({"video": source, "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
