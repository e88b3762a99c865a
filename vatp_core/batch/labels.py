"""True scores for a batch: the labels file and how a video's row finds its label."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..csv_reader import read_csv
from ..errors import VATPError


@dataclass
class Label:
    """A video's true score, difficulty and athlete (each when the labels file has that column)."""

    score: float | None
    difficulty: float | None = None
    athlete: str = ""


def read_labels(path: str | Path) -> dict[str, Label]:
    """Read ``file,score[,difficulty][,athlete,…]`` (SynthAQA / generic layout); keys are the file as written.

    A file with an ``athlete`` column needs no score column (it only says whose each video is).
    """
    table = read_csv(path, what="Labels file")
    file_col = table.find("file", "video", "path", "name")
    score_col = table.find("score", "final_score", "label")
    athlete_col = table.find("athlete", "athlete_name")
    if file_col is None or (score_col is None and athlete_col is None):
        raise VATPError(
            f"{table.path.name}: the labels file needs a 'file' column and a 'score' or 'athlete' column "
            f"(found: {', '.join(table.header) or 'none'})"
        )
    dd_col = table.find("difficulty", "dd")
    labels: dict[str, Label] = {}
    first_line: dict[str, int] = {}
    for row in table.rows:
        name = row.text(file_col)
        if not name:
            continue
        key = name.replace("\\", "/")
        score = row.number(score_col) if score_col is not None else None
        athlete = " ".join(row.text(athlete_col).split())
        label = Label(score, row.optional_number(dd_col), athlete)
        if key in labels and labels[key] != label:  # which one is right? the user must say
            row.fail(f"{name!r} is labelled again differently (first on line {first_line[key]})")
        labels.setdefault(key, label)
        first_line.setdefault(key, row.line)
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
