"""The athlete's motion: an articulated stick figure whose pose at each frame follows the routine.

Positions are in stage units (a unit square; u to the right, v downwards). Execution quality shows in
the motion itself: a poor approach wobbles, a poor take-off jumps low with bent arms, a poor rotation
is loose and jerky, a poor entry is tilted and splashes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .routine import IDLE_LABEL, RoutineSpec

BODY = 1.5  # figure scale
THIGH = SHIN = 0.055 * BODY
TORSO = 0.075 * BODY
NECK = 0.022 * BODY
HEAD_R = 0.018 * BODY
UPPER_ARM = 0.040 * BODY
FOREARM = 0.038 * BODY
LEG = THIGH + SHIN

PLATFORM_V = 0.40  # top of the platform
PLATFORM_EDGE_U = 0.32
WATER_V = 0.80
START_U = -0.02
ENTRY_U = 0.62


@dataclass
class FigureState:
    """Pose and effects at one frame (what the renderer draws, and what tests check)."""

    label: int  # sub-action index or −1
    visible: bool
    hip: tuple[float, float]
    phi: float  # whole-body rotation, clockwise on screen; 0 = upright
    hip_angles: tuple[float, float]  # thigh angle from straight down, + towards the facing direction
    knee_angles: tuple[float, float]  # knee flexion (shin swings back)
    shoulder_angles: tuple[float, float]  # arm angle from down (pi = straight up), + forwards
    elbow_angles: tuple[float, float]
    splash: float  # 0 = none; ~0.2 clean entry .. ~1.7 big splash
    splash_t: float  # time since water contact, 0..1 of the entry (for droplet flight)
    ripple: float  # ripple rings radius factor, 0 = none
    entry_u: float  # where the body meets the water

    def joints(self) -> dict[str, tuple[float, float]]:
        """Stage positions of the joints: hip, neck, head, knees, feet, elbows, hands."""
        c, s = math.cos(self.phi), math.sin(self.phi)

        def rot(dx: float, dy: float) -> tuple[float, float]:
            return dx * c - dy * s, dx * s + dy * c

        def seg(origin: tuple[float, float], angle: float, length: float) -> tuple[float, float]:
            dx, dy = rot(length * math.sin(angle), length * math.cos(angle))
            return origin[0] + dx, origin[1] + dy

        hip = self.hip
        neck = seg(hip, math.pi, TORSO)
        head = seg(neck, math.pi, NECK + HEAD_R)
        out = {"hip": hip, "neck": neck, "head": head}
        for side, (a_h, a_k) in enumerate(zip(self.hip_angles, self.knee_angles)):
            knee = seg(hip, a_h, THIGH)
            out[f"knee{side}"] = knee
            out[f"foot{side}"] = seg(knee, a_h - a_k, SHIN)
        for side, (a_s, a_e) in enumerate(zip(self.shoulder_angles, self.elbow_angles)):
            elbow = seg(neck, a_s, UPPER_ARM)
            out[f"elbow{side}"] = elbow
            out[f"hand{side}"] = seg(elbow, a_s + a_e, FOREARM)
        return out


def _smooth(x: float) -> float:
    x = min(1.0, max(0.0, x))
    return x * x * (3.0 - 2.0 * x)


def _lerp(a: float, b: float, t: float) -> float:
    return a + (b - a) * t


def _leg_height(a_h: float, a_k: float) -> float:
    """Vertical drop from hip to foot for an upright body."""
    return THIGH * math.cos(a_h) + SHIN * math.cos(a_h - a_k)


def _standing_hip_v(a_h: float = 0.0, a_k: float = 0.0) -> float:
    return PLATFORM_V - _leg_height(a_h, a_k)


def _phase_time(spec: RoutineSpec, frame: int) -> tuple[int, float, float]:
    """(label, fraction of the phase elapsed 0..1, seconds into the phase) of a frame."""
    start = 0
    for k, d in enumerate(spec.durations):
        if frame < start + d:
            label = IDLE_LABEL if k in (0, 5) else k - 1
            frac = (frame - start) / max(1, d - 1) if d > 1 else 1.0
            return label, frac, (frame - start) / spec.fps
        start += d
    return IDLE_LABEL, 1.0, 0.0


def _phase_index(spec: RoutineSpec, frame: int) -> int:
    start = 0
    for k, d in enumerate(spec.durations):
        if frame < start + d:
            return k
        start += d
    return len(spec.durations) - 1


# ---- key poses shared between phases ------------------------------------------------------------


def _takeoff_end(spec: RoutineSpec) -> tuple[float, float, float]:
    q = spec.quality[1]
    jump = 0.01 + 0.11 * q
    return PLATFORM_EDGE_U + 0.03, _standing_hip_v() - jump, (1.0 - q) * 0.35


def _rotation_end_v() -> float:
    return WATER_V - (TORSO + UPPER_ARM + FOREARM) - 0.015


def _entry_tilt(spec: RoutineSpec) -> float:
    q = spec.quality[3]
    sign = 1.0 if spec.phase_seeds[3] % 2 == 0 else -1.0
    return sign * (1.0 - q) * 1.0


def figure_state(spec: RoutineSpec, frame: int) -> FigureState:
    """The figure's pose and the water effects at one frame of the routine."""
    if not 0 <= frame < spec.n_frames:
        raise IndexError(f"frame {frame} outside 0..{spec.n_frames - 1}")
    k = _phase_index(spec, frame)
    label, t, tau = _phase_time(spec, frame)
    q = spec.quality
    straight: dict[str, Any] = dict(
        hip_angles=(0.0, 0.0), knee_angles=(0.0, 0.0), shoulder_angles=(0.15, -0.1), elbow_angles=(0.2, 0.2)
    )
    none_fx: dict[str, Any] = dict(splash=0.0, splash_t=0.0, ripple=0.0, entry_u=ENTRY_U)

    if k == 0:  # idle: standing still at the back of the platform
        return FigureState(label, True, (START_U, _standing_hip_v()), 0.0, **straight, **none_fx)

    if k == 1:  # approach: walk to the end of the platform
        rng = np.random.default_rng(spec.phase_seeds[0])
        g0, w0, w1 = rng.uniform(0, 2 * math.pi, size=3)
        bad = 1.0 - q[0]
        u = _lerp(START_U, PLATFORM_EDGE_U - 0.05, _smooth(t) * 0.3 + t * 0.7)
        g = 2 * math.pi * 2.0 * tau + g0
        amp = 0.4 * (1.0 + bad * 0.7 * math.sin(2 * math.pi * 0.8 * tau + w1))
        a_h = (amp * math.sin(g), -amp * math.sin(g))
        a_k = (0.5 * max(0.0, math.sin(g - 1.2)), 0.5 * max(0.0, -math.sin(g - 1.2)))
        arm = 0.45 * math.sin(g) + bad * 1.2 * math.sin(2 * math.pi * 2.7 * tau + w0)
        phi = 0.06 + bad * 0.8 * math.sin(2 * math.pi * 1.3 * tau + w0)
        v = PLATFORM_V - max(_leg_height(a_h[0], a_k[0]), _leg_height(a_h[1], a_k[1])) * math.cos(phi)
        return FigureState(label, True, (u, v), phi, a_h, a_k, (-arm, arm), (0.3, 0.3), **none_fx)

    if k == 2:  # take-off: crouch, push, fly up with the arms raised
        bad = 1.0 - q[1]
        u_start = PLATFORM_EDGE_U - 0.05
        u_end, v_end, phi_end = _takeoff_end(spec)
        arms_top = math.pi * (0.55 + 0.45 * q[1])
        if t < 0.4:
            c = _smooth(t / 0.4)
            hip, knee, arms, phi = 1.0 * c, 1.8 * c, -0.9 * c, 0.25 * c
            u, v = u_start, PLATFORM_V - _leg_height(hip, knee) * math.cos(phi)
        elif t < 0.6:
            e = _smooth((t - 0.4) / 0.2)
            hip, knee, arms, phi = 1.0 * (1 - e), 1.8 * (1 - e), _lerp(-0.9, arms_top, e), 0.25 * (1 - e)
            u, v = u_start, PLATFORM_V - _leg_height(hip, knee) * math.cos(phi)
        else:
            f = (t - 0.6) / 0.4
            rise = 1.0 - (1.0 - f) ** 2  # decelerating to the apex
            hip, knee, arms = 0.0, bad * 1.2 * f, arms_top
            phi = phi_end * f
            u = _lerp(u_start, u_end, f)
            v = _lerp(_standing_hip_v(), v_end, rise)
        return FigureState(
            label,
            True,
            (u, v),
            phi,
            (hip, hip * 0.9),
            (knee, knee),
            (arms, arms * 0.97),
            (bad * 0.9, bad * 0.9),
            **none_fx,
        )

    u_a, v_a, phi_a = _takeoff_end(spec)
    turns = 2 * math.pi * spec.somersaults
    v_w = _rotation_end_v()
    if k == 3:  # rotation: somersaults in tuck or pike while falling, open out before the water
        rng = np.random.default_rng(spec.phase_seeds[2])
        p0, p1, p2 = rng.uniform(0, 2 * math.pi, size=3)
        bad = 1.0 - q[2]
        c = 0.9 * bad
        warp = t + c * math.sin(4 * math.pi * t) / (4 * math.pi)
        phi = _lerp(phi_a, turns, warp) + _smooth((t - 0.85) / 0.15) * _entry_tilt(spec)
        u = _lerp(u_a, ENTRY_U, t)
        v = _lerp(v_a, v_w, t * t)
        tuck = spec.position == "Tuck"
        flail = bad * 0.9 * math.sin(2 * math.pi * 3.0 * tau + p0)
        a_h_tight = 2.3 - bad * 1.8
        a_k_tight = (2.2 - bad * 0.9) if tuck else bad * 1.0
        sep = bad * 0.8 * math.sin(2 * math.pi * 2.1 * tau + p1)
        a_s_tight = 1.9 + bad * 0.8 * math.sin(2 * math.pi * 2.3 * tau + p2)
        into = _smooth(t / 0.12)
        out = _smooth((t - 0.85) / 0.15)
        w = into * (1 - out)
        a_h = (w * (a_h_tight + flail + sep), w * (a_h_tight + flail - sep))
        a_k = (w * a_k_tight, w * a_k_tight)
        arm_end = math.pi
        a_s0 = _lerp(_lerp(math.pi * (0.55 + 0.45 * spec.quality[1]), a_s_tight, into), arm_end, out)
        return FigureState(label, True, (u, v), phi, a_h, a_k, (a_s0, a_s0 + w * 0.1), (w * 0.6, w * 0.6), **none_fx)

    tilt = _entry_tilt(spec)
    entry_u = ENTRY_U - math.sin(tilt) * (TORSO + UPPER_ARM + FOREARM)
    splash_size = 0.2 + 1.5 * (1.0 - q[3])
    if k == 4:  # entry: head first into the water, splash
        bad = 1.0 - q[3]
        depth = (LEG + TORSO + UPPER_ARM + FOREARM + 0.06) * min(1.0, t / 0.5) + 0.04 * max(0.0, t - 0.5)
        u = ENTRY_U + math.sin(tilt) * depth * 0.5
        v = v_w + depth * math.cos(tilt)
        legs = bad * 0.5
        fx = dict(
            splash=splash_size * math.sin(math.pi * min(1.0, t / 0.95)) if t < 0.95 else 0.0,
            splash_t=t,
            ripple=t,
            entry_u=entry_u,
        )
        return FigureState(
            label,
            True,
            (u, v),
            turns + tilt,
            (legs, -legs),
            (bad * 0.9, bad * 0.9),
            (math.pi, math.pi),
            (0.0, 0.0),
            **fx,
        )

    # idle after: calm water with fading rings
    return FigureState(
        label,
        False,
        (ENTRY_U, WATER_V + 0.3),
        turns,
        **straight,
        splash=0.0,
        splash_t=1.0,
        ripple=1.0 + tau,
        entry_u=entry_u,
    )
