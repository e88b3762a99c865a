"""What a training run carries from epoch to epoch and across a resume: its log, the epoch selected so far,
and the checkpoint that holds them with the model, optimizer and random-number states."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from .checkpoints import CheckpointError
from .config import EpochLog

log = logging.getLogger(__name__)


def _cpu_copy(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().cpu().clone() for k, v in module.state_dict().items()}


@dataclass
class RunState:
    """The epochs done, and the best one on the selection set (its weights, and those of any trained backbone)."""

    history: list[EpochLog] = field(default_factory=list)
    best_epoch: int = 0
    best_value: float = -math.inf  # the selection figure of the best epoch, higher better (Spearman, or −MSE)
    best_state: dict[str, torch.Tensor] | None = None
    best_modules: dict[str, dict[str, torch.Tensor]] = field(default_factory=dict)
    best_metrics: dict[str, Any] | None = None
    start_epoch: int = 1

    def consider(
        self,
        epoch: int,
        metrics: dict[str, Any],
        model: torch.nn.Module,
        modules: dict[str, torch.nn.Module],
        by: str = "spearman",
    ) -> None:
        """Keep this epoch's weights when its selection-set figure (Spearman, or the least MSE) beats the best so far."""
        value = float(metrics["spearman"]) if by == "spearman" else -float(metrics["mse"])
        if value > self.best_value:
            self.best_epoch, self.best_value, self.best_metrics = epoch, value, metrics
            self.best_state = _cpu_copy(model)
            self.best_modules = {name: _cpu_copy(m) for name, m in modules.items()}

    def load_best(self, model: torch.nn.Module, modules: dict[str, torch.nn.Module]) -> None:
        assert self.best_state is not None
        model.load_state_dict(self.best_state)
        for name, m in modules.items():
            m.load_state_dict(self.best_modules[name])


def restore(
    state: dict[str, Any],
    ckpt: Path | None,
    *,
    fingerprint: str,
    epochs: int,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    scaler: Any,
    generator: torch.Generator,
    modules: dict[str, torch.nn.Module],
    ddp: Any = None,
    device: torch.device | None = None,
) -> RunState:
    """Put a checkpoint's run back in place (weights, optimizer, RNGs) and return its log and selection."""
    if state.get("fingerprint") != fingerprint:
        raise CheckpointError(
            f"{ckpt} belongs to a different run (data, model or settings changed); "
            "use another checkpoint folder or turn resuming off"
        )
    if int(state["epoch"]) > epochs:
        raise CheckpointError(
            f"{ckpt} is at epoch {state['epoch']}, past the {epochs} epochs asked for; "
            "start afresh or ask for more epochs"
        )
    model.load_state_dict(state["model"])
    saved_modules = state.get("modules") or {}
    for name, m in modules.items():
        m.load_state_dict(saved_modules[name])
    optimizer.load_state_dict(state["optimizer"])
    if scaler is not None and state.get("scaler"):
        scaler.load_state_dict(state["scaler"])
    generator.set_state(state["generator"])
    torch.set_rng_state(state["torch_rng"])
    ranks = state.get("rank_rng")
    if ddp is not None and ranks and len(ranks) == ddp.world_size:
        torch.set_rng_state(ranks[ddp.rank])
    if device is not None and device.type == "cuda" and state.get("cuda_rng") is not None:
        torch.cuda.set_rng_state(state["cuda_rng"])
    log.info("resuming %s from epoch %d", ckpt, int(state["epoch"]) + 1)
    return RunState(
        history=[EpochLog(**h) for h in state["history"]],
        best_epoch=state["best_epoch"],
        # checkpoints before select_by stored only Spearman (the only figure they selected by)
        best_value=state.get("best_value", state["best_spearman"]),
        best_state=state["best_state"],
        best_modules=state.get("best_modules") or {},
        best_metrics=state["best_metrics"],
        start_epoch=int(state["epoch"]) + 1,
    )


def snapshot(
    run: RunState,
    epoch: int,
    *,
    fingerprint: str,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    scaler: Any,
    generator: torch.Generator,
    modules: dict[str, torch.nn.Module],
    rank_rng: list[Any] | None,
    device: torch.device,
    extra: dict[str, Any],
) -> dict[str, Any]:
    """The checkpoint of a run after ``epoch`` (plain tensors and values, read back with weights_only=True)."""
    return {
        "fingerprint": fingerprint,
        "epoch": epoch,
        "model": model.state_dict(),
        "modules": {name: m.state_dict() for name, m in modules.items()},
        "optimizer": optimizer.state_dict(),
        "scaler": scaler.state_dict() if scaler is not None else None,
        "generator": generator.get_state(),
        "torch_rng": torch.get_rng_state(),
        "rank_rng": rank_rng,
        "cuda_rng": torch.cuda.get_rng_state() if device.type == "cuda" else None,
        "history": [h.to_dict() for h in run.history],
        "best_epoch": run.best_epoch,
        "best_value": run.best_value,
        "best_spearman": (run.best_metrics or {}).get("spearman", -math.inf),  # what older readers read
        "best_state": run.best_state,
        "best_modules": run.best_modules,
        "best_metrics": run.best_metrics,
        **extra,
    }
