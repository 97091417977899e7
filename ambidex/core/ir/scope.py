"""One model section's translation into scalar slots: :class:`Scope` turns each element of a
PySD AbstractModel section into slots (:mod:`.nodes`) and each expression into an IR tree.

Subscripted variables are expanded element by element at compile time; macros are expanded
inline, one instance per call (each a Scope of its own); SMOOTH/DELAY/TREND become hidden
states.  :class:`~ambidex.core.ir.translator.Translator` drives it for a whole model.
"""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path

import numpy as np
from pysd.translators.structures import abstract_expressions as ae

from ..errors import ModelError, UnsupportedFunctionError
from .discrete import DiscreteMixin
from .elements import Ctx, ElemInfo, _explicit_pairs, _get_name, _split_explicit_maps
from .nodes import Slot
from .pysd_names import NamespaceManager, SubscriptManager
from .statefuls import StatefulMixin, clean
from .stella import StellaMixin
from .timefns import TimeFunctionMixin
from .vectors import VECTOR_FUNCTIONS, VectorMixin, _bang_dims

CONTROLS = ("initial_time", "time_step", "final_time", "saveper")
MATH1 = {"abs", "exp", "sqrt", "ln", "sin", "cos", "tan", "arcsin", "arccos", "arctan",
         "sinh", "cosh", "tanh", "integer"}
MATH2 = {"min", "max", "power", "log", "zidz", "quantum", "modulo"}
# LOOKUP FORWARD / BACKWARD / EXTRAPOLATE (table, x): the table read another way
LOOKUP_MODES = {"lookup_forward": "hold_forward", "lookup_backward": "hold_backward",
                "lookup_extrapolate": "extrapolate"}
UNSUPPORTED_STRUCT = {
    ae.ForecastStructure: "FORECAST",
    ae.AllocateAvailableStructure: "ALLOCATE AVAILABLE",
    ae.AllocateByPriorityStructure: "ALLOCATE BY PRIORITY", ae.DataStructure: "DATA",
}


