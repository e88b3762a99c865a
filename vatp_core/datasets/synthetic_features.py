"""Generated clip features in the published RG / Fis-V and MTL-AQA layouts, for tests and for checking the trainer.

Each routine is a sequence of ``n_parts`` sub-actions of random length (plus idle clips between them).
A sub-action's clips carry its prototype vector plus its quality times a quality direction; the score is
a weighted sum of the sub-action qualities minus a penalty when two sub-actions are performed out of
order. Segment lengths vary and the quality directions overlap, so mean pooling recovers the score only in
part (on Ball after 10 epochs with validation selection: ρ ≈ 0.65 for the `mlp` preset, ≈ 0.77 for `te+pd`):
the temporal structure matters, as in a real routine.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .rg import RG_CLASSES


@dataclass(frozen=True)
class SyntheticSpec:
    dim: int = 1024
    n_parts: int = 4
    clips: tuple[int, int] = (60, 80)
    noise: float = 0.5
    order_penalty: float = 3.0
    seed: int = 0


def make_routine(
    rng: np.random.Generator, protos: np.ndarray, dirs: np.ndarray, spec: SyntheticSpec, idle: np.ndarray
) -> tuple[np.ndarray, float]:
    """One routine's (T, dim) features and its score."""
    n_parts = spec.n_parts
    t_total = int(rng.integers(spec.clips[0], spec.clips[1] + 1))
    quality = rng.uniform(0.0, 1.0, size=n_parts)
    order = np.arange(n_parts)
    swapped = rng.random() < 0.3
    if swapped:
        k = int(rng.integers(0, n_parts - 1))
        order[k], order[k + 1] = order[k + 1], order[k]
    weights = np.linspace(1.0, 2.0, n_parts)
    score = 5.0 + 3.0 * float(np.dot(weights, quality)) - (spec.order_penalty if swapped else 0.0)
    # random segment lengths with idle gaps
    cuts = np.sort(rng.choice(np.arange(1, t_total), size=2 * n_parts, replace=False))
    bounds = np.concatenate([[0], cuts, [t_total]])
    feats = np.empty((t_total, spec.dim), dtype=np.float32)
    for j in range(2 * n_parts + 1):
        a, b = bounds[j], bounds[j + 1]
        if j % 2 == 1:  # a sub-action
            k = order[j // 2]
            feats[a:b] = protos[k] + (2.0 * quality[k] - 1.0) * dirs[k]
        else:
            feats[a:b] = idle
    feats += rng.normal(0.0, spec.noise, size=feats.shape).astype(np.float32)
    return feats, round(score, 2)


def _bases(spec: SyntheticSpec, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    protos = rng.normal(0.0, 1.0, size=(spec.n_parts, spec.dim)).astype(np.float32)
    shared = rng.normal(0.0, 1.0, size=spec.dim).astype(np.float32)
    dirs = (0.5 * shared + rng.normal(0.0, 1.0, size=(spec.n_parts, spec.dim))).astype(np.float32)
    idle = rng.normal(0.0, 0.5, size=spec.dim).astype(np.float32)
    return protos, dirs, idle


def write_synthetic_rg(
    folder: str | Path,
    *,
    classes: tuple[str, ...] = RG_CLASSES,
    n_train: int = 200,
    n_test: int = 50,
    spec: SyntheticSpec = SyntheticSpec(),
) -> Path:
    """Write ``<folder>/<Class>_NNN.npy`` and ``train.txt`` / ``test.txt`` exactly as the RG release lays them out."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    lines: dict[str, list[str]] = {"train": [], "test": []}
    header = "Video_Name\tDifficulty_Score    Execution_Score Total_Score\tPenalty\tVideo_length"
    for ci, cls in enumerate(classes):
        rng = np.random.default_rng([spec.seed, ci])
        protos, dirs, idle = _bases(spec, rng)
        order = rng.permutation(n_train + n_test)
        for j in range(n_train + n_test):
            feats, score = make_routine(rng, protos, dirs, spec, idle)
            name = f"{cls}_{j + 1:03d}"
            np.save(folder / f"{name}.npy", feats)
            split = "train" if order[j] < n_train else "test"
            d = round(score * 0.55, 2)
            lines[split].append(f"{name}\t{d:.2f}\t{score - d:.2f}\t{score:.2f}\t0.00\t{feats.shape[0] * 32 // 25}")
    for split, rows in lines.items():
        (folder / f"{split}.txt").write_text("\n".join([header] + rows) + "\n", encoding="utf-8")
    return folder


def write_synthetic_mtl(
    folder: str | Path, annotations: str | Path, *, dim: int = 1024, noise: float = 0.5, seed: int = 0
) -> Path:
    """``<folder>/<video:02d>_<dive:02d>.npy`` (10 clips × dim, the i3d-mtl layout) for every annotated dive.

    The real MTL-AQA annotations give the targets: each dive's four sub-actions (clips 0-2, 3-5, 6-7, 8-9)
    carry a prototype plus their quality times a quality direction, the qualities scattering around the
    dive's standardised final score ÷ difficulty, so the features predict the score in part.
    """
    from .mtl_aqa import feature_name, mtl_annotation_dir, read_mtl_annotations

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    ann, _ = read_mtl_annotations(mtl_annotation_dir(None, annotations))
    keys = sorted(ann)
    target = np.array([float(ann[k]["final_score"]) / max(float(ann[k]["difficulty"]), 1e-6) for k in keys])
    z = (target - target.mean()) / (target.std() or 1.0)
    rng = np.random.default_rng(seed)
    protos, dirs, _ = _bases(SyntheticSpec(dim=dim, n_parts=4, seed=seed), rng)
    part_of_clip = np.array([0, 0, 0, 1, 1, 1, 2, 2, 3, 3])
    for key, zk in zip(keys, z):
        quality = zk + rng.normal(0.0, 0.5, size=4)
        feats = protos[part_of_clip] + (quality[part_of_clip, None] * dirs[part_of_clip])
        feats = feats + rng.normal(0.0, noise, size=feats.shape)
        np.save(folder / f"{feature_name(key)}.npy", feats.astype(np.float32))
    return folder


def main(argv: list[str] | None = None) -> int:
    """``python -m vatp_core.datasets.synthetic_features OUT``: write a generated RG-layout feature set."""
    import argparse

    p = argparse.ArgumentParser(
        prog="python -m vatp_core.datasets.synthetic_features",
        description="Write generated clip features + train.txt/test.txt in the RG layout.",
    )
    p.add_argument("out")
    p.add_argument("--dim", type=int, default=1024)
    p.add_argument("--train", type=int, default=200)
    p.add_argument("--test", type=int, default=50)
    p.add_argument("--classes", default=",".join(RG_CLASSES))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--mtl",
        default=None,
        metavar="ANNOTATIONS_DIR",
        help="write MTL-AQA-layout features instead, one per dive of this folder's annotation files",
    )
    a = p.parse_args(argv)
    if a.mtl:
        print(f"wrote {write_synthetic_mtl(a.out, a.mtl, dim=a.dim, seed=a.seed)}")
        return 0
    folder = write_synthetic_rg(
        a.out,
        classes=tuple(c.strip() for c in a.classes.split(",")),
        n_train=a.train,
        n_test=a.test,
        spec=SyntheticSpec(dim=a.dim, seed=a.seed),
    )
    print(f"wrote {folder}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
