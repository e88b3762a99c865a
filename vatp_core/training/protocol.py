"""One dataset class, end to end: load the official split, train with the chosen model selection, test.

Model selection is stated with every result: "best_test" selects the epoch on the test set (what the
field, and the paper's tables, do), "val" selects it on a held-out part of the training set and touches
the test set once, "last" takes the final epoch.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable

from ..datasets import FeatureDataset, dataset_spec, load_split
from ..model import VATPConfig
from .config import EpochLog, TrainConfig
from .evaluation import class_report
from .trainer import TrainResult, predict, train_model


@dataclass
class ClassRun:
    """A trained class with its test report."""

    dataset: str
    cls: str
    preset: str
    result: TrainResult
    train_set: FeatureDataset
    test_set: FeatureDataset
    test: dict[str, Any]


def default_epochs(dataset: str, cls: str) -> int:
    spec = dataset_spec(dataset)
    return int(spec.epochs.get(cls, next(iter(spec.epochs.values()), 100)))


def load_for_training(
    dataset: str,
    features: str | Path,
    cls: str | None,
    train_cfg: TrainConfig,
    *,
    annotations: str | Path | None = None,
    limit: int | None = None,
    **load_kwargs: Any,
) -> tuple[FeatureDataset, FeatureDataset | None, FeatureDataset]:
    """(train, selection set, test) for the configured model selection; ``limit`` keeps the first N of each split."""
    train = load_split(dataset, features, cls, "train", annotations=annotations, **load_kwargs)
    test = load_split(dataset, features, cls, "test", annotations=annotations, **load_kwargs)
    if limit:
        train = train.subset(range(min(limit, len(train))), f"{train.split}[:{limit}]")
        test = test.subset(range(min(limit, len(test))), f"{test.split}[:{limit}]")
    if train_cfg.selection == "val":
        train, val = train.split_validation(train_cfg.val_fraction, train_cfg.seed)
        return train, val, test
    return train, test, test  # best_test selects on it; last only shows it while training


def run_class(
    dataset: str,
    features: str | Path,
    cls: str | None,
    preset: str,
    train_cfg: TrainConfig,
    *,
    epochs: int | None = None,
    annotations: str | Path | None = None,
    cfg_overrides: dict[str, Any] | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    on_epoch: Callable[[EpochLog], None] | None = None,
    cancel=None,
    limit: int | None = None,
    **load_kwargs: Any,
) -> ClassRun:
    """Train one class with one preset and report on its test split (``limit``: first N routines of each split)."""
    train, val, test = load_for_training(
        dataset, features, cls, train_cfg, annotations=annotations, limit=limit, **load_kwargs
    )
    tc = replace(train_cfg, epochs=epochs or default_epochs(dataset, train.cls))
    cfg = VATPConfig.preset(preset, **(cfg_overrides or {}))
    result = train_model(train, val, cfg, tc, progress, cancel=cancel, on_epoch=on_epoch)
    pred = predict(
        result.model,
        test,
        score_norm=result.score_norm,
        device=result.device,
        batch_size=tc.eval_batch_size,
        cancel=cancel,
    )
    return ClassRun(
        dataset=dataset_spec(dataset).name,
        cls=train.cls,
        preset=preset,
        result=result,
        train_set=train,
        test_set=test,
        test=class_report(pred, test.score_range),
    )
