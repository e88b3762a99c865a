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


def clip_targets(labels: np.ndarray, quality: np.ndarray) -> tuple[np.ndarray, float, float]:
    """(phase shares (5,), execution quality of the clip, weight of that quality) from one clip's frame labels.

    Phase 0 is idle. The clip's quality is the share-weighted quality of the sub-actions it covers — one
    axis for every sub-action, so a model must know which clips form which sub-action to weigh them.
    """
    shares = np.bincount(np.asarray(labels) + 1, minlength=N_PHASES).astype(np.float32) / max(1, len(labels))
    active = float(shares[1:].sum())
    q = float(np.dot(shares[1:], quality) / active) if active > 0 else 0.0
    return shares, q, active


@dataclass
class BackboneTrainConfig:
    """How the tiny backbone is trained (small: it runs on a shared 2-core CPU).

    By default every layer is trained, each step on freshly colour-augmented clips. With ``frozen_layers``
    > 0 the first layers keep their seeded random initialisation (BatchNorm statistics calibrated on the
    data), their outputs are computed once per clip and cached, and only the rest is trained — about ten
    times cheaper per step, for a CPU shared with other work, at some cost in what the features capture.
    """

    epochs: int = 8
    batch_size: int = 16
    lr: float = 3e-3
    weight_decay: float = 1e-4
    quality_weight: float = 8.0
    stride: int = 8  # clip starts
    seed: int = 0
    num_threads: int = 2
    frozen_layers: int = 0  # e.g. 2: stem and stage1 keep their random init and are cached (for a busy CPU)
    calib_clips: int = 256
    augment: bool = True


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


def _layers(net) -> list:
    return [net.stem, net.stage1, net.stage2, net.stage3, net.project]


