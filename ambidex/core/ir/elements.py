"""Per-element bookkeeping of the IR builder: a model element's expansion (:class:`ElemInfo`),
the context an expression is translated in (:class:`Ctx`), and two readings of PySD's
structures (external-data function names, explicit subscript mappings)."""

from __future__ import annotations

import dataclasses

from pysd.translators.structures import abstract_expressions as ae
from pysd.translators.structures.abstract_model import AbstractLookup

from ..errors import ModelError


def _get_name(node) -> str:
    kind = {ae.GetLookupsStructure: "LOOKUPS", ae.GetDataStructure: "DATA",
            ae.GetConstantsStructure: "CONSTANTS"}[type(node)]
    f = str(node.file).lower()
    src = "XLS" if (f.startswith("?") or f.endswith((".xls", ".xlsx", ".ods"))) else "DIRECT"
    return f"GET {src} {kind}"


def _split_explicit_maps(ranges):
    """Undo PySD's reading of ``DimB: B1, B2 -> (DimA: SubA, A3)``, which it parses as the
    elements B1, B2, SubA, A3 mapped to DimA.  Returns the ranges with the elements restored and
    ``{(DimB, DimA): [target of B1, target of B2, ...]}`` (each an element or a subrange)."""
    names = {r.name: r for r in ranges}
    out, maps = [], {}
    for r in ranges:
        subs, mapping = list(r.subscripts), list(r.mapping or [])
        if len(mapping) == 1 and mapping[0] in names and len(subs) % 2 == 0:
            target = names[mapping[0]]
            half = len(subs) // 2
            tail = subs[half:]
            inside = set(target.subscripts) | {n for n, x in names.items()
                                               if set(x.subscripts) <= set(target.subscripts)}
            if all(t in inside for t in tail) and not any(h in inside for h in subs[:half]):
                maps[(r.name, target.name)] = tail
                r = dataclasses.replace(r, subscripts=subs[:half], mapping=[])
        out.append(r)
    return out, maps


class ElemInfo:
    def __init__(self, element, py):
        self.el = element
        self.name = element.name
        self.py = py
        self.dims: list = []
        self.tuples: list = []
        self.comp: dict = {}   # tuple -> (component, array index)
        self.slots: dict = {}  # tuple -> Slot
        self.tables: dict = {}  # tuple -> Table
        self.is_lookup = any(isinstance(c, AbstractLookup) for c in element.components)


class Ctx:
    def __init__(self, scope, slot, bindings):
        self.scope, self.slot, self.bindings = scope, slot, bindings

    def with_bindings(self, extra):
        return Ctx(self.scope, self.slot, self.bindings + list(extra))

    def err(self, msg):
        return ModelError(f"{msg} (in variable '{self.slot.var or self.slot.name}'"
                          f" of model '{self.scope.tr.model_name}')")
