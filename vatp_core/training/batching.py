"""Batches of variable-length clip sequences: padding + mask, random crops, padded phrase sets."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Protocol, Sequence

import numpy as np
import torch

from ..datasets.base import FeatureDataset


@dataclass
class Batch:
    features: torch.Tensor  # (B, T, D) float32, zero-padded; or (B, T, L, H, W, 3) uint8 clips the source encodes
    mask: torch.Tensor  # (B, T) bool, True = valid clip
    target: torch.Tensor  # (B,) float32 (normalised when the trainer normalises)
    phrases: torch.Tensor | None  # (B, L, 768)
    phrase_mask: torch.Tensor | None  # (B, L) bool
    phrase_set_ids: list[int]

    def to(self, device: torch.device) -> "Batch":
        nb = device.type == "cuda"
        return Batch(
            self.features.to(device, non_blocking=nb),
            self.mask.to(device, non_blocking=nb),
            self.target.to(device, non_blocking=nb),
            None if self.phrases is None else self.phrases.to(device, non_blocking=nb),
            None if self.phrase_mask is None else self.phrase_mask.to(device, non_blocking=nb),
            self.phrase_set_ids,
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

    def row(self, i: int) -> np.ndarray:
        """Sample i's sequence as the batch carries it: its (T, D) features."""
        return self.dataset.features(i)

    def make(self, indices: Sequence[int], opts: BatchOptions = EVAL_BATCH) -> Batch:
        return make_batch(
            self.dataset,
            indices,
            norm=opts.norm,
            crop=opts.crop,
            generator=opts.generator,
            with_phrases=opts.with_phrases,
            rows=self.row,
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
    """Stack (T_i, ...) arrays into (B, T_max, ...) with a (B, T_max) validity mask (uint8 stays uint8, else float32)."""
    t_max = max(s.shape[0] for s in seqs)
    clips = seqs[0].dtype == np.uint8
    dtype = np.uint8 if clips else np.float32
    out = torch.zeros((len(seqs), t_max, *seqs[0].shape[1:]), dtype=torch.uint8 if clips else torch.float32)
    mask = torch.zeros(len(seqs), t_max, dtype=torch.bool)
    rows = out.numpy()  # the same memory: a read-only (memory-mapped) array is copied straight in
    for i, s in enumerate(seqs):
        rows[i, : s.shape[0]] = np.asarray(s, dtype=dtype)
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
    rows: Callable[[int], np.ndarray] | None = None,
) -> Batch:
    """Collate samples; phrases are used only when every sample of the batch has a phrase set.

    ``rows(i)`` gives sample i's sequence instead of its stored features (e.g. its decoded clips).
    """
    feats, targets, phrase_list, set_ids = [], [], [], []
    for i in indices:
        i = int(i)
        f = rows(i) if rows is not None else dataset.features(i)
        if crop and generator is not None:
            f = random_crop(f, crop, generator)
        feats.append(f)
        targets.append((float(dataset.target(i)) - norm[0]) / norm[1])
        phrase_list.append(dataset.phrase_embeddings(i))
        set_ids.append(dataset.phrase_set_id(i))
    x, mask = pad_sequences(feats)
    phrases = phrase_mask = None
    if with_phrases and all(p is not None for p in phrase_list):
        phrases, phrase_mask = pad_sequences(phrase_list)  # type: ignore[arg-type]
    return Batch(x, mask, torch.tensor(targets, dtype=torch.float32), phrases, phrase_mask, set_ids)
