"""`vatp train --init PACK` / `--backbone-weights PACK` take the backbone from a pack that carries it."""

import argparse

import pytest

from tests.core.test_pipeline import build_pack
from vatp_core.cli import CLIError
from vatp_core.cli.data_args import load_kwargs


def _args(**kw):
    base = dict(
        dataset="generic", text_encoder="hash", difficulty=None, backbone=None, backbone_weights=None, init=None
    )
    return argparse.Namespace(**{**base, **kw})


def test_init_pack_brings_its_backbone(tmp_path):
    pack = build_pack(tmp_path / "club")
    kw = load_kwargs(_args(init=str(pack)))
    assert kw["backbone"] == "tiny" and isinstance(kw["backbone_weights"], dict) and kw["backbone_weights"]
    kw = load_kwargs(_args(backbone_weights=str(pack)))
    assert kw["backbone"] == "tiny" and isinstance(kw["backbone_weights"], dict)
    assert load_kwargs(_args(backbone_weights="weights.pt"))["backbone_weights"] == "weights.pt"
    with pytest.raises(CLIError, match="--init"):
        load_kwargs(_args(init=str(tmp_path / "missing")))


def test_missing_tiny_weights_name_the_flag(tmp_path):
    from vatp_core.features.weights import _missing_message

    text = _missing_message("tiny", tmp_path, None, None)
    assert "--init PACK" in text and "--backbone-weights PACK" in text
