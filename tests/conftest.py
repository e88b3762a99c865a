"""Test set-up shared by every test: offscreen Qt, user folders in a temporary folder, markers."""

from __future__ import annotations

import os
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
