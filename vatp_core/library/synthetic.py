"""Made-up attempts for the README picture, the benchmark and the tests: a season of a few athletes.

The scores are random walks, not model output; the pack they name says so ("synthetic — not for judging").
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from pathlib import Path

from ..result import PackRecord, ScoreResult, Segment, VideoRecord

SYNTHETIC_NAMES = ("Approach", "Take-off", "Flight", "Entry")
SYNTHETIC_ATHLETES = ("A. Diver", "B. Springer", "C. Platform", "D. Tuck", "E. Pike")
SYNTHETIC_TAGS = ("training", "competition", "new board", "after injury", "video angle 2")


def synthetic_pack(name: str = "synthetic-diving", weights: str = "0" * 64) -> PackRecord:
    return PackRecord(
        name=name,
        sport="diving",
        event="3m springboard",
        label="synthetic — not for judging",
        not_for_judging=True,
        backbone="tiny",
        protocol={"name": "generic", "clip_len": 16, "stride": 8},
        score_range=(0.0, 100.0),
        weights_sha256=weights,
    )


def synthetic_result(
    index: int,
    *,
    athlete: str = "A. Diver",
    when: datetime | None = None,
    mean: float = 70.0,
    pack: PackRecord | None = None,
    rng: random.Random | None = None,
    with_interval: bool = False,
) -> ScoreResult:
    """One plausible attempt: four sub-actions whose contributions add up to the score above baseline."""
    rng = rng or random.Random(index)
    when = when or datetime(2026, 9, 1, 9, 0, tzinfo=timezone.utc) + timedelta(hours=index)
    baseline = 40.0
    weights = [rng.uniform(0.5, 1.5) for _ in SYNTHETIC_NAMES]
    contributions = [(mean - baseline) * w / sum(weights) for w in weights]
    fps, per = 25.0, 24
    segments = [
        Segment(i, n, i * per, i * per + per - 1, i * per / fps, (i + 1) * per / fps, rng.uniform(0.5, 0.9), c)
        for i, (n, c) in enumerate(zip(SYNTHETIC_NAMES, contributions))
    ]
    std = rng.uniform(1.0, 3.0)
    result = ScoreResult(
        video=VideoRecord(
            path=f"/videos/{athlete.replace(' ', '_').replace('.', '')}/attempt_{index:05d}.mp4",
            name=f"attempt_{index:05d}.mp4",
            n_frames=per * len(SYNTHETIC_NAMES),
            fps=fps,
            duration=per * len(SYNTHETIC_NAMES) / fps,
            width=640,
            height=360,
            content_hash=f"{index:032x}",
        ),
        pack=pack or synthetic_pack(),
        mean=mean,
        std=std,
        raw_mean=mean,
        subaction_names=list(SYNTHETIC_NAMES),
        segments=segments,
        contributions=contributions,
        baseline_mean=baseline,
        created=when.replace(microsecond=0).isoformat(),
    )
    result.athlete = athlete
    result.tags = [SYNTHETIC_TAGS[index % len(SYNTHETIC_TAGS)]]
    if with_interval:
        result.interval = {"level": 0.95, "low": mean - 1.96 * std, "high": mean + 1.96 * std, "method": "synthetic"}
    return result


def synthetic_season(n: int, *, athletes: int = 5, seed: int = 0, with_interval: bool = False) -> list[ScoreResult]:
    """``n`` attempts of a few athletes over a season, each athlete improving on average, oldest first."""
    rng = random.Random(seed)
    names = [SYNTHETIC_ATHLETES[i % len(SYNTHETIC_ATHLETES)] + ("" if i < 5 else f" {i}") for i in range(athletes)]
    level = {name: rng.uniform(55.0, 70.0) for name in names}
    start = datetime(2026, 9, 1, 9, 0, tzinfo=timezone.utc)
    out = []
    for i in range(n):
        name = names[i % len(names)]
        level[name] = min(95.0, level[name] + rng.gauss(0.15, 1.0))
        when = start + timedelta(minutes=int(i * 90 * 24 * 60 / max(n, 1)))
        out.append(
            synthetic_result(
                i, athlete=name, when=when, mean=level[name] + rng.gauss(0, 2.0), rng=rng, with_interval=with_interval
            )
        )
    return out


def write_synthetic_sidecars(folder: str | os.PathLike, indices: Iterable[int], athlete: str | None = None) -> Path:
    """Sidecars ``attempt_NNNN.mp4.vatp.json`` of made-up attempts (no videos), e.g. to import or rebuild from."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for i in indices:
        result = synthetic_result(i, athlete=athlete if athlete is not None else f"Athlete {i % 7}")
        result.save_sidecar(folder / f"attempt_{i:04d}.mp4")
    return folder


def build_synthetic_library(path: str | os.PathLike, n: int, *, athletes: int = 5, seed: int = 0) -> Path:
    """A library file of ``n`` made-up attempts (the README picture's and the benchmark's)."""
    from .store import Library

    results = synthetic_season(n, athletes=athletes, seed=seed)
    with Library(path) as lib:
        for start in range(0, n, 1000):
            lib.add_results([(r, None) for r in results[start : start + 1000]])
    return Path(path)
