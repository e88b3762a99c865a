"""Data-parallel training under ``torchrun`` (PyTorch DDP): one process per GPU, or per CPU slot with gloo.

How a step stays the single-process step:

- Every rank draws the same permutation and the same global batches from the run's seed (the single-process
  ones) and computes a disjoint strided share of each (`DDPContext.rows`): every sample once per epoch.
- The input projection's masked BatchNorm takes its statistics over the valid clips of every rank
  (`SyncMaskedBatchNorm1d`, the masked counterpart of ``torch.nn.SyncBatchNorm``).
- The model outputs of all ranks are gathered *with their gradients* (`gather_outputs`) and every rank computes
  the loss over the global batch, so L_gc sees the phrases of every rank as negatives and every loss term
  equals the single-process one. Gradients reaching a rank's own outputs are summed over the ranks (W times
  that rank's share of the single-process gradient); averaging over the W ranks gives the single-process one.
- After the backward pass the gradients are averaged over the ranks (`DDPContext.average_gradients`).
- Dropout and the reparameterisation noise draw from a per-rank seed derived from the run's seed.

Only rank 0 writes checkpoints, logs and packs (`is_main_process`).
"""

from __future__ import annotations

import atexit
import logging
import os
import socket
from dataclasses import dataclass, fields, replace
from datetime import timedelta
from typing import Any, Sequence

import torch
import torch.distributed as dist
from torch import Tensor, nn

from ..errors import VATPError
from ..model import MaskedBatchNorm1d

log = logging.getLogger(__name__)

TORCHRUN_VARS = ("RANK", "WORLD_SIZE", "LOCAL_RANK")
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


class DistributedError(VATPError):
    """The torchrun environment cannot be used (bad variables, too small a batch for the ranks)."""


@dataclass(frozen=True)
class RankInfo:
    rank: int
    world_size: int
    local_rank: int


def torchrun_env(environ: dict[str, str] | None = None) -> RankInfo | None:
    """This process's place in a torchrun job, or None outside one (or in a job of one process)."""
    env = os.environ if environ is None else environ
    if not all(k in env for k in TORCHRUN_VARS):
        return None
    try:
        info = RankInfo(int(env["RANK"]), int(env["WORLD_SIZE"]), int(env["LOCAL_RANK"]))
    except ValueError:
        raise DistributedError(
            "RANK, WORLD_SIZE and LOCAL_RANK must be whole numbers (they are set by torchrun)"
        ) from None
    return info if info.world_size > 1 else None


def is_main_process() -> bool:
    """True outside torchrun and on rank 0: the one process that prints, writes checkpoints and packs."""
    info = torchrun_env()
    return info is None or info.rank == 0


def rank_seed(seed: int, rank: int) -> int:
    """The seed of a rank's own randomness (dropout, sampling noise); rank 0 keeps the run's seed."""
    return seed if rank == 0 else (seed * 1_000_003 + 7_919 * rank) % (2**63 - 1)


# --- collectives that carry gradients ------------------------------------------------------------
class _AllReduceSum(torch.autograd.Function):
    """Sum over ranks; the gradient of a rank's input is the sum of the gradients of every rank's output."""

    @staticmethod
    def forward(ctx, x: Tensor, group: Any) -> Tensor:
        ctx.group = group
        y = x.detach().clone().contiguous()
        dist.all_reduce(y, op=dist.ReduceOp.SUM, group=group)
        return y

    @staticmethod
    def backward(ctx, grad: Tensor):
        g = grad.detach().clone().contiguous()
        dist.all_reduce(g, op=dist.ReduceOp.SUM, group=ctx.group)
        return g, None


class _AllGather(torch.autograd.Function):
    """Stack equal-shaped tensors of every rank along a new first axis; gradients flow back to their owner."""

    @staticmethod
    def forward(ctx, x: Tensor, group: Any) -> Tensor:
        ctx.group = group
        ctx.rank = dist.get_rank(group)
        x = x.detach().contiguous()
        parts = [torch.empty_like(x) for _ in range(dist.get_world_size(group))]
        dist.all_gather(parts, x, group=group)
        return torch.stack(parts)

    @staticmethod
    def backward(ctx, grad: Tensor):
        g = grad.detach().clone().contiguous()
        dist.all_reduce(g, op=dist.ReduceOp.SUM, group=ctx.group)
        return g[ctx.rank], None


