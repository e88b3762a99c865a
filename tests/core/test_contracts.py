"""The layer contracts in pyproject.toml hold, and the checker really fails on a violation."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _lint_imports(root: Path) -> subprocess.CompletedProcess:
    exe = shutil.which("lint-imports")
    if exe is None:
        pytest.skip("import-linter is not installed (pip install -e '.[test]')")
    env = dict(os.environ, PYTHONPATH=str(root))
    return subprocess.run(
        [exe, "--config", str(root / "pyproject.toml"), "--no-cache"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_layer_contracts_are_kept():
    proc = _lint_imports(ROOT)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]


@pytest.mark.parametrize(
    ("module", "line"),
    [
        ("vatp_core/_violation.py", "def f():\n    from PySide6 import QtCore  # a lazy import counts too\n"),
        ("vatp_core/_violation.py", "def f():\n    import app.colors\n"),
        ("app/_violation.py", "import torch\n"),
    ],
)
def test_checker_fails_on_a_deliberate_violation(tmp_path, module, line):
    for part in ("vatp_core", "app"):
        shutil.copytree(ROOT / part, tmp_path / part, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / module).write_text(line)
    proc = _lint_imports(tmp_path)
    assert proc.returncode != 0, proc.stdout[-2000:]
    assert "_violation" in proc.stdout


def test_checker_passes_on_the_unbroken_copy(tmp_path):
    """The copy above differs only by the violation: without it, the same run passes."""
    for part in ("vatp_core", "app"):
        shutil.copytree(ROOT / part, tmp_path / part, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    proc = _lint_imports(tmp_path)
    assert proc.returncode == 0, proc.stdout[-4000:]
