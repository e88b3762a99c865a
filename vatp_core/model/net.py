"""VATPNet: the whole model assembled from its parts, its output record, and the parameter count per part."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from .blocks import InputProjection
from .config import VATPConfig
from .decoders import ContextDecoder, ParseFormer, TemporalEncoder
from .heads import ScoreHead, pool_text


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
    context: Tensor | None = None  # (B, d) the text vectors pooled over valid tokens, what a fused head reads


class VATPNet(nn.Module):
    """VATP-Net; the parts present depend on the config's preset flags (mlp / te / pd / te+pd / vatp / vatp-fused)."""

    def __init__(self, cfg: VATPConfig) -> None:
        super().__init__()
        cfg.validate()
        self.cfg = cfg
        self.input_proj = InputProjection(cfg.in_dim, cfg.hidden_dim, cfg.d_model)
        self.temporal_encoder = TemporalEncoder(cfg) if cfg.use_te else None
        self.parseformer = ParseFormer(cfg) if cfg.use_pd else None
        self.text_proj = nn.Linear(cfg.text_dim, cfg.d_model) if cfg.use_text else None
        self.context_decoder = ContextDecoder(cfg) if cfg.use_text else None
        self.score_head = ScoreHead(cfg.d_model, cfg.dropout, fused=cfg.use_fusion)

    def head(self, subactions: Tensor, context: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """(B, S, d) sub-action vectors → (μ (B,), log σ² (B,)); what explanations perturb (Shapley values).

        A fused head also reads ``context`` ((1, d) or (B, d), `VATPOutput.context`), held fixed while the
        sub-actions are perturbed: the announced dive is no sub-action's doing."""
        return self.score_head(subactions, context)

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
        context = pool_text(text, phrase_mask) if text is not None and phrase_mask is not None else None
        if self.cfg.use_fusion and context is None:
            raise ValueError("the fused model (vatp-fused) needs the phrases' token embeddings to score")

        mu, log_var = self.score_head(pooled, context if self.cfg.use_fusion else None)
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
            context=context,
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
