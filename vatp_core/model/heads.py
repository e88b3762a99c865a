"""The score-distribution head (§III-E, Eq. 12–14)."""

from __future__ import annotations

from torch import Tensor, nn

_LOG_VAR_MIN, _LOG_VAR_MAX = -20.0, 10.0


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
