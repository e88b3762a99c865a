"""I3D: Inception-v1 inflated to 3-D (Carreira & Zisserman, CVPR 2017), 1024-d per clip.

Module and parameter names follow the layout of the widely used public RGB checkpoints (e.g. the
pytorch-i3d ``rgb_imagenet.pt``: ``Conv3d_1a_7x7.conv3d.weight``, ``Mixed_3b.b0.bn.running_mean`` …), so
those files load without renaming. Convolutions and pools use TensorFlow-style "SAME" padding computed
from the input size, as the original network did.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

I3D_FEATURE_DIM = 1024

# (name, in_channels, [b0, b1a, b1b, b2a, b2b, b3b]) for each inception block (GoogLeNet widths).
_MIXED = {
    "Mixed_3b": (192, (64, 96, 128, 16, 32, 32)),
    "Mixed_3c": (256, (128, 128, 192, 32, 96, 64)),
    "Mixed_4b": (480, (192, 96, 208, 16, 48, 64)),
    "Mixed_4c": (512, (160, 112, 224, 24, 64, 64)),
    "Mixed_4d": (512, (128, 128, 256, 24, 64, 64)),
    "Mixed_4e": (512, (112, 144, 288, 32, 64, 64)),
    "Mixed_4f": (528, (256, 160, 320, 32, 128, 128)),
    "Mixed_5b": (832, (256, 160, 320, 32, 128, 128)),
    "Mixed_5c": (832, (384, 192, 384, 48, 128, 128)),
}


def _triple(v) -> tuple[int, int, int]:
    if isinstance(v, (tuple, list)):
        a, b, c = v
        return (int(a), int(b), int(c))
    return (int(v), int(v), int(v))


def _same_pad(x: torch.Tensor, kernel: tuple[int, int, int], stride: tuple[int, int, int]) -> torch.Tensor:
    """Zero-pad (T, H, W) so that output size = ceil(input / stride), extra padding at the end."""
    pads: list[int] = []
    for size, k, s in zip(reversed(x.shape[2:]), reversed(kernel), reversed(stride)):
        out = math.ceil(size / s)
        total = max((out - 1) * s + k - size, 0)
        pads += [total // 2, total - total // 2]
    if any(pads):
        x = F.pad(x, pads)
    return x


class Unit3D(nn.Module):
    """Conv3d (no bias) + BatchNorm + ReLU with SAME padding; the logits unit has a bias and no BN/ReLU."""

    def __init__(
        self,
        c_in: int,
        c_out: int,
        kernel=1,
        stride=1,
        batch_norm: bool = True,
        activation: bool = True,
        bias: bool = False,
    ) -> None:
        super().__init__()
        self.kernel, self.stride = _triple(kernel), _triple(stride)
        self.conv3d = nn.Conv3d(c_in, c_out, self.kernel, self.stride, padding=0, bias=bias)
        self.bn = nn.BatchNorm3d(c_out, eps=1e-3, momentum=0.01) if batch_norm else None
        self.activation = activation

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv3d(_same_pad(x, self.kernel, self.stride))
        if self.bn is not None:
            x = self.bn(x)
        return F.relu(x, inplace=True) if self.activation else x


class MaxPool3dSame(nn.Module):
    """Max pooling with SAME zero padding (inputs are post-ReLU, so zero padding equals -inf padding)."""

    def __init__(self, kernel, stride) -> None:
        super().__init__()
        self.kernel, self.stride = _triple(kernel), _triple(stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.max_pool3d(_same_pad(x, self.kernel, self.stride), self.kernel, self.stride)


class InceptionBlock(nn.Module):
    """Four parallel branches (1x1; 1x1->3x3; 1x1->3x3; pool->1x1) concatenated on channels."""

    def __init__(self, c_in: int, widths: tuple[int, int, int, int, int, int]) -> None:
        super().__init__()
        w0, w1a, w1b, w2a, w2b, w3b = widths
        self.b0 = Unit3D(c_in, w0, 1)
        self.b1a = Unit3D(c_in, w1a, 1)
        self.b1b = Unit3D(w1a, w1b, 3)
        self.b2a = Unit3D(c_in, w2a, 1)
        self.b2b = Unit3D(w2a, w2b, 3)
        self.b3a = MaxPool3dSame(3, 1)
        self.b3b = Unit3D(c_in, w3b, 1)
        self.out_channels = w0 + w1b + w2b + w3b

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.b0(x), self.b1b(self.b1a(x)), self.b2b(self.b2a(x)), self.b3b(self.b3a(x))], dim=1)


class InceptionI3d(nn.Module):
    """(B, 3, L, H, W) RGB scaled to [-1, 1] -> (B, 1024): Mixed_5c averaged over time and space."""

    def __init__(self, num_classes: int | None = None) -> None:
        super().__init__()
        self.feature_dim = I3D_FEATURE_DIM
        self.Conv3d_1a_7x7 = Unit3D(3, 64, 7, 2)
        self.MaxPool3d_2a_3x3 = MaxPool3dSame((1, 3, 3), (1, 2, 2))
        self.Conv3d_2b_1x1 = Unit3D(64, 64, 1)
        self.Conv3d_2c_3x3 = Unit3D(64, 192, 3)
        self.MaxPool3d_3a_3x3 = MaxPool3dSame((1, 3, 3), (1, 2, 2))
        self.Mixed_3b = InceptionBlock(*_MIXED["Mixed_3b"])
        self.Mixed_3c = InceptionBlock(*_MIXED["Mixed_3c"])
        self.MaxPool3d_4a_3x3 = MaxPool3dSame(3, 2)
        self.Mixed_4b = InceptionBlock(*_MIXED["Mixed_4b"])
        self.Mixed_4c = InceptionBlock(*_MIXED["Mixed_4c"])
        self.Mixed_4d = InceptionBlock(*_MIXED["Mixed_4d"])
        self.Mixed_4e = InceptionBlock(*_MIXED["Mixed_4e"])
        self.Mixed_4f = InceptionBlock(*_MIXED["Mixed_4f"])
        self.MaxPool3d_5a_2x2 = MaxPool3dSame(2, 2)
        self.Mixed_5b = InceptionBlock(*_MIXED["Mixed_5b"])
        self.Mixed_5c = InceptionBlock(*_MIXED["Mixed_5c"])
        # Optional classifier, only for checking a checkpoint's predictions; extraction never uses it.
        self.logits = (
            Unit3D(I3D_FEATURE_DIM, num_classes, 1, batch_norm=False, activation=False, bias=True)
            if num_classes
            else None
        )
        self._order = [
            "Conv3d_1a_7x7",
            "MaxPool3d_2a_3x3",
            "Conv3d_2b_1x1",
            "Conv3d_2c_3x3",
            "MaxPool3d_3a_3x3",
            "Mixed_3b",
            "Mixed_3c",
            "MaxPool3d_4a_3x3",
            "Mixed_4b",
            "Mixed_4c",
            "Mixed_4d",
            "Mixed_4e",
            "Mixed_4f",
            "MaxPool3d_5a_2x2",
            "Mixed_5b",
            "Mixed_5c",
        ]

    def feature_map(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 1024, L/8, H/32, W/32): the Mixed_5c output."""
        for name in self._order:
            x = getattr(self, name)(x)
        return x

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.feature_map(x).mean(dim=(2, 3, 4))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x)
