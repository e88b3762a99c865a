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


# Y'CbCr → R'G'B' matrices (rows R, G, B; columns Y, Cb, Cr) for the two colour standards that matter.
_KR_KB = {"bt601": (0.299, 0.114), "bt709": (0.2126, 0.0722)}
_PLANAR_420 = {"yuv420p": False, "yuvj420p": True, "nv12": False}  # format → full range (nv12: NVDEC's output)
_AVCOL_SPC_BT709 = 1
_AVCOL_RANGE_JPEG = 2


def _yuv_matrix(standard: str) -> np.ndarray:
    kr, kb = _KR_KB[standard]
    kg = 1 - kr - kb
    return np.array(
        [[1, 0, 2 * (1 - kr)], [1, -2 * (1 - kb) * kb / kg, -2 * (1 - kr) * kr / kg], [1, 2 * (1 - kb), 0]],
        dtype=np.float32,
    )


_MATRICES = {k: _yuv_matrix(k) for k in _KR_KB}


def scaled_rgb(frame, rotation: int, size: tuple[int, int], crop: tuple[int, int] | None) -> np.ndarray | None:
    """Model-input fast path: scale the Y/U/V planes straight to the output size, then convert colour.

    Bilinear with pixel-centre alignment (cv2.resize INTER_LINEAR, as in the mmcv pipeline that produced
    the public Video Swin features); chroma is scaled from its own plane to the output size, so no full-size
    RGB image is ever made and a 1080p frame becomes 224×224 RGB in a fraction of a millisecond. Returns None
    when the frame is not 4:2:0 (planar, or NV12 as NVDEC gives; the caller falls back to swscale).
    """
    import cv2

    fmt = frame.format.name
    if fmt not in _PLANAR_420 or frame.width % 2 or frame.height % 2:
        return None
    ws, hs = frame.width, frame.height
    turned = rotation in (90, 270)
    sw, sh = size
    stored_size = (sh, sw) if turned else (sw, sh)
    k = -(rotation // 90)

    def scaled(plane: np.ndarray) -> np.ndarray:
        out = cv2.resize(plane, stored_size, interpolation=cv2.INTER_LINEAR)
        if rotation:
            out = np.rot90(out, k=k)
        if crop is not None:
            cw, ch = crop
            y0, x0 = (sh - ch) // 2, (sw - cw) // 2
            out = out[y0 : y0 + ch, x0 : x0 + cw]
        return out.astype(np.float32)

    ys = scaled(_plane(frame, 0, ws, hs))
    if fmt == "nv12":  # one interleaved U/V plane: scale both channels in one pass, then split them
        uv = scaled(_plane(frame, 1, ws, hs // 2).reshape(hs // 2, ws // 2, 2))
        us, vs = np.ascontiguousarray(uv[..., 0]), np.ascontiguousarray(uv[..., 1])
    else:
        us = scaled(_plane(frame, 1, ws // 2, hs // 2))
        vs = scaled(_plane(frame, 2, ws // 2, hs // 2))
    full = _PLANAR_420[fmt] or getattr(frame, "color_range", 0) == _AVCOL_RANGE_JPEG
    m = _MATRICES["bt709" if getattr(frame, "colorspace", 0) == _AVCOL_SPC_BT709 else "bt601"]
    us -= 128.0
    vs -= 128.0
    if not full:
        ys -= 16.0
        ys *= 255.0 / 219.0
        us *= 255.0 / 224.0
        vs *= 255.0 / 224.0
    ys += 0.5  # round to nearest when truncating below
    out = np.empty(ys.shape + (3,), np.uint8)
    out[..., 0] = np.clip(ys + m[0, 2] * vs, 0, 255)
    out[..., 1] = np.clip(ys + m[1, 1] * us + m[1, 2] * vs, 0, 255)
    out[..., 2] = np.clip(ys + m[2, 1] * us, 0, 255)
    return out


def _plane(frame, k: int, width: int, height: int) -> np.ndarray:
    """Plane k of a planar frame as a zero-copy (height, width) uint8 view (rows may be padded)."""
    plane = frame.planes[k]
    buf = np.frombuffer(plane, np.uint8)
    return buf[: plane.line_size * height].reshape(height, plane.line_size)[:, :width]


def to_rgb(
    frame,
    rotation: int = 0,
    size: tuple[int, int] | None = None,
    crop: tuple[int, int] | None = None,
    interpolation: str = "BILINEAR",
    fast: bool = False,
    threads: int | None = None,
) -> np.ndarray:
    """Convert an ``av.VideoFrame`` to an upright (H, W, 3) uint8 RGB array.

    ``rotation`` is the clockwise turn to display upright (0/90/180/270); ``size`` the upright
    (width, height) after scaling; ``crop`` the upright (width, height) of a centre crop after that.
    ``fast`` uses `scaled_rgb` (model input) instead of swscale when the frame allows it; ``threads`` lets
    swscale split a big frame across cores (the player's path, where latency matters).
    """
    turned = rotation in (90, 270)
    if fast and size is not None:
        arr = scaled_rgb(frame, rotation, size, crop)
        if arr is not None:
            return arr
    if size is None:
        sw, sh = frame.width, frame.height
    else:
        sw, sh = (size[1], size[0]) if turned else size
    if (sw, sh) == (frame.width, frame.height):
        arr = frame.reformat(format="rgb24", threads=threads).to_ndarray()
    else:
        arr = frame.reformat(
            width=sw, height=sh, format="rgb24", interpolation=interpolation, threads=threads
        ).to_ndarray()
    if rotation:
        arr = np.rot90(arr, k=-(rotation // 90))
    if crop is not None:
        h, w = arr.shape[:2]
        cw, ch = crop
        y0, x0 = (h - ch) // 2, (w - cw) // 2
        arr = arr[y0 : y0 + ch, x0 : x0 + cw]
    return np.ascontiguousarray(arr)
