#!/usr/bin/env python
"""SynthAQA benchmark: does the demo pack score held-out routines well, and do its segments find the sub-actions?

On held-out synthetic routines (a seed the demo never saw) it reports, for the demo pack (full VATP-Net) and
the `mlp` and `te+pd` ablations trained the same way (same backbone, features, trainer, seeds):
  - Spearman rank correlation of predicted vs true score, R-l2 (x100) and mean absolute error;
  - frame-wise accuracy of the predicted sub-action segments (ScoreResult segments, mapped to frames,
    idle frames counted as "none") against the generator's frame labels. The sub-actions are ordered, so
    segment i is compared with sub-action i without any label matching. `mlp` has no segments.
Targets: Spearman >= 0.85, frame accuracy >= 0.75, VATP >= mlp.

Run from the repository root after `python scripts/build_demo.py --ablations` (it reuses that work folder;
missing ablation packs are trained here):  python benchmarks/synth_quality.py [--n 100] [--seed 1000]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGETS = {"spearman": 0.85, "frame_acc": 0.75}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--work", default=str(ROOT / "build" / "demo_work"), help="work folder of scripts/build_demo.py")
    p.add_argument("--pack", default=None, help="the full model's pack (default: the bundled demo pack)")
    p.add_argument("--n", type=int, default=100, help="held-out routines (default 100)")
    p.add_argument("--seed", type=int, default=1000, help="held-out seed (default 1000; the demo trains on seed 100)")
    p.add_argument("--presets", default="mlp,te+pd", help="ablations to compare (default mlp,te+pd)")
    p.add_argument("--json", default=None, help="also write the figures as JSON here")
    args = p.parse_args(argv)

    import torch

    torch.set_num_threads(2)
    from vatp_core import paths
    from vatp_core.pack import load_pack
    from vatp_core.synth import SynthConfig, demo

    t_start = time.perf_counter()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    cfg = demo.DemoConfig()
    pack_path = Path(args.pack) if args.pack else paths.demo_pack_path()
    full = load_pack(pack_path)
    backbone = full.load_backbone("cpu")
    state = full.backbone_state()
    print(f"pack {full.name} ({pack_path}), backbone tiny {backbone.weights_hash}", flush=True)

    held_cfg = SynthConfig(n=args.n, seed=args.seed, size=cfg.size)
    if held_cfg.seed in (cfg.train_seed, cfg.backbone_seed):
        print("the held-out seed must differ from the training seed", file=sys.stderr)
        return 2
    held_dir = demo.ensure_set(work / f"heldout_{args.seed}_{args.n}", held_cfg)
    routines = demo.decode_set(held_dir)
    feats = demo.ensure_features(work, f"heldout{args.seed}", routines, backbone)
    print(
        f"held-out: {len(routines)} routines, {sum(len(f) for f in feats)} clips ({time.perf_counter() - t_start:.0f} s)",
        flush=True,
    )

    rows = []
    t0 = time.perf_counter()
    rows.append(
        ("vatp (demo pack)", demo.summarise(demo.evaluate_pack(full, routines, feats)), time.perf_counter() - t0)
    )
    presets = [s.strip() for s in args.presets.split(",") if s.strip()]
    train_ds = None
    for preset in presets:
        path = work / "packs" / preset.replace("+", "")
        pack = load_pack(path) if (path / "manifest.json").is_file() else None
        if pack is None or pack.manifest.backbone_weights_hash != full.manifest.backbone_weights_hash:
            if train_ds is None:
                train_routines = demo.decode_set(demo.ensure_set(work / f"train{cfg.train_seed}", cfg.synth()))
                train_feats = demo.ensure_features(work, f"train{cfg.train_seed}", train_routines, backbone)
                train_ds = demo.feature_dataset(train_routines, train_feats, "train")
                del train_routines
            print(f"training {preset} ...", flush=True)
            result = demo.train_preset(preset, train_ds, cfg)
            if path.exists():
                shutil.rmtree(path)
            demo.save_demo_pack(path, result, state, train_ds, cfg, preset=preset)
            pack = load_pack(path)
        t0 = time.perf_counter()
        rows.append((preset, demo.summarise(demo.evaluate_pack(pack, routines, feats)), time.perf_counter() - t0))

    print()
    print(
        f"SynthAQA held-out (seed {args.seed}, n={args.n}); clips of 16 frames, stride {demo.CLIP_STRIDE}; "
        f"backbone tiny (trained on SynthAQA seed {cfg.backbone_seed}), VATP-Net on seed {cfg.train_seed}"
    )
    print(f"{'model':<18} {'Spearman':>9} {'R-l2x100':>9} {'MAE':>6} {'frame acc':>10} {'(sub-action frames)':>20}")
    for name, m, _ in rows:
        acc = f"{m['frame_acc']:.3f}" if m["frame_acc"] is not None else "—"
        act = f"{m['frame_acc_active']:.3f}" if m["frame_acc_active"] is not None else "—"
        print(f"{name:<18} {m['spearman']:>9.3f} {m['rl2']:>9.2f} {m['mae']:>6.2f} {acc:>10} {act:>20}")
    best = rows[0][1]
    mlp = next((m for n, m, _ in rows if n == "mlp"), None)
    checks = {
        f"Spearman >= {TARGETS['spearman']}": best["spearman"] >= TARGETS["spearman"],
        f"frame accuracy >= {TARGETS['frame_acc']}": (best["frame_acc"] or 0.0) >= TARGETS["frame_acc"],
    }
    if mlp is not None:
        checks["VATP >= mlp (Spearman)"] = best["spearman"] >= mlp["spearman"]
    print("targets: " + "; ".join(f"{k}: {'met' if v else 'NOT met'}" for k, v in checks.items()))
    print(f"total {time.perf_counter() - t_start:.0f} s (2-core CPU)")
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {"rows": [{"model": n, **m} for n, m, _ in rows], "targets": checks, "seed": args.seed, "n": args.n},
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
