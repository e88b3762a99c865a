"""Frame preprocessing for the backbones: one named, versioned recipe per protocol.

The version is part of the clip protocol (so of the feature-cache key and of every model pack): features
made with one recipe are never served for another, and a pack says which recipe it was trained on.

- ``square-v1``: short side to the backbone's ``short_side``, centre square crop of ``input_size``
  (bilinear, not antialiased; done on the Y/U/V planes while decoding, see ``video.convert.scaled_rgb``).
- ``gdlt-v2``: exactly the GDLT feature script that made the public RG / Fis-V features: torchvision
  ``Resize(256)`` (PIL bilinear, antialiased, short side), ``CenterCrop((224, 300))`` (black padding when
  the frame is narrower, as torchvision pads), ``Resize((224, 224))`` (a horizontal squash) and
  ``Normalize`` with mean (123.675, 116.28, 103.53) / std (58.395, 57.12, 57.375) on 0-255 RGB.

Two implementations of ``gdlt-v2`` that agree with the PIL reference to well under 1/255: ``gdlt_frame``
(CPU, torch's uint8 antialiased kernel, a few ms a 1080p frame) and ``preprocess_clip`` (any torch device,
float antialiased resampling, for feeding full-size decoded frames straight to the GPU).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

import numpy as np

from ..errors import VATPError

if TYPE_CHECKING:
    import torch

    from ..video.convert import Resize
    from .backbones import BackboneSpec

PREPROCESS_SQUARE = "square-v1"
PREPROCESS_GDLT = "gdlt-v2"
PREPROCESS_VERSIONS = (PREPROCESS_SQUARE, PREPROCESS_GDLT)

GDLT_SHORT_SIDE = 256
GDLT_CROP_HW = (224, 300)  # height, width of the centre crop
GDLT_OUT_HW = (224, 224)  # the crop is squashed to this
GDLT_MEAN = (123.675 / 255.0, 116.28 / 255.0, 103.53 / 255.0)
GDLT_STD = (58.395 / 255.0, 57.12 / 255.0, 57.375 / 255.0)


class PreprocessError(VATPError, ValueError):
    """An unknown preprocessing version, or frames of the wrong shape."""


def check_version(version: str) -> str:
    if version not in PREPROCESS_VERSIONS:
        raise PreprocessError(f"Unknown preprocessing {version!r}; choose one of {', '.join(PREPROCESS_VERSIONS)}.")
    return version


# ---------------------------------------------------------------- gdlt-v2 geometry (torchvision's rules)
def gdlt_resized_hw(height: int, width: int) -> tuple[int, int]:
    """(height, width) after ``Resize(256)``: the short side becomes 256, the long one is truncated."""
    short, long = (width, height) if width <= height else (height, width)
    new_long = int(GDLT_SHORT_SIDE * long / short)
    return (new_long, GDLT_SHORT_SIDE) if width <= height else (GDLT_SHORT_SIDE, new_long)


@dataclass(frozen=True)
class CropPlan:
    """``CenterCrop((224, 300))`` on a resized frame: zero padding (left, right, top, bottom), then a window."""

    pad: tuple[int, int, int, int]
    top: int
    left: int


def gdlt_crop_plan(height: int, width: int) -> CropPlan:
    """torchvision's centre crop of (224, 300) from a ``height × width`` image, padding with black if needed."""
    ch, cw = GDLT_CROP_HW
    pad = (
        (cw - width) // 2 if cw > width else 0,
        (cw - width + 1) // 2 if cw > width else 0,
        (ch - height) // 2 if ch > height else 0,
        (ch - height + 1) // 2 if ch > height else 0,
    )
    h, w = height + pad[2] + pad[3], width + pad[0] + pad[1]
    return CropPlan(pad, int(round((h - ch) / 2.0)), int(round((w - cw) / 2.0)))


def _gdlt_nchw(x: "torch.Tensor") -> "torch.Tensor":
    """(N, 3, H, W) → (N, 3, 224, 224), same dtype; uint8 on the CPU uses torch's exact PIL-like kernel."""
    import torch
    import torch.nn.functional as F

    exact = x.dtype == torch.uint8 and x.device.type == "cpu"
    y = x if exact else x.float()

    def resize(t: "torch.Tensor", size: tuple[int, int]) -> "torch.Tensor":
        if tuple(t.shape[-2:]) == size:
            return t  # torchvision returns the image unchanged when it already has the size
        t = F.interpolate(t, size=size, mode="bilinear", antialias=True, align_corners=False)
        return t if exact else t.round_().clamp_(0, 255)  # PIL images are uint8 between the steps

    y = resize(y, gdlt_resized_hw(int(x.shape[-2]), int(x.shape[-1])))
    plan = gdlt_crop_plan(int(y.shape[-2]), int(y.shape[-1]))
    if any(plan.pad):
        y = F.pad(y, plan.pad, value=0)
    ch, cw = GDLT_CROP_HW
    y = y[..., plan.top : plan.top + ch, plan.left : plan.left + cw]
    y = resize(y.contiguous(memory_format=torch.channels_last) if exact else y, GDLT_OUT_HW)
    if not exact and x.dtype == torch.uint8:
        y = y.to(torch.uint8)  # already rounded and clamped
    return y


