"""Clip features: backbones, their weights, the feature cache and the extraction pipeline.

Importing this package does not import torch; the heavy parts load when first used.
"""

from __future__ import annotations

from typing import Any

from .backbones import (
    BACKBONE_NAMES,
    BackboneSpec,
    IncompatibleWeightsError,
    LoadedBackbone,
    UnknownBackboneError,
    get_backbone_spec,
    load_backbone,
    state_dict_hash,
)
from .checkpoints import MissingWeightsError, WeightsError, WeightsVerificationError
from .known_weights import KNOWN_WEIGHTS
from .weights import WeightsDownloadError, find_installed, import_weights, list_installed

_LAZY = {
    "ClipFeatures": "pipeline",
    "extract_features": "pipeline",
    "FeatureCache": "cache",
    "video_content_hash": "cache",
    "feature_cache_key": "cache",
    "preprocess_clip": "preprocess",
    "preprocessing_for": "preprocess",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(name)


__all__ = [
    "BACKBONE_NAMES",
    "BackboneSpec",
    "IncompatibleWeightsError",
    "LoadedBackbone",
    "UnknownBackboneError",
    "get_backbone_spec",
    "load_backbone",
    "state_dict_hash",
    "KNOWN_WEIGHTS",
    "MissingWeightsError",
    "WeightsDownloadError",
    "WeightsError",
    "WeightsVerificationError",
    "find_installed",
    "import_weights",
    "list_installed",
    *_LAZY,
]
