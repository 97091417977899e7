"""A rich progress bar that is a plain ``progress(done, total)`` callable (the package's one bar,
:mod:`ambidex.progress`)."""

from __future__ import annotations

from ..progress import bar

__all__ = ["bar"]
