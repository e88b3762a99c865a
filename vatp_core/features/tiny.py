"""The "tiny" backbone: a small 3-D CNN (~330 K parameters) whose weights ship inside a model pack.

It serves the bundled demo and CPU-only machines: 16-frame clips at 112x112, one 256-d vector per clip.
It is an ordinary trainable nn.Module; `features(x)` is its forward. Extraction, whose clips overlap (16 frames
every 8 in the demo's protocol), calls `features_of_sequence` instead: the same features, with each frame through
the stem (two thirds of the network's time) once rather than once per clip that holds it.
"""

from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
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

    def features_of_sequence(self, frames: torch.Tensor, offsets: Sequence[int], clip_len: int) -> torch.Tensor:
        """``features`` of the clips ``frames[:, :, o : o + clip_len]`` for each o in offsets, equal to float rounding.

        frames: (1, 3, N, H, W) normalised. In eval mode the stem runs once over the whole sequence; a clip's
        first and last stem outputs, which see the clip's zero padding instead of its neighbours, are redone from
        two frames with the matching two temporal taps. Batch norm is folded into the convolutions (eval mode
        uses the running statistics, so this is the same affine map). In training mode: the plain forward.
        """
        n = frames.shape[2]
        if any(o < 0 or o + clip_len > n for o in offsets) or clip_len < 2:
            raise ValueError(f"clips of {clip_len} frames at {list(offsets)} do not fit in {n} frames")
        if self.training:
            return self.features(torch.stack([frames[0, :, o : o + clip_len] for o in offsets]))
        w, b, conv = _folded(self.stem)
        assert (conv.kernel_size[0], conv.stride[0], conv.padding[0]) == (3, 1, 1), "the edges assume 3 taps, pad 1"
        full = F.conv3d(frames, w, b, conv.stride, conv.padding).relu_()
        layout = torch.channels_last_3d if frames.is_contiguous(memory_format=torch.channels_last_3d) else None
        shape = (len(offsets), full.shape[1], clip_len, *full.shape[3:])
        x = torch.empty(shape, dtype=full.dtype, device=full.device, memory_format=layout or torch.contiguous_format)
        for i, o in enumerate(offsets):
            x[i].copy_(full[0, :, o : o + clip_len])
        edge_pad = (0, *conv.padding[1:])
        heads = [i for i, o in enumerate(offsets) if o > 0]  # local frame 0 sees padding, not frame o - 1
        if heads:
            pairs = torch.stack([frames[0, :, offsets[i] : offsets[i] + 2] for i in heads])
            x[heads, :, 0] = F.conv3d(pairs, w[:, :, 1:], b, conv.stride, edge_pad).relu_()[:, :, 0]
        tails = [i for i, o in enumerate(offsets) if o + clip_len < n]  # local frame L-1 sees padding after it
        if tails:
            pairs = torch.stack([frames[0, :, offsets[i] + clip_len - 2 : offsets[i] + clip_len] for i in tails])
            x[tails, :, clip_len - 1] = F.conv3d(pairs, w[:, :, :2], b, conv.stride, edge_pad).relu_()[:, :, 0]
        for block in (self.stage1, self.stage2, self.stage3, self.project):
            w, b, conv = _folded(block)
            x = F.conv3d(x, w, b, conv.stride, conv.padding).relu_()
        return x.mean(dim=(2, 3, 4))


def _folded(block: nn.Sequential) -> tuple[torch.Tensor, torch.Tensor, nn.Conv3d]:
    """(weight, bias, conv) of a conv + eval-mode batch norm block as one convolution."""
    conv, bn = block[0], block[1]
    assert isinstance(conv, nn.Conv3d) and isinstance(bn, nn.BatchNorm3d) and bn.running_var is not None
    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    assert bn.running_mean is not None
    return conv.weight * scale.view(-1, 1, 1, 1, 1), bn.bias - bn.running_mean * scale, conv
