"""The common shape of every AQA dataset: labelled samples over per-video clip features.

A loader (rg.py, fisv.py, …) turns one dataset's annotation files into a `FeatureDataset`; the
trainer and the evaluator only ever see this class. Items unpack as the team contract says:
``features (T, D) float32, score (the training target), phrases (L, 768) or None, phrase_set_id``.
Nothing here imports torch at module level.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, NamedTuple, Sequence

import numpy as np

from ..errors import VATPError


class DatasetError(VATPError):
    """A dataset's files are missing or not in the layout the loader expects."""


@dataclass(frozen=True)
class Sample:
    """One labelled routine: where its features are and what the judges gave it."""

    name: str
    score: float  # the judged score, as published
    source: Path | None = None  # feature file (or video, for the generic layout)
    difficulty: float | None = None  # MTL-AQA degree of difficulty
    phrases: tuple[str, ...] = ()  # ordered sub-action descriptions, when the dataset has them
    meta: dict[str, Any] = field(default_factory=dict, compare=False)


class Item(NamedTuple):
    """What a dataset yields: unpacks as ``features, score, phrases, phrase_set_id``."""

    features: np.ndarray  # (T, D) float32
    score: float  # training target (score, or score ÷ DD when difficulty="divide")
    phrases: np.ndarray | None  # (L, 768) float32 phrase embeddings, or None
    phrase_set_id: int  # equal for samples with the same phrase set (e.g. same dive number); -1 if none


def _read_sample_features(sample: "Sample") -> np.ndarray:
    if sample.source is None:
        raise DatasetError(f"sample {sample.name!r} has no feature file")
    return read_feature_file(sample.source)


def read_feature_file(path: str | Path) -> np.ndarray:
    """Read one video's clip features from .npy / .npz / .pkl (restricted) / .pt (weights only) as (T, D) float32."""
    p = Path(path)
    if not p.is_file():
        raise DatasetError(f"Feature file not found: {p}")
    suffix = p.suffix.lower()
    try:
        if suffix == ".npy":
            arr: Any = np.load(p, allow_pickle=False)
        elif suffix == ".npz":
            with np.load(p, allow_pickle=False) as z:
                key = "features" if "features" in z.files else z.files[0]
                arr = z[key]
        elif suffix in (".pkl", ".pickle"):
            arr = _read_pickle_features(p)
        elif suffix in (".pt", ".pth"):
            import torch

            arr = torch.load(p, map_location="cpu", weights_only=True)
        else:
            raise DatasetError(f"Unsupported feature file type {suffix!r}: {p} (use .npy, .npz, .pkl or .pt)")
    except DatasetError:
        raise
    except Exception as exc:  # corrupt or foreign file: say which one
        from ..safe_pickle import torch_load_reason

        raise DatasetError(f"Could not read features from {p}: {torch_load_reason(exc)}") from None
    return as_clip_matrix(arr, p)


_TORCH_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C


def _read_pickle_features(p: Path) -> Any:
    with open(p, "rb") as fh:
        head = fh.read(4)
    if head.startswith(b"PK"):  # a torch.save zip archive with a .pkl name
        import torch

        return torch.load(p, map_location="cpu", weights_only=True)
    from ..safe_pickle import safe_load

    obj = safe_load(p)
    if isinstance(obj, int) and obj == _TORCH_LEGACY_MAGIC:  # torch's legacy (non-zip) format
        import torch

        return torch.load(p, map_location="cpu", weights_only=True)
    return obj


