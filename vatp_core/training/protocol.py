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
    cal_set: FeatureDataset | None = None  # held out from fitting and selection for the calibration
    trust: Any = None  # vatp_core.trust.TrustStats the pack carries
    trust_report: dict[str, Any] | None = None  # Spearman CI, coverage, width, baselines on the test split
    # test["frame_accuracy"]: the parse's sub-action frame accuracy beside equal parts, where frames are labelled


def default_epochs(dataset: str, cls: str) -> int:
    spec = dataset_spec(dataset)
    return int(spec.epochs.get(cls, next(iter(spec.epochs.values()), 100)))


@dataclass
class Splits:
    """A class's parts: fit, select (the test set itself under "best_test" and "last"), test, calibrate (None
    without calibration; disjoint from the others), and fit + select (what a refit trains on)."""

    fit: FeatureDataset
    select: FeatureDataset | None
    test: FeatureDataset
    cal: FeatureDataset | None
    fit_select: FeatureDataset


def load_for_training(
    dataset: str,
    features: str | Path,
    cls: str | None,
    train_cfg: TrainConfig,
    *,
    annotations: str | Path | None = None,
    limit: int | None = None,
    calibration_fraction: float = 0.0,
    **load_kwargs: Any,
) -> Splits:
    """The fit / selection / test / calibration parts for the configured model selection.

    ``limit`` keeps the first N of each split. With ``calibration_fraction`` > 0 a seeded share of the
    training split is held out first for the conformal calibration: neither fitting nor selection sees it
    (the selection split is never it).
    """
    from .trust_report import split_calibration

    train = load_split(dataset, features, cls, "train", annotations=annotations, **load_kwargs)
    test = load_split(dataset, features, cls, "test", annotations=annotations, **load_kwargs)
    if limit:
        train = train.subset(range(min(limit, len(train))), f"{train.split}[:{limit}]")
        test = test.subset(range(min(limit, len(test))), f"{test.split}[:{limit}]")
    train, cal = split_calibration(train, calibration_fraction, train_cfg.seed)
    if train_cfg.selection == "val":
        # at least two routines to select on (a small club set after the calibration part is held out)
        fraction = max(train_cfg.val_fraction, 2.0 / len(train)) if 4 <= len(train) < 10 else train_cfg.val_fraction
        fit, val = train.split_validation(fraction, train_cfg.seed)
        return Splits(fit, val, test, cal, train)
    # best_test selects on the test set; last only shows it while training
    return Splits(train, test, test, cal, train)


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
    calibration_fraction: float = 0.0,
    level: float = 0.9,
    monitor_test: bool = False,
    refit: bool | None = None,
    notify: Callable[[str, int], None] | None = None,
    **load_kwargs: Any,
) -> ClassRun:
    """Train one class with one preset and report on its test split (``limit``: first N routines of each split).

    With ``calibration_fraction`` > 0 (what `vatp train` does; `vatp reproduce` keeps the paper's full
    training split) the run is also calibrated and the report carries the trust figures and baselines.
    ``monitor_test`` (with selection "val") also scores the test set every evaluated epoch, never to select:
    ``result.monitor_best`` is then the best-test-epoch figure of the same run. ``refit`` (`vatp train
    --refit`; selection "val" only) retrains on fit + select for the selected epoch count
    (`vatp_core.training.refit`); ``notify(line, epochs)`` hears that it starts. False (`vatp train`'s default)
    records in the manifest that it was not done; None (`vatp reproduce`, the paper's protocol) leaves it out.
    """
    parts = load_for_training(
        dataset,
        features,
        cls,
        train_cfg,
        annotations=annotations,
        limit=limit,
        calibration_fraction=calibration_fraction,
        **load_kwargs,
    )
    train, val, test, cal = parts.fit, parts.select, parts.test, parts.cal
    tc = replace(train_cfg, epochs=epochs or default_epochs(dataset, train.cls))
    cfg = VATPConfig.preset(preset, **(cfg_overrides or {}))
    monitor = test if monitor_test and tc.selection == "val" else None
    result = train_model(train, val, cfg, tc, progress, cancel=cancel, on_epoch=on_epoch, monitor_set=monitor)

    def predict_on(ds: FeatureDataset | None, model=None):
        if ds is None:
            return None
        return predict(
            model or result.model,
            ds,
            score_norm=result.score_norm,
            device=result.device,
            batch_size=tc.eval_batch_size,
            cancel=cancel,
        )

    honest_val = val if tc.selection == "val" else None  # never the test set
    # the spread / interval shape is chosen on the select part's residuals of the model that selected the epoch
    val_pred = predict_on(honest_val) if calibration_fraction > 0 else None
    if refit:
        from .refit import not_refitted, refit_skip_reason
        from .refit import refit as refit_run

        skip = refit_skip_reason(tc)
        if skip is None:
            assert val is not None
            if notify:
                notify(
                    f"refit: training again on fit + select ({len(parts.fit_select)} videos) for the "
                    f"{result.best_epoch} epochs selected on {len(val)} (--refit)",
                    result.best_epoch,
                )
            result = refit_run(
                result, train, val, parts.fit_select, cfg, tc, progress, cancel=cancel, on_epoch=on_epoch
            )
            train = parts.fit_select  # what the shipped model saw: the pack's training data and the baselines'
        else:
            result.refit = not_refitted(skip)
    elif refit is False:
        from .refit import not_refitted

        result.refit = not_refitted("off (the default; --refit turns it on)")
    if result.finetuned is not None:  # test and calibration videos through the fine-tuned backbone too
        for ds in (test, cal):
            if ds is not None and ds is not val:
                result.finetuned.fill(ds, cancel=cancel)
    pred = predict_on(test)
    from .frame_accuracy import subaction_frame_accuracy
    from .packs import pack_phrases

    frames = subaction_frame_accuracy(
        result.model,
        test,
        phrase_embeddings=pack_phrases(train, result.cfg.n_queries)[1] if result.cfg.use_text else None,
        device=result.device,
    )
    trust = report = None
    if calibration_fraction > 0:
        from .trust_report import calibrate, trust_report

        seen = (
            "fitting, selection and the refit" if result.refit and result.refit.get("done") else "fitting and selection"
        )
        trust = calibrate(
            train,
            cal,
            predict_on(cal),
            spread_set=honest_val,
            spread_pred=val_pred,
            level=level,
            data=f"{len(cal) if cal is not None else 0} videos of the training split held out from {seen}",
        )
        report = trust_report(pred, test, trust, fit_set=train, cal_set=cal, level=level)
    test_report = class_report(pred, test.score_range)
    if frames is not None:  # only where the test videos carry frame labels (SynthAQA)
        test_report["frame_accuracy"] = frames
        if report is not None:
            report["frame_accuracy"] = frames
    return ClassRun(
        dataset=dataset_spec(dataset).name,
        cls=train.cls,
        preset=preset,
        result=result,
        train_set=train,
        test_set=test,
        test=test_report,
        cal_set=cal,
        trust=trust,
        trust_report=report,
    )
