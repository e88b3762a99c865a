"""Sub-action phrases of a routine and their text embeddings.

Phrases: for diving, built from the dive code the way the FineDiving lexicon names sub-actions
("407C" -> "Inward", "3.5 Soms.Tuck", "0 Twist", "Entry"); for other sports, a phrase list per routine.
Embeddings: a local BERT-family model through `transformers` (never the network), or the built-in
deterministic hashed n-gram encoder when no model is at hand. Embeddings are cached in the user cache
folder and stored in model packs later, so scoring never needs a text model.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from . import paths
from .atomic import atomic_open
from .errors import VATPError

TEXT_DIM = 768
HASH_ENCODER = "hash"
_HASH_VERSION = "hash-ngram-v1"


class PhraseError(VATPError):
    """A dive code that cannot be read, or a phrase encoder that cannot be loaded."""


# --------------------------------------------------------------------------------------- phrases

_GROUPS = {"1": "Forward", "2": "Back", "3": "Reverse", "4": "Inward"}
_ARMSTAND_GROUPS = {"1": "Arm.Forward", "2": "Arm.Back", "3": "Arm.Reverse"}
# FineDiving names three positions; free-position (D) dives are annotated with the pike names there.
_POSITIONS = {"A": "Straight", "B": "Pike", "C": "Tuck", "D": "Pike"}
_CODE = re.compile(r"^\s*(\d{3,4})\s*([ABCD])\s*$", re.IGNORECASE)


def _count(n: float) -> str:
    return f"{n:g}"


def somersault_phrase(half_somersaults: int, position: str) -> str:
    n = half_somersaults / 2
    return f"{_count(n)} {'Som' if n <= 1 else 'Soms'}.{position}"


def twist_phrase(half_twists: int) -> str:
    n = half_twists / 2
    return f"{_count(n)} {'Twist' if n <= 1 else 'Twists'}"


def dive_code_phrases(code: str, lexicon: Sequence[str] | None = None) -> list[str]:
    """Four ordered phrases for a FINA dive code: take-off group, somersaults with position, twists, entry.

    Codes: 1xxP-4xxP (group, flying digit, half somersaults), 5GST P (twisting: group, half somersaults,
    half twists), 6GS[T] P (armstand). With `lexicon` (e.g. the FineDiving table) every phrase is taken
    from it: a name it lacks is replaced by the closest one of the same kind ("0 Twist" is kept).
    """
    m = _CODE.match(str(code))
    if not m:
        raise PhraseError(f"{code!r} is not a dive code (digits then a position letter A-D, e.g. 407C).")
    digits, pos = m.group(1), _POSITIONS[m.group(2).upper()]
    first = digits[0]
    if first in _GROUPS and len(digits) == 3:
        group, half_soms, half_twists = _GROUPS[first], int(digits[2]), 0
    elif first == "5" and len(digits) == 4 and digits[1] in _GROUPS:
        group, half_soms, half_twists = _GROUPS[digits[1]], int(digits[2]), int(digits[3])
    elif first == "6" and digits[1] in _ARMSTAND_GROUPS:
        group, half_soms = _ARMSTAND_GROUPS[digits[1]], int(digits[2])
        half_twists = int(digits[3]) if len(digits) == 4 else 0
    else:
        raise PhraseError(f"{code!r} is not a valid dive code: unknown group {digits[:2]!r}.")
    if half_soms == 0:
        raise PhraseError(f"{code!r} is not a valid dive code: no somersault.")
    phrases = [group, somersault_phrase(half_soms, pos), twist_phrase(half_twists), "Entry"]
    if lexicon is not None:
        phrases = [_snap(p, list(lexicon)) for p in phrases]
    return phrases


def dive_code_lexicon(lexicon: Sequence[str] | None = None) -> list[str]:
    """Every phrase `dive_code_phrases` can produce for any valid code (with ``lexicon``: as it snaps them).

    What a fused pack stores token embeddings for, so any announced dive scores without a text model."""
    groups = [*_GROUPS.values(), *_ARMSTAND_GROUPS.values()]
    positions = sorted(set(_POSITIONS.values()))
    soms = [somersault_phrase(h, p) for p in positions for h in range(1, 10)]
    names = [*groups, *soms, *(twist_phrase(h) for h in range(10)), "Entry"]
    if lexicon is not None:
        names = [_snap(p, list(lexicon)) for p in names]
    return list(dict.fromkeys(names))


def token_table(phrases: Sequence[str], encoder: str = HASH_ENCODER) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(phrases, tokens (N, D) float32, counts (P,) int64): each phrase's token embeddings embedded alone.

    A routine's text is its phrases' rows concatenated, so training and a fused pack's scoring read the same
    vectors (for the hashed encoder this equals `embed_tokens` of the routine)."""
    names = list(dict.fromkeys(str(p) for p in phrases))
    rows = [embed_tokens([p], encoder) for p in names]
    tokens = np.concatenate(rows).astype(np.float32) if rows else np.zeros((0, TEXT_DIM), np.float32)
    return names, tokens, np.array([len(r) for r in rows], dtype=np.int64)


