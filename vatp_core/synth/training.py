"""Training the "tiny" backbone on SynthAQA so its clip features carry the sub-action phase and execution quality.

Supervision comes from the generator's ground truth: for each 16-frame clip, the share of its frames in
each phase (idle + four sub-actions; soft cross-entropy) and the execution quality of the sub-actions it
covers (regression weighted by those shares). The clip sees the same frames the scoring pipeline feeds the
backbone (the video decoded, short side resized, centre crop, normalised), so features made here and by
`vatp_core.features.extract_features` agree.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from .routine import SUBACTION_NAMES

N_PHASES = len(SUBACTION_NAMES) + 1  # idle + sub-actions


@dataclass
class DecodedRoutine:
    """A SynthAQA video decoded at the backbone's input size, with its ground truth."""

    name: str
    frames: np.ndarray  # (N, S, S, 3) uint8
    frame_labels: np.ndarray  # (N,) int
    quality: np.ndarray  # (4,) float
    score: float
    phrases: list[str]


def load_routine(video: str | Path, short_side: int, crop: int) -> DecodedRoutine:
    """Decode a SynthAQA video (through the project's reader, as scoring does) and read its `<name>.json`."""
    from ..video import Resize, open_video

    video = Path(video)
    meta = json.loads(video.with_suffix(".json").read_text())
    with open_video(video) as reader:
        frames = np.stack([f for _, f in reader.stream(resize=Resize(short_side=short_side, crop=crop))])
    labels = np.asarray(meta["frame_labels"], dtype=np.int64)
    if len(labels) != len(frames):
        raise ValueError(f"{video.name}: {len(frames)} frames decoded, {len(labels)} labels")
    q = np.array([meta["quality"][n] for n in SUBACTION_NAMES], dtype=np.float32)
    return DecodedRoutine(video.stem, frames, labels, q, float(meta["score"]), list(meta["phrases"]))


