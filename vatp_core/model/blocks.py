"""Building blocks of VATP-Net: masked softmax and BatchNorm, the input projection, attention (plain or
cosine /τ), feed-forward, encoder and decoder layers, fixed sinusoidal positions."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def _masked_softmax(logits: Tensor, key_mask: Tensor | None) -> Tensor:
    """Softmax over the last axis, exactly 0 on masked keys; a row with no valid key is all zeros."""
    if key_mask is None:
        return logits.softmax(dim=-1)
    logits = logits.masked_fill(~key_mask, torch.finfo(logits.dtype).min)
    probs = logits.softmax(dim=-1)
    return probs * key_mask.to(probs.dtype)  # zero on padding; all-zero rows where nothing is valid


class MaskedBatchNorm1d(nn.BatchNorm1d):
    """BatchNorm over (B, C, T) whose training statistics use valid clips only, so padding changes nothing."""

    def forward(self, x: Tensor, mask: Tensor | None = None) -> Tensor:
        if mask is None or not self.training:
            return super().forward(x)
        in_dtype = x.dtype
        x = x.float()  # statistics in float32 even under autocast
        m = mask[:, None, :].to(x.dtype)  # (B, 1, T)
        n = self._sum_over_ranks(m.sum())
        mean = self._sum_over_ranks((x * m).sum(dim=(0, 2))) / n
        var = self._sum_over_ranks((((x - mean[None, :, None]) ** 2) * m).sum(dim=(0, 2))) / n
        tracked = self.num_batches_tracked
        if (
            self.track_running_stats
            and self.running_mean is not None
            and self.running_var is not None
            and tracked is not None
        ):
            with torch.no_grad():
                tracked += 1
                momentum = self.momentum if self.momentum is not None else 1.0 / float(tracked)
                unbiased = var * (n / (n - 1)) if n > 1 else var
                self.running_mean.mul_(1 - momentum).add_(momentum * mean)
                self.running_var.mul_(1 - momentum).add_(momentum * unbiased)
        y = (x - mean[None, :, None]) / torch.sqrt(var[None, :, None] + self.eps)
        if self.affine:
            y = y * self.weight[None, :, None] + self.bias[None, :, None]
        return y.to(in_dtype)

    def _sum_over_ranks(self, t: Tensor) -> Tensor:
        """The identity here; distributed training sums the statistics over every process."""
        return t


class InputProjection(nn.Module):
    """GDLT-style projection of backbone features to the model width, Conv1d(k=1) + masked BatchNorm."""

    def __init__(self, in_dim: int, hidden_dim: int, d_model: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv1d(in_dim, hidden_dim, kernel_size=1)
        self.bn1 = MaskedBatchNorm1d(hidden_dim)
        self.conv2 = nn.Conv1d(hidden_dim, d_model, kernel_size=1)
        self.bn2 = MaskedBatchNorm1d(d_model)

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        """(B, T, in_dim) → (B, T, d); padded clips come out as zeros."""
        h = x.transpose(1, 2)
        h = F.relu(self.bn1(self.conv1(h), mask))
        h = self.bn2(self.conv2(h), mask)
        return h.transpose(1, 2) * mask[..., None].to(h.dtype)


class Attention(nn.Module):
    """Multi-head attention that also returns head-averaged weights.

    Without ``tau`` it is ordinary scaled dot-product attention. With ``tau`` (the ParseFormer's learnable
    temperature, Eq. 3 and 5) the logits are cosine similarities of queries and keys divided by τ, the
    form that keeps a temperature meaningful (as in DeiT-style / Swin-v2 cosine attention).
    Same parameters as ``nn.MultiheadAttention``: in-projection 3d×d + 3d, out-projection d×d + d.
    """

    def __init__(self, d_model: int, n_heads: int, dropout: float = 0.0) -> None:
        super().__init__()
        self.n_heads = n_heads
        self.head_dim = d_model // n_heads
        self.in_proj = nn.Linear(d_model, 3 * d_model)
        self.out_proj = nn.Linear(d_model, d_model)
        self.dropout = nn.Dropout(dropout)

    def forward(
        self, query: Tensor, key_value: Tensor, key_mask: Tensor | None = None, tau: Tensor | None = None
    ) -> tuple[Tensor, Tensor]:
        """query (B, Q, d), key_value (B, T, d), key_mask (B, T) → (out (B, Q, d), weights (B, Q, T))."""
        b, nq, d = query.shape
        nk = key_value.shape[1]
        w_q, w_kv = self.in_proj.weight.split([d, 2 * d])
        b_q, b_kv = self.in_proj.bias.split([d, 2 * d])
        q = F.linear(query, w_q, b_q)
        k, v = F.linear(key_value, w_kv, b_kv).chunk(2, dim=-1)
        q = q.view(b, nq, self.n_heads, self.head_dim).transpose(1, 2)  # (B, H, Q, dh)
        k = k.view(b, nk, self.n_heads, self.head_dim).transpose(1, 2)
        v = v.view(b, nk, self.n_heads, self.head_dim).transpose(1, 2)
        if tau is None:
            logits = q @ k.transpose(-1, -2) / math.sqrt(self.head_dim)
        else:
            logits = F.normalize(q, dim=-1) @ F.normalize(k, dim=-1).transpose(-1, -2) / tau
        probs = _masked_softmax(logits, None if key_mask is None else key_mask[:, None, None, :])
        out = self.dropout(probs) @ v  # (B, H, Q, dh)
        out = out.transpose(1, 2).reshape(b, nq, d)
        return self.out_proj(out), probs.mean(dim=1)


class FeedForward(nn.Module):
    def __init__(self, d_model: int, ffn_dim: int, dropout: float) -> None:
        super().__init__()
        self.linear1 = nn.Linear(d_model, ffn_dim)
        self.linear2 = nn.Linear(ffn_dim, d_model)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: Tensor) -> Tensor:
        return self.linear2(self.dropout(F.relu(self.linear1(x))))


class EncoderLayer(nn.Module):
    """Post-norm Transformer encoder layer: x = LN(x + SA(x)); x = LN(x + FFN(x))."""

    def __init__(self, d_model: int, n_heads: int, ffn_dim: int, dropout: float) -> None:
        super().__init__()
        self.self_attn = Attention(d_model, n_heads, dropout)
        self.ffn = FeedForward(d_model, ffn_dim, dropout)
        self.norm1 = nn.LayerNorm(d_model)
        self.norm2 = nn.LayerNorm(d_model)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        x = self.norm1(x + self.dropout(self.self_attn(x, x, mask)[0]))
        return self.norm2(x + self.dropout(self.ffn(x)))


def sinusoidal_positions(length: int, dim: int, device=None, dtype=None) -> Tensor:
    """(length, dim) fixed sine/cosine position codes (Vaswani et al.), no parameters."""
    pos = torch.arange(length, device=device, dtype=torch.float32)[:, None]
    freq = torch.exp(torch.arange(0, dim, 2, device=device, dtype=torch.float32) * (-math.log(10000.0) / dim))
    pe = torch.zeros(length, dim, device=device, dtype=torch.float32)
    pe[:, 0::2] = torch.sin(pos * freq)
    pe[:, 1::2] = torch.cos(pos * freq[: dim // 2])
    return pe.to(dtype) if dtype is not None else pe


class DecoderBlock(nn.Module):
    """Post-norm decoder block: self-attention among queries, cross-attention to the clips (/τ), FFN.

    The cross-attention residual is Eq. 4 / Eq. 6: the attended values are added to the queries.
    """

    def __init__(self, d_model: int, n_heads: int, ffn_dim: int, dropout: float) -> None:
        super().__init__()
        self.self_attn = Attention(d_model, n_heads, dropout)
        self.cross_attn = Attention(d_model, n_heads, dropout)
        self.ffn = FeedForward(d_model, ffn_dim, dropout)
        self.norm1 = nn.LayerNorm(d_model)
        self.norm2 = nn.LayerNorm(d_model)
        self.norm3 = nn.LayerNorm(d_model)
        self.dropout = nn.Dropout(dropout)

    def forward(
        self, x: Tensor, memory: Tensor, memory_mask: Tensor, tau: Tensor, query_mask: Tensor | None = None
    ) -> tuple[Tensor, Tensor]:
        x = self.norm1(x + self.dropout(self.self_attn(x, x, query_mask)[0]))
        attended, weights = self.cross_attn(x, memory, memory_mask, tau=tau)
        x = self.norm2(x + self.dropout(attended))
        x = self.norm3(x + self.dropout(self.ffn(x)))
        return x, weights
