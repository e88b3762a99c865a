"""The "tiny" backbone: a small 3-D CNN (~330 K parameters) whose weights ship inside a model pack.

It serves the bundled demo and CPU-only machines: 16-frame clips at 112x112, one 256-d vector per clip.
It is an ordinary trainable nn.Module; `features(x)` is the forward used for extraction.
"""

from __future__ import annotations

import torch
from torch import nn

TINY_FEATURE_DIM = 256
TINY_CHANNELS = (16, 32, 64, 128)


def _conv_bn_relu(c_in: int, c_out: int, kernel, stride, padding, device=None) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv3d(c_in, c_out, kernel_size=kernel, stride=stride, padding=padding, bias=False, device=device),
        nn.BatchNorm3d(c_out, device=device),
        nn.ReLU(inplace=True),
    )


class TinyBackbone(nn.Module):
    """(B, 3, L, H, W) normalised clips -> (B, feature_dim) clip vectors."""

    # extraction on the CPU hands it channels_last_3d inputs, which its convolutions take faster (the weights
    # keep the default layout, so state_dict() stays contiguous); features equal to ~1e-6
    channels_last_on_cpu = True

    def __init__(
        self,
        feature_dim: int = TINY_FEATURE_DIM,
        channels: tuple[int, ...] = TINY_CHANNELS,
        device: "torch.device | str | None" = None,
    ) -> None:
        """``device``: where the parameters are created (directly, no copy and no device context)."""
        super().__init__()
        c1, c2, c3, c4 = channels
        self.feature_dim = feature_dim
        self.stem = _conv_bn_relu(3, c1, (3, 5, 5), (1, 2, 2), (1, 2, 2), device)  # L x 56 x 56 at 112 input
        self.stage1 = _conv_bn_relu(c1, c2, 3, (2, 2, 2), 1, device)  # L/2 x 28 x 28
        self.stage2 = _conv_bn_relu(c2, c3, 3, (2, 2, 2), 1, device)  # L/4 x 14 x 14
        self.stage3 = _conv_bn_relu(c3, c4, 3, (2, 2, 2), 1, device)  # L/8 x 7 x 7
        self.project = _conv_bn_relu(c4, feature_dim, 1, 1, 0, device)
        self.pool = nn.AdaptiveAvgPool3d(1)
        for m in self.modules():
            if isinstance(m, nn.Conv3d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def feature_map(self, x: torch.Tensor) -> torch.Tensor:
        """(B, feature_dim, L/8, H/16, W/16) before pooling."""
        x = self.stem(x)
        x = self.stage1(x)
        x = self.stage2(x)
        x = self.stage3(x)
        return self.project(x)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """One vector per clip: the space-time average of the last feature map."""
        return self.pool(self.feature_map(x)).flatten(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x)
