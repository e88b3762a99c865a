"""The one result type of scoring a routine: plain data that feeds the GUI, the PDF, the CSV and the JSON.

Nothing here imports torch or numpy arrays into the stored fields: every field is a float, int, str,
list or dict, so ``to_dict()`` is JSON as it is and a result loads back equal to what was saved.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .atomic import atomic_write
from .result_records import (  # noqa: F401 - the parts of the schema, importable from here
    NotComparableError,
    PackRecord,
    ResultFormatError,
    Segment,
    SidecarMismatchError,
    VideoDamage,
    VideoRecord,
    _finite,
    _num,
)
from .time_format import clock

# Version history (every older version still loads; tests/data/results/vN holds samples of each):
#   1: first format
#   2: athlete, notes, tags
#   3: ``drawings`` (the coach's drawings of the video, a `vatp_core.drawings.DrawingSet`)
#   4: ``damage`` (corrupt frames skipped while decoding, truncated file); content_hash "sha256-full:…"
#   5: ``interval``, ``ood``, ``out_of_range`` (how sure the score is)
#   6: ``dive_code`` (the dive code a fused pack read, or the one given for the difficulty degree)
RESULT_FORMAT_VERSION = 6
SIDECAR_SUFFIX = ".vatp.json"


def _now_iso() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


@dataclass
class ScoreResult:
    """A scored routine: predicted distribution, parsed sub-actions and the explanation of the score.

    Per-sub-action lists (``subaction_names``, ``attention`` rows, ``contributions``) share one order:
    the order the explanation put the sub-actions in along the routine.
    """

    video: VideoRecord
    pack: PackRecord
    mean: float  # predicted score (after × DD when the pack divides by difficulty)
    std: float
    difficulty: float | None = None
    dive_code: str | None = None  # format 6; older files read as None (no code recorded)
    raw_mean: float | None = None  # before × DD; equals mean when the pack does not use difficulty
    distribution: dict[str, list[float]] = field(default_factory=lambda: {"x": [], "pdf": []})
    clip_ranges: list[list[int]] = field(default_factory=list)  # [first, last] frame of each clip
    attention: list[list[float]] = field(default_factory=list)  # S × T
    subaction_names: list[str] = field(default_factory=list)
    segments: list[Segment] = field(default_factory=list)
    contributions: list[float] = field(default_factory=list)  # per sub-action, score units
    baseline_mean: float = 0.0  # score with every sub-action replaced by the pack's baseline
    cumulative: dict[str, list[float]] = field(default_factory=lambda: {"frames": [], "scores": []})
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage
    athlete: str = ""  # who performed the routine; the athlete library is rebuilt from these
    notes: str = ""  # the coach's notes on the attempt
    tags: list[str] = field(default_factory=list)
    damage: VideoDamage = field(default_factory=VideoDamage)  # format 4; older files read as undamaged
    # How sure the score is (format 5): the calibrated interval {level, low, high, method, clipped, n_calibration,
    # reason} (low/high None when the pack is uncalibrated), the out-of-distribution check {flag, distance,
    # percentile, threshold, reason} (flag None without statistics), and whether μ fell outside the score range.
    # Results of formats 1-4 load with both empty: they were scored before calibration existed. ``std`` stays
    # the paper's σ, the model's own figure, for research.
    interval: dict[str, Any] = field(default_factory=dict)
    ood: dict[str, Any] = field(default_factory=dict)
    out_of_range: bool = False
    created: str = field(default_factory=_now_iso)
    drawings: dict[str, Any] | None = None  # DrawingSet.to_dict() of the video, when it has drawings (format ≥ 3)
    format_version: int = RESULT_FORMAT_VERSION

    def __post_init__(self) -> None:
        # Plain dicts (a result built by hand, in tests or older callers) become the typed records.
        if isinstance(self.video, dict):
            self.video = VideoRecord.from_dict(self.video)
        if isinstance(self.pack, dict):
            self.pack = PackRecord.from_dict(self.pack)

    # ----------------------------------------------------------------------------- conveniences
    @property
    def n_clips(self) -> int:
        return len(self.clip_ranges)

    @property
    def video_name(self) -> str:
        return self.video.name or Path(self.video.path).name

    def segment_at(self, frame: int) -> Segment | None:
        """The sub-action segment that contains ``frame``, or None (idle frame)."""
        for seg in self.segments:
            if seg.start_frame <= frame <= seg.end_frame:
                return seg
        return None

    # ----------------------------------------------------------------------------- how sure
    @property
    def calibrated(self) -> bool:
        return self.interval.get("low") is not None and self.interval.get("high") is not None

    @property
    def ood_flag(self) -> bool:
        """True when the video is unlike the pack's training videos (False when unknown)."""
        return bool(self.ood.get("flag"))

    def interval_text(self, digits: int = 1) -> str:
        """'90% between 61.2 and 75.6', or why there is no interval ('uncalibrated: …')."""
        iv = self.interval
        if not self.calibrated:
            return str(iv.get("reason") or "uncalibrated")
        level = float(iv.get("level", 0.9))
        pct = f"{100 * level:.0f}%" if abs(100 * level - round(100 * level)) < 1e-6 else f"{100 * level:g}%"
        text = f"{pct} between {float(iv['low']):.{digits}f} and {float(iv['high']):.{digits}f}"
        return text + (" (clipped to the score range)" if iv.get("clipped") else "")

    def score_text(self, digits: int = 1) -> str:
        """'68.4 — 90% between 61.2 and 75.6' (or '68.4 — uncalibrated …'): the score with how sure it is."""
        return f"{self.mean:.{digits}f} — {self.interval_text(digits)}"

    def warnings(self) -> list[str]:
        """Plain sentences that must be shown with the score (never hidden)."""
        out = []
        if self.ood_flag:
            from .trust.ood import OOD_MESSAGE

            out.append(OOD_MESSAGE)
        if self.out_of_range:
            rng = self.pack.score_range
            where = f" {rng[0]:g}–{rng[1]:g}" if rng else ""
            out.append(
                f"The predicted score {self.mean:.1f} lies outside the pack's score range{where}: "
                "the video is probably not what the pack was made for."
            )
        if self.damage.any:
            out.append(self.damage.message())
        return out

    def summary(self) -> str:
        """A few readable lines: score with its interval, warnings, one line per sub-action (what `vatp score` prints)."""
        lines = []
        pack = self.pack
        title = f"{self.video_name}: {self.score_text(2)}"
        lo_hi = pack.score_range
        if lo_hi:
            title += f"   (range {lo_hi[0]:g}–{lo_hi[1]:g})"
        lines.append(title)
        for warning in self.warnings():
            lines.append(f"  WARNING: {warning}")
        lines.append(f"  model σ (the paper's, not an interval) {self.std:.2f}")
        if self.dive_code:
            lines.append(f"  dive {self.dive_code}")
        if self.difficulty is not None:
            lines.append(f"  difficulty {self.difficulty:g} × {self.raw_mean:.3f}")
        label = pack.label
        lines.append(f"  pack {pack.name or '?'}" + (f" — {label}" if label else ""))
        if self.segments:
            lines.append(f"  baseline {self.baseline_mean:.2f}; sub-actions in order:")
            width = max(len(s.name) for s in self.segments)
            for seg in self.segments:
                lines.append(
                    f"    {seg.name:<{width}}  frames {seg.start_frame:>6}–{seg.end_frame:<6} "
                    f"{clock(seg.start_time)}–{clock(seg.end_time)}  "
                    f"{seg.contribution:+.2f}  (conf {seg.confidence:.2f})"
                )
            unplaced = [
                (name, c)
                for i, (name, c) in enumerate(zip(self.subaction_names, self.contributions))
                if all(s.index != i for s in self.segments)
            ]
            for name, c in unplaced:
                lines.append(f"    {name:<{width}}  (not placed in time)  {c:+.2f}")
        return "\n".join(lines)

    def comparison_problem(self, other: "ScoreResult") -> str:
        """Why ``other`` cannot be compared score for score with this result ("" when it can): another pack."""
        mine, theirs = self.pack, other.pack
        if (mine.name, mine.score_range) == (theirs.name, theirs.score_range):
            return ""

        def describe(p: PackRecord) -> str:
            rng = f", range {p.score_range[0]:g}–{p.score_range[1]:g}" if p.score_range else ""
            return f"pack {p.name or '?'!r}{rng}"

        return (
            f"the reference was scored with {describe(theirs)}, this attempt with {describe(mine)}: "
            "their scores are not comparable"
        )

    # ----------------------------------------------------------------------------- serialisation
    def to_dict(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["segments"] = [s.to_dict() for s in self.segments]
        data["video"] = self.video.to_dict()
        data["pack"] = self.pack.to_dict()
        data["damage"] = self.damage.to_dict()
        return _plain(data)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ScoreResult":
        if not isinstance(data, dict):
            raise ResultFormatError("A score result must be a JSON object.")
        version = data.get("format_version", RESULT_FORMAT_VERSION)
        if not isinstance(version, int) or version > RESULT_FORMAT_VERSION or version < 1:
            raise ResultFormatError(
                f"Score result format version {version!r} is not supported (this version reads up to "
                f"{RESULT_FORMAT_VERSION}); update VATP Studio."
            )
        missing = [k for k in ("video", "pack", "mean", "std") if k not in data]
        if missing:
            raise ResultFormatError(f"Score result is missing {', '.join(missing)}.")
        try:
            return cls(**_checked_values(cls, data))
        except ResultFormatError:
            raise
        except (TypeError, ValueError, KeyError, AttributeError) as exc:  # wrong shapes or types of a damaged file
            raise ResultFormatError(f"Not a valid score result ({type(exc).__name__}: {exc}).") from None

    def to_json(self, path: str | os.PathLike | None = None, indent: int | None = 1) -> str:
        """The JSON text; with ``path`` also written there atomically."""
        text = json.dumps(self.to_dict(), indent=indent, allow_nan=False)
        if path is not None:
            atomic_write(path, text)
        return text

    @classmethod
    def from_json(cls, path_or_text: str | os.PathLike) -> "ScoreResult":
        """Load from a file path, or from JSON text (a string starting with '{')."""
        if isinstance(path_or_text, str) and path_or_text.lstrip().startswith("{"):
            text = path_or_text
        else:
            try:
                text = Path(path_or_text).read_text(encoding="utf-8")
            except OSError as exc:
                raise ResultFormatError(f"Cannot read the score result {path_or_text}: {exc.strerror or exc}") from exc
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ResultFormatError(f"Not a score result (invalid JSON: {exc.msg}).") from exc
        return cls.from_dict(data)

    @staticmethod
    def sidecar_path(video: str | os.PathLike) -> Path:
        """Where the result of a video is kept beside it: ``<video>.vatp.json``."""
        video = Path(video)
        return video.with_name(video.name + SIDECAR_SUFFIX)

    @classmethod
    def load_sidecar(cls, video: str | os.PathLike) -> "ScoreResult | None":
        """The result saved beside ``video``, checked to be this video's (None when there is none).

        The stored content identity is compared with the video's bytes: another video's sidecar raises
        `SidecarMismatchError` (the file is left alone). A sidecar of an older version, which stored the
        sampled hash, is recognised by it and rewritten with the full identity when the folder allows.
        """
        from . import identity

        path = cls.sidecar_path(video)
        if not path.is_file():
            return None
        result = cls.from_json(path)
        match = identity.verify(result.video.content_hash, video)
        # UNKNOWN (no identity stored, e.g. a hand-made file): the caller's frame-count check is all there is
        if match is identity.Match.DIFFERENT:
            raise SidecarMismatchError(f"{path.name} belongs to another video (its content differs); not loaded.")
        if match is identity.Match.LEGACY:
            result.video.content_hash = identity.content_id(video)
            try:
                result.to_json(path)
            except OSError:
                pass  # a read-only folder: still recognised next time by the sampled hash
        return result

    def save_sidecar(self, video: str | os.PathLike | None = None) -> Path:
        """Write ``<video>.vatp.json``; a re-scored video keeps the drawings its previous sidecar held."""
        path = self.sidecar_path(video if video is not None else self.video.path)
        if self.drawings is None and path.is_file():
            try:
                self.drawings = ScoreResult.from_json(path).drawings
            except ResultFormatError:
                pass  # a damaged old sidecar is replaced; the drawings also live in the user data folder
        self.to_json(path)
        return path


def _finite_list(name: str, values: Any) -> list[float]:
    if not isinstance(values, list):
        raise ResultFormatError(f"Score result field {name!r} must be a list.")
    return [_finite(name, v) for v in values]


def _series(name: str, value: Any, keys: tuple[str, str]) -> dict[str, list[float]]:
    """A stored {key: [numbers], key2: [numbers]} curve (the distribution, the cumulative score)."""
    if not isinstance(value, dict):
        raise ResultFormatError(f"Score result field {name!r} must be an object with {' and '.join(keys)}.")
    out = {k: _finite_list(f"{name}.{k}", value.get(k, [])) for k in keys}
    if len(out[keys[0]]) != len(out[keys[1]]):
        raise ResultFormatError(f"Score result field {name!r}: {keys[0]} and {keys[1]} differ in length.")
    return {**{k: v for k, v in value.items() if k not in keys}, **out}


def _checked_values(cls: type, data: dict[str, Any]) -> dict[str, Any]:
    """The dataclass values of a stored result, every number checked finite and every container its type."""
    known = {f.name for f in fields(cls)}
    values = {k: v for k, v in data.items() if k in known}
    values["video"] = VideoRecord.from_dict(values["video"])
    values["pack"] = PackRecord.from_dict(values["pack"])
    values["mean"] = _finite("mean", values["mean"])
    values["std"] = _finite("std", values["std"])
    if values["std"] < 0:
        raise ResultFormatError("Score result field 'std' is negative.")
    for name in ("difficulty", "raw_mean"):
        if values.get(name) is not None:
            values[name] = _finite(name, values[name])
    code = values.get("dive_code")
    if code is not None and (not isinstance(code, str) or len(code) > 16):
        raise ResultFormatError("Score result field 'dive_code' must be a dive code such as '407C'.")
    values["dive_code"] = code.strip().upper() or None if isinstance(code, str) else None
    if "baseline_mean" in values:
        values["baseline_mean"] = _finite("baseline_mean", values["baseline_mean"])
    if "distribution" in values:
        values["distribution"] = _series("distribution", values["distribution"], ("x", "pdf"))
    if "cumulative" in values:
        values["cumulative"] = _series("cumulative", values["cumulative"], ("frames", "scores"))
    if "contributions" in values:
        values["contributions"] = _finite_list("contributions", values["contributions"])
    if "attention" in values:
        if not isinstance(values["attention"], list):
            raise ResultFormatError("Score result field 'attention' must be a list of rows.")
        values["attention"] = [_finite_list("attention", row) for row in values["attention"]]
    if "clip_ranges" in values:
        values["clip_ranges"] = [[int(a), int(b)] for a, b in values["clip_ranges"]]
    if "subaction_names" in values:
        values["subaction_names"] = [str(n) for n in values["subaction_names"]]
    if "timings" in values:
        timings = values["timings"]
        values["timings"] = {str(k): float(v) for k, v in (timings.items() if isinstance(timings, dict) else [])}
    segments = data.get("segments") or []
    if not isinstance(segments, list):
        raise ResultFormatError("Score result field 'segments' must be a list.")
    values["segments"] = [Segment.from_dict(seg) for seg in segments]
    values["damage"] = VideoDamage.from_dict(data.get("damage"))
    for key in ("interval", "ood"):
        if not isinstance(values.get(key, {}), dict):
            raise ResultFormatError(f"Score result field {key!r} must be an object.")
    values["out_of_range"] = bool(values.get("out_of_range", False))
    values["athlete"] = str(values.get("athlete") or "")
    values["notes"] = str(values.get("notes") or "")
    tags = values.get("tags") or []
    if not isinstance(tags, list):
        raise ResultFormatError("Score result field 'tags' must be a list.")
    values["tags"] = [str(t) for t in tags]
    if values.get("drawings") is not None and not isinstance(values["drawings"], dict):
        raise ResultFormatError("Score result field 'drawings' must be an object.")
    values["format_version"] = RESULT_FORMAT_VERSION  # loaded older files are upgraded in memory
    return values


def _plain(value: Any) -> Any:
    """Turn numpy scalars/arrays, tuples and paths into JSON types; reject NaN/inf early with a clear path."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("score result holds a non-finite number")
        return value
    if isinstance(value, os.PathLike):
        return str(value)
    tolist = getattr(value, "tolist", None)  # numpy arrays and scalars, torch tensors
    if tolist is not None:
        return _plain(tolist())
    raise TypeError(f"cannot store {type(value).__name__} in a score result")
