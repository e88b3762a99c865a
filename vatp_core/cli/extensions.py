"""The seam through which a Qt-backed layer extends the Qt-free `vatp` command line.

vatp_core never names that layer. A distribution advertises, in the entry-point group ``vatp_studio.cli``,
a callable that takes an `Extensions`; `vatp_core.cli` calls each one before it builds its parser. Through
it the callable adds subcommands (each a ``register(subparsers)`` like the core's own modules) and the PDF
`ReportRenderer` that `vatp batch --reports` uses. The callable must import Qt only when a command runs,
so `vatp --help` stays fast and works where Qt is missing. VATP Studio registers ``app.cli:extend`` in
pyproject.toml (the frozen app carries that metadata); another Qt-backed command is one `add_command` there.
See docs/ARCHITECTURE.md ("Layers").
"""

from __future__ import annotations

import argparse
import logging
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, Callable, Protocol, Sequence

from ..errors import VATPError

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "vatp_studio.cli"
Register = Callable[[argparse._SubParsersAction], None]


class ReportRenderer(Protocol):
    """PDF reports of a batch, made headless."""

    def report_maker(self, folder: Path, page_size: str) -> Callable[[Any, Any], Path]:
        """A ``make_report(row, result)`` that writes one PDF per scored video into ``folder``."""
        ...

    def batch_summary(
        self, rows: Sequence[Any], metrics: dict | None, out: Path, *, page_size: str, title: str
    ) -> Path:
        """The summary PDF ranking the batch's routines."""
        ...


class QtPartMissing(VATPError):
    """Something asked for needs the Qt-backed part of VATP Studio, which is not available here."""


@dataclass
class Extensions:
    """What the installed extensions added: subcommands, the report renderer, and why any failed to load."""

    commands: list[Register] = field(default_factory=list)
    report_renderer: ReportRenderer | None = None
    problems: list[str] = field(default_factory=list)

    def add_command(self, register: Register) -> None:
        self.commands.append(register)

    def set_report_renderer(self, renderer: ReportRenderer) -> None:
        self.report_renderer = renderer

    def unavailable(self) -> str:
        """Why the Qt-backed part is missing, in words for the user."""
        if self.problems:
            return f"VATP Studio's Qt part could not be loaded ({self.problems[0]})"
        return "VATP Studio's Qt part is not installed here (install vatp-studio with its app and PySide6, or reinstall it)"

    def require_report_renderer(self) -> ReportRenderer:
        if self.report_renderer is None:
            raise QtPartMissing(f"PDF reports need Qt: {self.unavailable()}")
        return self.report_renderer


def load_extensions(entry_points: Sequence[Any] | None = None) -> Extensions:
    """Call every ``vatp_studio.cli`` entry point on a fresh `Extensions`; one that fails is noted, not fatal."""
    ext = Extensions()
    if entry_points is None:
        entry_points = list(metadata.entry_points(group=ENTRY_POINT_GROUP))
    for ep in entry_points:
        try:
            ep.load()(ext)
        except Exception as exc:  # a broken or Qt-less extension must not break the Qt-free commands
            log.debug("CLI extension %s failed", ep.value, exc_info=True)
            ext.problems.append(f"{ep.value}: {type(exc).__name__}: {exc}")
    return ext


_loaded: Extensions | None = None


def extensions() -> Extensions:
    """The installed extensions, loaded once per process."""
    global _loaded
    if _loaded is None:
        _loaded = load_extensions()
    return _loaded
