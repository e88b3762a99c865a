"""The score-distribution head (§III-E, Eq. 12–14), plain or fused with the context-aware decoder's output.

Fusion (preset vatp-fused, Table V's "fusing the two sets of features"): the head reads the mean of the S
sub-action vectors concatenated with the masked mean of the CD's text-conditioned token vectors. A mean over
tokens, because the text has T_t tokens, not S phrases (Eq. 2), and the head already pools the sub-actions
by a mean, so the concatenation is a per-sub-action pairing with uniform weights. Concatenated rather than
averaged, because the two come from different LayerNorms: the first layer learns how much each counts, at a
cost of d×d weights; every other layer is the plain head's.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

_LOG_VAR_MIN, _LOG_VAR_MAX = -20.0, 10.0


class ScoreHead(nn.Module):
    """Score-distribution regression (§III-E, Eq. 12–14): μ and log σ² from the mean sub-action vector."""

    def __init__(self, d_model: int, dropout: float, fused: bool = False) -> None:
        super().__init__()
        self.fused = fused
        width = 2 * d_model if fused else d_model
        self.mlp = nn.Sequential(
            nn.Linear(width, d_model), nn.ReLU(), nn.Dropout(dropout), nn.Linear(d_model, 64), nn.ReLU()
        )
        self.mu = nn.Linear(64, 1)
        self.log_var = nn.Linear(64, 1)

    def forward(self, subactions: Tensor, context: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """(B, S, d) sub-actions [+ (B, d) pooled text for a fused head] → (μ (B,), log σ² (B,))."""
        pooled = subactions.mean(dim=1)
        if self.fused:
            if context is None:
                raise ValueError("the fused score head needs the phrases' text context")
            pooled = torch.cat([pooled, context.to(pooled.dtype).expand(pooled.shape[0], -1)], dim=-1)
        h = self.mlp(pooled)
        log_var = self.log_var(h).squeeze(-1).clamp(_LOG_VAR_MIN, _LOG_VAR_MAX)
        return self.mu(h).squeeze(-1), log_var


def pool_text(text: Tensor, text_mask: Tensor) -> Tensor:
    """(B, L, d) token vectors, (B, L) mask → (B, d) mean over the valid tokens (zeros where none is valid)."""
    m = text_mask[..., None].to(text.dtype)
    return (text * m).sum(dim=1) / m.sum(dim=1).clamp(min=1.0)
