"""Dataset loaders: the public AQA benchmarks and a club's own labelled folder, as `FeatureDataset`s.

``load_split("rg", features_dir, "Ball", "train")`` is the one entry point the CLI and the trainer use.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .base import DatasetError, FeatureDataset, Item, Sample, as_clip_matrix, read_feature_file
from .finefs import FINEFS_CLASSES, FINEFS_EPOCHS, load_finefs
from .fisv import FISV_CLASSES, FISV_EPOCHS, load_fisv
from .generic import GENERIC_EPOCHS, load_generic, read_labels_csv
from .mtl_aqa import MTL_CLASSES, MTL_EPOCHS, load_mtl_aqa
from .rg import RG_CLASSES, RG_EPOCHS, load_rg

__all__ = [
    "DATASETS",
    "DatasetError",
    "DatasetSpec",
    "FeatureDataset",
    "Item",
    "Sample",
    "as_clip_matrix",
    "dataset_spec",
    "load_split",
    "read_feature_file",
    "read_labels_csv",
    "load_rg",
    "load_fisv",
    "load_mtl_aqa",
    "load_finefs",
    "load_generic",
]


@dataclass(frozen=True)
class DatasetSpec:
    """What the CLI needs to know about one dataset: its classes, epochs and title."""

    name: str
    title: str
    classes: tuple[str, ...]
    epochs: dict[str, int] = field(default_factory=dict)
    epochs_from_paper: bool = False
    sport: str = ""
    event_prefix: str = ""


DATASETS: dict[str, DatasetSpec] = {
    "rg": DatasetSpec("rg", "Rhythmic Gymnastics", RG_CLASSES, RG_EPOCHS, True, "rhythmic gymnastics", "RG"),
    "fisv": DatasetSpec("fisv", "Fis-V", FISV_CLASSES, FISV_EPOCHS, False, "figure skating", "Fis-V"),
    "mtl": DatasetSpec("mtl", "MTL-AQA", MTL_CLASSES, MTL_EPOCHS, False, "diving", "MTL-AQA"),
    "finefs": DatasetSpec("finefs", "FineFS", FINEFS_CLASSES, FINEFS_EPOCHS, False, "figure skating", "FineFS"),
    "generic": DatasetSpec("generic", "labelled folder", ("all",), {"all": GENERIC_EPOCHS}, False, "", ""),
}
_ALIASES = {"mtl-aqa": "mtl", "mtl_aqa": "mtl", "fis-v": "fisv", "folder": "generic", "club": "generic"}


def dataset_spec(name: str) -> DatasetSpec:
    key = _ALIASES.get(name.lower(), name.lower())
    if key not in DATASETS:
        raise DatasetError(f"unknown dataset {name!r}; choose from {', '.join(DATASETS)}")
    return DATASETS[key]


def load_split(
    name: str,
    features: str | Path,
    cls: str | None,
    split: str,
    *,
    annotations: str | Path | None = None,
    **kwargs: Any,
) -> FeatureDataset:
    """Load one class's train or test split of a named dataset (``cls`` None for single-class datasets)."""
    spec = dataset_spec(name)
    if spec.name == "generic":  # one class: the folder (its name is what packs record)
        return load_generic(features, split, labels=Path(annotations) if annotations else None, **kwargs)
    if cls is None or cls == "all":
        if len(spec.classes) > 1:
            raise DatasetError(f"{spec.title} has several classes ({', '.join(spec.classes)}); pick one")
        cls = spec.classes[0]
    matches = [c for c in spec.classes if c.lower() == cls.lower()]
    if not matches:
        raise DatasetError(f"{spec.title} has no class {cls!r}; choose from {', '.join(spec.classes)}")
    cls = matches[0]
    if spec.name == "rg":
        return load_rg(features, cls, split, annotations=annotations, **kwargs)
    if spec.name == "fisv":
        return load_fisv(features, cls, split, annotations=annotations, **kwargs)
    if spec.name == "mtl":
        return load_mtl_aqa(features, split, annotations=annotations, **kwargs)
    return load_finefs(features, cls, split, annotations=annotations, **kwargs)
