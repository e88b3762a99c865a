"""FineFS figure skating (Ji et al., ACM MM 2023) in its published layout.

``data/annotation/<i>.json`` and ``data/video_features/<i>.pkl`` for i = 0…1166; 0–728 short programs (SP),
729–1166 free skating (FS). Targets: ``total_element_score`` (TES) and
``total_program_component_score(factored)`` (PCS). Train/test 4:1 (SP 583:146, FS 350:88) as the FineFS
baselines draw it: ids shuffled by numpy's legacy generator seeded 42, the first part for training.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .base import DatasetError, FeatureDataset, Sample, full_range, with_sources

FINEFS_CLASSES: tuple[str, ...] = ("SP-PCS", "SP-TES", "FS-PCS", "FS-TES")
FINEFS_EPOCHS: dict[str, int] = {c: 300 for c in FINEFS_CLASSES}  # not stated in the paper; our default
FINEFS_TRAIN_CROP = 124
PROGRAMS = {"SP": (range(0, 729), 583), "FS": (range(729, 1167), 350)}
SCORE_KEYS = {"TES": "total_element_score", "PCS": "total_program_component_score(factored)"}
SPLIT_SEED = 42


def finefs_split_ids(program: str, split: str, seed: int = SPLIT_SEED) -> list[int]:
    """The sample ids of one program's train or test split."""
    ids, n_train = PROGRAMS[program]
    order = np.array(list(ids))
    np.random.RandomState(seed).shuffle(order)
    chosen = order[:n_train] if split == "train" else order[n_train:]
    return [int(i) for i in chosen]


def finefs_dirs(features: Path, annotations: str | Path | None) -> tuple[Path, Path]:
    """(feature folder, annotation folder) from the data root, the video_features folder, or explicit paths."""
    features = Path(features)
    if (features / "video_features").is_dir():
        feat_dir = features / "video_features"
    elif (features / "data" / "video_features").is_dir():
        feat_dir = features / "data" / "video_features"
    else:
        feat_dir = features
    candidates = (
        [Path(annotations)]
        if annotations
        else [feat_dir.parent / "annotation", features / "annotation", features / "data" / "annotation"]
    )
    for c in candidates:
        if c.is_dir():
            return feat_dir, c
    raise DatasetError(
        f"FineFS annotation folder not found (looked in {', '.join(map(str, candidates))}); pass --annotations DIR"
    )


def read_finefs_annotation(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise DatasetError(f"FineFS annotation missing: {path}") from exc
    except json.JSONDecodeError as exc:
        raise DatasetError(f"{path}: not valid JSON ({exc})") from exc
    for key in SCORE_KEYS.values():
        if key not in data:
            raise DatasetError(f"{path}: no {key!r}")
    return data


def load_finefs(
    features: str | Path,
    cls: str,
    split: str = "train",
    *,
    annotations: str | Path | None = None,
    phrase_encoder: str = "hash",
) -> FeatureDataset:
    """One of SP-PCS, SP-TES, FS-PCS, FS-TES, train or test."""
    if cls not in FINEFS_CLASSES:
        raise DatasetError(f"unknown FineFS class {cls!r}; choose from {', '.join(FINEFS_CLASSES)}")
    if split not in ("train", "test"):
        raise DatasetError(f"FineFS split must be 'train' or 'test', not {split!r}")
    program, target = cls.split("-")
    feat_dir, ann_dir = finefs_dirs(Path(features), annotations)
    key = SCORE_KEYS[target]
    ids = finefs_split_ids(program, split)
    annotations_by_id = {i: read_finefs_annotation(ann_dir / f"{i}.json") for i in PROGRAMS[program][0]}
    all_scores = [float(a[key]) for a in annotations_by_id.values()]
    samples = []
    for i in ids:
        a = annotations_by_id[i]
        elements = a.get("executed_element") or {}
        names = (
            [
                str(e.get("element", ""))
                for _, e in sorted(elements.items(), key=lambda kv: int(kv[0]))
                if isinstance(e, dict)
            ]
            if isinstance(elements, dict)
            else []
        )
        samples.append(
            Sample(
                name=str(i),
                score=float(a[key]),
                meta={"TES": float(a[SCORE_KEYS["TES"]]), "PCS": float(a[SCORE_KEYS["PCS"]]), "elements": names},
            )
        )
    samples = with_sources(samples, feat_dir, lambda s: (f"{s.name}.pkl", f"{s.name}.npy"))
    return FeatureDataset(
        samples,
        dataset="finefs",
        cls=cls,
        split=split,
        score_range=full_range(all_scores),
        train_crop=FINEFS_TRAIN_CROP,
        protocol="vst-gdlt",
        backbone="swin3d_b",
        feature_root=feat_dir,
        phrase_encoder=phrase_encoder,
        description=f"FineFS {program} {target}, seeded 4:1 {split} split ({ann_dir})",
    )
