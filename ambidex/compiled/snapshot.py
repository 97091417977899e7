"""A model's :class:`~ambidex.compiled.engine.CompiledModel`, kept on disk between processes.

Building one needs the model's IR (:class:`~ambidex.core.ir.translator.Translator`: PySD's
AbstractModel translated) and generates the numba source: about 2-3 s of a warm ``ambidex run`` on a loaded 2-core machine,
each time the same.  :func:`compiled_model` therefore pickles the built object -- slots, names,
the generated source and the save plan of every output -- to ``<cache>/compiled/snapshots/``,
keyed by the model's translation key (file bytes, folder, data files, PySD version), the
ambidex source that builds it and the numpy/numba/Python versions, and reads it back in the next
process.  The IR itself is not kept: a snapshot rebuilds it on first need (another output set's
save plan, the simulator export), from the same model file.  The generated source is the same
text either way, so numba's cached machine code serves both.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
from importlib import metadata
from pathlib import Path

import numpy as np

SNAPSHOT_VERSION = 1


def _code_hash() -> str:
    """Hash of the source that builds a CompiledModel (IR builder, code generator, engine)."""
    pkg = Path(__file__).resolve().parents[1]
    h = hashlib.sha256(str(SNAPSHOT_VERSION).encode())
    for f in sorted((pkg / "core" / "ir").glob("*.py")) + sorted((pkg / "compiled").glob("*.py")):
        h.update(f.name.encode() + f.read_bytes())
    for dist in ("numpy", "numba", "pysd"):
        try:
            h.update(f"{dist}={metadata.version(dist)}".encode())
        except metadata.PackageNotFoundError:
            h.update(dist.encode())
    h.update(sys.version.encode())
    return h.hexdigest()[:16]


def snapshot_path(model) -> Path:
    """Where the snapshot of ``model`` lives (see the module docstring)."""
    from ..core.translate import cache_key
    from .cache import cache_dir

    key = hashlib.sha256(f"{cache_key(Path(model.path))}\n{_code_hash()}".encode()).hexdigest()
    return cache_dir() / "snapshots" / f"{Path(model.path).stem}-{key[:24]}.pkl"


def _read(path: Path, model):
    try:
        with open(path, "rb") as fh:
            cm = pickle.load(fh)
    except Exception:  # absent, unreadable or from another build: rebuild
        return None
    cm._tr_factory = lambda: model.ir
    return cm


def _write(path: Path, cm) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        with open(tmp, "wb") as fh:
            pickle.dump(cm, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except (OSError, pickle.PicklingError, TypeError, AttributeError):
        pass  # a read-only cache or an unpicklable IR: built again next time


def compiled_model(model):
    """``model``'s CompiledModel: from its snapshot when there is one, else built from
    ``model.ir`` (with the save plan of every output, what ``simulate`` asks for) and stored.
    Raises :class:`~ambidex.core.errors.UnsupportedFunctionError` as building does."""
    from .engine import CompiledModel

    path = snapshot_path(model)
    cm = _read(path, model)
    if cm is None:
        cm = CompiledModel(model.ir)
        cm._plan(np.arange(len(cm._outputs)))
        _write(path, cm)
    cm.model_path = model.path  # for the background compile (pytier)
    return cm
