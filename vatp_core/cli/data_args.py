"""The data options `vatp train` and `vatp eval` share, and what they turn into for the dataset loaders."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from . import CLIError

DATASET_CHOICES = ("rg", "fisv", "mtl", "finefs", "generic")


def add_data_args(p: argparse.ArgumentParser, *, with_class: bool = True, videos: bool = False) -> None:
    """--dataset/--features/--class/--annotations and the generic-layout options (shared with eval).

    ``videos``: --features may be left out for --videos (train's MTL-AQA from videos, `train_videos`)."""
    p.add_argument(
        "--dataset",
        required=True,
        choices=DATASET_CHOICES,
        help="rg, fisv, mtl (MTL-AQA), finefs, or generic (a folder with labels.csv)",
    )
    p.add_argument(
        "--features",
        required=not videos,
        default=None,
        metavar="DIR",
        help="feature folder (or, for generic, the folder with labels.csv and videos / feature files)"
        + ("; for MTL-AQA from videos use --videos instead" if videos else ""),
    )
    if with_class:
        p.add_argument(
            "--class",
            dest="cls",
            default=None,
            metavar="C",
            help="class: RG apparatus (Ball, Clubs, Hoop, Ribbon), Fis-V TES/PCS, FineFS SP-TES …",
        )
    p.add_argument(
        "--annotations",
        default=None,
        metavar="DIR",
        help="folder with the split/annotation files (default: beside or above --features); "
        "for generic, a labels CSV file",
    )
    p.add_argument(
        "--difficulty",
        choices=("none", "divide"),
        default=None,
        help="generic only: 'divide' regresses score ÷ difficulty (needs a difficulty column)",
    )
    p.add_argument(
        "--backbone",
        default=None,
        help="generic: backbone for videos (default tiny), or the one that made the feature files; "
        "mtl with --videos: the backbone (default i3d)",
    )
    p.add_argument(
        "--backbone-weights",
        default=None,
        metavar="FILE|PACK",
        help="videos (generic, or mtl with --videos), or generic feature files of the tiny backbone: backbone "
        "weights file, or a model pack that carries its backbone (default: the installed ones; with --init PACK, "
        "that pack's backbone)",
    )
    p.add_argument(
        "--text-encoder",
        default="hash",
        metavar="ENC",
        help="phrase embeddings: 'hash' (built in) or a local BERT folder",
    )


def _is_pack(ref: str) -> bool:
    p = Path(ref)
    return (p.is_dir() and (p / "manifest.json").is_file()) or (p.suffix.lower() == ".zip" and p.is_file())


def pack_backbone(ref: str, flag: str) -> tuple[str, dict]:
    """(backbone name, state dict) of a model pack that carries its backbone (--init / --backbone-weights PACK)."""
    from ..pack import resolve_pack

    pack = resolve_pack(ref)
    state = pack.backbone_state()
    if state is None:
        raise CLIError(
            f"{flag} {ref}: the pack {pack.name!r} does not carry its {pack.manifest.backbone} backbone; "
            "pass the backbone's weights file with --backbone-weights FILE"
        )
    return pack.manifest.backbone, state


def load_kwargs(args: argparse.Namespace) -> dict:
    kw = {"phrase_encoder": args.text_encoder}
    videos = getattr(args, "videos", None)
    if videos and args.difficulty:
        raise CLIError("--difficulty applies to --dataset generic only (MTL-AQA always divides by the DD)")
    if videos:
        kw.update(videos=videos, device=args.device)
    if args.dataset == "generic" or videos:
        if args.difficulty:
            kw["difficulty_mode"] = args.difficulty
        if args.backbone:
            kw["backbone"] = args.backbone
        if not videos and getattr(args, "features", None):  # feature files from `vatp extract` say what made them
            from ..features.record import recorded_backbone

            if made_with := recorded_backbone(args.features, args.backbone):  # DatasetError when they disagree
                kw.setdefault("backbone", made_with)
        weights = args.backbone_weights
        if weights and _is_pack(weights):  # a pack that carries its backbone (the demo pack, a club's pack)
            name, kw["backbone_weights"] = pack_backbone(weights, "--backbone-weights")
            kw.setdefault("backbone", name)
        elif weights:
            kw["backbone_weights"] = weights
        elif getattr(args, "init", None):  # --init PACK: the backbone comes from the same pack when it has one
            from ..pack import PackError, resolve_pack

            try:
                pack = resolve_pack(args.init)
            except PackError as exc:
                raise CLIError(f"--init {args.init}: {exc}") from None
            state = pack.backbone_state()
            if state is not None and (not args.backbone or args.backbone == pack.manifest.backbone):
                kw["backbone_weights"] = state
                kw.setdefault("backbone", pack.manifest.backbone)
    elif args.difficulty or args.backbone or args.backbone_weights:
        raise CLIError(
            "--difficulty, --backbone and --backbone-weights apply to --dataset generic (and the backbone ones "
            "to --dataset mtl --videos DIR) only"
        )
    return kw


def check_feature_backbone(
    features: str | None, backbone: str, weights: Any
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """Before training on given features: the pack will be able to score videos with the backbone that made them.

    Returns (the features' ``extraction.json`` or None, for the pack to record; the backbone state the pack must
    carry or None). A backbone whose weights come only inside a pack (tiny) needs them given (--init /
    --backbone-weights PACK or FILE); recorded weights must be the ones given, or installed, else every video
    would be scored off."""
    from ..features import get_backbone_spec, load_backbone
    from ..features.backbones import IncompatibleWeightsError
    from ..features.record import read_record, recorded_for_pack
    from ..features.weights import MissingWeightsError, find_installed

    record = read_record(features) if features else None
    try:
        spec = get_backbone_spec(backbone)
    except Exception:  # unknown: backbone_problem says so
        return record, None
    weights_hash = recorded_for_pack(record, spec.name)[0]
    if weights is None and spec.ships_in_pack:
        raise CLIError(
            f"these features were made with the {spec.name} backbone, whose weights come inside a model pack: "
            "pass --init PACK or --backbone-weights PACK with the pack that extracted them, so this pack carries it"
        )
    if weights is not None and (weights_hash or spec.ships_in_pack):
        try:
            loaded = load_backbone(spec.name, weights=weights, weights_hash=weights_hash or None, device="cpu")
        except IncompatibleWeightsError:
            raise CLIError(
                f"these features were made with other {spec.name} weights (hash {weights_hash[:12]}, "
                "extraction.json) than --init / --backbone-weights gives: pass the ones that made them, or extract "
                "the features again with these"
            ) from None
        return record, loaded.state_dict() if spec.ships_in_pack or isinstance(weights, dict) else None
    if weights_hash:
        try:
            find_installed(spec.name, weights_hash=weights_hash)
        except MissingWeightsError:
            raise CLIError(
                f"these features were made with {spec.name} weights (hash {weights_hash[:12]}, extraction.json) "
                "that are not installed: install them, or pass them with --backbone-weights FILE"
            ) from None
    return record, weights if isinstance(weights, dict) else None  # a pack's backbone: the new pack carries it
