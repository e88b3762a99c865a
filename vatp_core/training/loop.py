"""One training epoch: shuffled batches, forward under the run's precision, the paper's losses, one Adam step each."""

from __future__ import annotations

import contextlib
import math
import queue
import threading
from dataclasses import dataclass
from typing import Any, Callable, Generator

import torch

from ..datasets.base import DatasetError
from ..errors import check_cancel
from ..losses import compute_losses
from ..model import VATPConfig, VATPNet
from .batching import Batch, BatchOptions, BatchSource
from .config import EpochLog
from .runtime import Precision, as_float


def epoch_batches(n: int, size: int, order: torch.Tensor) -> list[list[int]]:
    """The epoch's index lists in ``order``; a lone last sample joins the batch before it."""
    idx = order.tolist()
    out = [idx[i : i + size] for i in range(0, n, size)]
    if len(out) > 1 and len(out[-1]) == 1:  # a lone sample makes BatchNorm statistics meaningless
        out[-2].extend(out.pop())
    return out


_END = object()


def batches_ahead(
    make: Callable[[list[int], BatchOptions], Batch], index_lists: list[list[int]], opts: BatchOptions, pin: bool
) -> Generator[Batch, None, None]:
    """The batches in order, each built on a helper thread while the one before it trains.

    For decoded clips (hundreds of MB a batch read from the clip files) the reading then overlaps the
    backbone's step. Batches are made one after another in one thread, so random crops draw from the
    generator in the same order as without it. ``pin``: page-locked memory for an asynchronous copy to CUDA.
    """
    ready: queue.Queue = queue.Queue(maxsize=1)
    stop = threading.Event()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            for idx in index_lists:
                batch = make(idx, opts)
                if pin:
                    batch.features = batch.features.pin_memory()
                if not put(batch):
                    return
        except BaseException as exc:  # raised again in the training thread
            put(exc)
            return
        put(_END)

    thread = threading.Thread(target=work, name="vatp-batches", daemon=True)
    thread.start()
    try:
        while True:
            item = ready.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join(timeout=30)


@dataclass
class Step:
    """What every step of a run shares: the model and what trains with it, the optimizer and the arithmetic."""

    model: VATPNet
    source: BatchSource
    cfg: VATPConfig
    optimizer: torch.optim.Optimizer
    precision: Precision
    scaler: Any  # torch.amp.GradScaler on CUDA, else None
    device: torch.device
    norm: dict[str, float]
    crop: int
    grad_clip: float | None = None
    ddp: Any = None  # a DDPContext under torchrun

    def parameters(self) -> list[torch.nn.Parameter]:
        params = list(self.model.parameters())
        for m in self.source.modules():
            params.extend(p for p in m.parameters() if p.requires_grad)
        return params

    def train(self) -> None:
        self.model.train()
        for m in self.source.modules():
            m.train()

    def average_gradients(self) -> None:
        assert self.ddp is not None
        self.ddp.average_gradients(self.model)
        for m in self.source.modules():
            self.ddp.average_gradients(m)


def optimise(step: Step, batch: Batch) -> Any:
    """One forward, the losses and one optimizer step for a global batch; returns the losses."""
    use_scaler = step.scaler is not None and step.scaler.is_enabled()
    ddp, cfg = step.ddp, step.cfg
    if ddp is not None:  # the rank computes its share; the loss is taken over the whole batch
        batch = ddp.rows(batch)
    batch = batch.to(step.device)
    with step.precision.autocast():
        out = step.model(step.source.encode(batch), batch.mask, batch.phrases, batch.phrase_mask)
    if step.precision.mixed:  # losses (Drop-DTW, InfoNCE, MSE) in float32
        out = as_float(out)
    target, set_ids = batch.target, batch.phrase_set_ids
    if ddp is not None:
        out, target, set_ids = ddp.gather_outputs(out, target, set_ids)
    losses = compute_losses(out, target, cfg, phrase_set_ids=set_ids)
    step.optimizer.zero_grad(set_to_none=True)
    if use_scaler:
        step.scaler.scale(losses.total).backward()
        if ddp is not None:  # before unscaling, so every rank sees the same overflow
            step.average_gradients()
        step.scaler.unscale_(step.optimizer)
    else:
        losses.total.backward()
        if ddp is not None:
            step.average_gradients()
    if step.grad_clip:
        torch.nn.utils.clip_grad_norm_(step.parameters(), step.grad_clip)
    if use_scaler:
        step.scaler.step(step.optimizer)
        step.scaler.update()
    else:
        step.optimizer.step()
    return losses


def train_epoch(
    step: Step,
    n: int,
    batch_size: int,
    epoch: int,
    generator: torch.Generator,
    *,
    cancel=None,
    progress: Callable[[str, int, int], None] | None = None,
) -> EpochLog:
    """Train one epoch over the ``n`` samples of the step's source; the mean losses, or DatasetError if it diverged."""
    step.train()
    order = torch.randperm(n, generator=generator)
    sums = {"total": 0.0, "reg": 0.0, "div": 0.0, "alg": 0.0, "gc": 0.0, "overlap": 0.0}
    seen = 0
    batches = epoch_batches(n, batch_size, order)
    opts = BatchOptions((step.norm["mean"], step.norm["std"]), step.crop, generator, step.cfg.use_text)
    if getattr(step.source, "read_ahead", False):
        made: Generator[Batch, None, None] = batches_ahead(
            step.source.make, batches, opts, pin=step.device.type == "cuda"
        )
    else:
        made = (step.source.make(idx, opts) for idx in batches)
    with contextlib.closing(made):  # a stopped epoch (cancel, an error) also stops the helper thread
        for bi, batch in enumerate(made):
            idx = batches[bi]
            check_cancel(cancel)
            losses = optimise(step, batch)
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
    return entry
