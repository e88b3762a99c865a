"""Batch scoring throughput: videos per minute, and batch time against decode-only time of the same folder.

Decode-only = decoding every clip of every video exactly as the feature pipeline does (same protocol,
same resize/crop), with no model. The ratio decode-only / batch says how much of the batch is spent
beyond decoding (1.0 = the model is completely hidden behind decoding; target ≥ 0.85 on a GPU).
The batch runs with and without the prefetch thread, on an empty feature cache each time.

    python benchmarks/batch.py                              # 8 generated 320×240 videos, tiny test pack
    python benchmarks/batch.py --folder DIR --pack demo --device cuda
    python benchmarks/batch.py --n 4 --frames 96 --json out.json
    python benchmarks/batch.py --engine ray [--address auto]  # Ray workers: 1 and 2 on the same folder, and the ratio

With ``--engine ray`` the same folder is scored by 1 and then 2 Ray workers (a private local Ray instance on
127.0.0.1 unless ``--address`` is given), each run from an empty results file and an empty feature cache; the
time counts the workers' start (loading the model) and excludes starting Ray itself.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def make_folder(folder: Path, n: int, frames: int, size: tuple[int, int]) -> Path:
    from tests.videogen import make_test_video

    folder.mkdir(parents=True, exist_ok=True)
    for k in range(n):
        make_test_video(folder / f"routine_{k:02d}.mp4", frames + 8 * k, size=size)
    return folder


def make_pack(path: Path) -> Path:
    """A small pack with the tiny backbone (random weights): the model's cost is what a real tiny pack costs."""
    import torch

    from vatp_core.features import load_backbone
    from vatp_core.model import VATPConfig, VATPNet
    from vatp_core.pack import PackManifest, save_pack

    torch.manual_seed(0)
    names = ["Approach", "Take-off", "Flight", "Entry"]
    cfg = VATPConfig.preset("vatp", in_dim=256, n_queries=4)
    model = VATPNet(cfg).eval()
    backbone = load_backbone("tiny", random_init=True, seed=0, device="cpu")
    manifest = PackManifest(
        name="benchmark-pack",
        backbone="tiny",
        protocol={"name": "generic", "clip_len": 16, "stride": 16},
        model_config=cfg.to_dict(),
        score_range=[0.0, 10.0],
        score_norm={"mean": 6.0, "std": 1.5},
        label="benchmark — not for judging",
        not_for_judging=True,
        phrases=names,
        subaction_names=names,
    )
    return save_pack(
        path,
        manifest,
        model,
        phrase_embeddings=torch.randn(4, 768),
        baseline_subactions=torch.randn(4, cfg.d_model) * 0.1,
        backbone_state=backbone.state_dict(),
    )


def decode_only(videos: list[Path], scorer) -> tuple[float, int]:
    """Seconds to decode + preprocess every clip of every video as the feature pipeline does; clips decoded."""
    from vatp_core.features.preprocess import preprocessing_for
    from vatp_core.video import iter_clips, open_video

    prep = preprocessing_for(scorer.protocol.preprocess, scorer.backbone.spec)
    t0 = time.perf_counter()
    clips = 0
    for v in videos:
        with open_video(v) as reader:
            for _ in iter_clips(reader, scorer.protocol, resize=prep.reader_resize, frame_fn=prep.frame_fn):
                clips += 1
    return time.perf_counter() - t0, clips


