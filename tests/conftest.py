"""Test set-up shared by every test: offscreen Qt, user folders in a temporary folder, markers."""

from __future__ import annotations

import os

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
