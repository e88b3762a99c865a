"""True scores for a batch: the labels file and how a video's row finds its label."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from ..errors import VATPError


@dataclass
class Label:
    score: float
    difficulty: float | None = None


def read_labels(path: str | Path) -> dict[str, Label]:
    """Read ``file,score[,difficulty,…]`` (SynthAQA / generic layout); keys are the file as written."""
    path = Path(path)
    if not path.is_file():
        raise VATPError(f"Labels file not found: {path}")
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        cols = {c.strip().lower(): c for c in (reader.fieldnames or [])}
        file_col = cols.get("file") or cols.get("video") or cols.get("path") or cols.get("name")
        score_col = cols.get("score") or cols.get("final_score") or cols.get("label")
        if file_col is None or score_col is None:
            raise VATPError(
                f"{path.name}: the labels file needs a 'file' and a 'score' column "
                f"(found: {', '.join(reader.fieldnames or []) or 'none'})"
            )
        dd_col = cols.get("difficulty") or cols.get("dd")
        labels: dict[str, Label] = {}
        for lineno, rec in enumerate(reader, start=2):
            name = (rec.get(file_col) or "").strip()
            if not name:
                continue
            try:
                score = float(rec[score_col])
            except (TypeError, ValueError):
                raise VATPError(f"{path.name}, line {lineno}: score {rec.get(score_col)!r} is not a number") from None
            dd_text = (rec.get(dd_col) or "").strip() if dd_col else ""
            try:
                dd = float(dd_text) if dd_text else None
            except ValueError:
                raise VATPError(f"{path.name}, line {lineno}: difficulty {dd_text!r} is not a number") from None
            labels[name.replace("\\", "/")] = Label(score, dd)
    return labels


def match_label(labels: dict[str, Label], rel: str) -> Label | None:
    """Find a video's label by relative path, then file name, then stem (labels files differ in style)."""
    if rel in labels:
        return labels[rel]
    name = rel.rsplit("/", 1)[-1]
    stem = name.rsplit(".", 1)[0]
    for key in (name, stem):
        if key in labels:
            return labels[key]
    for key, label in labels.items():
        key_name = key.rsplit("/", 1)[-1]
        if key_name == name or key_name.rsplit(".", 1)[0] == stem:
            return label
    return None
