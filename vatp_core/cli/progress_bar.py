"""The one progress printer of the command line (every `vatp` command and `vatp-studio --headless`), on tqdm.

On a terminal each stage is a tqdm bar redrawn in place. Anywhere else (a log file, CI, a pipe) a redrawn
line is noise, so it prints a few milestone lines per stage instead, or none (``lines=0``).
"""

from __future__ import annotations

import sys
from typing import IO, Iterable

from tqdm import tqdm


class ProgressBar:
    """Callable as ``progress(stage, done, total)``: a bar per stage on a terminal, milestone lines otherwise.

    ``lines`` is how many milestone lines a stage prints when the stream is not a terminal (the last one when
    it finishes; 0: none); ``stages`` limits what is shown to those stages (None: every stage); ``unit`` is
    ``"bytes"`` for downloads (scaled B/KB/MB) or a word such as ``"video"``.
    """

    def __init__(
        self,
        enabled: bool = True,
        *,
        unit: str = "",
        stream: IO[str] | None = None,
        label: str = "",
        lines: int = 10,
        stages: Iterable[str] | None = None,
    ) -> None:
        self.enabled = enabled
        self.unit = unit
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.label = label
        self.lines = max(0, lines)
        self.stages = set(stages) if stages is not None else None
        self.stage: str | None = None
        self._key: tuple[str, str] | None = None  # (label, stage) of the bar being drawn
        self.note_text = ""
        self._bar: tqdm | None = None
        self._milestone = 0
        self._done = -1
        self._finished = False  # the current stage reached its total (a repeated last call shows nothing)

    def set_label(self, label: str) -> None:
        self.label = label

    def note(self, text: str) -> None:
        """Extra text after the counts (loss, best score …): the bar's postfix, or the tail of the next line."""
        self.note_text = text
        if self._bar is not None:
            self._bar.set_postfix_str(text, refresh=True)

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled or (self.stages is not None and stage not in self.stages):
            return
        if (self.label, stage) != self._key or done < self._done:  # a new stage, or the same one again (next video)
            self._finish()
            self.stage, self._key, self._milestone, self._finished = stage, (self.label, stage), 0, False
        elif self._finished:
            return
        self._done = done
        self._finished = total > 0 and done >= total
        if self.tty:
            self._draw(done, total)
        else:
            self._line(done, total)

    def write(self, text: str, file: IO[str] | None = None) -> None:
        """Print a line of ordinary output (stdout by default) without breaking a bar being drawn."""
        if self._bar is not None:
            tqdm.write(text, file=file or sys.stdout)
        else:
            print(text, file=file or sys.stdout, flush=True)

    def close(self) -> None:
        self._finish()
        self.stage, self._key, self._done, self._finished = None, None, -1, False

    def __enter__(self) -> "ProgressBar":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- drawing ---------------------------------------------------------------------------------
    def _desc(self) -> str:
        gap = " " if self.label and not self.label[-1].isspace() else ""
        return f"{self.label}{gap}{self.stage}"

    def _draw(self, done: int, total: int) -> None:
        bar = self._bar
        if bar is None:
            byte_units = self.unit == "bytes"
            bar = self._bar = tqdm(
                total=total if total > 0 else None,
                desc=self._desc(),
                unit="B" if byte_units else (self.unit or "it"),
                unit_scale=byte_units,
                unit_divisor=1024,
                file=self.stream,
                leave=True,
                mininterval=0.1,
                dynamic_ncols=True,
            )
            if self.note_text:
                bar.set_postfix_str(self.note_text, refresh=False)
        elif total > 0 and bar.total != total:
            bar.total = total
        bar.update(done - bar.n)
        if total > 0 and done >= total:
            self._finish()

    def _line(self, done: int, total: int) -> None:
        if self.lines == 0:
            return
        milestone = int(self.lines * done / total) if total > 0 else 0
        if not self._finished and milestone <= self._milestone:
            return
        self._milestone = milestone
        amount = f"{self._amount(done)}/{self._amount(total)}" if total > 0 else self._amount(done)
        tail = f"  {self.note_text}" if self.note_text else ""
        self.stream.write(f"{self._desc()}: {amount}{tail}\n")
        self.stream.flush()

    def _amount(self, n: float) -> str:
        return tqdm.format_sizeof(n, "B", 1024) if self.unit == "bytes" else f"{int(n)}"

    def _finish(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
