"""Training settings (what the paper fixes, and what it leaves to us) and the per-epoch log record."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

SELECTIONS = ("best_test", "val", "last")
SELECTION_TEXT = {
    "best_test": "best epoch on the test set (the field's practice, as the paper's tables; optimistic)",
    "val": "best epoch on a held-out validation split of the training set (test set untouched until the end)",
    "last": "the last epoch (no selection)",
}
# what the selection part's best epoch is judged by: Spearman (the paper's metric) or the mean squared error,
# which sets a calibrated interval's width (on a few dozen videos Spearman is noisy: on generated RG-layout
# features it picked epoch 11 of 300 in one run and 4 in another; over seven runs its 90% intervals averaged
# 0.62x the central 90% of the scores, widest 0.79x, against 0.55x, widest 0.62x, by squared error)
SELECT_BY = ("spearman", "mse")


def selection_text(selection: str, select_by: str = "spearman") -> str:
    """What chose the model, in words (the selection part's figure too where it is not Spearman)."""
    text = SELECTION_TEXT[selection]
    if select_by == "mse" and selection in ("best_test", "val"):
        return text.replace("best epoch", "epoch of least squared error", 1)
    return text


@dataclass
class TrainConfig:
    """How to train: Adam (lr 1e-3, weight decay 0) as the paper; epochs default per dataset/class."""

    epochs: int = 100
    batch_size: int = 8  # FSPN (same authors) used 8
    lr: float = 1e-3
    weight_decay: float = 0.0
    seed: int = 0
    device: str = "auto"
    amp: bool = True  # mixed precision, used on CUDA only
    train_crop: int | None = None  # clips per training crop; None → the dataset's default (RG 68), 0 → full sequence
    selection: str = "best_test"  # see SELECTIONS
    select_by: str = "spearman"  # see SELECT_BY (`vatp train` passes "mse")
    val_fraction: float = 0.2  # for selection "val"
    normalize: bool = True  # regress (target − mean) / std of the training targets
    eval_every: int = 1
    checkpoint_dir: str | None = None
    checkpoint_every: int = 1
    resume: bool = True
    num_threads: int | None = None  # None → half the cores on CPU (faster on small shared machines)
    grad_clip: float | None = None
    eval_batch_size: int = 16
    init_from: str | None = None  # a model pack to start from (the paper fine-tunes a text-trained ParseFormer)
    init_parts: tuple[str, ...] | None = None  # the model parts taken from init_from; None → the ParseFormer
    finetune_backbone: bool = False  # train the video dataset's backbone jointly with the model (MTL-AQA, §IV-A2)
    backbone_lr: float = 1e-4  # the backbone's learning rate when it is trained (the paper's)
    clip_cache: str | None = None  # decoded clips for backbone training: a folder; None → the user cache; "" → none

    def __post_init__(self) -> None:
        if self.epochs < 1:
            raise ValueError("epochs must be ≥ 1")
        if self.batch_size < 1:
            raise ValueError("batch size must be ≥ 1")
        if self.lr <= 0 or self.backbone_lr <= 0:
            raise ValueError("learning rate must be > 0")
        if self.selection not in SELECTIONS:
            raise ValueError(f"selection must be one of {', '.join(SELECTIONS)}, not {self.selection!r}")
        if self.select_by not in SELECT_BY:
            raise ValueError(f"select_by must be one of {', '.join(SELECT_BY)}, not {self.select_by!r}")
        if self.train_crop is not None and self.train_crop < 0:
            raise ValueError("train_crop must be ≥ 0")
        if self.init_parts is not None:
            self.init_parts = tuple(self.init_parts)  # a JSON list from a checkpoint

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "TrainConfig":
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})


@dataclass
class EpochLog:
    """One epoch: mean losses over its batches and, when evaluated, the selection-set Spearman."""

    epoch: int
    loss: float
    reg: float
    div: float
    alg: float
    gc: float
    val_spearman: float | None = None
    val_rl2: float | None = None
    seconds: float = 0.0
    extra: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
