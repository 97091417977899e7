"""Reading TOML input files with one clear error per failure (shared by every file format)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from .errors import AmbidexError


def read_toml(path: Path, error: type[AmbidexError]) -> dict:
    """Parse the TOML file ``path``; malformed TOML or non-UTF-8 text raises ``error`` naming it."""
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path}: malformed TOML: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise error(f"{path}: not UTF-8 text: {exc}") from exc
