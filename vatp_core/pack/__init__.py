"""Model packs: what a coach loads to score routines.

A pack is a folder (or a ``.zip`` of one) holding ``manifest.json`` and ``weights.safetensors``.
Loading never executes anything from the pack: the manifest is JSON, the tensors are safetensors
(a JSON header and raw bytes), the weights file's SHA-256 is recorded in the manifest and checked,
and any file the manifest does not account for is refused. Tensor names are namespaced:
``model.*`` (VATP-Net state), ``backbone.*`` (backbone state when it ships in the pack),
``phrase_embeddings`` (L × text_dim) and ``baseline_subactions`` (S × d_model); a fused pack (it needs
the dive code) also holds its token table ``phrase_tokens`` / ``phrase_token_counts`` (``tokens``).

The package holds the manifest and its validation (``manifest``), the byte-level checks (``verify``),
the loaded pack and ``save_pack`` (``model_pack``), ``load_pack`` (``reader``) and the installed packs
(``registry``); everything public is importable from ``vatp_core.pack``.
"""

from .manifest import (
    DIFFICULTY_MODES,
    EXTRA_FILE_SUFFIXES,
    MANIFEST_NAME,
    MAX_MANIFEST_BYTES,
    MAX_PACK_BYTES,
    MAX_SAFETENSORS_HEADER,
    PACK_FORMAT_VERSION,
    WEIGHTS_NAME,
    PackError,
    PackManifest,
)
from .model_pack import ModelPack, save_pack
from .reader import load_pack, read_manifest
from .registry import (
    PackInfo,
    find_installed,
    install_pack,
    installed_packs,
    remove_pack,
    resolve_pack,
    resolve_pack_path,
)
from .tokens import NEEDS_DIVE_CODE, DiveCodeRequired, RoutineText

__all__ = [
    "DIFFICULTY_MODES",
    "EXTRA_FILE_SUFFIXES",
    "MANIFEST_NAME",
    "MAX_MANIFEST_BYTES",
    "MAX_PACK_BYTES",
    "MAX_SAFETENSORS_HEADER",
    "PACK_FORMAT_VERSION",
    "NEEDS_DIVE_CODE",
    "WEIGHTS_NAME",
    "DiveCodeRequired",
    "ModelPack",
    "PackError",
    "PackInfo",
    "PackManifest",
    "find_installed",
    "install_pack",
    "installed_packs",
    "load_pack",
    "read_manifest",
    "remove_pack",
    "resolve_pack",
    "resolve_pack_path",
    "RoutineText",
    "save_pack",
]
