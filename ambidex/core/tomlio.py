"""Reading TOML input files with one clear error per failure (shared by every file format)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from .errors import AmbidexError


def read_toml(path: Path, error: type[AmbidexError]) -> dict:
    """Parse the TOML file ``path``; malformed TOML or non-UTF-8 text raises ``error`` naming it."""
    return parse_toml(Path(path).read_bytes(), path, error)


def parse_toml(raw: bytes, path: Path, error: type[AmbidexError]) -> dict:
    """Parse ``raw``, the bytes of the TOML file ``path``, as :func:`read_toml` reads a file
    (UTF-8, universal newlines); malformed TOML or non-UTF-8 text raises ``error`` naming it."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(f"{path}: not UTF-8 text: {exc}") from exc
    if "\r" in text:  # as a text-mode read gives it: \r\n and \r become \n
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path}: malformed TOML: {exc}") from exc
