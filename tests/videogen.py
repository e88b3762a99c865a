"""Test videos whose frames carry their own index in their pixels, so frame-exactness can be checked.

Each upright frame holds, in its top 40 %, a grid of 2 × 10 large black/white cells: four fixed marker
cells (which also catch a frame shown rotated or mirrored) and 16 bits of the frame index. The cells are
big and flat, so the index survives lossy H.264, MPEG-4 and MJPEG at small sizes. The rest of the frame is
a moving texture so the encoder has real work to do (and the decoder too, in benchmarks).

Other engineers may import this in their tests: ``from tests.videogen import make_test_video, decode_index``.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np

GRID_ROWS = 2
GRID_COLS = 10
BAND = 0.4  # share of the frame height used by the cells
MARKERS = (1, 1, 0, 1)
N_BITS = GRID_ROWS * GRID_COLS - len(MARKERS)  # 16 → up to 65 535 frames
VFR_DURATIONS_MS = (40, 20, 60, 33, 47, 40, 80, 20)  # a repeating pattern of uneven frame durations

_CODECS = {"h264": "libx264", "libx264": "libx264", "mpeg4": "mpeg4", "mjpeg": "mjpeg"}


def _cell_bounds(height: int, width: int):
    band_h = int(round(height * BAND))
    for r in range(GRID_ROWS):
        y0, y1 = r * band_h // GRID_ROWS, (r + 1) * band_h // GRID_ROWS
        for c in range(GRID_COLS):
            x0, x1 = c * width // GRID_COLS, (c + 1) * width // GRID_COLS
            yield y0, y1, x0, x1


def _bits(index: int) -> list[int]:
    return list(MARKERS) + [(index >> b) & 1 for b in range(N_BITS)]


def draw_frame(
    index: int, width: int, height: int, texture: np.ndarray | None = None, noise: float = 0.0
) -> np.ndarray:
    """One upright RGB frame whose pixels encode ``index``; ``noise`` adds per-frame grain (std, grey levels)."""
    if not 0 <= index < 2**N_BITS:
        raise ValueError(f"frame index {index} does not fit in {N_BITS} bits")
    img = np.empty((height, width, 3), np.uint8)
    band_h = int(round(height * BAND))
    if texture is None:
        texture = _texture(width, height - band_h)
    shift = (index * 7) % texture.shape[1]
    img[band_h:] = np.roll(texture, shift, axis=1)[: height - band_h]
    if noise > 0:
        rng = np.random.default_rng(index)
        grain = rng.integers(-int(2 * noise), int(2 * noise) + 1, size=(height - band_h, width, 1), dtype=np.int16)
        img[band_h:] = np.clip(img[band_h:].astype(np.int16) + grain, 0, 255).astype(np.uint8)
    for bit, (y0, y1, x0, x1) in zip(_bits(index), _cell_bounds(height, width)):
        img[y0:y1, x0:x1] = 235 if bit else 20
    return img


def _texture(width: int, height: int, seed: int = 0) -> np.ndarray:
    """A colourful, slightly noisy pattern for the lower part of the frame."""
    rng = np.random.default_rng(seed)
    x = np.linspace(0, 6 * np.pi, width, dtype=np.float32)
    y = np.linspace(0, 4 * np.pi, max(height, 1), dtype=np.float32)[:, None]
    base = np.stack([np.sin(x + y), np.sin(0.5 * x - y + 1.0), np.cos(0.7 * x + 0.3 * y)], axis=-1)
    noise = rng.normal(0, 0.15, size=base.shape).astype(np.float32)
    return np.clip(128 + 80 * (base + noise), 0, 255).astype(np.uint8)


def decode_index(frame: np.ndarray) -> int:
    """Read the frame index back from an upright RGB (or grey) frame; ValueError if the markers are wrong."""
    arr = np.asarray(frame)
    grey = arr.mean(axis=2) if arr.ndim == 3 else arr.astype(np.float32)
    h, w = grey.shape
    bits = []
    for y0, y1, x0, x1 in _cell_bounds(h, w):
        dy, dx = max((y1 - y0) // 4, 0), max((x1 - x0) // 4, 0)
        cell = grey[y0 + dy : y1 - dy, x0 + dx : x1 - dx]
        bits.append(1 if float(cell.mean()) > 128 else 0)
    if tuple(bits[: len(MARKERS)]) != MARKERS:
        raise ValueError("frame markers not found (wrong orientation, crop or not a test frame)")
    return sum(bit << b for b, bit in enumerate(bits[len(MARKERS) :]))


def frame_times(n_frames: int, fps: float = 25, vfr: bool = False) -> list[float]:
    """Presentation time in seconds of each frame that `make_test_video` writes."""
    if not vfr:
        return [i / fps for i in range(n_frames)]
    t, out = 0, []
    for i in range(n_frames):
        out.append(t / 1000)
        t += VFR_DURATIONS_MS[i % len(VFR_DURATIONS_MS)]
    return out


def make_test_video(
    path: str | Path,
    n_frames: int,
    size: tuple[int, int] = (160, 120),
    fps: float = 25,
    codec: str = "h264",
    gop: int = 250,
    bframes: int = 2,
    vfr: bool = False,
    rotation: int = 0,
    crf: int = 23,
    preset: str = "veryfast",
    start: int = 0,
    noise: float = 0.0,
) -> Path:
    """Encode ``n_frames`` index-carrying frames; ``size`` is the upright (width, height).

    ``rotation`` (0/90/180/270) is the clockwise turn a player must apply, stored as a display matrix the
    way phones do: the pixels are stored turned the other way, so the upright view shows the indices.
    ``codec``: "h264" (libx264, B-frames and GOP as given), "mpeg4" or "mjpeg" (use an .avi path).
    ``start`` offsets the encoded indices (frame k shows index start + k); ``noise`` adds camera-like grain
    (raises the bitrate and decoding cost to that of real footage, for benchmarks).
    """
    import av

    path = Path(path)
    if rotation % 90 or rotation not in (0, 90, 180, 270):
        raise ValueError("rotation must be 0, 90, 180 or 270")
    width, height = size
    stored_w, stored_h = (height, width) if rotation in (90, 270) else (width, height)
    enc_name = _CODECS[codec]
    rate = Fraction(fps).limit_denominator(1001)
    texture = _texture(width, height - int(round(height * BAND)))
    container = av.open(str(path), "w")
    try:
        stream = container.add_stream(enc_name, rate=rate)
        stream.width, stream.height = stored_w, stored_h
        if enc_name == "libx264":
            stream.pix_fmt = "yuv420p"
            stream.options = {
                "crf": str(crf),
                "preset": preset,
                "g": str(gop),
                "keyint_min": str(gop),
                "sc_threshold": "0",
                "bf": str(bframes),
            }
        elif enc_name == "mpeg4":
            stream.pix_fmt = "yuv420p"
            stream.options = {"g": str(gop), "qscale": "3", "bf": str(bframes)}
            stream.codec_context.gop_size = gop
        else:
            stream.pix_fmt = "yuvj420p"
            stream.options = {"qscale": "3"}
        if vfr:
            stream.codec_context.time_base = Fraction(1, 1000)
            stream.time_base = Fraction(1, 1000)
        if rotation:
            ccw = -rotation
            if ccw <= -180:
                ccw += 360
            stream.set_display_rotation(ccw)
        times_ms = [round(t * 1000) for t in frame_times(n_frames, fps, vfr)]
        for k in range(n_frames):
            img = draw_frame(start + k, width, height, texture, noise)
            if rotation:
                img = np.ascontiguousarray(np.rot90(img, k=rotation // 90))
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            if vfr:
                frame.pts = times_ms[k]
                frame.time_base = Fraction(1, 1000)
            else:
                frame.pts = k
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    finally:
        container.close()
    return path


def make_audio_only(path: str | Path, seconds: float = 1.0) -> Path:
    """A short sine-tone file without any video stream (for the no-video-stream error)."""
    import av

    path = Path(path)
    rate = 16000
    container = av.open(str(path), "w")
    try:
        stream = container.add_stream("pcm_s16le", rate=rate)
        stream.layout = "mono"
        t = np.arange(int(rate * seconds)) / rate
        samples = (0.3 * 32767 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)[None, :]
        frame = av.AudioFrame.from_ndarray(samples, format="s16", layout="mono")
        frame.sample_rate = rate
        frame.pts = 0
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    finally:
        container.close()
    return path
