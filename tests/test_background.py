"""Background processes (the numba compile, the deferred loop analysis) run niced, and on Linux
with autogroup scheduling their own session's group is niced too: otherwise a process niced
inside a new session takes as much CPU as the foreground ``ambidex run``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ambidex.core import background

SHOW = ("import os\n"
        "try:\n    ag = open('/proc/self/autogroup').read().split()[-1]\n"
        "except OSError:\n    ag = ''\n"
        "print(os.nice(0), ag)\n")


@pytest.mark.skipif(os.name != "posix", reason="preexec_fn is POSIX only")
def test_a_background_process_and_its_autogroup_are_niced():
    p = subprocess.run([sys.executable, "-c", SHOW], start_new_session=True,
                       preexec_fn=background.preexec(), capture_output=True, text=True, check=True)
    nice, group = p.stdout.split() + [""] * (2 - len(p.stdout.split()))
    assert int(nice) == min(19, os.nice(0) + background.NICE)
    if Path("/proc/self/autogroup").exists():
        assert group == str(background.NICE)


def test_both_background_starters_use_it(tmp_path, monkeypatch):
    from ambidex import loop_background
    from ambidex.compiled import pytier

    seen = []

    class FakePopen:
        def __init__(self, cmd, **kw):
            seen.append((cmd[2], kw.get("preexec_fn"), kw.get("start_new_session")))

    monkeypatch.setattr(subprocess, "Popen", FakePopen)
    monkeypatch.setenv("AMBIDEX_BACKGROUND_COMPILE", "1")
    assert pytier.start_background_compile(tmp_path / "m.py", "_dopri1", tmp_path / "m.mdl",
                                           "dopri5")

    class M:
        path = tmp_path / "m.mdl"

    assert loop_background.start(M(), "baseline", tmp_path / "loops" / "s.npz")
    want = background.lower_priority if os.name == "posix" else None
    assert seen == [("ambidex.compiled.warmup", want, True), ("ambidex.loop_worker", want, True)]
