"""Spread work items over long-lived Ray actors; a worker that dies is restarted by Ray and its item retried.

Each actor keeps its model loaded between items and has up to two items queued, so the next one starts the
moment the current one ends. The actor methods turn ordinary failures into values themselves; what reaches
this loop as an exception is the death of the worker process (killed, out of memory, a crash in native
code). Ray restarts the actor (loading its model again) and the item is resubmitted; an item that takes its
worker down every time becomes a failure after ``max_attempts``.
"""

from __future__ import annotations

import logging
from collections import Counter, deque
from typing import Any, Callable, Sequence

from ..errors import VATPError

log = logging.getLogger(__name__)

ACTOR_RESTARTS = 8  # per actor, over the run: enough for a few killed workers, finite for a crash at start-up
IN_FLIGHT_PER_ACTOR = 2
PING_TIMEOUT_S = 600.0  # a restarted actor loads its model again before it answers


class AllWorkersDied(VATPError):
    """No Ray worker is left alive; what was finished is saved."""


def run_on_actors(
    ray: Any,
    actors: Sequence[Any],
    method: str,
    items: Sequence[tuple[str, tuple]],
    on_done: Callable[[str, Any, str], None],
    *,
    max_attempts: int = 3,
) -> None:
    """Call ``actor.<method>(*args)`` for every ``(key, args)``; ``on_done(key, value, error)`` runs here, in order
    of completion, once per key: ``value`` is what the method returned, ``error`` says why the item's worker died."""
    from ray.exceptions import GetTimeoutError, RayActorError, WorkerCrashedError

    dead_errors = (RayActorError, WorkerCrashedError)
    queue: deque[tuple[str, tuple]] = deque(items)
    in_flight: dict[Any, tuple[int, str, tuple]] = {}
    load: Counter = Counter()
    attempts: Counter = Counter()
    alive = set(range(len(actors)))
    last_death = ""
    while queue or in_flight:
        for a in sorted(alive):
            while queue and load[a] < IN_FLIGHT_PER_ACTOR:
                key, args = queue.popleft()
                in_flight[getattr(actors[a], method).remote(*args)] = (a, key, args)
                load[a] += 1
        if not in_flight:
            raise AllWorkersDied(
                f"every Ray worker died ({last_death}); {len(queue)} item(s) not done; what finished is saved, "
                "run the same command again to resume"
            )
        (ref,), _ = ray.wait(list(in_flight), num_returns=1)
        a, key, args = in_flight.pop(ref)
        load[a] -= 1
        try:
            value = ray.get(ref)
        except dead_errors as exc:
            attempts[key] += 1
            last_death = first_line(exc)
            log.warning("Ray worker %d died on %s (attempt %d): %s", a, key, attempts[key], last_death)
            try:
                ray.get(actors[a].ping.remote(), timeout=PING_TIMEOUT_S)  # restarted by Ray, model loaded again
            except (*dead_errors, GetTimeoutError):
                alive.discard(a)  # out of restarts, or it cannot start any more
            if attempts[key] < max_attempts:
                queue.appendleft((key, args))
            else:
                on_done(key, None, f"its Ray worker died each of {attempts[key]} times it was tried ({last_death})")
            continue
        on_done(key, value, "")


def first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__
