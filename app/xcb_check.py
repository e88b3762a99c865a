"""Before Qt starts on Linux/X11: check the system libraries Qt's xcb plugin needs, and name the packages to install.

Without them Qt aborts with a cryptic "could not load the Qt platform plugin" message.
"""

from __future__ import annotations

import ctypes
import os
import sys
from typing import Callable

#: Shared library → Debian/Ubuntu package (from ``ldd`` on PySide6's Qt/plugins/platforms/libqxcb.so).
XCB_LIBRARIES = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
}


def _loads(name: str) -> bool:
    try:
        ctypes.CDLL(name)
    except OSError:
        return False
    return True


def needs_xcb() -> bool:
    """Linux with QT_QPA_PLATFORM unset or xcb (offscreen, wayland and --headless need none of this)."""
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    return sys.platform.startswith("linux") and platform in ("", "xcb")


def missing_xcb_packages(loads: Callable[[str], bool] = _loads) -> list[str]:
    """The Debian packages whose libraries cannot be loaded (empty when all are there)."""
    return [package for lib, package in XCB_LIBRARIES.items() if not loads(lib)]


def xcb_problem(loads: Callable[[str], bool] = _loads) -> str | None:
    """One line naming what to install, or None when the window can start."""
    if not needs_xcb():
        return None
    missing = missing_xcb_packages(loads)
    if not missing:
        return None
    return f"vatp-studio: error: Qt needs system libraries that are missing; install them with: sudo apt install {' '.join(missing)}"
