"""vst-gdlt picks the official Kinetics-600 Swin-B (what the public features used) over torchvision's K400 when
both are installed, in extraction, in training from videos and when a pack scores; the choice is recorded."""

from __future__ import annotations

import dataclasses
import json
import types

import pytest

from vatp_core import paths
from vatp_core.features import known_weights
from vatp_core.features import weights as wm

K400, K600 = "swin3d_b-k400", "swin3d_b-k600-official"


def fake_install(weights_id: str, imported: str) -> None:
    """A sidecar + file as `import_weights` leaves them (the selection reads only these)."""
    folder = paths.weights_dir()
    folder.mkdir(parents=True, exist_ok=True)
    f = folder / f"{weights_id}.safetensors"
    f.write_bytes(weights_id.encode())
    st = f.stat()
    record = {
        "id": weights_id,
        "backbone": "swin3d_b",
        "file": f.name,
        "sha256": "0" * 64,
        "state_hash": weights_id[-8:],
        "original_name": f.name,
        "source_sha256": "0" * 64,
        "imported": imported,
        "size": st.st_size,
        "mtime_ns": st.st_mtime_ns,
    }
    (folder / f"{f.name}.json").write_text(json.dumps(record))


def test_vst_gdlt_prefers_k600_when_both_are_installed():
    fake_install(K600, "2026-01-01T00:00:00+00:00")
    fake_install(K400, "2026-02-01T00:00:00+00:00")  # newer, and the backbone's default
    prefer = known_weights.preferred_weights_id("swin3d_b", "vst-gdlt")
    assert prefer == K600
    assert wm.find_installed("swin3d_b", prefer=prefer).id == K600
    assert wm.find_installed("swin3d_b").id == K400  # other protocols keep the default
    assert known_weights.preferred_weights_id("swin3d_b", "generic") is None
    assert wm.find_installed("swin3d_b", weights_id=K400, prefer=prefer).id == K400  # told otherwise


def test_preference_falls_back_to_what_is_installed():
    fake_install(K400, "2026-02-01T00:00:00+00:00")
    assert wm.find_installed("swin3d_b", prefer=K600).id == K400
    (paths.weights_dir() / f"{K400}.safetensors").unlink()
    with pytest.raises(wm.MissingWeightsError) as err:
        wm.find_installed("swin3d_b", prefer=K600)
    assert "swin_base_patch244_window877_kinetics600_22k.pth" in str(err.value)  # it names what vst-gdlt wants


def _recording_loader(calls: list, tiny):
    """Stands in for load_backbone: resolves installed weights as the real one does, returns the tiny backbone."""

    def load(name, weights=None, device="auto", *, weights_hash=None, prefer_weights=None, **_):
        item = wm.find_installed(name, weights_hash=weights_hash, prefer=prefer_weights)
        calls.append((name, prefer_weights, item.id))
        return dataclasses.replace(tiny, weights_id=item.id, weights_hash=item.state_hash)

    return load


@pytest.fixture()
def tiny():
    from vatp_core.features import load_backbone

    return load_backbone("tiny", random_init=True, device="cpu")


def test_extract_picks_k600_and_records_it(tmp_path, monkeypatch, tiny, capsys):
    import vatp_core.features as features
    from tests.videogen import make_test_video
    from vatp_core.cli import main as cli_main

    fake_install(K600, "2026-01-01T00:00:00+00:00")
    fake_install(K400, "2026-02-01T00:00:00+00:00")
    calls: list = []
    monkeypatch.setattr(features, "load_backbone", _recording_loader(calls, tiny))
    video = make_test_video(tmp_path / "v.mp4", 20, size=(160, 120))
    out = tmp_path / "f"
    common = ["extract", str(video), "--backbone", "swin3d_b", "--protocol", "vst-gdlt", "--clip-len", "8"]
    assert cli_main([*common, "--stride", "8", "--out", str(out), "--no-cache", "-q"]) == 0
    assert calls == [("swin3d_b", K600, K600)]
    record = json.loads((out / "extraction.json").read_text())
    assert record["weights_id"] == K600 and record["protocol"]["preprocess"] == "gdlt-v2"
    assert K600 in capsys.readouterr().out
    # told otherwise
    assert cli_main([*common, "--stride", "8", "--out", str(out), "--weights-id", K400, "--overwrite", "-q"]) == 0
    assert calls[-1] == ("swin3d_b", K400, K400)
    assert json.loads((out / "extraction.json").read_text())["weights_id"] == K400


def test_a_pack_trained_on_public_features_scores_with_k600(monkeypatch, tiny):
    import vatp_core.features as features
    from vatp_core.pack import ModelPack

    fake_install(K600, "2026-01-01T00:00:00+00:00")
    fake_install(K400, "2026-02-01T00:00:00+00:00")
    calls: list = []
    monkeypatch.setattr(features, "load_backbone", _recording_loader(calls, tiny))
    for protocol, expected in (("vst-gdlt", K600), ("generic", K400)):
        manifest = types.SimpleNamespace(backbone="swin3d_b", backbone_weights_hash="", protocol={"name": protocol})
        pack = types.SimpleNamespace(manifest=manifest, backbone_state=lambda: None)
        assert ModelPack.load_backbone(pack, "cpu").weights_id == expected