class Scope(StatefulMixin, VectorMixin, TimeFunctionMixin, DiscreteMixin, StellaMixin):
    """A section (main model or one macro instance)."""

    def __init__(self, tr, section, prefix="", argmap=None):
        self.tr, self.section, self.prefix = tr, section, prefix
        self.argmap = argmap or {}
        self.main = argmap is None
        root = Path(section.path).parent if section.path else Path(".")
        subscripts, self.explicit_maps = _split_explicit_maps(
            section.subscripts, _explicit_pairs(section.path) if section.path else None)
        self.sm = SubscriptManager(subscripts, root)
        self.ranges = self.sm.subscripts
        self.range_clean = {clean(r): r for r in self.ranges}
        self.main_ranges = list(self.sm.subranges)
        ns = NamespaceManager(list(section.params))
        self.elements: dict[str, ElemInfo] = {}
        for el in section.elements:
            ns.add_to_namespace(el.name)
            self.elements[clean(el.name)] = ElemInfo(el, ns.namespace[el.name])
        for info in self.elements.values():
            self._expand(info)

    # ---------------------------------------------------------------- expansion
    def _positions(self, subs):
        out = []
        for s in subs:
            if s in self.ranges:
                out.append([(s, e, i) for i, e in enumerate(self.ranges[s])])
            else:
                fam = next((r for r, els in self.ranges.items() if s in els), s)
                out.append([(fam, s, None)])
        return out

    def _expand(self, info: ElemInfo):
        comps = info.el.components
        try:
            info.dims = list(self.sm.make_merge_list([c.subscripts[0] for c in comps],
                                                     element=info.name))
        except Exception:  # pragma: no cover - odd definitions: keep definition order
            info.dims = list(comps[0].subscripts[0])
        for comp in comps:
            subs, excepts = comp.subscripts
            excluded = set()
            for ex in excepts or []:
                for combo in itertools.product(*self._positions(ex)):
                    excluded.add(tuple(e for _, e, _ in combo))
            for combo in itertools.product(*self._positions(subs)):
                tup = tuple(e for _, e, _ in combo)
                if tup in excluded:
                    continue
                if tup not in info.comp:
                    info.tuples.append(tup)
                info.comp[tup] = (comp, combo)

        def key(t):
            k = []
            for i, e in enumerate(t):
                els = self.ranges.get(info.dims[i], []) if i < len(info.dims) else []
                k.append(els.index(e) if e in els else 10 ** 6)
            return k
        info.tuples.sort(key=key)
        for tup in info.tuples:
            comp, combo = info.comp[tup]
            label = info.name + (f"[{','.join(tup)}]" if tup else "")
            if info.is_lookup:
                if not isinstance(comp.ast, ae.LookupsStructure):
                    node = comp.ast
                    raise UnsupportedFunctionError(
                        _get_name(node) if isinstance(node, (ae.GetLookupsStructure,))
                        else type(node).__name__, info.name, self.tr.model_name)
                info.tables[tup] = self.tr.new_table(comp.ast)
                continue
            slot = self.tr.new_slot(self.prefix + label, "aux", visible=self.main,
                                    var=info.name, py=info.py, subs=tup)
            slot.pending = (self, comp, combo)
            info.slots[tup] = slot
            ast = comp.ast
            if isinstance(ast, np.ndarray):
                ridx = [i for _, _, i in combo if i is not None]
                aidx = [0 if i is None else i for _, _, i in combo]
                if ast.ndim == len(ridx):
                    ast = float(ast[tuple(ridx)])
                elif ast.ndim == len(aidx):
                    ast = float(ast[tuple(aidx)])
                elif ast.size == 1:
                    ast = float(ast.ravel()[0])
                else:
                    raise ModelError(f"array of shape {ast.shape} does not match the "
                                     f"subscripts of '{info.name}'")
                slot.pending = (self, dataclasses.replace(comp, ast=ast), combo)
            if isinstance(ast, (int, float, np.number)) and not isinstance(ast, bool):
                if self.main and clean(info.name) not in CONTROLS:
                    slot.kind, slot.value = "param", float(ast)
                    slot.pending = None

    # ---------------------------------------------------------------- translation
    def translate(self, slot: Slot):
        _, comp, combo = slot.pending
        slot.pending = None
        ctx = Ctx(self, slot, [(d, e) for d, e, _ in combo])
        ast = comp.ast
        if isinstance(ast, ae.IntegStructure):
            slot.kind, slot.user_stock = "state", self.main
            slot.nonneg = bool(ast.non_negative)
            slot.ddt_ir = self.expr(ast.flow, ctx)
            slot.init_ir = self.expr(ast.initial, ctx)
            if slot.nonneg and self.tr.model_name.lower().endswith((".xmile", ".stmx", ".itmx")):
                self._limit_outflows(slot)
        else:
            slot.ir = self.expr(ast, ctx)

    def resolve_range(self, r, ctx):
        for n, e in ctx.bindings:
            if n == r:
                return e
        for n, e in ctx.bindings:  # DimB: B1, B2 -> (DimA: SubA, A3): B1 stands for A1 and A2
            targets = self.explicit_maps.get((r, n))
            if targets is not None:
                for src, tgt in zip(self.ranges[r], targets):
                    if e == tgt or e in self.ranges.get(tgt, ()):
                        return src
        maps = self.sm.mapping
        for n, e in ctx.bindings:
            if n in self.ranges and (n in (maps.get(r) or []) or r in (maps.get(n) or [])):
                pos = self.ranges[n].index(e)
                if pos < len(self.ranges[r]):
                    return self.ranges[r][pos]
        for n, e in ctx.bindings:
            if e in self.ranges[r] and not n.endswith("!"):
                return e
        raise ctx.err(f"cannot resolve subscript range '{r}'")

    def resolve_tuple(self, subsnode, info, ctx):
        subs = list(subsnode.subscripts) if subsnode is not None else []
        if not subs:
            subs = list(info.dims)
        out = []
        for s in subs:
            if s.endswith("!"):
                e = next((e for n, e in reversed(ctx.bindings) if n == s), None)
                if e is None:
                    raise ctx.err(f"subscript '{s}' used outside SUM/PROD/VMIN/VMAX")
                out.append(e)
            elif s in self.ranges:
                out.append(self.resolve_range(s, ctx))
            else:
                out.append(s)
        return tuple(out)

    def slot_for(self, info, subsnode, ctx):
        tup = self.resolve_tuple(subsnode, info, ctx)
        table = info.tables if info.is_lookup else info.slots
        if tup not in table:
            raise ctx.err(f"'{info.name}' has no element [{','.join(tup)}]")
        return table[tup]

    def expr(self, node, ctx):  # noqa: C901 - one dispatch on node types
        tr = self.tr
        if isinstance(node, bool):
            return ("n", float(node))
        if isinstance(node, (int, float, np.number)):
            return ("n", float(node))
        if isinstance(node, ae.ArithmeticStructure):
            args = [self.expr(a, ctx) for a in node.arguments]
            if len(args) == 1:
                return ("neg", args[0]) if node.operators[0] == "negative" else args[0]
            return ("ar", tuple(node.operators), args)
        if isinstance(node, ae.LogicStructure):
            args = [self.expr(a, ctx) for a in node.arguments]
            ops = list(node.operators)
            if len(args) == 1:
                return ("not", args[0])
            if ops[0] in (":AND:", ":OR:"):
                res = args[-1]
                for op, a in zip(reversed(ops), reversed(args[:-1])):
                    res = ("lg", "and" if op == ":AND:" else "or", a, res)
                return res
            return ("ar", tuple(ops), args)
        if isinstance(node, ae.ReferenceStructure):
            return self.reference(node, ctx)
        if isinstance(node, ae.CallStructure):
            return self.call(node, ctx)
        if isinstance(node, ae.GameStructure):
            return self.expr(node.expression, ctx)
        if isinstance(node, ae.InitialStructure):
            s = tr.new_slot(f"~initial:{ctx.slot.name}", "initc", visible=False)
            s.init_ir = self.expr(node.initial, ctx)
            return ("r", s)
        if isinstance(node, ae.IntegStructure):
            s = tr.new_slot(f"~integ:{ctx.slot.name}", "state", visible=False)
            s.ddt_ir, s.init_ir = self.expr(node.flow, ctx), self.expr(node.initial, ctx)
            s.nonneg = bool(node.non_negative)
            return ("r", s)
        if isinstance(node, (ae.SmoothStructure, ae.SmoothNStructure)):
            return self.smooth(node, ctx)
        if isinstance(node, (ae.DelayStructure, ae.DelayNStructure)):
            return self.delay(node, ctx)
        if isinstance(node, ae.TrendStructure):
            return self.trend(node, ctx)
        if isinstance(node, ae.DelayFixedStructure):
            return self.delay_fixed(node, ctx)
        if isinstance(node, ae.SampleIfTrueStructure):
            return self.sample_if_true(node, ctx)
        if isinstance(node, ae.InlineLookupsStructure):
            return ("lk", tr.new_table(node.lookups), self.expr(node.argument, ctx))
        if isinstance(node, (ae.GetLookupsStructure, ae.GetDataStructure,
                             ae.GetConstantsStructure)):
            raise UnsupportedFunctionError(_get_name(node), ctx.slot.var, tr.model_name)
        if type(node) in UNSUPPORTED_STRUCT:
            raise UnsupportedFunctionError(UNSUPPORTED_STRUCT[type(node)], ctx.slot.var,
                                           tr.model_name)
        if isinstance(node, ae.LookupsStructure):
            raise UnsupportedFunctionError("LOOKUP used as a value", ctx.slot.var, tr.model_name)
        raise UnsupportedFunctionError(type(node).__name__, ctx.slot.var, tr.model_name)

    def reference(self, node, ctx):
        name = node.reference
        if name in self.argmap:  # a macro argument, even one named like TIME
            return self.argmap[name]
        if name == "time":
            return ("t",)
        if name.endswith("$") and not self.main:  # TIME STEP$ in a macro: the model's own
            name = name[:-1].strip()
            if name == "time":
                return ("t",)
            outer = self.tr.scope.elements.get(name)
            if outer is None or () not in outer.slots:
                raise ctx.err(f"unknown model variable '{name}$' in a macro")
            return ("r", outer.slots[()])
        info = self.elements.get(name)
        if info is not None:
            if info.is_lookup:
                raise UnsupportedFunctionError("LOOKUP used as a value", ctx.slot.var,
                                               self.tr.model_name)
            if node.subscripts and not all(isinstance(s, str) for s in node.subscripts.subscripts):
                return self.dynamic_reference(node, info, ctx)  # a position computed at run time
            return ("r", self.slot_for(info, node.subscripts, ctx))
        # subscript range or element used as a value: its position in the main range
        rng = self.range_clean.get(name)
        if rng is not None:
            elem = self.resolve_range(rng, ctx)
        else:
            elem = next((e for els in self.ranges.values() for e in els if clean(e) == name),
                        None)
            if elem is None:
                raise ctx.err(f"unknown variable '{name}'")
        for r in self.main_ranges:
            if elem in self.ranges[r]:
                return ("n", float(self.ranges[r].index(elem) + 1))
        raise ctx.err(f"unknown subscript '{name}'")  # pragma: no cover

    def call(self, node, ctx):
        tr = self.tr
        fname = node.function.reference
        args = node.arguments
        if fname in tr.macros:
            return self.macro(tr.macros[fname], args, ctx)
        info = self.elements.get(fname)
        if info is not None and info.is_lookup:
            table = self.slot_for(info, node.function.subscripts, ctx)
            return ("lk", table, self.expr(args[0], ctx))
        if fname in LOOKUP_MODES and args and isinstance(args[0], ae.ReferenceStructure):
            linfo = self.elements.get(args[0].reference)
            if linfo is not None and linfo.is_lookup:
                t = self.slot_for(linfo, args[0].subscripts, ctx)
                return ("lk", tr.table_variant(t, LOOKUP_MODES[fname]), self.expr(args[1], ctx))
        if fname == "lookup_invert" and args and isinstance(args[0], ae.ReferenceStructure):
            linfo = self.elements.get(args[0].reference)
            if linfo is not None and linfo.is_lookup:
                t = self.slot_for(linfo, args[0].subscripts, ctx)
                return ("lk", tr.inverted_table(t, f"variable '{ctx.slot.var}'"),
                        self.expr(args[1], ctx))
        if fname in VECTOR_FUNCTIONS:
            return self.vector_call(fname, args, ctx)
        if fname in ("sum", "prod", "vmin", "vmax"):
            dims = []
            _bang_dims(args[0], dims)
            items = []
            for combo in itertools.product(*[self.ranges[d[:-1]] for d in dims]):
                items.append(self.expr(args[0], ctx.with_bindings(zip(dims, combo))))
            if not items:
                raise ctx.err(f"{fname.upper()} without a '!' subscript")
            if fname in ("sum", "prod"):
                return items[0] if len(items) == 1 else \
                    ("ar", ("+" if fname == "sum" else "*",) * (len(items) - 1), items)
            res = items[0]
            for it in items[1:]:
                res = ("f", "min" if fname == "vmin" else "max", [res, it])
            return res
        if fname in ("npv", "sinteg", "delay_material", "previous"):
            return getattr(self, fname)(args, ctx)
        if fname == "elmcount":
            rng = self.range_clean.get(getattr(args[0], "reference", ""))
            if rng is None:
                raise ctx.err("ELMCOUNT needs a subscript range")
            return ("n", float(len(self.ranges[rng])))
        if any(isinstance(x, ae.ReferenceStructure) and getattr(
                self.elements.get(x.reference), "is_lookup", False) for x in args):
            raise UnsupportedFunctionError(fname.upper().replace("_", " "), ctx.slot.var,
                                           tr.model_name)  # LOOKUP AREA(table, ...) and such
        a = [self.expr(x, ctx) for x in args]
        if fname == "if_then_else":
            return ("ite", a[0], a[1], a[2])
        if fname == "active_initial":
            return ("ai", a[0], a[1])
        if fname in MATH1 and len(a) == 1:
            return ("f", fname, a)
        if fname in MATH2 and len(a) == 2:
            return ("f", fname, a)
        if fname == "xidz" and len(a) == 3:
            return ("f", fname, a)
        if fname == "pi":
            return ("n", float(np.pi))
        if fname == "log10" and len(a) == 1:
            return ("f", "log", [a[0], ("n", 10.0)])
        if fname == "round" and len(a) == 1:  # Stella's ROUND: halves away from zero
            return ("ite", ("ar", (">=",), [a[0], ("n", 0.0)]),
                    ("f", "integer", [("ar", ("+",), [a[0], ("n", 0.5)])]),
                    ("neg", ("f", "integer", [("ar", ("-",), [("n", 0.5), a[0]])])))
        if fname in ("Xpulse", "Xpulse_train"):
            return self.stella_pulse(fname, a)
        if fname in ("step", "pulse", "pulse_train") or fname in ("ramp", "Xramp"):
            f = "ramp" if fname == "Xramp" else fname
            tr.bp_sites.append((f, a))
            return ("f", f, a)
        raise UnsupportedFunctionError(fname.upper().replace("_", " "), ctx.slot.var,
                                       tr.model_name)


def subscripted_layout(scope) -> dict:
    """``{py name: (dims, {dim: elements}, [(element tuple, output name)])}`` for every
    subscripted variable: dims are the subscript ranges it is defined over (a range that does
    not cover its elements is replaced by a dim of its own, ``'<py>_<range>'``)."""
    out = {}
    for info in scope.elements.values():
        if info.is_lookup or not info.tuples or info.tuples == [()]:
            continue
        dims, coords = [], {}
        for i, d in enumerate(info.dims):
            used = list(dict.fromkeys(t[i] for t in info.tuples))
            full = list(scope.ranges.get(d, []))
            if not set(used) <= set(full):
                d, full = f"{info.py}_{d}", used
            dims.append(d)
            coords[d] = full
        out[info.py] = (dims, coords, [(t, info.slots[t].name) for t in info.tuples])
    return out
