"""Draws a routine into RGB frames with OpenCV: venue, stick figure, water, splash, ripples, noise."""

from __future__ import annotations

import math
from collections.abc import Iterator

import cv2
import numpy as np

from .figure import (
    HEAD_R,
    PLATFORM_EDGE_U,
    PLATFORM_V,
    WATER_V,
    FigureState,
    figure_state,
)
from .routine import RoutineSpec

_SHIFT = 4  # sub-pixel bits for cv2 drawing
_ONE = 1 << _SHIFT
STAGE_CENTRE = (0.36, 0.38)  # the stage point put at the frame centre (the action's middle)
SPLASH_RGB = np.array([238, 243, 248], dtype=np.float32)


class Renderer:
    """Renders the frames of one routine at a given size; the background is drawn once."""

    def __init__(self, spec: RoutineSpec, size: tuple[int, int] = (160, 120)):
        self.spec = spec
        self.width, self.height = int(size[0]), int(size[1])
        if self.width < 32 or self.height < 32:
            raise ValueError(f"frame size {size} too small")
        sc = spec.scene
        self.scale = sc.zoom * self.height  # pixels per stage unit
        self.cx = self.width / 2 + sc.offset[0] * self.height
        self.cy = self.height / 2 + sc.offset[1] * self.height
        self.water_y = int(round(self.py(WATER_V)))
        self.thickness = max(2, int(round(0.018 * self.scale)))
        self.background = self._draw_background()
        rng = np.random.default_rng(spec.phase_seeds[3])
        n_drops = 60
        self._drops = np.stack(
            [rng.uniform(-1.0, 1.0, n_drops), rng.uniform(0.3, 1.0, n_drops), rng.uniform(0.5, 1.0, n_drops)], 1
        )

    # -- coordinates ---------------------------------------------------------------------------
    def px(self, u: float) -> float:
        return self.cx + (u - STAGE_CENTRE[0]) * self.scale

    def py(self, v: float) -> float:
        return self.cy + (v - STAGE_CENTRE[1]) * self.scale

    def _pt(self, p: tuple[float, float]) -> tuple[int, int]:
        return int(round(self.px(p[0]) * _ONE)), int(round(self.py(p[1]) * _ONE))

    # -- background ----------------------------------------------------------------------------
    def _draw_background(self) -> np.ndarray:
        sc = self.spec.scene
        h, w = self.height, self.width
        img = np.empty((h, w, 3), dtype=np.uint8)
        wy = min(max(self.water_y, 0), h)
        if wy > 0:
            ramp = np.linspace(0.0, 1.0, wy, dtype=np.float32)[:, None]
            sky = (1 - ramp) * np.array(sc.sky_top, np.float32) + ramp * np.array(sc.sky_bottom, np.float32)
            img[:wy] = sky[:, None, :].astype(np.uint8)
        for u0, v0, u1, v1, r, g, b in sc.stands:
            x0, y0, x1, y1 = (
                int(round(self.px(u0))),
                int(round(self.py(v0))),
                int(round(self.px(u1))),
                int(round(self.py(v1))),
            )
            y1 = min(y1, wy - 1)
            if y1 > y0:
                cv2.rectangle(img, (x0, y0), (x1, y1), (r, g, b), -1)
        if wy < h:
            ramp = np.linspace(0.0, 1.0, h - wy, dtype=np.float32)[:, None]
            water = np.array(sc.water, np.float32) * (1.0 - 0.35 * ramp)
            img[wy:] = water[:, None, :].astype(np.uint8)
        # platform (extends off the left edge) and its pillar
        plat = tuple(int(c) for c in sc.platform)
        x_edge = int(round(self.px(PLATFORM_EDGE_U)))
        y_top, y_bot = int(round(self.py(PLATFORM_V))), int(round(self.py(PLATFORM_V + 0.035)))
        cv2.rectangle(img, (-10, y_top), (x_edge, y_bot), plat, -1)
        dark = tuple(int(c * 0.7) for c in sc.platform)
        cv2.rectangle(
            img,
            (int(round(self.px(PLATFORM_EDGE_U - 0.16))), y_bot),
            (int(round(self.px(PLATFORM_EDGE_U - 0.10))), wy),
            dark,
            -1,
        )
        return img

    # -- one frame -----------------------------------------------------------------------------
    def state(self, i: int) -> FigureState:
        return figure_state(self.spec, i)

    def frame(self, i: int, *, noise: bool = True) -> np.ndarray:
        """Frame i as (H, W, 3) uint8 RGB."""
        st = figure_state(self.spec, i)
        img = self.background.copy()
        if st.ripple > 0:
            self._draw_ripples(img, st)
        if st.visible:
            self._draw_figure(img, st)
            if st.label >= 2:  # the part under water is seen through it
                wy = max(self.water_y, 0)
                under = img[wy:].astype(np.float32) * 0.3 + self.background[wy:].astype(np.float32) * 0.7
                img[wy:] = under.astype(np.uint8)
        if st.splash > 0:
            self._draw_splash(img, st)
        sigma = self.spec.scene.noise
        if noise and sigma > 0:
            rng = np.random.default_rng([self.spec.scene.noise_seed, i])
            n = rng.normal(0.0, sigma, size=img.shape).astype(np.float32)
            img = np.clip(img.astype(np.float32) + n, 0, 255).astype(np.uint8)
        return img

    def frames(self, *, noise: bool = True) -> Iterator[np.ndarray]:
        for i in range(self.spec.n_frames):
            yield self.frame(i, noise=noise)

    def _draw_figure(self, img: np.ndarray, st: FigureState) -> None:
        j = st.joints()
        col = tuple(int(c) for c in self.spec.scene.figure)
        t = self.thickness
        bones = [
            ("hip", "neck"),
            ("hip", "knee0"),
            ("knee0", "foot0"),
            ("hip", "knee1"),
            ("knee1", "foot1"),
            ("neck", "elbow0"),
            ("elbow0", "hand0"),
            ("neck", "elbow1"),
            ("elbow1", "hand1"),
        ]
        for a, b in bones:
            cv2.line(img, self._pt(j[a]), self._pt(j[b]), col, t, cv2.LINE_AA, _SHIFT)
        r = int(round(HEAD_R * self.scale * _ONE))
        cv2.circle(img, self._pt(j["head"]), max(r, 2 * _ONE), col, -1, cv2.LINE_AA, _SHIFT)

    def _draw_ripples(self, img: np.ndarray, st: FigureState) -> None:
        fade = math.exp(-0.8 * max(0.0, st.ripple - 1.0)) if st.ripple > 1.0 else st.ripple
        col = tuple(int(min(255, c * 1.25 + 30)) for c in self.spec.scene.water)
        for ring in range(3):
            rad = 0.03 + 0.07 * (st.ripple + ring * 0.6)
            rx, ry = rad * self.scale, rad * self.scale * 0.12
            if fade * (1 - ring * 0.25) < 0.1:
                continue
            cv2.ellipse(
                img,
                self._pt((st.entry_u, WATER_V + 0.01)),
                (int(rx * _ONE), max(int(ry * _ONE), _ONE)),
                0,
                0,
                360,
                col,
                1,
                cv2.LINE_AA,
                _SHIFT,
            )

    def _draw_splash(self, img: np.ndarray, st: FigureState) -> None:
        """A white fan of water and droplets above the entry point; its size is the splash amount."""
        s = st.splash
        base_x, base_y = self.px(st.entry_u), self.py(WATER_V)
        layer = img.copy()
        half = (0.015 + 0.035 * s) * self.scale
        top = (0.03 + 0.13 * s) * self.scale
        poly = np.array(
            [
                [base_x - half, base_y],
                [base_x - half * 0.3, base_y - top],
                [base_x + half * 0.3, base_y - top * 0.95],
                [base_x + half, base_y],
            ],
            dtype=np.float64,
        )
        cv2.fillPoly(layer, [np.round(poly * _ONE).astype(np.int32)], SPLASH_RGB.tolist(), cv2.LINE_AA, _SHIFT)
        n = int(8 + 30 * min(s, 1.7))
        rad = max(1, int(round(0.008 * self.scale)))
        for dx, dy, sp in self._drops[:n]:
            x = base_x + dx * (0.02 + 0.09 * s) * self.scale
            y = base_y - dy * sp * (0.02 + 0.16 * s) * self.scale * math.sin(math.pi * min(1.0, st.splash_t * 1.05))
            cv2.circle(
                layer,
                (int(round(x * _ONE)), int(round(y * _ONE))),
                rad * _ONE,
                SPLASH_RGB.tolist(),
                -1,
                cv2.LINE_AA,
                _SHIFT,
            )
        cv2.addWeighted(layer, 0.85, img, 0.15, 0.0, dst=img)


def render_routine(spec: RoutineSpec, size: tuple[int, int] = (160, 120), *, noise: bool = True) -> np.ndarray:
    """All frames of a routine as one (N, H, W, 3) uint8 array (convenient for small sizes and tests)."""
    r = Renderer(spec, size)
    return np.stack(list(r.frames(noise=noise)))