def train_tiny_backbone(
    routines: Sequence[DecodedRoutine],
    cfg: BackboneTrainConfig,
    progress: Callable[[str, int, int], None] | None = None,
) -> BackboneTrainResult:
    """Supervised training of the tiny backbone: phase shares (soft cross-entropy) + clip quality (weighted MSE)."""
    import torch
    from torch import nn

    from ..features import get_backbone_spec
    from ..features.tiny import TinyBackbone

    spec = get_backbone_spec("tiny")
    prev_threads = torch.get_num_threads()
    torch.set_num_threads(cfg.num_threads)
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    L = spec.clip_len
    index = [(r, s) for r in range(len(routines)) for s in clip_starts(len(routines[r].frames), L, cfg.stride)]
    if not index:
        raise ValueError("no clips to train on")
    tgt = [clip_targets(routines[r].frame_labels[s : s + L], routines[r].quality) for r, s in index]
    shares_all = torch.from_numpy(np.stack([t[0] for t in tgt]))
    q_all = torch.tensor([t[1] for t in tgt], dtype=torch.float32)
    w_all = torch.tensor([t[2] for t in tgt], dtype=torch.float32)
    net = TinyBackbone(feature_dim=spec.feature_dim)
    layers = _layers(net)
    frozen, trained = layers[: cfg.frozen_layers], layers[cfg.frozen_layers :]
    norm = _normaliser(spec)
    t0 = time.perf_counter()

    # one fixed colour augmentation per clip (channel order, brightness, contrast): the venue's colours must
    # not identify the routine, or the quality head memorises routines instead of learning to see execution
    perms = [rng.permutation(3) if cfg.augment else np.arange(3) for _ in index]
    gains = rng.uniform(0.75, 1.25, len(index)) if cfg.augment else np.ones(len(index))
    shifts = rng.uniform(-25, 25, len(index)) if cfg.augment else np.zeros(len(index))

    def clips_of(ids, fresh: bool = False) -> np.ndarray:
        """Clips with their fixed augmentation, or (fresh) a new random one per call."""
        out = []
        for i in ids:
            if fresh and cfg.augment:
                perm, gain, shift = rng.permutation(3), rng.uniform(0.75, 1.25), rng.uniform(-25, 25)
            else:
                perm, gain, shift = perms[i], gains[i], shifts[i]
            c = routines[index[i][0]].frames[index[i][1] : index[i][1] + L][..., perm]
            if cfg.augment:
                c = np.clip(c.astype(np.float32) * gain + shift, 0, 255).astype(np.uint8)
            out.append(c)
        return np.stack(out)

    def trunk(x: "torch.Tensor") -> "torch.Tensor":
        for mod in frozen:
            x = mod(x)
        return x

    try:
        # 1. calibrate the frozen layers' BatchNorm statistics on a sample of clips, then freeze them
        for mod in frozen:
            for m in mod.modules():
                if isinstance(m, nn.BatchNorm3d):
                    m.reset_running_stats()
                    m.momentum = None  # cumulative average
        calib = rng.permutation(len(index))[: cfg.calib_clips]
        with torch.no_grad():
            for mod in frozen:
                mod.train()
            for i in range(0, len(calib), 16):
                trunk(norm(clips_of(calib[i : i + 16])))
        for mod in frozen:
            mod.eval().requires_grad_(False)
            for m in mod.modules():
                if isinstance(m, nn.BatchNorm3d):
                    m.momentum = 0.1
        # 2. cache the frozen layers' output of every clip (none frozen: clips are decoded per step)
        cache = None
        with torch.inference_mode():
            for i in range(0, len(index) if frozen else 0, 16):
                z = trunk(norm(clips_of(range(i, min(i + 16, len(index)))))).numpy()
                if cache is None:
                    cache = np.empty((len(index),) + z.shape[1:], dtype=np.float32)
                cache[i : i + len(z)] = z
                if progress:
                    progress("backbone-cache", min(i + 16, len(index)), len(index))
        # 3. train the remaining layers and a head for phase shares + clip quality
        head = nn.Linear(spec.feature_dim, N_PHASES + 1)
        params = [p for mod in trained for p in mod.parameters()] + list(head.parameters())
        opt = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
        steps_per_epoch = max(1, len(index) // cfg.batch_size)
        total = steps_per_epoch * cfg.epochs
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg.lr, total_steps=total, pct_start=0.1)
        history: list[dict] = []
        step = 0
        for mod in trained:
            mod.train()
        for epoch in range(1, cfg.epochs + 1):
            order = rng.permutation(len(index))
            run = {"loss": 0.0, "ce": 0.0, "q": 0.0, "acc": 0.0}
            for k in range(steps_per_epoch):
                ids = order[k * cfg.batch_size : (k + 1) * cfg.batch_size]
                x = torch.from_numpy(cache[ids]) if cache is not None else norm(clips_of(ids, fresh=True))
                for mod in trained:
                    x = mod(x)
                out = head(net.pool(x).flatten(1))
                logits, qpred = out[:, :N_PHASES], torch.sigmoid(out[:, N_PHASES])
                sh, qt, qw = shares_all[ids], q_all[ids], w_all[ids]
                ce = -(sh * torch.log_softmax(logits, 1)).sum(1).mean()
                ql = ((qpred - qt) ** 2 * qw).sum() / qw.sum().clamp(min=1e-6)
                loss = ce + cfg.quality_weight * ql
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                sched.step()
                step += 1
                run["loss"] += loss.item()
                run["ce"] += ce.item()
                run["q"] += ql.item()
                run["acc"] += float((logits.argmax(1) == sh.argmax(1)).float().mean())
                if progress:
                    progress("backbone", step, total)
            history.append(
                {
                    "epoch": epoch,
                    **{k: round(v / steps_per_epoch, 4) for k, v in run.items()},
                    "s": round(time.perf_counter() - t0, 1),
                }
            )
    finally:
        torch.set_num_threads(prev_threads)
    net.eval()
    state = {k: v.detach().cpu().clone() for k, v in net.state_dict().items()}
    return BackboneTrainResult(state, history, step, time.perf_counter() - t0, asdict(cfg))


def routine_features(
    routines: Sequence[DecodedRoutine],
    backbone,
    protocol,
    *,
    batch_size: int = 16,
    progress: Callable[[str, int, int], None] | None = None,
) -> list[np.ndarray]:
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
                x = np.stack([r.frames[c] for c in clips[i : i + batch_size]])
                feats.append(backbone.module(norm(x).to(backbone.device)).float().cpu().numpy())
            out.append(np.concatenate(feats).astype(np.float32))
            if progress:
                progress("features", k + 1, len(routines))
    return out


def clip_phase_labels(frame_labels: np.ndarray, clip_ranges: Sequence[Sequence[int]]) -> np.ndarray:
    """Majority ground-truth label of each clip (−1 idle), for probes and checks."""
    out = []
    for a, b in clip_ranges:
        vals, counts = np.unique(np.asarray(frame_labels)[a : b + 1], return_counts=True)
        out.append(int(vals[counts.argmax()]))
    return np.array(out, dtype=np.int64)


__all__ = [
    "BackboneTrainConfig",
    "BackboneTrainResult",
    "DecodedRoutine",
    "N_PHASES",
    "clip_phase_labels",
    "clip_starts",
    "clip_targets",
    "load_routine",
    "routine_features",
    "train_tiny_backbone",
]
