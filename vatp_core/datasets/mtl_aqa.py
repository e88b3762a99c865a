"""MTL-AQA diving (Parmar & Morris, CVPR 2019) as CoRe prepared it.

Annotations: ``final_annotations_dict_with_dive_number.pkl`` (1412 dives keyed by (video, dive)) and
``train_split_0.pkl`` / ``test_split_0.pkl`` (1059 / 353 keys), read with the restricted unpickler.
Features: one file per dive, ``<features>/<video:02d>_<dive:02d>.npy`` (10 clips × 1024 I3D, the
103-frame protocol ``i3d-mtl``; ``<video>_<dive>.npy`` is accepted too). The model regresses
score ÷ difficulty degree and predictions are multiplied back (as CoRe, and the paper, do).
Sub-action phrases come from the dive number (e.g. 407C → Inward / 3.5 Soms.Tuck / 0 Twist / Entry).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ..safe_pickle import safe_load
from .base import DatasetError, FeatureDataset, Sample, find_file, full_range, with_sources

MTL_CLASSES: tuple[str, ...] = ("diving",)
MTL_EPOCHS: dict[str, int] = {"diving": 200}  # not stated in the paper; CoRe's schedule
ANNOTATION_FILE = "final_annotations_dict_with_dive_number.pkl"
SPLIT_FILES = {"train": "train_split_0.pkl", "test": "test_split_0.pkl"}
LEXICON_FILE = "Sub_action_Types_Table.pkl"


def mtl_annotation_dir(features: Path | None, annotations: str | Path | None) -> Path:
    """The folder holding the annotation pickle: given, else beside or above the features."""
    dirs = [Path(annotations) if annotations else None]
    if features is not None:
        dirs += [Path(features), Path(features).parent]
    found = find_file(ANNOTATION_FILE, *dirs)
    if found is None:
        raise DatasetError(
            f"{ANNOTATION_FILE} not found in {annotations or features} or its parent; pass --annotations DIR"
        )
    return found.parent


def load_lexicon(ann_dir: Path) -> list[str] | None:
    """FineDiving's sub-action names (id order), looked up beside the annotations or in ../finediving."""
    found = find_file(LEXICON_FILE, ann_dir, ann_dir.parent / "finediving", ann_dir / "finediving")
    if found is None:
        return None
    table = safe_load(found)
    if not isinstance(table, dict):
        raise DatasetError(f"{found}: expected a dict of sub-action names")
    return [str(table[k]) for k in sorted(table)]


def read_mtl_annotations(ann_dir: Path) -> tuple[dict, dict[str, list]]:
    """The annotation dict and the train/test key lists."""
    ann = safe_load(ann_dir / ANNOTATION_FILE)
    if not isinstance(ann, dict):
        raise DatasetError(f"{ann_dir / ANNOTATION_FILE}: expected a dict keyed by (video, dive)")
    splits = {}
    for name, fname in SPLIT_FILES.items():
        path = ann_dir / fname
        if not path.is_file():
            raise DatasetError(f"MTL-AQA split file missing: {path}")
        keys = [tuple(int(v) for v in k) for k in safe_load(path)]
        unknown = [k for k in keys if k not in ann]
        if unknown:
            raise DatasetError(f"{path}: {len(unknown)} keys not in the annotations (first {unknown[0]})")
        splits[name] = keys
    return ann, splits


def dive_phrases(a: dict, lexicon: list[str] | None) -> tuple[str, ...]:
    """Phrases from the dive number; from the annotated fields for the 27 codes with no somersault (e.g. '300B')."""
    from ..phrases import PhraseError, dive_code_phrases, mtl_aqa_phrases

    code = str(a.get("dive_number", ""))
    try:
        return tuple(dive_code_phrases(code, lexicon))
    except PhraseError:
        return tuple(
            mtl_aqa_phrases(
                int(a["rotation_type"]),
                int(a["ss_no"]),
                int(a["tw_no"]),
                int(a["position"]),
                bool(a.get("armstand", 0)),
            )
        )


def feature_name(key: tuple[int, int]) -> str:
    return f"{key[0]:02d}_{key[1]:02d}"


def video_files(videos: str | Path) -> dict[str, Path]:
    """The videos of a folder by file stem (``01``, ``01_02`` …)."""
    from ..video.formats import is_video_filename

    folder = Path(videos)
    if not folder.is_dir():
        raise DatasetError(f"not a folder of MTL-AQA videos: {folder}")
    return {p.stem: p for p in sorted(folder.iterdir()) if p.is_file() and is_video_filename(p.name)}


def dive_video(key: tuple[int, int], a: dict, files: dict[str, Path]) -> tuple[Path, int, int | None] | None:
    """(video, first frame, end frame exclusive) of one dive, or None when the folder has no video for it.

    A dive's own clip ``<video:02d>_<dive:02d>.<ext>`` is used whole; otherwise the competition video
    ``<video:02d>.<ext>`` (or ``<video>.<ext>``) from start_frame to end_frame inclusive (frame numbers as the
    annotations give them, counted from 0).
    """
    v, d = int(key[0]), int(key[1])
    own = files.get(feature_name((v, d)))
    if own is not None:
        return own, 0, None
    whole = files.get(f"{v:02d}") or files.get(str(v))
    if whole is None:
        return None
    start, end = int(a["start_frame"]), int(a["end_frame"])
    if end < start:
        raise DatasetError(f"dive {key} ends (frame {end}) before it starts (frame {start})")
    return whole, start, end + 1


