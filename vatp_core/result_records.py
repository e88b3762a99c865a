"""The parts of a score result: what it records about the video and the pack, its segments, damage, and
the errors of reading one. `vatp_core.result` owns the schema as a whole and re-exports these."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Iterable

from .errors import VATPError


def _finite(name: str, value: Any) -> float:
    """A finite float from a stored number; text such as "NaN", null, inf and non-numbers are refused."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ResultFormatError(f"Score result field {name!r} is not a number ({value!r}).")
    number = float(value)
    if not math.isfinite(number):
        raise ResultFormatError(f"Score result field {name!r} is not a finite number ({value!r}).")
    return number


class ResultFormatError(VATPError):
    """A result file that is not a VATP Studio result, or from a newer version."""


class NotComparableError(VATPError):
    """Two results from different packs (or score ranges) asked to be compared score for score."""


class SidecarMismatchError(ResultFormatError):
    """The sidecar beside a video was written for another video (its stored content identity differs)."""


@dataclass
class VideoDamage:
    """What was wrong with the video while it was scored: frames that could not be decoded, a cut-off file."""

    corrupt_frames: int = 0
    corrupt_ranges: list[list[int]] = field(default_factory=list)  # [first, last] frame, inclusive
    truncated: bool = False  # the file ends before its index says (copied or downloaded only in part)

    @property
    def any(self) -> bool:
        return bool(self.corrupt_frames or self.truncated)

    @classmethod
    def from_frames(cls, frames: Iterable[int], truncated: bool = False) -> "VideoDamage":
        """Group the indices of damaged frames into ranges."""
        ranges: list[list[int]] = []
        for f in sorted({int(i) for i in frames}):
            if ranges and f == ranges[-1][1] + 1:
                ranges[-1][1] = f
            else:
                ranges.append([f, f])
        return cls(sum(b - a + 1 for a, b in ranges), ranges, bool(truncated))

    def message(self, max_ranges: int = 4) -> str:
        """One line for a warning ("" when the video was whole)."""
        parts = []
        if self.corrupt_frames:
            shown = ", ".join(f"{a}" if a == b else f"{a}–{b}" for a, b in self.corrupt_ranges[:max_ranges])
            more = "…" if len(self.corrupt_ranges) > max_ranges else ""
            parts.append(f"{self.corrupt_frames} damaged frame(s) skipped (frames {shown}{more})")
        if self.truncated:
            parts.append("the file is cut short (truncated)")
        return ("Damaged video: " + "; ".join(parts) + ". The score may be wrong.") if parts else ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> "VideoDamage":
        if data is None:
            return cls()
        if not isinstance(data, dict):
            raise ResultFormatError("Score result field 'damage' must be an object.")
        ranges = [[int(a), int(b)] for a, b in data.get("corrupt_ranges") or []]
        return cls(int(data.get("corrupt_frames") or 0), ranges, bool(data.get("truncated", False)))


@dataclass
class Segment:
    """One parsed sub-action: a contiguous frame range of the video (last frame inclusive)."""

    index: int  # which sub-action (index into ScoreResult.subaction_names)
    name: str
    start_frame: int
    end_frame: int  # inclusive
    start_time: float  # seconds
    end_time: float  # seconds, end of the last frame
    confidence: float  # mean attention share of the sub-action's clips, 0..1
    contribution: float  # Shapley contribution to the score, score units

    @property
    def n_frames(self) -> int:
        return self.end_frame - self.start_frame + 1

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Segment":
        return cls(
            index=int(data["index"]),
            name=str(data["name"]),
            start_frame=int(data["start_frame"]),
            end_frame=int(data["end_frame"]),
            start_time=_finite("segment start_time", data["start_time"]),
            end_time=_finite("segment end_time", data["end_time"]),
            confidence=_finite("segment confidence", data["confidence"]),
            contribution=_finite("segment contribution", data["contribution"]),
        )


def _num(data: dict[str, Any], key: str, kind: type, default: Any) -> Any:
    value = data.get(key, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ResultFormatError(f"Score result field {key!r} is not a number: {value!r}")
    if not math.isfinite(value):
        raise ResultFormatError(f"Score result field {key!r} is not a finite number: {value!r}")
    return kind(value)


@dataclass
class VideoRecord:
    """What a result records about its video (sizes upright). Unknown keys of a stored result are kept in
    ``extra`` so that a file round-trips unchanged."""

    path: str = ""
    name: str = ""
    n_frames: int = 0
    fps: float = 0.0
    duration: float = 0.0
    width: int = 0
    height: int = 0
    content_hash: str = ""
    features_from_cache: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = dict(self.extra)
        data.update({f.name: getattr(self, f.name) for f in fields(self) if f.name != "extra"})
        return data

    @classmethod
    def from_dict(cls, data: Any) -> "VideoRecord":
        if not isinstance(data, dict):
            raise ResultFormatError("Score result field 'video' must be an object.")
        known = {f.name for f in fields(cls)} - {"extra"}
        return cls(
            path=str(data.get("path") or ""),
            name=str(data.get("name") or Path(str(data.get("path") or "")).name),
            n_frames=_num(data, "n_frames", int, 0),
            fps=_num(data, "fps", float, 0.0),
            duration=_num(data, "duration", float, 0.0),
            width=_num(data, "width", int, 0),
            height=_num(data, "height", int, 0),
            content_hash=str(data.get("content_hash") or ""),
            features_from_cache=bool(data.get("features_from_cache", False)),
            extra={k: v for k, v in data.items() if k not in known},
        )


@dataclass
class PackRecord:
    """What a result records about the model pack that scored it (its provenance)."""

    name: str = ""
    sport: str = ""
    event: str = ""
    label: str = ""
    not_for_judging: bool = False
    backbone: str = ""
    protocol: dict[str, Any] = field(default_factory=dict)
    score_range: tuple[float, float] | None = None
    difficulty: str = "none"
    path: str = ""
    weights_sha256: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = dict(self.extra)
        data.update({f.name: getattr(self, f.name) for f in fields(self) if f.name != "extra"})
        data["score_range"] = list(self.score_range) if self.score_range is not None else None
        return data

    @classmethod
    def from_dict(cls, data: Any) -> "PackRecord":
        if not isinstance(data, dict):
            raise ResultFormatError("Score result field 'pack' must be an object.")
        known = {f.name for f in fields(cls)} - {"extra"}
        rng = data.get("score_range")
        score_range = None
        if rng:
            try:
                lo, hi = (float(v) for v in rng)
            except (TypeError, ValueError) as exc:
                raise ResultFormatError(f"Score result field 'score_range' is not two numbers: {rng!r}") from exc
            score_range = (lo, hi)
        protocol = data.get("protocol") or {}
        return cls(
            name=str(data.get("name") or ""),
            sport=str(data.get("sport") or ""),
            event=str(data.get("event") or ""),
            label=str(data.get("label") or ""),
            not_for_judging=bool(data.get("not_for_judging", False)),
            backbone=str(data.get("backbone") or ""),
            protocol=dict(protocol) if isinstance(protocol, dict) else {},
            score_range=score_range,
            difficulty=str(data.get("difficulty") or "none"),
            path=str(data.get("path") or ""),
            weights_sha256=str(data.get("weights_sha256") or ""),
            extra={k: v for k, v in data.items() if k not in known},
        )
