"""Hostile model packs: huge sizes in a manifest with a valid checksum, zip bombs, lying zip headers (items 7, 8)."""

from __future__ import annotations

import zipfile

import pytest

from tests.core.test_pack import make_pack, rewrite_manifest
from vatp_core.pack import PackError, load_pack

pytestmark = pytest.mark.timeout(120)  # nothing here may hang or grow memory until killed


@pytest.mark.parametrize(
    "key, value",
    [
        ("n_blocks", 10**7),
        ("te_layers", 10**7),
        ("cd_blocks", 10**7),
        ("d_model", 1 << 20),
        ("n_queries", 10**6),
        ("ffn_dim", 10**9),
        ("n_blocks", 2.5),
        ("dropout", "x"),
    ],
)
def test_huge_or_mistyped_model_sizes_are_refused_before_anything_is_built(tmp_path, key, value):
    """Issue 16 item 7: n_blocks = 10⁷ grew memory ~11 MB/s in packs show / install / score --pack."""
    folder, _ = make_pack(tmp_path)
    rewrite_manifest(folder, lambda d: d["model_config"].__setitem__(key, value))
    with pytest.raises(PackError, match=key):
        load_pack(folder)


def test_all_sizes_at_their_limits_together_are_refused_by_the_parameter_bound():
    from vatp_core.model import VATPConfig

    with pytest.raises(ValueError, match="parameters"):
        VATPConfig.preset("vatp", d_model=8192, n_heads=8, ffn_dim=65536, n_blocks=64, te_layers=64, cd_blocks=64)


def test_zip_bomb_is_refused_from_its_headers(tmp_path):
    """Issue 16 item 8: a 10 MB zip holding 3.75 GiB was read (53 s, 8.5 GB) before being refused."""
    folder, _ = make_pack(tmp_path)
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for f in folder.iterdir():
            zf.write(f, f.name)
        with zf.open("notes.txt", "w", force_zip64=True) as fh:
            block = bytes(1 << 20)
            for _ in range(64):  # 64 MiB of zeros: ~64 KiB compressed
                fh.write(block)
    with pytest.raises(PackError, match="zip bomb"):
        load_pack(bomb)


def test_a_member_longer_than_its_header_declares_is_cut_off(tmp_path):
    from vatp_core.pack.reader import _read_capped

    z = tmp_path / "a.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("manifest.json", b"{}" * 1000)
    with pytest.raises(PackError, match="more than its declared"):
        _read_capped(z, "manifest.json", declared=100)
    with pytest.raises(PackError, match="implausibly large"):
        _read_capped(z, "manifest.json", declared=2000, limit=1000)
    assert _read_capped(z, "manifest.json", declared=2000) == b"{}" * 1000


def test_removing_the_default_pack_clears_it_and_says_so(tmp_path, caplog, monkeypatch):
    """Issue 16 item 12: settings kept the removed pack's name and scores silently used the demo."""
    import logging

    from vatp_core import paths
    from vatp_core.pack import install_pack, remove_pack, resolve_pack_path
    from vatp_core.settings import load_settings, save_settings

    z, _ = make_pack(tmp_path, zip=True)
    pack = install_pack(z)
    s = load_settings()
    s.default_pack = pack.name
    save_settings(s)
    with caplog.at_level(logging.WARNING):
        remove_pack(pack.path.name)  # by folder name: the default (stored by pack name) is still cleared
    assert load_settings().default_pack == ""
    assert any("was the default pack; from now on the bundled demo pack is used" in r.message for r in caplog.records)
    s.default_pack = "gone-pack"  # a default whose folder was deleted by hand
    save_settings(s)
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        assert resolve_pack_path(None) == paths.demo_pack_path()
    assert [r.message for r in caplog.records] == [
        "the default pack 'gone-pack' is not installed; using the bundled demo pack"
    ]


def test_installed_pack_folder_follows_the_umask(tmp_path):
    """Issue 16 item 15: pack folders were 0700 (mkdtemp), unreadable to others in a shared folder."""
    import os
    import stat

    from vatp_core.pack import install_pack

    z, _ = make_pack(tmp_path, zip=True)
    old = os.umask(0o022)
    try:
        pack = install_pack(z)
    finally:
        os.umask(old)
    assert stat.S_IMODE(pack.path.stat().st_mode) == 0o755
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o644 for f in pack.path.iterdir())


def test_packs_list_with_a_user_folder_that_cannot_be_created(tmp_path, monkeypatch, capsys):
    """Issue 16 item 5: `vatp packs list` died with NotADirectoryError."""
    from vatp_core.cli import main

    blocker = tmp_path / "blocker"
    blocker.write_text("")
    monkeypatch.setenv("VATP_HOME", str(blocker / "home"))
    assert main(["packs", "list"]) == 0
    assert "No packs installed" in capsys.readouterr().out


def test_a_pack_with_nan_weights_is_refused_on_loading(tmp_path):
    """Issue 16 item 11: a pack with NaN weights failed with an AlignmentError traceback while scoring."""
    import torch

    from tests.core.test_pack import manifest_for, tiny_model
    from vatp_core.pack import save_pack

    model = tiny_model()
    with torch.no_grad():
        next(model.parameters()).view(-1)[0] = float("nan")
    path = save_pack(
        tmp_path / "nan_pack",
        manifest_for(model),
        model,
        phrase_embeddings=torch.randn(3, 24),
        baseline_subactions=torch.randn(3, 16),
    )
    with pytest.raises(PackError, match="NaN or infinite"):
        load_pack(path)