def gdlt_frame(frame: np.ndarray) -> np.ndarray:
    """CPU fast path: one upright (H, W, 3) uint8 RGB frame → the (224, 224, 3) uint8 ``gdlt-v2`` image."""
    import torch

    if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
        raise PreprocessError(f"expected an (H, W, 3) uint8 RGB frame, got {frame.shape} {frame.dtype}")
    x = torch.from_numpy(np.ascontiguousarray(frame)).permute(2, 0, 1)[None]  # channels-last view, no copy
    with torch.inference_mode():
        y = _gdlt_nchw(x)
    return np.ascontiguousarray(y[0].permute(1, 2, 0).numpy())


def gdlt_frames(frames: "torch.Tensor") -> "torch.Tensor":
    """(T, H, W, 3) uint8 frames on any device → (T, 224, 224, 3) uint8 ``gdlt-v2`` images on that device."""
    _check_frames(frames)
    return _gdlt_nchw(frames.permute(0, 3, 1, 2)).permute(0, 2, 3, 1).contiguous()


def _check_frames(frames: "torch.Tensor") -> None:
    if frames.ndim != 4 or frames.shape[-1] != 3:
        raise PreprocessError(f"expected (T, H, W, 3) RGB frames, got shape {tuple(frames.shape)}")


def normalise(
    clips: "torch.Tensor",
    mean: tuple[float, float, float],
    std: tuple[float, float, float],
    channels_last: bool = False,
) -> "torch.Tensor":
    """(B, L, H, W, 3) uint8 clips → (B, 3, L, H, W) float32 ``(x / 255 - mean) / std`` on the same device.

    One conversion pass into a new tensor, then in place, one channel at a time with float32 scalars (the
    same values, bit for bit, as ``(x.float() - m) / s``: a broadcast (1, 3, 1, 1, 1) operand over
    channels-last memory ran 2x slower); ``channels_last``: stored channels-last (the clips' own order, so the
    conversion is a straight copy), which a backbone whose convolutions run faster that way asks for.
    """
    import torch

    m = (torch.tensor(mean, dtype=torch.float32) * 255.0).tolist()  # float32 values, exactly representable
    s = (torch.tensor(std, dtype=torch.float32) * 255.0).tolist()
    b, length, h, w, _ = clips.shape
    layout = torch.channels_last_3d if channels_last else torch.contiguous_format
    x = torch.empty((b, 3, length, h, w), dtype=torch.float32, device=clips.device, memory_format=layout)
    x.copy_(clips.permute(0, 4, 1, 2, 3))
    for c in range(3):
        x[:, c].sub_(m[c]).div_(s[c])
    return x


def preprocess_clip(frames: "torch.Tensor", version: str = PREPROCESS_GDLT) -> "torch.Tensor":
    """Full-size decoded frames → the backbone input of one clip, on the frames' device (GPU fast path).

    frames: (T, H, W, 3) uint8 upright RGB, e.g. PyAV ``rgb24`` frames copied to the GPU. Returns the
    normalised (3, T, 224, 224) float32 tensor that ``gdlt-v2`` feature extraction feeds the backbone.
    Only ``gdlt-v2`` is defined on full-size frames (``square-v1`` is done by the decoder).
    """
    if check_version(version) != PREPROCESS_GDLT:
        raise PreprocessError(f"preprocess_clip works on full-size frames for {PREPROCESS_GDLT} only, not {version}")
    _check_frames(frames)
    x = _gdlt_nchw(frames.permute(0, 3, 1, 2).float())  # float path on every device: one rounding per step
    return normalise(x.permute(0, 2, 3, 1)[None], GDLT_MEAN, GDLT_STD)[0]


# ---------------------------------------------------------------- what the extraction pipeline needs
@dataclass(frozen=True)
class Preprocessing:
    """How frames of one protocol become backbone input: what the decoder delivers, then a per-frame step."""

    version: str
    reader_resize: "Resize | None"  # what the decoder scales to (None: full-size upright frames)
    frame_fn: Callable[[np.ndarray], np.ndarray] | None  # applied to each decoded frame a clip uses
    mean: tuple[float, float, float]
    std: tuple[float, float, float]

    def output_hw(self, width: int, height: int) -> tuple[int, int]:
        """(height, width) of the uint8 frames this preprocessing gives for an upright ``width × height`` video."""
        if self.version == PREPROCESS_GDLT:
            return GDLT_OUT_HW
        assert self.reader_resize is not None
        return self.reader_resize.output_shape(width, height)


def preprocessing_for(version: str, spec: "BackboneSpec") -> Preprocessing:
    """The preprocessing named ``version`` for backbone ``spec``."""
    from ..video.convert import Resize

    if check_version(version) == PREPROCESS_GDLT:
        return Preprocessing(version, None, gdlt_frame, GDLT_MEAN, GDLT_STD)
    return Preprocessing(version, Resize(short_side=spec.short_side, crop=spec.input_size), None, spec.mean, spec.std)
