"""The charts of VATP Studio, computed once and drawn by every backend: series, ranges, ticks, labels,
legend entries and colours of the scatter, the CS curve, the score distribution and the cumulative score.

A `Chart` holds numbers and hex colours only. The PDF report paints it with QPainter (app/report/painter.py),
`vatp eval` with OpenCV (vatp_core/plots.py) and the Compare tab with pyqtgraph (app/comparison_tab.py), so
the three never disagree on what a chart shows. Qt-free.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np

from . import palette
from .metrics import cumulative_score_curve


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """Round tick values covering [lo, hi] (1, 2, 2.5, 5 × 10^k steps)."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return []
    if hi <= lo:
        hi = lo + 1.0
    raw = (hi - lo) / max(1, n)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    v = math.ceil(lo / step - 1e-9) * step
    ticks = []
    while v <= hi + 1e-9 * step:
        ticks.append(round(v, 10))
        v += step
    return ticks


def tick_labels(ticks: Sequence[float]) -> list[str]:
    """The ticks written with the fewest decimals that show each exactly (0, 2.5, 5 → "0", "2.5", "5.0" no)."""
    for decimals in range(7):
        if all(abs(t - round(t, decimals)) < 1e-9 for t in ticks):
            return [f"{t:.{decimals}f}" for t in ticks]
    return [f"{t:.3g}" for t in ticks]


@dataclass
class Axis:
    lo: float
    hi: float
    label: str = ""
    ticks: list[float] = field(default_factory=list)
    tick_labels: list[str] = field(default_factory=list)
    categorical: bool = False  # ticks name spans (sub-actions), not values: no grid lines, fixed when zoomed

    @classmethod
    def numeric(cls, lo: float, hi: float, label: str = "", n: int = 5, ticks: bool = True) -> Axis:
        values = [t for t in nice_ticks(lo, hi, n) if lo - 1e-9 <= t <= hi + 1e-9] if ticks else []
        return cls(lo, hi, label, values, tick_labels(values))


@dataclass
class Series:
    x: list[float]
    y: list[float]
    color: str  # "#RRGGBB" from vatp_core.palette
    label: str = ""  # "" → no legend entry
    style: str = "line"  # "line", "step" (held until the next point) or "points"
    dashed: bool = False

    def path(self) -> tuple[list[float], list[float]]:
        """The vertices to join: a step series gains the corners it is held at."""
        if self.style != "step" or len(self.x) < 2:
            return list(self.x), list(self.y)
        xs, ys = [self.x[0]], [self.y[0]]
        for x, y in zip(self.x[1:], self.y[1:]):
            xs += [x, x]
            ys += [ys[-1], y]
        return xs, ys


@dataclass
class Line:
    """A straight reference line (the y = x diagonal, μ, a boundary between sub-actions)."""

    x0: float
    y0: float
    x1: float
    y1: float
    color: str = palette.IDENTITY
    dashed: bool = True


@dataclass
class Band:
    """A filled area under a curve: down to y = 0 (the ±σ band of a distribution) or down to ``lower``
    (the interval band of a score over time)."""

    x: list[float]
    y: list[float]
    color: str
    alpha: float = 0.25
    lower: list[float] | None = None

    def outline(self) -> list[tuple[float, float]]:
        """The polygon to fill: along the curve, then back along the lower edge."""
        lower = self.lower if self.lower is not None else [0.0] * len(self.x)
        return list(zip(self.x, self.y)) + list(zip(reversed(self.x), reversed(lower)))


@dataclass
class Chart:
    title: str
    x: Axis
    y: Axis
    series: list[Series] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    bands: list[Band] = field(default_factory=list)
    legend: str = "upper left"  # where the legend goes: "upper left", "lower right" or "" for none

    def legend_entries(self) -> list[tuple[str, str, bool]]:
        """(label, colour, dashed) of every labelled series, in drawing order."""
        if not self.legend:
            return []
        return [(s.label, s.color, s.dashed) for s in self.series if s.label]


