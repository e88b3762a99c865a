"""Importing the video package stays cheap (the app imports it at start-up for the file filters)."""

from __future__ import annotations

import subprocess
import sys


def test_import_does_not_load_pyav_or_opencv():
    code = (
        "import sys, vatp_core.video as v, vatp_core.protocols;"
        "assert v.is_video_filename('a.MP4');"
        "print('av' in sys.modules, 'cv2' in sys.modules, 'torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "False", "False"]


def test_lazy_exports_resolve():
    import vatp_core.video as v

    for name in v.__all__:
        assert getattr(v, name) is not None
    assert "open_video" in dir(v)
