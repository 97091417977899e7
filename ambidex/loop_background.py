"""The report's loop analysis, deferred to a background process on a cold cache.

A first ``ambidex run`` on empty caches would spend most of its time finding and scoring the
model's loops for the report (the dual model: 20 009 loops).  The command line instead starts
one detached, low-priority process that computes the loop summary into the disk cache
(:func:`ambidex.loop_summary.report_loop_scores` reads it), and that report says where the
loop dominance will appear.  ``AMBIDEX_DEFER_LOOPS=0`` computes it in the foreground (the
behaviour of the Python API, always).

The process runs :mod:`ambidex.loop_worker` (``python -m ambidex.loop_worker JOB``).
"""

from __future__ import annotations

import os
import pickle
import tempfile
from pathlib import Path

from .core.background import lock_is_fresh, spawn

#: a lock older than this (s) is stale (its process died)
LOCK_STALE_S = 1800.0


def enabled() -> bool:
    """Deferral on unless ``AMBIDEX_DEFER_LOOPS=0``."""
    return os.environ.get("AMBIDEX_DEFER_LOOPS", "1") != "0"


def lock_path(path: Path) -> Path:
    return path.with_name(f".{path.stem}.computing")


def running(path: Path) -> bool:
    """Whether a background process is computing the summary at ``path``."""
    return lock_is_fresh(lock_path(path), LOCK_STALE_S)


def start(model, sc, path: Path) -> bool:
    """Start the background computation of the loop summary of ``model`` along ``sc`` into
    ``path`` (False when one is already running or it could not start)."""
    if running(path):
        return True
    lock = lock_path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        lock.write_text(str(os.getpid()))
        fd, job = tempfile.mkstemp(prefix=".loops-job-", suffix=".pkl", dir=path.parent)
        with os.fdopen(fd, "wb") as f:
            pickle.dump((str(model.path), sc, str(path), str(lock)), f)
    except (OSError, pickle.PicklingError, TypeError, AttributeError):
        lock.unlink(missing_ok=True)
        return False
    if not spawn("ambidex.loop_worker", job):
        lock.unlink(missing_ok=True)
        Path(job).unlink(missing_ok=True)
        return False
    return True
