"""The `vatp` command line.

Each subcommand lives in its own module of this package and exposes ``register(subparsers)``,
which adds its parser and sets ``func`` (called with the parsed args, returning an exit code).
Modules must not import torch at import time, so `vatp --help` stays instant. Commands that need Qt
(`vatp report`) come from the app through the entry-point seam in `extensions`.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys

from .. import __version__
from ..errors import VATPError

# One entry per subcommand module, in the order `vatp --help` lists them.
COMMAND_MODULES: tuple[str, ...] = (
    "score",
    "batch",
    "library",
    "packs",
    "weights",
    "extract",
    "train",
    "eval",
    "reproduce",
    "synth",
    "model",
    "probe",
    "export",
    "info",
)


class CLIError(Exception):
    """An error with a message for the user; printed without a traceback."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vatp",
        description="VATP Studio command line: score routines, train and evaluate VATP-Net, manage model packs.",
    )
    parser.add_argument("--version", action="version", version=f"vatp-studio {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    parser.add_argument("--debug", action="store_true", help="show the full traceback of any error")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"{__name__}.{name}").register(sub)
    from .extensions import extensions

    for register in extensions().commands:
        register(sub)
    return parser


def _unknown_command(parser: argparse.ArgumentParser, argv: list[str]) -> str | None:
    """The one-line error for a command nobody registered (a Qt-backed one when the Qt part is missing)."""
    from .extensions import extensions

    ext = extensions()
    if ext.commands and not ext.problems:
        return None  # the Qt part is there: argparse says what is wrong
    words = [a for a in argv if not a.startswith("-")]
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    if not words or words[0] in sub.choices:
        return None
    return f"vatp: error: unknown command {words[0]!r} (commands that need Qt come from the app: {ext.unavailable()})"


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never wait on the model hub by accident
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else argv
    unknown = _unknown_command(parser, argv)
    if unknown:
        print(unknown, file=sys.stderr)
        return 2
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        code = int(args.func(args) or 0)
        sys.stdout.flush()  # a closed pipe shows here, inside the handlers, not at interpreter exit
        return code
    except (CLIError, VATPError) as exc:  # messages written for the user: no traceback
        if args.debug:
            raise
        print(f"vatp {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `vatp score V | head -1`: the reader left; say nothing more
        _silence_stdout()
        return 141
    except OSError as exc:
        if args.debug:
            raise
        where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
        print(f"vatp {args.command}: error: {exc.strerror or exc}{where}", file=sys.stderr)
        return 1
    except Exception as exc:
        if args.debug:
            raise
        print(
            f"vatp {args.command}: internal error: {type(exc).__name__}: {exc} (run with --debug for details)",
            file=sys.stderr,
        )
        return 1


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush does not raise BrokenPipeError again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


if __name__ == "__main__":
    sys.exit(main())