class SyncMaskedBatchNorm1d(MaskedBatchNorm1d):
    """`MaskedBatchNorm1d` whose training statistics are taken over the valid clips of every rank."""

    group: Any = None

    def _sum_over_ranks(self, t: Tensor) -> Tensor:
        return _AllReduceSum.apply(t, self.group)


def convert_sync_masked_batchnorm(module: nn.Module, group: Any) -> nn.Module:
    """Replace every `MaskedBatchNorm1d` by the synced one, same weights and statistics (same state keys)."""
    for name, child in list(module.named_children()):
        if type(child) is MaskedBatchNorm1d:
            synced = SyncMaskedBatchNorm1d(
                child.num_features, child.eps, child.momentum, child.affine, child.track_running_stats
            ).to(next(child.buffers(), torch.empty(0)).device)
            synced.load_state_dict(child.state_dict())
            synced.train(child.training)
            synced.group = group
            setattr(module, name, synced)
        else:
            convert_sync_masked_batchnorm(child, group)
    return module


# --- the context ---------------------------------------------------------------------------------
class DDPContext:
    """One process of a torchrun job: its rank, device and a process group for the gathered loss."""

    def __init__(self, info: RankInfo, device: torch.device, group: Any) -> None:
        self.rank = info.rank
        self.world_size = info.world_size
        self.local_rank = info.local_rank
        self.device = device
        self.group = group

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def prepare(self, model: nn.Module) -> nn.Module:
        """Synced BatchNorm, and every rank starting from rank 0's weights and statistics."""
        convert_sync_masked_batchnorm(model, self.group)
        with torch.no_grad():
            for t in list(model.parameters()) + list(model.buffers()):
                dist.broadcast(t.data, src=0, group=self.group)
        return model

    def average_gradients(self, model: nn.Module) -> None:
        """Average the gradients over the ranks (one flat all-reduce).

        Done after the whole backward pass, not bucket by bucket during it as DistributedDataParallel does:
        the gathered loss runs collectives of its own inside the backward pass.
        """
        params = [p for p in model.parameters() if p.requires_grad]
        grads = [p.grad if p.grad is not None else torch.zeros_like(p) for p in params]
        flat = torch.cat([g.reshape(-1) for g in grads])
        dist.all_reduce(flat, op=dist.ReduceOp.SUM, group=self.group)
        flat /= self.world_size
        offset = 0
        for p in params:
            k = p.numel()
            if p.grad is not None:  # a part with no gradient here has none on any rank (same graph everywhere)
                p.grad = flat[offset : offset + k].view_as(p).clone()
            offset += k

    def rows(self, batch: Any) -> Any:
        """The rows of a collated global batch that this rank computes (same padding as the whole batch)."""
        from ..training.batching import Batch

        if len(batch.target) < self.world_size:
            raise DistributedError(
                f"a batch of {len(batch.target)} cannot be split over {self.world_size} processes; "
                "use a larger --batch-size or fewer processes"
            )
        sel = slice(self.rank, None, self.world_size)
        return Batch(
            batch.features[sel],
            batch.mask[sel],
            batch.target[sel],
            None if batch.phrases is None else batch.phrases[sel],
            None if batch.phrase_mask is None else batch.phrase_mask[sel],
            list(batch.phrase_set_ids)[sel],
        )

    def gather_outputs(self, out: Any, target: Tensor, set_ids: Sequence[Any]) -> tuple[Any, Tensor, list[Any]]:
        """The outputs, targets and phrase-set ids of the global batch, in rank-interleaved order, with gradients."""
        names = [f.name for f in fields(out) if isinstance(getattr(out, f.name), Tensor)]
        local = {n: getattr(out, n) for n in names}
        local["__target"] = target
        shapes: list[Any] = [None] * self.world_size
        dist.all_gather_object(shapes, ({n: tuple(t.shape) for n, t in local.items()}, list(set_ids)), group=self.group)
        keys = [n for n in local if all(n in s[0] for s in shapes)]  # a part every rank has (text may be missing)
        sizes = [s[0]["__target"][0] for s in shapes]
        gathered: dict[str, Tensor] = {}
        for n in keys:
            t = local[n]
            full = [max(s[0][n][d] for s in shapes) for d in range(t.ndim)]
            as_bool = t.dtype == torch.bool
            x = t.to(torch.uint8) if as_bool else t
            pad = []
            for d in reversed(range(t.ndim)):
                pad += [0, full[d] - t.shape[d]]
            if any(pad):
                x = nn.functional.pad(x, pad)
            stacked = _AllGather.apply(x, self.group)  # (W, B_max, ...)
            merged = _interleave(stacked, sizes)
            gathered[n] = merged.bool() if as_bool else merged
        new_target = gathered.pop("__target")
        missing = {n: None for n in names if n not in gathered}
        merged_out = replace(out, **gathered, **missing)
        ids = _interleave_list([s[1] for s in shapes])
        return merged_out, new_target, ids

    def from_main(self, obj: Any) -> Any:
        """Rank 0's value of a picklable object on every rank (the checkpoint to resume from)."""
        box = [obj if self.is_main else None]
        dist.broadcast_object_list(box, src=0, group=self.group)
        return box[0]

    def gather_objects(self, obj: Any) -> list[Any]:
        """One picklable object from every rank (per-rank random states for the checkpoint)."""
        out: list[Any] = [None] * self.world_size
        dist.all_gather_object(out, obj, group=self.group)
        return out


