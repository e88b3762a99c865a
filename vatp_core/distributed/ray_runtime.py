"""Connect to a Ray cluster, or start a private one on 127.0.0.1 for the run, and size the worker pool.

Without an address a local Ray instance is started for this run only: bound to the loopback address, with
the dashboard and usage statistics off, and shut down when the run ends.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from typing import Any, Iterator

from ..errors import VATPError

INSTALL_HINT = 'Ray is not installed: pip install -e ".[distributed]" (or pip install "ray>=2.9")'


class RayUnavailable(VATPError):
    """`--engine ray` without the optional ray package, or a cluster that cannot be reached."""


def import_ray() -> Any:
    """The ray module, with usage statistics off; a one-line install hint when it is missing."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    try:
        import ray
    except ImportError:
        raise RayUnavailable(INSTALL_HINT) from None
    return ray


@dataclass(frozen=True)
class RayOptions:
    """Where to run and how to cut the cluster into workers."""

    address: str | None = None  # None: a private local instance; "auto" or HOST:PORT: an existing cluster
    workers: int | None = None  # None: one per GPU (per gpus_per_worker), else one per CPU
    gpus_per_worker: float = 1.0
    cpus_per_worker: float = 1.0
    num_cpus: int | None = None  # CPUs of a private local instance (default: this machine's)


@contextlib.contextmanager
def ray_session(options: RayOptions) -> Iterator[Any]:
    """Ray connected for the duration of the block (a private local instance is shut down after it)."""
    if not options.address:
        _loopback_only()
    ray = import_ray()
    started_here = False
    if not ray.is_initialized():
        try:
            if options.address:
                ray.init(address=options.address, include_dashboard=False, log_to_driver=False)
            else:
                ray.init(
                    num_cpus=options.num_cpus or os.cpu_count() or 1,
                    include_dashboard=False,
                    _node_ip_address="127.0.0.1",
                    log_to_driver=False,
                )
        except (ConnectionError, RuntimeError, ValueError) as exc:
            where = options.address or "a local instance"
            raise RayUnavailable(f"cannot start or reach Ray ({where}): {str(exc).splitlines()[0]}") from None
        started_here = True
    try:
        yield ray
    finally:
        if started_here:
            ray.shutdown()


def _loopback_only() -> None:
    """Make a private instance use 127.0.0.1 for every address it binds, in this process and its children.

    Ray otherwise replaces a loopback node address by the machine's routable one (so that other nodes could
    join); the variable it reads for desktop systems switches that off everywhere.
    """
    os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
    try:
        from ray._private import ray_constants
    except ImportError:
        return
    ray_constants.ENABLE_RAY_CLUSTER = False  # already imported: the constant was read before the variable


def worker_count(ray: Any, options: RayOptions) -> tuple[int, float]:
    """(number of actors, GPUs each): one per GPU group where the cluster has GPUs, else one per CPU slot."""
    resources = ray.cluster_resources()
    gpus = float(resources.get("GPU", 0.0))
    cpus = float(resources.get("CPU", 1.0))
    per_gpu = options.gpus_per_worker if gpus > 0 and options.gpus_per_worker > 0 else 0.0
    if options.workers:
        return max(1, options.workers), per_gpu
    if per_gpu:
        return max(1, int(gpus // per_gpu)), per_gpu
    return max(1, int(cpus // max(options.cpus_per_worker, 1e-3))), 0.0
