"""``python -m ambidex.compiled.warmup MODEL METHOD LOCK``: compile a model's kernel into
numba's disk cache (started in the background by :mod:`ambidex.compiled.pytier`).

Runs the model once with ``METHOD`` and tiers off, which makes numba compile and cache the
serial kernel that a single run calls; removes ``LOCK`` when done (also on failure).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    """Compile; exit code 0 on success, 1 when the model could not be run."""
    model, method, lock = argv[:3]
    os.environ["AMBIDEX_TIERED"] = "0"
    try:
        from ..core.model import load_model

        load_model(model).compiled().run(n=1, method=method)
        return 0
    except Exception:  # a background helper: the foreground process reports model errors
        return 1
    finally:
        Path(lock).unlink(missing_ok=True)


if __name__ == "__main__":  # pragma: no cover - started as a process
    sys.exit(main(sys.argv[1:]))
