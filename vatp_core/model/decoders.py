"""The three attention stacks of VATP-Net: Temporal Enhancement, the visual ParseFormer and the context-aware decoder."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from .blocks import DecoderBlock, EncoderLayer, sinusoidal_positions
from .config import VATPConfig

_TAU_MIN = 1e-3


class TemporalEncoder(nn.Module):
    """Temporal Enhancement (§III-B1): self-attention over clips gives every clip global context."""

    def __init__(self, cfg: VATPConfig) -> None:
        super().__init__()
        self.layers = nn.ModuleList(
            EncoderLayer(cfg.d_model, cfg.n_heads, cfg.ffn_dim, cfg.dropout) for _ in range(cfg.te_layers)
        )
        self.norm = nn.LayerNorm(cfg.d_model)
        self.positional = cfg.te_positional

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        if self.positional == "sinusoidal":
            x = x + sinusoidal_positions(x.shape[1], x.shape[2], x.device, x.dtype)[None]
        for layer in self.layers:
            x = layer(x, mask)
        return self.norm(x) * mask[..., None].to(x.dtype)


class ParseFormer(nn.Module):
    """Visual ParseFormer decoder (§III-B2): S learnable queries parse the clips into S sub-action vectors."""

    def __init__(self, cfg: VATPConfig) -> None:
        super().__init__()
        self.queries = nn.Parameter(torch.randn(cfg.n_queries, cfg.d_model))
        self.blocks = nn.ModuleList(
            DecoderBlock(cfg.d_model, cfg.n_heads, cfg.ffn_dim, cfg.dropout) for _ in range(cfg.n_blocks)
        )
        self.norm = nn.LayerNorm(cfg.d_model)
        self.tau = nn.Parameter(torch.tensor(float(cfg.tau_init)))

    def temperature(self) -> Tensor:
        """τ, kept positive."""
        return self.tau.clamp(min=_TAU_MIN)

    def forward(self, memory: Tensor, mask: Tensor) -> tuple[Tensor, Tensor]:
        """memory (B, T, d), mask (B, T) → sub-actions (B, S, d), last-block cross-attention (B, S, T)."""
        x = self.queries[None].expand(memory.shape[0], -1, -1)
        tau = self.temperature()
        weights = None
        for block in self.blocks:
            x, weights = block(x, memory, mask, tau)
        assert weights is not None
        return self.norm(x), weights


class ContextDecoder(nn.Module):
    """Context-aware decoder (§III-C, Eq. 5–6): phrase queries cross-attend the clips, residual on F_t."""

    def __init__(self, cfg: VATPConfig) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(
            DecoderBlock(cfg.d_model, cfg.n_heads, cfg.ffn_dim, cfg.dropout) for _ in range(cfg.cd_blocks)
        )
        self.norm = nn.LayerNorm(cfg.d_model)

    def forward(self, text: Tensor, text_mask: Tensor, memory: Tensor, mask: Tensor, tau: Tensor) -> Tensor:
        x = text
        for block in self.blocks:
            x, _ = block(x, memory, mask, tau, query_mask=text_mask)
        return self.norm(x) * text_mask[..., None].to(x.dtype)