def _padded(values: Sequence[float], share: float, minimum: float = 0.5) -> tuple[float, float]:
    lo, hi = float(min(values)), float(max(values))
    pad = (hi - lo) * share or minimum
    return lo - pad, hi + pad


def scatter_chart(
    pred: Sequence[float], true: Sequence[float], *, score_range: Sequence[float] | None = None, title: str = ""
) -> Chart:
    """Predicted (y) against true (x) scores with the y = x diagonal (paper Fig. 6)."""
    p, t = [float(v) for v in pred], [float(v) for v in true]
    if not p or len(p) != len(t):
        raise ValueError("a scatter needs equally many (≥ 1) true and predicted scores")
    values = p + t + ([float(score_range[0]), float(score_range[1])] if score_range else [])
    lo, hi = _padded(values, 0.05)
    return Chart(
        title or "Predicted vs true score",
        Axis.numeric(lo, hi, "true score"),
        Axis.numeric(lo, hi, "predicted score"),
        series=[Series(t, p, palette.attempt_color(0), style="points")],
        lines=[Line(lo, lo, hi, hi)],
        legend="",
    )


def cs_curve_chart(curves: Mapping[str, tuple[Sequence[float], Sequence[float]]], *, title: str = "") -> Chart:
    """Cumulative score curves, share of routines with |error| ≤ α against α (paper Fig. 7): curve k in
    attempt colour k, each held at its last share up to the largest α of all."""
    if not curves:
        raise ValueError("no curves to draw")
    top = max((float(max(a)) for a, _ in curves.values() if len(a)), default=0.0) or 1.0
    series = []
    for k, (name, (alphas, shares)) in enumerate(curves.items()):
        xs, ys = [float(a) for a in alphas], [float(s) for s in shares]
        if xs and xs[-1] < top:
            xs.append(top)
            ys.append(ys[-1])
        series.append(Series(xs, ys, palette.attempt_color(k), label=name or "share with |error| ≤ α"))
    return Chart(
        title or "Cumulative score (CS) curve",
        Axis.numeric(0.0, top, "error threshold α"),
        Axis.numeric(0.0, 1.02, "share with |error| ≤ α", n=4),
        series=series,
        legend="lower right",
    )


def cs_curve_of(pred: Sequence[float], true: Sequence[float], name: str = "", *, title: str = "") -> Chart:
    """The CS curve of one set of predictions (thresholds as `metrics.cumulative_score_curve` picks them)."""
    alphas, shares = cumulative_score_curve(pred, true)
    return cs_curve_chart({name: (alphas.tolist(), shares.tolist())}, title=title)


