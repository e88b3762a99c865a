"""A fused pack's token table (every phrase its lexicon can produce → its token embeddings) and the dive code.

The table is two tensors, ``phrase_tokens`` (N, text_dim) float32 and ``phrase_token_counts`` (P,) int64, with
the manifest's ``token_phrases`` naming the P phrases in order; phrase k owns the next counts[k] rows. Shapes
are checked from the safetensors header, values after loading, both bounded like every other pack field.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import accumulate
from typing import TYPE_CHECKING, Any

from ..errors import VATPError
from .manifest import PackError, PackManifest

if TYPE_CHECKING:  # pragma: no cover
    import torch

    from .model_pack import ModelPack

TOKENS_NAME = "phrase_tokens"
COUNTS_NAME = "phrase_token_counts"
TOKEN_TENSORS = (TOKENS_NAME, COUNTS_NAME)
MAX_TABLE_PHRASES = 4096
MAX_TOKENS_PER_PHRASE = 64
MAX_TOKEN_ABS = 1e4  # BERT's last layer stays within tens, the hashed encoder within 1
NEEDS_DIVE_CODE = "this pack needs the dive code: --dive-code 407C or a dive_code column"


class DiveCodeRequired(VATPError):
    """A fused pack was asked to score without the dive code (or with one it cannot read)."""


@dataclass(frozen=True)
class RoutineText:
    """What a fused pack reads for one dive: the code, its phrases, their token rows and rows per phrase."""

    dive_code: str
    phrases: tuple[str, ...]
    tokens: "torch.Tensor"  # (T_t, text_dim) float32
    counts: tuple[int, ...]


def check_token_shapes(manifest: PackManifest, found: dict[str, tuple[list[int], str]], src: str) -> None:
    """The table's tensors against the manifest (from the header: nothing is read yet)."""
    present = [k for k in TOKEN_TENSORS if k in found]
    fused = manifest.phrase_input == "dive_code"
    if not fused:
        if present:
            raise PackError(f"{src}: tensor {present[0]!r} found but the manifest says the pack takes no dive code.")
        return
    if len(present) != 2:
        missing = next(k for k in TOKEN_TENSORS if k not in found)
        raise PackError(f"{src}: the pack needs a dive code but its token table {missing!r} is missing.")
    text_dim = int(manifest.model_config.get("text_dim", 768))
    n_phrases = len(manifest.token_phrases)
    tokens, tdtype = found[TOKENS_NAME]
    counts, cdtype = found[COUNTS_NAME]
    if tdtype != "F32" or cdtype != "I64":
        raise PackError(f"{src}: the token table must be float32 rows and int64 counts, not {tdtype} / {cdtype}.")
    if list(counts) != [n_phrases]:
        raise PackError(
            f"{src}: shape mismatch: {COUNTS_NAME} is {list(counts)}, expected [{n_phrases}] (token_phrases)."
        )
    if len(tokens) != 2 or tokens[1] != text_dim or not n_phrases <= tokens[0] <= n_phrases * MAX_TOKENS_PER_PHRASE:
        raise PackError(
            f"{src}: shape mismatch: {TOKENS_NAME} is {list(tokens)}, expected [N, {text_dim}] with "
            f"{n_phrases} ≤ N ≤ {n_phrases * MAX_TOKENS_PER_PHRASE} ({MAX_TOKENS_PER_PHRASE} tokens a phrase at most)."
        )


def check_token_values(pack: "ModelPack", src: str) -> None:
    """Counts that tile the rows exactly, each within bounds; rows of bounded size (NaN is refused before)."""
    if pack.manifest.phrase_input != "dive_code":
        return
    counts = pack.tensors[COUNTS_NAME].tolist()
    tokens = pack.tensors[TOKENS_NAME]
    if any(not 1 <= c <= MAX_TOKENS_PER_PHRASE for c in counts):
        raise PackError(f"{src}: {COUNTS_NAME} must give each phrase 1 to {MAX_TOKENS_PER_PHRASE} tokens.")
    if sum(counts) != tokens.shape[0]:
        raise PackError(f"{src}: {COUNTS_NAME} add up to {sum(counts)} rows but {TOKENS_NAME} has {tokens.shape[0]}.")
    if tokens.numel() and float(tokens.abs().max()) > MAX_TOKEN_ABS:
        raise PackError(f"{src}: {TOKENS_NAME} holds values beyond ±{MAX_TOKEN_ABS:g}; not text embeddings.")


def check_manifest_fields(values: dict[str, Any], source: str) -> None:
    """phrase_input, phrase_lexicon and token_phrases: known mode, bounded lists of distinct short names."""
    mode = values.get("phrase_input", "none")
    if mode not in ("none", "dive_code"):
        raise PackError(f"{source}: field 'phrase_input' must be 'none' or 'dive_code', not {mode!r}.")
    for key in ("phrase_lexicon", "token_phrases"):
        names = values.get(key, [])
        if not isinstance(names, list) or not all(isinstance(v, str) and 0 < len(v) <= 200 for v in names):
            raise PackError(f"{source}: field '{key}' must be a list of names (1 to 200 characters).")
        if len(names) > MAX_TABLE_PHRASES or len(set(names)) != len(names):
            raise PackError(f"{source}: field '{key}' must list at most {MAX_TABLE_PHRASES} distinct names.")
    if mode == "dive_code" and not values.get("token_phrases"):
        raise PackError(f"{source}: a pack that needs a dive code must list its 'token_phrases'.")


def routine_text(pack: "ModelPack", dive_code: str | None) -> RoutineText:
    """The token rows of the dive's phrases, from the pack's table; DiveCodeRequired when there is no usable code."""
    from ..phrases import dive_code_phrases

    code = (dive_code or "").strip().upper()
    if not code:
        raise DiveCodeRequired(f"The pack {pack.name!r}: {NEEDS_DIVE_CODE}.")
    m = pack.manifest
    try:
        phrases = dive_code_phrases(code, m.phrase_lexicon or None)
    except VATPError as exc:
        raise DiveCodeRequired(str(exc)) from None
    index = {name: k for k, name in enumerate(m.token_phrases)}
    missing = [p for p in phrases if p not in index]
    if missing:
        raise DiveCodeRequired(f"The pack {pack.name!r} has no token embeddings for {missing[0]!r} (dive {code}).")
    counts = [int(c) for c in pack.tensors[COUNTS_NAME].tolist()]
    starts = [0, *accumulate(counts)]
    import torch

    rows = [pack.tensors[TOKENS_NAME][starts[index[p]] : starts[index[p] + 1]] for p in phrases]
    return RoutineText(code, tuple(phrases), torch.cat(rows).float(), tuple(counts[index[p]] for p in phrases))
