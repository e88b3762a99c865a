"""Explaining a score: ordered sub-action segments, Shapley contributions, cumulative curve.

- Order: the S sub-action queries are put in routine order — by the phrase each one aligns with when the
  pack has phrases, else by the centre of mass of its attention over the clips.
- Segments: Drop-DTW (``vatp_core.alignment``) assigns every clip to one sub-action or to none, with
  ``-log A`` as the match cost and a drop cost for idle clips; a sub-action's clips are contiguous and the
  sub-actions follow each other in order. Clips map to frames through the clip ranges of the protocol.
- Contributions: exact Shapley values of the S sub-action vectors for μ, an absent sub-action being
  replaced by the pack's baseline vector (2^S head evaluations). They sum to μ − μ(baseline).
- Cumulative curve: the baseline score plus the contributions accumulated along the routine.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from .result import Segment

__all__ = [
    "Explanation",
    "centre_of_mass",
    "order_subactions",
    "segment_clips",
    "clip_spans",
    "build_segments",
    "frame_labels_from_segments",
    "shapley_values",
    "cumulative_curve",
    "explain",
    "MAX_EXACT_SHAPLEY",
]

MAX_EXACT_SHAPLEY = 16  # 2^16 head evaluations; S is 4 in the paper
_EPS = 1e-12


@dataclass
class Explanation:
    """Everything the explanation adds to a score, per sub-action in routine order."""

    order: list[int]  # query index of each displayed sub-action
    subaction_names: list[str]
    attention: list[list[float]]  # S × T, rows in display order
    clip_labels: list[int]  # per clip: display index of its sub-action, or -1 (idle)
    segments: list[Segment]
    contributions: list[float]  # score units, display order
    baseline_mean: float
    cumulative: dict[str, list[float]] = field(default_factory=lambda: {"frames": [], "scores": []})


# ------------------------------------------------------------------------------------------- ordering
def centre_of_mass(attention: np.ndarray) -> np.ndarray:
    """Mean clip position of each attention row (S,); a row with no mass gets the middle."""
    a = np.asarray(attention, dtype=np.float64)
    t = np.arange(a.shape[1], dtype=np.float64)
    mass = a.sum(axis=1)
    com = (a * t).sum(axis=1) / np.maximum(mass, _EPS)
    return np.where(mass > _EPS, com, (a.shape[1] - 1) / 2.0)


def order_subactions(
    attention: np.ndarray, subactions: np.ndarray | None = None, phrase_vectors: np.ndarray | None = None
) -> tuple[list[int], list[int] | None]:
    """Routine order of the queries, and (with phrases) the phrase index each query aligns with.

    With phrase vectors (L, d), each sub-action vector is matched to a phrase by cosine similarity (a
    one-to-one assignment when S ≤ L, else the most similar phrase) and the queries are sorted by that
    phrase's position, ties by attention centre of mass. Without phrases the
    centre of mass alone decides.
    """
    com = centre_of_mass(attention)
    s = com.shape[0]
    if subactions is not None and phrase_vectors is not None and len(phrase_vectors) > 0:
        q = np.asarray(subactions, dtype=np.float64)
        p = np.asarray(phrase_vectors, dtype=np.float64)
        sim = (q / np.maximum(np.linalg.norm(q, axis=1, keepdims=True), _EPS)) @ (
            p / np.maximum(np.linalg.norm(p, axis=1, keepdims=True), _EPS)
        ).T
        if s <= p.shape[0]:  # one phrase per sub-action: the assignment with the highest total similarity
            from scipy.optimize import linear_sum_assignment

            rows, cols = linear_sum_assignment(-sim)
            matched = [0] * s
            for r, c in zip(rows, cols):
                matched[int(r)] = int(c)
        else:
            matched = [int(i) for i in sim.argmax(axis=1)]
        order = sorted(range(s), key=lambda i: (matched[i], com[i], i))
        return order, matched
    return sorted(range(s), key=lambda i: (com[i], i)), None


# ------------------------------------------------------------------------------------------- segments
DEFAULT_KEEP_LEVEL = 0.5


def default_drop_cost(n_clips: int, keep_level: float = DEFAULT_KEEP_LEVEL) -> float:
    """Drop cost ``-log(keep_level / T)``: a clip is left idle when no sub-action gives it at least
    ``keep_level`` times the uniform attention 1/T (so a row spread evenly over the video still keeps it)."""
    return -math.log(keep_level / max(n_clips, 1))


def segment_clips(attention: np.ndarray, drop_cost: float | np.ndarray | None = None) -> np.ndarray:
    """Per-clip labels (T,) from attention rows already in routine order: row index, or -1 for idle clips.

    Every row gets a contiguous run of at least one clip and runs follow the row order; with fewer clips
    than rows, the rows with the flattest attention are left without clips.
    """
    from .alignment import drop_dtw

    a = np.asarray(attention, dtype=np.float64)
    s, t = a.shape
    labels = np.full(t, -1, dtype=np.int64)
    if s == 0 or t == 0:
        return labels
    rows = list(range(s))
    if s > t:  # every aligned row needs a clip: keep the T most sharply focused rows, in order
        keep = np.argsort(-a.max(axis=1), kind="stable")[:t]
        rows = sorted(int(r) for r in keep)
    cost = -np.log(np.clip(a[rows], _EPS, None))
    if drop_cost is None:
        d = np.full(t, default_drop_cost(t))
    elif isinstance(drop_cost, (int, float, np.floating, np.integer)):
        d = np.full(t, float(drop_cost))
    else:
        d = np.asarray(drop_cost, dtype=np.float64)
    _, sub_labels = drop_dtw(cost, d)
    for x, lab in enumerate(sub_labels):
        labels[x] = rows[lab] if lab >= 0 else -1
    return labels


def clip_spans(clip_ranges: Sequence[Sequence[int]], n_frames: int) -> list[tuple[int, int]]:
    """The frames each clip stands for: overlapping clips split at the midpoint of their centres.

    Non-overlapping clips keep their exact ranges; spans never overlap and stay inside the video.
    """
    spans = []
    n = len(clip_ranges)
    last_frame = max(n_frames - 1, 0)
    centres = [(a + b) / 2.0 for a, b in clip_ranges]
    for i, (first, last) in enumerate(clip_ranges):
        lo, hi = int(first), int(last)
        if i > 0 and clip_ranges[i - 1][1] >= first:  # overlaps the previous clip
            lo = int(math.floor((centres[i - 1] + centres[i]) / 2.0)) + 1
        if i + 1 < n and clip_ranges[i + 1][0] <= last:  # overlaps the next clip
            hi = int(math.floor((centres[i] + centres[i + 1]) / 2.0))
        lo, hi = min(max(lo, 0), last_frame), min(max(hi, 0), last_frame)
        spans.append((lo, max(lo, hi)))
    return spans


def build_segments(
    labels: Sequence[int],
    attention: np.ndarray,
    clip_ranges: Sequence[Sequence[int]],
    n_frames: int,
    fps: float,
    names: Sequence[str],
    contributions: Sequence[float] | None = None,
    timestamp: Callable[[int], float] | None = None,
) -> list[Segment]:
    """One Segment per labelled run of clips, in time order (labels from `segment_clips`)."""
    a = np.asarray(attention, dtype=np.float64)
    spans = clip_spans(clip_ranges, n_frames)
    share = a / np.maximum(a.sum(axis=0, keepdims=True), _EPS)  # attention share of each row per clip
    fps = float(fps) if fps and fps > 0 else 25.0

    def time_of(frame: int) -> float:
        return float(timestamp(frame)) if timestamp is not None else frame / fps

    segments: list[Segment] = []
    x = 0
    labels = list(int(v) for v in labels)
    while x < len(labels):
        lab = labels[x]
        if lab < 0:
            x += 1
            continue
        start = x
        while x + 1 < len(labels) and labels[x + 1] == lab:
            x += 1
        first, last = spans[start][0], spans[x][1]
        if timestamp is None or last + 1 < n_frames:
            end_time = time_of(last + 1)
        else:  # end of the video's last frame: one frame duration after its start
            end_time = time_of(last) + (time_of(last) - time_of(last - 1) if last > 0 else 1.0 / fps)
        segments.append(
            Segment(
                index=lab,
                name=str(names[lab]),
                start_frame=int(first),
                end_frame=int(last),
                start_time=round(time_of(first), 6),
                end_time=round(end_time, 6),
                confidence=round(float(share[lab, start : x + 1].mean()), 6),
                contribution=float(contributions[lab]) if contributions is not None else 0.0,
            )
        )
        x += 1
    return segments


def frame_labels_from_segments(segments: Sequence[Segment], n_frames: int) -> np.ndarray:
    """Per-frame sub-action (display order index) from segments; −1 on frames no segment covers."""
    out = np.full(n_frames, -1, dtype=np.int64)
    for seg in segments:
        out[seg.start_frame : seg.end_frame + 1] = seg.index
    return out


# ------------------------------------------------------------------------------------------- Shapley
def shapley_values(
    value_fn: Callable[[np.ndarray], np.ndarray], subactions: np.ndarray, baseline: np.ndarray
) -> tuple[np.ndarray, float, float]:
    """Exact Shapley values of S players for ``value_fn`` ((M, S, d) → (M,)), absent players = baseline rows.

    Returns (φ (S,), v(all present), v(all baseline)); Σφ = v(all) − v(none) up to float64 rounding.
    """
    x = np.asarray(subactions, dtype=np.float64)
    b = np.asarray(baseline, dtype=np.float64)
    s = x.shape[0]
    if b.shape != x.shape:
        raise ValueError(f"baseline shape {b.shape} differs from sub-actions {x.shape}")
    if s > MAX_EXACT_SHAPLEY:
        raise ValueError(f"exact Shapley values need 2^S evaluations; S={s} is above {MAX_EXACT_SHAPLEY}")
    n = 1 << s
    masks = np.arange(n)
    present = ((masks[:, None] >> np.arange(s)[None, :]) & 1).astype(bool)  # (2^S, S)
    values = np.empty(n, dtype=np.float64)
    chunk = 4096
    for lo in range(0, n, chunk):
        pm = present[lo : lo + chunk]
        batch = np.where(pm[:, :, None], x[None], b[None])
        values[lo : lo + chunk] = np.asarray(value_fn(batch), dtype=np.float64).reshape(-1)
    sizes = present.sum(axis=1)
    weights = np.array([math.factorial(k) * math.factorial(s - k - 1) / math.factorial(s) for k in range(s)])
    phi = np.zeros(s, dtype=np.float64)
    for i in range(s):
        without = masks[~present[:, i]]
        phi[i] = np.sum(weights[sizes[without]] * (values[without | (1 << i)] - values[without]))
    return phi, float(values[n - 1]), float(values[0])


# ------------------------------------------------------------------------------------------- curve
def cumulative_curve(
    segments: Sequence[Segment], contributions: Sequence[float], baseline: float, n_frames: int
) -> dict[str, list[float]]:
    """Baseline plus contributions accumulated in time order: piecewise-linear points (frame, score).

    Each segment's contribution is added linearly across its frames; sub-actions that were not placed
    in time are added at the last frame, so the curve ends at μ.
    """
    last = max(int(n_frames) - 1, 0)
    frames: list[float] = [0]
    scores: list[float] = [float(baseline)]
    total = float(baseline)
    placed = set()
    for seg in sorted(segments, key=lambda s: s.start_frame):
        frames += [int(seg.start_frame), int(seg.end_frame)]
        scores += [total, total + float(contributions[seg.index])]
        total += float(contributions[seg.index])
        placed.add(seg.index)
    for i, c in enumerate(contributions):
        if i not in placed:
            total += float(c)
    frames.append(last)
    scores.append(total)
    return {"frames": frames, "scores": scores}


# ------------------------------------------------------------------------------------------- all
def explain(
    attention: np.ndarray | None,
    clip_ranges: Sequence[Sequence[int]],
    n_frames: int,
    fps: float,
    *,
    mean: float,
    subactions: np.ndarray | None = None,
    baseline: np.ndarray | None = None,
    value_fn: Callable[[np.ndarray], np.ndarray] | None = None,
    phrase_vectors: np.ndarray | None = None,
    phrases: Sequence[str] | None = None,
    names: Sequence[str] | None = None,  # the routine's sub-action names, in routine order
    scale: float = 1.0,
    offset: float = 0.0,
    drop_cost: float | None = None,
    timestamp: Callable[[int], float] | None = None,
) -> Explanation:
    """Explain one video's score.

    ``value_fn`` maps sub-action vectors (M, S, d) to μ in model units; ``score = μ·scale + offset``
    (scale = score-norm std × difficulty, offset = score-norm mean × difficulty). ``mean`` is the
    predicted score in score units; the contributions sum to ``mean`` − ``baseline_mean``.
    Without attention (presets without the ParseFormer) there are no segments or contributions.
    """
    if attention is None or np.asarray(attention).size == 0:
        return Explanation(
            order=[],
            subaction_names=[],
            attention=[],
            clip_labels=[-1] * len(clip_ranges),
            segments=[],
            contributions=[],
            baseline_mean=float(mean),
            cumulative=cumulative_curve([], [], float(mean), n_frames),
        )
    a = np.asarray(attention, dtype=np.float64)
    s = a.shape[0]
    order, matched = order_subactions(a, subactions, phrase_vectors)
    if matched is not None and phrases:
        base_names = [str(phrases[m]) if m < len(phrases) else f"Sub-action {q + 1}" for q, m in enumerate(matched)]
        display_names = _unique([base_names[q] for q in order])
    elif names and len(names) == s:
        # The routine's sub-actions in order: the k-th sub-action found in time takes the k-th name
        # (the monotone alignment of ordered queries to an ordered routine).
        display_names = _unique([str(n) for n in names])
    else:
        display_names = [f"Sub-action {k + 1}" for k in range(s)]
    a_ord = a[order]

    if subactions is not None and baseline is not None and value_fn is not None:
        phi, _, v_base = shapley_values(value_fn, np.asarray(subactions)[order], np.asarray(baseline)[order])
        contributions = [float(p * scale) for p in phi]
        baseline_mean = float(v_base * scale + offset)
    else:
        contributions = [0.0] * s
        baseline_mean = float(mean)

    labels = [int(v) for v in segment_clips(a_ord, drop_cost)]
    segments = build_segments(labels, a_ord, clip_ranges, n_frames, fps, display_names, contributions, timestamp)
    return Explanation(
        order=[int(q) for q in order],
        subaction_names=display_names,
        attention=[[float(v) for v in row] for row in a_ord],
        clip_labels=[int(v) for v in labels],
        segments=segments,
        contributions=contributions,
        baseline_mean=baseline_mean,
        cumulative=cumulative_curve(segments, contributions, baseline_mean, n_frames),
    )


def _unique(names: list[str]) -> list[str]:
    """Make repeated names distinct ("Twist", "Twist (2)") so segments can be told apart."""
    seen: dict[str, int] = {}
    out = []
    for n in names:
        seen[n] = seen.get(n, 0) + 1
        out.append(n if seen[n] == 1 else f"{n} ({seen[n]})")
    return out
