"""Reading checkpoint files safely and bringing their keys into the layout of our backbone modules.

Files are read with ``torch.load(weights_only=True)`` or as safetensors, so nothing a stranger sends can run
code; the official Video Swin layout is renamed into torchvision's; classifier heads are dropped.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from ..errors import VATPError

if TYPE_CHECKING:
    import torch


class WeightsError(VATPError):
    """Base of weights-manager errors."""


class MissingWeightsError(WeightsError):
    """The weights a backbone needs are not installed; the message names the file and the folder."""

    def __init__(self, message: str, *, filename: str | None = None, folder: Path | None = None) -> None:
        super().__init__(message)
        self.filename = filename
        self.folder = folder


class WeightsVerificationError(WeightsError):
    """A weights file whose hash does not match, or that is not plain tensors (refused)."""


_HASH_IN_NAME = re.compile(r"-([0-9a-f]{6,64})\.[A-Za-z0-9]+$")


def hash_prefix_in_name(name: str) -> str | None:
    """The SHA-256 prefix a torchvision-style file name carries (``swin3d_t-7615ae03.pth`` -> ``7615ae03``)."""
    m = _HASH_IN_NAME.search(name)
    return m.group(1) if m else None


def read_state_file(path: Path) -> dict[str, "torch.Tensor"]:
    """Read tensors from a .safetensors or a torch checkpoint (weights_only=True), unwrapping {"state_dict": …}."""
    import torch

    path = Path(path)
    if not path.is_file():
        raise MissingWeightsError(f"Weights file not found: {path}", filename=path.name, folder=path.parent)
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        try:
            return load_file(str(path))
        except Exception as exc:
            raise WeightsVerificationError(f"{path.name} is not a readable safetensors file ({exc}).") from exc
    try:
        # numpy scalars / arrays are plain data (checkpoints keep e.g. a best score in their "meta")
        with torch.serialization.safe_globals(_numpy_data_globals()):
            obj = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as exc:  # UnpicklingError for anything but plain tensors / containers
        from ..safe_pickle import torch_load_reason

        raise WeightsVerificationError(
            f"Refusing {path.name}: {torch_load_reason(exc)} (only plain tensors are loaded, never code)."
        ) from None
    return unwrap_state_dict(obj, path.name)


def _numpy_data_globals() -> list:
    """numpy names a checkpoint's metadata may need to rebuild arrays and scalars (no code runs)."""
    import numpy as np

    core = getattr(np, "_core", None) or np.core
    names = [core.multiarray.scalar, core.multiarray._reconstruct, np.ndarray, np.dtype]
    dtypes = getattr(np, "dtypes", None)
    if dtypes is not None:
        names += [getattr(dtypes, n) for n in dir(dtypes) if n.endswith("DType")]
    return names


def unwrap_state_dict(obj: Any, name: str = "checkpoint") -> dict[str, "torch.Tensor"]:
    """Find the tensor dict inside the usual checkpoint wrappers ("state_dict", "model", "module")."""
    import torch

    for _ in range(3):
        if isinstance(obj, Mapping) and obj and all(isinstance(v, torch.Tensor) for v in obj.values()):
            break
        if isinstance(obj, Mapping):
            for key in ("state_dict", "model", "module", "model_state", "net"):
                if key in obj and isinstance(obj[key], Mapping):
                    obj = obj[key]
                    break
            else:
                break
    if not isinstance(obj, Mapping):
        raise WeightsVerificationError(f"{name} holds no state dict.")
    tensors = {str(k): v for k, v in obj.items() if isinstance(v, torch.Tensor)}
    if not tensors:
        raise WeightsVerificationError(f"{name} holds no tensors.")
    if all(k.startswith("module.") for k in tensors):  # saved from DataParallel
        tensors = {k[len("module.") :]: v for k, v in tensors.items()}
    return tensors


# ------------------------------------------------------------------------------------ key layouts

_OFFICIAL_SWIN_BLOCK = re.compile(r"^layers\.(\d+)\.blocks\.(\d+)\.(.+)$")
_OFFICIAL_SWIN_DOWN = re.compile(r"^layers\.(\d+)\.downsample\.(.+)$")
_OFFICIAL_MLP = {"mlp.fc1.": "mlp.0.", "mlp.fc2.": "mlp.3."}


def is_official_video_swin(state: Mapping[str, Any]) -> bool:
    """True for the layout of the official Video Swin (mmaction2) checkpoints: ``backbone.layers.0.blocks.0…``."""
    return any(
        _OFFICIAL_SWIN_BLOCK.match(k[len("backbone.") :] if k.startswith("backbone.") else k) for k in state
    ) and any(k.endswith("patch_embed.proj.weight") for k in state)


def convert_official_video_swin(
    state: Mapping[str, "torch.Tensor"],
) -> tuple[dict[str, "torch.Tensor"], dict[str, "torch.Tensor"]]:
    """Rename an official Video Swin state dict into torchvision's SwinTransformer3d layout.

    Official stage i (blocks, then its patch merging) becomes torchvision ``features.{2i}`` (blocks) and
    ``features.{2i+1}`` (merging); ``mlp.fc1/fc2`` become ``mlp.0/mlp.3``. Returns (converted, left_over),
    left_over holding the classifier (``cls_head.*``) and anything else with no torchvision counterpart.
    """
    out: dict[str, "torch.Tensor"] = {}
    rest: dict[str, "torch.Tensor"] = {}
    for key, value in state.items():
        k = key[len("backbone.") :] if key.startswith("backbone.") else key
        if k.startswith("patch_embed.") or k.startswith("norm."):
            out[k] = value
            continue
        m = _OFFICIAL_SWIN_BLOCK.match(k)
        if m:
            stage, block, tail = int(m.group(1)), int(m.group(2)), m.group(3)
            for old, new in _OFFICIAL_MLP.items():
                if tail.startswith(old):
                    tail = new + tail[len(old) :]
            out[f"features.{2 * stage}.{block}.{tail}"] = value
            continue
        m = _OFFICIAL_SWIN_DOWN.match(k)
        if m:
            out[f"features.{2 * int(m.group(1)) + 1}.{m.group(2)}"] = value
            continue
        rest[key] = value
    return out, rest


def detect_backbone(state: Mapping[str, Any]) -> str | None:
    """Guess which backbone a state dict belongs to from its key names and shapes."""
    keys = set(state)
    if "Conv3d_1a_7x7.conv3d.weight" in keys:
        return "i3d"
    if "stem.0.weight" in keys and "project.0.weight" in keys:
        return "tiny"
    if is_official_video_swin(state):
        state, _ = convert_official_video_swin(state)
        keys = set(state)
    if "patch_embed.proj.weight" in keys:
        embed = state["patch_embed.proj.weight"].shape[0]
        deep = "features.4.17.norm1.weight" in keys
        if embed == 128 and deep:
            return "swin3d_b"
        if embed == 96:
            return "swin3d_s" if deep else "swin3d_t"
    return None


def adapt_state_dict(backbone: str, state: Mapping[str, "torch.Tensor"]) -> dict[str, "torch.Tensor"]:
    """Bring a checkpoint into the layout of our feature module: convert, then drop classifier heads."""
    state = dict(state)
    if backbone.startswith("swin3d_"):
        if is_official_video_swin(state):
            state, _ = convert_official_video_swin(state)
        return {k: v for k, v in state.items() if not k.startswith("head.")}
    if backbone == "i3d":
        return {k: v for k, v in state.items() if not k.startswith("logits.")}
    return state
