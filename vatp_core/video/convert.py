"""Decoded frame → upright RGB array, resized on the way (one swscale pass, then a rotation view and a crop)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Resize:
    """How the model wants its frames: scale the short side then centre-crop a square, or an exact size.

    ``short_side`` scales so the shorter upright side has that many pixels (aspect kept); ``crop`` then
    cuts the centre ``crop × crop`` square; ``size=(width, height)`` scales to exactly that size instead.
    """

    short_side: int | None = None
    crop: int | None = None
    size: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        for name in ("short_side", "crop"):
            v = getattr(self, name)
            if v is not None and int(v) <= 0:
                raise ValueError(f"Resize.{name} must be positive, got {v}")
        if self.size is not None:
            if self.short_side is not None:
                raise ValueError("Resize: give either short_side or size, not both")
            w, h = self.size
            if int(w) <= 0 or int(h) <= 0:
                raise ValueError(f"Resize.size must be positive, got {self.size}")

    def plan(self, width: int, height: int) -> tuple[int, int, tuple[int, int] | None]:
        """(scaled width, scaled height, crop (w, h) or None) for an upright ``width × height`` frame."""
        if self.size is not None:
            sw, sh = int(self.size[0]), int(self.size[1])
        elif self.short_side is not None:
            scale = self.short_side / min(width, height)
            sw, sh = max(1, round(width * scale)), max(1, round(height * scale))
            if width <= height:
                sw = self.short_side
            else:
                sh = self.short_side
        else:
            sw, sh = width, height
        crop = None
        if self.crop is not None:
            c = int(self.crop)
            crop = (min(c, sw), min(c, sh))
        return sw, sh, crop

    def output_shape(self, width: int, height: int) -> tuple[int, int]:
        """(height, width) of the arrays this resize produces from an upright ``width × height`` frame."""
        sw, sh, crop = self.plan(width, height)
        return (crop[1], crop[0]) if crop else (sh, sw)


def preview_size(width: int, height: int, max_side: int) -> tuple[int, int]:
    """Upright (width, height) no larger than ``max_side`` on the long side (never upscaled)."""
    scale = min(1.0, max_side / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def to_rgb(
    frame,
    rotation: int = 0,
    size: tuple[int, int] | None = None,
    crop: tuple[int, int] | None = None,
    interpolation: str = "BILINEAR",
) -> np.ndarray:
    """Convert an ``av.VideoFrame`` to an upright (H, W, 3) uint8 RGB array.

    ``rotation`` is the clockwise turn to display upright (0/90/180/270); ``size`` the upright
    (width, height) after scaling; ``crop`` the upright (width, height) of a centre crop after that.
    """
    turned = rotation in (90, 270)
    if size is None:
        sw, sh = frame.width, frame.height
    else:
        sw, sh = (size[1], size[0]) if turned else size
    if (sw, sh) == (frame.width, frame.height):
        arr = frame.to_ndarray(format="rgb24")
    else:
        arr = frame.reformat(width=sw, height=sh, format="rgb24", interpolation=interpolation).to_ndarray()
    if rotation:
        arr = np.rot90(arr, k=-(rotation // 90))
    if crop is not None:
        h, w = arr.shape[:2]
        cw, ch = crop
        y0, x0 = (h - ch) // 2, (w - cw) // 2
        arr = arr[y0 : y0 + ch, x0 : x0 + cw]
    return np.ascontiguousarray(arr)
