"""Build the PyInstaller bundle and run the frozen app and its `vatp` command line (minutes: marked slow, run with
`-m slow`)."""

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_frozen_app_scores_demo_and_shows_window():
    if shutil.which("pyinstaller") is None:
        pytest.skip("PyInstaller not installed (pip install -e '.[packaging]')")
    proc = subprocess.run(
        ["bash", str(ROOT / "packaging" / "smoke_test.sh")], cwd=ROOT, capture_output=True, text=True, timeout=1800
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "smoke test passed" in proc.stdout
