"""What a pack needs to know about a dive beyond its video: the difficulty degree and the dive code.

Both come from the caller (``--difficulty``, ``--dive-code``, a batch labels column, the GUI) or from a
sidecar beside the video (``<video>.json`` with ``difficulty`` / ``dive_code``). A "divide" pack multiplies
its prediction back by the degree; a fused pack reads the dive's phrases, looked up in its token table.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from .errors import VATPError
from .pack import ModelPack, RoutineText


class DifficultyRequired(VATPError):
    """The pack predicts score ÷ difficulty degree and no difficulty was given or found."""


def read_difficulty_sidecar(video: str | os.PathLike) -> dict[str, Any]:
    """Difficulty information stored beside a video: ``<video>.json`` / ``<stem>.json`` with
    ``difficulty`` (or ``dd``) and/or ``dive_code`` (or ``dive_number``), as SynthAQA and labelled folders write."""
    video = Path(video)
    for candidate in (video.with_suffix(".json"), video.with_name(video.name + ".json")):
        if not candidate.is_file() or candidate.name.endswith(".vatp.json"):
            continue
        try:
            data = json.loads(candidate.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(data, dict):
            continue
        out: dict[str, Any] = {}
        dd = data.get("difficulty", data.get("dd"))
        if isinstance(dd, (int, float)) and not isinstance(dd, bool) and dd > 0:
            out["difficulty"] = float(dd)
        code = data.get("dive_code", data.get("dive_number"))
        if isinstance(code, str) and code.strip():
            out["dive_code"] = code.strip().upper()
        if out:
            return out
    return {}


def resolve_difficulty(
    pack: ModelPack, video: str | os.PathLike, difficulty: float | None = None, dive_code: str | None = None
) -> float | None:
    """The difficulty degree to multiply back for a "divide" pack (None for other packs).

    Order: the value given, the dive code given (looked up in the pack's difficulty table), then a
    sidecar file beside the video. Raises DifficultyRequired with what to do when none is found.
    """
    if pack.manifest.difficulty != "divide":
        return None
    if difficulty is not None:
        dd = float(difficulty)
        if not (dd > 0 and math.isfinite(dd)):
            raise DifficultyRequired(f"The difficulty degree must be a positive number, not {difficulty!r}.")
        return dd
    table = pack.manifest.difficulty_table
    side = read_difficulty_sidecar(video)
    code = (dive_code or "").strip().upper() or None
    if code is None and "difficulty" in side:
        return side["difficulty"]
    code = code or side.get("dive_code")
    if code:
        from .phrases import dive_code_phrases

        try:
            dive_code_phrases(code)  # validates the code (raises PhraseError with a clear message)
        except VATPError as exc:
            raise DifficultyRequired(str(exc)) from None
        if code in table:
            return table[code]
        raise DifficultyRequired(
            f"The pack {pack.name!r} has no difficulty degree for dive {code} (the degree depends on the "
            "board or platform height): give it with --difficulty DD."
        )
    raise DifficultyRequired(
        f"The pack {pack.name!r} predicts score ÷ difficulty degree (MTL-AQA protocol): give the dive's "
        "difficulty (--difficulty 3.2) or its dive code (--dive-code 407C), or put "
        f'{{"difficulty": 3.2}} in {Path(video).with_suffix(".json").name} beside the video.'
    )


def resolve_routine_text(pack: ModelPack, video: str | os.PathLike, dive_code: str | None = None) -> RoutineText | None:
    """The phrases and token rows a fused pack reads for this dive (None for other packs).

    Order: the code given, then the sidecar's ``dive_code``. Raises DiveCodeRequired saying what to do."""
    if not pack.needs_dive_code:
        return None
    code = (dive_code or "").strip() or read_difficulty_sidecar(video).get("dive_code")
    return pack.routine_text(code)
