"""Batches of variable-length clip sequences: padding + mask, random crops, padded phrase sets."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, Sequence

import numpy as np
import torch

from ..datasets.base import FeatureDataset


@dataclass
class Batch:
    features: torch.Tensor  # (B, T, D) float32, zero-padded; (B, T, 0) when the batch carries clips instead
    mask: torch.Tensor  # (B, T) bool, True = valid clip
    target: torch.Tensor  # (B,) float32 (normalised when the trainer normalises)
    phrases: torch.Tensor | None  # (B, L, 768)
    phrase_mask: torch.Tensor | None  # (B, L) bool
    phrase_set_ids: list[int]
    clips: torch.Tensor | None = None  # (B, T, L, H, W, 3) uint8 frames for a backbone trained with the model

    def to(self, device: torch.device) -> "Batch":
        nb = device.type == "cuda"
        return Batch(
            self.features.to(device, non_blocking=nb),
            self.mask.to(device, non_blocking=nb),
            self.target.to(device, non_blocking=nb),
            None if self.phrases is None else self.phrases.to(device, non_blocking=nb),
            None if self.phrase_mask is None else self.phrase_mask.to(device, non_blocking=nb),
            self.phrase_set_ids,
            None if self.clips is None else self.clips.to(device, non_blocking=nb),
        )


@dataclass(frozen=True)
class BatchOptions:
    """How a training batch is cut: target normalisation, random crop of clips, with or without phrases."""

    norm: tuple[float, float] = (0.0, 1.0)
    crop: int = 0
    generator: torch.Generator | None = None
    with_phrases: bool = True


EVAL_BATCH = BatchOptions(with_phrases=False)


class BatchSource(Protocol):
    """Where a run's batches come from and how a batch becomes the model's (B, T, D) input."""

    def make(self, indices: Sequence[int], opts: BatchOptions = EVAL_BATCH) -> Batch: ...

    def encode(self, batch: Batch) -> torch.Tensor: ...

    def modules(self) -> list[torch.nn.Module]: ...


class FeatureBatches:
    """Batches of a dataset's stored clip features: the model reads them as they are."""

    def __init__(self, dataset: FeatureDataset) -> None:
        self.dataset = dataset

    def make(self, indices: Sequence[int], opts: BatchOptions = EVAL_BATCH) -> Batch:
        return make_batch(
            self.dataset,
            indices,
            norm=opts.norm,
            crop=opts.crop,
            generator=opts.generator,
            with_phrases=opts.with_phrases,
        )

    def encode(self, batch: Batch) -> torch.Tensor:
        return batch.features

    def modules(self) -> list[torch.nn.Module]:
        return []


def random_crop(features: np.ndarray, length: int, generator: torch.Generator) -> np.ndarray:
    """A contiguous window of ``length`` clips at a random start (the whole sequence when shorter)."""
    t = features.shape[0]
    if length <= 0 or t <= length:
        return features
    start = int(torch.randint(0, t - length + 1, (1,), generator=generator))
    return features[start : start + length]


def pad_sequences(seqs: Sequence[np.ndarray]) -> tuple[torch.Tensor, torch.Tensor]:
    """Stack (T_i, D) arrays into (B, T_max, D) with a (B, T_max) validity mask."""
    t_max = max(s.shape[0] for s in seqs)
    d = seqs[0].shape[1]
    out = torch.zeros(len(seqs), t_max, d, dtype=torch.float32)
    mask = torch.zeros(len(seqs), t_max, dtype=torch.bool)
    for i, s in enumerate(seqs):
        out[i, : s.shape[0]] = torch.from_numpy(np.ascontiguousarray(s, dtype=np.float32))
        mask[i, : s.shape[0]] = True
    return out, mask


def make_batch(
    dataset: FeatureDataset,
    indices: Sequence[int],
    *,
    norm: tuple[float, float] = (0.0, 1.0),
    crop: int = 0,
    generator: torch.Generator | None = None,
    with_phrases: bool = True,
) -> Batch:
    """Collate samples; phrases are used only when every sample of the batch has a phrase set."""
    feats, targets, phrase_list, set_ids = [], [], [], []
    for i in indices:
        item = dataset[int(i)]
        f = item.features
        if crop and generator is not None:
            f = random_crop(f, crop, generator)
        feats.append(f)
        targets.append((item.score - norm[0]) / norm[1])
        phrase_list.append(item.phrases)
        set_ids.append(item.phrase_set_id)
    x, mask = pad_sequences(feats)
    phrases = phrase_mask = None
    if with_phrases and all(p is not None for p in phrase_list):
        phrases, phrase_mask = pad_sequences(phrase_list)  # type: ignore[arg-type]
    return Batch(x, mask, torch.tensor(targets, dtype=torch.float32), phrases, phrase_mask, set_ids)
