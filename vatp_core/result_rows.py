"""The batch results table's schema: one video's row (the CSV columns, in order) and the table's format version.

Part of the result schema `vatp_core.result` owns (see docs/ARCHITECTURE.md, "Result formats"): a column
added here bumps `BATCH_FORMAT_VERSION`, and rows of every older version keep loading (missing columns
read empty; samples in tests/data/results/vN/batch/).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

# 2: the 'damage' column; 3: the calibrated interval, 'ood' and 'out_of_range' columns
# (version 2 tables written before the bump may already carry them); 4: 'dive_code'.
# Rows of older versions read with them empty.
BATCH_FORMAT_VERSION = 4

FLOAT_COLUMNS = (
    "mean",
    "std",
    "interval_low",
    "interval_high",
    "interval_level",
    "difficulty",
    "true_score",
    "duration",
    "seconds",
)


def _flag(value: Any) -> bool | None:
    """A yes/no column: JSON booleans, or the CSV's 'yes'/'no' (also true/false, 1/0); empty → unknown."""
    if value in ("", None):
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("yes", "true", "1"):
        return True
    if text in ("no", "false", "0"):
        return False
    raise ValueError(f"expected yes or no, not {value!r}")


@dataclass
class BatchRow:
    """One video's line in the results table (the CSV columns, in order)."""

    file: str  # path relative to the batch folder, '/'-separated
    status: str  # "ok" | "error"
    athlete: str = ""  # from the labels file or the video's folder (--athlete-from-folder)
    mean: float | None = None  # predicted score μ (× difficulty when the pack divides by DD)
    std: float | None = None  # the paper's σ of the predicted distribution (the model's own figure)
    interval_low: float | None = None  # calibrated interval (empty when the pack is uncalibrated)
    interval_high: float | None = None
    interval_level: float | None = None
    ood: bool | None = None  # unlike the pack's training videos (empty without statistics)
    out_of_range: bool | None = None  # μ outside the pack's score range
    difficulty: float | None = None
    dive_code: str = ""  # the code a fused pack read (from the labels' dive_code column)
    true_score: float | None = None  # from the labels file, when given
    error: str = ""
    damage: str = ""  # the damaged-video warning (corrupt frames skipped, truncated file); "" for a whole video
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
            elif isinstance(value, bool):
                out[key] = "yes" if value else "no"
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
            if f.name in FLOAT_COLUMNS:
                kwargs[f.name] = None if value in ("", None) else float(value)
            elif f.name in ("ood", "out_of_range"):
                kwargs[f.name] = _flag(value)
            elif f.name == "n_frames":
                kwargs[f.name] = None if value in ("", None) else int(float(value))
            else:
                kwargs[f.name] = "" if value is None else str(value)
        if "file" not in kwargs or "status" not in kwargs:
            raise ValueError("a batch row needs 'file' and 'status'")
        return cls(**kwargs)
