"""Per-element bookkeeping of the IR builder: a model element's expansion (:class:`ElemInfo`),
the context an expression is translated in (:class:`Ctx`), and two readings of PySD's
structures (external-data function names, explicit subscript mappings)."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from pysd.translators.structures import abstract_expressions as ae
from pysd.translators.structures.abstract_model import AbstractLookup

from ..errors import ModelError
from .statefuls import clean


def _get_name(node) -> str:
    kind = {ae.GetLookupsStructure: "LOOKUPS", ae.GetDataStructure: "DATA",
            ae.GetConstantsStructure: "CONSTANTS"}[type(node)]
    f = str(node.file).lower()
    src = "XLS" if (f.startswith("?") or f.endswith((".xls", ".xlsx", ".ods"))) else "DIRECT"
    return f"GET {src} {kind}"


_EXPLICIT = re.compile(r"([^:|~\n]+?)\s*:[^~|:]*?->[^~|]*?\(\s*([^:()~|]+?)\s*:")


def _explicit_pairs(path) -> set | None:
    """``{(range, target)}`` of the mappings written ``DimB: ... -> (DimA: ...)`` in the model
    file (PySD's ranges do not tell them from ``DimB: B1, B2 -> DimA``); None without a file."""
    src = Path(path).with_suffix(".mdl")  # PySD's section names the translated .py beside it
    if not src.is_file():
        return None
    text = src.read_text(errors="replace")
    text = text.split("\\\\\\---///", 1)[0]
    out, pos = set(), 0
    for chunk in text.split("|"):  # no match spans a '|': search only the chunks with a '->'
        if "->" in chunk:
            for m in _EXPLICIT.finditer(text, pos, pos + len(chunk)):
                for tgt in re.findall(r"\(\s*([^:()~|]+?)\s*:",
                                      text[m.start():text.find("|", m.start())]):
                    out.add((clean(m.group(1).strip().split("\n")[-1]), clean(tgt)))
        pos += len(chunk) + 1
    return out


def _split_explicit_maps(ranges, pairs: set | None = None):
    """Undo PySD's reading of ``DimB: B1, B2 -> (DimA: SubA, A3)``, which it parses as the
    elements B1, B2, SubA, A3 mapped to DimA (and of several mappings, ``DimA: A1, A2 ->
    (DimB: B2, B1), DimC``: A1, A2, B2, B1 mapped to DimB and DimC).  Returns the ranges with
    their own elements restored, the positional mappings kept, and ``{(DimB, DimA): [target of
    B1, target of B2, ...]}`` (each an element or a subrange) per explicit one."""
    names = {r.name: r for r in ranges}

    def inside(target):
        return set(target.subscripts) | {n for n, x in names.items()
                                         if set(x.subscripts) <= set(target.subscripts)}
    out, maps = [], {}
    for r in ranges:
        subs, mapping = list(r.subscripts), list(r.mapping or [])
        ins = {m: inside(names[m]) for m in mapping if m in names
               and (pairs is None or (clean(r.name), clean(m)) in pairs)}
        k = next((i for i, e in enumerate(subs) if any(e in v for v in ins.values())), len(subs))
        head, tail = subs[:k], subs[k:]
        if head and tail and len(tail) % len(head) == 0:
            used, explicit = [], []
            for i in range(0, len(tail), len(head)):
                chunk = tail[i:i + len(head)]
                t = next((m for m in mapping if m in ins and m not in used
                          and all(c in ins[m] for c in chunk)), None)
                if t is None:
                    break
                used.append(t)
                explicit.append((t, chunk))
            else:
                for t, chunk in explicit:
                    maps[(r.name, t)] = chunk
                r = dataclasses.replace(r, subscripts=head,
                                        mapping=[m for m in mapping if m not in used])
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
