"""VATP-Net training losses (paper Eq. 8–11, 15, 16): L = L_reg + β·L_div + L_alg + L_gc.

- L_reg (Eq. 15): MSE of the sampled score ŷ = μ + ε·σ against the target.
- L_div (Eq. 11): mean pairwise cosine among the S sub-action vectors of a video.
- L_alg (Eq. 7–9): Drop-DTW (no gradient) matches sub-actions to phrases in order; matched pairs are
  positives, the rest of the video's pairs negatives; InfoNCE with f = exp(cos/γ) both ways.
- L_gc (Eq. 10): every sub-action against every phrase in the batch; positives are the video's own
  phrases, negatives phrases of other videos — except videos with the same phrase set (same dive
  number), which are neither; written as in the paper, −log of the mean positive ratio.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from .alignment import drop_dtw_batch
from .model import VATPConfig, VATPOutput

__all__ = [
    "LossOutput",
    "compute_losses",
    "regression_loss",
    "diversity_loss",
    "alignment_loss",
    "global_contrastive_loss",
    "alignment_positives",
]


@dataclass
class LossOutput:
    """The total loss and its parts (0-d tensors; the disabled ones are zeros)."""

    total: Tensor
    reg: Tensor
    div: Tensor
    alg: Tensor
    gc: Tensor
    overlap: Tensor  # the optional attention-overlap term (zero unless cfg.attn_overlap > 0)

    def as_floats(self) -> dict[str, float]:
        """Plain numbers for logs and progress reports."""
        return {k: float(getattr(self, k).detach()) for k in ("total", "reg", "div", "alg", "gc", "overlap")}


def regression_loss(sample: Tensor, target: Tensor) -> Tensor:
    """Eq. 15: mean squared error of the (sampled) score."""
    return F.mse_loss(sample, target.to(sample.dtype).reshape(sample.shape))


def diversity_loss(subactions: Tensor) -> Tensor:
    """Eq. 11: mean cosine similarity over the S(S−1) ordered pairs of sub-actions, averaged over videos."""
    s = subactions.shape[1]
    if s < 2:
        return subactions.new_zeros(())
    v = F.normalize(subactions, dim=-1)
    sim = v @ v.transpose(1, 2)  # (B, S, S)
    off_diag = sim.sum(dim=(1, 2)) - sim.diagonal(dim1=1, dim2=2).sum(dim=1)
    return (off_diag / (s * (s - 1))).mean()


def attention_overlap_loss(attention: Tensor) -> Tensor:
    """Mean Bhattacharyya coefficient Σ_t √(A_i,t·A_j,t) over the S(S−1) ordered pairs of attention rows:
    1 when two queries attend to the same clips, 0 when their clips are disjoint. Padding rows are 0."""
    s = attention.shape[1]
    if s < 2:
        return attention.new_zeros(())
    root = attention.clamp_min(0).float().add(1e-8).sqrt()
    bc = root @ root.transpose(1, 2)  # (B, S, S)
    off_diag = bc.sum(dim=(1, 2)) - bc.diagonal(dim1=1, dim2=2).sum(dim=1)
    return (off_diag / (s * (s - 1))).mean()


def _logsumexp_masked(logits: Tensor, mask: Tensor, dim: int) -> Tensor:
    """logsumexp over the True entries; a slice with none uses all entries (callers discard it), so no NaN
    gradients flow back from empty slices."""
    mask = mask | ~mask.any(dim=dim, keepdim=True)
    return logits.masked_fill(~mask, float("-inf")).logsumexp(dim=dim)


@torch.no_grad()
def alignment_positives(sim: Tensor, phrase_mask: Tensor, keep_percentile: float = 0.3) -> Tensor:
    """Drop-DTW correspondences (Eq. 7): sim (B, S, L) cosine → bool (B, S, L), True for matched pairs.

    The shorter of the two sequences is the step sequence (every step gets a partner), the longer one
    the item sequence (items may be dropped). Match cost is −cos; the drop cost of a video is the
    `keep_percentile` quantile of its match costs.
    """
    b, s, l_max = sim.shape
    cost = (-sim).detach().double().cpu().numpy()
    n_phr = phrase_mask.sum(dim=1).cpu().numpy().astype(np.int64)
    positives = np.zeros((b, s, l_max), dtype=bool)
    steps_are_subactions = [i for i in range(b) if 0 < n_phr[i] and s <= n_phr[i]]
    steps_are_phrases = [i for i in range(b) if 0 < n_phr[i] < s]
    for videos, transpose in ((steps_are_subactions, False), (steps_are_phrases, True)):
        if not videos:
            continue
        c = cost[videos]
        if transpose:
            c = np.swapaxes(c, 1, 2)  # (b', L, S): phrases are the steps
        k_valid = np.array([n_phr[i] if transpose else s for i in videos])
        n_valid = np.array([s if transpose else n_phr[i] for i in videos])
        drops = np.zeros((len(videos), c.shape[2]))
        for j, i in enumerate(videos):
            valid = cost[i, :, : n_phr[i]]
            drops[j] = np.quantile(valid, keep_percentile)
        _, labels = drop_dtw_batch(c, drops, k_valid=k_valid, n_valid=n_valid)
        for j, i in enumerate(videos):
            for item, step in enumerate(labels[j]):
                if step < 0:
                    continue
                if transpose:
                    positives[i, item, step] = True  # item = sub-action, step = phrase
                else:
                    positives[i, step, item] = True  # step = sub-action, item = phrase
    return torch.from_numpy(positives).to(sim.device)


def alignment_loss(
    subactions: Tensor, text: Tensor, phrase_mask: Tensor, gamma: float, keep_percentile: float = 0.3
) -> Tensor:
    """Eq. 8–9: InfoNCE sub-action→phrase plus phrase→sub-action, positives from Drop-DTW; mean over videos."""
    v = F.normalize(subactions, dim=-1)
    t = F.normalize(text, dim=-1)
    sim = v @ t.transpose(1, 2)  # (B, S, L)
    has_text = phrase_mask.any(dim=1)
    if not bool(has_text.any()):
        return subactions.new_zeros(())
    pos = alignment_positives(sim, phrase_mask, keep_percentile)
    logits = sim / gamma
    valid = phrase_mask[:, None, :].expand_as(pos)
    # sub-action → phrases (over the video's valid phrases)
    v_has = pos.any(dim=2)  # (B, S)
    v_terms = _logsumexp_masked(logits, valid, 2) - _logsumexp_masked(logits, pos, 2)
    v_terms = torch.where(v_has, v_terms, torch.zeros_like(v_terms))
    v_loss = v_terms.sum(dim=1) / v_has.sum(dim=1).clamp(min=1)
    # phrase → sub-actions (over all S sub-actions)
    t_has = pos.any(dim=1)  # (B, L)
    t_terms = logits.logsumexp(dim=1) - _logsumexp_masked(logits, pos, 1)
    t_terms = torch.where(t_has, t_terms, torch.zeros_like(t_terms))
    t_loss = t_terms.sum(dim=1) / t_has.sum(dim=1).clamp(min=1)
    per_video = v_loss + t_loss
    return per_video[has_text].mean()


def _set_ids(phrase_set_ids: Any, b: int) -> list[Any]:
    if phrase_set_ids is None:
        return [("video", i) for i in range(b)]  # every video its own phrase set
    if isinstance(phrase_set_ids, Tensor):
        ids = phrase_set_ids.detach().cpu().reshape(-1).tolist()
    else:
        ids = list(phrase_set_ids)
    if len(ids) != b:
        raise ValueError(f"phrase_set_ids has {len(ids)} entries for a batch of {b}")
    return [("video", i) if sid is None else ("set", sid) for i, sid in enumerate(ids)]


def global_contrastive_loss(
    subactions: Tensor,
    text: Tensor,
    phrase_mask: Tensor,
    gamma: float,
    phrase_set_ids: Sequence[Any] | Tensor | None = None,
) -> Tensor:
    """Eq. 10 over the batch; phrases of videos sharing a phrase-set id are neither positives nor negatives."""
    b, s, _ = subactions.shape
    l_max = text.shape[1]
    ids = _set_ids(phrase_set_ids, b)
    has_text = phrase_mask.any(dim=1)
    if not bool(has_text.any()):
        return subactions.new_zeros(())
    v = F.normalize(subactions, dim=-1).reshape(b * s, -1)
    t = F.normalize(text, dim=-1).reshape(b * l_max, -1)
    logits = (v @ t.T) / gamma  # (B·S, B·L)
    same_video = torch.eye(b, dtype=torch.bool, device=v.device)
    same_set = torch.tensor([[ids[i] == ids[j] for j in range(b)] for i in range(b)], device=v.device)
    pos_v = same_video
    neg_v = ~same_set
    expand = lambda m: m.repeat_interleave(s, 0).repeat_interleave(l_max, 1)  # noqa: E731  (B,B)→(BS,BL)
    col_valid = phrase_mask.reshape(1, b * l_max)
    pos = expand(pos_v) & col_valid
    allowed = expand(pos_v | neg_v) & col_valid
    rows = has_text.repeat_interleave(s)  # sub-actions of videos with phrases
    log_ratio = _logsumexp_masked(logits[rows], pos[rows], 1) - _logsumexp_masked(logits[rows], allowed[rows], 1)
    m = log_ratio.numel()
    return -(log_ratio.logsumexp(dim=0) - math.log(m))


def compute_losses(
    out: VATPOutput,
    target: Tensor,
    cfg: VATPConfig,
    phrases_text: Tensor | None = None,
    phrase_mask: Tensor | None = None,
    phrase_set_ids: Sequence[Any] | Tensor | None = None,
) -> LossOutput:
    """Eq. 16 with the config's switches: total = reg + β·div + alg + gc (text losses need phrases).

    ``phrases_text`` defaults to ``out.text`` and ``phrase_mask`` to ``out.phrase_mask``.
    """
    reg = regression_loss(out.sample, target)
    zero = reg.new_zeros(())
    div = alg = gc = zero
    text = out.text if phrases_text is None else phrases_text
    if phrase_mask is None:
        phrase_mask = out.phrase_mask
    if text is not None and phrase_mask is None:
        phrase_mask = torch.ones(text.shape[:2], dtype=torch.bool, device=text.device)
    subactions = out.subactions
    if cfg.use_div and subactions is not None:
        div = diversity_loss(subactions)
    if subactions is not None and text is not None and phrase_mask is not None:
        phrase_mask = phrase_mask.to(device=text.device, dtype=torch.bool)
        if cfg.use_alg:
            alg = alignment_loss(subactions, text, phrase_mask, cfg.gamma, cfg.keep_percentile)
        if cfg.use_gc:
            gc = global_contrastive_loss(subactions, text, phrase_mask, cfg.gamma, phrase_set_ids)
    total = reg + cfg.beta * div + alg + gc
    overlap = zero
    if cfg.attn_overlap > 0 and out.attention is not None:
        overlap = attention_overlap_loss(out.attention)
        total = total + cfg.attn_overlap * overlap
    return LossOutput(total=total, reg=reg, div=div, alg=alg, gc=gc, overlap=overlap)
