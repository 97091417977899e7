"""The report's diagram layouts, deferred to a background process on a cold cache.

Laying out the report's two diagrams (:mod:`ambidex.layouts`) takes 30 ms of minimisation but
first imports networkx and scipy.optimize: 0.8-1.0 s, a fifth of a first ``ambidex run`` on
empty caches.  While :func:`deferred` is active, a layout not yet cached is noted instead of
computed (the report draws a line saying the diagram is being laid out); :func:`start` then
hands the noted layouts to one detached, low-priority process
(``python -m ambidex.layout_background JOB``) that computes them into the cache, where the next
report finds them.  The positions are the ones the foreground would have computed (the same
function writes them).  Only the command line defers (``AMBIDEX_DEFER_LOOPS=0`` turns this off
with the loop analysis); the Python API always lays out in place.
"""

from __future__ import annotations

import os
import pickle
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

from . import layouts

#: a lock older than this (s) is stale (its process died)
LOCK_STALE_S = 600.0


@contextmanager
def deferred():
    """Within this block :func:`ambidex.layouts.kamada_kawai` returns None for a layout not
    cached and notes it; yields the list of noted ``(nodes, edges, weight)``."""
    previous, layouts._PENDING = layouts._PENDING, []
    try:
        yield layouts._PENDING
    finally:
        layouts._PENDING = previous


def _lock(path: Path) -> Path:
    return path.with_name(f".{path.stem}.computing")


def running(path: Path) -> bool:
    """Whether a background process is laying out the graph whose cache file is ``path``."""
    from .core.background import lock_is_fresh

    return lock_is_fresh(_lock(path), LOCK_STALE_S)


def start(pending: list) -> bool:
    """Start one background process laying out ``pending`` (from :func:`deferred`) into the
    cache, leaving out layouts another process is computing; False when none could start."""
    from .core.background import spawn

    jobs, locks = [], []
    for nodes, edges, weight in pending:
        path = layouts.layout_path(nodes, edges, weight)
        if running(path) or str(path) in (j[0] for j in jobs):
            continue
        try:
            _lock(path).write_text(str(os.getpid()))
        except OSError:
            continue
        jobs.append((str(path), nodes, edges, weight))
        locks.append(str(_lock(path)))
    if not jobs:
        return bool(pending)
    try:
        fd, job = tempfile.mkstemp(prefix=".layouts-job-", suffix=".pkl",
                                   dir=Path(locks[0]).parent)
        with os.fdopen(fd, "wb") as f:
            pickle.dump((jobs, locks), f)
    except OSError:
        for lock in locks:
            Path(lock).unlink(missing_ok=True)
        return False
    if not spawn("ambidex.layout_background", job):
        for lock in locks:
            Path(lock).unlink(missing_ok=True)
        Path(job).unlink(missing_ok=True)
        return False
    return True


def main(argv: list[str]) -> int:
    """Compute the layouts of job file ``argv[0]`` into the cache; 0 when all are stored."""
    job = Path(argv[0])
    locks: list[str] = []
    try:
        with open(job, "rb") as f:
            jobs, locks = pickle.load(f)
        job.unlink(missing_ok=True)
        for path, nodes, edges, weight in jobs:
            layouts.compute_into(Path(path), nodes, edges, weight)
        return 0
    except Exception:  # a background helper: the foreground lays out what is still missing
        return 1
    finally:
        job.unlink(missing_ok=True)
        for lock in locks:
            Path(lock).unlink(missing_ok=True)


if __name__ == "__main__":  # pragma: no cover - started as a process
    sys.exit(main(sys.argv[1:]))
