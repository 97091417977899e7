"""Translate Vensim / XMILE files with PySD into a cache directory.

The cache is keyed by the model file's SHA-256 and the PySD version, so a changed model or a new
PySD re-translates, and nothing is ever written next to the user's model file.  The cache root is
``$AMBIDEX_CACHE`` if set, else the platform's user cache directory.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from pathlib import Path

import platformdirs
import pysd

from .errors import ModelError

SUFFIXES = {".mdl": "vensim", ".xmile": "xmile", ".xml": "xmile", ".stmx": "xmile"}


def cache_root() -> Path:
    """Directory holding every translated model (created on demand)."""
    root = os.environ.get("AMBIDEX_CACHE") or platformdirs.user_cache_dir("ambidex")
    path = Path(root)
    path.mkdir(parents=True, exist_ok=True)
    return path


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


_VENSIM_METHODS = {0: "euler", 1: "rk4", 3: "rk4"}  # 4th field of the settings line '15:'
_XMILE_METHODS = {"euler": "euler", "rk4": "rk4"}


def saved_method(path: str | Path) -> tuple[str | None, str]:
    """The integration method the model file was saved with, and where it says so.

    Vensim keeps it in the sketch settings (``15:0,0,0,M,0,0``: M = 0 Euler, 1 RK4, 3 RK4
    auto), XMILE in ``<sim_specs method="...">``.  Returns ``(method, note)`` with ``method`` one
    of 'euler', 'rk4' or None when the file names none (or one ambidex lacks, said in ``note``).
    """
    text = Path(path).read_text(errors="replace")
    if Path(path).suffix.lower() == ".mdl":
        m = re.search(r"^15:\s*(\d+),(\d+),(\d+),(\d+)", text, re.M)
        if not m:
            return None, "no Vensim settings line"
        code = int(m.group(4))
        if code in _VENSIM_METHODS:
            return _VENSIM_METHODS[code], f"Vensim settings line '{m.group(0)}'"
        return None, f"Vensim settings line '{m.group(0)}' names integration type {code}, not Euler/RK4"
    m = re.search(r"<sim_specs\b[^>]*\bmethod\s*=\s*\"([^\"]*)\"", text)
    if not m:
        return None, "no sim_specs method"
    method = _XMILE_METHODS.get(m.group(1).strip().lower())
    note = f"XMILE sim_specs method=\"{m.group(1)}\""
    return method, note if method else note + " (not Euler/RK4)"


def translate(path: str | Path) -> Path:
    """Translate ``path`` (.mdl or .xmile) and return the generated Python file in the cache.

    Raises :class:`ModelError` naming the file when it is missing, has an unknown suffix, or PySD
    cannot translate it.
    """
    src = Path(path)
    if not src.is_file():
        raise ModelError(f"model file not found: '{src}'")
    kind = SUFFIXES.get(src.suffix.lower())
    if kind is None:
        raise ModelError(
            f"model file '{src}' has suffix '{src.suffix}'; allowed: {', '.join(sorted(SUFFIXES))}"
        )
    digest = file_sha256(src)
    key = f"{src.stem}-{digest[:16]}-pysd{pysd.__version__}"
    target_dir = cache_root() / key
    target_py = target_dir / f"{src.stem}.py"
    if target_py.is_file():
        return target_py
    tmp = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=cache_root()))
    try:
        copy = tmp / src.name
        shutil.copyfile(src, copy)
        reader = pysd.read_vensim if kind == "vensim" else pysd.read_xmile
        try:
            reader(str(copy))
        except Exception as exc:  # PySD raises many kinds; report them as one clear error
            raise ModelError(
                f"PySD could not translate model file '{src}': {type(exc).__name__}: {exc}"
            ) from exc
        if not (tmp / f"{src.stem}.py").is_file():
            raise ModelError(f"PySD produced no Python file for model '{src}'")
        try:
            tmp.rename(target_dir)
        except OSError:
            # another process finished the same translation first: use theirs
            if not target_py.is_file():
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target_py
