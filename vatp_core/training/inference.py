"""A trained model's predictions over a dataset, in judged-score units, and its mean sub-action vectors."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Iterator

import numpy as np
import torch

from ..datasets.base import FeatureDataset
from ..errors import check_cancel
from ..model import VATPNet
from .batching import BatchSource, FeatureBatches


@dataclass
class Prediction:
    """Predictions for a dataset, in judged-score units (× DD already applied where the model predicts score ÷ DD)."""

    names: list[str]
    pred: np.ndarray
    sigma: np.ndarray
    true: np.ndarray


@contextlib.contextmanager
def evaluating(*modules: torch.nn.Module) -> Iterator[None]:
    """Every module in eval mode for the block, each put back in the mode it was in."""
    modes = [m.training for m in modules]
    for m in modules:
        m.eval()
    try:
        yield
    finally:
        for m, mode in zip(modules, modes):
            m.train(mode)


def _chunks(dataset: FeatureDataset, batch_size: int) -> Iterator[range]:
    for start in range(0, len(dataset), batch_size):
        yield range(start, min(start + batch_size, len(dataset)))


@torch.no_grad()
def predict(
    model: VATPNet,
    dataset: FeatureDataset,
    *,
    score_norm: dict[str, float] | None = None,
    device: torch.device | str = "cpu",
    batch_size: int = 16,
    cancel=None,
    source: BatchSource | None = None,
) -> Prediction:
    """Full-sequence predictions (μ, σ) for every sample, mapped back to judged scores.

    ``source`` makes the batches (default: the dataset's stored features; a `ClipBatches` runs the backbone
    being fine-tuned on the decoded clips).
    """
    dev = torch.device(device) if isinstance(device, str) else device
    norm = score_norm or {"mean": 0.0, "std": 1.0}
    src = source or FeatureBatches(dataset)
    mus, sigmas = [], []
    with evaluating(model, *src.modules()):
        for idx in _chunks(dataset, batch_size):
            check_cancel(cancel)
            batch = src.make(idx).to(dev)
            out = model(src.encode(batch), batch.mask)
            mus.append(out.mu.float().cpu().numpy())
            sigmas.append(out.sigma.float().cpu().numpy())
    mu = np.concatenate(mus).astype(np.float64) * norm["std"] + norm["mean"]
    sigma = np.concatenate(sigmas).astype(np.float64) * norm["std"]
    d = dataset.difficulties()
    if d is not None:
        sigma = sigma * d
    return Prediction(names=dataset.names, pred=dataset.to_score(mu), sigma=sigma, true=dataset.scores())


@torch.no_grad()
def mean_subactions(
    model: VATPNet, dataset: FeatureDataset, device: torch.device, batch_size: int = 16
) -> np.ndarray | None:
    """Average sub-action vectors over a set: the 'absent sub-action' baseline for Shapley explanations."""
    if model.parseformer is None or len(dataset) == 0:
        return None
    model.eval()
    src = FeatureBatches(dataset)
    total: torch.Tensor | None = None
    for idx in _chunks(dataset, batch_size):
        batch = src.make(idx).to(device)
        sub = model(batch.features, batch.mask).subactions.float().sum(dim=0)
        total = sub if total is None else total + sub
    if total is None:
        return None
    return (total / len(dataset)).cpu().numpy()
