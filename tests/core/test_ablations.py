"""Every ablation from the command line: `vatp train` flags, --init / --init-parts, and
`vatp reproduce mtl --table I|III|IV|V` end to end on generated features in the exact MTL-AQA layout."""

from __future__ import annotations

import json

import pytest
import torch

from vatp_core.cli import main
from vatp_core.cli.model_args import MODEL_PARTS
from vatp_core.datasets.synthetic_features import SyntheticSpec, write_synthetic_mtl, write_synthetic_rg
from vatp_core.model import PART_DESCRIPTIONS
from vatp_core.training.paper_tables import ABLATION_TABLES


@pytest.fixture(scope="module")
def rg_tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("rg_ablation")
    write_synthetic_rg(root, classes=("Ball",), n_train=8, n_test=4, spec=SyntheticSpec(dim=1024, clips=(10, 12)))
    return root


@pytest.fixture(scope="module")
def mtl_features(tmp_path_factory, shared_datasets):
    return write_synthetic_mtl(tmp_path_factory.mktemp("mtl"), shared_datasets / "mtl-aqa", seed=1)


def _train(rg, out, *extra):
    args = ["train", "--dataset", "rg", "--features", str(rg), "--class", "Ball", "--epochs", "1"]
    return main([*args, "--out", str(out), "--threads", "1", "-q", *extra])


def test_train_flags_reach_the_model_and_the_manifest(rg_tiny, tmp_path, capsys):
    flags = ["--queries", "3", "--blocks", "1", "--te-layers", "2", "--beta", "0.2", "--gamma", "0.3"]
    assert _train(rg_tiny, tmp_path / "p", "--preset", "te+pd", *flags, "--losses", "reg,div") == 0
    cfg = json.loads((tmp_path / "p" / "manifest.json").read_text())["model_config"]
    assert (cfg["n_queries"], cfg["n_blocks"], cfg["te_layers"]) == (3, 1, 2)
    assert (cfg["beta"], cfg["gamma"], cfg["use_div"], cfg["use_alg"], cfg["use_gc"]) == (0.2, 0.3, True, False, False)
    assert "rg-ball-tepd-s3-b1-te2-beta0.2-gamma0.3-regdiv" in capsys.readouterr().out  # its own pack name


@pytest.mark.parametrize(
    "flags,message",
    [
        (["--queries", "9"], "between 1 and 8"),
        (["--losses", "div"], "must include reg"),
        (["--losses", "reg,foo"], "unknown loss"),
        (["--preset", "te", "--losses", "reg,alg"], "text branch"),
        (["--blocks", "0"], "at least 1"),
        (["--init-parts", "parseformer"], "needs --init"),
    ],
)
def test_impossible_ablations_fail_with_one_line(rg_tiny, tmp_path, capsys, flags, message):
    assert _train(rg_tiny, tmp_path / "p", *flags) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and not (tmp_path / "p").exists()


def test_init_copies_the_parseformer_unless_told_otherwise(rg_tiny, tmp_path):
    from vatp_core.pack import load_pack

    assert _train(rg_tiny, tmp_path / "src", "--preset", "te+pd", "--seed", "1") == 0
    src = load_pack(tmp_path / "src").model_state()
    tiny_lr = ["--preset", "te+pd", "--lr", "1e-12", "--seed", "2", "--init", str(tmp_path / "src")]
    assert _train(rg_tiny, tmp_path / "pf", *tiny_lr) == 0
    assert _train(rg_tiny, tmp_path / "all", *tiny_lr, "--init-parts", "all", "--name", "all") == 0
    pf, every = load_pack(tmp_path / "pf").model_state(), load_pack(tmp_path / "all").model_state()

    def same(a, b, part):
        keys = [k for k in a if k.startswith(part + ".") and a[k].is_floating_point()]
        return all(torch.allclose(a[k], b[k], atol=1e-6) for k in keys)

    assert same(pf, src, "parseformer") and not same(pf, src, "score_head")  # the paper's fine-tuning
    assert same(every, src, "parseformer") and same(every, src, "score_head")
    assert set(MODEL_PARTS) == set(PART_DESCRIPTIONS)


