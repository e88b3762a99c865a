"""A non-editable `pip install .` carries resources/: the demo scores headless from any folder."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEMO_FILES = ("demo/demo_routine.mp4", "demo/demo_routine.json", "demo/demo_pack/manifest.json")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    work = tmp_path_factory.mktemp("src")
    # Build from a copy so the checkout gets no build/ or egg-info folder from the test.
    src = work / "src"
    files = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    for rel in files:
        p = ROOT / rel
        if p.is_file():
            dst = src / rel
            dst.parent.mkdir(parents=True, exist_ok=True)
            dst.write_bytes(p.read_bytes())
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "--no-build-isolation", "-q", "-w", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    (whl,) = out.glob("vatp_studio-*.whl")
    return whl


def test_wheel_carries_the_resources(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    data = [n for n in names if "/data/share/vatp-studio/resources/" in n]
    for rel in DEMO_FILES:
        assert any(n.endswith("resources/" + rel) for n in data), rel
    assert any(n.startswith("vatp_core/") for n in names) and any(n.startswith("app/") for n in names)


@pytest.mark.timeout(900)
def test_installed_wheel_scores_the_demo_from_root(wheel, tmp_path):
    venv = tmp_path / "venv"
    # The venv sees the already installed dependencies (torch, Qt…); the project itself comes from the wheel.
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True, timeout=300)
    py = venv / "bin" / "python"
    subprocess.run(
        [str(py), "-m", "pip", "install", "-q", "--no-deps", "--ignore-installed", str(wheel)], check=True, timeout=300
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["VATP_HOME"] = str(tmp_path / "home")
    where = subprocess.run(
        [str(py), "-c", "import vatp_core.paths as p; print(p.__file__); print(p.demo_video_path())"],
        cwd="/",
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    module_file, demo = where.stdout.split()
    assert str(venv) in module_file  # the installed copy, not the checkout
    assert str(venv) in demo and Path(demo).is_file()
    proc = subprocess.run(
        [str(venv / "bin" / "vatp-studio"), "--demo", "--headless"],
        cwd="/",
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "demo_routine.mp4" in proc.stdout and "synthetic demo" in proc.stdout
