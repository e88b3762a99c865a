"""VATP-Net's configuration: the ablation presets (paper Tables I and V) and the bounded, validated sizes."""

from __future__ import annotations

import math
import numbers
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

PRESETS: tuple[str, ...] = ("mlp", "te", "pd", "te+pd", "vatp", "vatp-fused")
TE_POSITIONAL: tuple[str, ...] = ("none", "sinusoidal")

# Ablation presets (paper Table I / V): which modules and losses each one uses.
_PRESET_FLAGS: dict[str, dict[str, bool]] = {
    "mlp": dict(use_te=False, use_pd=False, use_text=False, use_div=False, use_alg=False, use_gc=False, use_rep=False),
    "te": dict(use_te=True, use_pd=False, use_text=False, use_div=False, use_alg=False, use_gc=False, use_rep=True),
    "pd": dict(use_te=False, use_pd=True, use_text=False, use_div=False, use_alg=False, use_gc=False, use_rep=True),
    "te+pd": dict(use_te=True, use_pd=True, use_text=False, use_div=False, use_alg=False, use_gc=False, use_rep=True),
    "vatp": dict(use_te=True, use_pd=True, use_text=True, use_div=True, use_alg=True, use_gc=True, use_rep=True),
    # the score head also reads the context-aware decoder's output: needs the phrases (the dive code) to score
    "vatp-fused": dict(
        use_te=True, use_pd=True, use_text=True, use_div=True, use_alg=True, use_gc=True, use_rep=True, use_fusion=True
    ),
}

PART_DESCRIPTIONS: dict[str, str] = {
    "input_proj": "Conv1d(k=1) in→hidden, BatchNorm, ReLU, Conv1d hidden→d, BatchNorm",
    "temporal_encoder": "TE: post-norm self-attention encoder layer(s), FFN, + final LayerNorm",
    "parseformer": "S queries + decoder blocks (self-attn, cross-attn /τ, FFN, 3 LayerNorm) + LayerNorm + τ",
    "text_proj": "Linear text_dim→d",
    "context_decoder": "CD: phrase queries cross-attend clips (shared τ), decoder blocks + LayerNorm",
    "score_head": "mean of S vectors (fused: ⊕ mean CD token vector, 2d) → MLP →d→64 → μ, log σ²",
}


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
    # Table V's "fusing the two sets of features": the score head also reads the context-aware decoder's output
    # (mean over valid tokens, concatenated with the mean sub-action vector), so scoring needs the phrases
    use_fusion: bool = False
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
        if self.use_fusion and not self.use_text:
            raise ValueError("the fused score head (use_fusion) needs the text branch (use_text)")
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
        """Config of an ablation preset (mlp, te, pd, te+pd, vatp, vatp-fused) with optional overrides."""
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
