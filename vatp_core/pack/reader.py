"""``load_pack``: read a pack folder or zip (layout, links, traversal, sizes) and verify every byte of it."""

from __future__ import annotations

import hashlib
import json
import os
import re
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any

from .manifest import (
    MANIFEST_NAME,
    MAX_COMPRESSION_RATIO,
    MAX_MANIFEST_BYTES,
    MAX_PACK_BYTES,
    WEIGHTS_NAME,
    PackError,
    PackManifest,
)
from .model_pack import ModelPack
from .tokens import check_token_values
from .verify import (
    _check_safetensors_bytes,
    _safetensors_header,
    _sniff,
    _validate_backbone_and_protocol,
    _validate_tensors,
)


def load_pack(path: str | os.PathLike) -> ModelPack:
    """Read and validate a pack folder or zip; raise PackError with a clear message when it is unusable."""
    from safetensors.torch import load as st_load

    path = Path(path)
    files = _read_pack_files(path)
    src = str(path)
    if MANIFEST_NAME not in files:
        raise PackError(f"{src}: not a model pack (no {MANIFEST_NAME}).")
    if WEIGHTS_NAME not in files:
        raise PackError(f"{src}: the pack has no {WEIGHTS_NAME}.")
    manifest_bytes = files[MANIFEST_NAME](limit=MAX_MANIFEST_BYTES)
    if len(manifest_bytes) > MAX_MANIFEST_BYTES:
        raise PackError(f"{src}: {MANIFEST_NAME} is implausibly large ({len(manifest_bytes)} bytes).")
    try:
        data = json.loads(manifest_bytes.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        kind = _sniff(manifest_bytes)
        raise PackError(f"{src}: {MANIFEST_NAME} is not JSON{f' (it is {kind})' if kind else ''}: {exc}.") from None
    manifest = PackManifest.from_dict(data, source=f"{src}/{MANIFEST_NAME}")

    expected = {MANIFEST_NAME, WEIGHTS_NAME, *manifest.files}
    unexpected = sorted(set(files) - expected)
    if unexpected:
        name = unexpected[0]
        kind = _sniff(files[name]()[:16])
        raise PackError(
            f"{src}: unexpected file {name!r} in the pack{f' ({kind})' if kind else ''}; a pack holds only "
            f"{MANIFEST_NAME}, {WEIGHTS_NAME} and the files its manifest lists."
        )
    for name, digest in manifest.files.items():
        if name not in files:
            raise PackError(f"{src}: the manifest lists {name!r} but the pack does not contain it.")
        content = files[name]()
        if hashlib.sha256(content).hexdigest() != digest:
            raise PackError(f"{src}: {name!r} does not match the checksum in the manifest (modified or corrupt).")
        kind = _sniff(content[:16])
        if kind and kind not in ("a PNG image", "a JPEG image"):
            raise PackError(f"{src}: {name!r} is {kind}, not a plain document.")

    blob = files[WEIGHTS_NAME]()
    _check_safetensors_bytes(blob, f"{src}/{WEIGHTS_NAME}")
    if hashlib.sha256(blob).hexdigest() != manifest.weights_sha256:
        raise PackError(
            f"{src}: {WEIGHTS_NAME} does not match the checksum in the manifest (modified or corrupt download)."
        )
    _validate_backbone_and_protocol(manifest, src)
    header = _safetensors_header(blob, f"{src}/{WEIGHTS_NAME}")
    _validate_tensors(manifest, {k: (v["shape"], v["dtype"]) for k, v in header.items() if k != "__metadata__"}, src)
    try:
        tensors = st_load(blob)
    except Exception as exc:  # safetensors raises its own error types
        raise PackError(f"{src}/{WEIGHTS_NAME}: unreadable safetensors file ({exc}).") from None
    _check_finite(tensors, f"{src}/{WEIGHTS_NAME}")
    pack = ModelPack(manifest=manifest, path=path, tensors=tensors)
    check_token_values(pack, f"{src}/{WEIGHTS_NAME}")
    try:  # calibration and out-of-distribution statistics: validated and bounded like every other field
        pack.trust  # noqa: B018 - builds and caches them
    except ValueError as exc:
        raise PackError(f"{src}: invalid calibration / out-of-distribution statistics ({exc}).") from None
    return pack


def read_manifest(path: str | os.PathLike) -> PackManifest:
    """Only the validated manifest of a pack (no tensors, no torch): what a details view shows."""
    path = Path(path)
    files = _read_pack_files(path)
    if MANIFEST_NAME not in files:
        raise PackError(f"{path}: not a model pack (no {MANIFEST_NAME}).")
    blob = files[MANIFEST_NAME]()
    if len(blob) > MAX_MANIFEST_BYTES:
        raise PackError(f"{path}: {MANIFEST_NAME} is implausibly large ({len(blob)} bytes).")
    try:
        data = json.loads(blob.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PackError(f"{path}: {MANIFEST_NAME} is not JSON: {exc}.") from None
    return PackManifest.from_dict(data, source=f"{path}/{MANIFEST_NAME}")


def _check_finite(tensors: dict, where: str) -> None:
    """NaN or inf weights score every video as NaN (or fail deep in the alignment): refuse the pack instead."""
    import torch

    for name, t in tensors.items():
        if t.is_floating_point() and not bool(torch.isfinite(t).all()):
            raise PackError(f"{where}: tensor {name!r} holds NaN or infinite values (a broken training run?).")


def _read_pack_files(path: Path) -> dict[str, Any]:
    """Map member name → a function returning its bytes; checks layout, links and traversal."""
    if not path.exists():
        raise PackError(f"Model pack not found: {path}")
    if path.is_dir():
        out: dict[str, Any] = {}
        for entry in sorted(path.iterdir()):
            name = entry.name
            if name.startswith(".tmp-") or name in (".DS_Store", "__MACOSX"):
                continue
            if entry.is_symlink():
                raise PackError(f"{path}: {name!r} is a symbolic link; packs hold plain files only.")
            if entry.is_dir():
                raise PackError(f"{path}: unexpected folder {name!r} in the pack.")
            out[name] = lambda limit=None, e=entry: _read_file_capped(e, limit)
        return out
    if not zipfile.is_zipfile(path):
        with open(path, "rb") as fh:
            kind = _sniff(fh.read(16))
        what = "a damaged or incomplete zip file" if path.suffix.lower() == ".zip" else "not a folder or a .zip"
        raise PackError(f"{path}: not a model pack ({what}{f'; it is {kind}' if kind else ''}).")
    try:
        with zipfile.ZipFile(path) as zf:
            return _read_zip_members(zf, path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise PackError(f"{path}: damaged zip file ({exc}).") from None


def _read_zip_members(zf: zipfile.ZipFile, path: Path) -> dict[str, Any]:
    """Check every member (traversal, links, executables, size) and read the files of the pack."""
    infos = zf.infolist()
    names = [i.filename for i in infos if not i.is_dir()]
    for info in infos:
        name = info.filename
        p = PurePosixPath(name.replace("\\", "/"))
        if p.is_absolute() or ".." in p.parts or re.match(r"^[A-Za-z]:", name) or "\\" in name:
            raise PackError(f"{path}: unsafe path {name!r} in the zip (path traversal); refusing the pack.")
        mode = (info.external_attr >> 16) & 0o170000
        if mode == 0o120000:
            raise PackError(f"{path}: {name!r} is a symbolic link; packs hold plain files only.")
        if (info.external_attr >> 16) & 0o111 and not info.is_dir():
            raise PackError(f"{path}: {name!r} is marked executable; packs hold no executable content.")
    if sum(i.file_size for i in infos) > MAX_PACK_BYTES:
        raise PackError(f"{path}: the zip expands to more than {MAX_PACK_BYTES >> 30} GiB; refusing it.")
    for info in infos:  # weights barely compress; a member that shrinks 50× is a zip bomb, not a model
        if info.file_size > (1 << 20) and info.file_size > MAX_COMPRESSION_RATIO * max(info.compress_size, 1):
            raise PackError(
                f"{path}: {info.filename!r} claims {info.file_size >> 20} MiB from {info.compress_size >> 10} KiB "
                "(a zip bomb); refusing the pack."
            )
    # Allow one top folder (a zipped pack folder) or members at the root.
    prefix = ""
    tops = {n.split("/", 1)[0] for n in names}
    if MANIFEST_NAME not in names and len(tops) == 1 and all("/" in n for n in names):
        prefix = tops.pop() + "/"
    out: dict[str, Any] = {}
    for n in names:
        rel = n[len(prefix) :]
        if "/" in rel:
            raise PackError(f"{path}: unexpected nested file {n!r} in the pack.")
        if rel in (".DS_Store",):
            continue
        if rel in out:
            raise PackError(f"{path}: {rel!r} appears twice in the zip.")
        info = zf.getinfo(n)
        # read when needed (the manifest is checked before the weights are touched), never past the declared size
        out[rel] = lambda limit=None, n=n, size=info.file_size: _read_capped(path, n, size, limit)
    return out


def _too_large(where: str, size: int, limit: int) -> PackError:
    return PackError(f"{where} is implausibly large ({size} bytes; at most {limit}); refusing the pack.")


def _read_file_capped(entry: Path, limit: int | None) -> bytes:
    """A pack folder's file; with ``limit`` a larger file is refused before it is read."""
    if limit is not None and entry.stat().st_size > limit:
        raise _too_large(str(entry), entry.stat().st_size, limit)
    return entry.read_bytes()


def _read_capped(path: Path, name: str, declared: int, limit: int | None = None) -> bytes:
    """One member, read in chunks; more bytes than its header declares (a lying header) abort the read."""
    if limit is not None and declared > limit:
        raise _too_large(f"{path}: {name!r}", declared, limit)
    chunks, total = [], 0
    try:
        with zipfile.ZipFile(path) as zf, zf.open(name) as fh:
            while True:
                chunk = fh.read(1 << 20)
                if not chunk:
                    break
                total += len(chunk)
                if total > declared:
                    raise PackError(f"{path}: {name!r} holds more than its declared {declared} bytes; refusing it.")
                chunks.append(chunk)
    except (zipfile.BadZipFile, OSError, RuntimeError, EOFError) as exc:
        raise PackError(f"{path}: cannot read {name!r} from the zip ({exc}).") from None
    return b"".join(chunks)
