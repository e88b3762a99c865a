"""What the library stores of a ScoreResult: one attempt row, its sub-actions and tags, and a unique key."""

from __future__ import annotations

import hashlib
import json
import math
import zlib
from dataclasses import dataclass, field, fields
from typing import Any

from ..result import PackRecord, ScoreResult


@dataclass(slots=True)
class AttemptRow:
    """One attempt as the table, the CSV and `vatp library list` show it."""

    id: int
    scored_at: str
    date: str
    athlete: str
    routine: str
    pack_name: str
    pack_id: str
    mean: float
    std: float
    interval_lo: float | None = None
    interval_hi: float | None = None
    ood: bool | None = None
    difficulty: float | None = None
    notes: str = ""
    tags: str = ""
    video_name: str = ""
    video_path: str = ""
    content_hash: str = ""
    source_path: str = ""
    place: str = ""
    pack_label: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def interval_text(self) -> str:
        """'57.2–79.7', or 'uncalibrated' (the paper's σ is no interval, so lists show this instead of ± σ)."""
        if self.interval_lo is None or self.interval_hi is None:
            return "uncalibrated"
        return f"{self.interval_lo:.1f}–{self.interval_hi:.1f}"


@dataclass
class AttemptData:
    """The column values of a new attempt, taken from a result (and the athlete/notes/tags it carries)."""

    key: str
    columns: dict[str, Any]
    subactions: list[dict[str, Any]] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    athlete: str = ""
    blob: bytes = b""


def _float(value: Any) -> float | None:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None


def clean_tags(tags: Any) -> list[str]:
    """Tags as a list of distinct, trimmed, non-empty strings (a 'a, b' string is split on commas)."""
    if isinstance(tags, str):
        tags = tags.split(",")
    out: list[str] = []
    for tag in tags or []:
        text = str(tag).strip()
        if text and text.lower() not in (t.lower() for t in out):
            out.append(text)
    return out


def pack_identity_of(pack: PackRecord) -> str:
    """Attempts share a score scale only when they share this: the weights hash, else name + backbone."""
    if pack.weights_sha256:
        return pack.weights_sha256[:16]
    return f"{pack.name or '?'}:{pack.backbone}"


def routine_of(pack: PackRecord) -> str:
    return " / ".join(p.strip() for p in (pack.sport, pack.event) if p.strip())


def interval_of(result: ScoreResult) -> tuple[float | None, float | None]:
    """The calibrated interval's ends (None, None for an uncalibrated pack or a result scored before intervals)."""
    return _float(result.interval.get("low")), _float(result.interval.get("high"))


def ood_of(result: ScoreResult) -> bool | None:
    """The out-of-distribution flag (None when the pack has no statistics or the result predates them)."""
    flag = result.ood.get("flag")
    return None if flag is None else bool(flag)


def attempt_key(result: ScoreResult) -> str:
    """The same scoring of the same video with the same pack gives the same key, wherever its file lies."""
    video, pack = result.video, result.pack
    parts = [
        video.content_hash or video.name,
        pack_identity_of(pack),
        str(result.created),
        f"{result.mean:.6f}",
    ]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def attempt_data(
    result: ScoreResult, *, athlete: str | None = None, source: str = "", source_path: str = ""
) -> AttemptData:
    """Everything to store of ``result``; ``athlete`` overrides the one the result carries."""
    video, pack = result.video, result.pack
    lo_hi = pack.score_range or (None, None)
    ilo, ihi = interval_of(result)
    ood = ood_of(result)
    created = str(result.created)
    tags = clean_tags(result.tags)
    columns = {
        "scored_at": created,
        "date": created[:10],
        "video_path": video.path,
        "video_name": result.video_name,
        "content_hash": video.content_hash,
        "routine": routine_of(pack),
        "pack_name": pack.name,
        "pack_label": pack.label,
        "pack_id": pack_identity_of(pack),
        "weights_sha256": pack.weights_sha256,
        "score_lo": _float(lo_hi[0]),
        "score_hi": _float(lo_hi[1]),
        "mean": float(result.mean),
        "std": float(result.std),
        "raw_mean": _float(result.raw_mean),
        "difficulty": _float(result.difficulty),
        "duration": _float(video.duration),
        "notes": result.notes,
        "tags": ", ".join(tags),
        "source": source,
        "source_path": source_path,
        "interval_lo": ilo,
        "interval_hi": ihi,
        "ood": None if ood is None else int(ood),
    }
    by_index = {s.index: s for s in result.segments}
    subs = []
    for i, name in enumerate(result.subaction_names):
        seg = by_index.get(i)
        contribution = result.contributions[i] if i < len(result.contributions) else None
        subs.append(
            {
                "position": i,
                "name": str(name),
                "contribution": _float(contribution),
                "start_time": seg.start_time if seg else None,
                "end_time": seg.end_time if seg else None,
                "start_frame": seg.start_frame if seg else None,
                "end_frame": seg.end_frame if seg else None,
                "confidence": seg.confidence if seg else None,
            }
        )
    name = " ".join((athlete if athlete is not None else result.athlete).split())
    return AttemptData(
        key=attempt_key(result),
        columns=columns,
        subactions=subs,
        tags=tags,
        athlete=name,
        blob=pack_result(result),
    )


def pack_result(result: ScoreResult) -> bytes:
    """The full result, compressed: open in Review and athlete exports need it even without the sidecar."""
    return zlib.compress(json.dumps(result.to_dict(), separators=(",", ":")).encode("utf-8"), 6)


def unpack_result(blob: bytes) -> ScoreResult:
    return ScoreResult.from_dict(json.loads(zlib.decompress(blob).decode("utf-8")))
