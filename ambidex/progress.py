"""The one progress bar of the package (rich, on stderr), with the calls its users make:
``advance(k)`` (ensemble chunks), ``update(k)`` and ``set_postfix(**values)`` (the calibration
estimators), ``close()``; :func:`bar` gives ``update(done, total)`` for sensitivity analyses."""

from __future__ import annotations

import contextlib


class Bar:
    """A rich progress bar of ``total`` steps titled ``description`` (``total`` None: unknown)."""

    def __init__(self, description: str, total: int | None = None):
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._description = description
        self._p = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                           TimeElapsedColumn(), TimeRemainingColumn(),
                           console=Console(stderr=True), transient=False)
        self._p.start()
        self._task = self._p.add_task(description, total=total)

    def advance(self, k: int = 1) -> None:
        """``k`` more steps done."""
        self._p.advance(self._task, k)

    update = advance  # tqdm's name for it

    def set_postfix(self, **values) -> None:
        """Show ``name=value`` pairs after the description (e.g. the best cost so far)."""
        extra = " ".join(f"{k}={v}" for k, v in values.items())
        self._p.update(self._task, description=f"{self._description} {extra}")

    def set(self, done: int, total: int | None) -> None:
        """``done`` of ``total`` steps."""
        self._p.update(self._task, completed=done, total=total)

    def close(self) -> None:
        self._p.stop()


class NoBar:
    """The same calls, doing nothing (progress off)."""

    def advance(self, k: int = 1) -> None:
        pass

    update = advance

    def set_postfix(self, **values) -> None:
        pass

    def set(self, done: int, total: int | None) -> None:
        pass

    def close(self) -> None:
        pass


def progress_bar(enabled: bool, description: str, total: int | None = None):
    """A :class:`Bar` when ``enabled``, else a :class:`NoBar`."""
    return Bar(description, total) if enabled else NoBar()


@contextlib.contextmanager
def bar(enabled: bool, description: str):
    """Yield ``update(done, total)`` (None when not ``enabled``); closes the bar on exit."""
    if not enabled:
        yield None
        return
    b = Bar(description)
    try:
        yield b.set
    finally:
        b.close()
