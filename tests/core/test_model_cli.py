"""`vatp model info`: parameter counts as text and JSON, options, errors, and no torch at import."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from vatp_core.cli import main

PAPER_M = {2: 1.81, 4: 2.27, 6: 2.74, 8: 3.20, 10: 3.66}


@pytest.mark.parametrize("blocks", [2, 6, 10])
def test_json_counts_match_table_iv(capsys, blocks):
    assert main(["model", "info", "--blocks", str(blocks), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["total"] == sum(info["parts"].values())
    assert abs(info["total"] / 1e6 - PAPER_M[blocks]) / PAPER_M[blocks] < 0.01
    assert info["paper_millions"] == PAPER_M[blocks]
    assert info["details"]["parseformer.block (each)"] == 231_680
    assert info["details"]["parseformer.blocks"] == blocks
    assert info["details"]["parseformer.tau"] == 1


def test_default_text_output(capsys):
    assert main(["model", "info"]) == 0
    out = capsys.readouterr().out
    assert "1,808,451 trainable parameters" in out
    for part in ("input_proj", "temporal_encoder", "parseformer", "text_proj", "context_decoder", "score_head"):
        assert part in out
    assert "Table IV" in out


def test_presets_and_queries(capsys):
    assert main(["model", "info", "--preset", "mlp", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert set(info["parts"]) == {"input_proj", "score_head"}
    assert "paper_millions" not in info
    assert main(["model", "info", "--queries", "6", "--json"]) == 0
    six = json.loads(capsys.readouterr().out)
    assert six["total"] == 1_808_451 + 2 * 128  # two more query vectors
    assert main(["model", "info", "--preset", "te+pd"]) == 0
    assert "ParseFormer blocks" in capsys.readouterr().out


def test_bad_options_are_user_errors(capsys):
    assert main(["model", "info", "--blocks", "0"]) == 2
    assert "--blocks" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["model", "info", "--preset", "bogus"])


def test_cli_module_does_not_import_torch():
    code = (
        "import argparse, sys, vatp_core.cli.model as m; "
        "m.register(argparse.ArgumentParser().add_subparsers()); print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
