"""Translate Vensim / XMILE files with PySD into a cache directory.

The cache is keyed by the model file's SHA-256 and the PySD version, so a changed model or a new
PySD re-translates, and nothing is ever written next to the user's model file.  The cache root is
``$AMBIDEX_CACHE`` if set, else the platform's user cache directory.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import os
import pickle
import re
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


#: bumped whenever the pre-pass or the staging changes what PySD reads, so that translations
#: and parses cached by an older ambidex are not reused
TRANSLATOR_VERSION = "4"
#: the pre-pass code itself is part of the key too, so an edited pre-pass never meets a stale cache
_PREPASS_HASH = hashlib.sha256(b"".join(
    (Path(__file__).parent / f).read_bytes() for f in ("translate.py", "xmile_prepass.py", "xmile_modules.py",
                                                       "xmile_builtins.py", "xmile_equations.py",
                                                       "xmile_reader.py")
)).hexdigest()[:6]
DATA_SUFFIXES = (".csv", ".tab", ".tsv", ".txt", ".dat", ".xls", ".xlsx", ".ods", ".nc", ".vdf")


def cache_key(src: Path) -> str:
    """Cache key of a model: its stem, a hash of its bytes, of the folder it sits in and of the
    data files beside it that it names, the PySD version and :data:`TRANSLATOR_VERSION`."""
    h = hashlib.sha256(src.read_bytes())
    h.update(str(src.resolve().parent).encode())
    text = src.read_text(errors="replace")
    for f in sorted(src.parent.iterdir()):
        if f.is_file() and f.suffix.lower() in DATA_SUFFIXES and f.name in text:
            h.update(f.name.encode() + f.read_bytes())
    return f"{src.stem}-{h.hexdigest()[:16]}-pysd{_pysd_version()}-t{TRANSLATOR_VERSION}{_PREPASS_HASH}"


def _pysd_version() -> str:
    """PySD's version from its package metadata (importing PySD itself costs a second)."""
    from importlib import metadata

    try:
        return metadata.version("pysd")
    except metadata.PackageNotFoundError:  # pragma: no cover - an unusual install
        import pysd

        return pysd.__version__


_INLINE_COMMENT = re.compile(r"\{[^{}]*\}")
_MACRO = re.compile(r":MACRO:.*?:END OF MACRO:", re.S | re.I)


def prepass(text: str, kind: str) -> str:
    """The model text as PySD's translator can read it.

    Vensim: inline ``{comments}`` inside equations (Vensim ignores them, PySD's grammar does
    not) are removed from the equation part, keeping the ``{UTF-8}`` header; macro definitions
    move to the top (PySD's splitter fails on a macro after a group header).  XMILE: modules
    flattened by :func:`ambidex.core.xmile_modules.flatten_modules`, Stella's ``PI`` and
    ``MEAN(a, b)`` by :func:`ambidex.core.xmile_builtins.stella_builtins`, then graphical functions as
    :func:`ambidex.core.xmile_prepass.graphical_functions` rewrites them.
    """
    if kind != "vensim":
        from .xmile_builtins import stella_builtins
        from .xmile_modules import flatten_modules
        from .xmile_prepass import graphical_functions

        return graphical_functions(stella_builtins(flatten_modules(text)))
    marker = text.find("\\\\\\---///")
    head, tail = (text, "") if marker < 0 else (text[:marker], text[marker:])
    utf8 = head.lstrip().startswith("{UTF-8}")
    if utf8:
        head = head.lstrip()[len("{UTF-8}"):]
    head = _INLINE_COMMENT.sub(" ", head)
    macros = _MACRO.findall(head)
    if macros:  # PySD's splitter fails on a macro after a group header: macros go first
        head = "\n".join(macros) + "\n" + _MACRO.sub("", head)
    return ("{UTF-8}\n" if utf8 else "") + head + tail


def _stage(src: Path, kind: str, folder: Path) -> Path:
    """Write the pre-passed model into ``folder`` beside links to every other file and folder
    next to the model (data files it reads by relative name); return the staged model path."""
    for entry in src.parent.iterdir():
        if entry.name != src.name and not entry.name.startswith("."):
            try:
                (folder / entry.name).symlink_to(entry.resolve())
            except OSError:  # no symlinks here: copy small data files instead
                if entry.is_file() and entry.stat().st_size < 50_000_000:
                    shutil.copyfile(entry, folder / entry.name)
    staged = folder / src.name
    staged.write_text(prepass(src.read_text(errors="replace"), kind), encoding="utf-8")
    return staged


