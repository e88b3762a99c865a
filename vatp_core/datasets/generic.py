"""A club's own judged routines: a folder of videos or of feature files plus ``labels.csv``.

``labels.csv`` has a header with ``file`` and ``score`` and, optionally, ``difficulty``, ``phrases``
(``;``-separated sub-action descriptions in order) and ``split`` (train / test). Files are paths
relative to the folder. Feature files (.npy/.npz/.pkl/.pt, (T, D)) are read directly; videos are run
through a backbone (default ``tiny``) once, through the shared feature cache, when first needed.
Without a split column, a seeded 20 % of the routines is the test set.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..csv_reader import read_csv
from ..video.formats import is_video_filename
from .base import DatasetError, FeatureDataset, Sample, full_range, read_feature_file

FEATURE_SUFFIXES = (".npy", ".npz", ".pkl", ".pickle", ".pt", ".pth")
GENERIC_EPOCHS = 100
LABELS_FILE = "labels.csv"


def read_labels_csv(path: str | Path) -> list[dict]:
    """Rows of a labels.csv as ``{"file", "score", "difficulty", "phrases", "split"}`` with checked values."""
    table = read_csv(path, what="labels file", error=DatasetError)
    p = table.path
    file_col, score_col = table.require("file"), table.require("score")
    rows = []
    for row in table.rows:
        file = row.text(file_col)
        if not file:
            continue
        phrases = tuple(s.strip() for s in row.text(table.find("phrases")).split(";") if s.strip())
        split = row.text(table.find("split")).lower() or None
        if split not in (None, "train", "test", "val"):
            row.fail(f"split must be train, test or val, not {split!r}")
        rows.append(
            {
                "file": file,
                "score": row.number(score_col),
                "difficulty": row.optional_number(table.find("difficulty")),
                "phrases": phrases,
                "split": split,
            }
        )
    if not rows:
        raise DatasetError(f"{p} lists no routines")
    names = [r["file"] for r in rows]
    if len(set(names)) != len(names):
        dup = next(n for n in names if names.count(n) > 1)
        raise DatasetError(f"{p}: {dup!r} is listed twice")
    return rows


def _source(sample: Sample) -> Path:
    if sample.source is None:
        raise DatasetError(f"sample {sample.name!r} has no file")
    return sample.source


class VideoFeatures:
    """Extracts a video's clip features with one backbone, loaded on first use.

    A sample whose meta holds ``video_start`` / ``video_end`` (an MTL-AQA dive inside its competition video)
    is extracted over those frames only (end exclusive).
    """

    def __init__(self, backbone: str, protocol: str | None, device: str, progress, cancel, weights=None) -> None:
        self.backbone_name = backbone
        self.weights = weights
        self.protocol_name = protocol
        self.device = device
        self.progress = progress
        self.cancel = cancel
        self._backbone: Any = None  # LoadedBackbone, built on first use
        self._protocol: Any = None  # ClipProtocol

    @property
    def backbone(self):
        if self._backbone is None:
            from ..features import load_backbone
            from ..features.known_weights import preferred_weights_id

            name = self.protocol_name
            name = name.get("name") if isinstance(name, dict) else getattr(name, "name", name)
            self._backbone = load_backbone(
                self.backbone_name,
                weights=self.weights,
                device=self.device,
                prefer_weights=preferred_weights_id(self.backbone_name, name),
            )
        return self._backbone

    @property
    def protocol(self):
        if self._protocol is None:
            from ..protocols import ClipProtocol, get_protocol

            spec = self.backbone.spec
            if isinstance(self.protocol_name, ClipProtocol):
                self._protocol = self.protocol_name
            elif isinstance(self.protocol_name, dict):  # e.g. a model pack's protocol
                self._protocol = ClipProtocol.from_dict(self.protocol_name)
            elif self.protocol_name:
                self._protocol = get_protocol(self.protocol_name)
            else:
                self._protocol = get_protocol("generic", clip_len=spec.clip_len, stride=spec.clip_len)
        return self._protocol

    def __call__(self, sample: Sample) -> np.ndarray:
        from ..features import extract_features
        from .base import as_clip_matrix

        out = extract_features(
            _source(sample),
            self.backbone,
            self.protocol,
            cancel=self.cancel,
            progress=self.progress,
            start=int(sample.meta.get("video_start", 0)),
            end=sample.meta.get("video_end"),
        )
        return as_clip_matrix(out.features, _source(sample))


def _protocol_name(protocol) -> str | None:
    if protocol is None or isinstance(protocol, str):
        return protocol
    return protocol.get("name") if isinstance(protocol, dict) else getattr(protocol, "name", None)


def load_generic(
    folder: str | Path,
    split: str = "train",
    *,
    labels: str | Path | None = None,
    difficulty_mode: str = "none",
    test_fraction: float = 0.2,
    seed: int = 0,
    backbone: str | None = None,
    protocol=None,
    device: str = "auto",
    backbone_weights=None,
    train_crop: int | None = None,
    phrase_encoder: str = "hash",
    progress: Callable[[str, int, int], None] | None = None,
    cancel=None,
) -> FeatureDataset:
    """The train, test or all routines of a club folder.

    For videos, ``backbone_weights`` (a file or state dict) overrides the installed weights of ``backbone``;
    ``protocol`` is a protocol name, a `ClipProtocol` or its dict (default: the backbone's clip length, no overlap).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DatasetError(f"not a folder: {folder}")
    labels_path = Path(labels) if labels else folder / LABELS_FILE
    rows = read_labels_csv(labels_path)
    if split not in ("train", "test", "all"):
        raise DatasetError(f"split must be train, test or all, not {split!r}")
    missing = [r["file"] for r in rows if not (folder / r["file"]).is_file()]
    if missing:
        raise DatasetError(
            f"{len(missing)} files listed in {labels_path.name} are missing in {folder} (first: {missing[0]})"
        )
    kinds = {
        "video"
        if is_video_filename(r["file"])
        else "features"
        if Path(r["file"]).suffix.lower() in FEATURE_SUFFIXES
        else "other"
        for r in rows
    }
    if "other" in kinds:
        bad = next(
            r["file"]
            for r in rows
            if not is_video_filename(r["file"]) and Path(r["file"]).suffix.lower() not in FEATURE_SUFFIXES
        )
        raise DatasetError(f"{bad}: neither a video nor a feature file ({', '.join(FEATURE_SUFFIXES)})")
    if len(kinds) > 1:
        raise DatasetError(f"{labels_path} mixes videos and feature files; use one kind per folder")
    kind = kinds.pop()
    if difficulty_mode == "divide":
        bad = [r["file"] for r in rows if not r["difficulty"] or r["difficulty"] <= 0]
        if bad:
            raise DatasetError(f"difficulty 'divide' needs a positive difficulty for every routine (missing: {bad[0]})")

    if split == "all":
        chosen = rows
    elif any(r["split"] for r in rows):
        want = {"train": ("train", "val"), "test": ("test",)}[split]
        chosen = [r for r in rows if (r["split"] or "train") in want]
    else:
        n_test = max(1, int(round(len(rows) * test_fraction))) if len(rows) > 1 else 0
        order = np.random.default_rng(seed).permutation(len(rows))
        test_idx = set(order[:n_test].tolist())
        chosen = [r for i, r in enumerate(rows) if (i in test_idx) == (split == "test")]
    if not chosen:
        raise DatasetError(f"no routines in the {split} split of {labels_path}")
    samples = [
        Sample(
            name=r["file"],
            score=r["score"],
            source=folder / r["file"],
            difficulty=r["difficulty"],
            phrases=r["phrases"],
            meta={"split": r["split"]},
        )
        for r in chosen
    ]
    if kind == "video":
        loader: Callable[[Sample], np.ndarray] = VideoFeatures(
            backbone or "tiny", protocol, device, progress, cancel, backbone_weights
        )
        backbone_name, protocol_name = backbone or "tiny", _protocol_name(protocol)
    else:
        # feature files: the backbone that made them is whatever the user says it was
        loader, backbone_name, protocol_name = (
            (lambda s: read_feature_file(_source(s))),
            backbone or "",
            _protocol_name(protocol),
        )
    ds = FeatureDataset(
        samples,
        dataset="generic",
        cls=folder.name or "routines",
        split=split,
        score_range=full_range([r["score"] for r in rows]),
        difficulty_mode=difficulty_mode,
        train_crop=train_crop,
        protocol=protocol_name,
        backbone=backbone_name,
        feature_root=folder,
        phrase_encoder=phrase_encoder,
        loader=loader,
        extractor=loader if kind == "video" else None,
        description=f"{kind} in {folder} labelled by {labels_path.name}, {split} split",
    )
    return ds
