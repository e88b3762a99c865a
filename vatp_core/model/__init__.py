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
With in_dim 1024, S 4 and 2 ParseFormer blocks this is 1,808,451 trainable parameters. The fused preset
(vatp-fused, Table V "fusing the two sets of features") widens the head's first layer to 256→128 to read
the CD's pooled output too: 1,824,835.

Modules: config (VATPConfig, presets, bounds), blocks (attention, layers, masked BatchNorm), decoders (TE,
ParseFormer, CD), heads (score head, text pooling), net (VATPNet, VATPOutput, count_parameters).
"""

from .blocks import MaskedBatchNorm1d, sinusoidal_positions
from .config import MAX_PARAMETERS, PART_DESCRIPTIONS, PRESETS, TE_POSITIONAL, VATPConfig
from .net import VATPNet, VATPOutput, count_parameters

__all__ = [
    "MAX_PARAMETERS",
    "PRESETS",
    "PART_DESCRIPTIONS",
    "TE_POSITIONAL",
    "MaskedBatchNorm1d",
    "VATPConfig",
    "VATPNet",
    "VATPOutput",
    "count_parameters",
    "sinusoidal_positions",
]
