"""``python -m ambidex.loop_worker JOB``: the background half of :mod:`ambidex.loop_background`.

``JOB`` is a pickle of (model path, scenario, cache path, lock path); the process computes the
report's loop summary into the cache path and removes the lock when done, also on failure.
"""

from __future__ import annotations

import pickle
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    """Compute and store one summary; exit code 0 when stored, 1 otherwise."""
    job = Path(argv[0])
    lock = None
    try:
        with open(job, "rb") as f:
            model_path, sc, path, lock = pickle.load(f)
        job.unlink(missing_ok=True)
        from .core.model import load_model
        from .loop_summary import _analysed_summary, _store

        summary = _analysed_summary(load_model(model_path), sc)
        if summary is None:
            return 1
        _store(summary, Path(path))
        return 0
    except Exception:  # a background helper: the foreground reports what it can
        return 1
    finally:
        job.unlink(missing_ok=True)
        if lock is not None:
            Path(lock).unlink(missing_ok=True)


if __name__ == "__main__":  # pragma: no cover - started as a process
    sys.exit(main(sys.argv[1:]))