def distribution_chart(result: Any) -> Chart:
    """The predicted score distribution: density curve, μ line and a band, zoomed on μ ± 4σ and the band.

    The band is the calibrated interval when the result has one (the paper's σ collapses, so ±σ would claim a
    certainty the model does not have), else ±σ.
    """
    dist = result.distribution or {}
    xs, ys = list(dist.get("x") or []), list(dist.get("pdf") or [])
    mu, sd = float(result.mean), max(float(result.std), 1e-9)
    lo_hi = result.pack.score_range or []
    width = abs(float(lo_hi[1]) - float(lo_hi[0])) if len(lo_hi) == 2 else 0.0
    half = max(4.0 * sd, 0.01 * width)  # zoom on the distribution when σ is small against the range
    if len(xs) == len(ys) and len(xs) >= 2:
        inside = [(x, y) for x, y in zip(xs, ys) if mu - half <= x <= mu + half]
        xs, ys = ([x for x, _ in inside], [y for _, y in inside]) if len(inside) >= 30 else ([], [])
    if len(xs) < 2:  # too few stored points in view: the normal N(μ, σ²) the result describes
        xs = [mu + half * (k / 80.0) for k in range(-80, 81)]
        ys = [math.exp(-0.5 * ((x - mu) / sd) ** 2) / (sd * math.sqrt(2 * math.pi)) for x in xs]
    iv = getattr(result, "interval", None) or {}
    b_lo, b_hi = (float(iv["low"]), float(iv["high"])) if iv.get("low") is not None else (mu - sd, mu + sd)
    if b_lo < min(xs) or b_hi > max(xs):  # widen the view to the interval and a margin: the density is ~0 there
        margin = 0.08 * (b_hi - b_lo)  # so the band's edges show as edges, not as the frame of the plot
        v_lo, v_hi = min(min(xs), b_lo - margin), max(max(xs), b_hi + margin)
        step = (max(xs) - min(xs)) / 80.0 or 1.0
        left = [v_lo + k * step for k in range(int((min(xs) - v_lo) / step) + 1)] if v_lo < min(xs) else []
        right = [max(xs) + (k + 1) * step for k in range(int((v_hi - max(xs)) / step) + 1)] if v_hi > max(xs) else []
        dens = [math.exp(-0.5 * ((x - mu) / sd) ** 2) / (sd * math.sqrt(2 * math.pi)) for x in left + right]
        xs = left + xs + right
        ys = dens[: len(left)] + ys + dens[len(left) :]
    top = max(ys) * 1.12 or 1.0
    color = palette.attempt_color(0)
    floor = top * 0.15  # a sharp density is ~0 over most of a calibrated interval: the band stays visible
    band = [(x, max(y, floor)) for x, y in zip(xs, ys) if b_lo <= x <= b_hi]
    return Chart(
        "Predicted score distribution",
        Axis.numeric(min(xs), max(xs), "predicted score"),
        Axis.numeric(0.0, top, ticks=False),
        series=[Series(xs, ys, color)],
        lines=[Line(mu, 0.0, mu, top, palette.INK)],
        bands=[Band([x for x, _ in band], [y for _, y in band], color)] if band else [],
        legend="",
    )


def cumulative_series(result: Any) -> tuple[list[float], list[float]]:
    """(seconds, cumulative score) of one attempt, from the result's cumulative curve."""
    cum = result.cumulative or {}
    frames, scores = list(cum.get("frames") or []), list(cum.get("scores") or [])
    fps = result.video.fps or 25.0
    n = min(len(frames), len(scores))
    return [float(f) / fps for f in frames[:n]], [float(s) for s in scores[:n]]


def cumulative_chart(result: Any, reference: Any = None) -> Chart | None:
    """Score so far against time, one step curve per attempt (the reference dashed); None without a curve."""
    xs, ys = cumulative_series(result)
    if not xs:
        return None
    series = [Series(xs, ys, palette.attempt_color(0), f"this attempt ({result.mean:.2f})", "step")]
    if reference is not None:
        rx, ry = cumulative_series(reference)
        if rx:
            label = f"reference: {reference.video_name} ({reference.mean:.2f})"
            series.append(Series(rx, ry, palette.attempt_color(1), label, "step", dashed=True))
    all_x = [x for s in series for x in s.x]
    x0, x1 = min(all_x), max(all_x)
    return Chart(
        "Cumulative score",
        Axis.numeric(x0, x1 if x1 > x0 else x0 + 1, "time (s)"),
        Axis.numeric(*_padded([y for s in series for y in s.y], 0.08), "score so far", n=4),
        series=series,
    )


def aligned_cumulative(result: Any) -> tuple[np.ndarray, np.ndarray]:
    """The result's cumulative-score curve on a 'sub-action progress' axis: sub-action k spans [k, k+1].

    Frames are warped piecewise-linearly so each attempt's sub-action starts land on the same x, which is
    what lets two attempts of different tempo be compared move by move.
    """
    frames = np.asarray((result.cumulative or {}).get("frames", []), float)
    scores = np.asarray((result.cumulative or {}).get("scores", []), float)
    if frames.size == 0:
        return frames, scores
    segs = sorted(result.segments or [], key=lambda s: s.start_frame)
    if not segs:
        n = float(result.video.n_frames or (frames.max() + 1))
        return frames / max(n, 1.0) * max(len(result.subaction_names), 1), scores
    knots_f = [float(s.start_frame) for s in segs] + [float(segs[-1].end_frame + 1)]
    return np.interp(frames, knots_f, np.arange(len(knots_f), dtype=float)), scores


