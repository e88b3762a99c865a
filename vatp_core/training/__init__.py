"""Training, evaluation and reproduction of the paper's protocols (imports torch; load it lazily from CLIs)."""

from __future__ import annotations

from .config import SELECTIONS, EpochLog, TrainConfig
from .evaluation import class_report, combine_classes, evaluation_report, predict_with_pack, write_plots
from .packs import save_trained_pack
from .protocol import ClassRun, default_epochs, run_class
from .trainer import Prediction, TrainResult, fit_config_to_data, predict, train_model

__all__ = [
    "SELECTIONS",
    "ClassRun",
    "EpochLog",
    "Prediction",
    "TrainConfig",
    "TrainResult",
    "class_report",
    "combine_classes",
    "default_epochs",
    "evaluation_report",
    "fit_config_to_data",
    "predict",
    "predict_with_pack",
    "run_class",
    "save_trained_pack",
    "train_model",
    "write_plots",
]