def mtl_aqa_phrases(
    rotation_type: int, half_somersaults: int, half_twists: int, position: int, armstand: bool = False
) -> list[str]:
    """Phrases from MTL-AQA's fields (rotation 0 back / 1 forward / 2 inward / 3 reverse; position 0 free / 1 pike / 2 tuck)."""
    group = {0: "Back", 1: "Forward", 2: "Inward", 3: "Reverse"}[int(rotation_type)]
    if armstand:
        group = {"Back": "Arm.Back", "Forward": "Arm.Forward", "Reverse": "Arm.Reverse"}.get(group, group)
    pos = {0: "Pike", 1: "Pike", 2: "Tuck"}.get(int(position), "Pike")
    return [group, somersault_phrase(int(half_somersaults), pos), twist_phrase(int(half_twists)), "Entry"]


def _number(phrase: str) -> float | None:
    m = re.match(r"^\s*(\d+(?:\.\d+)?)", phrase)
    return float(m.group(1)) if m else None


def _snap(phrase: str, lexicon: list[str]) -> str:
    if phrase in lexicon or phrase == "0 Twist":
        return phrase
    kind = "Twist" if "Twist" in phrase else ("Som" if "Som" in phrase else None)
    if kind is None:
        raise PhraseError(f"The lexicon has no sub-action named {phrase!r}.")
    same_kind = [w for w in lexicon if kind in w]
    if kind == "Som":
        suffix = phrase.rsplit(".", 1)[-1]
        same_kind = [w for w in same_kind if w.endswith("." + suffix)] or same_kind
    if not same_kind:
        raise PhraseError(f"The lexicon has no {kind.lower()} names to stand in for {phrase!r}.")
    target = _number(phrase) or 0.0
    return min(same_kind, key=lambda w: (abs((_number(w) or 0.0) - target), w))


def load_finediving_lexicon(path: str | Path) -> list[str]:
    """The 42 sub-action names of FineDiving's ``Sub_action_Types_Table.pkl``, in id order (restricted unpickler)."""
    from .safe_pickle import safe_load

    table = safe_load(path)
    if not isinstance(table, dict):
        raise PhraseError(f"{Path(path).name} is not a sub-action table (expected a dict id -> name).")
    return [str(table[k]) for k in sorted(table, key=int)]


def split_phrases(text: str, sep: str = ";") -> list[str]:
    """A routine's phrase list from one text field ("Take-off; Rotation; Entry"), blanks dropped."""
    return [p.strip() for p in str(text).split(sep) if p.strip()]


# ------------------------------------------------------------------------------------- embedding


def _hash_embed(phrase: str, dim: int = TEXT_DIM) -> np.ndarray:
    """Deterministic bag of hashed word uni/bi-grams and character trigrams, signed, L2-normalised."""
    text = " ".join(phrase.lower().split())
    words = re.findall(r"[a-z]+|\d+(?:\.\d+)?", text)
    grams: list[tuple[str, float]] = [(f"w:{w}", 1.0) for w in words]
    grams += [(f"b:{a} {b}", 0.7) for a, b in zip(words, words[1:])]
    padded = f"  {text}  "
    grams += [(f"c:{padded[i : i + 3]}", 0.3) for i in range(len(padded) - 2)]
    vec = np.zeros(dim, dtype=np.float64)
    for gram, weight in grams:
        digest = hashlib.blake2b(gram.encode(), digest_size=8).digest()
        index = int.from_bytes(digest[:4], "little") % dim
        sign = 1.0 if digest[4] & 1 else -1.0
        vec[index] += sign * weight
    norm = np.linalg.norm(vec)
    return (vec / norm if norm > 0 else vec).astype(np.float32)


def _encoder_key(encoder: str, pooling: str) -> str:
    if encoder == HASH_ENCODER:
        return f"{_HASH_VERSION}-{TEXT_DIM}"
    folder = Path(encoder).expanduser()
    h = hashlib.sha256(pooling.encode())
    if folder.is_dir():
        for f in sorted(folder.iterdir()):
            if f.is_file():
                st = f.stat()
                h.update(f"{f.name}:{st.st_size}:{st.st_mtime_ns}".encode())
                if f.suffix == ".json" and st.st_size < 1_000_000:
                    h.update(f.read_bytes())
    else:
        h.update(encoder.encode())
    return "bert-" + h.hexdigest()[:16]


def _cache_path(key: str, phrase: str) -> Path:
    digest = hashlib.sha256(phrase.encode("utf-8")).hexdigest()[:24]
    return paths.cache_dir() / "phrases" / key / f"{digest}.npy"


def _cache_get(path: Path) -> np.ndarray | None:
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError):
        return None


def _cache_put(path: Path, vec: np.ndarray) -> None:
    with atomic_open(path, "wb") as fh:
        np.save(fh, vec.astype(np.float32), allow_pickle=False)


