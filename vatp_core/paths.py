"""Where VATP Studio keeps its files.

Config, data (model packs, backbone weights) and cache folders come from ``platformdirs``.
Setting ``VATP_HOME`` relocates all of them under one folder, for tests and portable installs.
Nothing is ever written beside the application itself.
"""

from __future__ import annotations

import logging
import os
import site
import sys
from pathlib import Path

APP_NAME = "VATPStudio"
APP_AUTHOR = "VATP"
HOME_ENV = "VATP_HOME"


_unwritable: set[Path] = set()


def _ensure(path: Path) -> Path:
    """Create the folder when missing; one that cannot be created is warned about once and used read-only.

    A read-only or full user folder must not stop scoring: whatever writes there (feature cache, settings,
    installed packs) handles its own failure, and everything else reads what is there.
    """
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        if path not in _unwritable:
            _unwritable.add(path)
            logging.getLogger(__name__).warning(
                "cannot create %s (%s); continuing without it", path, exc.strerror or exc
            )
    return path


def _home_override() -> Path | None:
    value = os.environ.get(HOME_ENV)
    return Path(value).expanduser() if value else None


def config_dir() -> Path:
    """Settings file and other small per-user configuration."""
    home = _home_override()
    if home is not None:
        return _ensure(home / "config")
    import platformdirs

    return _ensure(Path(platformdirs.user_config_dir(APP_NAME, APP_AUTHOR)))


def data_dir() -> Path:
    """Installed model packs and backbone weights."""
    home = _home_override()
    if home is not None:
        return _ensure(home / "data")
    import platformdirs

    return _ensure(Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR)))


def cache_dir() -> Path:
    """Re-creatable files: feature cache, phrase-embedding cache, thumbnails."""
    home = _home_override()
    if home is not None:
        return _ensure(home / "cache")
    import platformdirs

    return _ensure(Path(platformdirs.user_cache_dir(APP_NAME, APP_AUTHOR)))


def packs_dir() -> Path:
    return _ensure(data_dir() / "packs")


def weights_dir() -> Path:
    return _ensure(data_dir() / "weights")


def feature_cache_dir() -> Path:
    return _ensure(cache_dir() / "features")


def settings_file() -> Path:
    return config_dir() / "settings.json"


RESOURCE_DATA_DIR = ("share", "vatp-studio", "resources")  # where the wheel installs resources/ (data files)


def resource_roots() -> list[Path]:
    """Where bundled resources may be, in order: frozen bundle, source checkout, installed wheel's data files.

    ``resources/`` stays at the top of the repository; PyInstaller copies it into the bundle, and the wheel
    installs it as data files under ``<prefix>/share/vatp-studio/resources`` (see pyproject.toml).
    """
    roots = []
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        roots.append(Path(frozen_root) / "resources")
    roots.append(Path(__file__).resolve().parent.parent / "resources")  # a checkout (or an editable install)
    prefixes = [sys.prefix, sys.base_prefix, getattr(site, "USER_BASE", None) or ""]
    for prefix in dict.fromkeys(p for p in prefixes if p):
        roots.append(Path(prefix).joinpath(*RESOURCE_DATA_DIR))
    return roots


def resources_dir() -> Path:
    """Bundled read-only resources: the first of `resource_roots` that holds the demo (else the first)."""
    roots = resource_roots()
    for root in roots:
        if (root / "demo").is_dir():
            return root
    return roots[0]


def demo_video_path() -> Path:
    return resources_dir() / "demo" / "demo_routine.mp4"


def demo_pack_path() -> Path:
    return resources_dir() / "demo" / "demo_pack"
