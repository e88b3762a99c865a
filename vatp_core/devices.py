"""Turn the user's device choice ("auto" | "cuda" | "cpu") into a torch.device, with a clear message when CUDA is missing."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import VATPError

if TYPE_CHECKING:  # torch is imported lazily so the CLI and the app start at once
    import torch

DEVICE_CHOICES = ("auto", "cuda", "cpu")


class DeviceError(VATPError):
    """The requested compute device cannot be used on this machine."""


def resolve_device(name: "str | torch.device | None" = "auto") -> "torch.device":
    """Return the torch.device for a setting value; "auto" picks CUDA when present, else the CPU."""
    import torch

    if isinstance(name, torch.device):
        if name.type == "cuda" and not torch.cuda.is_available():
            raise DeviceError(_no_cuda_message())
        return name
    choice = (name or "auto").strip().lower()
    if choice == "auto":
        return torch.device("cuda") if torch.cuda.is_available() else torch.device("cpu")
    if choice == "cpu":
        return torch.device("cpu")
    if choice == "cuda" or choice.startswith("cuda:"):
        if not torch.cuda.is_available():
            raise DeviceError(_no_cuda_message())
        device = torch.device(choice)
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise DeviceError(
                f"GPU {device.index} was requested but this machine has {torch.cuda.device_count()} CUDA device(s)."
            )
        return device
    raise DeviceError(f"Unknown device {name!r}: choose one of {', '.join(DEVICE_CHOICES)}.")


def _no_cuda_message() -> str:
    import torch

    built = torch.version.cuda
    why = (
        "this PyTorch build has no CUDA support (CPU-only wheel)"
        if not built
        else f"PyTorch (built for CUDA {built}) finds no usable NVIDIA GPU or driver"
    )
    return f'The CUDA device was requested, but {why}. Choose device "auto" or "cpu" in the settings or on the command line.'


def device_label(device: "torch.device") -> str:
    """A short human name for a device: the GPU model, or "CPU"."""
    import torch

    if device.type == "cuda":
        return f"CUDA: {torch.cuda.get_device_name(device)}"
    return "CPU"
