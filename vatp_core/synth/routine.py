"""What one synthetic routine is: its sub-action timeline, how well each part is executed, and its score.

A SynthAQA routine is a platform dive in four ordered sub-actions (approach, take-off, rotation,
entry), optionally framed by idle frames (label −1). Everything a video shows is derived from a
:class:`RoutineSpec`, which is drawn from a seeded generator, so the ground truth (score, phrases and
per-frame labels) is exact rather than annotated.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

SUBACTION_NAMES: tuple[str, ...] = ("Approach", "Take-off", "Rotation", "Entry")
IDLE_LABEL = -1

# Weight of each sub-action's execution quality in the score (sum to 1); the score range is 0..100.
QUALITY_WEIGHTS: tuple[float, ...] = (0.10, 0.20, 0.30, 0.40)
SCORE_RANGE: tuple[float, float] = (0.0, 100.0)

# Duration ranges in seconds: idle before, the four sub-actions, idle after.
IDLE_START_S = (0.0, 0.6)
PHASE_S = ((1.2, 2.4), (0.8, 1.4), (1.2, 2.4), (0.9, 1.6))
IDLE_END_S = (0.2, 0.6)

SOMERSAULTS = (1.5, 2.5, 3.5)
POSITIONS = ("Tuck", "Pike")


def score_from_quality(quality: tuple[float, ...] | list[float] | np.ndarray) -> float:
    """The judged score of a routine: 100 × the weighted execution quality of its sub-actions (rounded to 0.01)."""
    q = np.clip(np.asarray(quality, dtype=np.float64), 0.0, 1.0)
    if q.shape != (len(SUBACTION_NAMES),):
        raise ValueError(f"need {len(SUBACTION_NAMES)} quality values, got shape {q.shape}")
    return round(float(SCORE_RANGE[1] * np.dot(q, QUALITY_WEIGHTS)), 2)


def routine_phrases(somersaults: float, position: str) -> list[str]:
    """The sub-action descriptions of a routine, in order (the dive-code style MTL-AQA uses)."""
    return ["Approach", "Take-off", f"{somersaults:g} Soms.{position}", "Entry"]


@dataclass(frozen=True)
class Scene:
    """How the camera and the venue look: framing, colours and sensor noise."""

    zoom: float  # stage side as a fraction of the frame height
    offset: tuple[float, float]  # stage centre offset (x, y) as a fraction of the frame height
    sky_top: tuple[int, int, int]
    sky_bottom: tuple[int, int, int]
    water: tuple[int, int, int]
    platform: tuple[int, int, int]
    figure: tuple[int, int, int]
    stands: tuple[tuple[float, float, float, float, int, int, int], ...]  # (u0, v0, u1, v1, r, g, b) clutter boxes
    noise: float  # std of Gaussian pixel noise (0..255 scale)
    noise_seed: int


@dataclass(frozen=True)
class RoutineSpec:
    """Everything that determines one rendered routine."""

    quality: tuple[float, float, float, float]  # execution quality per sub-action, 0 (poor) .. 1 (perfect)
    durations: tuple[int, ...]  # frames: idle start, approach, take-off, rotation, entry, idle end
    somersaults: float
    position: str
    scene: Scene
    fps: float = 25.0
    phase_seeds: tuple[int, ...] = field(default=(0, 0, 0, 0))  # per-sub-action motion detail (gait phase, wobble)

    @property
    def n_frames(self) -> int:
        return int(sum(self.durations))

    @property
    def score(self) -> float:
        return score_from_quality(self.quality)

    @property
    def phrases(self) -> list[str]:
        return routine_phrases(self.somersaults, self.position)

    def boundaries(self) -> list[tuple[int, int]]:
        """(first, last) frame of each of the four sub-actions, inclusive."""
        start = self.durations[0]
        out = []
        for d in self.durations[1:5]:
            out.append((start, start + d - 1))
            start += d
        return out

    def frame_labels(self) -> list[int]:
        """One label per frame: the sub-action index, or −1 for idle frames."""
        labels = [IDLE_LABEL] * self.durations[0]
        for k, d in enumerate(self.durations[1:5]):
            labels += [k] * d
        labels += [IDLE_LABEL] * self.durations[5]
        return labels

    def to_dict(self) -> dict:
        d = asdict(self)
        d["score"] = self.score
        d["phrases"] = self.phrases
        return d


def _color(rng: np.random.Generator, lo: int, hi: int) -> tuple[int, int, int]:
    r, g, b = (int(x) for x in rng.integers(lo, hi, size=3))
    return (r, g, b)


def sample_routine(rng: np.random.Generator, *, fps: float = 25.0, idle: bool = True) -> RoutineSpec:
    """Draw one routine: independent quality per sub-action, durations, dive, framing, colours, noise."""
    q0, q1, q2, q3 = (float(round(x, 4)) for x in rng.uniform(0.0, 1.0, size=4))
    quality = (q0, q1, q2, q3)
    secs = [rng.uniform(*IDLE_START_S)] + [rng.uniform(*r) for r in PHASE_S] + [rng.uniform(*IDLE_END_S)]
    durations = [max(1, int(round(s * fps))) for s in secs]
    if not idle:
        durations[0] = durations[5] = 0
    somersaults = float(rng.choice(SOMERSAULTS))
    position = str(rng.choice(POSITIONS))
    sky_top = _color(rng, 120, 235)
    r, g, b = (int(np.clip(c + rng.integers(-40, 41), 60, 250)) for c in sky_top)
    sky_bottom = (r, g, b)
    water = (int(rng.integers(10, 70)), int(rng.integers(70, 150)), int(rng.integers(120, 210)))  # RGB, bluish
    platform = _color(rng, 90, 170)
    # the athlete: a saturated colour that stands out from sky and water
    hue = rng.integers(0, 3)
    figure = [int(rng.integers(0, 60)) for _ in range(3)]
    figure[hue] = int(rng.integers(180, 256))
    if hue == 2:  # avoid blue on blue water: make it magenta
        figure[0] = int(rng.integers(170, 256))
    stands = []
    for _ in range(int(rng.integers(2, 7))):
        u0, v0 = rng.uniform(-0.6, 1.4), rng.uniform(-0.4, 0.55)
        stands.append(
            (
                float(u0),
                float(v0),
                float(u0 + rng.uniform(0.1, 0.5)),
                float(v0 + rng.uniform(0.05, 0.2)),
                *_color(rng, 70, 220),
            )
        )
    scene = Scene(
        zoom=float(rng.uniform(0.78, 0.98)),
        offset=(float(rng.uniform(-0.05, 0.05)), float(rng.uniform(-0.04, 0.04))),
        sky_top=sky_top,
        sky_bottom=sky_bottom,
        water=water,
        platform=platform,
        figure=(figure[0], figure[1], figure[2]),
        stands=tuple(stands),
        noise=float(rng.uniform(0.0, 8.0)),
        noise_seed=int(rng.integers(0, 2**31 - 1)),
    )
    return RoutineSpec(
        quality=quality,
        durations=tuple(durations),
        somersaults=somersaults,
        position=position,
        scene=scene,
        fps=float(fps),
        phase_seeds=tuple(int(x) for x in rng.integers(0, 2**31 - 1, size=4)),
    )


def routine_rng(seed: int, index: int) -> np.random.Generator:
    """The generator of routine `index` in the set made with `seed` (independent of how many are made)."""
    return np.random.default_rng([int(seed), int(index), 0x5A7A])