def video_jobs(annotations: str | Path, videos: str | Path) -> tuple[list[tuple[str, Path, int, int | None]], int]:
    """What `vatp extract --mtl-annotations` does: (feature name, video, first frame, end frame exclusive) per dive.

    Videos are found as `dive_video` says. Returns the jobs in key order and how many dives have no video.
    """
    path = Path(annotations)
    path = path / ANNOTATION_FILE if path.is_dir() else path
    if not path.is_file():
        raise DatasetError(f"MTL-AQA annotation file not found: {path}")
    ann = safe_load(path)
    if not isinstance(ann, dict) or not all(isinstance(k, tuple) and len(k) == 2 for k in ann):
        raise DatasetError(f"{path}: expected a dict keyed by (video, dive)")
    files = video_files(videos)
    jobs: list[tuple[str, Path, int, int | None]] = []
    missing = 0
    for key in sorted(ann):
        try:
            found = dive_video(key, ann[key], files)
        except DatasetError as exc:
            raise DatasetError(f"{path}: {exc}") from None
        if found is None:
            missing += 1
            continue
        jobs.append((feature_name((int(key[0]), int(key[1]))), *found))
    return jobs, missing


def _with_videos(samples: list[Sample], videos: str | Path, split: str) -> list[Sample]:
    """Each dive's video and frame range (meta ``video_start`` / ``video_end``); one error lists what is missing."""
    files = video_files(videos)
    out, missing = [], []
    for s in samples:
        found = dive_video(tuple(s.meta["key"]), s.meta, files)
        if found is None:
            missing.append(s.name)
            continue
        video, start, end = found
        out.append(replace(s, source=video, meta={**s.meta, "video_start": start, "video_end": end}))
    if missing:
        raise DatasetError(
            f"{len(missing)} dives of the MTL-AQA {split} split have no video in {videos} (first: {missing[0]}); "
            "expected <video>.mp4 (the competition video) or <video>_<dive>.mp4"
        )
    return out


def load_mtl_aqa(
    features: str | Path,
    split: str = "train",
    *,
    annotations: str | Path | None = None,
    phrase_encoder: str = "hash",
    with_phrases: bool = True,
    videos: str | Path | None = None,
    backbone: str | None = None,
    backbone_weights=None,
    device: str = "auto",
    progress=None,
    cancel=None,
) -> FeatureDataset:
    """The 1059-dive train or 353-dive test set, target = final score ÷ difficulty.

    With ``videos`` (a folder of the competition videos or per-dive clips) the samples are the dives' videos:
    features are extracted with ``backbone`` (default I3D; ``backbone_weights`` a file or state dict, else the
    installed weights) and the ``i3d-mtl`` protocol, as `vatp extract` does, and the dataset's ``extractor``
    holds that backbone for training it end to end.
    """
    if split not in SPLIT_FILES:
        raise DatasetError(f"MTL-AQA split must be 'train' or 'test', not {split!r}")
    features = Path(features)
    ann_dir = mtl_annotation_dir(features, annotations)
    ann, splits = read_mtl_annotations(ann_dir)
    lexicon = load_lexicon(ann_dir) if with_phrases else None
    samples = []
    for key in splits[split]:
        a = ann[key]
        code = str(a.get("dive_number", ""))
        phrases = dive_phrases(a, lexicon) if with_phrases else ()
        samples.append(
            Sample(
                name=feature_name(key),
                score=float(a["final_score"]),
                difficulty=float(a["difficulty"]),
                phrases=phrases,
                meta={
                    "key": list(key),
                    "dive_number": code,
                    "start_frame": int(a["start_frame"]),
                    "end_frame": int(a["end_frame"]),
                    "judge_scores": [float(v) for v in a.get("judge_scores", [])],
                },
            )
        )
    extractor = None
    if videos is not None:
        from .generic import VideoFeatures

        samples = _with_videos(samples, videos, split)
        extractor = VideoFeatures(backbone or "i3d", "i3d-mtl", device, progress, cancel, backbone_weights)
    else:
        samples = with_sources(
            samples,
            features,
            lambda s: (f"{s.name}.npy", f"{s.meta['key'][0]}_{s.meta['key'][1]}.npy", f"{s.name}.npz", f"{s.name}.pkl"),
        )
    rng = full_range([float(a["final_score"]) for a in ann.values()])
    source = f"videos in {videos}" if videos is not None else str(ann_dir)
    return FeatureDataset(
        samples,
        dataset="mtl",
        cls="diving",
        split=split,
        score_range=rng,
        difficulty_mode="divide",
        protocol="i3d-mtl",
        backbone=(backbone or "i3d") if videos is not None else "i3d",
        feature_root=Path(videos) if videos is not None else features,
        phrase_encoder=phrase_encoder,
        loader=extractor,
        extractor=extractor,
        description=f"MTL-AQA diving, final score ÷ DD, CoRe split_0 {split} ({source})",
    )
