"""`vatp extract DIR --engine ray`: clip features computed by Ray actors that keep the backbone loaded.

Videos go to the workers by path (shared storage); the feature arrays come back through Ray's object store
and the driver writes every ``.npy`` itself (atomically), so a stopped run keeps what it finished and the
next run skips the files that exist.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

from ..batch.recording import error_text
from .ray_pool import ACTOR_RESTARTS, AllWorkersDied, first_line, run_on_actors
from .ray_runtime import RayOptions, ray_session, worker_count


@dataclass(frozen=True)
class BackboneFactory:
    """What an actor calls once: the backbone from a pack, from a weights file, or the installed weights."""

    backbone: str
    weights: str | None = None
    pack: str | None = None
    device: str = "auto"
    prefer_weights: str | None = None  # the installed weights the protocol asks for, as the local engine picks

    def __call__(self) -> Any:
        if self.pack:
            from ..pack import resolve_pack

            return resolve_pack(self.pack).load_backbone(self.device)
        from ..features import get_backbone_spec, load_backbone

        name = get_backbone_spec(self.backbone).name
        return load_backbone(name, weights=self.weights, device=self.device, prefer_weights=self.prefer_weights)


class ExtractionActor:
    """One Ray worker: a backbone loaded once, extracting one video after another."""

    def __init__(self, factory: Callable[[], Any], protocol: Any, batch_size: int, use_cache: bool) -> None:
        self.backbone = factory()
        self.protocol = protocol
        self.batch_size = batch_size
        self.use_cache = use_cache

    def ping(self) -> bool:
        return True

    def describe(self) -> tuple[dict[str, str], int]:
        """The backbone's identity (for ``extraction.json``) and feature size."""
        return self.backbone.identity(), int(self.backbone.feature_dim)

    def extract(self, path: str, start: int = 0, end: int | None = None) -> dict[str, Any]:
        """The (n_clips, dim) features, or the one-line reason the video could not be read."""
        from ..features import extract_features

        t0 = time.perf_counter()
        try:
            res = extract_features(
                path,
                self.backbone,
                self.protocol,
                batch_size=self.batch_size,
                use_cache=self.use_cache,
                start=start,
                end=end,
            )
            return {"features": res.features, "n_clips": res.n_clips, "seconds": time.perf_counter() - t0}
        except Exception as exc:
            return {"error": error_text(exc), "seconds": time.perf_counter() - t0}


@dataclass
class ExtractCounts:
    done: int = 0
    failed: int = 0
    clips: int = 0
    backbone: dict[str, str] | None = None  # what the workers loaded
    feature_dim: int = 0


def run_ray_extract(
    jobs: Sequence[tuple[Path, Path, int, int | None]],
    factory: BackboneFactory,
    protocol: Any,
    save: Callable[[Path, Any], None],
    *,
    options: RayOptions = RayOptions(),
    batch_size: int = 8,
    use_cache: bool = True,
    progress: Callable[[str, int, int], None] | None = None,
    on_error: Callable[[Path, str], None] | None = None,  # (target, why)
) -> ExtractCounts:
    """Extract every ``(video, target .npy, first frame, end frame or None)`` on Ray workers (one video may give
    several targets, e.g. the dives of an MTL-AQA recording); ``save(target, features)`` runs here, per target."""
    counts = ExtractCounts()
    targets = {str(target): target for _, target, _, _ in jobs}
    items = [(str(target), (str(Path(video).resolve()), start, end)) for video, target, start, end in jobs]
    total = len(items)

    def on_done(key: str, value: dict[str, Any] | None, died: str) -> None:
        target = targets[key]
        if value is not None and "features" in value:
            save(target, value["features"])
            counts.done += 1
            counts.clips += int(value["n_clips"])
        else:
            counts.failed += 1
            if on_error is not None:
                on_error(target, value["error"] if value else f"not extracted: {died}")
        if progress:
            progress("extract", counts.done + counts.failed, total)

    if not items:
        return counts
    if progress:
        progress("extract", 0, total)
    with ray_session(options) as ray:
        from ray.exceptions import RayActorError

        n_workers, gpus = worker_count(ray, options)
        actor_cls = ray.remote(
            num_cpus=options.cpus_per_worker, num_gpus=gpus, max_restarts=ACTOR_RESTARTS, max_task_retries=0
        )(ExtractionActor)
        actors = [actor_cls.remote(factory, protocol, batch_size, use_cache) for _ in range(min(n_workers, len(items)))]
        try:
            try:
                counts.backbone, counts.feature_dim = ray.get(actors[0].describe.remote())
            except RayActorError as exc:  # the constructor failed: missing weights, unreadable pack
                raise AllWorkersDied(f"the Ray workers could not load the backbone: {first_line(exc)}") from None
            run_on_actors(ray, actors, "extract", items, on_done)
        finally:
            for actor in actors:
                ray.kill(actor)
    return counts
