"""Training the clip backbone jointly with VATP-Net from videos (the paper's MTL-AQA setting, §IV-A2).

The backbone a video dataset extracts with (its ``extractor``) is copied and trained: each batch's decoded
uint8 clips (`ClipStore`) are normalised on the device as `vatp extract` normalises them and run through it,
and the clip vectors feed VATP-Net, so the losses reach the backbone. Its learning rate is its own (1e-4 in
the paper), the rest trains at the preset's. At the end every set the run reports on gets the fine-tuned
backbone's features, so calibration, baselines and the pack see what scoring with the pack will compute.
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from ..datasets.base import DatasetError, FeatureDataset
from .batching import Batch, FeatureBatches
from .clip_store import ClipStore

if TYPE_CHECKING:
    from ..features.backbones import LoadedBackbone
    from ..protocols import ClipProtocol

PAPER_BACKBONE_LR = 1e-4  # §IV-A2: "an initial learning rate of 10^-4 for the MTL-AQA dataset"


@dataclass(frozen=True)
class FinetuneRecipe:
    """How the backbone was trained: what a pack's manifest records under ``training.backbone_finetune``."""

    backbone: str
    initial_weights: str  # the weights id (or source) it started from
    initial_weights_hash: str
    backbone_lr: float
    lr: float
    optimizer: str
    precision: str
    protocol: str
    preprocess: str
    clips_per_video: int | None  # None: as many as the video's length gives
    frames_per_clip: int
    batchnorm: str = "batch statistics while training, running statistics when scoring"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class FinetunedExtractor:
    """A dataset's ``extractor`` after fine-tuning: the trained backbone and the protocol it reads clips with."""

    backbone: "LoadedBackbone"
    protocol: "ClipProtocol"


class ClipEncoder:
    """The backbone being trained: (B, T, L, H, W, 3) uint8 clips on the device → (B, T, D) clip vectors."""

    def __init__(
        self,
        loaded: "LoadedBackbone",
        device: torch.device,
        mean: tuple[float, float, float],
        std: tuple[float, float, float],
    ) -> None:
        """A trainable copy of ``loaded`` on ``device``; ``mean`` / ``std`` are the protocol preprocessing's."""
        self.spec = loaded.spec
        self.module = copy.deepcopy(loaded.module).to(device).requires_grad_(True)
        self.device = device
        self.mean, self.std = mean, std

    def __call__(self, clips: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        from ..features.preprocess import normalise

        b, t = mask.shape
        x = normalise(clips[mask], self.mean, self.std)  # (n, 3, L, H, W) float32, as extraction feeds the backbone
        y = self.module(x).float()  # float32 clip vectors, as stored features are, whatever the autocast
        out = y.new_zeros((b, t, y.shape[-1]))
        out[mask] = y
        return out

    def loaded(self, recipe: FinetuneRecipe) -> "LoadedBackbone":
        """The fine-tuned backbone as the feature pipeline loads one (eval mode, frozen, its own weights hash)."""
        from ..features.backbones import LoadedBackbone, state_dict_hash

        module = copy.deepcopy(self.module).eval().requires_grad_(False)
        return LoadedBackbone(
            spec=self.spec,
            module=module,
            weights_hash=state_dict_hash(module.state_dict()),
            weights_source=f"fine-tuned from {recipe.initial_weights}",
            extra={"fine_tuned": recipe.to_dict()},
        )


class ClipBatches(FeatureBatches):
    """Batches of a video dataset's decoded clips, encoded by the backbone being trained (a `BatchSource`)."""

    read_ahead = True  # the training loop reads the next batch's clips while this one trains

    def __init__(self, dataset: FeatureDataset, store: ClipStore, encoder: ClipEncoder, cancel=None) -> None:
        super().__init__(dataset)
        self.store, self.encoder, self.cancel = store, encoder, cancel

    def row(self, i: int) -> np.ndarray:
        """Sample i's (T, L, H, W, 3) uint8 clips."""
        return self.store.clips(self.dataset.samples[i], self.cancel)

    def encode(self, batch: Batch) -> torch.Tensor:
        """Clip vectors; in eval mode under the autocast extraction uses (bf16 / fp16 on CUDA, fp32 on the CPU)."""
        from ..features.batches import autocast_dtype

        dtype = None if self.encoder.module.training else autocast_dtype(self.encoder.device)
        if dtype is None:  # training: the run's precision already wraps the step
            return self.encoder(batch.features, batch.mask)
        with torch.autocast(device_type=self.encoder.device.type, dtype=dtype):
            return self.encoder(batch.features, batch.mask)

    def modules(self) -> list[torch.nn.Module]:
        return [self.encoder.module]


@dataclass
class FineTuned:
    """The outcome of a fine-tuning run: the trained backbone, how it was trained, and its clip store."""

    encoder: ClipEncoder
    recipe: FinetuneRecipe
    store: ClipStore
    protocol: "ClipProtocol"

    def batches(self, dataset: FeatureDataset, cancel=None) -> ClipBatches:
        return ClipBatches(dataset, self.store, self.encoder, cancel)

    @torch.no_grad()
    def fill(self, dataset: FeatureDataset | None, batch_size: int = 4, cancel=None) -> None:
        """Give ``dataset`` the fine-tuned backbone's features (eval mode, the precision extraction uses)."""
        from .inference import evaluating

        if dataset is None or len(dataset) == 0:
            return
        src = self.batches(dataset, cancel)
        loaded = self.encoder.loaded(self.recipe)
        feats: list[np.ndarray] = []
        with evaluating(self.encoder.module):
            for start in range(0, len(dataset), batch_size):
                idx = range(start, min(start + batch_size, len(dataset)))
                batch = src.make(idx).to(self.encoder.device)
                out = src.encode(batch).float().cpu()
                feats.extend(out[j, batch.mask[j].cpu()].numpy() for j in range(len(idx)))
        dataset.set_features(feats, extractor=FinetunedExtractor(loaded, self.protocol))


def start_finetuning(
    train_set: FeatureDataset,
    *,
    device: torch.device,
    lr: float,
    backbone_lr: float,
    precision: str,
    clip_dir: str | None,
) -> FineTuned:
    """The trainable copy of the training set's backbone and the clip store it reads (clips not yet decoded)."""
    ex = train_set.extractor
    if ex is None:
        raise DatasetError(
            "--finetune-backbone trains the backbone from videos, and this dataset is pre-extracted features "
            "(MTL-AQA: give the videos with --videos DIR; a labelled folder: list videos in its labels.csv)"
        )
    loaded = ex.backbone  # loads the weights: a missing file is reported here, before any decoding
    protocol = ex.protocol
    store = ClipStore(protocol, loaded.spec, clip_dir)
    encoder = ClipEncoder(loaded, device, store.prep.mean, store.prep.std)
    recipe = FinetuneRecipe(
        backbone=loaded.spec.name,
        initial_weights=loaded.weights_id or loaded.weights_source,
        initial_weights_hash=loaded.weights_hash,
        backbone_lr=float(backbone_lr),
        lr=float(lr),
        optimizer="Adam",
        precision=precision,
        protocol=protocol.name,
        preprocess=protocol.preprocess,
        clips_per_video=len(protocol.starts) if protocol.starts is not None else None,
        frames_per_clip=protocol.clip_len,
    )
    return FineTuned(encoder=encoder, recipe=recipe, store=store, protocol=protocol)
