"""`vatp train`: train VATP-Net on a public dataset's features or a labelled folder, ending in a model pack."""

from __future__ import annotations

import argparse
import functools
import json
import time
from pathlib import Path

from . import CLIError
from .data_args import add_data_args, check_feature_backbone, load_kwargs
from .model_args import ablation_suffix, add_model_args, init_parts, model_overrides
from .train_progress import TrainProgress
from .train_videos import add_video_args, check_video_args, load_backbone_now, train_settings

PRESET_CHOICES = ("mlp", "te", "pd", "te+pd", "vatp", "vatp-fused")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "train",
        help="train VATP-Net on clip features and write a model pack",
        description="Train VATP-Net (Adam, lr 1e-3, weight decay 0, per-dataset epochs from the paper) "
        "and write a model pack whose manifest records data, split, preset and metrics. "
        "An interrupted run resumes from its last checkpoint when run again. "
        "MTL-AQA can also train from its videos with the I3D backbone trained jointly "
        "(--videos DIR --finetune-backbone, backbone lr 1e-4 as the paper); a full run of that needs a GPU "
        "(see 'training from videos' below).",
    )
    add_data_args(p, videos=True)
    add_video_args(p)
    p.add_argument(
        "--preset",
        default="vatp",
        choices=PRESET_CHOICES,
        help="model / ablation preset (default vatp; vatp-fused: the score head also reads the dive's phrases, so scoring needs the dive code)",
    )
    p.add_argument(
        "--epochs",
        type=int,
        default=None,
        help="epochs (default: RG the paper's 300/400/500/300 per apparatus; "
        "our choice elsewhere: Fis-V and FineFS 300, MTL-AQA 200, generic 100)",
    )
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--weight-decay", type=float, default=0.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--selection",
        choices=("best_test", "val", "last"),
        default="val",
        help="model selection: val (default: on a held-out part of the training set, so the test figures "
        "are honest), best_test (best epoch on the test set, the paper's practice, optimistic), last",
    )
    p.add_argument(
        "--select-by",
        choices=("mse", "spearman"),  # vatp_core.training.config.SELECT_BY (not imported: it loads torch)
        default="mse",
        help="what the best epoch is judged by on the selection part: mse (default: the squared error, which "
        "sets the calibrated interval's width; Spearman on a few dozen videos is noisy) or spearman (the "
        "paper's metric, what `vatp reproduce` uses)",
    )
    p.add_argument("--val-fraction", type=float, default=0.2, help="share held out for --selection val")
    p.add_argument(
        "--calibration-fraction",
        type=float,
        default=0.2,
        metavar="F",
        help="share of the training split held out (from fitting and selection) to calibrate the score "
        "intervals (default 0.2; 0 = no calibration, the pack says 'uncalibrated')",
    )
    p.add_argument(
        "--level", type=float, default=0.9, metavar="L", help="interval level the report measures (default 0.9)"
    )
    p.add_argument(
        "--refit",
        action="store_true",
        help="with --selection val: once the epoch is selected, train again on fit + select for that many "
        "epochs and ship that model (about 1.5x the training time; the calibration part stays unseen). "
        "Off by default: on generated RG features it widened the intervals (the selected epoch is one good "
        "point of a noisy run, and the refit's run passes it elsewhere)",
    )
    p.add_argument(
        "--crop",
        type=int,
        default=None,
        metavar="N",
        help="random crop of N clips in training (default: dataset's, RG 68; 0 = full sequences)",
    )
    p.add_argument(
        "--init",
        default=None,
        metavar="PACK",
        help="start from a pack's weights where they fit (the paper fine-tunes a ParseFormer trained "
        "with text on MTL-AQA for RG, Fis-V and FineFS)",
    )
    add_model_args(p)
    p.add_argument("--device", default="auto", choices=["auto", "cuda", "cpu"])
    p.add_argument("--no-amp", action="store_true", help="no mixed precision on CUDA")
    p.add_argument("--threads", type=int, default=None, help="CPU threads for torch")
    p.add_argument(
        "--checkpoint",
        default=None,
        metavar="DIR",
        help="checkpoint folder (default: one per pack name in the user data folder)",
    )
    p.add_argument("--no-resume", action="store_true", help="start afresh even if a checkpoint exists")
    p.add_argument(
        "--out",
        default=None,
        metavar="PACK",
        help="pack folder or .zip to write (default: install into the user's packs folder)",
    )
    p.add_argument("--name", default=None, help="pack name (default: <dataset>-<class>-<preset>)")
    p.add_argument("--json", default=None, metavar="OUT", help="write the run summary as JSON")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..datasets import DatasetError, dataset_spec
    from ..errors import VATPError
    from ..paths import data_dir, packs_dir

    try:
        spec = dataset_spec(args.dataset)
    except DatasetError as exc:
        raise CLIError(str(exc)) from exc
    if args.cls is None and len(spec.classes) > 1:
        raise CLIError(f"{spec.title} has one model per class: pass --class ({', '.join(spec.classes)})")
    if args.epochs is not None and args.epochs < 1:
        raise CLIError("--epochs must be at least 1")
    check_video_args(args)
    features = args.features or args.videos

    from ..distributed.ddp import is_main_process
    from ..training import TrainConfig, default_epochs, evaluation_report, run_class, save_trained_pack
    from ..training.checkpoints import CheckpointError

    kw = load_kwargs(args)
    overrides = model_overrides(args)
    cls = args.cls or spec.classes[0]
    tuned = "-finetuned" if args.finetune_backbone else ""
    name = args.name or f"{spec.name}-{cls}-{args.preset}{ablation_suffix(overrides)}{tuned}".lower().replace("+", "")
    auto_ckpt = args.checkpoint is None
    # One automatic folder per pack name *and* selection: a run selected on validation never resumes from,
    # or replaces, one selected on the test set, nor one selected by MSE one selected by Spearman
    # (checkpoints of earlier versions, directly in the pack's folder or by Spearman, are left where they are).
    by = f"-by-{args.select_by}" if args.select_by != "spearman" and args.selection != "last" else ""
    ckpt = Path(args.checkpoint) if args.checkpoint else data_dir() / "checkpoints" / name / f"{args.selection}{by}"
    from ..trust import check_level

    try:
        level = check_level(args.level)
    except ValueError as exc:
        raise CLIError(str(exc)) from exc
    try:
        tc = TrainConfig(
            epochs=1,
            batch_size=args.batch_size,
            lr=args.lr,
            weight_decay=args.weight_decay,
            seed=args.seed,
            device=args.device,
            amp=not args.no_amp,
            train_crop=args.crop,
            selection=args.selection,
            select_by=args.select_by,
            val_fraction=args.val_fraction,
            checkpoint_dir=str(ckpt),
            resume=not args.no_resume,
            num_threads=args.threads,
            init_from=args.init,
            init_parts=init_parts(args),
            **train_settings(args),
        )
        from ..model import VATPConfig

        VATPConfig.preset(args.preset, **overrides)  # an impossible combination fails here, before any work
    except ValueError as exc:
        raise CLIError(str(exc)) from exc
    epochs = args.epochs or default_epochs(spec.name, cls)
    try:  # fail before training, not after, when the features cannot make a usable pack
        from ..datasets import load_split
        from ..training.packs import backbone_problem

        probe = load_split(spec.name, features, cls, "train", annotations=args.annotations, **kw)
        load_backbone_now(probe)
        problem = backbone_problem(probe, args.backbone)
    except VATPError as exc:
        raise CLIError(str(exc)) from exc
    if problem:
        raise CLIError(problem)
    record, shipped = None, None
    if probe.extractor is None:  # given features: the pack must score with what made them
        try:
            record, shipped = check_feature_backbone(
                args.features, args.backbone or probe.backbone or "", kw.get("backbone_weights")
            )
        except VATPError as exc:
            raise CLIError(str(exc)) from exc
    main_rank = is_main_process()  # under torchrun every rank trains; rank 0 alone prints and writes the pack
    bar = TrainProgress(epochs, label=f"{name}: ", enabled=not args.quiet and main_rank)
    t0 = time.perf_counter()
    try:
        train = functools.partial(
            run_class,
            spec.name,
            features,
            cls,
            args.preset,
            tc,
            epochs=epochs,
            annotations=args.annotations,
            cfg_overrides=overrides,
            progress=bar,
            on_epoch=bar.epoch,
            calibration_fraction=args.calibration_fraction,
            level=level,
            refit=args.refit,
            notify=bar.phase if main_rank else None,
            **kw,
        )
        try:
            outcome = train()
        except CheckpointError:
            if not auto_ckpt:
                raise
            kept = _set_aside(ckpt)  # our own folder, from an earlier run with other data or settings
            bar.loading.write(f"note: the checkpoint of an earlier, different run was kept as {kept}")
            outcome = train()
        res = outcome.result
        if not main_rank:
            return 0
        out = Path(args.out) if args.out else packs_dir() / name
        path = save_trained_pack(
            out,
            res,
            outcome.train_set,
            name=name,
            test_metrics=outcome.test,
            backbone=args.backbone,
            test_set=outcome.test_set,
            sport=spec.sport,
            event=f"{spec.event_prefix} {outcome.cls}".strip(),
            trust=outcome.trust,
            trust_report=outcome.trust_report,
            backbone_state=shipped,
            features_record=record,
        )
    except (VATPError, ValueError) as exc:
        raise CLIError(str(exc)) from exc
    finally:
        bar.close()
    t = outcome.test
    print(
        f"{name}: test Spearman {t['spearman']:.4f}  R-l2 {t['rl2']:.3f}  MSE {t['mse']:.3f}  "
        f"(n={t['n']}, epoch {res.best_epoch} of {epochs})"
    )
    print(f"model selection: {res.selection_text}")
    for note in res.notes:
        print(f"note: {note}")
    if outcome.trust_report is not None:
        from ..trust.summary import trust_lines

        for line in trust_lines(outcome.trust_report, t["spearman"]):
            print(line)
    elif t.get("frame_accuracy"):
        from ..trust.summary import frame_accuracy_line

        print(frame_accuracy_line(t["frame_accuracy"]))
    print(f"pack written to {path}  ({time.perf_counter() - t0:.0f} s)")
    if outcome.trust_report is not None and outcome.trust_report.get("beats_ridge") is False:
        print("WARNING: this pack does not beat the mean-pooled ridge baseline on its own test split")
    if args.json:
        summary = {
            "pack": str(path),
            "name": name,
            "dataset": spec.name,
            "class": outcome.cls,
            "preset": args.preset,
            "training": res.summary(),
            "best_epoch": res.best_epoch,
            "selection_metrics": res.val_metrics,
            "test": evaluation_report(
                {outcome.cls: t}, **{**{k: t[k] for k in ("frame_accuracy",) if k in t}, **(outcome.trust_report or {})}
            ),
        }
        _write_json(args.json, summary)
    return 0


def _set_aside(folder: Path) -> Path:
    """Keep an automatic folder's checkpoint of another run as ``checkpoint.superseded.pt`` instead of deleting it."""
    from ..training.checkpoints import checkpoint_path

    current = checkpoint_path(folder)
    kept = current.with_name("checkpoint.superseded.pt")
    if current.is_file():
        current.replace(kept)
    return kept


def _write_json(dest: str, data: dict) -> None:
    text = json.dumps(data, indent=2)
    if dest == "-":
        print(text)
    else:
        Path(dest).parent.mkdir(parents=True, exist_ok=True)
        Path(dest).write_text(text + "\n", encoding="utf-8")
