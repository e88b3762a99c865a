"""MTL-AQA diving (Parmar & Morris, CVPR 2019) as CoRe prepared it.

Annotations: ``final_annotations_dict_with_dive_number.pkl`` (1412 dives keyed by (video, dive)) and
``train_split_0.pkl`` / ``test_split_0.pkl`` (1059 / 353 keys), read with the restricted unpickler.
Features: one file per dive, ``<features>/<video:02d>_<dive:02d>.npy`` (10 clips × 1024 I3D, the
103-frame protocol ``i3d-mtl``; ``<video>_<dive>.npy`` is accepted too). The model regresses
score ÷ difficulty degree and predictions are multiplied back (as CoRe, and the paper, do).
Sub-action phrases come from the dive number (e.g. 407C → Inward / 3.5 Soms.Tuck / 0 Twist / Entry).
"""

from __future__ import annotations

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


def video_jobs(annotations: str | Path, videos: str | Path) -> tuple[list[tuple[str, Path, int, int | None]], int]:
    """What `vatp extract --mtl-annotations` does: (feature name, video, first frame, end frame exclusive) per dive.

    A dive's own clip ``<video:02d>_<dive:02d>.<ext>`` is used whole; otherwise the competition video
    ``<video:02d>.<ext>`` (or ``<video>.<ext>``) from start_frame to end_frame inclusive (frame numbers as the
    annotations give them, counted from 0). Returns the jobs in key order and how many dives have no video.
    """
    from ..video.formats import is_video_filename

    path = Path(annotations)
    path = path / ANNOTATION_FILE if path.is_dir() else path
    if not path.is_file():
        raise DatasetError(f"MTL-AQA annotation file not found: {path}")
    ann = safe_load(path)
    if not isinstance(ann, dict) or not all(isinstance(k, tuple) and len(k) == 2 for k in ann):
        raise DatasetError(f"{path}: expected a dict keyed by (video, dive)")
    folder = Path(videos)
    files = {p.stem: p for p in sorted(folder.iterdir()) if p.is_file() and is_video_filename(p.name)}
    jobs: list[tuple[str, Path, int, int | None]] = []
    missing = 0
    for key in sorted(ann):
        v, d = int(key[0]), int(key[1])
        name = feature_name((v, d))
        if name in files:
            jobs.append((name, files[name], 0, None))
            continue
        whole = files.get(f"{v:02d}") or files.get(str(v))
        if whole is None:
            missing += 1
            continue
        a = ann[key]
        start, end = int(a["start_frame"]), int(a["end_frame"])
        if end < start:
            raise DatasetError(f"{path}: dive {key} ends (frame {end}) before it starts (frame {start})")
        jobs.append((name, whole, start, end + 1))
    return jobs, missing


def load_mtl_aqa(
    features: str | Path,
    split: str = "train",
    *,
    annotations: str | Path | None = None,
    phrase_encoder: str = "hash",
    with_phrases: bool = True,
) -> FeatureDataset:
    """The 1059-dive train or 353-dive test set, target = final score ÷ difficulty."""
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
    samples = with_sources(
        samples,
        features,
        lambda s: (f"{s.name}.npy", f"{s.meta['key'][0]}_{s.meta['key'][1]}.npy", f"{s.name}.npz", f"{s.name}.pkl"),
    )
    rng = full_range([float(a["final_score"]) for a in ann.values()])
    ds = FeatureDataset(
        samples,
        dataset="mtl",
        cls="diving",
        split=split,
        score_range=rng,
        difficulty_mode="divide",
        protocol="i3d-mtl",
        backbone="i3d",
        feature_root=features,
        phrase_encoder=phrase_encoder,
        description=f"MTL-AQA diving, final score ÷ DD, CoRe split_0 {split} ({ann_dir})",
    )
    ds.phrase_lexicon = lexicon
    return ds
