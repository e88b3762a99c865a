"""`vatp eval`: score a labelled test split with one or more model packs; metrics, Fig. 6/7 data and PNGs."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..errors import VATPError
from . import CLIError
from .data_args import add_data_args, load_kwargs


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "eval",
        help="evaluate model packs on a labelled dataset split",
        description="Spearman, R-l2 (x100, as CoRe reports it), MSE; Fisher-z average over classes; "
        "the predicted-vs-judged scatter (paper Fig. 6) and cumulative score curve (Fig. 7) "
        "as JSON and PNG.",
    )
    p.add_argument(
        "--pack",
        action="append",
        required=True,
        metavar="P",
        help="model pack (installed name, folder or .zip); repeat for one pack per class",
    )
    add_data_args(p)
    p.add_argument(
        "--split",
        default="test",
        choices=("test", "train", "all"),
        help="which split to evaluate (default test; 'all' for generic folders)",
    )
    p.add_argument("--device", default="auto", choices=["auto", "cuda", "cpu"])
    p.add_argument("--level", type=float, default=0.9, metavar="L", help="interval level measured (default 0.9)")
    p.add_argument(
        "--no-baselines",
        action="store_true",
        help="skip the training-mean and ridge baselines (they need the dataset's train split)",
    )
    p.add_argument("--json", default=None, metavar="OUT", help="write the report as JSON ('-' for stdout)")
    p.add_argument(
        "--plots", default=None, metavar="DIR", help="folder for the PNG plots (default: beside --json, else none)"
    )
    p.set_defaults(func=run)


def _pack_class(pack, explicit: str | None, n_packs: int) -> str | None:
    if explicit and n_packs == 1:
        return explicit
    cls = (pack.manifest.training or {}).get("class")
    if cls is None and n_packs > 1:
        raise CLIError(f"pack {pack.name!r} does not say which class it was trained on; evaluate it alone with --class")
    return cls


TRUST_KEYS = (
    "level",
    "spearman_ci",
    "coverage",
    "interval_width",
    "naive_width",
    "n_calibration",
    "uncalibrated",
    "ood_flagged",
    "baselines",
    "beats_ridge",
    "frame_accuracy",
)


def _trust(args, spec, pack, ds, pred, cls, kw) -> dict:
    """Spearman CI, interval coverage/width with the pack's calibration, and the baselines (fitted on 80% of the
    dataset's train split, their intervals calibrated on the other 20%) on the evaluated split."""
    from ..datasets import load_split
    from ..training.trust_report import split_calibration, trust_report
    from ..trust import check_level

    try:
        level = check_level(args.level)
    except ValueError as exc:
        raise CLIError(str(exc)) from None
    fit = cal = None
    if not args.no_baselines and args.split != "train":
        try:
            train = load_split(spec.name, args.features, cls, "train", annotations=args.annotations, **kw)
            fit, cal = split_calibration(train, 0.2, 0)
        except (VATPError, ValueError):
            fit = cal = None  # no train split here (e.g. a generic folder evaluated whole): no baselines
    return trust_report(pred, ds, pack.trust, fit_set=fit, cal_set=cal, level=level)


def run(args: argparse.Namespace) -> int:
    from ..datasets import DatasetError, dataset_spec, load_split
    from ..errors import VATPError
    from ..pack import resolve_pack

    try:
        spec = dataset_spec(args.dataset)
    except DatasetError as exc:
        raise CLIError(str(exc)) from exc
    from ..features.record import pack_mismatch, read_record
    from ..training import class_report, evaluation_report, predict_with_pack, write_plots
    from ..training.frame_accuracy import pack_frame_accuracy

    kw = load_kwargs(args)
    per_class: dict[str, dict] = {}
    packs_used = {}
    warnings: list[str] = []
    record = read_record(args.features) if args.features else None
    try:
        for ref in args.pack:
            pack = resolve_pack(ref)
            mismatch = pack_mismatch(record, pack.manifest.backbone, pack.manifest.backbone_weights_hash)
            if mismatch:
                warnings.append(f"{pack.name}: {mismatch}; its figures on them mean little")
                print(f"warning: {warnings[-1]}", file=sys.stderr)
            cls = _pack_class(pack, args.cls, len(args.pack))
            if cls is None and len(spec.classes) > 1:
                raise CLIError(f"{spec.title} has several classes: pass --class ({', '.join(spec.classes)})")
            if spec.name == "generic":  # score the folder exactly as the pack will score videos
                kw.setdefault("difficulty_mode", pack.manifest.difficulty)
                kw.setdefault("backbone", pack.manifest.backbone)
                kw.setdefault("protocol", pack.manifest.protocol)
                if pack.backbone_state() is not None:
                    kw.setdefault("backbone_weights", pack.backbone_state())
            ds = load_split(spec.name, args.features, cls, args.split, annotations=args.annotations, **kw)
            if ds.cls in per_class:
                raise CLIError(f"two packs for class {ds.cls}")
            pred = predict_with_pack(pack, ds, device=args.device)
            per_class[ds.cls] = class_report(pred, ds.score_range)
            per_class[ds.cls].update(_trust(args, spec, pack, ds, pred, cls, kw))
            frames = pack_frame_accuracy(pack, ds, device=args.device)
            if frames is not None:  # the videos carry frame labels (SynthAQA)
                per_class[ds.cls]["frame_accuracy"] = frames
            packs_used[ds.cls] = {"name": pack.name, "path": str(pack.path)}
    except CLIError:
        raise
    except (VATPError, ValueError) as exc:
        raise CLIError(str(exc)) from exc

    extra = {}
    if len(per_class) == 1:
        only = next(iter(per_class.values()))
        extra = {k: only[k] for k in TRUST_KEYS if k in only}
    report = evaluation_report(per_class, dataset=spec.name, split=args.split, packs=packs_used, **extra)
    if warnings:
        report["warnings"] = warnings
    from ..trust.summary import trust_lines

    for cls, r in per_class.items():
        print(f"{cls:>10}: Spearman {r['spearman']:.4f}  R-l2 {r['rl2']:.3f}  MSE {r['mse']:.3f}  n={r['n']}")
        for line in trust_lines(r, r["spearman"]):
            print(f"{'':>12}{line}")
    if len(per_class) > 1:
        print(
            f"{'average':>10}: Spearman {report['spearman']:.4f} (Fisher-z)  R-l2 {report['rl2']:.3f}  "
            f"MSE {report['mse']:.3f}"
        )
    plots_dir = (
        Path(args.plots)
        if args.plots
        else (
            Path(args.json).with_suffix("").parent / (Path(args.json).stem + "_plots")
            if args.json and args.json != "-"
            else None
        )
    )
    if plots_dir is not None:
        paths = write_plots(report, plots_dir, title=spec.title)
        report["plots"] = [str(p) for p in paths]
        print(f"plots: {plots_dir}", file=sys.stderr)
    if args.json:
        text = json.dumps(report, indent=2)
        if args.json == "-":
            print(text)
        else:
            Path(args.json).parent.mkdir(parents=True, exist_ok=True)
            Path(args.json).write_text(text + "\n", encoding="utf-8")
    return 0
