"""A small fused pack (tiny backbone inside, hashed-encoder token table of the whole dive-code lexicon)."""

from __future__ import annotations

from pathlib import Path

import torch

from vatp_core.model import VATPConfig, VATPNet
from vatp_core.pack import PackManifest, save_pack
from vatp_core.phrases import dive_code_lexicon, token_table

SUBACTIONS = ["Take-off", "Flight", "Twist", "Entry"]


def fused_config(preset: str = "vatp-fused") -> VATPConfig:
    return VATPConfig.preset(
        preset, in_dim=256, hidden_dim=64, d_model=32, n_heads=4, ffn_dim=64, dropout=0.0, n_blocks=1, cd_blocks=1
    )


def build_fused_pack(path: Path, name: str = "fused-test", **manifest_overrides) -> Path:
    from vatp_core.features import load_backbone

    torch.manual_seed(0)
    cfg = fused_config()
    model = VATPNet(cfg).eval()
    with torch.no_grad():  # a head that leans on the text, so a different dive visibly scores differently
        model.score_head.mlp[0].weight[:, cfg.d_model :].mul_(4.0)
    backbone = load_backbone("tiny", random_init=True, seed=0, device="cpu")
    values = dict(
        name=name,
        backbone="tiny",
        protocol={"name": "generic", "clip_len": 16, "stride": 16},
        model_config=cfg.to_dict(),
        score_range=[0.0, 10.0],
        score_norm={"mean": 6.0, "std": 1.5},
        sport="diving",
        event="test",
        label="test pack — not for judging",
        not_for_judging=True,
        subaction_names=SUBACTIONS,
    )
    values.update(manifest_overrides)
    return save_pack(
        path,
        PackManifest(**values),
        model,
        phrase_tokens=token_table(dive_code_lexicon()),
        baseline_subactions=torch.randn(4, cfg.d_model) * 0.1,
        backbone_state=backbone.state_dict(),
    )
