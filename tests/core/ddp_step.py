"""One VATP-Net training step, in one process or under torchrun, for tests/core/test_ddp.py.

``python -m tests.core.ddp_step OUT`` writes the loss terms, the gradients and the BatchNorm statistics of
one step on a fixed global batch (rank 0 writes when several processes run it).
"""

from __future__ import annotations

import sys

import torch

from vatp_core.distributed.ddp import join
from vatp_core.losses import compute_losses
from vatp_core.model import VATPConfig, VATPNet
from vatp_core.training.batching import Batch

LENGTHS = (7, 11, 5, 9, 12, 6)  # clips per video: every rank pads differently
PHRASES = (3, 4, 2, 4, 3, 2)  # phrases per video
SET_IDS = [0, 1, 0, 2, 3, 1]  # videos 0/2 and 1/5 share a phrase set (neither positives nor negatives)


def global_batch(in_dim: int) -> Batch:
    g = torch.Generator().manual_seed(5)
    b, t, l_max = len(LENGTHS), max(LENGTHS), max(PHRASES)
    mask = torch.arange(t)[None, :] < torch.tensor(LENGTHS)[:, None]
    features = torch.randn(b, t, in_dim, generator=g) * mask[..., None]
    phrase_mask = torch.arange(l_max)[None, :] < torch.tensor(PHRASES)[:, None]
    phrases = torch.randn(b, l_max, 768, generator=g) * phrase_mask[..., None]
    target = torch.randn(b, generator=g)
    return Batch(features, mask, target, phrases, phrase_mask, list(SET_IDS))


def step(out_path: str) -> None:
    ddp = join("cpu")
    torch.manual_seed(0)
    cfg = VATPConfig.preset("vatp", in_dim=24, hidden_dim=32, d_model=32, n_heads=4, ffn_dim=48, dropout=0.0)
    cfg = cfg.replace(use_rep=False)  # the sampled score's noise differs per rank by design
    model = VATPNet(cfg).train()
    if ddp is not None:
        ddp.prepare(model)
    batch = global_batch(cfg.in_dim)
    if ddp is not None:
        batch = ddp.rows(batch)
    out = model(batch.features, batch.mask, batch.phrases, batch.phrase_mask)
    target, set_ids = batch.target, batch.phrase_set_ids
    if ddp is not None:
        out, target, set_ids = ddp.gather_outputs(out, target, set_ids)
    losses = compute_losses(out, target, cfg, phrase_set_ids=set_ids)
    losses.total.backward()
    if ddp is not None:
        ddp.average_gradients(model)
    grads = {n: p.grad.detach().clone() for n, p in model.named_parameters() if p.grad is not None}
    buffers = {n: b.detach().clone() for n, b in model.named_buffers() if "running" in n}
    record = {"losses": losses.as_floats(), "grads": grads, "buffers": buffers, "n_rows": len(batch.target)}
    if ddp is not None:
        every = ddp.gather_objects(record)
        if ddp.is_main:
            torch.save({"ranks": every}, out_path)
    else:
        torch.save({"ranks": [record]}, out_path)


if __name__ == "__main__":
    step(sys.argv[1])
