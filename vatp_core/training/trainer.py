"""Train VATP-Net on a `FeatureDataset`: Adam, seeded and resumable, model selection stated plainly.

`train_model(train_set, val_set, cfg, train_cfg)` is the API the CLI, `vatp reproduce` and the demo
builder use. ``val_set`` is the set that selects the epoch: the test set for the field's
"best test epoch" practice, a held-out validation split for an honest estimate, or None.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import torch

from ..datasets.base import DatasetError, FeatureDataset
from ..distributed.ddp import join as join_torchrun
from ..distributed.ddp import rank_seed
from ..metrics import regression_metrics
from ..model import VATPConfig, VATPNet
from . import runtime
from .batching import BatchSource, FeatureBatches
from .checkpoints import checkpoint_path, load_checkpoint, run_fingerprint, save_checkpoint
from .clip_store import default_clip_dir
from .config import EpochLog, TrainConfig, selection_text
from .finetune import FineTuned, start_finetuning
from .fused import TokenTable, build_token_table, use_token_table
from .inference import Prediction, mean_subactions, predict
from .loop import Step, train_epoch
from .run_state import RunState, restore, snapshot

auto_threads = runtime.auto_threads  # where callers found it before the split

__all__ = [
    "DEFAULT_INIT_PARTS",
    "Prediction",
    "TrainResult",
    "auto_threads",
    "fit_config_to_data",
    "init_from_pack",
    "mean_subactions",
    "predict",
    "train_model",
]

Progress = Callable[[str, int, int], None]


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
    finetuned: FineTuned | None = None  # the backbone trained with the model, when it was
    # the best epoch on a monitored set (the test set, watched but never used to select): epoch, spearman, rl2, mse
    monitor_best: dict[str, float] | None = None
    token_table: TokenTable | None = None  # a fused run's phrase → token rows, which its pack stores
    refit: dict[str, Any] | None = None  # vatp_core.training.refit: whether (and how) it was retrained on fit + select

    def summary(self) -> dict[str, Any]:
        """Plain-data account of the run for a pack manifest."""
        extra: dict[str, Any] = {}
        if self.finetuned is not None:
            extra["backbone_finetune"] = self.finetuned.recipe.to_dict()
        if self.refit is not None:
            extra["refit"] = dict(self.refit)
        return {
            "epochs": self.train_cfg.epochs,
            "best_epoch": self.best_epoch,
            "selection": self.selection,
            "selection_text": self.selection_text,
            "select_by": self.train_cfg.select_by,
            "seed": self.train_cfg.seed,
            "batch_size": self.train_cfg.batch_size,
            "lr": self.train_cfg.lr,
            "weight_decay": self.train_cfg.weight_decay,
            "optimizer": "Adam",
            "score_norm": dict(self.score_norm),
            "notes": list(self.notes),
            "seconds": round(self.seconds, 1),
            "device": self.device,
            **extra,
        }


def fit_config_to_data(
    cfg: VATPConfig, dataset: FeatureDataset, feature_dim: int | None = None
) -> tuple[VATPConfig, list[str]]:
    """Adapt the model config to the data: input size (``feature_dim``, else the features'), text branch or not."""
    changes: dict[str, Any] = {}
    notes: list[str] = []
    dim = feature_dim or dataset.feature_dim
    if dim and dim != cfg.in_dim:
        changes["in_dim"] = dim
        notes.append(f"input size set to the features' {dim}")
    if cfg.use_fusion and not dataset.has_phrases:
        raise DatasetError("the fused preset (vatp-fused) needs the dive's phrases (dive codes, as in MTL-AQA)")
    if cfg.use_text and not dataset.has_phrases:
        changes.update(use_text=False, use_alg=False, use_gc=False)
        notes.append(
            "no sub-action phrases in this dataset: text branch off, trained with L_reg + β·L_div "
            "(the paper fine-tunes a text-trained ParseFormer here)"
        )
    return (cfg.replace(**changes) if changes else cfg), notes


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


def _fingerprint(
    train_set, val_set, cfg: VATPConfig, tc: TrainConfig, tuned: FineTuned | None, monitor_set=None
) -> str:
    # the fine-tuning fields join the fingerprint only when the backbone trains, so older checkpoints still resume
    tuning = () if tuned is not None else ("finetune_backbone", "backbone_lr")
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
            "clip_cache",
            *tuning,
        )
    }
    if tc.select_by == "spearman" or tc.selection == "last":  # older checkpoints (by Spearman) keep theirs
        keep.pop("select_by", None)
    if tuned is not None:
        keep["initial_backbone"] = tuned.recipe.initial_weights_hash
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
    device = ddp.device if ddp is not None else runtime.resolve(tc.device)
    precision = runtime.choose_precision(device, tc.amp)
    tuned: FineTuned | None = None
    if tc.finetune_backbone:
        if ddp is not None:
            raise DatasetError("--finetune-backbone trains in one process: run it without torchrun")
        tuned = start_finetuning(
            train_set,
            device=device,
            lr=tc.lr,
            backbone_lr=tc.backbone_lr,
            precision=precision.name,
            clip_dir=str(default_clip_dir()) if tc.clip_cache is None else (tc.clip_cache or None),
        )
        tuned.store.prepare([train_set, val_set, monitor_set], progress, cancel)
    else:
        train_set.preload(progress, cancel)
        for held in (val_set, monitor_set):
            if held is not None:
                held.preload(progress, cancel)
    cfg, notes = fit_config_to_data(cfg, train_set, tuned.encoder.spec.feature_dim if tuned is not None else None)
    for ds in (train_set, val_set, monitor_set):
        if ds is not None:
            ds.text_tokens = cfg.text_tokens  # Eq. 2: token embeddings (the paper), or one vector per phrase
    table = build_token_table(train_set) if cfg.use_fusion else None
    if table is not None:  # the fused head reads the text at scoring too: the same rows in training and the pack
        use_token_table((train_set, val_set, monitor_set))
    targets = train_set.targets()
    if tc.normalize:
        std = float(targets.std())
        norm = {"mean": float(targets.mean()), "std": std if std > 1e-8 else 1.0}
    else:
        norm = {"mean": 0.0, "std": 1.0}
    crop = tc.train_crop if tc.train_crop is not None else (train_set.train_crop or 0)

    threads = tc.num_threads or (runtime.auto_threads() if device.type == "cpu" else None)
    with runtime.cpu_determinism(device.type == "cpu", threads):
        torch.manual_seed(tc.seed)
        model = VATPNet(cfg).to(device)
        if tc.init_from:
            notes.append(init_from_pack(model, tc.init_from, tc.init_parts))
        if ddp is not None:
            ddp.prepare(model)
            torch.manual_seed(rank_seed(tc.seed, ddp.rank))
            notes.append(f"trained data-parallel on {ddp.world_size} processes")
        source: BatchSource = FeatureBatches(train_set) if tuned is None else tuned.batches(train_set, cancel)
        val_source: BatchSource | None = None
        if val_set is not None:
            val_source = FeatureBatches(val_set) if tuned is None else tuned.batches(val_set, cancel)
        monitor_source: BatchSource | None = None
        if monitor_set is not None:
            monitor_source = FeatureBatches(monitor_set) if tuned is None else tuned.batches(monitor_set, cancel)
        modules: dict[str, torch.nn.Module] = {}
        groups: list[dict[str, Any]] = [{"params": list(model.parameters()), "lr": tc.lr}]
        if tuned is not None:
            modules["backbone"] = tuned.encoder.module
            groups.append({"params": list(tuned.encoder.module.parameters()), "lr": tc.backbone_lr})
            notes.append(
                f"{tuned.recipe.backbone} backbone trained end to end from {tuned.recipe.initial_weights} "
                f"(lr {tc.backbone_lr:g}; the rest {tc.lr:g}; {precision.name})"
            )
        optimizer = torch.optim.Adam(groups, lr=tc.lr, weight_decay=tc.weight_decay)
        scaler = precision.grad_scaler()
        generator = torch.Generator().manual_seed(tc.seed)
        run = RunState()
        fingerprint = _fingerprint(train_set, val_set, cfg, tc, tuned, monitor_set)
        ckpt = checkpoint_path(tc.checkpoint_dir) if tc.checkpoint_dir else None
        state = None
        if ckpt is not None and tc.resume and (ddp is None or ddp.is_main) and ckpt.is_file():
            state = load_checkpoint(ckpt)
        if ddp is not None and ckpt is not None and tc.resume:
            state = ddp.from_main(state)  # rank 0's checkpoint, also where the others cannot see its folder
        if state is not None:
            run = restore(
                state,
                ckpt,
                fingerprint=fingerprint,
                epochs=tc.epochs,
                model=model,
                optimizer=optimizer,
                scaler=scaler,
                generator=generator,
                modules=modules,
                ddp=ddp,
                device=device,
            )
            notes.append(f"resumed after epoch {run.start_epoch - 1}")
        resumed_from = run.start_epoch - 1
        step = Step(model, source, cfg, optimizer, precision, scaler, device, norm, crop, tc.grad_clip, ddp)

        for epoch in range(run.start_epoch, tc.epochs + 1):
            te = time.perf_counter()
            entry = train_epoch(step, len(train_set), tc.batch_size, epoch, generator, cancel=cancel, progress=progress)
            if val_set is not None and (epoch % tc.eval_every == 0 or epoch == tc.epochs):
                p = predict(
                    model,
                    val_set,
                    score_norm=norm,
                    device=device,
                    batch_size=tc.eval_batch_size,
                    cancel=cancel,
                    source=val_source,
                )
                m = regression_metrics(p.pred, p.true, val_set.score_range)
                entry.val_spearman, entry.val_rl2 = m.spearman, m.rl2
                if tc.selection in ("best_test", "val"):
                    run.consider(epoch, m.to_dict(), model, modules, tc.select_by)
                if monitor_set is not None:
                    p = predict(
                        model,
                        monitor_set,
                        score_norm=norm,
                        device=device,
                        batch_size=tc.eval_batch_size,
                        cancel=cancel,
                        source=monitor_source,
                    )
                    mm = regression_metrics(p.pred, p.true, monitor_set.score_range)
                    entry.extra.update(monitor_spearman=mm.spearman, monitor_rl2=mm.rl2, monitor_mse=mm.mse)
            entry.seconds = time.perf_counter() - te
            run.history.append(entry)
            if on_epoch:
                on_epoch(entry)
            if progress:
                progress("train", epoch, tc.epochs)
            save_now = ckpt is not None and (epoch % tc.checkpoint_every == 0 or epoch == tc.epochs)
            rank_rng = ddp.gather_objects(torch.get_rng_state()) if ddp is not None and save_now else None
            if ckpt is not None and save_now and (ddp is None or ddp.is_main):
                extra = {"cfg": cfg.to_dict(), "train_cfg": tc.to_dict(), "score_norm": norm}
                save_checkpoint(
                    ckpt,
                    snapshot(
                        run,
                        epoch,
                        fingerprint=fingerprint,
                        model=model,
                        optimizer=optimizer,
                        scaler=scaler,
                        generator=generator,
                        modules=modules,
                        rank_rng=rank_rng,
                        device=device,
                        extra=extra,
                    ),
                )

        selected = tc.selection != "last" and run.best_state is not None
        if selected:
            run.load_best(model, modules)
        model.eval()
        if tuned is not None:  # from here on every set has the fine-tuned backbone's features
            tuned.fill(train_set, cancel=cancel)
            tuned.fill(val_set, cancel=cancel)
        if selected:
            best_epoch, val_metrics = int(run.best_epoch), run.best_metrics
        else:
            best_epoch, val_metrics = tc.epochs, None
            if val_set is not None:
                p = predict(model, val_set, score_norm=norm, device=device, batch_size=tc.eval_batch_size)
                val_metrics = regression_metrics(p.pred, p.true, val_set.score_range).to_dict()
        baseline = mean_subactions(model, train_set, device, tc.eval_batch_size)

    return TrainResult(
        model=model,
        cfg=cfg,
        train_cfg=tc,
        score_norm=norm,
        best_epoch=best_epoch,
        selection=tc.selection,
        selection_text=selection_text(tc.selection, tc.select_by),
        history=run.history,
        val_metrics=val_metrics,
        baseline_subactions=baseline,
        notes=notes,
        seconds=time.perf_counter() - t0,
        resumed_from_epoch=resumed_from,
        device=str(device),
        finetuned=tuned,
        monitor_best=_monitor_best(run.history),
        token_table=table,
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
