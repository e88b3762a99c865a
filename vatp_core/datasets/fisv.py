"""Fis-V figure skating (Xu et al., TCSVT 2020) in the GDLT feature layout.

``train_dataset.txt`` / ``test_dataset.txt``: ``id TES PCS deductions`` (400 / 100 ladies' short programs);
features ``<features>/<id>.npy`` (n_clips, 1024). TES and PCS are separate models.
"""

from __future__ import annotations

from pathlib import Path

from .base import DatasetError, FeatureDataset, Sample, find_file, full_range, gdlt_dataset, with_sources

FISV_CLASSES: tuple[str, ...] = ("TES", "PCS")
FISV_EPOCHS: dict[str, int] = {"TES": 300, "PCS": 300}  # not stated in the paper; our default
FISV_TRAIN_CROP = 124  # GDLT's clip count for Fis-V training crops
_SPLIT_FILES = {"train": "train_dataset.txt", "test": "test_dataset.txt"}


def read_fisv_split(path: str | Path) -> list[dict]:
    """Rows ``{"id", "TES", "PCS", "deductions"}`` of a Fis-V split file."""
    p = Path(path)
    rows = []
    for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) < 3:
            raise DatasetError(f"{p}:{n}: expected 'id TES PCS [deductions]', got {line[:60]!r}")
        try:
            rows.append(
                {
                    "id": parts[0],
                    "TES": float(parts[1]),
                    "PCS": float(parts[2]),
                    "deductions": float(parts[3]) if len(parts) > 3 else 0.0,
                }
            )
        except ValueError as exc:
            raise DatasetError(f"{p}:{n}: not a number in {line[:60]!r}") from exc
    return rows


def _candidates(s: Sample) -> tuple[str, ...]:
    names = [s.name] + ([f"{int(s.name):03d}"] if s.name.isdigit() else [])
    return tuple(f"{n}{ext}" for ext in (".npy", ".npz", ".pkl") for n in names)


def load_fisv(
    features: str | Path,
    target: str,
    split: str = "train",
    *,
    annotations: str | Path | None = None,
    phrase_encoder: str = "hash",
) -> FeatureDataset:
    """The TES or PCS train/test set."""
    if target not in FISV_CLASSES:
        raise DatasetError(f"Fis-V target must be TES or PCS, not {target!r}")
    if split not in _SPLIT_FILES:
        raise DatasetError(f"Fis-V split must be 'train' or 'test', not {split!r}")
    features = Path(features)
    found = find_file(_SPLIT_FILES["train"], Path(annotations) if annotations else None, features, features.parent)
    if found is None:
        raise DatasetError(
            f"Fis-V split files (train_dataset.txt, test_dataset.txt) not found near {features}; pass --annotations DIR"
        )
    all_rows = {s: read_fisv_split(found.parent / f) for s, f in _SPLIT_FILES.items()}
    samples = [
        Sample(name=r["id"], score=r[target], meta={"TES": r["TES"], "PCS": r["PCS"], "deductions": r["deductions"]})
        for r in all_rows[split]
    ]
    samples = with_sources(samples, features, _candidates)
    rng = full_range([r[target] for rows in all_rows.values() for r in rows])
    description = f"Fis-V ladies' short program, {target}, official {split} split ({found.parent})"
    return gdlt_dataset(samples, "fisv", target, split, rng, FISV_TRAIN_CROP, features, phrase_encoder, description)
