"""Train VATP-Net on a `FeatureDataset`: Adam, seeded and resumable, model selection stated plainly.

`train_model(train_set, val_set, cfg, train_cfg)` is the API the CLI, `vatp reproduce` and the demo
builder use. ``val_set`` is the set that selects the epoch: the test set for the field's
"best test epoch" practice, a held-out validation split for an honest estimate, or None.
"""

from __future__ import annotations

import contextlib
import logging
import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import torch

from ..datasets.base import DatasetError, FeatureDataset
from ..distributed.ddp import join as join_torchrun
from ..distributed.ddp import rank_seed
from ..errors import check_cancel
from ..losses import compute_losses
from ..metrics import regression_metrics
from ..model import VATPConfig, VATPNet
from .batching import make_batch
from .checkpoints import CheckpointError, checkpoint_path, load_checkpoint, run_fingerprint, save_checkpoint
from .config import SELECTION_TEXT, EpochLog, TrainConfig

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]


@dataclass
class Prediction:
    """Predictions for a dataset, in judged-score units (× DD already applied where the model predicts score ÷ DD)."""

    names: list[str]
    pred: np.ndarray
    sigma: np.ndarray
    true: np.ndarray


@dataclass
class TrainResult:
    """The trained model (weights of the selected epoch, eval mode) and how it got there."""

    model: VATPNet
    cfg: VATPConfig
    train_cfg: TrainConfig
    score_norm: dict[str, float]
    best_epoch: int
    selection: str
    selection_text: str
    history: list[EpochLog]
    val_metrics: dict[str, float] | None
    baseline_subactions: np.ndarray | None
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    resumed_from_epoch: int = 0
    device: str = "cpu"
    # the best epoch on a monitored set (the test set, watched but never used to select): epoch, spearman, rl2, mse
    monitor_best: dict[str, float] | None = None

    def summary(self) -> dict[str, Any]:
        """Plain-data account of the run for a pack manifest."""
        return {
            "epochs": self.train_cfg.epochs,
            "best_epoch": self.best_epoch,
            "selection": self.selection,
            "selection_text": self.selection_text,
            "seed": self.train_cfg.seed,
            "batch_size": self.train_cfg.batch_size,
            "lr": self.train_cfg.lr,
            "weight_decay": self.train_cfg.weight_decay,
            "optimizer": "Adam",
            "score_norm": dict(self.score_norm),
            "notes": list(self.notes),
            "seconds": round(self.seconds, 1),
            "device": self.device,
        }


def fit_config_to_data(cfg: VATPConfig, dataset: FeatureDataset) -> tuple[VATPConfig, list[str]]:
    """Adapt the model config to the data: input size, and no text branch where there are no phrases."""
    changes: dict[str, Any] = {}
    notes: list[str] = []
    dim = dataset.feature_dim
    if dim and dim != cfg.in_dim:
        changes["in_dim"] = dim
        notes.append(f"input size set to the features' {dim}")
    if cfg.use_text and not dataset.has_phrases:
        changes.update(use_text=False, use_alg=False, use_gc=False)
        notes.append(
            "no sub-action phrases in this dataset: text branch off, trained with L_reg + β·L_div "
            "(the paper fine-tunes a text-trained ParseFormer here)"
        )
    return (cfg.replace(**changes) if changes else cfg), notes


def _device(name: str) -> torch.device:
    from ..devices import resolve_device

    return resolve_device(name)


