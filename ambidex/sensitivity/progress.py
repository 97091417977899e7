"""A rich progress bar that is a plain ``progress(done, total)`` callable."""

from __future__ import annotations

import contextlib


@contextlib.contextmanager
def bar(enabled: bool, description: str):
    """Yield ``update(done, total)``; shows a rich bar on stderr when ``enabled``."""
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=Console(stderr=True), transient=False) as p:
        task = p.add_task(description, total=None)

        def update(done, total):
            p.update(task, completed=done, total=total)

        yield update
