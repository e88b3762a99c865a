"""The ``--engine local|ray`` options shared by `vatp batch` and `vatp extract` (not a command of its own)."""

from __future__ import annotations

import argparse


def add_engine_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("scaling out with Ray (needs the [distributed] extra)")
    g.add_argument(
        "--engine",
        default="local",
        choices=("local", "ray"),
        help="local: this process; ray: long-lived Ray workers, one per GPU (or per CPU), each keeping "
        "the model loaded; videos are sent by path, so DIR must be on storage every node sees",
    )
    g.add_argument(
        "--address",
        default=None,
        metavar="auto|HOST:PORT",
        help="Ray cluster to join (default: start a private one on 127.0.0.1 for this run)",
    )
    g.add_argument(
        "--workers", type=int, default=None, metavar="N", help="Ray workers (default: one per GPU, else one per CPU)"
    )
    g.add_argument(
        "--gpus-per-worker", type=float, default=1.0, metavar="G", help="GPUs each Ray worker holds (default 1)"
    )


def ray_options(args: argparse.Namespace):
    """The RayOptions the flags ask for (a CLIError for impossible values)."""
    from . import CLIError

    if args.workers is not None and args.workers < 1:
        raise CLIError("--workers must be at least 1")
    if args.gpus_per_worker < 0:
        raise CLIError("--gpus-per-worker must not be negative")
    from ..distributed.ray_runtime import RayOptions

    return RayOptions(address=args.address, workers=args.workers, gpus_per_worker=args.gpus_per_worker)
