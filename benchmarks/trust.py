#!/usr/bin/env python
"""Trust benchmark: does the demo pack's 90% interval cover 90%, is it narrow, and does the OOD warning work?

On SynthAQA routines of a seed neither the demo build nor its calibration used (default 6000):
  - coverage of the calibrated interval at --level (target 0.87-0.93 at 0.9) and its mean width, against the
    width of the central 90% of the demo's training scores (target: at most 0.6x);
  - the share of these routines flagged out of distribution (target at most 5%).
On unrelated videos generated here with PyAV (tests/ood_videos.py: colour bars, noise, black, a moving shape,
another stick-figure renderer; --per-kind of each): the share flagged (target at least 95%) and the AUROC of the
distance, held-out routines against unrelated videos (target at least 0.95).
With --rg it also trains `vatp train --dataset rg --class Ball` on generated RG-layout features and reports the
test split's coverage (target 0.80-0.98 on its 50 videos) with the baselines.

Run from the repository root after `python scripts/build_demo.py --calibrate-only` (it reuses that work folder):
    python benchmarks/trust.py [--n 400] [--seed 6000] [--per-kind 8] [--no-synth]
        [--rg [--rg-epochs N] [--rg-refit] [--rg-seed N] [--rg-select-by mse|spearman]]
Rendering and featurising n routines takes about 2 s each on an idle 2-core CPU; state the n you ran.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGETS = {"coverage": (0.87, 0.93), "width_ratio": 0.6, "flagged_in": 0.05, "flagged_out": 0.95, "auroc": 0.95}


def synth_figures(args) -> dict:
    from vatp_core import paths
    from vatp_core.pack import load_pack
    from vatp_core.synth import SynthConfig, demo
    from vatp_core.synth.demo_trust import predictions, set_features
    from vatp_core.synth.generator import routine_spec
    from vatp_core.training.trust_report import interval_bounds
    from vatp_core.trust import coverage_and_width, naive_width, pooled_summary

    cfg = demo.DemoConfig()
    pack = load_pack(args.pack or paths.demo_pack_path())
    if not pack.calibrated or pack.trust.ood is None:
        raise SystemExit(f"{pack.name}: no calibration / OOD statistics (run scripts/build_demo.py --calibrate-only)")
    used = {cfg.train_seed, cfg.backbone_seed, cfg.demo_seed, 3000, 4000}
    if args.seed in used:
        raise SystemExit(f"seed {args.seed} was used to build or calibrate the demo; pick another")
    work = Path(args.work)
    backbone = pack.load_backbone("cpu")
    t0 = time.perf_counter()
    records, feats = set_features(work, "heldout", SynthConfig(n=args.n, seed=args.seed, size=cfg.size), backbone)
    print(f"held-out: {len(records)} routines of seed {args.seed} ({time.perf_counter() - t0:.0f} s)", flush=True)
    ds, pred = predictions(pack, records, feats)
    low, high = interval_bounds(pack.trust, pred, ds, args.level)
    cov, width = coverage_and_width(pred.true, low, high)
    train_scores = [routine_spec(SynthConfig(seed=cfg.train_seed), i).score for i in range(cfg.n_train)]
    naive = naive_width(train_scores, 0.9)
    ood = pack.trust.ood
    d_in = ood.distance(np.stack([pooled_summary(f) for f in feats]))
    return {
        "n": len(records),
        "seed": args.seed,
        "level": args.level,
        "coverage": cov,
        "mean_width": width,
        "naive_width": naive,
        "width_ratio": width / naive,
        "spread": pack.trust.calibration.spread.kind,
        "flagged_in": float(np.mean(d_in > ood.threshold)),
        "distances_in": d_in.tolist(),
    }


def ood_figures(args, d_in: list[float]) -> dict:
    from tests.ood_videos import write_ood_set
    from vatp_core import paths
    from vatp_core.pipeline import Scorer
    from vatp_core.trust import auroc

    scorer = Scorer(args.pack or paths.demo_pack_path(), device="cpu")
    ood = scorer.pack.trust.ood
    folder = Path(args.work) / f"ood_videos_{args.per_kind}"
    t0 = time.perf_counter()
    per_kind: dict[str, list[float]] = {}
    for kind, path in write_ood_set(folder, args.per_kind):
        checked = ood.check(scorer.features(path).features)
        per_kind.setdefault(kind, []).append(checked["distance"])
    d_out = [d for ds in per_kind.values() for d in ds]
    print(f"unrelated: {len(d_out)} videos ({time.perf_counter() - t0:.0f} s)", flush=True)
    return {
        "n_unrelated": len(d_out),
        "flagged_out": float(np.mean(np.array(d_out) > ood.threshold)),
        "flagged_by_kind": {k: float(np.mean(np.array(v) > ood.threshold)) for k, v in per_kind.items()},
        "auroc": auroc(d_in, d_out),
        "threshold": ood.threshold,
    }


def rg_figures(args) -> dict:
    """`vatp train --dataset rg --class Ball` on generated RG-layout features, then `vatp eval` on its test split."""
    from vatp_core.cli import main as vatp
    from vatp_core.datasets import load_split
    from vatp_core.datasets.synthetic_features import write_synthetic_rg
    from vatp_core.trust import naive_width

    with tempfile.TemporaryDirectory() as tmp:
        folder = write_synthetic_rg(Path(tmp) / "rg", classes=("Ball",))
        pack, train_json, eval_json = Path(tmp) / "pack", Path(tmp) / "train.json", Path(tmp) / "eval.json"
        common = ["--dataset", "rg", "--class", "Ball", "--features", str(folder)]
        t0 = time.perf_counter()
        train = [
            "train",
            *common,
            "--out",
            str(pack),
            "--device",
            "cpu",
            "--checkpoint",
            str(Path(tmp) / "ckpt"),
            "--level",
            str(args.level),
            "--json",
            str(train_json),
            "-q",
        ]
        if args.rg_epochs:  # else the paper's schedule, as a plain `vatp train --dataset rg --class Ball` runs
            train += ["--epochs", str(args.rg_epochs)]
        if args.rg_calibration is not None:
            train += ["--calibration-fraction", str(args.rg_calibration)]
        if args.rg_refit:
            train.append("--refit")
        if args.rg_seed is not None:  # the seed of the splits and of the model's initialisation and batches
            train += ["--seed", str(args.rg_seed)]
        if args.rg_select_by:
            train += ["--select-by", args.rg_select_by]
        if vatp(train) != 0:
            raise SystemExit("vatp train failed")
        t_train = time.perf_counter() - t0
        ev = ["eval", "--pack", str(pack), *common, "--level", str(args.level), "--json", str(eval_json)]
        if vatp(ev) != 0:
            raise SystemExit("vatp eval failed")
        r = json.loads(eval_json.read_text())
        trained = json.loads(train_json.read_text())
        manifest = json.loads((pack / "manifest.json").read_text())
        naive = naive_width(load_split("rg", folder, "Ball", "train").scores(), 0.9)
    width = r.get("interval_width")
    return {
        "n_test": r["n"] if "n" in r else r["classes"]["Ball"]["n"],
        "spearman": r["spearman"],
        **{k: r.get(k) for k in ("spearman_ci", "coverage", "interval_width", "n_calibration")},
        "naive_width": naive,  # central 90% of the training scores, as the target is stated
        "width_ratio": width / naive if width else None,
        "beats_ridge": r.get("beats_ridge"),
        "baselines": r.get("baselines"),
        "epochs": trained["training"]["epochs"],
        "best_epoch": trained["best_epoch"],
        "select_by": trained["training"].get("select_by", "spearman"),
        "seed": trained["training"].get("seed"),
        "refit": trained["training"].get("refit"),
        "shape": ((manifest.get("trust") or {}).get("calibration") or {}).get("shape"),
        "train_seconds": round(t_train),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--work", default=str(ROOT / "build" / "demo_work"), help="work folder of scripts/build_demo.py")
    p.add_argument("--pack", default=None, help="a calibrated SynthAQA pack (default: the bundled demo pack)")
    p.add_argument("--n", type=int, default=400, help="held-out routines (default 400)")
    p.add_argument("--seed", type=int, default=6000, help="held-out seed (default 6000)")
    p.add_argument("--level", type=float, default=0.9)
    p.add_argument("--per-kind", type=int, default=8, help="unrelated videos of each of the 5 kinds (default 8)")
    p.add_argument("--rg", action="store_true", help="also train and evaluate on generated RG-layout features")
    p.add_argument("--rg-epochs", type=int, default=None, help="RG epochs (default: the paper's 300 for Ball)")
    p.add_argument("--rg-calibration", type=float, default=None, help="--calibration-fraction for the RG run")
    p.add_argument("--rg-refit", action="store_true", help="pass --refit to the RG training")
    p.add_argument("--rg-seed", type=int, default=None, help="pass --seed to the RG training (default 0)")
    p.add_argument("--rg-select-by", choices=("mse", "spearman"), default=None, help="pass --select-by (default mse)")
    p.add_argument("--no-synth", action="store_true", help="skip the SynthAQA and unrelated-video figures")
    p.add_argument("--json", default=None, help="also write the figures as JSON here")
    args = p.parse_args(argv)

    import torch

    torch.set_num_threads(2)
    t0 = time.perf_counter()
    figures: dict = {}
    if not args.no_synth:
        figures.update(synth_report(args))
    if args.rg:
        rg = rg_figures(args)
        figures["rg"] = rg
        refit = rg["refit"] or {}
        how = f"refitted on {refit.get('n_videos')} videos" if refit.get("done") else "not refitted"
        print(
            f"RG Ball (generated features, seed {rg['seed']}, {rg['epochs']} epochs, selected {rg['best_epoch']} "
            f"by {rg['select_by']}, {how}, "
            f"{rg['shape'] or 'symmetric'} interval, {rg['train_seconds']} s): "
            f"test Spearman "
            f"{rg['spearman']:.3f} CI {rg['spearman_ci']}, coverage {rg['coverage']} on {rg['n_test']} test videos "
            f"(target 0.80-0.98), width {rg['interval_width']} = {rg['width_ratio'] or float('nan'):.2f} x the "
            f"central 90% of the training scores ({rg['naive_width']:.2f}; target <= {TARGETS['width_ratio']}); "
            f"{rg['n_calibration']} calibration videos; beats ridge: {rg['beats_ridge']}"
        )
    print(f"total {time.perf_counter() - t0:.0f} s")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1))
    return 0


def synth_report(args) -> dict:
    synth = synth_figures(args)
    out = ood_figures(args, synth.pop("distances_in"))
    lo, hi = TARGETS["coverage"]
    print(
        f"coverage of the {100 * synth['level']:g}% interval on {synth['n']} unseen SynthAQA routines: "
        f"{synth['coverage']:.3f} (target {lo}-{hi})"
    )
    print(
        f"mean width {synth['mean_width']:.2f} = {synth['width_ratio']:.2f} x the central 90% of the training "
        f"scores ({synth['naive_width']:.2f}; target <= {TARGETS['width_ratio']}); spread: {synth['spread']}"
    )
    print(f"flagged out of distribution: {100 * synth['flagged_in']:.1f}% of the unseen routines (target <= 5%)")
    print(
        f"flagged: {100 * out['flagged_out']:.1f}% of {out['n_unrelated']} unrelated videos (target >= 95%); "
        + ", ".join(f"{k} {100 * v:.0f}%" for k, v in out["flagged_by_kind"].items())
    )
    print(f"AUROC of the distance, unseen routines vs unrelated videos: {out['auroc']:.3f} (target >= 0.95)")
    return {"synthaqa": synth, "unrelated": out}


if __name__ == "__main__":
    sys.exit(main())