def embed_phrases(
    phrases: Iterable[str],
    encoder: str = HASH_ENCODER,
    *,
    pooling: str = "mean",
    use_cache: bool = True,
    batch_size: int = 64,
) -> np.ndarray:
    """(L, D) float32 embeddings (D = 768 for "hash" and BERT-base) for a list of phrases.

    encoder: "hash" (built in, no download) or a local folder (or locally cached model id) of a
    BERT-family model, loaded with local_files_only=True; pooling "mean" over tokens or "cls".
    """
    phrases = [str(p) for p in phrases]
    if pooling not in ("mean", "cls"):
        raise PhraseError(f"Unknown pooling {pooling!r}: use 'mean' or 'cls'.")
    if not phrases:
        return np.zeros((0, TEXT_DIM), dtype=np.float32)
    key = _encoder_key(encoder, pooling)
    out: list[np.ndarray | None] = [None] * len(phrases)
    if use_cache:
        for i, p in enumerate(phrases):
            out[i] = _cache_get(_cache_path(key, p))
    todo = sorted({p for p, v in zip(phrases, out) if v is None})
    if todo:
        if encoder == HASH_ENCODER:
            fresh = {p: _hash_embed(p) for p in todo}
        else:
            fresh = dict(zip(todo, _bert_embed(todo, encoder, pooling, batch_size)))
        for i, p in enumerate(phrases):
            if out[i] is None:
                out[i] = fresh[p]
        if use_cache:
            for p, v in fresh.items():
                _cache_put(_cache_path(key, p), v)
    return np.stack(out).astype(np.float32)  # type: ignore[arg-type]


_TOKEN = re.compile(r"[a-z]+|\d+(?:\.\d+)?|[^\sa-z\d]")
TOKEN_JOIN = ", "  # how a routine's phrases become one text for a BERT tokenizer


def hash_tokens(phrases: Sequence[str]) -> list[tuple[str, int]]:
    """(token, phrase index) of a routine's phrases as the hashed encoder splits them (words, numbers, marks)."""
    return [(t, k) for k, p in enumerate(phrases) for t in _TOKEN.findall(" ".join(str(p).lower().split()))]


def embed_tokens(phrases: Sequence[str], encoder: str = HASH_ENCODER, *, use_cache: bool = True) -> np.ndarray:
    """(T_t, D) float32 per-token embeddings of a routine's ordered phrases (Eq. 2: F_t ∈ R^{T_t×D}).

    BERT: the last layer at every word piece of the phrases joined by ", " (special tokens left out). The
    hashed encoder: each token's own n-gram vector plus half its phrase's, L2-normalised, so the tokens of
    one phrase stay close. Cached like `embed_phrases`.
    """
    phrases = [str(p) for p in phrases]
    if not phrases:
        return np.zeros((0, TEXT_DIM), dtype=np.float32)
    path = _cache_path(_encoder_key(encoder, "tokens") + "-tokens", "\x1f".join(phrases))
    if use_cache and (hit := _cache_get(path)) is not None:
        return hit
    if encoder == HASH_ENCODER:
        whole = [_hash_embed(p) for p in phrases]
        rows = []
        for token, k in hash_tokens(phrases):
            v = _hash_embed(token) + 0.5 * whole[k]
            rows.append(v / max(float(np.linalg.norm(v)), 1e-12))
        out = np.stack(rows) if rows else np.stack(whole)
    else:
        out = _bert_tokens(TOKEN_JOIN.join(phrases), encoder)
    out = out.astype(np.float32)
    if use_cache:
        _cache_put(path, out)
    return out


def _load_bert(encoder: str):
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never wait on the hub
    from transformers import AutoModel, AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(encoder, local_files_only=True)
        model = AutoModel.from_pretrained(encoder, local_files_only=True)
    except (OSError, ValueError) as exc:
        raise PhraseError(
            f"Cannot load the text model {encoder!r} from local files ({str(exc).splitlines()[0]}). "
            "Pass the folder of a BERT-family model saved with save_pretrained(), or use the built-in 'hash' encoder."
        ) from exc
    return tokenizer, model.eval()


def _bert_tokens(text: str, encoder: str) -> np.ndarray:
    import torch

    tokenizer, model = _load_bert(encoder)
    with torch.inference_mode():
        batch = tokenizer([text], truncation=True, max_length=128, return_tensors="pt", return_special_tokens_mask=True)
        special = batch.pop("special_tokens_mask")[0].bool()
        hidden = model(**batch).last_hidden_state[0]  # (N, D)
    return hidden[~special].float().cpu().numpy()


def _bert_embed(phrases: list[str], encoder: str, pooling: str, batch_size: int) -> list[np.ndarray]:
    import torch

    tokenizer, model = _load_bert(encoder)
    vectors: list[np.ndarray] = []
    with torch.inference_mode():
        for start in range(0, len(phrases), batch_size):
            batch = tokenizer(
                phrases[start : start + batch_size], padding=True, truncation=True, max_length=64, return_tensors="pt"
            )
            hidden = model(**batch).last_hidden_state  # (B, N, D)
            if pooling == "cls":
                pooled = hidden[:, 0]
            else:
                mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp_min(1.0)
            vectors.extend(pooled.float().cpu().numpy())
    return vectors