def ray_main(args) -> int:
    """Videos per minute with 1 and with 2 Ray workers on the same folder, and their ratio."""
    import shutil

    work = Path(tempfile.mkdtemp(prefix="vatp-bench-ray-"))
    os.environ["VATP_HOME"] = str(work / "home")  # set before Ray starts: the workers inherit it
    from vatp_core.distributed.ray_batch import run_ray_batch
    from vatp_core.distributed.ray_runtime import RayOptions, ray_session
    from vatp_core.paths import feature_cache_dir

    w, h = (int(x) for x in args.size.lower().split("x"))
    folder = Path(args.folder) if args.folder else make_folder(work / "videos", args.n, args.frames, (w, h))
    pack = str(args.pack or make_pack(work / "pack"))
    rows = {}
    with ray_session(RayOptions(address=args.address)) as ray:
        resources = ray.cluster_resources()
        for n_workers in (1, 2):
            shutil.rmtree(feature_cache_dir(), ignore_errors=True)
            options = RayOptions(address=args.address, workers=n_workers, gpus_per_worker=args.gpus_per_worker)
            t0 = time.perf_counter()
            summary = run_ray_batch(
                folder, pack, options=options, device=args.device, out_csv=work / f"ray_{n_workers}.csv"
            )
            seconds = time.perf_counter() - t0
            rows[n_workers] = {
                "seconds": seconds,
                "scored": summary.n_scored,
                "failed": summary.n_failed,
                "videos_per_min": 60.0 * summary.n_scored / seconds if seconds else 0.0,
            }
    ratio = rows[2]["videos_per_min"] / rows[1]["videos_per_min"] if rows[1]["videos_per_min"] else 0.0
    print(
        f"ray batch benchmark: {rows[1]['scored'] + rows[1]['failed']} videos, cluster CPUs "
        f"{resources.get('CPU', 0):g}, GPUs {resources.get('GPU', 0):g}, device {args.device}"
    )
    for n_workers, r in rows.items():
        print(
            f"  {n_workers} worker(s): {r['seconds']:7.2f} s  {r['videos_per_min']:6.1f} videos/min  "
            f"({r['scored']} scored, {r['failed']} failed)"
        )
    print(f"  2 workers / 1 worker = {ratio:.2f}")
    if args.json:
        Path(args.json).write_text(json.dumps({"workers": rows, "ratio": ratio}, indent=1))
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--folder", help="folder of videos (default: generate --n videos)")
    ap.add_argument("--pack", help="model pack (default: a tiny-backbone pack made here)")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--n", type=int, default=8, help="videos to generate")
    ap.add_argument("--frames", type=int, default=160, help="frames of the first generated video (+8 per video)")
    ap.add_argument("--size", default="320x240", help="generated video size WxH")
    ap.add_argument(
        "--threads",
        type=int,
        default=max(1, (os.cpu_count() or 2) - 1),
        help="torch CPU threads (default: one core left for decoding)",
    )
    ap.add_argument("--json", help="also write the figures here")
    ap.add_argument("--engine", default="local", choices=("local", "ray"), help="ray: 1 vs 2 Ray workers")
    ap.add_argument("--address", default=None, help="Ray cluster to use with --engine ray (default: a local one)")
    ap.add_argument("--gpus-per-worker", type=float, default=1.0, help="GPUs per Ray worker where there are GPUs")
    args = ap.parse_args(argv)
    if args.engine == "ray":
        return ray_main(args)

    work = Path(tempfile.mkdtemp(prefix="vatp-bench-batch-"))
    os.environ["VATP_HOME"] = str(work / "home")  # empty feature cache, nothing touches the user's folders
    import torch

    torch.set_num_threads(args.threads)
    from vatp_core.batch import find_videos, run_scorer_batch
    from vatp_core.pipeline import Scorer

    w, h = (int(x) for x in args.size.lower().split("x"))
    folder = Path(args.folder) if args.folder else make_folder(work / "videos", args.n, args.frames, (w, h))
    pack = args.pack or make_pack(work / "pack")
    scorer = Scorer(pack, device=args.device)
    videos = find_videos(folder)
    if not videos:
        print(f"no videos in {folder}", file=sys.stderr)
        return 2

    decode_only(videos[:1], scorer)  # warm-up: imports, codec init, page cache
    scorer.score(videos[0], use_cache=False)  # warm-up of the model path (lazy imports, allocator)
    t_decode, clips = decode_only(videos, scorer)
    rows = {}
    for mode, prefetch in (("prefetch", True), ("sequential", False)):
        import shutil

        from vatp_core.paths import feature_cache_dir

        shutil.rmtree(feature_cache_dir(), ignore_errors=True)
        out = work / f"results_{mode}.csv"
        t0 = time.perf_counter()
        summary = run_scorer_batch(folder, scorer, out_csv=out, prefetch=prefetch)
        seconds = time.perf_counter() - t0
        from_cache = 0
        for row in summary.rows:
            if row.result_json:
                doc = json.loads((out.parent / row.result_json).read_text())
                from_cache += bool(doc["video"].get("features_from_cache"))
        rows[mode] = {
            "seconds": seconds,
            "scored": summary.n_scored,
            "failed": summary.n_failed,
            "features_from_cache": from_cache,
            "videos_per_min": 60.0 * summary.n_scored / seconds if seconds else 0.0,
            "decode_ratio": t_decode / seconds if seconds else 0.0,
        }

    device = str(scorer.device)
    cpu = os.cpu_count()
    print(
        f"batch benchmark: {len(videos)} videos, {clips} clips, backbone {scorer.backbone.spec.name}, device {device}, "
        f"{cpu} CPU(s), torch threads {args.threads}"
    )
    print(f"  decode-only (same clips, same resize): {t_decode:7.2f} s")
    for mode, r in rows.items():
        print(
            f"  batch {mode:<10}: {r['seconds']:7.2f} s  {r['videos_per_min']:6.1f} videos/min  "
            f"decode-only / batch = {r['decode_ratio']:.2f}  ({r['scored']} scored, {r['failed']} failed, "
            f"{r['features_from_cache']} from the feature cache)"
        )
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {"videos": len(videos), "clips": clips, "device": device, "decode_only_s": t_decode, **rows}, indent=1
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
