"""Installed packs in the user data folder: install, remove, list, and resolve the pack a user means."""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .. import paths
from ..atomic import current_umask
from .manifest import MANIFEST_NAME, WEIGHTS_NAME, PackError, PackManifest
from .model_pack import ModelPack
from .reader import _read_pack_files, load_pack

log = logging.getLogger(__name__)


@dataclass
class PackInfo:
    """An installed pack as listed by `vatp packs list` (the manifest is read, the tensors are not)."""

    name: str
    path: Path
    manifest: PackManifest | None
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.manifest is not None and not self.error


def _safe_folder_name(name: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._+-]+", "_", name.strip()).strip("._")
    return cleaned or "pack"


def installed_packs() -> list[PackInfo]:
    """Packs in the user data folder, sorted by name; a damaged one is listed with its error."""
    out = []
    try:
        entries = sorted(paths.packs_dir().iterdir())
    except OSError as exc:  # no packs folder (read-only or missing user folder): nothing is installed
        log.debug("packs folder unreadable: %s", exc)
        return []
    for entry in entries:
        if entry.name.startswith("."):
            continue
        try:
            raw = json.loads((entry / MANIFEST_NAME).read_text(encoding="utf-8"))
            manifest = PackManifest.from_dict(raw, source=f"{entry}/{MANIFEST_NAME}")
            out.append(PackInfo(name=manifest.name, path=entry, manifest=manifest))
        except (OSError, ValueError, PackError) as exc:
            out.append(PackInfo(name=entry.name, path=entry, manifest=None, error=str(exc)))
    return out


def install_pack(path: str | os.PathLike, *, replace: bool = False) -> ModelPack:
    """Validate a pack (folder or zip) and copy it into the packs folder under its name."""
    pack = load_pack(path)
    dest = paths.packs_dir() / _safe_folder_name(pack.name)
    if dest.exists():
        if not replace:
            raise PackError(f"A pack named {pack.name!r} is already installed; remove it first or use --replace.")
    tmp = Path(tempfile.mkdtemp(dir=paths.packs_dir(), prefix=".install-"))
    try:
        os.chmod(tmp, 0o777 & ~current_umask())  # mkdtemp makes 0700: a shared packs folder must stay readable
        files = _read_pack_files(Path(path))
        for name in (MANIFEST_NAME, WEIGHTS_NAME, *pack.manifest.files):
            (tmp / name).write_bytes(files[name]())
        installed = load_pack(tmp)  # verify what was written
        if dest.exists():
            shutil.rmtree(dest)
        os.replace(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    installed.path = dest
    return installed


def remove_pack(name: str) -> Path:
    """Delete an installed pack by its name (or folder name)."""
    for info in installed_packs():
        if info.name == name or info.path.name == name:
            shutil.rmtree(info.path)
            _forget_default({info.name, info.path.name})
            return info.path
    raise PackError(
        f"No installed pack named {name!r}. Installed: {', '.join(i.name for i in installed_packs()) or 'none'}."
    )


def _forget_default(names: set[str]) -> None:
    """Removing the default pack clears the default, and says which pack is used from now on."""
    from ..settings import load_settings, save_settings

    settings = load_settings()
    if settings.default_pack not in names:
        return
    was = settings.default_pack
    settings.default_pack = ""
    saved = save_settings(settings)
    log.warning(
        "%s was the default pack; from now on the bundled demo pack is used%s",
        was,
        "" if saved else " (the settings could not be saved)",
    )


def find_installed(name: str) -> Path | None:
    for info in installed_packs():
        if info.name == name or info.path.name == name:
            return info.path
    return None


def resolve_pack_path(name_or_path: str | os.PathLike | None = None) -> Path:
    """Where the pack to use lives: a path, an installed name, else settings.default_pack, else the demo pack."""
    if name_or_path is not None and str(name_or_path).strip():
        candidate = Path(name_or_path).expanduser()
        if candidate.exists():
            return candidate
        if str(name_or_path) == "demo":
            return paths.demo_pack_path()
        found = find_installed(str(name_or_path))
        if found is not None:
            return found
        names = [i.name for i in installed_packs()]
        raise PackError(
            f"No model pack {str(name_or_path)!r}: not a file or folder, and not an installed pack "
            f"(installed: {', '.join(names) or 'none'}; `vatp packs install PATH` adds one)."
        )
    from ..settings import load_settings

    default = load_settings().default_pack
    if default:
        found = find_installed(default)
        if found is not None:
            return found
        if Path(default).expanduser().exists():
            return Path(default).expanduser()
    demo = paths.demo_pack_path()
    if not demo.exists():
        raise PackError(f"No model pack given, no default pack set and the bundled demo pack is missing ({demo}).")
    if default:  # never a silent fallback: say which pack scores instead
        log.warning("the default pack %r is not installed; using the bundled demo pack", default)
    return demo


def resolve_pack(name_or_path: str | os.PathLike | None = None) -> ModelPack:
    """Load the pack a user means (see resolve_pack_path)."""
    return load_pack(resolve_pack_path(name_or_path))
