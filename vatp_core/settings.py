"""User settings: one versioned JSON file in the config folder (window geometry stays in QSettings)."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from . import paths
from .atomic import atomic_write

SETTINGS_VERSION = 1
log = logging.getLogger(__name__)

#: Default keyboard shortcuts of the player, one table (Kinovea / NLE conventions).
DEFAULT_SHORTCUTS: dict[str, str] = {
    "play_pause": "Space",
    "next_frame": "Right",
    "prev_frame": "Left",
    "next_frame_alt": ".",
    "prev_frame_alt": ",",
    "first_frame": "Home",
    "last_frame": "End",
    "forward_10pct": "PgDown",
    "back_10pct": "PgUp",
    "speed_up": "Up",
    "speed_down": "Down",
    "next_subaction": "Ctrl+Right",
    "prev_subaction": "Ctrl+Left",
    "loop_subaction": "L",
    "zoom_fit": "Ctrl+0",
    "zoom_100": "Ctrl+1",
}


def default_frame_cache_mb() -> int:
    """The player's frame memory when the user has not chosen one: an eighth of the RAM, 256 MB–4 GB."""
    try:
        total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):  # no sysconf (Windows): assume a 8 GB machine
        total = 8 << 30
    return int(min(4096, max(256, total / 8 / (1 << 20))))


@dataclass
class Settings:
    version: int = SETTINGS_VERSION
    default_pack: str = ""  # name of an installed pack; empty means the bundled demo pack
    device: str = "auto"  # "auto", "cuda" or "cpu"
    cache_size_mb: int = 4096  # feature cache limit on disk
    # the player's decoded frames: step-back cache and the scrub cache of the selected sub-action together
    frame_cache_mb: int = field(default_factory=default_frame_cache_mb)
    interval_level: float = 0.9  # coverage of the calibrated score interval shown everywhere
    recent_files: list[str] = field(default_factory=list)
    shortcuts: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_SHORTCUTS))
    library_path: str = ""  # the athlete library file; empty means library.sqlite3 in the data folder

    MAX_RECENT = 10

    def add_recent(self, path: str | os.PathLike) -> None:
        p = str(Path(path).resolve())
        self.recent_files = [p] + [r for r in self.recent_files if r != p]
        del self.recent_files[self.MAX_RECENT :]

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Settings":
        """Known keys of the right type are kept; a value of the wrong type falls back to its default, with one warning."""
        defaults = cls()
        values = {}
        for f in fields(cls):
            if f.name == "version" or f.name not in data:
                continue
            value, default = data[f.name], getattr(defaults, f.name)
            checked = _checked(f.name, value, default)
            if checked is _WRONG:
                log.warning("settings: %r is not a valid value for %r; using the default %r", value, f.name, default)
                continue
            values[f.name] = checked
        values["version"] = SETTINGS_VERSION
        settings = cls(**values)
        settings.interval_level = _level_or_default(settings.interval_level)
        # New shortcuts added in later versions get their defaults.
        settings.shortcuts = {**DEFAULT_SHORTCUTS, **(settings.shortcuts or {})}
        return settings


def _level_or_default(value) -> float:
    """A stored interval level if it is a valid one, else the default (a bad settings file never stops the app)."""
    from .trust.conformal import DEFAULT_LEVEL, check_level

    try:
        return check_level(value)
    except ValueError:
        log.warning("settings: interval level %r is not usable; using %s", value, DEFAULT_LEVEL)
        return DEFAULT_LEVEL


_WRONG = object()
_CHOICES = {"device": ("auto", "cuda", "cpu")}


def _checked(name: str, value, default):
    """``value`` when it has the type of ``default`` (and is one of the allowed choices), else ``_WRONG``."""
    if isinstance(default, bool) or isinstance(value, bool):
        return value if isinstance(value, bool) and isinstance(default, bool) else _WRONG
    if isinstance(default, int):
        return value if isinstance(value, int) and value >= 0 else _WRONG
    if isinstance(default, float):
        return float(value) if isinstance(value, (int, float)) and value == value else _WRONG
    if isinstance(default, str):
        if not isinstance(value, str) or (name in _CHOICES and value.split(":")[0] not in _CHOICES[name]):
            return _WRONG
        return value
    if isinstance(default, list):
        return [v for v in value if isinstance(v, str)] if isinstance(value, list) else _WRONG
    if isinstance(default, dict):
        if not isinstance(value, dict):
            return _WRONG
        return {k: v for k, v in value.items() if isinstance(k, str) and isinstance(v, str)}
    return value


def load_settings(path: Path | None = None) -> Settings:
    """Read settings; a missing, unreadable or newer-format file gives defaults (never an error)."""
    path = path or paths.settings_file()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError("settings file is not a JSON object")
        version = data.get("version", 0)
        if isinstance(version, int) and version > SETTINGS_VERSION:
            log.warning("settings file %s is from a newer version; using defaults", path)
            return Settings()
        return Settings.from_dict(data)
    except (FileNotFoundError, NotADirectoryError):
        return Settings()
    except (OSError, ValueError, TypeError) as exc:
        log.warning("could not read settings %s (%s); using defaults", path, exc)
        return Settings()


def save_settings(settings: Settings, path: Path | None = None) -> bool:
    """Write atomically, so a crash never leaves a half-written settings file.

    A read-only or full config folder is a warning, not an error (the settings stay in effect for this run);
    returns whether the file was written.
    """
    try:
        atomic_write(path or paths.settings_file(), json.dumps(settings.to_dict(), indent=2))
    except OSError as exc:
        log.warning("settings not saved: %s", exc)
        return False
    return True