def as_clip_matrix(arr: Any, where: Path | str = "features") -> np.ndarray:
    """Coerce a loaded feature object to a (T, D) float32 matrix (dict → its feature entry, extra axes averaged)."""
    if isinstance(arr, dict):
        for key in ("features", "feature", "feat", "video_feat", "video_features"):
            if key in arr:
                arr = arr[key]
                break
        else:
            raise DatasetError(f"{where}: no 'features' entry in the stored dict (keys: {sorted(map(str, arr))[:8]})")
    if hasattr(arr, "detach"):  # torch tensor
        arr = arr.detach().cpu().float().numpy()
    if isinstance(arr, (list, tuple)):
        arr = np.stack([np.asarray(a, dtype=np.float32).reshape(-1) for a in arr])
    try:
        arr = np.asarray(arr, dtype=np.float32)
    except (TypeError, ValueError) as exc:
        raise DatasetError(f"{where}: not a numeric feature matrix ({exc})") from exc
    if arr.ndim == 0:
        raise DatasetError(f"{where}: holds a single number, not clip features")
    if arr.ndim == 1:
        arr = arr[None, :]
    elif arr.ndim > 2:  # e.g. (T, crops, D): average the middle axes
        arr = arr.reshape(arr.shape[0], -1, arr.shape[-1]).mean(axis=1)
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise DatasetError(f"{where}: empty feature matrix {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise DatasetError(f"{where}: features contain NaN or infinite values")
    return np.ascontiguousarray(arr)


class FeatureDataset:
    """Samples of one class (e.g. RG Ball, Fis-V TES) with lazy, memoised feature loading."""

    def __init__(
        self,
        samples: Sequence[Sample],
        *,
        dataset: str,
        cls: str,
        split: str,
        score_range: tuple[float, float],
        difficulty_mode: str = "none",
        train_crop: int | None = None,
        protocol: str | None = None,
        backbone: str | None = None,
        feature_root: str | Path | None = None,
        phrase_encoder: str = "hash",
        loader: Callable[[Sample], np.ndarray] | None = None,
        description: str = "",
        extractor: Any = None,
    ) -> None:
        if difficulty_mode not in ("none", "divide"):
            raise ValueError(f"difficulty_mode must be 'none' or 'divide', not {difficulty_mode!r}")
        self.samples: list[Sample] = list(samples)
        self.dataset = dataset
        self.cls = cls
        self.split = split
        self.score_range = (float(score_range[0]), float(score_range[1]))
        self.difficulty_mode = difficulty_mode
        self.train_crop = train_crop
        self.protocol = protocol
        self.backbone = backbone
        self.feature_root = Path(feature_root) if feature_root is not None else None
        self.phrase_encoder = phrase_encoder
        self.description = description
        self.extractor = extractor  # the video → features extractor (backbone, protocol) when built from videos
        self._loader = loader or _read_sample_features
        self._features: dict[int, np.ndarray] = {}
        self._phrase_cache: dict[tuple[object, ...], np.ndarray] = {}
        self.text_tokens = False  # phrase_embeddings gives token embeddings (set by training from the model config)
        phrase_sets = sorted({s.phrases for s in self.samples if s.phrases})
        self._phrase_ids = {ps: i for i, ps in enumerate(phrase_sets)}
        if difficulty_mode == "divide":
            missing = [s.name for s in self.samples if not s.difficulty]
            if missing:
                raise DatasetError(f"{len(missing)} samples have no difficulty degree (first: {missing[0]})")

    # --- sizes and labels -------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.samples)

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.samples]

    @property
    def has_phrases(self) -> bool:
        return any(s.phrases for s in self.samples)

    def scores(self) -> np.ndarray:
        """Judged scores as published (what metrics compare against)."""
        return np.array([s.score for s in self.samples], dtype=np.float64)

    def difficulties(self) -> np.ndarray | None:
        if self.difficulty_mode != "divide":
            return None
        return np.array([s.difficulty for s in self.samples], dtype=np.float64)

    def target(self, i: int) -> float:
        """What the model regresses for sample i (score ÷ DD for MTL-AQA)."""
        s = self.samples[i]
        if self.difficulty_mode == "divide":
            if not s.difficulty:
                raise DatasetError(f"sample {s.name!r} has no difficulty degree to divide by")
            return s.score / s.difficulty
        return s.score

    def targets(self) -> np.ndarray:
        return np.array([self.target(i) for i in range(len(self))], dtype=np.float64)

    def to_score(self, targets: np.ndarray) -> np.ndarray:
        """Map model targets back to judged scores (× DD where the model predicts score ÷ DD)."""
        t = np.asarray(targets, dtype=np.float64)
        d = self.difficulties()
        return t * d if d is not None else t

    # --- features and phrases ---------------------------------------------------------------
    def features(self, i: int) -> np.ndarray:
        if i not in self._features:
            self._features[i] = self._loader(self.samples[i])
        return self._features[i]

    def set_features(self, features: Sequence[np.ndarray], extractor: Any = None) -> None:
        """Replace every sample's features, e.g. by those of a backbone fine-tuned on these videos (its extractor)."""
        if len(features) != len(self):
            raise DatasetError(f"{len(features)} feature matrices for {len(self)} samples")
        self._features = {i: as_clip_matrix(f, self.samples[i].name) for i, f in enumerate(features)}
        if extractor is not None:
            self.extractor = extractor

    @property
    def feature_dim(self) -> int:
        return int(self.features(0).shape[1]) if len(self) else 0

    def preload(self, progress: Callable[[str, int, int], None] | None = None, cancel=None) -> None:
        """Read every feature file now (training touches each one every epoch)."""
        from ..errors import check_cancel

        for i in range(len(self)):
            check_cancel(cancel)
            self.features(i)
            if progress:
                progress("load", i + 1, len(self))
        dims = {self.features(i).shape[1] for i in range(len(self))}
        if len(dims) > 1:
            raise DatasetError(f"{self.dataset}/{self.cls}: feature files disagree on the feature size {sorted(dims)}")

    def phrase_set_id(self, i: int) -> int:
        return self._phrase_ids.get(self.samples[i].phrases, -1)

    def phrase_embeddings(self, i: int) -> np.ndarray | None:
        ps = self.samples[i].phrases
        if not ps:
            return None
        key = (self.text_tokens, *ps)
        if key not in self._phrase_cache:
            from ..phrases import embed_phrases, embed_tokens

            embed = embed_tokens if self.text_tokens else embed_phrases
            self._phrase_cache[key] = np.asarray(embed(list(ps), encoder=self.phrase_encoder), dtype=np.float32)
        return self._phrase_cache[key]

    def __getitem__(self, i: int) -> Item:
        if not -len(self) <= i < len(self):
            raise IndexError(i)
        i = i % len(self)
        return Item(self.features(i), float(self.target(i)), self.phrase_embeddings(i), self.phrase_set_id(i))

    # --- subsets ----------------------------------------------------------------------------
    def subset(self, indices: Sequence[int], split: str) -> "FeatureDataset":
        """A dataset over some of these samples that shares the loaded features."""
        idx = [int(i) for i in indices]
        sub = FeatureDataset(
            [self.samples[i] for i in idx],
            dataset=self.dataset,
            cls=self.cls,
            split=split,
            score_range=self.score_range,
            difficulty_mode=self.difficulty_mode,
            train_crop=self.train_crop,
            protocol=self.protocol,
            backbone=self.backbone,
            feature_root=self.feature_root,
            phrase_encoder=self.phrase_encoder,
            loader=self._loader,
            description=self.description,
            extractor=self.extractor,
        )
        sub._features = {new: self._features[old] for new, old in enumerate(idx) if old in self._features}
        sub._phrase_cache = self._phrase_cache
        sub.text_tokens = self.text_tokens
        return sub

    def split_validation(self, fraction: float = 0.2, seed: int = 0) -> tuple["FeatureDataset", "FeatureDataset"]:
        """Hold out a seeded fraction of this (training) set for model selection."""
        if not 0.0 < fraction < 1.0:
            raise ValueError("validation fraction must be between 0 and 1")
        n_val = max(1, int(round(len(self) * fraction)))
        if len(self) - n_val < 1:
            raise DatasetError("too few samples to hold out a validation split")
        order = np.random.default_rng(seed).permutation(len(self))
        val_idx, train_idx = sorted(order[:n_val].tolist()), sorted(order[n_val:].tolist())
        return self.subset(train_idx, f"{self.split}-minus-val"), self.subset(val_idx, f"{self.split}-val")

    def info(self) -> dict[str, Any]:
        """What a model pack's manifest records about the data."""
        return {
            "dataset": self.dataset,
            "class": self.cls,
            "split": self.split,
            "n": len(self),
            "score_range": list(self.score_range),
            "difficulty": self.difficulty_mode,
            "train_crop": self.train_crop,
            "protocol": self.protocol,
            "backbone": self.backbone,
            "features": str(self.feature_root) if self.feature_root else None,
            "has_phrases": self.has_phrases,
            "description": self.description,
        }

    def __repr__(self) -> str:
        return f"FeatureDataset({self.dataset}/{self.cls}, split={self.split}, n={len(self)})"


