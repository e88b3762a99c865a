"""`vatp reproduce rg|fisv|mtl|finefs`: the paper's protocol for every class and ablation preset, as a table."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import CLIError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "reproduce",
        help="reproduce the paper's tables from public features",
        description="Train and test every class with the ablation presets and print a table laid out "
        "like the paper's (Table II/X for RG, XI for Fis-V, I/IX for MTL-AQA, XII for FineFS) "
        "with the paper's numbers beside ours, stating the model selection used; --table I, III, IV or V "
        "runs one of the MTL-AQA ablation tables row by row.",
    )
    p.add_argument("dataset", choices=("rg", "fisv", "mtl", "finefs"))
    p.add_argument("--features", required=True, metavar="DIR", help="feature folder in the published layout")
    p.add_argument(
        "--annotations", default=None, metavar="DIR", help="split/annotation files (default: beside or above)"
    )
    p.add_argument(
        "--epochs",
        type=int,
        default=None,
        help="epochs for every run (default: the paper's per class; use a small number for a quick check)",
    )
    p.add_argument("--presets", default=None, help="comma-separated presets (default: the paper's ablation rows)")
    p.add_argument(
        "--table",
        default=None,
        choices=("I", "III", "IV", "V"),
        help="an MTL-AQA ablation table instead: I components, III queries S, IV ParseFormer blocks, V losses",
    )
    p.add_argument("--rows", default=None, metavar="LIST", help="with --table: comma-separated row numbers (1-based)")
    p.add_argument(
        "--limit",
        type=int,
        default=None,
        metavar="N",
        help="only the first N routines of each split (a quick check; not comparable to the paper)",
    )
    p.add_argument("--classes", default=None, help="comma-separated classes (default: all)")
    p.add_argument(
        "--selection",
        choices=("both", "best_test", "val", "last"),
        default="both",
        help="both (default): one run per row fitted on the training split minus a validation part, with the "
        "epoch chosen on that part ('val') and the best test epoch ('best_test', the paper's field practice) "
        "side by side; best_test: the paper's protocol alone (full training split, best test epoch); "
        "val: the validation choice alone",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument(
        "--init",
        default=None,
        metavar="PACK",
        help="start every run from this pack's ParseFormer (e.g. a vatp pack trained on MTL-AQA "
        "with text, as the paper does for RG, Fis-V and FineFS)",
    )
    p.add_argument("--init-parts", default=None, metavar="LIST", help="with --init: parts to copy (see vatp train)")
    p.add_argument("--device", default="auto", choices=["auto", "cuda", "cpu"])
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--packs", default=None, metavar="DIR", help="also write one model pack per run into DIR")
    p.add_argument("--json", default=None, metavar="OUT", help="write all numbers (ours and the paper's) as JSON")
    p.add_argument(
        "--no-resume",
        action="store_true",
        help="retrain every run (by default each run checkpoints, and a re-run continues where it stopped)",
    )
    p.add_argument("-q", "--quiet", action="store_true")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..errors import VATPError
    from ..model import PRESETS

    presets = tuple(s.strip() for s in args.presets.split(",")) if args.presets else None
    if presets and any(p not in PRESETS for p in presets):
        raise CLIError(f"unknown preset in {args.presets!r}; choose from {', '.join(PRESETS)}")
    classes = tuple(s.strip() for s in args.classes.split(",")) if args.classes else None
    if args.rows and not args.table:
        raise CLIError("--rows needs --table")
    try:
        rows = tuple(int(s) for s in args.rows.split(",") if s.strip()) if args.rows else None
    except ValueError:
        raise CLIError(f"--rows takes row numbers such as 1,3, not {args.rows!r}") from None
    if args.table and presets:
        raise CLIError("give --table or --presets, not both")
    if args.limit is not None and args.limit < 2:
        raise CLIError("--limit must be at least 2")
    if args.epochs is not None and args.epochs < 1:
        raise CLIError("--epochs must be at least 1")
    from ..training import TrainConfig
    from ..training.reproduce import format_table, reproduce
    from .model_args import init_parts
    from .train import TrainProgress

    try:
        tc = TrainConfig(
            epochs=1,
            batch_size=args.batch_size,
            lr=args.lr,
            seed=args.seed,
            device=args.device,
            selection="val" if args.selection == "both" else args.selection,
            num_threads=args.threads,
            init_from=args.init,
            init_parts=init_parts(args),
        )
    except ValueError as exc:
        raise CLIError(str(exc)) from exc

    from ..distributed.ddp import is_main_process

    main_rank = is_main_process()  # under torchrun every rank trains; rank 0 alone prints and writes packs

    def on_run(i, n, preset, cls, epochs):
        if args.quiet or not main_rank:
            return None
        return TrainProgress(epochs, label=f"[{i}/{n}] {cls} {preset}: ").epoch

    from ..paths import data_dir

    ckpt_root = None
    if not args.no_resume:
        ckpt_root = data_dir() / "checkpoints" / f"reproduce-{args.dataset}"
        if args.selection != "best_test":  # its own folder: never replaces the checkpoints of best_test runs
            ckpt_root = ckpt_root / args.selection
    try:
        res = reproduce(
            args.dataset,
            args.features,
            tc,
            epochs=args.epochs,
            presets=presets,
            classes=classes,
            annotations=args.annotations,
            packs_dir=args.packs if main_rank else None,
            on_run=on_run,
            checkpoint_root=ckpt_root,
            table=args.table,
            rows=rows,
            limit=args.limit,
            monitor_test=args.selection == "both",
        )
    except (VATPError, ValueError) as exc:
        raise CLIError(str(exc)) from exc
    if not main_rank:
        return 0
    sys.stderr.flush()
    print(format_table(res, args.features))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(res.to_dict(), indent=2) + "\n", encoding="utf-8")
    return 0
