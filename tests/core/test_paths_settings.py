import json

from vatp_core import paths
from vatp_core.settings import SETTINGS_VERSION, Settings, load_settings, save_settings


def test_vatp_home_relocates_every_folder(vatp_home):
    for folder in (
        paths.config_dir(),
        paths.data_dir(),
        paths.cache_dir(),
        paths.packs_dir(),
        paths.weights_dir(),
        paths.feature_cache_dir(),
    ):
        assert folder.is_dir()
        assert vatp_home in folder.parents


def test_settings_round_trip_and_versioned_file():
    s = Settings(device="cpu", cache_size_mb=123)
    s.add_recent("a.mp4")
    s.add_recent("b.mp4")
    s.add_recent("a.mp4")
    save_settings(s)
    data = json.loads(paths.settings_file().read_text())
    assert data["version"] == SETTINGS_VERSION
    loaded = load_settings()
    assert loaded == s
    assert [p.rsplit("/", 1)[-1] for p in loaded.recent_files] == ["a.mp4", "b.mp4"]


def test_recent_list_is_bounded():
    s = Settings()
    for i in range(30):
        s.add_recent(f"v{i}.mp4")
    assert len(s.recent_files) == Settings.MAX_RECENT
    assert s.recent_files[0].endswith("v29.mp4")


def test_bad_settings_file_gives_defaults():
    paths.settings_file().write_text("{not json")
    assert load_settings() == Settings()
    paths.settings_file().write_text(json.dumps({"version": SETTINGS_VERSION + 5, "device": "cuda"}))
    assert load_settings().device == "auto"


def test_unknown_keys_ignored_and_new_shortcuts_filled():
    paths.settings_file().write_text(
        json.dumps({"version": 1, "device": "cpu", "bogus": 1, "shortcuts": {"play_pause": "K"}})
    )
    s = load_settings()
    assert s.device == "cpu"
    assert s.shortcuts["play_pause"] == "K"
    assert s.shortcuts["next_frame"] == "Right"
