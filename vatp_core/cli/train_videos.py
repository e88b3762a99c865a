"""`vatp train` from videos: ``--videos DIR`` (MTL-AQA) and ``--finetune-backbone`` (the backbone trains too)."""

from __future__ import annotations

import argparse

from . import CLIError

GPU_NOTE = (
    "A full --finetune-backbone run needs a CUDA GPU: each MTL-AQA dive is 10 clips x 16 frames at 224 x 224, "
    "so a batch of 8 dives runs I3D forward and backward on 80 clips (an estimate, not measured here: roughly "
    "20-40 GB of GPU memory at --batch-size 8 with bf16; lower --batch-size on a smaller GPU). On the CPU it "
    "is practical only for small tests with the tiny backbone."
)


def add_video_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("training from videos", GPU_NOTE)
    g.add_argument(
        "--videos",
        default=None,
        metavar="DIR",
        help="MTL-AQA from videos instead of --features: the competition videos (01.mp4 …, cut at each dive's "
        "start_frame..end_frame) or per-dive clips (01_01.mp4 …); clips are cut and preprocessed as "
        "`vatp extract` does (the i3d-mtl protocol). --backbone (default i3d) and --backbone-weights choose "
        "the backbone",
    )
    g.add_argument(
        "--finetune-backbone",
        action="store_true",
        help="train the backbone jointly with VATP-Net, end to end from the videos (the paper's MTL-AQA setting); "
        "without it the backbone is frozen and its features are extracted once. The pack carries the "
        "fine-tuned backbone",
    )
    g.add_argument(
        "--backbone-lr",
        type=float,
        default=None,
        metavar="LR",
        help="the backbone's learning rate with --finetune-backbone (default 1e-4, the paper's; the rest "
        "trains at --lr)",
    )
    cache = g.add_mutually_exclusive_group()
    cache.add_argument(
        "--clip-cache",
        default=None,
        metavar="DIR",
        help="with --finetune-backbone: where decoded clips are kept so epochs after the first do not decode "
        "(default: the user cache folder; about 24 MB a dive for I3D)",
    )
    cache.add_argument(
        "--no-clip-cache", action="store_true", help="decode every dive's clips again each time they are read"
    )


def check_video_args(args: argparse.Namespace) -> None:
    """Flags that only make sense together fail before any work, each with the flag to change."""
    videos = getattr(args, "videos", None)
    if videos and args.dataset != "mtl":
        raise CLIError("--videos applies to --dataset mtl (a generic folder lists its videos in labels.csv)")
    if videos and args.features:
        raise CLIError("give either --features DIR or --videos DIR, not both")
    if not videos and not args.features:
        raise CLIError("--features DIR is required (or, for --dataset mtl, --videos DIR)")
    if args.finetune_backbone and not (videos or args.dataset == "generic"):
        raise CLIError("--finetune-backbone trains the backbone from videos: give them with --videos DIR")
    if not args.finetune_backbone and (args.backbone_lr is not None or args.clip_cache or args.no_clip_cache):
        raise CLIError("--backbone-lr, --clip-cache and --no-clip-cache apply with --finetune-backbone only")
    if args.backbone_lr is not None and args.backbone_lr <= 0:
        raise CLIError("--backbone-lr must be > 0")


def train_settings(args: argparse.Namespace) -> dict:
    """The `TrainConfig` fields these flags set."""
    from ..training.finetune import PAPER_BACKBONE_LR

    clip_cache = "" if args.no_clip_cache else args.clip_cache
    return {
        "finetune_backbone": bool(args.finetune_backbone),
        "backbone_lr": args.backbone_lr if args.backbone_lr is not None else PAPER_BACKBONE_LR,
        "clip_cache": clip_cache,
    }


def load_backbone_now(dataset) -> None:
    """Load a video dataset's backbone before training, so missing weights are reported with the flag to pass."""
    from ..features.weights import MissingWeightsError

    if dataset.extractor is None:
        return
    try:
        _ = dataset.extractor.backbone  # the weights load here
    except MissingWeightsError as exc:
        raise CLIError(
            f"{exc} Or pass the backbone's weights with --backbone-weights FILE (a .pt, .pth or .safetensors "
            "file, or a model pack that carries its backbone)."
        ) from None
