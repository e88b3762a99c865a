"""VATP-Net (Gedamu et al., IEEE TCSVT 2025, §III) as one readable PyTorch module.

Pipeline: clip features (B, T, 1024) → input projection (GDLT style, masked BatchNorm) → Temporal
Enhancement encoder (§III-B1) → visual ParseFormer decoder: S learnable queries cross-attend the clips
with a learnable temperature τ (Eq. 3–4) → score-distribution head on the mean sub-action vector
(Eq. 12–14). With phrases, a text projection and a context-aware decoder (Eq. 5–6) refine the phrase
vectors for the alignment losses (see `vatp_core.losses`).

Module layout (the reconstruction that reproduces the paper's parameter counts, Table IV / VIII):
- input_proj: Conv1d(k=1) in→512 (+bias), BatchNorm, ReLU, Conv1d 512→128 (+bias), BatchNorm
- temporal_encoder: 1 post-norm encoder layer (self-attn, FFN 384, 2 LayerNorm) + final LayerNorm
- parseformer: S queries (S×128), N post-norm decoder blocks (self-attn, cross-attn, FFN 384,
  3 LayerNorm = 231,680 parameters each), final LayerNorm, τ (one scalar, also used by the CD)
- text_proj: Linear 768→128;  context_decoder: 2 decoder blocks + final LayerNorm
- score_head: MLP 128→128→64, μ (64→1), log σ² (64→1)
With in_dim 1024, S 4 and 2 ParseFormer blocks this is 1,808,451 trainable parameters.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = [
    "PRESETS",
    "VATPConfig",
    "VATPOutput",
    "VATPNet",
    "count_parameters",
    "PART_DESCRIPTIONS",
]

PRESETS: tuple[str, ...] = ("mlp", "te", "pd", "te+pd", "vatp")
TE_POSITIONAL: tuple[str, ...] = ("none", "sinusoidal")

# Ablation presets (paper Table I / V): which modules and losses each one uses.
_PRESET_FLAGS: dict[str, dict[str, bool]] = {
    "mlp": dict(use_te=False, use_pd=False, use_text=False, use_div=False, use_alg=False, use_gc=False, use_rep=False),
    "te": dict(use_te=True, use_pd=False, use_text=False, use_div=False, use_alg=False, use_gc=False, use_rep=True),
    "pd": dict(use_te=False, use_pd=True, use_text=False, use_div=False, use_alg=False, use_gc=False, use_rep=True),
    "te+pd": dict(use_te=True, use_pd=True, use_text=False, use_div=False, use_alg=False, use_gc=False, use_rep=True),
    "vatp": dict(use_te=True, use_pd=True, use_text=True, use_div=True, use_alg=True, use_gc=True, use_rep=True),
}

PART_DESCRIPTIONS: dict[str, str] = {
    "input_proj": "Conv1d(k=1) in→hidden, BatchNorm, ReLU, Conv1d hidden→d, BatchNorm",
    "temporal_encoder": "TE: post-norm self-attention encoder layer(s), FFN, + final LayerNorm",
    "parseformer": "S queries + decoder blocks (self-attn, cross-attn /τ, FFN, 3 LayerNorm) + LayerNorm + τ",
    "text_proj": "Linear text_dim→d",
    "context_decoder": "CD: phrase queries cross-attend clips (shared τ), decoder blocks + LayerNorm",
    "score_head": "mean of S vectors → MLP d→d→64 → μ, log σ²",
}

_LOG_VAR_MIN, _LOG_VAR_MAX = -20.0, 10.0
_TAU_MIN = 1e-3


#: Upper bounds of the size fields, far above any real VATP-Net (a hostile manifest is refused, not built).
_SIZE_LIMITS = {
    "in_dim": 16384,
    "hidden_dim": 16384,
    "d_model": 8192,
    "n_heads": 256,
    "ffn_dim": 65536,
    "n_queries": 64,
    "n_blocks": 64,
    "te_layers": 64,
    "cd_blocks": 64,
    "text_dim": 16384,
}
MAX_PARAMETERS = 2_000_000_000


@dataclass
class VATPConfig:
    """Hyper-parameters of VATP-Net; defaults are the paper's (docs/ARCHITECTURE.md). Stored in model packs."""

    in_dim: int = 1024
    hidden_dim: int = 512
    d_model: int = 128
    n_heads: int = 8
    ffn_dim: int = 384
    dropout: float = 0.3
    n_queries: int = 4
    n_blocks: int = 2
    te_layers: int = 1
    cd_blocks: int = 2
    text_dim: int = 768
    tau_init: float = 0.07
    use_te: bool = True
    use_pd: bool = True
    use_text: bool = True
    use_div: bool = True
    use_alg: bool = True
    use_gc: bool = True
    beta: float = 0.1
    gamma: float = 0.1
    use_rep: bool = True  # re-parameterised sample in training (Table I "Rep."); False → sample = μ
    keep_percentile: float = 0.3  # Drop-DTW drop cost for L_alg: this percentile of the match costs
    # Eq. 2: the text is a sequence of T_t token embeddings (Drop-DTW aligns the S sub-actions to them and can
    # drop tokens); False feeds one vector per phrase (with S phrases, L_alg's alignment is the identity)
    text_tokens: bool = True
    # Not in the paper (nor GDLT): "sinusoidal" adds a fixed sine/cosine clip-position code before the TE layers,
    # to test order awareness; "none" (every preset) leaves the TE order-blind, as published
    te_positional: str = "none"
    # Not in the paper (0 = off, as in every preset): weight of a penalty on overlapping ParseFormer attention
    # rows, which keeps two queries from parsing the same clips (L_div only separates their vectors).
    attn_overlap: float = 0.0
    preset_name: str = "vatp"  # the preset this config started from (informational)

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise ValueError on impossible combinations (so a bad pack fails early and clearly).

        Sizes are bounded (generously for real models) before anything is built: a pack manifest asking for
        10⁷ blocks must be refused here, not grow memory until it is killed.
        """
        for name, limit in _SIZE_LIMITS.items():
            value = getattr(self, name)
            if not isinstance(value, numbers.Integral) or isinstance(value, bool):
                raise ValueError(f"{name} must be an integer, got {value!r}")
            if int(value) > limit:
                raise ValueError(f"{name} = {value} is larger than any real model (at most {limit})")
        for name in ("dropout", "tau_init", "beta", "gamma", "keep_percentile", "attn_overlap"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
                raise ValueError(f"{name} must be a finite number, got {value!r}")
        for name in ("in_dim", "hidden_dim", "d_model", "n_heads", "ffn_dim", "n_queries", "text_dim"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be ≥ 1, got {getattr(self, name)}")
        for name in ("n_blocks", "te_layers", "cd_blocks"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be ≥ 0, got {getattr(self, name)}")
        if self.approx_parameters() > MAX_PARAMETERS:
            raise ValueError(
                f"the model would hold about {self.approx_parameters():.3g} parameters (at most {MAX_PARAMETERS:.0e})"
            )
        if self.d_model % self.n_heads:
            raise ValueError(f"d_model ({self.d_model}) must be divisible by n_heads ({self.n_heads})")
        if self.use_pd and self.n_blocks < 1:
            raise ValueError("the ParseFormer needs n_blocks ≥ 1")
        if self.use_te and self.te_layers < 1:
            raise ValueError("the temporal encoder needs te_layers ≥ 1")
        if self.use_text and self.cd_blocks < 1:
            raise ValueError("the context-aware decoder needs cd_blocks ≥ 1")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")
        if self.tau_init <= 0:
            raise ValueError("tau_init must be > 0")
        if self.gamma <= 0:
            raise ValueError("gamma must be > 0")
        if self.te_positional not in TE_POSITIONAL:
            raise ValueError(f"te_positional must be one of {', '.join(TE_POSITIONAL)}, not {self.te_positional!r}")
        if self.use_text and not self.use_pd:
            raise ValueError("the text branch (use_text) needs the ParseFormer (use_pd)")
        if self.use_div and not self.use_pd:
            raise ValueError("L_div needs sub-actions (use_pd)")
        if (self.use_alg or self.use_gc) and not self.use_text:
            raise ValueError("L_alg / L_gc need the text branch (use_text)")

    def approx_parameters(self) -> int:
        """An upper estimate of the parameter count from the sizes alone (nothing is allocated)."""
        layer = 4 * self.d_model * self.d_model + 2 * self.d_model * self.ffn_dim
        blocks = self.n_blocks + self.te_layers + 2 * self.cd_blocks
        return (
            self.in_dim * self.hidden_dim
            + self.hidden_dim * self.d_model
            + blocks * layer
            + self.text_dim * self.d_model
            + self.n_queries * self.d_model
        )

    @classmethod
    def preset(cls, name: str, **overrides: Any) -> "VATPConfig":
        """Config of an ablation preset (mlp, te, pd, te+pd, vatp) with optional overrides."""
        if name not in _PRESET_FLAGS:
            raise ValueError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}")
        values: dict[str, Any] = dict(_PRESET_FLAGS[name], preset_name=name)
        unknown = set(overrides) - {f.name for f in fields(cls)}
        if unknown:
            raise ValueError(f"unknown config fields: {', '.join(sorted(unknown))}")
        values.update(overrides)
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "VATPConfig":
        """Inverse of to_dict; unknown keys are an error (a pack from a newer version must not half-load)."""
        names = {f.name for f in fields(cls)}
        d = dict(d)
        if isinstance(d.get("preset"), str) and "preset_name" not in d:  # early spelling of preset_name
            d["preset_name"] = d.pop("preset")
        unknown = set(d) - names
        if unknown:
            raise ValueError(f"unknown model config fields: {', '.join(sorted(unknown))}")
        return cls(**d)

    def replace(self, **changes: Any) -> "VATPConfig":
        return replace(self, **changes)


@dataclass
class VATPOutput:
    """What one forward pass returns (tensors keep the batch dimension first)."""

    mu: Tensor  # (B,)
    sigma: Tensor  # (B,)
    log_var: Tensor  # (B,)
    sample: Tensor  # (B,) μ + ε·σ in training (with use_rep), μ in eval
    subactions: Tensor | None = None  # (B, S, d)
    attention: Tensor | None = None  # (B, S, T), heads averaged, rows sum to 1 over valid clips, 0 on padding
    text: Tensor | None = None  # (B, L, d) refined phrase vectors
    phrase_mask: Tensor | None = None  # (B, L) bool, the mask the text vectors were computed with


# --------------------------------------------------------------------------------------------- blocks


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


class ScoreHead(nn.Module):
    """Score-distribution regression (§III-E, Eq. 12–14): μ and log σ² from the mean sub-action vector."""

    def __init__(self, d_model: int, dropout: float) -> None:
        super().__init__()
        self.mlp = nn.Sequential(
            nn.Linear(d_model, d_model), nn.ReLU(), nn.Dropout(dropout), nn.Linear(d_model, 64), nn.ReLU()
        )
        self.mu = nn.Linear(64, 1)
        self.log_var = nn.Linear(64, 1)

    def forward(self, subactions: Tensor) -> tuple[Tensor, Tensor]:
        h = self.mlp(subactions.mean(dim=1))
        log_var = self.log_var(h).squeeze(-1).clamp(_LOG_VAR_MIN, _LOG_VAR_MAX)
        return self.mu(h).squeeze(-1), log_var


# ---------------------------------------------------------------------------------------------- model


class VATPNet(nn.Module):
    """VATP-Net; the parts present depend on the config's preset flags (mlp / te / pd / te+pd / vatp)."""

    def __init__(self, cfg: VATPConfig) -> None:
        super().__init__()
        cfg.validate()
        self.cfg = cfg
        self.input_proj = InputProjection(cfg.in_dim, cfg.hidden_dim, cfg.d_model)
        self.temporal_encoder = TemporalEncoder(cfg) if cfg.use_te else None
        self.parseformer = ParseFormer(cfg) if cfg.use_pd else None
        self.text_proj = nn.Linear(cfg.text_dim, cfg.d_model) if cfg.use_text else None
        self.context_decoder = ContextDecoder(cfg) if cfg.use_text else None
        self.score_head = ScoreHead(cfg.d_model, cfg.dropout)

    def head(self, subactions: Tensor) -> tuple[Tensor, Tensor]:
        """(B, S, d) sub-action vectors → (μ (B,), log σ² (B,)); what explanations perturb (Shapley values)."""
        return self.score_head(subactions)

    def _check(self, features: Tensor, mask: Tensor | None) -> Tensor:
        if features.ndim != 3 or features.shape[-1] != self.cfg.in_dim:
            raise ValueError(f"features must be (B, T, {self.cfg.in_dim}), got {tuple(features.shape)}")
        if features.shape[1] == 0:
            raise ValueError("a video needs at least one clip")
        if mask is None:
            return torch.ones(features.shape[:2], dtype=torch.bool, device=features.device)
        if mask.shape != features.shape[:2]:
            raise ValueError(f"mask must be (B, T) = {tuple(features.shape[:2])}, got {tuple(mask.shape)}")
        mask = mask.to(device=features.device, dtype=torch.bool)
        if not bool(mask.any(dim=1).all()):
            raise ValueError("every video in the batch needs at least one valid clip")
        return mask

    def forward(
        self,
        features: Tensor,
        mask: Tensor | None = None,
        phrases: Tensor | None = None,
        phrase_mask: Tensor | None = None,
    ) -> VATPOutput:
        """features (B, T, in_dim), mask (B, T) True = valid; phrases (B, L, text_dim) optional."""
        mask = self._check(features, mask)
        x = self.input_proj(features, mask)
        if self.temporal_encoder is not None:
            x = self.temporal_encoder(x, mask)

        subactions = attention = text = None
        if self.parseformer is not None:
            subactions, attention = self.parseformer(x, mask)
            pooled = subactions
        else:
            m = mask[..., None].to(x.dtype)
            pooled = ((x * m).sum(dim=1) / m.sum(dim=1))[:, None, :]  # (B, 1, d)

        if phrases is not None and self.context_decoder is not None and self.text_proj is not None:
            if phrases.ndim != 3 or phrases.shape[0] != features.shape[0] or phrases.shape[-1] != self.cfg.text_dim:
                raise ValueError(f"phrases must be (B, L, {self.cfg.text_dim}), got {tuple(phrases.shape)}")
            if phrase_mask is None:
                phrase_mask = torch.ones(phrases.shape[:2], dtype=torch.bool, device=phrases.device)
            phrase_mask = phrase_mask.to(device=phrases.device, dtype=torch.bool)
            text = self.context_decoder(
                self.text_proj(phrases),
                phrase_mask,
                x,
                mask,
                self.parseformer.temperature(),  # type: ignore[union-attr]
            )
        else:
            phrase_mask = None

        mu, log_var = self.score_head(pooled)
        sigma = torch.exp(0.5 * log_var)
        if self.training and self.cfg.use_rep:
            sample = mu + torch.randn_like(mu) * sigma
        else:
            sample = mu
        return VATPOutput(
            mu=mu,
            sigma=sigma,
            log_var=log_var,
            sample=sample,
            subactions=subactions,
            attention=attention,
            text=text,
            phrase_mask=phrase_mask,
        )


def count_parameters(model: nn.Module) -> dict[str, int]:
    """Trainable parameters (backbone excluded): {"total": n, "<part>": n, ...} per top-level part."""
    counts: dict[str, int] = {}
    seen: set[int] = set()
    for name, child in model.named_children():
        n = 0
        for p in child.parameters():
            if p.requires_grad and id(p) not in seen:
                seen.add(id(p))
                n += p.numel()
        counts[name] = n
    for p in model.parameters(recurse=False):
        if p.requires_grad and id(p) not in seen:
            seen.add(id(p))
            counts["other"] = counts.get("other", 0) + p.numel()
    return {"total": sum(counts.values()), **counts}
