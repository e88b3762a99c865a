"""Evaluation plots as PNG files drawn with OpenCV (no plotting library): the paper's Fig. 6 and Fig. 7.

- `scatter_png`: predicted vs. judged score, with the y = x line.
- `cs_curve_png`: cumulative score curves (share of routines with |error| ≤ α), one line per model/class.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

_W, _H = 720, 540
_MARGIN = (80, 30, 40, 60)  # left, right, top, bottom
_PALETTE = [
    (180, 119, 31),
    (14, 127, 255),
    (44, 160, 44),
    (40, 39, 214),
    (189, 103, 148),
    (75, 86, 140),
    (194, 119, 227),
    (127, 127, 127),
]  # BGR, colour-blind-friendly tab10 order
_FONT = 0  # cv2.FONT_HERSHEY_SIMPLEX


def _nice_ticks(lo: float, hi: float, n: int = 6) -> np.ndarray:
    span = hi - lo if hi > lo else 1.0
    raw = span / max(n - 1, 1)
    mag = 10 ** np.floor(np.log10(raw))
    step = min((m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw), default=raw)
    start = np.ceil(lo / step) * step
    return np.arange(start, hi + step * 1e-9, step)


def _fmt(v: float) -> str:
    return f"{v:.0f}" if abs(v) >= 10 or float(v).is_integer() else f"{v:.2f}".rstrip("0").rstrip(".")


class _Canvas:
    def __init__(self, xlim: tuple[float, float], ylim: tuple[float, float], title: str, xlabel: str, ylabel: str):
        import cv2

        self.cv2 = cv2
        self.img = np.full((_H, _W, 3), 255, np.uint8)
        self.xlim, self.ylim = xlim, ylim
        left, right, top, bottom = _MARGIN
        self.x0, self.x1, self.y0, self.y1 = left, _W - right, _H - bottom, top
        for t in _nice_ticks(*xlim):
            px = self.px(t, ylim[0])[0]
            cv2.line(self.img, (px, self.y1), (px, self.y0), (235, 235, 235), 1)
            cv2.putText(self.img, _fmt(t), (px - 12, self.y0 + 20), _FONT, 0.45, (60, 60, 60), 1, cv2.LINE_AA)
        for t in _nice_ticks(*ylim):
            py = self.px(xlim[0], t)[1]
            cv2.line(self.img, (self.x0, py), (self.x1, py), (235, 235, 235), 1)
            cv2.putText(self.img, _fmt(t), (self.x0 - 50, py + 5), _FONT, 0.45, (60, 60, 60), 1, cv2.LINE_AA)
        cv2.rectangle(self.img, (self.x0, self.y1), (self.x1, self.y0), (0, 0, 0), 1)
        cv2.putText(self.img, title[:70], (self.x0, 25), _FONT, 0.6, (0, 0, 0), 1, cv2.LINE_AA)
        cv2.putText(
            self.img,
            xlabel,
            ((self.x0 + self.x1) // 2 - 5 * len(xlabel), _H - 15),
            _FONT,
            0.5,
            (0, 0, 0),
            1,
            cv2.LINE_AA,
        )
        label = np.full((24, 10 * len(ylabel) + 10, 3), 255, np.uint8)
        cv2.putText(label, ylabel, (2, 17), _FONT, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
        label = np.rot90(label)
        h, w = label.shape[:2]
        top_y = max(0, (self.y0 + self.y1) // 2 - h // 2)
        self.img[top_y : top_y + min(h, _H - top_y), 4 : 4 + w] = label[: _H - top_y]

    def px(self, x: float, y: float) -> tuple[int, int]:
        (xa, xb), (ya, yb) = self.xlim, self.ylim
        fx = (x - xa) / (xb - xa) if xb > xa else 0.5
        fy = (y - ya) / (yb - ya) if yb > ya else 0.5
        return int(round(self.x0 + fx * (self.x1 - self.x0))), int(round(self.y0 - fy * (self.y0 - self.y1)))

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        ok, buf = self.cv2.imencode(".png", self.img)
        if not ok:
            raise OSError(f"could not encode {path}")
        path.write_bytes(buf.tobytes())
        return path


def scatter_png(
    true: Sequence[float],
    pred: Sequence[float],
    path: str | Path,
    *,
    title: str = "",
    score_range: Sequence[float] | None = None,
) -> Path:
    """Predicted (y) vs judged (x) scores with the y = x diagonal (paper Fig. 6)."""
    t = np.asarray(true, dtype=np.float64)
    p = np.asarray(pred, dtype=np.float64)
    if t.size == 0 or t.shape != p.shape:
        raise ValueError("scatter needs equally many (≥ 1) judged and predicted scores")
    lo = min(t.min(), p.min(), score_range[0] if score_range else np.inf)
    hi = max(t.max(), p.max(), score_range[1] if score_range else -np.inf)
    pad = 0.05 * (hi - lo if hi > lo else 1.0)
    lim = (lo - pad, hi + pad)
    c = _Canvas(lim, lim, title or "Predicted vs judged score", "judged score", "predicted score")
    c.cv2.line(c.img, c.px(lim[0], lim[0]), c.px(lim[1], lim[1]), (150, 150, 150), 1, c.cv2.LINE_AA)
    for x, y in zip(t, p):
        c.cv2.circle(c.img, c.px(x, y), 4, _PALETTE[0], -1, c.cv2.LINE_AA)
    return c.save(path)


def cs_curve_png(
    curves: dict[str, tuple[Sequence[float], Sequence[float]]], path: str | Path, *, title: str = ""
) -> Path:
    """Cumulative score curves: share of routines with |error| ≤ α against α (paper Fig. 7)."""
    if not curves:
        raise ValueError("no curves to draw")
    top = max(float(np.max(a)) for a, _ in curves.values()) or 1.0
    c = _Canvas(
        (0.0, top), (0.0, 1.0), title or "Cumulative score curve", "error threshold (score points)", "share of routines"
    )
    for i, (name, (alphas, shares)) in enumerate(curves.items()):
        colour = _PALETTE[i % len(_PALETTE)]
        a_list, s_list = list(alphas), list(shares)
        if a_list and a_list[-1] < top:  # the share stays where it is beyond this curve's largest error
            a_list.append(top)
            s_list.append(s_list[-1])
        pts = np.array([c.px(a, s) for a, s in zip(a_list, s_list)], np.int32)
        c.cv2.polylines(c.img, [pts], False, colour, 2, c.cv2.LINE_AA)
        ly = c.y0 - 20 - 22 * (len(curves) - 1 - i)
        c.cv2.line(c.img, (c.x1 - 170, ly), (c.x1 - 140, ly), colour, 2)
        c.cv2.putText(c.img, str(name)[:18], (c.x1 - 132, ly + 5), _FONT, 0.45, (0, 0, 0), 1, c.cv2.LINE_AA)
    return c.save(path)
