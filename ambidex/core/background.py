"""Starting a detached background process that yields the CPU to the foreground.

``ambidex run`` starts such processes on a cold cache: the numba compile of the model's
kernels (:func:`ambidex.compiled.pytier.start_background_compile`), the report's deferred loop
analysis (:mod:`ambidex.loop_background`) and diagram layouts
(:mod:`ambidex.layout_background`).  Both run in a session of their own
(``start_new_session``), so that they outlive the command.  On Linux with autogroup scheduling
(``/proc/sys/kernel/sched_autogroup_enabled``), a new session is a new scheduling group, and the
CPU is shared between groups first: ``os.nice`` inside the group then ranks the process only
against its own group, and a niced background process took as much CPU as the foreground run
(measured: a 1.35 s loop beside two such processes took 2.2-2.3 s, beside two whose group was
niced too 1.0-1.6 s, load 1.7-2).  :func:`lower_priority` therefore also sets the new group's
nice value (``/proc/self/autogroup``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

#: the nice value of background processes (and of their autogroup)
NICE = 10


def lower_priority() -> None:
    """``preexec_fn`` of a background process started with ``start_new_session=True``: nice
    the process and, where the kernel groups by session (Linux autogroup), its group.  Never
    raises: a system without either runs it at the normal priority."""
    try:
        os.nice(NICE)
    except (AttributeError, OSError):
        pass
    try:
        with open("/proc/self/autogroup", "w") as f:
            f.write(str(NICE))
    except OSError:
        pass


def preexec():
    """The ``preexec_fn`` for :class:`subprocess.Popen`: :func:`lower_priority` on POSIX,
    None elsewhere (Windows has no ``preexec_fn``)."""
    return lower_priority if os.name == "posix" else None


def lock_is_fresh(lock: Path, stale_s: float) -> bool:
    """Whether the lock file ``lock`` of a background process exists and is younger than
    ``stale_s`` seconds (an older one was left by a process that died)."""
    try:
        return lock.exists() and time.time() - lock.stat().st_mtime < stale_s
    except OSError:
        return False


def spawn(module: str, *args: str, env: dict | None = None) -> bool:
    """Start ``python -m module args...`` detached (its own session, no terminal, at lower
    priority) with this package importable and ``env`` added to the environment; False when it
    could not start."""
    env = {**os.environ, **(env or {})}
    pkg_root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (pkg_root, env.get("PYTHONPATH")) if p)
    try:
        subprocess.Popen([sys.executable, "-m", module, *args], env=env,
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True,
                         preexec_fn=preexec())
    except OSError:
        return False
    return True
