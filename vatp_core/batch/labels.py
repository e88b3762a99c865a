"""True scores for a batch: the labels file and how a video's row finds its label."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..csv_reader import read_csv
from ..errors import VATPError


@dataclass
class Label:
    """A video's true score (and difficulty, when the labels file has one)."""

    score: float
    difficulty: float | None = None


def read_labels(path: str | Path) -> dict[str, Label]:
    """Read ``file,score[,difficulty,…]`` (SynthAQA / generic layout); keys are the file as written."""
    table = read_csv(path, what="Labels file")
    file_col = table.find("file", "video", "path", "name")
    score_col = table.find("score", "final_score", "label")
    if file_col is None or score_col is None:
        raise VATPError(
            f"{table.path.name}: the labels file needs a 'file' and a 'score' column "
            f"(found: {', '.join(table.header) or 'none'})"
        )
    dd_col = table.find("difficulty", "dd")
    labels: dict[str, Label] = {}
    for row in table.rows:
        name = row.text(file_col)
        if name:
            labels[name.replace("\\", "/")] = Label(row.number(score_col), row.optional_number(dd_col))
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
