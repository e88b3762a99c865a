"""Entry point of the desktop app (`vatp-studio`, `python main.py`).

Qt starts and the window shows before torch is imported; the model side loads lazily in the worker.
"""

from __future__ import annotations

import time

_T0 = time.perf_counter()  # as early as possible: `--exit-after-show` reports the time from here

import argparse  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402

from vatp_core import __version__  # noqa: E402


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vatp-studio", description="VATP Studio: score and review routine videos.")
    parser.add_argument("video", nargs="?", help="a video file (or a saved .vatp.json score) to open")
    parser.add_argument("--version", action="version", version=f"vatp-studio {__version__}")
    parser.add_argument(
        "--demo", action="store_true", help="open the bundled demo video and score it with the demo pack"
    )
    parser.add_argument("--score", action="store_true", help="score the opened video at once")
    parser.add_argument("--pack", help="model pack (installed name or path; default: settings, else the demo pack)")
    parser.add_argument("--device", choices=("auto", "cuda", "cpu"), help="where to run the model")
    parser.add_argument(
        "--screenshot",
        metavar="FILE",
        help="with --demo or a video: score, save the scored main window as a PNG and exit (with --library-demo: the Library tab)",
    )
    parser.add_argument(
        "--library-demo",
        action="store_true",
        help="show the Library tab on a generated library of made-up attempts (a temporary file; for pictures)",
    )
    parser.add_argument(
        "--screenshot-view",
        choices=("main", "angle", "dual"),
        default="main",
        help="with --screenshot: the Review tab, an angle drawn on the frame, or the dual player",
    )
    parser.add_argument(
        "--headless",
        action="store_true",
        help="score the demo (or the given video) without a window and print the summary",
    )
    parser.add_argument("--save", action="store_true", help="with --headless: also save the score beside the video")
    parser.add_argument(
        "--dive-code", metavar="CODE", help="with --headless: the announced dive (e.g. 407C), for a fused pack"
    )
    parser.add_argument(
        "--exit-after-show",
        action="store_true",
        help="show the window, print the seconds since start, exit (smoke tests, benchmarks)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    import multiprocessing

    multiprocessing.freeze_support()  # a frozen app re-runs itself as the spawned worker process
    args = build_parser().parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    if args.headless:
        from .headless import run_headless

        return run_headless(args.video, args.pack, args.device or "auto", save=args.save, dive_code=args.dive_code)

    from .xcb_check import xcb_problem

    problem = xcb_problem()
    if problem is not None:
        print(problem, file=sys.stderr)
        return 3

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from . import gc_guard
    from .main_window import MainWindow
    from .screenshot import ScreenshotRun

    app = QApplication.instance() or QApplication(sys.argv[:1])
    gc_guard.install(app)
    app.setApplicationName("VATP Studio")
    app.setOrganizationName("VATP")
    app.setApplicationVersion(__version__)
    window = MainWindow(device_check=not (args.exit_after_show or args.screenshot))
    if args.pack:
        window.score_bar.add_pack_path(args.pack)
    if args.device:
        window.score_bar.set_device(args.device)
    window.show()

    if args.exit_after_show:

        def report_shown() -> None:
            print(f"window shown after {time.perf_counter() - _T0:.3f} s", flush=True)
            app.quit()

        QTimer.singleShot(0, report_shown)
        return app.exec()

    if args.library_demo:
        return _library_demo(app, window, args.screenshot)

    video = args.video
    shot = ScreenshotRun(window, args.screenshot, args.screenshot_view) if args.screenshot else None
    window.interactive = shot is None
    if args.demo and not video:
        if not window.open_demo(score=True):
            print("vatp-studio: error: the bundled demo video is missing", file=sys.stderr)
            return 2
    elif video:
        opened = window.open_result_json(video) if str(video).endswith(".json") else window.open_video(video)
        if opened and (args.demo or args.score or shot is not None) and window.result is None:
            window.start_scoring()
        elif not opened and shot is not None:
            print("vatp-studio: error: the video could not be opened", file=sys.stderr)
            return 2
    elif shot is not None:
        print("vatp-studio: error: --screenshot needs --demo or a video", file=sys.stderr)
        return 2
    if shot is not None:
        shot.start()
    code = app.exec()
    return shot.exit_code if shot is not None else code


def _library_demo(app, window, screenshot: str | None) -> int:
    """The Library tab on a season of synthetic attempts in a temporary library file."""
    import shutil
    import tempfile
    from pathlib import Path

    from vatp_core.library.synthetic import build_synthetic_library

    from .screenshot import LibraryScreenshot

    folder = Path(tempfile.mkdtemp(prefix="vatp-library-demo-"))
    try:
        path = build_synthetic_library(folder / "library.sqlite3", 180, athletes=3, seed=7)
        shot = LibraryScreenshot(window, screenshot) if screenshot else None
        window.show_library(path)
        if shot is not None:
            shot.start()
        code = app.exec()
        window.library_tab.close_library()
        return shot.exit_code if shot is not None else code
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
