"""Calibrating the demo pack: conformal calibration and out-of-distribution statistics added to a trained pack.

The demo model is not retrained. Its calibration comes from SynthAQA routines of a seed the demo build never
uses (4000; the build uses 100 for the backbone, 200 for VATP-Net, 3000 for validation, 7 for the demo video,
1000 for the held-out benchmark): the first ``n_spread`` choose and fit the per-video spread, the others give
the conformal quantile. The out-of-distribution distance is fitted on the first ``n_ood_fit`` routines of the
demo's own training set (seed 200: the same routines VATP-Net learnt from) and judged against the distances of
the calibration routines. Every stage caches its features in the work folder, as `vatp_core.synth.demo` does.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Sequence

import numpy as np

from .demo import DemoConfig, Progress, decode_set, ensure_features, ensure_set, feature_dataset
from .generator import SynthConfig


@dataclass
class DemoTrustConfig:
    """Seeds and sizes of the demo calibration (the defaults are what ships in resources/demo)."""

    calib_seed: int = 4000
    n_calib: int = 300
    n_spread: int = 100  # of the calibration routines: spread choice; the rest: the conformal quantile
    n_ood_fit: int = 150  # first routines of the demo's training set (seed 200) for the OOD statistics
    level: float = 0.9  # the level the spread choice is measured at


def set_features(
    work: Path, tag: str, cfg: SynthConfig, backbone, progress: Progress | None = None
) -> tuple[list[SimpleNamespace], list[np.ndarray]]:
    """(ground-truth records, clip features) of a SynthAQA set: generated, decoded and featurised once, then cached."""
    folder = ensure_set(work / f"{tag}_{cfg.seed}_{cfg.n}", cfg, progress)
    names = sorted(p.stem for p in folder.glob("*.mp4"))
    cached = list(work.glob(f"features_{tag}{cfg.seed}_{cfg.n}_{backbone.weights_hash}_s*.npz"))
    if cached:
        with np.load(cached[0], allow_pickle=False) as z:
            if list(z["names"]) == names:
                feats = [z[f"f{i}"] for i in range(len(names))]
                return [_record(folder, n) for n in names], feats
    routines = decode_set(folder, progress)
    feats = ensure_features(work, f"{tag}{cfg.seed}_{cfg.n}", routines, backbone, progress)
    return [_record(folder, r.name) for r in routines], feats


def _record(folder: Path, name: str) -> SimpleNamespace:
    meta = json.loads((folder / f"{name}.json").read_text())
    return SimpleNamespace(
        name=name, score=float(meta["score"]), phrases=list(meta["phrases"]), frame_labels=meta["frame_labels"]
    )


def predictions(pack, records: Sequence[Any], feats: Sequence[np.ndarray]):
    """(dataset, Prediction) of the pack's model on featurised routines."""
    from ..training.trainer import predict

    ds = feature_dataset(records, feats, "calibration")
    return ds, predict(pack.build_model("cpu"), ds, score_norm=pack.manifest.score_norm)


def calibrate_demo_pack(
    pack_path: Path,
    work: Path,
    cfg: DemoConfig | None = None,
    tcfg: DemoTrustConfig | None = None,
    progress: Progress | None = None,
) -> dict:
    """Add calibration and OOD statistics to the demo pack at ``pack_path`` (rewritten in place); returns a summary."""
    from ..pack import load_pack, save_pack
    from ..training.trust_report import spread_data
    from ..trust import TrustStats, fit_calibration, fit_ood

    cfg = cfg or DemoConfig()
    tcfg = tcfg or DemoTrustConfig()
    if tcfg.calib_seed in (cfg.train_seed, cfg.backbone_seed, cfg.demo_seed, 3000):
        raise ValueError("the calibration seed must be one the demo build never used")
    pack = load_pack(pack_path)
    backbone = pack.load_backbone("cpu")
    records, feats = set_features(
        work, "calib", SynthConfig(n=tcfg.n_calib, seed=tcfg.calib_seed, size=cfg.size), backbone, progress
    )
    fit_records, fit_feats = set_features(
        work, "train", SynthConfig(n=tcfg.n_ood_fit, seed=cfg.train_seed, size=cfg.size), backbone, progress
    )
    del fit_records
    k = tcfg.n_spread
    ds_spread, pred_spread = predictions(pack, records[:k], feats[:k])
    ds_cal, pred_cal = predictions(pack, records[k:], feats[k:])
    calibration = fit_calibration(
        spread_data(pred_spread, ds_spread),
        spread_data(pred_cal, ds_cal),
        tcfg.level,
        data=f"SynthAQA seed {tcfg.calib_seed}, never used to build the demo: routines 0-{k - 1} chose the spread, "
        f"{k}-{tcfg.n_calib - 1} gave the conformal quantile",
    )
    ood = fit_ood(fit_feats, feats)
    note = (
        "The demo model was not retrained: it was calibrated afterwards on freshly generated SynthAQA routines "
        f"(seed {tcfg.calib_seed}); OOD statistics from the first {tcfg.n_ood_fit} routines of its training set "
        f"(seed {cfg.train_seed}), judged against the calibration routines."
    )
    trust = TrustStats(calibration=calibration, ood=ood, notes={"demo": note, "config": asdict(tcfg)})
    m = pack.manifest
    m.training = {**m.training, "calibration": note}
    save_pack(
        pack_path,
        m,
        pack.model_state(),
        phrase_embeddings=pack.phrase_embeddings,
        baseline_subactions=pack.baseline_subactions,
        backbone_state=pack.backbone_state(),
        trust=trust,
    )
    return {
        "spread": calibration.spread.kind,
        "spread_measured": calibration.spread.measured,
        "n_calibration": calibration.n,
        "ood_threshold": ood.threshold,
        "ood_components": int(ood.components.shape[0]),
    }
