"""The IR builder: a PySD AbstractModel translated into scalar slots and lookup tables.

:class:`Translator` builds the model's one intermediate representation (``Model.ir``): every
variable element a :class:`~ambidex.core.ir.nodes.Slot` with an expression tree, the control
values fixed at build time, every slot translated before the constructor returns (complete when
built: the compiled engine's code generator and the loop scores only read it).
"""

from __future__ import annotations

import numpy as np

from ..errors import ModelError, UnsupportedFunctionError
from .nodes import InitEvaluator, Slot, Table, walk_refs
from .scope import CONTROLS, Scope
from .statefuls import clean  # noqa: F401  (public here: the engine's names)


class Translator:
    def __init__(self, am, model_name: str):
        self.model_name = model_name
        self.slots: list[Slot] = []
        self.tables: list[Table] = []
        self.bp_sites: list = []
        self.stepped: dict[str, str] = {}  # once-per-TIME-STEP function -> first variable
        self.n_macro = 0
        mains = [s for s in am.sections if s.type == "main"]
        if not mains:
            raise ModelError(f"model '{model_name}' has no main section")
        self.macros = {s.name: s for s in am.sections if s.type == "macro"}
        self.scope = Scope(self, mains[0])
        for c in CONTROLS:
            if c not in self.scope.elements:
                raise ModelError(f"model '{model_name}' lacks the control variable "
                                 f"'{c.upper().replace('_', ' ')}'")
        ev = InitEvaluator(np.nan, np.nan)
        ev.ensure = self.ensure
        for c in CONTROLS:
            s = self.control(c)
            s.kind = "control"
            if s.pending:
                self.ensure(s)
            if s.ir is not None:
                deps = set()
                self.collect_params(s.ir, deps)
                for p in deps:  # fixed at compile time: they cannot vary per run
                    p.structural = True
                s.value = float(ev.slot(s))
                s.ir = None
            s.pending = None
        for info in list(self.scope.elements.values()):
            for s in list(info.slots.values()):
                self.ensure(s)

    def control(self, c):
        return self.scope.elements[c].slots[()]

    def control_value(self, c):
        return self.control(c).value

    def ensure(self, slot):
        if getattr(slot, "pending", None):
            slot.pending[0].translate(slot)

    def new_slot(self, name, kind, **kw):
        s = Slot(len(self.slots), name, kind, **kw)
        s.pending = None
        self.slots.append(s)
        return s

    def new_table(self, lk):
        xs = tuple(float(x) for x in lk.x)
        ys = tuple(float(y) for y in lk.y)
        if len(xs) == 0 or len(xs) != len(ys):
            raise ModelError(f"bad lookup table in model '{self.model_name}'")
        t = Table(len(self.tables), xs, ys, lk.type or "interpolate")
        if t.kind not in ("interpolate", "extrapolate", "hold_backward", "hold_forward"):
            raise UnsupportedFunctionError(f"LOOKUP ({t.kind})", None, self.model_name)
        self.tables.append(t)
        return t

    def table_variant(self, table: Table, kind: str) -> Table:
        """The same points as ``table`` read as ``kind`` (a new table when the kind differs)."""
        if table.kind == kind:
            return table
        t = Table(len(self.tables), table.xs, table.ys, kind)
        self.tables.append(t)
        return t

    def inverted_table(self, table: Table, where: str) -> Table:
        """LOOKUP INVERT's table: ``table`` with x and y swapped (its y must be monotonic)."""
        ys = np.asarray(table.ys)
        d = np.diff(ys)
        if not (np.all(d > 0) or np.all(d < 0)):
            raise ModelError(f"LOOKUP INVERT needs a lookup whose y values rise or fall "
                             f"throughout ({where} of model '{self.model_name}')")
        pts = sorted(zip(table.ys, table.xs))
        t = Table(len(self.tables), tuple(p[0] for p in pts), tuple(p[1] for p in pts),
                  "interpolate")
        self.tables.append(t)
        return t

    def collect_params(self, ir, out, seen=None):
        seen = set() if seen is None else seen
        refs = set()
        walk_refs(ir, "init", refs)
        for s in refs:
            if s in seen:
                continue
            seen.add(s)
            self.ensure(s)
            if s.kind == "param":
                out.add(s)
            for sub in (s.ir, s.init_ir):
                if sub is not None:
                    self.collect_params(sub, out, seen)
