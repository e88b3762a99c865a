"""Test set-up shared by every test: offscreen Qt, user folders in a temporary folder, markers."""

from __future__ import annotations

import gc
import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("OMP_NUM_THREADS", "2")


@pytest.fixture(autouse=True)
def vatp_home(tmp_path, monkeypatch):
    """Point config, data and cache folders at a per-test temporary folder."""
    home = tmp_path / "vatp_home"
    monkeypatch.setenv("VATP_HOME", str(home))
    return home


_teardowns: list[None] = []


@pytest.fixture(autouse=True)
def gui_thread_gc(request):
    """Qt tests collect garbage cycles on the GUI thread only, as the app does (app/gc_guard.py): a worker
    thread's automatic collection freeing an earlier test's widget deadlocked the suite."""
    if {"qtbot", "qapp"} & set(request.fixturenames):
        from app import gc_guard

        gc_guard.install(request.getfixturevalue("qapp"))
    yield
    widgets = sys.modules.get("PySide6.QtWidgets")
    if widgets is not None and widgets.QApplication.instance() is not None:
        # this test's garbage goes now, on this thread (a full pass, ~0.2 s with torch loaded, every 20th test)
        _teardowns.append(None)
        gc.collect(2 if len(_teardowns) % 20 == 0 else 1)


@pytest.fixture(scope="session")
def shared_datasets() -> Path:
    """The real annotation files of the public datasets (``../shared/datasets`` beside the checkout)."""
    root = Path(os.environ.get("VATP_DATASETS", Path(__file__).resolve().parents[2] / "shared" / "datasets"))
    if not root.is_dir():
        pytest.skip(f"reference dataset files not found at {root}")
    return root


def _cuda_available() -> bool:
    try:
        import torch
    except Exception:
        return False
    return torch.cuda.is_available()


def pytest_collection_modifyitems(config, items):
    gpu_items = [item for item in items if "gpu" in item.keywords]
    if gpu_items and not _cuda_available():
        skip = pytest.mark.skip(reason="needs a CUDA device")
        for item in gpu_items:
            item.add_marker(skip)
