"""Backbone weights manager: the installed files, import with verification, download, and lookup.

Weights live in ``paths.weights_dir()``. Each installed file has a JSON sidecar (``<file>.json``) with its
SHA-256, the backbone it fits and the hash of the loaded state dict, so finding the right file is a
directory listing, never a download. Files named like torchvision's (``name-<sha256 prefix>.pth``) are
checked against that prefix; a mismatch is refused. The known checkpoints are in `known_weights`, reading
and converting a file in `checkpoints`.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable

from .. import paths
from ..atomic import atomic_write
from ..hashing import sha256_file
from .checkpoints import (
    MissingWeightsError,
    WeightsError,
    WeightsVerificationError,
    adapt_state_dict,
    detect_backbone,
    hash_prefix_in_name,
    is_official_video_swin,
    read_state_file,
)
from .known_weights import KNOWN_WEIGHTS

ProgressFn = Callable[[str, int, int], None]


class WeightsDownloadError(WeightsError):
    """A download failed (offline, server error); the message says how to import the file instead."""


@dataclass
class InstalledWeights:
    """One installed weights file and what its sidecar says about it."""

    id: str
    backbone: str
    path: Path
    sha256: str  # of the installed file
    state_hash: str  # of the loaded state dict (what model packs record)
    original_name: str
    source_sha256: str  # of the file the user imported or downloaded
    imported: str
    size: int
    mtime_ns: int

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["path"] = str(self.path)
        return d


# ---------------------------------------------------------------------------------------- installed


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def list_installed(folder: Path | None = None) -> list[InstalledWeights]:
    """Installed weights (those with a readable sidecar whose file is present), newest first."""
    folder = Path(folder) if folder else paths.weights_dir()
    found: list[InstalledWeights] = []
    for side in folder.glob("*.json"):
        try:
            d = json.loads(side.read_text(encoding="utf-8"))
            d["path"] = folder / d["file"]
            d.pop("file")
            item = InstalledWeights(**d)
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if item.path.is_file():
            found.append(item)
    found.sort(key=lambda w: w.imported, reverse=True)
    return found


def _register_loose_known_files(folder: Path, backbone: str) -> None:
    """A known file dropped into the folder by hand (no sidecar yet) is verified and registered."""
    for known in KNOWN_WEIGHTS.values():
        if known.backbone != backbone:
            continue
        candidate = folder / known.filename
        if candidate.is_file() and not _sidecar(candidate).exists():
            import_weights(candidate, backbone=known.backbone)


def find_installed(
    backbone: str, weights_hash: str | None = None, weights_id: str | None = None, prefer: str | None = None
) -> InstalledWeights:
    """The installed file for `backbone` (matching `weights_hash` / `weights_id` when given).

    Order among the matches: `prefer` (a protocol's weights, see `preferred_weights_id`), then the backbone's
    default entry, then the newest. Never touches the network; raises MissingWeightsError naming the needed
    file and the folder.
    """
    from .backbones import get_backbone_spec

    spec = get_backbone_spec(backbone)
    folder = paths.weights_dir()
    _register_loose_known_files(folder, spec.name)
    candidates = [w for w in list_installed(folder) if w.backbone == spec.name]
    if weights_hash:
        candidates = [w for w in candidates if w.state_hash == weights_hash]
    if weights_id:
        candidates = [w for w in candidates if w.id == weights_id]
    order = [i for i in (weights_id, prefer, spec.weights_id) if i]
    candidates.sort(key=lambda w: order.index(w.id) if w.id in order else len(order))  # stable: then newest
    for item in candidates:
        st = item.path.stat()
        if st.st_size == item.size and st.st_mtime_ns == item.mtime_ns:
            return item
        if sha256_file(item.path) == item.sha256:  # touched but unchanged
            return item
        raise WeightsVerificationError(
            f"{item.path.name} in {folder} changed since it was imported (SHA-256 differs): import it again."
        )
    raise MissingWeightsError(
        _missing_message(spec.name, folder, weights_hash, weights_id or prefer),
        filename=_needed_filename(spec.name, weights_id or prefer),
        folder=folder,
    )


def _needed_filename(backbone: str, weights_id: str | None) -> str | None:
    from .backbones import get_backbone_spec

    wid = weights_id or get_backbone_spec(backbone).weights_id
    return KNOWN_WEIGHTS[wid].filename if wid in KNOWN_WEIGHTS else None


def _missing_message(backbone: str, folder: Path, weights_hash: str | None, weights_id: str | None) -> str:
    from .backbones import get_backbone_spec

    spec = get_backbone_spec(backbone)
    if spec.ships_in_pack:
        return (
            f"The {backbone} backbone's weights come inside its model pack: to train, pass a pack that "
            f"carries it with --init PACK or --backbone-weights PACK (e.g. resources/demo/demo_pack); "
            f"to score, load the pack."
        )
    wid = weights_id or spec.weights_id
    known = KNOWN_WEIGHTS.get(wid) if wid else None
    which = f" with weights hash {weights_hash}" if weights_hash else ""
    lines = [f"No {backbone} weights{which} are installed in {folder}."]
    if weights_hash and not weights_id:
        options = [k for k in KNOWN_WEIGHTS.values() if k.backbone == backbone]
        names = ", ".join(k.filename for k in options)
        lines.append(
            f"The model pack was made with other {backbone} weights than those installed; "
            f"import the file it was made with (one of: {names}) using `vatp weights import FILE`."
        )
    elif known is not None:
        lines.append(f"Needed: {known.filename} ({known.description}).")
        if known.url:
            lines.append(
                f"Run `vatp weights download {known.id}`, or download {known.url} and run "
                f"`vatp weights import {known.filename}` (or copy it into {folder})."
            )
        else:
            lines.append(f"Get it from {known.source} and run `vatp weights import {known.filename}`.")
    return " ".join(lines)


def import_weights(
    source: Path | str,
    backbone: str | None = None,
    *,
    weights_id: str | None = None,
    progress: ProgressFn | None = None,
) -> InstalledWeights:
    """Verify a checkpoint the user has and install it into the weights folder.

    Checks the SHA-256 against the prefix in a torchvision-style name or a known file's entry (mismatch:
    refused), loads it with weights_only=True, converts known layouts (official Video Swin), and proves
    the result loads strictly into the backbone. torchvision files are copied as they are; converted ones
    are stored as safetensors. Returns the sidecar record.
    """
    from safetensors.torch import save_file

    from .backbones import build_backbone_module, get_backbone_spec, load_into, state_dict_hash

    source = Path(source).expanduser()
    if not source.is_file():
        raise MissingWeightsError(f"Weights file not found: {source}", filename=source.name, folder=source.parent)
    folder = paths.weights_dir()
    known = KNOWN_WEIGHTS.get(weights_id) if weights_id else None
    if known is None:
        known = next((k for k in KNOWN_WEIGHTS.values() if k.filename == source.name), None)
    digest = sha256_file(source, progress)
    expected = (known.sha256_prefix if known else None) or hash_prefix_in_name(source.name)
    if expected and not digest.startswith(expected):
        raise WeightsVerificationError(
            f"Refusing {source.name}: its SHA-256 starts with {digest[: len(expected)]}, but {expected} was expected. "
            "The file is damaged or not the published one; download it again."
        )
    state = read_state_file(source)
    converted = is_official_video_swin(state)
    name = backbone or (known.backbone if known else None) or detect_backbone(state)
    if name is None:
        raise WeightsVerificationError(
            f"{source.name} does not look like weights of any known backbone; pass --backbone."
        )
    spec = get_backbone_spec(name)
    adapted = adapt_state_dict(spec.name, state)
    module = build_backbone_module(spec.name, init=False)
    load_into(module, adapted, spec.name)
    state_hash = state_dict_hash(module.state_dict())
    wid = known.id if known else (f"{spec.name}-custom-{state_hash[:8]}")

    # names unchanged (a classifier head may have been left out): the file itself can be installed
    same_layout = not converted and set(adapted) <= set(state) and source.suffix in (".pth", ".pt", ".safetensors")
    if known is not None and known.url and same_layout:
        target = folder / known.filename
    elif same_layout and hash_prefix_in_name(source.name):
        target = folder / source.name
    else:
        target = folder / f"{wid.replace('-', '_')}-{digest[:8]}.safetensors"
    verbatim = target.suffix != ".safetensors" or (same_layout and source.suffix == ".safetensors")
    if target.resolve() != source.resolve():
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=folder)
        os.close(fd)
        try:
            if verbatim:
                shutil.copyfile(source, tmp)
            else:
                save_file(
                    {k: v.contiguous() for k, v in module.state_dict().items()},
                    tmp,
                    metadata={"backbone": spec.name, "source": source.name, "source_sha256": digest},
                )
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    st = target.stat()
    item = InstalledWeights(
        id=wid,
        backbone=spec.name,
        path=target,
        sha256=digest if verbatim else sha256_file(target),
        state_hash=state_hash,
        original_name=source.name,
        source_sha256=digest,
        imported=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        size=st.st_size,
        mtime_ns=st.st_mtime_ns,
    )
    record = item.to_dict()
    record.pop("path")
    record["file"] = target.name
    atomic_write(_sidecar(target), json.dumps(record, indent=2))
    return item


def download_weights(
    weights_id: str,
    *,
    url: str | None = None,
    progress: ProgressFn | None = None,
    timeout: float = 15.0,
) -> InstalledWeights:
    """Fetch a known checkpoint into the weights folder (stage "download"), then verify and register it.

    Fails fast with WeightsDownloadError when offline; the message names the URL and the import route.
    """
    import urllib.error
    import urllib.request

    known = KNOWN_WEIGHTS.get(weights_id)
    if known is None:
        raise WeightsError(f"Unknown weights {weights_id!r}: choose one of {', '.join(KNOWN_WEIGHTS)}.")
    url = url or known.url
    folder = paths.weights_dir()
    if not url:
        raise WeightsDownloadError(
            f"{known.filename} cannot be downloaded automatically. Get it from {known.source} and run "
            f"`vatp weights import {known.filename}`."
        )
    fd, tmp_name = tempfile.mkstemp(prefix=f".{known.filename}.", suffix=".part", dir=folder)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            try:
                with urllib.request.urlopen(url, timeout=timeout) as resp:
                    total = int(resp.headers.get("Content-Length") or 0)
                    done = 0
                    while True:
                        block = resp.read(1 << 20)
                        if not block:
                            break
                        out.write(block)
                        done += len(block)
                        if progress is not None:
                            progress("download", done, total)
            except (urllib.error.URLError, OSError, ValueError) as exc:
                reason = getattr(exc, "reason", exc)
                raise WeightsDownloadError(
                    f"Could not download {known.filename} from {url} ({reason}). When this machine is offline, "
                    f"download it elsewhere and run `vatp weights import {known.filename}`, or copy it into {folder}."
                ) from exc
        staged = tmp.with_name(known.filename + ".download")
        os.replace(tmp, staged)
        tmp = staged
        # import under the published name so the prefix check applies, then drop the staging file
        named = folder / f".verify-{os.getpid()}" / known.filename
        named.parent.mkdir(exist_ok=True)
        os.replace(staged, named)
        tmp = named
        return import_weights(named, backbone=known.backbone, weights_id=known.id, progress=progress)
    finally:
        tmp.unlink(missing_ok=True)
        if tmp.parent.name.startswith(".verify-"):
            shutil.rmtree(tmp.parent, ignore_errors=True)


def remove_weights(item: InstalledWeights) -> None:
    """Delete an installed file and its sidecar."""
    _sidecar(item.path).unlink(missing_ok=True)
    item.path.unlink(missing_ok=True)
