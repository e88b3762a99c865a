"""Evaluate predictions the way AQA papers report them, plus the data of the paper's Fig. 6 and Fig. 7."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..datasets.base import DatasetError, FeatureDataset
from ..metrics import cumulative_score_curve, fisher_z_mean, regression_metrics
from .trainer import Prediction, predict


def class_report(pred: Prediction, score_range: tuple[float, float], n_alphas: int = 50) -> dict[str, Any]:
    """Metrics of one class with its scatter (Fig. 6) and cumulative-score curve (Fig. 7) data."""
    m = regression_metrics(pred.pred, pred.true, score_range)
    alphas, shares = cumulative_score_curve(
        pred.pred, pred.true, np.linspace(0.0, max(float(np.abs(pred.pred - pred.true).max()), 1e-6), n_alphas)
    )
    return {
        **m.to_dict(),
        "score_range": [float(score_range[0]), float(score_range[1])],
        "scatter": {
            "names": list(pred.names),
            "true": [round(float(v), 4) for v in pred.true],
            "pred": [round(float(v), 4) for v in pred.pred],
            "sigma": [round(float(v), 4) for v in pred.sigma],
        },
        "cs_curve": {"alpha": [round(float(a), 4) for a in alphas], "share": [round(float(s), 4) for s in shares]},
    }


def combine_classes(per_class: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Top-level numbers over classes: Fisher-z average Spearman (as the paper's tables), mean R-ℓ2 and MSE."""
    if not per_class:
        raise ValueError("no classes to combine")
    rows = list(per_class.values())
    if len(rows) == 1:
        only = rows[0]
        return {k: only[k] for k in ("spearman", "rl2", "mse", "mae", "n")}
    return {
        "spearman": fisher_z_mean([r["spearman"] for r in rows]),
        "spearman_average": "fisher-z",
        "rl2": float(np.mean([r["rl2"] for r in rows])),
        "mse": float(np.mean([r["mse"] for r in rows])),
        "mae": float(np.mean([r["mae"] for r in rows])),
        "n": int(sum(r["n"] for r in rows)),
    }


def evaluation_report(per_class: dict[str, dict[str, Any]], **extra: Any) -> dict[str, Any]:
    """The JSON `vatp eval` writes: top-level spearman, rl2, mse (+ per class when there are several)."""
    out: dict[str, Any] = {**combine_classes(per_class), **extra}
    if len(per_class) > 1:
        out["classes"] = per_class
    else:
        only = next(iter(per_class.values()))
        out["class"] = next(iter(per_class))
        out["score_range"] = only["score_range"]
        out["scatter"] = only["scatter"]
        out["cs_curve"] = only["cs_curve"]
    return out


def predict_with_pack(
    pack, dataset: FeatureDataset, device: str = "auto", batch_size: int = 16, cancel=None
) -> Prediction:
    """Score a labelled dataset with a model pack (normalisation and ÷DD as the pack says)."""
    from ..devices import resolve_device

    m = pack.manifest
    if m.difficulty == "divide" and dataset.difficulty_mode != "divide":
        raise DatasetError(
            f"pack {m.name!r} predicts score ÷ difficulty, but this dataset has no difficulty degrees "
            "(use a dataset with difficulty, or a pack trained without it)"
        )
    if m.difficulty != "divide" and dataset.difficulty_mode == "divide":
        raise DatasetError(f"pack {m.name!r} predicts the score itself; load the dataset without difficulty division")
    dev = resolve_device(device)
    model = pack.build_model(dev)
    dataset.preload(cancel=cancel)
    if dataset.feature_dim != model.cfg.in_dim:
        raise DatasetError(
            f"pack {m.name!r} expects {model.cfg.in_dim}-d clip features, these files have "
            f"{dataset.feature_dim} (extracted with another backbone?)"
        )
    if pack.needs_dive_code:  # the fused head reads each dive's phrases from the pack's own table
        from .fused import use_pack_table

        use_pack_table(pack, dataset)
    return predict(model, dataset, score_norm=m.score_norm, device=dev, batch_size=batch_size, cancel=cancel)


def write_plots(report: dict[str, Any], folder: str | Path, title: str = "") -> list[Path]:
    """Scatter (Fig. 6) and CS curve (Fig. 7) PNGs for every class of an evaluation report."""
    from ..plots import cs_curve_png, scatter_png

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    classes = report.get("classes") or {report.get("class", "all"): report}
    paths = []
    for cls, r in classes.items():
        safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in str(cls))
        sc = r["scatter"]
        paths.append(
            scatter_png(
                sc["true"],
                sc["pred"],
                folder / f"scatter_{safe}.png",
                title=f"{title} {cls}: Spearman {r['spearman']:.3f}".strip(),
                score_range=r.get("score_range"),
            )
        )
    curves = {str(cls): (r["cs_curve"]["alpha"], r["cs_curve"]["share"]) for cls, r in classes.items()}
    paths.append(cs_curve_png(curves, folder / "cs_curve.png", title=f"{title} cumulative score curve".strip()))
    return paths
