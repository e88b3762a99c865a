"""What a command is given as a routine: a result JSON, or a video scored here first."""

from __future__ import annotations

from pathlib import Path

from . import CLIError


def load_or_score(path: Path, pack: str | None, device: str):
    """A ScoreResult from a result JSON, or by scoring a video with the given pack."""
    from ..errors import VATPError

    if not path.exists():
        raise CLIError(f"file not found: {path}")
    try:
        if path.suffix.lower() == ".json":
            from ..result import ScoreResult

            return ScoreResult.from_json(path)
        from ..pack import resolve_pack
        from ..pipeline import score_video

        return score_video(path, resolve_pack(pack), device=device)
    except VATPError as exc:
        raise CLIError(str(exc)) from None
    except (ValueError, KeyError, TypeError) as exc:
        raise CLIError(f"{path.name} is not a VATP result file ({exc})") from None
