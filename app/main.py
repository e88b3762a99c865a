"""Entry point of the desktop app (`vatp-studio`, `python main.py`).

Qt starts and the window shows before torch is imported; the model side loads lazily.
"""

from __future__ import annotations

import argparse
import os
import sys

from vatp_core import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vatp-studio", description="VATP Studio: score and review routine videos.")
    parser.add_argument("video", nargs="?", help="a video file to open")
    parser.add_argument("--version", action="version", version=f"vatp-studio {__version__}")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    from PySide6.QtWidgets import QApplication

    from .main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("VATP Studio")
    app.setOrganizationName("VATP")
    app.setApplicationVersion(__version__)
    window = MainWindow()
    window.show()
    if args.video:
        window.open_video(args.video)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
