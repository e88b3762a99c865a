"""Token-level text on the real MTL-AQA annotations: Drop-DTW aligns S = 4 sub-actions to T_t > 4 tokens,
so L_alg's alignments drop tokens and differ between dives and between training steps (not the identity)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from vatp_core.datasets import load_split
from vatp_core.datasets.synthetic_features import write_synthetic_mtl
from vatp_core.losses import alignment_positives
from vatp_core.model import VATPConfig
from vatp_core.training import TrainConfig, train_model
from vatp_core.training.batching import make_batch

N = 48


@pytest.fixture(scope="module")
def mtl_train(tmp_path_factory, shared_datasets):
    ann = shared_datasets / "mtl-aqa"
    feats = write_synthetic_mtl(tmp_path_factory.mktemp("mtl"), ann, dim=64, seed=3)
    return load_split("mtl", feats, None, "train", annotations=ann).subset(range(N), f"train[:{N}]")


def alignments(result, ds) -> tuple[np.ndarray, np.ndarray]:
    """(B, S, T) Drop-DTW positives of L_alg for the first N dives, and the (B, T) token mask."""
    model = result.model.eval()
    batch = make_batch(ds, range(N))
    with torch.no_grad():
        out = model(batch.features, batch.mask, batch.phrases, batch.phrase_mask)
        v = torch.nn.functional.normalize(out.subactions, dim=-1)
        t = torch.nn.functional.normalize(out.text, dim=-1)
        pos = alignment_positives(v @ t.transpose(1, 2), batch.phrase_mask, result.cfg.keep_percentile)
    return pos.numpy(), batch.phrase_mask.numpy()


def test_alignments_drop_tokens_and_vary(mtl_train):
    cfg = VATPConfig.preset("vatp", hidden_dim=32, d_model=32, n_heads=4, ffn_dim=64)
    assert cfg.text_tokens  # the paper's presets
    tc = TrainConfig(epochs=1, device="cpu", num_threads=1, seed=0, selection="last")
    early = train_model(mtl_train, None, cfg, tc)
    later = train_model(mtl_train, None, cfg, replace(tc, epochs=3))
    assert early.history[0].alg > 0
    pos, mask = alignments(later, mtl_train)
    n_tokens = mask.sum(1)
    assert (n_tokens > cfg.n_queries).all()  # T_t > S for every dive
    matched = pos.any(axis=1)  # (B, T): tokens some sub-action is aligned to
    dropped = (mask & ~matched).sum()
    assert dropped > 0  # Drop-DTW leaves tokens out
    assert (pos.sum(axis=2) >= 1).all()  # every sub-action has its tokens
    off_diagonal = pos.copy()
    for s in range(cfg.n_queries):
        off_diagonal[:, s, s] = False
    assert off_diagonal.any()  # not the identity
    # between dives with the same number of tokens, and between training steps
    same_len = [i for i in range(N) if n_tokens[i] == np.bincount(n_tokens).argmax()]
    assert len(same_len) >= 2 and len({pos[i].tobytes() for i in same_len}) > 1
    before, _ = alignments(early, mtl_train)
    assert not np.array_equal(before, pos)


def test_phrase_level_text_gives_the_identity_alignment(mtl_train):
    """What the token level fixes: four phrase vectors for four queries leave Drop-DTW no choice."""
    cfg = VATPConfig.preset("vatp", hidden_dim=32, d_model=32, n_heads=4, ffn_dim=64, text_tokens=False)
    r = train_model(mtl_train, None, cfg, TrainConfig(epochs=1, device="cpu", num_threads=1, selection="last"))
    pos, mask = alignments(r, mtl_train)
    assert (mask.sum(1) == 4).all()
    assert (pos == np.eye(4, dtype=bool)[None]).all()
