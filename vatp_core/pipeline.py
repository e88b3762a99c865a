"""Scoring a video end to end: index → clip features (through the cache) → VATP-Net → explanation.

`Scorer` keeps the model and the backbone loaded between videos (the GUI worker and batch scoring
reuse one); `score_video` is the one-shot form. Progress stages: "index", "features", "model",
"explain"; the cancel callback is checked between stages and between clips.
"""

from __future__ import annotations

import math
import os
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from .dive_info import DifficultyRequired as DifficultyRequired  # re-exported: callers import it from here
from .dive_info import read_difficulty_sidecar as read_difficulty_sidecar
from .dive_info import resolve_difficulty, resolve_routine_text
from .errors import VATPError, check_cancel
from .pack import ModelPack, PackError, resolve_pack
from .result import PackRecord, ScoreResult, VideoDamage, VideoRecord

if TYPE_CHECKING:  # pragma: no cover
    from .features import ClipFeatures

ProgressFn = Callable[[str, int, int], None]
CancelFn = Callable[[], bool]

DISTRIBUTION_POINTS = 201


def _emit(progress: ProgressFn | None, stage: str, done: int, total: int) -> None:
    if progress is not None:
        progress(stage, done, total)


def gaussian_grid(
    mean: float, std: float, score_range: list[float], n: int = DISTRIBUTION_POINTS
) -> dict[str, list[float]]:
    """The predicted score distribution N(mean, std²) sampled on a grid covering the range and ±4σ."""
    std = max(float(std), 1e-6)
    lo = min(float(score_range[0]), mean - 4 * std)
    hi = max(float(score_range[1]), mean + 4 * std)
    xs = [lo + (hi - lo) * i / (n - 1) for i in range(n)]
    norm = 1.0 / (std * math.sqrt(2 * math.pi))
    pdf = [norm * math.exp(-0.5 * ((x - mean) / std) ** 2) for x in xs]
    return {"x": xs, "pdf": pdf}