def translate(path: str | Path) -> Path:
    """Translate ``path`` (.mdl or .xmile) and return the generated Python file in the cache.

    Raises :class:`ModelError` naming the file when it is missing, has an unknown suffix, or PySD
    cannot translate it.
    """
    src, kind = model_file(path)
    key = cache_key(src)
    target_dir = cache_root() / key
    target_py = target_dir / f"{src.stem}.py"
    if target_py.is_file():
        return target_py
    tmp = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=cache_root()))
    try:
        copy = _stage(src, kind, tmp)
        try:
            with warnings.catch_warnings():  # a file without {UTF-8} header: PySD assumes UTF-8
                warnings.filterwarnings("ignore", message="No encoding specified", category=UserWarning)
                _build(src, kind, copy)
        except Exception as exc:  # PySD raises many kinds; report them as one clear error
            if isinstance(exc, ModelError) and exc.__cause__ is not None:  # abstract_model's
                exc = exc.__cause__
            msg = str(exc).replace(str(tmp), str(src.parent))  # name the user's folder
            msg = msg.replace(str(cache_root() / "staged" / key), str(src.parent))
            msg = "; ".join(part.strip() for part in msg.splitlines() if part.strip())  # one line
            raise ModelError(
                f"PySD could not translate model file '{src}'{_where(exc, src)}: "
                f"{type(exc).__name__}: {msg}") from exc
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


def _build(src: Path, kind: str, copy: Path) -> None:
    """What ``pysd.read_vensim`` / ``read_xmile`` do to ``copy`` (the staged model), less two
    costs: a Vensim file is parsed once, by :func:`abstract_model` (which the rest of ambidex
    reads too), not once here and once there; and the generated file is not formatted with
    black (PySD formats it for people to read; ambidex only imports it, and black changes
    layout, not behaviour: on the dual model the formatting took longer than the parse).  The
    file is then loaded and initialised as PySD's readers do, so a model whose Python fails to
    run fails here, as before."""
    import pysd  # heavy: only when a model is translated

    if kind == "vensim":
        am = abstract_model(src)  # a fresh copy, its sections' paths where it was parsed
        am.original_path = copy
        for section in am.sections:
            section.path = copy.parent / section.path.name
    else:  # ambidex's abstract model of an XMILE file uses its own equation parser: PySD's here
        from pysd.translators.xmile.xmile_file import XmileFile

        xmile = XmileFile(str(copy))
        xmile.parse()
        am = xmile.get_abstract_model()
    with _unformatted() as builder:
        py = builder.ModelBuilder(am).build_model()
    pysd.load(py)


class _NoBlack:
    """Stands in for the ``black`` module in PySD's builder: the text is kept as generated."""

    @staticmethod
    def FileMode():  # noqa: N802 - black's name
        return None

    @staticmethod
    def format_file_contents(text, fast=True, mode=None):
        return text


@contextlib.contextmanager
def _unformatted():
    """PySD's ``python_model_builder`` module with black replaced by :class:`_NoBlack` (black
    is not even imported when the builder was not: its import alone takes a good part of a
    second)."""
    import sys

    name = "pysd.builders.python.python_model_builder"
    if name not in sys.modules:
        had = sys.modules.get("black")
        sys.modules["black"] = _NoBlack  # what the builder's "import black" finds
        try:
            importlib.import_module(name)
        finally:
            if had is None:
                del sys.modules["black"]
            else:
                sys.modules["black"] = had
    builder = sys.modules[name]
    real, builder.black = builder.black, _NoBlack
    try:
        yield builder
    finally:  # PySD's own readers, called later in this process, format as they always did
        builder.black = _LazyBlack() if real is _NoBlack else real


class _LazyBlack:
    """The ``black`` module, imported when PySD's builder first uses it."""

    def __getattr__(self, attr):
        return getattr(importlib.import_module("black"), attr)