def with_sources(samples: Sequence[Sample], root: Path, candidates: Callable[[Sample], Sequence[str]]) -> list[Sample]:
    """Attach feature-file paths under ``root`` (first existing candidate name); list every missing one in one error."""
    out, missing = [], []
    for s in samples:
        for name in candidates(s):
            path = root / name
            if path.is_file():
                out.append(replace(s, source=path))
                break
        else:
            missing.append(candidates(s)[0])
    if missing:
        more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
        raise DatasetError(f"{len(missing)} feature files missing under {root}: {', '.join(missing[:3])}{more}")
    return out


def full_range(scores: Sequence[float]) -> tuple[float, float]:
    """The (min, max) of a set of published scores, used as R-ℓ2's range."""
    arr = np.asarray(list(scores), dtype=np.float64)
    if arr.size == 0:
        raise DatasetError("no scores")
    lo, hi = float(arr.min()), float(arr.max())
    return (lo, hi) if hi > lo else (lo, lo + 1.0)


def find_file(name: str, *dirs: Path | None) -> Path | None:
    """The first ``dir/name`` that exists (annotation files live beside or above the feature folder)."""
    for d in dirs:
        if d is not None and (Path(d) / name).is_file():
            return Path(d) / name
    return None


def gdlt_dataset(
    samples: list[Sample],
    dataset: str,
    cls: str,
    split: str,
    score_range: tuple[float, float],
    train_crop: int,
    feature_root: Path,
    phrase_encoder: Any,
    description: str,
) -> "FeatureDataset":
    """A dataset on the public GDLT features (RG, Fis-V): Video Swin-B clips of the vst-gdlt protocol."""
    return FeatureDataset(
        samples,
        dataset=dataset,
        cls=cls,
        split=split,
        score_range=score_range,
        train_crop=train_crop,
        protocol="vst-gdlt",
        backbone="swin3d_b",
        feature_root=feature_root,
        phrase_encoder=phrase_encoder,
        description=description,
    )
