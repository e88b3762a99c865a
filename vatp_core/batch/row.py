"""One video's row of a batch results table (the CSV columns, in order)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any


@dataclass
class BatchRow:
    """One video's line in the results table (the CSV columns, in order)."""

    file: str  # path relative to the batch folder, '/'-separated
    status: str  # "ok" | "error"
    athlete: str = ""  # from the labels file or the video's folder (--athlete-from-folder)
    mean: float | None = None  # predicted score μ (× difficulty when the pack divides by DD)
    std: float | None = None  # σ of the predicted distribution
    difficulty: float | None = None
    true_score: float | None = None  # from the labels file, when given
    error: str = ""
    segments: str = ""  # "name start–end s; …" for a quick look in a spreadsheet
    n_frames: int | None = None
    duration: float | None = None
    seconds: float | None = None  # wall time spent on this video
    content_hash: str = ""
    pack: str = ""
    pack_id: str = ""
    result_json: str = ""  # ScoreResult JSON (relative to the CSV's folder)
    report: str = ""  # PDF report, when reports were asked for
    scored_at: str = ""

    @classmethod
    def columns(cls) -> list[str]:
        return [f.name for f in fields(cls)]

    def to_csv_dict(self) -> dict[str, str]:
        out = {}
        for key, value in asdict(self).items():
            if value is None:
                out[key] = ""
            elif isinstance(value, float):
                out[key] = f"{value:.6g}"
            else:
                out[key] = str(value)
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "BatchRow":
        """Parse a row from the JSON (typed) or the CSV (strings); unknown keys are ignored."""
        kwargs: dict[str, Any] = {}
        for f in fields(cls):
            if f.name not in d:
                continue
            value = d[f.name]
            if f.name in ("mean", "std", "difficulty", "true_score", "duration", "seconds"):
                kwargs[f.name] = None if value in ("", None) else float(value)
            elif f.name == "n_frames":
                kwargs[f.name] = None if value in ("", None) else int(float(value))
            else:
                kwargs[f.name] = "" if value is None else str(value)
        if "file" not in kwargs or "status" not in kwargs:
            raise ValueError("a batch row needs 'file' and 'status'")
        return cls(**kwargs)