def _where(exc, src: Path) -> str:
    """Where a parse error is, in words: the equation text PySD could not parse and its line
    in the model file (a parsimonious ParseError carries the text it was given), and what a
    bare ``name[subs]`` is: a data variable whose data Vensim reads from a data file."""
    text = getattr(exc, "text", None)
    if not isinstance(text, str) or not text.strip():
        return ""
    snippet = " ".join(text.split())
    line = ""
    try:
        first = text.strip().splitlines()[0].strip()
        for i, row in enumerate(src.read_text(errors="replace").splitlines(), start=1):
            if first and first in row:
                line = f" (line {i})"
                break
    except OSError:
        pass
    what = ""
    if "=" not in snippet and re.fullmatch(r"[^=~|()]+(\[[^\]]*\])?", snippet):
        what = (" -- a data variable without an equation: Vensim reads its values from a data "
                "file given at run time, which ambidex cannot; give it an equation or GET DATA")
    return f", cannot parse {snippet[:100]!r}{line}{what}"


#: pickled AbstractModels parsed in this process, by cache key (each call unpickles a fresh copy,
#: so a caller that mutates its tree cannot affect another)
_ABSTRACT: dict[str, bytes] = {}


def abstract_model(path: str | Path):
    """PySD's ``AbstractModel`` of a Vensim or XMILE file, parsed once per file content.

    PySD's parser takes ~1-2 s for the dual model and several parts of ambidex need the tree
    (the flows of each stock, the compiled engine, the causal graph and the loop equations), so
    the parse is cached: in memory for this process and as a pickle beside the translated model
    (``<cache_root>/abstract/<stem>-<sha16>-pysd<version>.pkl``, written atomically), keyed like
    :func:`translate` by the file's SHA-256 and the PySD version.  Every call returns a fresh
    copy.  Raises :class:`ModelError` naming the file when it is missing, has an unknown suffix
    or cannot be parsed.
    """
    src = Path(path)
    if not src.is_file():
        raise ModelError(f"model file '{src}' does not exist")
    kind = SUFFIXES.get(src.suffix.lower())
    if kind is None:
        raise ModelError(f"model file '{src}' is not a Vensim .mdl or XMILE file (suffixes: "
                         f"{', '.join(sorted(SUFFIXES))})")

    key = cache_key(src)
    blob = _ABSTRACT.get(key)
    if blob is None:
        folder = cache_root() / "abstract"
        pkl = folder / f"{key}.pkl"
        try:
            blob = pkl.read_bytes()
            am = pickle.loads(blob)
        except Exception:  # missing or unreadable: parse again
            am = _parse(src, kind)
            blob = pickle.dumps(am, protocol=pickle.HIGHEST_PROTOCOL)
            try:
                folder.mkdir(parents=True, exist_ok=True)
                tmp = pkl.with_suffix(f".{os.getpid()}.tmp")
                tmp.write_bytes(blob)
                os.replace(tmp, pkl)
            except OSError:  # a read-only cache still works, just without reuse
                pass
        _ABSTRACT[key] = blob
    return pickle.loads(blob)


def _declared_encoding(src: Path) -> str | None:
    """The encoding a Vensim file names on its first line (``{UTF-8}``), read as PySD reads it
    but without running chardet over that line (a tenth of a second); None when the line
    names none or is not plain text (PySD then detects it itself)."""
    try:
        with open(src, "rb") as fh:
            first = fh.readline().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return None
    m = re.search(r"(?<={)(.*)(?=})", first)
    return m.group() if m else None


def _parse(src: Path, kind: str):
    original = src
    text = src.read_text(errors="replace")
    if prepass(text, kind) != text:  # parse the pre-passed text, staged beside links to the data
        folder = cache_root() / "staged" / cache_key(src)
        staged = folder / src.name
        if not staged.is_file():
            tmp = Path(tempfile.mkdtemp(prefix=".stage-", dir=cache_root()))
            _stage(src, kind, tmp)
            folder.parent.mkdir(parents=True, exist_ok=True)
            try:
                tmp.rename(folder)
            except OSError:  # staged by another process meanwhile
                shutil.rmtree(tmp, ignore_errors=True)
        src = staged
    try:
        if kind == "vensim":
            from pysd.translators.vensim.vensim_file import VensimFile
            f = VensimFile(str(src), encoding=_declared_encoding(src))
        else:
            from pysd.translators.xmile.xmile_file import XmileFile

            from .xmile_reader import own_equation_parser
            f = XmileFile(str(src))
            with own_equation_parser():  # Stella / XMILE array syntax PySD's grammar lacks
                f.parse()
            return f.get_abstract_model()
        f.parse()
        return f.get_abstract_model()
    except Exception as exc:  # the translators' own parse errors
        msg = str(exc).replace(str(src.parent), str(original.parent))  # the user's folder
        raise ModelError(f"model file '{original}' could not be translated: {msg}") from exc
