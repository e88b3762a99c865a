"""Versions and compute device, for the About box, `vatp info` and bug reports."""

from __future__ import annotations

import platform
import sys

from . import __version__


def torch_device_summary() -> tuple[str, str]:
    """(torch version, "CUDA: <GPU name>" or "CPU"); imports torch, so call it off the start-up path."""
    try:
        import torch
    except Exception as exc:  # a broken torch install must not take the app down
        return (f"unavailable ({exc.__class__.__name__})", "CPU")
    if torch.cuda.is_available():
        return torch.__version__, f"CUDA: {torch.cuda.get_device_name(0)}"
    return torch.__version__, "CPU"


def system_info() -> dict[str, str]:
    torch_version, device = torch_device_summary()
    return {
        "vatp-studio": __version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "torch": torch_version,
        "device": device,
    }