def aligned_comparison_chart(results: Sequence[Any]) -> Chart:
    """Attempts' cumulative curves aligned on sub-actions: attempt k in attempt colour k, a dotted line at
    every sub-action boundary and the first attempt's sub-action names under their spans."""
    series, ys = [], []
    for k, result in enumerate(results):
        x, y = aligned_cumulative(result)
        series.append(
            Series(
                x.tolist(), y.tolist(), palette.attempt_color(k), f"{k + 1}. {result.video_name} ({result.mean:.2f})"
            )
        )
        ys += y.tolist()
    n_boundaries = max((len(r.segments or []) for r in results), default=0)
    lo, hi = _padded(ys, 0.08) if ys else (0.0, 1.0)
    x_axis = Axis(0.0, float(max(n_boundaries, 1)), "sub-action", categorical=True)
    if results and results[0].segments:
        ordered = sorted(results[0].segments, key=lambda s: s.start_frame)
        x_axis.ticks = [k + 0.5 for k in range(len(ordered))]
        x_axis.tick_labels = [s.name for s in ordered]
    return Chart(
        "Cumulative score along the routine (aligned on sub-actions)",
        x_axis,
        Axis.numeric(lo, hi, "score", n=4),
        series=series,
        lines=[Line(k, lo, k, hi, palette.IDENTITY) for k in range(n_boundaries + 1)],
    )


def progress_charts(series: Any) -> tuple[Chart, Chart]:
    """One athlete's attempts with one pack over time (x in POSIX seconds): the score with its interval band
    (± σ while results carry no interval), and one line per sub-action contribution.

    ``series`` is a `vatp_core.library.ProgressSeries`: one pack only, so one score scale.
    """
    from datetime import datetime

    xs = [datetime.fromisoformat(t).timestamp() for t in series.times]
    means = [float(m) for m in series.means]
    color = palette.attempt_color(0)
    if series.has_intervals:
        kept = [(x, lo, hi) for x, lo, hi in zip(xs, series.interval_lo, series.interval_hi) if None not in (lo, hi)]
        bx, blo, bhi = [k[0] for k in kept], [float(k[1]) for k in kept], [float(k[2]) for k in kept]
        band_label = "interval"
    else:
        bx, blo, bhi = xs, [m - s for m, s in zip(means, series.stds)], [m + s for m, s in zip(means, series.stds)]
        band_label = "± σ"
    x_lo, x_hi = (min(xs), max(xs)) if xs else (0.0, 1.0)
    if x_hi <= x_lo:
        x_lo, x_hi = x_lo - 86400.0, x_hi + 86400.0
    pad = 0.02 * (x_hi - x_lo)
    x_axis = Axis.numeric(x_lo - pad, x_hi + pad, "date", ticks=False)
    values = means + blo + bhi
    y_lo, y_hi = _padded(values, 0.1, 1.0) if values else (0.0, 1.0)
    if series.score_range:
        y_lo, y_hi = max(float(series.score_range[0]), y_lo), min(float(series.score_range[1]), y_hi)
    score = Chart(
        f"{series.athlete}: {series.pack_name}",
        x_axis,
        Axis.numeric(y_lo, y_hi, f"score ({band_label})"),
        series=[Series(xs, means, color, "score")]
        + ([Series(xs, means, color, "", "points")] if len(xs) <= 150 else []),
        bands=[Band(bx, bhi, color, 0.22, lower=blo)] if bx else [],
        legend="",
    )
    lines, all_c = [], []
    for k, (name, values_k) in enumerate(series.contributions.items()):
        pts = [(x, float(c)) for x, c in zip(xs, values_k) if c is not None]
        all_c += [c for _, c in pts]
        lines.append(Series([p[0] for p in pts], [p[1] for p in pts], palette.subaction_color(k), name))
    c_lo, c_hi = _padded(all_c + [0.0], 0.1, 0.5)
    contributions = Chart(
        "Sub-action contributions",
        x_axis,
        Axis.numeric(c_lo, c_hi, "contribution"),
        series=lines,
        lines=[Line(x_axis.lo, 0.0, x_axis.hi, 0.0)],
        legend="upper left",
    )
    return score, contributions
