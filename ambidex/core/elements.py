"""One element of a subscripted variable, named as a modeller writes it: ``Population[North]``.

Calibration targets (``variable = "Population[North]"``) and sensitivity outputs name an element
this way.  :func:`split` reads the text, :func:`resolve` checks the variable and its elements
against the model (one clear error naming what is allowed), and :func:`take` picks the element
out of a result whose trailing dimensions are the variable's subscript ranges (the layout
:func:`ambidex.simulate` and :func:`ambidex.ensemble` return).
"""

from __future__ import annotations

import re

import numpy as np

from .errors import ModelError

_REF = re.compile(r"^\s*(?P<name>[^\[\]]+?)\s*\[(?P<subs>[^\[\]]*)\]\s*$")


def _norm(s: str) -> str:
    return " ".join(str(s).replace("_", " ").split()).lower()


def split(text: str) -> tuple[str, tuple[str, ...] | None]:
    """``'Population[North, A1]'`` -> ``('Population', ('North', 'A1'))``; a plain name ->
    ``(name, None)``."""
    m = _REF.match(str(text))
    if not m:
        return str(text), None
    return m["name"], tuple(s.strip() for s in m["subs"].split(","))


def dimensions(model) -> dict[str, list[str]]:
    """``{subscript range: [elements]}`` of ``model`` (subranges included), read once from its
    abstract model; empty when the model has no subscripts or they cannot be read."""
    cache = model.__dict__.get("_dimensions")
    if cache is None:
        cache = {}
        try:
            from .ir.pysd_names import SubscriptManager  # PySD's, without its runtime

            main = [s for s in model.abstract.sections if s.type == "main"]
            section = (main or model.abstract.sections)[0]
            cache = dict(SubscriptManager(section.subscripts, model.path.parent).subscripts)
        except Exception:  # noqa: BLE001 - no subscripts to check against: take() checks
            cache = {}
        model.__dict__["_dimensions"] = cache
    return cache


def resolve(model, text: str) -> tuple[str, tuple[str, ...] | None, str]:
    """``(py name, elements or None, output key)`` of ``text`` (``'Population[North]'`` or a
    plain name).  The key is the py name for a plain name, ``'population[North]'`` for an
    element.  Raises :class:`ModelError` for an unknown variable, an element of an
    unsubscripted one, the wrong number of subscripts or an element its range lacks, and for
    a subscripted variable named without its elements."""
    name, elems = split(text)
    py = model.resolve(name)
    var = model.variables[py]
    dims = tuple(var.subscripts)
    if elems is None:
        if dims:
            raise ModelError(f"'{name}' is subscripted over ({', '.join(dims)}); name one "
                             f"element, e.g. '{var.name}[{', '.join(_first(model, d) for d in dims)}]'")
        return py, None, py
    if not dims:
        raise ModelError(f"'{var.name}' is not subscripted; name it without [{', '.join(elems)}]")
    if len(elems) != len(dims):
        raise ModelError(f"'{text}': '{var.name}' has {len(dims)} subscript(s) "
                         f"({', '.join(dims)}), got {len(elems)}")
    ranges = dimensions(model)
    out = []
    for d, e in zip(dims, elems):
        allowed = ranges.get(d)
        if allowed is None:
            out.append(e)
            continue
        hit = [a for a in allowed if _norm(a) == _norm(e)]
        if not hit:
            raise ModelError(f"'{text}': '{e}' is not an element of {d} "
                             f"({', '.join(map(str, allowed))})")
        out.append(hit[0])
    elems = tuple(out)
    return py, elems, f"{py}[{','.join(elems)}]"


def _first(model, dim: str) -> str:
    els = dimensions(model).get(dim) or ["..."]
    return str(els[0])


def take(da, elements: tuple[str, ...], where: str = ""):
    """The element ``elements`` of the DataArray ``da`` (its last ``len(elements)`` dims are the
    subscript ranges), matched by name loosely; ModelError naming ``where`` when absent."""
    dims = list(da.dims)[-len(elements):]
    sel = {}
    for d, e in zip(dims, elements):
        coords = [str(c) for c in np.asarray(da[d].values)]
        hit = [i for i, c in enumerate(coords) if _norm(c) == _norm(e)]
        if not hit:
            raise ModelError(f"{where}: '{e}' is not among the elements of {d} in the result "
                             f"({', '.join(coords)})")
        sel[d] = hit[0]
    return da.isel(sel)
