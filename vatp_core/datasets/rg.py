"""Rhythmic Gymnastics (Zeng et al., ACM MM 2020) in the GDLT feature layout.

``<features>/<Video_Name>.npy`` of shape (n_clips, 1024) (Video Swin, 32-frame clips at 25 fps) and
``train.txt`` / ``test.txt`` (header, then ``Video_Name Difficulty_Score Execution_Score Total_Score Penalty
Video_length``). One model per apparatus, trained on Total_Score, random 68-clip crops in training.
"""

from __future__ import annotations

from pathlib import Path

from .base import DatasetError, FeatureDataset, Sample, find_file, full_range, gdlt_dataset, with_sources

RG_CLASSES: tuple[str, ...] = ("Ball", "Clubs", "Hoop", "Ribbon")
RG_EPOCHS: dict[str, int] = {"Ball": 300, "Clubs": 400, "Hoop": 500, "Ribbon": 300}  # paper §IV-A2, after ACTION-NET
RG_TRAIN_CROP = 68
RG_SCORES = ("Total_Score", "Difficulty_Score", "Execution_Score")
_COLUMNS = ("Video_Name", "Difficulty_Score", "Execution_Score", "Total_Score", "Penalty", "Video_length")


def read_rg_split(path: str | Path) -> list[dict]:
    """Rows of an RG split file as dicts keyed by the header's column names."""
    p = Path(path)
    rows = []
    lines = p.read_text(encoding="utf-8").splitlines()
    if not lines:
        raise DatasetError(f"{p} is empty")
    header = lines[0].split()
    if header[:1] != ["Video_Name"]:
        raise DatasetError(f"{p}: expected a header starting with Video_Name, got {lines[0][:60]!r}")
    for n, line in enumerate(lines[1:], start=2):
        parts = line.split()
        if not parts:
            continue
        if len(parts) < 4:
            raise DatasetError(f"{p}:{n}: expected {len(_COLUMNS)} columns, got {len(parts)}")
        row: dict = {"Video_Name": parts[0]}
        for key, value in zip(header[1:], parts[1:]):
            try:
                row[key] = float(value)
            except ValueError as exc:
                raise DatasetError(f"{p}:{n}: {key} is not a number: {value!r}") from exc
        rows.append(row)
    return rows


def rg_annotation_dir(features: Path, annotations: str | Path | None) -> Path:
    """Where train.txt / test.txt are: the given folder, else beside or above the features."""
    features = Path(features)
    found = find_file("train.txt", Path(annotations) if annotations else None, features, features.parent)
    if found is None:
        raise DatasetError(
            f"RG split files (train.txt, test.txt) not found in {annotations or features} or its parent; "
            "pass --annotations DIR"
        )
    return found.parent


def load_rg(
    features: str | Path,
    apparatus: str,
    split: str = "train",
    *,
    annotations: str | Path | None = None,
    score: str = "Total_Score",
    phrase_encoder: str = "hash",
) -> FeatureDataset:
    """One apparatus' train or test set, with feature files checked up front."""
    if apparatus not in RG_CLASSES:
        raise DatasetError(f"unknown RG apparatus {apparatus!r}; choose from {', '.join(RG_CLASSES)}")
    if split not in ("train", "test"):
        raise DatasetError(f"RG split must be 'train' or 'test', not {split!r}")
    if score not in RG_SCORES:
        raise DatasetError(f"RG score must be one of {RG_SCORES}")
    features = Path(features)
    ann = rg_annotation_dir(features, annotations)
    all_rows = {
        s: [r for r in read_rg_split(ann / f"{s}.txt") if r["Video_Name"].split("_")[0] == apparatus]
        for s in ("train", "test")
    }
    rows = all_rows[split]
    if not rows:
        raise DatasetError(f"no {apparatus} routines in {ann / (split + '.txt')}")
    samples = [
        Sample(name=r["Video_Name"], score=r[score], meta={k: v for k, v in r.items() if k != "Video_Name"})
        for r in rows
    ]
    samples = with_sources(samples, features, lambda s: (f"{s.name}.npy", f"{s.name}.npz", f"{s.name}.pkl"))
    rng = full_range([r[score] for rows_ in all_rows.values() for r in rows_])
    description = f"Rhythmic Gymnastics {apparatus}, {score}, official {split} split ({ann})"
    return gdlt_dataset(samples, "rg", apparatus, split, rng, RG_TRAIN_CROP, features, phrase_encoder, description)
