"""Where and how a training run computes: the device, CPU threads and determinism, and mixed precision.

Mixed precision is for CUDA only: bf16 autocast where the GPU supports it (no loss scaling needed), fp16
autocast with a `GradScaler` otherwise, plain fp32 on the CPU (autocast there is slower and less exact).
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, fields, replace
from typing import Any, Iterator

import torch


def resolve(name: str) -> torch.device:
    from ..devices import resolve_device

    return resolve_device(name)


def auto_threads() -> int:
    """Half the cores (at least 1): on a small shared CPU, fewer intra-op threads train markedly faster."""
    return max(1, min(torch.get_num_threads(), (os.cpu_count() or 2) // 2))


@contextlib.contextmanager
def cpu_determinism(enabled: bool, threads: int | None) -> Iterator[None]:
    """Deterministic kernels (warn-only) and a thread count for the run; both restored afterwards."""
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


@dataclass(frozen=True)
class Precision:
    """The arithmetic of a run's forward pass: an autocast dtype (None = fp32) and whether losses are scaled."""

    device_type: str
    dtype: torch.dtype | None
    scaled: bool  # fp16 gradients underflow without loss scaling; bf16 has fp32's range

    @property
    def name(self) -> str:
        return {None: "fp32", torch.bfloat16: "bf16", torch.float16: "fp16"}.get(self.dtype, str(self.dtype))

    @property
    def mixed(self) -> bool:
        return self.dtype is not None

    def autocast(self) -> contextlib.AbstractContextManager:
        if self.dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(device_type=self.device_type, dtype=self.dtype)

    def grad_scaler(self) -> "torch.amp.GradScaler | None":
        """A scaler on CUDA (enabled for fp16 only, so a resumed fp16 run keeps its scale), None elsewhere."""
        if self.device_type != "cuda":
            return None
        return torch.amp.GradScaler("cuda", enabled=self.scaled)


def choose_precision(device: torch.device, amp: bool, bf16_supported: bool | None = None) -> Precision:
    """Mixed precision only on CUDA and only when asked for; bf16 when the GPU has it, else fp16 + loss scaling.

    ``bf16_supported`` answers for the GPU (default: ask torch), so the choice can be tested without one.
    """
    if device.type != "cuda" or not amp:
        return Precision(device.type, None, False)
    if bf16_supported is None:
        bf16_supported = bool(torch.cuda.is_bf16_supported())
    if bf16_supported:
        return Precision("cuda", torch.bfloat16, False)
    return Precision("cuda", torch.float16, True)


def as_float(out: Any) -> Any:
    """The model output dataclass with its floating tensors in float32 (losses are computed in fp32)."""
    return replace(
        out,
        **{
            f.name: getattr(out, f.name).float()
            for f in fields(out)
            if isinstance(getattr(out, f.name), torch.Tensor) and getattr(out, f.name).is_floating_point()
        },
    )