class Scorer:
    """A pack's model and backbone, loaded once on one device, scoring one video after another."""

    def __init__(
        self,
        pack: ModelPack | str | os.PathLike | None = None,
        device: str = "auto",
        precision: str = "auto",
        level: float | None = None,
    ) -> None:
        import torch

        from .devices import resolve_device
        from .trust import DEFAULT_LEVEL, check_level

        self.level = check_level(DEFAULT_LEVEL if level is None else level)  # of the calibrated interval

        self.pack = pack if isinstance(pack, ModelPack) else resolve_pack(pack)
        self.device = resolve_device(device)
        self.precision = precision  # backbone autocast: "auto" (bf16/fp16 on CUDA), "fp32", "bf16", "fp16"
        self.protocol = self.pack.protocol()
        self.model = self.pack.build_model(self.device)
        self.backbone = self.pack.load_backbone(self.device)
        cfg = self.model.cfg
        if self.backbone.feature_dim != cfg.in_dim:
            raise PackError(
                f"Pack {self.pack.name!r}: its {self.backbone.name} backbone gives {self.backbone.feature_dim}-d "
                f"features but the model expects {cfg.in_dim}-d."
            )
        phr = self.pack.phrase_embeddings
        self._phrases = (
            phr.to(self.device, torch.float32)[None] if phr is not None and cfg.use_text and len(phr) else None
        )
        base = self.pack.baseline_subactions
        self._baseline = base.double().numpy() if base is not None else None
        self._model_lock = threading.Lock()

    def close(self) -> None:
        """Release the model and backbone (and their GPU memory) when switching packs or devices."""
        import torch

        self.model = None
        self.backbone = None
        self._phrases = None
        if self.device.type == "cuda":
            torch.cuda.empty_cache()

    def __repr__(self) -> str:
        return f"Scorer(pack={self.pack.name!r}, device={str(self.device)!r})"

    # ------------------------------------------------------------------------------ two halves
    def features(
        self,
        video: str | os.PathLike,
        *,
        progress: ProgressFn | None = None,
        cancel: CancelFn | None = None,
        use_cache: bool = True,
        reader: Any = None,
    ) -> "ClipFeatures":
        """Decode + backbone (or the feature cache): the part batch scoring runs ahead on another thread.

        ``reader``: the video already open (its index is not built twice)."""
        from .features import extract_features

        check_cancel(cancel)
        return extract_features(
            video,
            self.backbone,
            self.protocol,
            progress=progress,
            cancel=cancel,
            use_cache=use_cache,
            precision=self.precision,
            reader=reader,
        )

    def score_features(
        self,
        video: str | os.PathLike,
        features: "ClipFeatures",
        *,
        progress: ProgressFn | None = None,
        cancel: CancelFn | None = None,
        difficulty: float | None = None,
        dive_code: str | None = None,
        timings: dict[str, float] | None = None,
        timestamps: list[float] | None = None,
        level: float | None = None,
    ) -> ScoreResult:
        """Model + explanation on features already extracted, with the calibrated interval and the OOD check.

        ``timestamps`` (seconds of each frame) make segment times exact on variable-frame-rate videos;
        without them times are frame / fps. ``level`` overrides the scorer's interval level.
        """
        import numpy as np
        import torch

        from .explain import explain
        from .trust import assess, check_level

        timings = dict(timings or {})
        dd = resolve_difficulty(self.pack, video, difficulty, dive_code)
        routine = resolve_routine_text(self.pack, video, dive_code)  # a fused pack reads the dive's phrases
        phrases = routine.tokens.to(self.device)[None] if routine is not None else self._phrases
        check_cancel(cancel)
        m = self.pack.manifest
        _emit(progress, "model", 0, 1)
        t0 = time.perf_counter()
        feats = np.array(features.features, dtype=np.float32)  # a writable copy (cache arrays may be read-only)
        if feats.ndim != 2 or feats.shape[0] == 0:
            raise VATPError("The video gave no clip features to score.")
        if feats.shape[1] != self.model.cfg.in_dim:
            raise PackError(f"Features are {feats.shape[1]}-d but the pack's model expects {self.model.cfg.in_dim}-d.")
        with self._model_lock, torch.inference_mode():
            x = torch.from_numpy(feats).to(self.device)[None]
            out = self.model(x, phrases=phrases)
            mu = float(out.mu[0])
            sigma = float(out.sigma[0])
            attention = out.attention[0].double().cpu().numpy() if out.attention is not None else None
            subactions = out.subactions[0].double().cpu().numpy() if out.subactions is not None else None
            text = out.text[0].double().cpu().numpy() if out.text is not None else None
            context = out.context if self.model.cfg.use_fusion else None
        names = m.phrases
        if routine is not None and text is not None:  # one vector per phrase of the dive, to name the sub-actions
            ends = np.cumsum(routine.counts)
            text = np.stack([text[e - c : e].mean(axis=0) for e, c in zip(ends, routine.counts)])
            names = list(routine.phrases)
        timings["model"] = time.perf_counter() - t0
        _emit(progress, "model", 1, 1)
        check_cancel(cancel)

        _emit(progress, "explain", 0, 1)
        t0 = time.perf_counter()
        std_n, mean_n = m.score_norm["std"], m.score_norm["mean"]
        factor = dd if dd is not None else 1.0
        raw_mean = mu * std_n + mean_n
        mean = raw_mean * factor
        std = sigma * std_n * factor
        trust = assess(
            self.pack.trust,
            raw_mean=raw_mean,
            raw_sigma=sigma * std_n,
            features=feats,
            factor=factor,
            score_range=m.score_range,
            level=self.level if level is None else check_level(level),
        )

        def value_fn(batch: "np.ndarray") -> "np.ndarray":
            with self._model_lock, torch.inference_mode():
                t = torch.as_tensor(batch, dtype=torch.float32, device=self.device)
                return self.model.head(t, context)[0].double().cpu().numpy()

        info = features.video
        n_frames = int(info.n_frames)
        fps = float(info.fps or 25.0)
        ex = explain(
            attention,
            features.clip_ranges,
            n_frames,
            fps,
            mean=mean,
            subactions=subactions,
            baseline=self._baseline,
            value_fn=value_fn if self._baseline is not None else None,
            phrase_vectors=text,
            phrases=names,
            names=m.subaction_names,
            scale=std_n * factor,
            offset=mean_n * factor,
            timestamp=(lambda i: timestamps[min(i, len(timestamps) - 1)]) if timestamps else None,
        )
        timings["explain"] = time.perf_counter() - t0
        _emit(progress, "explain", 1, 1)

        video_record = VideoRecord(
            path=str(Path(video).resolve()),
            name=Path(video).name,
            n_frames=n_frames,
            fps=fps,
            duration=float(info.duration),
            width=int(info.width),
            height=int(info.height),
            content_hash=_content_hash(features, video),
            features_from_cache=bool(getattr(features, "from_cache", False)),
        )
        for key, value in (getattr(features, "timings", None) or {}).items():
            if isinstance(value, (int, float)) and not isinstance(value, bool) and not key.endswith("_per_s"):
                timings.setdefault(f"features.{key}", float(value))
        timings["total"] = sum(v for k, v in timings.items() if "." not in k and k != "total")
        return ScoreResult(
            video=video_record,
            pack=PackRecord.from_dict(self.pack.info()),
            mean=mean,
            std=std,
            difficulty=dd,
            dive_code=routine.dive_code if routine is not None else ((dive_code or "").strip().upper() or None),
            raw_mean=raw_mean,
            distribution=gaussian_grid(mean, std, m.score_range),
            clip_ranges=[[int(a), int(b)] for a, b in features.clip_ranges],
            attention=ex.attention,
            subaction_names=ex.subaction_names,
            segments=ex.segments,
            contributions=ex.contributions,
            baseline_mean=ex.baseline_mean,
            cumulative=ex.cumulative,
            damage=VideoDamage.from_frames(
                getattr(features, "corrupt_frames", None) or [], bool(getattr(info, "truncated", False))
            ),
            timings={k: round(float(v), 6) for k, v in timings.items()},
            interval=trust["interval"],
            ood=trust["ood"],
            out_of_range=trust["out_of_range"],
        )

    # ------------------------------------------------------------------------------ all of it
    def score(
        self,
        video: str | os.PathLike,
        *,
        progress: ProgressFn | None = None,
        cancel: CancelFn | None = None,
        difficulty: float | None = None,
        dive_code: str | None = None,
        use_cache: bool = True,
    ) -> ScoreResult:
        """Score one video (see module docstring for the stages)."""
        from .video import open_video

        # A missing difficulty or dive code is reported before any decoding.
        resolve_difficulty(self.pack, video, difficulty, dive_code)
        resolve_routine_text(self.pack, video, dive_code)
        timings: dict[str, float] = {}
        check_cancel(cancel)
        _emit(progress, "index", 0, 1)
        t0 = time.perf_counter()
        with open_video(video, prefetch=False) as reader:  # clear error now for a file that is not a usable video
            n = len(reader)
            all_stamps = reader.timestamps()
            # raises VideoTooShortError for a video shorter than one clip
            self.protocol.clip_ranges(n, timestamps=all_stamps)
            stamps = [float(t) for t in all_stamps]
            timings["index"] = time.perf_counter() - t0
            _emit(progress, "index", 1, 1)
            check_cancel(cancel)

            t0 = time.perf_counter()
            feats = self.features(video, progress=progress, cancel=cancel, use_cache=use_cache, reader=reader)
            timings["features"] = time.perf_counter() - t0
        return self.score_features(
            video,
            feats,
            progress=progress,
            cancel=cancel,
            difficulty=difficulty,
            dive_code=dive_code,
            timings=timings,
            timestamps=stamps,
        )


def _content_hash(features: Any, video: str | os.PathLike) -> str:
    h = getattr(features, "content_hash", None)
    if h:
        return str(h)
    from .identity import content_id

    return content_id(video)


def score_video(
    path: str | os.PathLike,
    pack: ModelPack | str | os.PathLike | None = None,
    device: str = "auto",
    progress: ProgressFn | None = None,
    cancel: CancelFn | None = None,
    difficulty: float | None = None,
    dive_code: str | None = None,
    use_cache: bool = True,
    level: float | None = None,
) -> ScoreResult:
    """Score one video with a pack (a ModelPack, a path, an installed name, or None for the default);
    ``level`` is the coverage of the calibrated interval (default 0.9)."""
    scorer = Scorer(pack, device, level=level)
    return scorer.score(
        path, progress=progress, cancel=cancel, difficulty=difficulty, dive_code=dive_code, use_cache=use_cache
    )
