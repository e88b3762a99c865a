"""Training the fused preset: the token table every routine's text is read from, built once per run.

A fused pack scores with the dive code only, so its text must be the pack's own table, not a text model:
training reads the same rows (each phrase embedded alone, `vatp_core.phrases.token_table`) for every dive,
and the pack stores them. The table covers every phrase a dive code can produce plus those the data uses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from ..datasets.base import DatasetError, FeatureDataset

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

TokenTable = tuple[list[str], "np.ndarray", "np.ndarray"]  # names, rows (N, D) float32, counts (P,) int64


def build_token_table(train_set: FeatureDataset) -> TokenTable:
    """The table for a fused run; DatasetError when the data has no dive codes to announce at scoring."""
    from ..phrases import dive_code_lexicon, token_table

    if not all(s.phrases and str(s.meta.get("dive_number", "")).strip() for s in train_set.samples):
        raise DatasetError(
            "the fused preset (vatp-fused) reads the dive's phrases at scoring time: it needs a dive code and its "
            "phrases for every routine (MTL-AQA)"
        )
    used = [p for s in train_set.samples for p in s.phrases]
    return token_table([*dive_code_lexicon(train_set.phrase_lexicon), *used], train_set.phrase_encoder)


def use_token_table(datasets: Iterable[FeatureDataset | None]) -> None:
    """Give each dataset the fused text (each phrase embedded alone, as `build_token_table` embeds them),
    unless it reads a pack's table already."""
    for ds in datasets:
        if ds is not None and not ds.phrase_tokens_alone:
            ds.use_token_rows()


def use_pack_table(pack, dataset: FeatureDataset) -> None:
    """Evaluating a fused pack: the dataset's phrases read the pack's own token rows (no text model)."""
    import numpy as np

    counts = [int(c) for c in pack.tensors["phrase_token_counts"].tolist()]
    rows = pack.tensors["phrase_tokens"].numpy()
    ends = np.cumsum(counts)
    dataset.use_token_rows({p: rows[e - c : e] for p, e, c in zip(pack.manifest.token_phrases, ends, counts)})
