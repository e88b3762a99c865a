"""A plain text progress bar on stderr for long CLI steps (download, extraction); no dependency."""

from __future__ import annotations

import sys
import time


def _human_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


class ProgressBar:
    """Callable as progress(stage, done, total); redraws in place on a terminal, prints milestones otherwise."""

    def __init__(self, enabled: bool = True, width: int = 30, unit: str = "", stream=None) -> None:
        self.enabled = enabled
        self.width = width
        self.unit = unit
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.stage: str | None = None
        self.label = ""
        self.last_draw = 0.0
        self.last_tenth = -1
        self.started = time.monotonic()

    def set_label(self, label: str) -> None:
        self.label = label

    def _fmt(self, v: float) -> str:
        return _human_bytes(v) if self.unit == "bytes" else f"{int(v)}"

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if stage != self.stage:
            if self.stage is not None and self.tty:
                self.stream.write("\n")
            self.stage, self.started, self.last_tenth = stage, now, -1
        finished = total > 0 and done >= total
        if self.tty:
            if not finished and now - self.last_draw < 0.1:
                return
            self.last_draw = now
            frac = min(1.0, done / total) if total > 0 else 0.0
            fill = int(round(frac * self.width))
            rate = done / max(now - self.started, 1e-9)
            amount = f"{self._fmt(done)}/{self._fmt(total)}" if total > 0 else self._fmt(done)
            speed = f"{_human_bytes(rate)}/s" if self.unit == "bytes" else f"{rate:.1f}/s"
            prefix = f"{self.label} " if self.label else ""
            self.stream.write(f"\r{prefix}{stage} [{'#' * fill}{'.' * (self.width - fill)}] {amount} {speed}   ")
        else:
            tenth = int(10 * done / total) if total > 0 else 0
            if tenth == self.last_tenth and not finished:
                return
            self.last_tenth = tenth
            prefix = f"{self.label} " if self.label else ""
            amount = f"{self._fmt(done)}/{self._fmt(total)}" if total > 0 else self._fmt(done)
            self.stream.write(f"{prefix}{stage}: {amount}\n")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled and self.tty and self.stage is not None:
            self.stream.write("\n")
            self.stream.flush()
        self.stage = None
