"""Evaluation reports (Fig. 6 / Fig. 7 data), PNG plots, and an MTL-AQA run with dive-code phrases."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from vatp_core.metrics import fisher_z_mean
from vatp_core.plots import cs_curve_png, scatter_png
from vatp_core.training import class_report, combine_classes, evaluation_report
from vatp_core.training.trainer import Prediction


def _pred(seed, n=30, noise=1.0):
    rng = np.random.default_rng(seed)
    true = rng.uniform(5, 20, n)
    return Prediction(
        names=[f"v{i}" for i in range(n)], pred=true + rng.normal(0, noise, n), sigma=np.ones(n), true=true
    )


def test_class_report_and_combination():
    a, b = class_report(_pred(0), (0.0, 25.0)), class_report(_pred(1, noise=3.0), (0.0, 25.0))
    assert a["n"] == 30 and 0.8 < a["spearman"] <= 1.0
    assert a["scatter"]["names"][0] == "v0" and len(a["scatter"]["pred"]) == 30
    alphas, shares = a["cs_curve"]["alpha"], a["cs_curve"]["share"]
    assert alphas[0] == 0 and shares[-1] == 1.0 and np.all(np.diff(shares) >= 0)
    both = combine_classes({"A": a, "B": b})
    assert both["spearman"] == pytest.approx(fisher_z_mean([a["spearman"], b["spearman"]]))
    assert both["mse"] == pytest.approx((a["mse"] + b["mse"]) / 2) and both["n"] == 60
    rep = evaluation_report({"A": a, "B": b})
    assert set(rep["classes"]) == {"A", "B"} and "scatter" not in rep
    one = evaluation_report({"A": a})
    assert one["spearman"] == a["spearman"] and one["class"] == "A" and "scatter" in one


def test_plots_are_real_pngs(tmp_path):
    p = _pred(2)
    s = scatter_png(p.true, p.pred, tmp_path / "s.png", title="test", score_range=(0, 25))
    img = cv2.imread(str(s))
    assert img.shape == (540, 720, 3)
    assert (np.abs(img.astype(int) - [180, 119, 31]).sum(axis=2) < 30).sum() > 200  # the blue points are drawn
    c = cs_curve_png({"A": ([0, 1, 2], [0.2, 0.7, 1.0]), "B": ([0, 3], [0.1, 1.0])}, tmp_path / "c.png")
    assert cv2.imread(str(c)).shape == (540, 720, 3)
    with pytest.raises(ValueError):
        scatter_png([], [], tmp_path / "x.png")
    with pytest.raises(ValueError):
        cs_curve_png({}, tmp_path / "y.png")


def test_mtl_aqa_text_training_and_pack(tmp_path, shared_datasets):
    """MTL-AQA protocol on the real annotations (generated 10-clip features): text losses, ×DD, difficulty table."""
    pytest.importorskip("vatp_core.phrases")
    from vatp_core.datasets import load_split
    from vatp_core.model import VATPConfig
    from vatp_core.pack import load_pack
    from vatp_core.safe_pickle import safe_load
    from vatp_core.training import TrainConfig, predict, predict_with_pack, save_trained_pack, train_model

    ann = safe_load(shared_datasets / "mtl-aqa" / "final_annotations_dict_with_dive_number.pkl")
    rng = np.random.default_rng(0)
    for v, d in ann:
        np.save(tmp_path / f"{v:02d}_{d:02d}.npy", rng.normal(size=(10, 1024)).astype(np.float32))
    full = load_split("mtl", tmp_path, None, "train", annotations=shared_datasets / "mtl-aqa")
    train = full.subset(range(48), "train[:48]")
    test = load_split("mtl", tmp_path, None, "test", annotations=shared_datasets / "mtl-aqa").subset(
        range(16), "test[:16]"
    )
    cfg = VATPConfig.preset("vatp", hidden_dim=32, d_model=32, n_heads=4, ffn_dim=64)
    r = train_model(train, test, cfg, TrainConfig(epochs=1, device="cpu", num_threads=1, seed=0))
    assert r.cfg.use_text and r.history[0].alg > 0 and r.history[0].gc > 0
    p = predict(r.model, test, score_norm=r.score_norm)
    assert p.true.tolist() == test.scores().tolist()
    path = save_trained_pack(tmp_path / "pack", r, train, test_set=test)
    pack = load_pack(path)
    assert pack.manifest.difficulty == "divide" and pack.manifest.backbone == "i3d"
    assert pack.manifest.protocol["name"] == "i3d-mtl"
    table = pack.manifest.difficulty_table
    assert table and all(isinstance(v, float) for v in table.values())
    codes = {s.meta["dive_number"]: s.difficulty for s in train.samples}
    assert all(table[c] == pytest.approx(codes[c]) for c in table)
    np.testing.assert_allclose(predict_with_pack(pack, test, device="cpu").pred, p.pred, rtol=1e-5)


@pytest.mark.parametrize(
    "dataset,classes",
    [("fisv", ("TES", "PCS")), ("mtl", ("diving",)), ("finefs", ("SP-PCS", "SP-TES", "FS-PCS", "FS-TES"))],
)
def test_reproduce_tables_in_the_papers_layout(dataset, classes):
    from vatp_core.training.paper_tables import PAPER_TABLES, preset_label
    from vatp_core.training.reproduce import ReproduceResult, format_table

    res = ReproduceResult(dataset=dataset, selection="val", epochs=None, seed=0)
    rho = {c: 0.5 + 0.1 * i for i, c in enumerate(classes)}
    res.runs["vatp"] = {
        c: {"spearman": v, "rl2": 1.0, "mse": 2.0, "n": 10, "last_epoch_test_spearman": None} for c, v in rho.items()
    }
    text = format_table(res)
    paper = PAPER_TABLES[dataset]
    assert paper["tables"] in text and "held-out validation split" in text
    assert all(col in text for col in paper["columns"])
    ours = next(line for line in text.splitlines() if line.split()[:1] == ["ours"])
    values = [float(v) for v in ours.split()[1:]]
    assert len(values) == len(paper["columns"])
    if dataset == "finefs":  # per-program Fisher-z averages
        assert values[2] == pytest.approx(fisher_z_mean([rho["SP-PCS"], rho["SP-TES"]]), abs=1e-3)
        assert values[5] == pytest.approx(fisher_z_mean([rho["FS-PCS"], rho["FS-TES"]]), abs=1e-3)
    if dataset == "fisv":
        assert values[2] == pytest.approx(fisher_z_mean(list(rho.values())), abs=1e-3)
    paper_row = next(line for line in text.splitlines() if line.startswith(preset_label(dataset, "vatp")))
    assert f"{paper['presets']['vatp'][0]:.3f}" in paper_row