@pytest.mark.parametrize("table,rows", [("I", "1,5"), ("III", "1"), ("IV", "2"), ("V", "4,7")])
def test_reproduce_ablation_tables_tiny(mtl_features, shared_datasets, tmp_path, capsys, table, rows):
    """CI size: 1 epoch, 24 dives per split, some rows; the full run drops --epochs, --limit and --rows."""
    out = tmp_path / "t.json"
    args = ["reproduce", "mtl", "--features", str(mtl_features), "--annotations", str(shared_datasets / "mtl-aqa")]
    args += ["--table", table, "--rows", rows, "--epochs", "1", "--limit", "24", "--threads", "1", "-q"]
    assert main([*args, "--json", str(out)]) == 0
    text = capsys.readouterr().out
    data = json.loads(out.read_text())
    spec_rows = ABLATION_TABLES[table]["rows"]
    picked = [spec_rows[int(i) - 1] for i in rows.split(",")]
    assert list(data["runs"]) == [r.key for r in picked] and data["table"] == table and data["limit"] == 24
    assert "model selection: both from one run" in text and "first 24 routines" in text
    assert "val ρ  best_test ρ" in text  # the default keeps the best test epoch beside the validation choice
    for r in picked:
        line = next(line for line in text.splitlines() if r.label in line)
        assert f"{r.paper:.4f}" in line  # the paper's number beside ours
        ours = data["runs"][r.key]["diving"]["spearman"]
        assert f"{ours:.4f}" in line and -1.0 <= ours <= 1.0
        assert f"{data['runs'][r.key]['diving']['best_test']['spearman']:.4f}" in line
        got = data["rows"][r.key]
        assert got["overrides"] == dict(r.overrides) and got["preset"] == r.preset
    if table == "IV":
        assert data["rows"]["blocks=4"]["params"] == 2_271_811 and "2.27" in text
    if table == "V":
        assert "row 7: the table marks only L_reg and L_div" in text


def test_reproduce_rejects_bad_rows(mtl_features, shared_datasets, capsys):
    args = ["reproduce", "mtl", "--features", str(mtl_features), "--annotations", str(shared_datasets / "mtl-aqa")]
    assert main([*args, "--table", "III", "--rows", "9", "--epochs", "1", "-q"]) == 2
    assert "rows 1 to 5" in capsys.readouterr().err
    assert main([*args, "--rows", "1", "-q"]) == 2
    assert "--rows needs --table" in capsys.readouterr().err


def test_optional_positional_encoding_in_te(rg_tiny, tmp_path):
    """Off in every paper preset; when on, the TE sees clip order (same parameters), and the manifest says so."""
    from vatp_core.model import PRESETS, VATPConfig, VATPNet, count_parameters

    assert all(VATPConfig.preset(p).te_positional == "none" for p in PRESETS)
    x = torch.randn(1, 12, 1024)
    mask = torch.ones(1, 12, dtype=torch.bool)
    reversed_x = x.flip(1)
    outs = {}
    for pos in ("none", "sinusoidal"):
        torch.manual_seed(0)
        model = VATPNet(VATPConfig.preset("te", te_positional=pos)).eval()
        with torch.no_grad():
            outs[pos] = (model(x, mask).mu, model(reversed_x, mask).mu)
        outs[pos + "-params"] = count_parameters(model)["total"]
    assert torch.allclose(*outs["none"], atol=1e-5)  # order-blind, as published
    assert not torch.allclose(*outs["sinusoidal"], atol=1e-5)
    assert outs["none-params"] == outs["sinusoidal-params"]
    assert _train(rg_tiny, tmp_path / "p", "--preset", "te", "--te-positional", "sinusoidal") == 0
    assert json.loads((tmp_path / "p" / "manifest.json").read_text())["model_config"]["te_positional"] == "sinusoidal"
    with pytest.raises(ValueError):
        VATPConfig(te_positional="learned")
