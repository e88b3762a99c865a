"""vatp_core must stay usable without Qt: importing any of its modules loads no Qt binding."""

import pkgutil
import subprocess
import sys

import vatp_core

SCRIPT = r"""
import importlib, pkgutil, sys
import vatp_core
names = [m.name for m in pkgutil.walk_packages(vatp_core.__path__, "vatp_core.") if not m.name.endswith("__main__")]
for name in names:
    importlib.import_module(name)
qt = sorted(m for m in sys.modules if m.split(".")[0] in {"PySide6", "PyQt5", "PyQt6", "shiboken6", "pyqtgraph"})
print(len(names))
if qt:
    raise SystemExit("Qt imported by vatp_core: " + ", ".join(qt))
"""


def test_core_modules_import_without_qt():
    proc = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    n_modules = int(proc.stdout.strip().splitlines()[-1])
    expected = len(
        [m for m in pkgutil.walk_packages(vatp_core.__path__, "vatp_core.") if not m.name.endswith("__main__")]
    )
    assert n_modules == expected and n_modules >= 5
