"""True scores for a batch: the labels file and how a video's row finds its label."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..csv_reader import read_csv
from ..errors import VATPError
from ..phrases import dive_code_phrases


@dataclass
class Label:
    """A video's true score, difficulty, athlete and dive code (each when the labels file has that column)."""

    score: float | None
    difficulty: float | None = None
    athlete: str = ""
    dive_code: str = ""  # what a fused pack reads (and a "divide" pack looks its difficulty up by)


def read_labels(path: str | Path) -> dict[str, Label]:
    """Read ``file,score[,difficulty][,athlete][,dive_code,…]`` (SynthAQA / generic layout); keys are the file as written.

    A file with an ``athlete`` or ``dive_code`` column needs no score column (it only says whose each video is,
    or which dive). A dive code is checked as the CLI checks it (a bad one fails on its line).
    """
    table = read_csv(path, what="Labels file")
    file_col = table.find("file", "video", "path", "name")
    score_col = table.find("score", "final_score", "label")
    athlete_col = table.find("athlete", "athlete_name")
    code_col = table.find("dive_code", "dive_number", "dive")
    if file_col is None or (score_col is None and athlete_col is None and code_col is None):
        raise VATPError(
            f"{table.path.name}: the labels file needs a 'file' column and a 'score', 'athlete' or 'dive_code' column "
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
        code = row.text(code_col).strip().upper() if code_col is not None else ""
        if code:
            try:
                dive_code_phrases(code)
            except VATPError as exc:
                row.fail(str(exc))
        label = Label(score, row.optional_number(dd_col), athlete, code)
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
