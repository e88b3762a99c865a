"""Turn a training run into a model pack whose manifest says what it was trained on and how well it did."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from ..datasets.base import FeatureDataset
from .trainer import TrainResult


def _protocol_and_backbone(
    train_set: FeatureDataset, backbone: str | None, protocol: str | None, record: dict[str, Any] | None = None
):
    """(backbone name, weights hash, backbone state to ship or None, protocol dict) for the manifest; for given
    features, what their ``extraction.json`` (``record``) says made them."""
    from ..protocols import get_protocol

    ex = train_set.extractor
    if ex is not None:  # trained from videos: record exactly what made the features
        loaded = ex.backbone
        # a backbone whose weights are nowhere else ships in the pack: the tiny one, and any fine-tuned one
        ships = getattr(loaded.spec, "ships_in_pack", False) or bool(getattr(loaded, "extra", {}).get("fine_tuned"))
        state = loaded.module.state_dict() if ships else None
        return loaded.spec.name, getattr(loaded, "weights_hash", "") or "", state, ex.protocol.to_dict()
    from ..features.record import recorded_for_pack

    name = backbone or train_set.backbone or "unknown"
    proto_name = protocol or train_set.protocol or "generic"
    weights_hash, _, recorded_protocol = recorded_for_pack(record, name)
    return name, weights_hash, None, recorded_protocol or get_protocol(proto_name).to_dict()


def backbone_weights_used(
    train_set: FeatureDataset, backbone: str, protocol: str | None, record: dict[str, Any] | None = None
) -> str:
    """Which backbone weights made (or, for given features, are taken to have made) the features: the weights id."""
    from ..features import get_backbone_spec
    from ..features.known_weights import preferred_weights_id
    from ..features.record import recorded_for_pack

    ex = train_set.extractor
    if ex is not None:
        return getattr(ex.backbone, "weights_id", "") or getattr(ex.backbone, "weights_source", "")
    if recorded := recorded_for_pack(record, backbone)[1]:
        return recorded
    try:
        spec = get_backbone_spec(backbone)
    except Exception:  # an unknown backbone: nothing to say
        return ""
    return preferred_weights_id(spec.name, protocol) or spec.weights_id or ""


def backbone_problem(train_set: FeatureDataset, backbone: str | None = None) -> str | None:
    """Why a pack from these features could not score videos (feature size ≠ the backbone's), or None."""
    if train_set.extractor is not None:
        return None
    name = backbone or train_set.backbone
    if not name:
        return (
            f"the backbone that made these {train_set.feature_dim}-d features is unknown: "
            "pass --backbone NAME so the pack can score videos"
        )
    from ..features import get_backbone_spec

    try:
        spec = get_backbone_spec(name)
    except Exception as exc:  # unknown name: the features module says which ones exist
        return str(exc)
    if spec.feature_dim != train_set.feature_dim:
        return (
            f"these features are {train_set.feature_dim}-d but the {spec.name} backbone gives {spec.feature_dim}-d; "
            "a pack must use features of the backbone that will score the videos"
        )
    return None


def subaction_names(train_set: FeatureDataset, n_queries: int) -> list[str]:
    """The routine's sub-action names in order: the most common phrase at each position when every routine lists
    S phrases, else "Sub-action k". Scoring names the k-th sub-action found in time with the k-th name."""
    return routine_template(train_set, n_queries) or [f"Sub-action {k + 1}" for k in range(n_queries)]


def routine_template(train_set: FeatureDataset, n: int) -> list[str] | None:
    """The typical ordered phrase list (most common phrase at each position) when every routine lists n phrases."""
    sets = [s.phrases for s in train_set.samples if s.phrases]
    if not sets or len(sets) != len(train_set) or any(len(p) != n for p in sets):
        return None
    return [Counter(p[k] for p in sets).most_common(1)[0][0] for k in range(n)]


def pack_phrases(train_set: FeatureDataset, n_queries: int) -> tuple[list[str], np.ndarray | None]:
    """The ordered phrases a pack carries (with embeddings, so scoring needs no text model): the routine template.

    Scoring feeds them to the context decoder and orders the sub-actions by the phrase each one matches, so
    they must be one routine's ordered list; without a common template (phrase counts differ) there are none
    and sub-actions are ordered by attention.
    """
    phrases = routine_template(train_set, n_queries) or []
    if not phrases:
        return [], None
    from ..phrases import embed_phrases

    return phrases, np.asarray(embed_phrases(phrases, encoder=train_set.phrase_encoder), dtype=np.float32)


def difficulty_table(train_set: FeatureDataset) -> dict[str, float]:
    """Dive code → difficulty degree, for codes with one DD in the training data (others depend on the board height)."""
    seen: dict[str, set[float]] = {}
    for s in train_set.samples:
        code = str(s.meta.get("dive_number", "")).strip().upper()
        if code and s.difficulty:
            seen.setdefault(code, set()).add(round(float(s.difficulty), 2))
    return {code: next(iter(dds)) for code, dds in sorted(seen.items()) if len(dds) == 1}


def save_trained_pack(
    path: str | Path,
    result: TrainResult,
    train_set: FeatureDataset,
    *,
    name: str | None = None,
    test_metrics: dict[str, Any] | None = None,
    test_set: FeatureDataset | None = None,
    sport: str = "",
    event: str = "",
    description: str = "",
    label: str = "",
    not_for_judging: bool = False,
    backbone: str | None = None,
    protocol: str | None = None,
    backbone_state: dict | None = None,
    extra_training: dict[str, Any] | None = None,
    trust=None,
    trust_report: dict[str, Any] | None = None,
    zip: bool = False,
    features_record: dict[str, Any] | None = None,
) -> Path:
    """Write the trained model as a pack; the manifest records data, split, preset, selection, metrics, protocol, backbone.

    ``features_record``: the given features' ``extraction.json``; the pack then scores with the weights (by hash)
    and the clip protocol that made them."""
    from ..pack import PackError, PackManifest, save_pack

    problem = backbone_problem(train_set, backbone)
    if problem:
        raise PackError(f"Cannot write a model pack: {problem}.")
    bb_name, bb_hash, bb_state, proto = _protocol_and_backbone(train_set, backbone, protocol, features_record)
    if backbone_state is not None:
        bb_state = backbone_state
    cfg = result.cfg
    phrases, phrase_emb = pack_phrases(train_set, cfg.n_queries) if cfg.use_text else ([], None)
    n_queries = cfg.n_queries if cfg.use_pd else 1
    data = train_set.info()
    training = {
        "data": data,
        "dataset": train_set.dataset,
        "class": train_set.cls,
        "split": {
            "train": train_set.split,
            "n_train": len(train_set),
            "test": test_set.split if test_set is not None else None,
            "n_test": len(test_set) if test_set is not None else None,
        },
        "preset": cfg.preset_name,
        "backbone": bb_name,
        "backbone_weights": backbone_weights_used(train_set, bb_name, proto.get("name"), features_record),
        "protocol": proto.get("name"),
        "preprocess": proto.get("preprocess"),
        **result.summary(),
        "history": [
            {
                "epoch": h.epoch,
                "loss": round(h.loss, 5),
                "val_spearman": None if h.val_spearman is None else round(h.val_spearman, 5),
            }
            for h in result.history
        ],
        **(extra_training or {}),
    }
    metrics: dict[str, Any] = {"selection": result.selection, "best_epoch": result.best_epoch}
    if result.val_metrics:
        metrics["selection_set"] = {
            k: result.val_metrics[k] for k in ("spearman", "rl2", "mse", "n") if k in result.val_metrics
        }
    if test_metrics:
        keep = ("spearman", "rl2", "mse", "mae", "n", "frame_accuracy")
        metrics["test"] = {k: test_metrics[k] for k in keep if k in test_metrics}
    if trust_report:  # Spearman CI, interval coverage and width, the two baselines, beats_ridge
        metrics.setdefault("test", {}).update(trust_report)
    lo, hi = train_set.score_range
    manifest = PackManifest(
        name=name or f"{train_set.dataset}-{train_set.cls}-{cfg.preset_name}".lower(),
        backbone=bb_name,
        backbone_weights_hash=bb_hash,
        protocol=proto,
        model_config=cfg.to_dict(),
        score_range=[float(lo), float(hi)],
        score_norm=dict(result.score_norm),
        difficulty=train_set.difficulty_mode,
        sport=sport,
        event=event or train_set.cls,
        description=description or train_set.description,
        not_for_judging=not_for_judging,
        label=label,
        subaction_names=subaction_names(train_set, n_queries) if cfg.use_pd else [],
        phrases=phrases,
        training=training,
        metrics=metrics,
    )
    if result.token_table is not None:  # a fused pack: dive codes snap to the names the training data used
        manifest.phrase_lexicon = list(train_set.phrase_lexicon or [])
    if train_set.difficulty_mode == "divide" and hasattr(manifest, "difficulty_table"):
        manifest.difficulty_table = difficulty_table(train_set)
    baseline = result.baseline_subactions
    return save_pack(
        path,
        manifest,
        result.model,
        phrase_embeddings=phrase_emb,
        phrase_tokens=result.token_table,
        baseline_subactions=baseline,
        backbone_state=bb_state,
        trust=trust,
        zip=zip,
    )
