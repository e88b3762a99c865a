"""Sub-action frame accuracy of a model's parse, beside the plain guess of cutting every routine into S equal parts.

Where a dataset's videos carry ground-truth frame labels (SynthAQA: ``<video>.json`` beside each video with one
``frame_labels`` entry per frame, the sub-action index or −1 for idle frames), each video's parse is the one the
app shows: the ParseFormer's attention put in routine order and segmented by `vatp_core.explain`, mapped to
frames through the clip ranges of the dataset's protocol. The share of frames whose label it gets right is
averaged over the videos, over all frames and over the sub-action (non-idle) frames only; the equal-parts split
labels every frame ``floor(S · frame / n_frames)``. A parse that does not beat equal parts has learnt no timing.
"""

from __future__ import annotations

import json
from typing import Any, Sequence

import numpy as np

from ..datasets.base import FeatureDataset
from ..explain import explain, frame_labels_from_segments


def frame_truth(dataset: FeatureDataset, i: int) -> np.ndarray | None:
    """The ground-truth label of every frame of video ``i`` (from the JSON beside it), or None when it has none."""
    src = dataset.samples[i].source
    if src is None:
        return None
    meta_path = src.with_suffix(".json")
    if not meta_path.is_file():
        return None
    try:
        labels = json.loads(meta_path.read_text(encoding="utf-8")).get("frame_labels")
        out = np.asarray(labels, dtype=np.int64)
    except (OSError, ValueError, TypeError, AttributeError):
        return None
    return out if out.ndim == 1 and out.size > 0 else None


def equal_parts(n_frames: int, parts: int) -> np.ndarray:
    """Every frame labelled with its part when the video is cut into ``parts`` equal parts."""
    return (np.arange(n_frames, dtype=np.int64) * parts) // max(n_frames, 1)


def parse_frames(
    attention: np.ndarray,
    clip_ranges: Sequence[Sequence[int]],
    n_frames: int,
    subactions: np.ndarray | None = None,
    phrase_vectors: np.ndarray | None = None,
) -> np.ndarray:
    """Per-frame sub-action of the model's parse (routine order, −1 idle), segmented exactly as scoring does."""
    ex = explain(attention, clip_ranges, n_frames, 25.0, mean=0.0, subactions=subactions, phrase_vectors=phrase_vectors)
    return frame_labels_from_segments(ex.segments, n_frames)


def frame_scores(pred: np.ndarray, truth: np.ndarray) -> tuple[float, float | None]:
    """(share of all frames right, share of the sub-action frames right — None when every frame is idle)."""
    right = pred == truth
    active = truth >= 0
    return float(right.mean()), float(right[active].mean()) if active.any() else None


def summarise_frames(pairs: Sequence[tuple[np.ndarray, np.ndarray]], parts: int) -> dict[str, Any] | None:
    """The report entry for (parse, truth) frame labels of several videos, with the equal-parts split beside it."""
    if not pairs:
        return None
    parse = [frame_scores(p, t) for p, t in pairs]
    equal = [frame_scores(equal_parts(len(t), parts), t) for _, t in pairs]

    def mean(vals: list[float | None]) -> float | None:
        kept = [v for v in vals if v is not None]
        return round(float(np.mean(kept)), 4) if kept else None

    return {
        "n_videos": len(pairs),
        "subactions": parts,
        "parse": mean([a for a, _ in parse]),
        "equal_parts": mean([a for a, _ in equal]),
        "parse_active": mean([b for _, b in parse]),
        "equal_parts_active": mean([b for _, b in equal]),
    }


def _clip_ranges(dataset: FeatureDataset, n_frames: int) -> list[tuple[int, int]] | None:
    extractor = dataset.extractor
    protocol = getattr(extractor, "protocol", None) if extractor is not None else None
    return protocol.clip_ranges(n_frames) if protocol is not None else None


def subaction_frame_accuracy(
    model, dataset: FeatureDataset, *, phrase_embeddings=None, device="cpu"
) -> dict[str, Any] | None:
    """Frame accuracy of ``model``'s parse on the videos of ``dataset`` that carry frame labels (None if none do,
    or the model has no ParseFormer). ``phrase_embeddings`` (L, D): the pack's phrases, as scoring passes them."""
    import torch

    if getattr(model, "parseformer", None) is None or dataset.extractor is None:
        return None
    labelled = [(i, t) for i in range(len(dataset)) if (t := frame_truth(dataset, i)) is not None]
    if not labelled:
        return None
    dev = torch.device(device) if isinstance(device, str) else device
    phrases = None
    if phrase_embeddings is not None and model.cfg.use_text and len(phrase_embeddings):
        phrases = torch.as_tensor(phrase_embeddings, dtype=torch.float32, device=dev)[None]
    pairs = []
    was_training = model.training
    model.eval()
    try:
        for i, truth in labelled:
            feats = dataset.features(i)
            ranges = _clip_ranges(dataset, len(truth))
            if ranges is None or len(ranges) != feats.shape[0]:
                continue  # the labels do not describe the frames these features came from
            with torch.inference_mode():
                out = model(torch.as_tensor(feats, dtype=torch.float32, device=dev)[None], phrases=phrases)
            if out.attention is None:
                return None
            sub = out.subactions[0].double().cpu().numpy() if out.subactions is not None else None
            text = out.text[0].double().cpu().numpy() if out.text is not None else None
            attention = out.attention[0].double().cpu().numpy()
            pairs.append((parse_frames(attention, ranges, len(truth), sub, text), truth))
    finally:
        model.train(was_training)
    return summarise_frames(pairs, int(model.cfg.n_queries))


def pack_frame_accuracy(pack, dataset: FeatureDataset, device: str = "auto") -> dict[str, Any] | None:
    """`subaction_frame_accuracy` of a model pack, with the phrases the pack scores with (`vatp eval`)."""
    from ..devices import resolve_device

    dev = resolve_device(device)
    return subaction_frame_accuracy(
        pack.build_model(dev), dataset, phrase_embeddings=pack.phrase_embeddings, device=dev
    )
