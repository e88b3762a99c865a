"""`vatp-studio --headless`: score the demo (or a given video) without a window and print the summary.

The summary is `ScoreResult.summary()`, the same text `vatp score` prints; nothing is formatted twice.
"""

from __future__ import annotations

import sys
from pathlib import Path


def run_headless(
    video: str | Path | None, pack: str | None, device: str, save: bool = False, dive_code: str | None = None
) -> int:
    """Score ``video`` (None: the bundled demo video with the demo pack); 0 on success, 2 on a user error."""
    from vatp_core import paths
    from vatp_core.cli.progress_bar import ProgressBar
    from vatp_core.errors import VATPError

    if video is None:
        video = paths.demo_video_path()
        pack = pack or "demo"
    video = Path(video)
    try:
        if save:  # a read-only folder fails now, not after the score was printed
            from vatp_core.atomic import check_writable
            from vatp_core.result import ScoreResult

            check_writable(ScoreResult.sidecar_path(video))
        from .worker_child import score_once  # the worker's model side: torch stays behind app.worker*

        # stderr: bars on a terminal, one line per finished stage otherwise; stdout keeps only the summary
        with ProgressBar(lines=1, label="  ") as progress:
            result = score_once(video, pack, device, progress, dive_code=dive_code)
    except VATPError as exc:
        print(f"vatp-studio: error: {exc}", file=sys.stderr)
        return 2
    print(result.summary())
    if save:
        try:
            print(f"saved {result.save_sidecar(video)}")
        except (VATPError, OSError) as exc:
            print(f"vatp-studio: error: {exc}", file=sys.stderr)
            return 2
    return 0