def auto_threads() -> int:
    """Half the cores (at least 1): on a small shared CPU, fewer intra-op threads train markedly faster."""
    import os

    return max(1, min(torch.get_num_threads(), (os.cpu_count() or 2) // 2))


@contextlib.contextmanager
def _cpu_determinism(enabled: bool, threads: int | None):
    prev = torch.are_deterministic_algorithms_enabled()
    prev_warn = torch.is_deterministic_algorithms_warn_only_enabled()
    prev_threads = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    if enabled:
        torch.use_deterministic_algorithms(True, warn_only=True)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(prev, warn_only=prev_warn)
        if threads:
            torch.set_num_threads(prev_threads)


def _autocast(device: torch.device, enabled: bool):
    if device.type == "cuda" and enabled:
        dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        return torch.autocast(device_type="cuda", dtype=dtype)
    return contextlib.nullcontext()


def _as_float(out):
    from dataclasses import fields, replace

    return replace(
        out,
        **{
            f.name: getattr(out, f.name).float()
            for f in fields(out)
            if isinstance(getattr(out, f.name), torch.Tensor) and getattr(out, f.name).is_floating_point()
        },
    )


def _batches(n: int, size: int, order: torch.Tensor) -> list[list[int]]:
    idx = order.tolist()
    out = [idx[i : i + size] for i in range(0, n, size)]
    if len(out) > 1 and len(out[-1]) == 1:  # a lone sample makes BatchNorm statistics meaningless
        out[-2].extend(out.pop())
    return out


@torch.no_grad()
def predict(
    model: VATPNet,
    dataset: FeatureDataset,
    *,
    score_norm: dict[str, float] | None = None,
    device: torch.device | str = "cpu",
    batch_size: int = 16,
    cancel=None,
) -> Prediction:
    """Full-sequence predictions (μ, σ) for every sample, mapped back to judged scores."""
    dev = torch.device(device) if isinstance(device, str) else device
    norm = score_norm or {"mean": 0.0, "std": 1.0}
    was_training = model.training
    model.eval()
    mus, sigmas = [], []
    try:
        for start in range(0, len(dataset), batch_size):
            check_cancel(cancel)
            batch = make_batch(dataset, range(start, min(start + batch_size, len(dataset))), with_phrases=False).to(dev)
            out = model(batch.features, batch.mask)
            mus.append(out.mu.float().cpu().numpy())
            sigmas.append(out.sigma.float().cpu().numpy())
    finally:
        model.train(was_training)
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
    total: torch.Tensor | None = None
    for start in range(0, len(dataset), batch_size):
        batch = make_batch(dataset, range(start, min(start + batch_size, len(dataset))), with_phrases=False).to(device)
        sub = model(batch.features, batch.mask).subactions.float().sum(dim=0)
        total = sub if total is None else total + sub
    if total is None:
        return None
    return (total / len(dataset)).cpu().numpy()


DEFAULT_INIT_PARTS = ("parseformer",)  # what the paper carries over from the text-trained MTL-AQA model


def init_from_pack(model: VATPNet, pack_ref: str, parts: tuple[str, ...] | None = None) -> str:
    """Copy the tensors of the pack's model in ``parts`` (default: the ParseFormer) whose name and shape match."""
    from ..pack import resolve_pack

    parts = tuple(parts or DEFAULT_INIT_PARTS)
    pack = resolve_pack(pack_ref)
    source = pack.model_state()
    own = model.state_dict()
    take = {
        k: v
        for k, v in source.items()
        if k.split(".")[0] in parts and k in own and tuple(own[k].shape) == tuple(v.shape)
    }
    if not take:
        raise DatasetError(
            f"pack {pack.name!r} shares no weights with this model in {', '.join(parts)} (different sizes?)"
        )
    model.load_state_dict(take, strict=False)
    copied = sorted({k.split(".")[0] for k in take})
    return (
        f"initialised from pack {pack.name!r}: {len(take)} of {len(own)} tensors ({', '.join(copied)}), then fine-tuned"
    )


def _fingerprint(train_set, val_set, cfg: VATPConfig, tc: TrainConfig, monitor_set=None) -> str:
    keep = {
        k: v
        for k, v in tc.to_dict().items()
        if k
        not in (
            "epochs",
            "checkpoint_dir",
            "checkpoint_every",
            "resume",
            "device",
            "num_threads",
            "amp",
            "eval_batch_size",
        )
    }
    data = {
        "train": [train_set.dataset, train_set.cls, train_set.names, train_set.targets().tolist()],
        "val": None if val_set is None else val_set.names,
        "cfg": cfg.to_dict(),
        "tc": keep,
    }
    if monitor_set is not None:  # only then: the checkpoints of unmonitored runs keep their fingerprint
        data["monitor"] = monitor_set.names
    return run_fingerprint(data)


def train_model(
    train_set: FeatureDataset,
    val_set: FeatureDataset | None,
    cfg: VATPConfig,
    train_cfg: TrainConfig,
    progress: Progress | None = None,
    *,
    cancel=None,
    on_epoch: Callable[[EpochLog], None] | None = None,
    monitor_set: FeatureDataset | None = None,
) -> TrainResult:
    """Train and return the model of the selected epoch (see `TrainConfig.selection`).

    ``monitor_set`` (`vatp reproduce`: the test set beside a validation selection) is scored at every evaluated
    epoch and its best epoch reported in ``monitor_best``; it never chooses the returned model."""
    t0 = time.perf_counter()
    tc = train_cfg
    if len(train_set) < 2:
        raise DatasetError("training needs at least two labelled routines")
    if tc.selection in ("best_test", "val") and (val_set is None or len(val_set) < 2):
        raise DatasetError(f"selection {tc.selection!r} needs a set of at least two routines to select on")
    ddp = join_torchrun(tc.device)  # None unless launched by torchrun
    device = ddp.device if ddp is not None else _device(tc.device)
    train_set.preload(progress, cancel)
    for extra in (val_set, monitor_set):
        if extra is not None:
            extra.preload(progress, cancel)
    cfg, notes = fit_config_to_data(cfg, train_set)
    for ds in (train_set, val_set, monitor_set):
        if ds is not None:
            ds.text_tokens = cfg.text_tokens  # Eq. 2: token embeddings (the paper), or one vector per phrase
    targets = train_set.targets()
    if tc.normalize:
        std = float(targets.std())
        norm = {"mean": float(targets.mean()), "std": std if std > 1e-8 else 1.0}
    else:
        norm = {"mean": 0.0, "std": 1.0}
    crop = tc.train_crop if tc.train_crop is not None else (train_set.train_crop or 0)
    use_amp = tc.amp and device.type == "cuda"

    threads = tc.num_threads or (auto_threads() if device.type == "cpu" else None)
    with _cpu_determinism(device.type == "cpu", threads):
        torch.manual_seed(tc.seed)
        model = VATPNet(cfg).to(device)
        if tc.init_from:
            notes.append(init_from_pack(model, tc.init_from, tc.init_parts))
        if ddp is not None:
            ddp.prepare(model)
            torch.manual_seed(rank_seed(tc.seed, ddp.rank))
            notes.append(f"trained data-parallel on {ddp.world_size} processes")
        optimizer = torch.optim.Adam(model.parameters(), lr=tc.lr, weight_decay=tc.weight_decay)
        scaler = (
            torch.amp.GradScaler("cuda", enabled=use_amp and not torch.cuda.is_bf16_supported())
            if device.type == "cuda"
            else None
        )
        generator = torch.Generator().manual_seed(tc.seed)
        history: list[EpochLog] = []
        best: dict[str, Any] = {"epoch": 0, "spearman": -math.inf, "state": None, "metrics": None}
        start_epoch = 1
        fingerprint = _fingerprint(train_set, val_set, cfg, tc, monitor_set)
        ckpt = checkpoint_path(tc.checkpoint_dir) if tc.checkpoint_dir else None
        state = None
        if ckpt is not None and tc.resume and (ddp is None or ddp.is_main) and ckpt.is_file():
            state = load_checkpoint(ckpt)
        if ddp is not None and ckpt is not None and tc.resume:
            state = ddp.from_main(state)  # rank 0's checkpoint, also where the others cannot see its folder
        if state is not None:
            if state.get("fingerprint") != fingerprint:
                raise CheckpointError(
                    f"{ckpt} belongs to a different run (data, model or settings changed); "
                    "use another checkpoint folder or turn resuming off"
                )
            if int(state["epoch"]) > tc.epochs:
                raise CheckpointError(
                    f"{ckpt} is at epoch {state['epoch']}, past the {tc.epochs} epochs asked for; "
                    "start afresh or ask for more epochs"
                )
            model.load_state_dict(state["model"])
            optimizer.load_state_dict(state["optimizer"])
            if scaler is not None and state.get("scaler"):
                scaler.load_state_dict(state["scaler"])
            generator.set_state(state["generator"])
            torch.set_rng_state(state["torch_rng"])
            ranks = state.get("rank_rng")
            if ddp is not None and ranks and len(ranks) == ddp.world_size:
                torch.set_rng_state(ranks[ddp.rank])
            if device.type == "cuda" and state.get("cuda_rng") is not None:
                torch.cuda.set_rng_state(state["cuda_rng"])
            history = [EpochLog(**h) for h in state["history"]]
            best = {
                "epoch": state["best_epoch"],
                "spearman": state["best_spearman"],
                "state": state["best_state"],
                "metrics": state["best_metrics"],
            }
            start_epoch = int(state["epoch"]) + 1
            notes.append(f"resumed after epoch {state['epoch']}")
            log.info("resuming %s from epoch %d", ckpt, start_epoch)
        resumed_from = start_epoch - 1

        n = len(train_set)
        for epoch in range(start_epoch, tc.epochs + 1):
            te = time.perf_counter()
            model.train()
            order = torch.randperm(n, generator=generator)
            sums = {"total": 0.0, "reg": 0.0, "div": 0.0, "alg": 0.0, "gc": 0.0, "overlap": 0.0}
            seen = 0
            batches = _batches(n, tc.batch_size, order)
            for bi, idx in enumerate(batches):
                check_cancel(cancel)
                batch = make_batch(
                    train_set,
                    idx,
                    norm=(norm["mean"], norm["std"]),
                    crop=crop,
                    generator=generator,
                    with_phrases=cfg.use_text,
                )
                if ddp is not None:  # the rank computes its share; the loss is taken over the whole batch
                    batch = ddp.rows(batch)
                batch = batch.to(device)
                with _autocast(device, use_amp):
                    out = model(batch.features, batch.mask, batch.phrases, batch.phrase_mask)
                if use_amp:  # losses (Drop-DTW, InfoNCE, MSE) in float32
                    out = _as_float(out)
                target, set_ids = batch.target, batch.phrase_set_ids
                if ddp is not None:
                    out, target, set_ids = ddp.gather_outputs(out, target, set_ids)
                losses = compute_losses(out, target, cfg, phrase_set_ids=set_ids)
                optimizer.zero_grad(set_to_none=True)
                if scaler is not None and scaler.is_enabled():
                    scaler.scale(losses.total).backward()
                    if ddp is not None:  # before unscaling, so every rank sees the same overflow
                        ddp.average_gradients(model)
                    scaler.unscale_(optimizer)
                else:
                    losses.total.backward()
                    if ddp is not None:
                        ddp.average_gradients(model)
                if tc.grad_clip:
                    torch.nn.utils.clip_grad_norm_(model.parameters(), tc.grad_clip)
                if scaler is not None and scaler.is_enabled():
                    scaler.step(optimizer)
                    scaler.update()
                else:
                    optimizer.step()
                for k, v in losses.as_floats().items():
                    sums[k] += v * len(idx)
                seen += len(idx)
                if progress:
                    progress("batch", bi + 1, len(batches))
            entry = EpochLog(
                epoch=epoch,
                loss=sums["total"] / seen,
                reg=sums["reg"] / seen,
                div=sums["div"] / seen,
                alg=sums["alg"] / seen,
                gc=sums["gc"] / seen,
            )
            if not all(math.isfinite(v) for v in (entry.loss, entry.reg)):
                raise DatasetError(f"training diverged at epoch {epoch} (loss {entry.loss}); try a lower --lr")
            if val_set is not None and (epoch % tc.eval_every == 0 or epoch == tc.epochs):
                p = predict(
                    model, val_set, score_norm=norm, device=device, batch_size=tc.eval_batch_size, cancel=cancel
                )
                m = regression_metrics(p.pred, p.true, val_set.score_range)
                entry.val_spearman, entry.val_rl2 = m.spearman, m.rl2
                if tc.selection in ("best_test", "val") and m.spearman > best["spearman"]:
                    best = {
                        "epoch": epoch,
                        "spearman": m.spearman,
                        "metrics": m.to_dict(),
                        "state": {k: v.detach().cpu().clone() for k, v in model.state_dict().items()},
                    }
                if monitor_set is not None:
                    p = predict(
                        model, monitor_set, score_norm=norm, device=device, batch_size=tc.eval_batch_size, cancel=cancel
                    )
                    mm = regression_metrics(p.pred, p.true, monitor_set.score_range)
                    entry.extra.update(monitor_spearman=mm.spearman, monitor_rl2=mm.rl2, monitor_mse=mm.mse)
            entry.seconds = time.perf_counter() - te
            history.append(entry)
            if on_epoch:
                on_epoch(entry)
            if progress:
                progress("train", epoch, tc.epochs)
            save_now = ckpt is not None and (epoch % tc.checkpoint_every == 0 or epoch == tc.epochs)
            rank_rng = ddp.gather_objects(torch.get_rng_state()) if ddp is not None and save_now else None
            if ckpt is not None and save_now and (ddp is None or ddp.is_main):
                save_checkpoint(
                    ckpt,
                    {
                        "fingerprint": fingerprint,
                        "epoch": epoch,
                        "model": model.state_dict(),
                        "optimizer": optimizer.state_dict(),
                        "scaler": scaler.state_dict() if scaler is not None else None,
                        "generator": generator.get_state(),
                        "torch_rng": torch.get_rng_state(),
                        "rank_rng": rank_rng,
                        "cuda_rng": torch.cuda.get_rng_state() if device.type == "cuda" else None,
                        "history": [h.to_dict() for h in history],
                        "best_epoch": best["epoch"],
                        "best_spearman": best["spearman"],
                        "best_state": best["state"],
                        "best_metrics": best["metrics"],
                        "cfg": cfg.to_dict(),
                        "train_cfg": tc.to_dict(),
                        "score_norm": norm,
                    },
                )

        if tc.selection == "last" or best["state"] is None:
            best_epoch = tc.epochs
            val_metrics = None
            if val_set is not None:
                p = predict(model, val_set, score_norm=norm, device=device, batch_size=tc.eval_batch_size)
                val_metrics = regression_metrics(p.pred, p.true, val_set.score_range).to_dict()
        else:
            model.load_state_dict(best["state"])
            best_epoch, val_metrics = int(best["epoch"]), best["metrics"]
        model.eval()
        baseline = mean_subactions(model, train_set, device, tc.eval_batch_size)

    return TrainResult(
        model=model,
        cfg=cfg,
        train_cfg=tc,
        score_norm=norm,
        best_epoch=best_epoch,
        selection=tc.selection,
        selection_text=SELECTION_TEXT[tc.selection],
        history=history,
        val_metrics=val_metrics,
        baseline_subactions=baseline,
        notes=notes,
        seconds=time.perf_counter() - t0,
        resumed_from_epoch=resumed_from,
        device=str(device),
        monitor_best=_monitor_best(history),
    )


def _monitor_best(history: list[EpochLog]) -> dict[str, float] | None:
    """The monitored set's best epoch (first of equals) and its figures, from the epochs that scored it."""
    seen = [h for h in history if "monitor_spearman" in h.extra]
    if not seen:
        return None
    best = max(seen, key=lambda h: (h.extra["monitor_spearman"], -h.epoch))
    return {
        "epoch": best.epoch,
        "spearman": best.extra["monitor_spearman"],
        "rl2": best.extra["monitor_rl2"],
        "mse": best.extra["monitor_mse"],
    }