def clip_targets(labels: np.ndarray, quality: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(phase shares (5,), quality weights (4,)) of one clip's frame labels; phase 0 is idle."""
    shares = np.bincount(np.asarray(labels) + 1, minlength=N_PHASES).astype(np.float32) / max(1, len(labels))
    return shares, shares[1:].copy()


@dataclass
class BackboneTrainConfig:
    """How long and how hard to train the tiny backbone (small: it runs on a shared CPU)."""

    steps: int = 120
    batch_size: int = 8
    lr: float = 2e-3
    weight_decay: float = 1e-4
    quality_weight: float = 4.0
    stride: int = 8  # clip starts sampled for training
    seed: int = 0
    num_threads: int = 2
    frozen_layers: int = 2  # the first layers (stem, stage1) keep their seeded random init: no backward through them
    time_budget_s: float | None = None  # stop early after this many seconds (the step count still bounds it)


@dataclass
class BackboneTrainResult:
    state_dict: dict
    history: list[dict]
    steps: int
    seconds: float
    config: dict


def _normaliser(spec):
    import torch

    mean = torch.tensor(spec.mean, dtype=torch.float32).view(1, 3, 1, 1, 1)
    std = torch.tensor(spec.std, dtype=torch.float32).view(1, 3, 1, 1, 1)

    def norm(clips_uint8: np.ndarray) -> "torch.Tensor":
        x = torch.from_numpy(clips_uint8).permute(0, 4, 1, 2, 3).float().div_(255.0)  # (B, 3, L, H, W)
        return (x - mean) / std

    return norm


def clip_starts(n_frames: int, clip_len: int, stride: int) -> list[int]:
    return list(range(0, n_frames - clip_len + 1, stride))


def train_tiny_backbone(routines: Sequence[DecodedRoutine], cfg: BackboneTrainConfig,
                        progress: Callable[[str, int, int], None] | None = None) -> BackboneTrainResult:
    """Supervised training of the tiny backbone: phase shares (soft CE) + per-phase quality (weighted MSE)."""
    import torch
    from torch import nn

    from ..features import get_backbone_spec
    from ..features.tiny import TinyBackbone

    spec = get_backbone_spec("tiny")
    torch.manual_seed(cfg.seed)
    prev_threads = torch.get_num_threads()
    torch.set_num_threads(cfg.num_threads)
    rng = np.random.default_rng(cfg.seed)
    index = [(r, s) for r in range(len(routines)) for s in clip_starts(len(routines[r].frames), spec.clip_len, cfg.stride)]
    if not index:
        raise ValueError("no clips to train on")
    targets = [clip_targets(routines[r].frame_labels[s:s + spec.clip_len], routines[r].quality) for r, s in index]
    net = TinyBackbone(feature_dim=spec.feature_dim)
    head = nn.Linear(spec.feature_dim, N_PHASES + len(SUBACTION_NAMES))
    layers = [net.stem, net.stage1, net.stage2, net.stage3, net.project]
    frozen, trained = layers[:cfg.frozen_layers], layers[cfg.frozen_layers:]
    for mod in frozen:
        mod.requires_grad_(False)

    def forward(x: "torch.Tensor") -> "torch.Tensor":
        with torch.no_grad():  # frozen layers still update their BatchNorm statistics
            for mod in frozen:
                x = mod(x)
        for mod in trained:
            x = mod(x)
        return net.pool(x).flatten(1)

    params = [p for p in net.parameters() if p.requires_grad] + list(head.parameters())
    opt = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg.lr, total_steps=cfg.steps, pct_start=0.15)
    norm = _normaliser(spec)
    history: list[dict] = []
    t0 = time.perf_counter()
    net.train()
    order = rng.permutation(len(index))
    pos = 0
    step = 0
    run = {"loss": 0.0, "ce": 0.0, "q": 0.0, "acc": 0.0, "n": 0}
    try:
        for step in range(1, cfg.steps + 1):
            if pos + cfg.batch_size > len(order):
                order, pos = rng.permutation(len(index)), 0
            batch = order[pos:pos + cfg.batch_size]
            pos += cfg.batch_size
            clips = np.stack([routines[index[b][0]].frames[index[b][1]:index[b][1] + spec.clip_len] for b in batch])
            if rng.random() < 0.5:  # the scene is not symmetric, but lighting/framing vary: jitter brightness
                clips = np.clip(clips.astype(np.int16) + int(rng.integers(-20, 21)), 0, 255).astype(np.uint8)
            shares = torch.from_numpy(np.stack([targets[b][0] for b in batch]))
            qw = torch.from_numpy(np.stack([targets[b][1] for b in batch]))
            qt = torch.from_numpy(np.stack([routines[index[b][0]].quality for b in batch]))
            out = head(forward(norm(clips)))
            logits, qpred = out[:, :N_PHASES], torch.sigmoid(out[:, N_PHASES:])
            ce = -(shares * torch.log_softmax(logits, 1)).sum(1).mean()
            qloss = ((qpred - qt) ** 2 * qw).sum(1).mean()
            loss = ce + cfg.quality_weight * qloss
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            run["loss"] += loss.item()
            run["ce"] += ce.item()
            run["q"] += qloss.item()
            run["acc"] += float((logits.argmax(1) == shares.argmax(1)).float().mean())
            run["n"] += 1
            if step % 25 == 0 or step == cfg.steps:
                n = run.pop("n")
                history.append({"step": step, **{k: round(v / n, 4) for k, v in run.items()}, "s": round(time.perf_counter() - t0, 1)})
                run = {"loss": 0.0, "ce": 0.0, "q": 0.0, "acc": 0.0, "n": 0}
            if progress:
                progress("backbone", step, cfg.steps)
            if cfg.time_budget_s is not None and time.perf_counter() - t0 > cfg.time_budget_s:
                break
    finally:
        torch.set_num_threads(prev_threads)
    net.eval()
    state = {k: v.detach().cpu().clone() for k, v in net.state_dict().items()}
    return BackboneTrainResult(state, history, step, time.perf_counter() - t0, asdict(cfg))


def routine_features(routines: Sequence[DecodedRoutine], backbone, protocol, *, batch_size: int = 16,
                     progress: Callable[[str, int, int], None] | None = None) -> list[np.ndarray]:
    """(T, D) clip features of decoded routines under `protocol`, with a loaded backbone (eval mode).

    The same frames and normalisation as the scoring pipeline; used to featurise many short videos
    already held in memory without decoding them again.
    """
    import torch

    norm = _normaliser(backbone.spec)
    out: list[np.ndarray] = []
    with torch.inference_mode():
        for k, r in enumerate(routines):
            clips = protocol.clip_indices(len(r.frames))
            feats = []
            for i in range(0, len(clips), batch_size):
                x = np.stack([r.frames[c] for c in clips[i:i + batch_size]])
                feats.append(backbone.module(norm(x).to(backbone.device)).float().cpu().numpy())
            out.append(np.concatenate(feats).astype(np.float32))
            if progress:
                progress("features", k + 1, len(routines))
    return out


def clip_phase_labels(frame_labels: np.ndarray, clip_ranges: Sequence[Sequence[int]]) -> np.ndarray:
    """Majority ground-truth label of each clip (−1 idle), for probes and checks."""
    out = []
    for a, b in clip_ranges:
        vals, counts = np.unique(np.asarray(frame_labels)[a:b + 1], return_counts=True)
        out.append(int(vals[counts.argmax()]))
    return np.array(out, dtype=np.int64)


__all__ = [
    "BackboneTrainConfig", "BackboneTrainResult", "DecodedRoutine", "N_PHASES", "clip_phase_labels", "clip_starts",
    "clip_targets", "load_routine", "routine_features", "train_tiny_backbone",
]
