"""Shared helpers: the model's abstract syntax (PySD AbstractModel), equation texts, names."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from ..core.model import normalise
from ..core.translate import SUFFIXES

# PySD's names for the built-in control/time references
TIME_REFS = {"time"}
CONTROL = {"initial time", "final time", "time step", "saveper"}


@lru_cache(maxsize=16)
def _abstract(path: str, sha: str):
    kind = SUFFIXES[Path(path).suffix.lower()]
    if kind == "vensim":
        from pysd.translators.vensim.vensim_file import VensimFile

        src = VensimFile(path)
    else:
        from pysd.translators.xmile.xmile_file import XmileFile

        src = XmileFile(path)
    src.parse()
    return src.get_abstract_model()


def abstract_elements(model) -> dict:
    """normalised element name -> PySD AbstractElement (every section); ``model`` may be a
    :class:`~ambidex.core.model.Model` or a path (for models PySD cannot translate)."""
    if isinstance(model, (str, Path)):
        from ..core.translate import file_sha256

        am = _abstract(str(Path(model).resolve()), file_sha256(Path(model)))
    else:
        am = model.abstract  # parsed once per Model
    out = {}
    for section in am.sections:
        for el in section.elements:
            out[normalise(el.name)] = el
    return out


def equations(model) -> dict[str, str]:
    """normalised variable name -> its equation text as written in the .mdl (one line)."""
    if model.path.suffix.lower() != ".mdl":
        return {}
    text = model.path.read_text(errors="replace").split("\\\\\\---///")[0]
    out = {}
    for chunk in text.split("|"):
        head = chunk.split("~")[0]
        head = re.sub(r"^\s*\{UTF-8\}", "", head)
        head = re.sub(r"\*{5,}.*?\*{5,}", "", head, flags=re.S)
        head = " ".join(head.split())
        m = re.match(r'^("[^"]+"|[^=(:\[]+?)\s*(\[[^\]]*\])?\s*(=|:=|\()', head)
        if m:
            out[normalise(m.group(1).strip('"'))] = head.replace("\\ ", "")
    return out


def mdl_chunk_units(model) -> dict[str, str]:
    """normalised name -> raw units string with range, e.g. 'FTE [0,?]' (for evidence)."""
    if model.path.suffix.lower() != ".mdl":
        return {}
    text = model.path.read_text(errors="replace").split("\\\\\\---///")[0]
    out = {}
    for chunk in text.split("|"):
        parts = chunk.split("~")
        if len(parts) < 2:
            continue
        head = " ".join(re.sub(r"\*{5,}.*?\*{5,}", "", parts[0], flags=re.S).split())
        head = re.sub(r"^\{UTF-8\}", "", head).strip()
        m = re.match(r'^("[^"]+"|[^=(:\[]+?)\s*(\[[^\]]*\])?\s*(=|:=|\()', head)
        if m:
            out[normalise(m.group(1).strip('"'))] = " ".join(parts[1].split())
    return out


def display(model, ref: str) -> str:
    """The model-file name of a PySD reference (falls back to the reference itself)."""
    py = model._index.get(normalise(ref))
    return model.variables[py].name if py in model.variables else ref


def bounded(var) -> bool:
    """A variable declared within [0, 1] (or any finite two-sided range)."""
    return var.lower is not None and var.upper is not None


def euler_run(model, params: dict | None = None):
    """One Euler run at TIME STEP saving every step, no bound checks (a check must see a
    negative stock, not stop at it).  Returns (times, {py_name: array}, engine name).

    Through :func:`ambidex.solve`: the compiled engine where the model compiles, else PySD.
    """
    import numpy as np

    from ..solve import solve

    dt = model.control["time_step"]
    ds = solve(model, params=params, solver={"method": "euler"}, saveat=dt,
               on_failure="ignore").isel(scenario=0, sample=0)
    out = {py: np.asarray(ds[py].values, dtype=float) for py in ds.data_vars if py != "failed"}
    return np.asarray(ds.time.values, dtype=float), out, ds.attrs["engine"]