def _interleave(stacked: Tensor, sizes: list[int]) -> Tensor:
    """(W, B_max, ...) with rank r holding global rows r, r+W, … → the global batch in its original order."""
    w = len(sizes)
    total = sum(sizes)
    order = [(i % w, i // w) for i in range(total)]  # global row i lives on rank i % W at local row i // W
    return torch.stack([stacked[r, j] for r, j in order])


def _interleave_list(per_rank: list[list[Any]]) -> list[Any]:
    w = len(per_rank)
    total = sum(len(p) for p in per_rank)
    return [per_rank[i % w][i // w] for i in range(total)]


_context: DDPContext | None = None


def join(device: str = "auto") -> DDPContext | None:
    """The torchrun job this process belongs to (its process group started on the first call), else None."""
    global _context
    info = torchrun_env()
    if info is None:
        return None
    if _context is not None:
        return _context
    choice = (device or "auto").strip().lower()
    use_cuda = choice.startswith("cuda") or (choice == "auto" and torch.cuda.is_available())
    if use_cuda:
        from ..devices import resolve_device

        dev = resolve_device(f"cuda:{info.local_rank}")
        torch.cuda.set_device(dev)
        backend = "nccl"
    else:
        dev = torch.device("cpu")
        backend = "gloo"
        _gloo_on_loopback()
    if not dist.is_initialized():
        dist.init_process_group(backend, timeout=timedelta(minutes=30), device_id=dev if use_cuda else None)
    group = dist.new_group(backend=backend)
    _context = DDPContext(info, dev, group)
    atexit.register(shutdown)
    log.info("DDP rank %d/%d on %s (%s)", info.rank, info.world_size, dev, backend)
    return _context


def shutdown() -> None:
    """Leave the process group (at exit, or after the last training run of a process)."""
    global _context
    _context = None
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def _gloo_on_loopback() -> None:
    """On one node (the master on a loopback address) gloo talks over the loopback interface only."""
    if os.environ.get("GLOO_SOCKET_IFNAME") or os.environ.get("MASTER_ADDR", "127.0.0.1") not in LOOPBACK_HOSTS:
        return
    names = [name for _, name in socket.if_nameindex()]
    loop = next((n for n in names if n == "lo" or n.startswith("lo")), None)
    if loop:
        os.environ["GLOO_SOCKET_IFNAME"] = loop
