"""Videos unlike any SynthAQA routine, written with PyAV: what the out-of-distribution warning must catch.

Five kinds, each varied by a seed: colour bars, noise, black, a moving shape, and stick figures drawn by a
renderer written here (a different style and motion from the SynthAQA renderer: a skipping figure on a plain
wall, no platform or pool). ``tests/core/test_trust_demo.py`` and ``benchmarks/trust.py`` use them.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Iterator

import cv2
import numpy as np

from vatp_core.synth.generator import encode_video

KINDS = ("colour_bars", "noise", "black", "moving_shape", "other_stick_figure")
SIZE = (160, 120)  # SynthAQA's size, so only the content differs
FPS = 25.0

_BARS = np.array(
    [[192, 192, 192], [192, 192, 0], [0, 192, 192], [0, 192, 0], [192, 0, 192], [192, 0, 0], [0, 0, 192]], np.uint8
)


def _colour_bars(rng: np.random.Generator, n: int) -> Iterator[np.ndarray]:
    w, h = SIZE
    order = rng.permutation(len(_BARS))
    cols = (np.arange(w) * len(_BARS) // w).astype(int)
    img = _BARS[order][cols][None].repeat(h, axis=0)
    drift = int(rng.integers(0, 3))
    for i in range(n):
        yield np.roll(img, drift * i, axis=1)


def _noise(rng: np.random.Generator, n: int) -> Iterator[np.ndarray]:
    w, h = SIZE
    grey = rng.random() < 0.5
    for _ in range(n):
        if grey:
            yield np.repeat(rng.integers(0, 256, size=(h, w, 1), dtype=np.uint8), 3, axis=2)
        else:
            yield rng.integers(0, 256, size=(h, w, 3), dtype=np.uint8)


def _black(rng: np.random.Generator, n: int) -> Iterator[np.ndarray]:
    w, h = SIZE
    level = int(rng.integers(0, 12))
    for _ in range(n):
        yield np.full((h, w, 3), level, np.uint8)


def _moving_shape(rng: np.random.Generator, n: int) -> Iterator[np.ndarray]:
    w, h = SIZE
    bg = rng.integers(40, 200, size=3).tolist()
    colour = rng.integers(0, 256, size=3).tolist()
    r = int(rng.integers(8, 20))
    vx, vy = rng.uniform(-4, 4, size=2)
    x, y = rng.uniform(r, w - r), rng.uniform(r, h - r)
    square = rng.random() < 0.5
    for _ in range(n):
        img = np.empty((h, w, 3), np.uint8)
        img[:] = bg
        if square:
            cv2.rectangle(img, (int(x - r), int(y - r)), (int(x + r), int(y + r)), colour, -1)
        else:
            cv2.circle(img, (int(x), int(y)), r, colour, -1, lineType=cv2.LINE_AA)
        x, y = x + vx, y + vy
        if not r <= x <= w - r:
            vx = -vx
        if not r <= y <= h - r:
            vy = -vy
        yield img


def _other_stick_figure(rng: np.random.Generator, n: int) -> Iterator[np.ndarray]:
    """A skipping stick figure seen from the front, thick strokes, on a plain wall with a floor line."""
    w, h = SIZE
    wall = rng.integers(150, 230, size=3).tolist()
    ink = rng.integers(0, 90, size=3).tolist()
    cx = float(rng.uniform(50, 110))
    speed = float(rng.uniform(0.15, 0.35))
    for i in range(n):
        img = np.empty((h, w, 3), np.uint8)
        img[:] = wall
        cv2.line(img, (0, 100), (w, 100), (90, 90, 90), 2)
        phase = i * speed
        hop = abs(math.sin(phase)) * 10
        hip = (int(cx), int(70 - hop))
        neck = (int(cx), int(45 - hop))
        cv2.circle(img, (neck[0], neck[1] - 8), 7, ink, 2)
        cv2.line(img, hip, neck, ink, 3)
        swing = math.sin(phase) * 0.9
        for side in (-1, 1):
            hand = (int(cx + side * 18 * math.cos(swing)), int(neck[1] + 5 - side * 14 * math.sin(swing)))
            cv2.line(img, neck, hand, ink, 3)
            foot = (int(cx + side * 10), int(100 - hop))
            cv2.line(img, hip, foot, ink, 3)
        cx += float(rng.normal(0, 0.5))
        yield img


_MAKERS = {
    "colour_bars": _colour_bars,
    "noise": _noise,
    "black": _black,
    "moving_shape": _moving_shape,
    "other_stick_figure": _other_stick_figure,
}


def write_ood_video(path: str | Path, kind: str, seed: int = 0, n_frames: int = 64) -> Path:
    """One unrelated video as H.264 MP4 (SynthAQA's size and frame rate)."""
    rng = np.random.default_rng([seed, KINDS.index(kind)])
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    encode_video(_MAKERS[kind](rng, n_frames), path, FPS, SIZE)
    return path


def write_ood_set(folder: str | Path, per_kind: int = 8, n_frames: int = 64) -> list[tuple[str, Path]]:
    """``per_kind`` videos of each kind: [(kind, path)]."""
    folder = Path(folder)
    out = []
    for kind in KINDS:
        for s in range(per_kind):
            p = folder / f"{kind}_{s:02d}.mp4"
            if not p.is_file():
                write_ood_video(p, kind, s, n_frames)
            out.append((kind, p))
    return out
