"""Translate Vensim / XMILE files with PySD into a cache directory.

The cache is keyed by the model file's SHA-256 and the PySD version, so a changed model or a new
PySD re-translates, and nothing is ever written next to the user's model file.  The cache root is
``$AMBIDEX_CACHE`` if set, else the platform's user cache directory.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import warnings
from pathlib import Path

from .errors import ModelError
from .paths import translations_dir

SUFFIXES = {".mdl": "vensim", ".xmile": "xmile", ".xml": "xmile", ".stmx": "xmile"}


def cache_root() -> Path:
    """Directory holding every translated model (created on demand)."""
    return translations_dir()


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def model_file(path: str | Path) -> tuple[Path, str]:
    """``(path, "vensim" | "xmile")``; :class:`ModelError` naming the file when it is missing,
    not a file, or has a suffix PySD does not read."""
    src = Path(path)
    if src.is_dir():
        raise ModelError(f"model file '{src}' is a folder; give a .mdl or .xmile file")
    if not src.is_file():
        raise ModelError(f"model file not found: '{src}'")
    kind = SUFFIXES.get(src.suffix.lower())
    if kind is None:
        raise ModelError(
            f"model file '{src}' has suffix '{src.suffix}'; allowed: {', '.join(sorted(SUFFIXES))}"
        )
    return src, kind


def translate(path: str | Path) -> Path:
    """Translate ``path`` (.mdl or .xmile) and return the generated Python file in the cache.

    Raises :class:`ModelError` naming the file when it is missing, has an unknown suffix, or PySD
    cannot translate it.
    """
    src, kind = model_file(path)
    import pysd  # heavy: only when a model is translated

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
            with warnings.catch_warnings():  # a file without {UTF-8} header: PySD assumes UTF-8
                warnings.filterwarnings("ignore", message="No encoding specified", category=UserWarning)
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
