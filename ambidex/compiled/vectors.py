"""Vensim's VECTOR functions on the expanded model (mixed into the translator's Scope).

VECTOR ELM MAP picks an element at a run-time offset, VECTOR SORT ORDER ranks a vector, VECTOR
SELECT aggregates the selected elements; each becomes a chain of IF THEN ELSE / MIN / MAX over
the vector's element slots, so the compiled kernels need nothing new.
"""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
from pysd.translators.structures import abstract_expressions as ae

from .ir import InitEvaluator


def _bang_dims(node, out: list):
    if isinstance(node, ae.SubscriptsReferenceStructure):
        for s in node.subscripts:
            if s.endswith("!") and s not in out:
                out.append(s)
    elif dataclasses.is_dataclass(node) and not isinstance(node, type):
        for f in dataclasses.fields(node):
            _bang_dims(getattr(node, f.name), out)
    elif isinstance(node, (list, tuple)):
        for x in node:
            _bang_dims(x, out)


class VectorMixin:
    def vector_elm_map(self, ref, offset, ctx):
        """VECTOR ELM MAP(vec[start], offset): the element of ``vec`` ``offset`` places after
        ``start`` in Vensim's flat (row-major) order over vec's ranges, chosen at run time."""
        info = self.elements.get(ref.reference)
        if info is None or info.is_lookup:
            raise ctx.err("VECTOR ELM MAP needs a subscripted variable as its first argument")
        start = self.resolve_tuple(ref.subscripts, info, ctx)
        flat = list(itertools.product(*[self.ranges.get(d, [d]) for d in info.dims]))
        if start not in flat:
            raise ctx.err(f"VECTOR ELM MAP: '{info.name}' has no element [{','.join(start)}]")
        k0 = flat.index(start)
        value = ("n", float("nan"))  # an offset outside the vector
        for k in range(len(flat) - 1, -1, -1):
            if flat[k] in info.slots:
                hit = ("ar", ("==",), [offset, ("n", float(k - k0))])
                value = ("ite", hit, ("r", info.slots[flat[k]]), value)
        return value

    def _constant(self, node, ctx, what):
        """Value of ``node`` at compile time (it fixes the structure: not varied per run)."""
        ir = self.expr(node, ctx)
        deps = set()
        self.tr.collect_params(ir, deps)
        for p in deps:
            p.structural = True
        ev = InitEvaluator(self.tr.control_value("initial_time"), self.tr.control_value("time_step"))
        ev.ensure = self.tr.ensure
        v = ev.eval(ir)
        if not np.isfinite(v):
            raise ctx.err(f"{what} must be a constant, got {v}")
        return v

    def vector_sort_order(self, ref, direction, ctx):
        """VECTOR SORT ORDER(vec[range], direction): for this element's position i, the
        0-based index of the vector's i-th element in ascending (direction 1) or descending
        (0) order, ties in index order; computed at run time from ranks."""
        info = self.elements.get(ref.reference)
        subs = list(ref.subscripts.subscripts) if ref.subscripts else list(info.dims)
        rng = subs[-1].rstrip("!")
        if info is None or rng not in self.ranges:
            raise ctx.err("VECTOR SORT ORDER needs a vector over a subscript range")
        elems = self.ranges[rng]
        i = elems.index(self.resolve_range(rng, ctx))
        asc = self._constant(direction, ctx, "VECTOR SORT ORDER direction") > 0
        vals = [self.expr(ae.ReferenceStructure(ref.reference, ae.SubscriptsReferenceStructure(
            tuple(subs[:-1]) + (e,))), ctx) for e in elems]
        vals = [self._hidden_aux(v, ctx, "sort_value") for v in vals]

        def flag(cond):
            return ("ite", cond, ("n", 1.0), ("n", 0.0))

        result = ("n", 0.0)
        for j, vj in enumerate(vals):
            terms = [flag(("ar", ("<" if asc else ">",), [vm, vj])) for m, vm in enumerate(vals)
                     if m != j]
            terms += [flag(("ar", ("==",), [vm, vj])) for vm in vals[:j]]
            rank = ("ar", ("+",) * (len(terms) - 1), terms) if len(terms) > 1 else \
                (terms[0] if terms else ("n", 0.0))
            hit = ("ar", ("==",), [rank, ("n", float(i))])
            result = ("ar", ("+",), [result, ("ite", hit, ("n", float(j)), ("n", 0.0))])
        return result

    def vector_select(self, args, ctx):
        """VECTOR SELECT(sel[range!], values[range!], missing, op, error): the sum (op 0), min
        (1), mean (2), max (3) or product (4) of the values whose selection is non-zero;
        ``missing`` when none is."""
        dims = []
        _bang_dims(args[0], dims)
        op = int(self._constant(args[3], ctx, "VECTOR SELECT action"))
        sel, val = [], []
        for combo in itertools.product(*[self.ranges[d[:-1]] for d in dims]):
            c = ctx.with_bindings(zip(dims, combo))
            sel.append(("ar", ("!=",), [self.expr(args[0], c), ("n", 0.0)]))
            val.append(self.expr(args[1], c))
        if not sel:
            raise ctx.err("VECTOR SELECT without a '!' subscript")
        count = ("n", 0.0)
        for sk in sel:
            count = ("ar", ("+",), [count, ("ite", sk, ("n", 1.0), ("n", 0.0))])
        neutral = {0: 0.0, 2: 0.0, 4: 1.0, 1: float("inf"), 3: float("-inf")}
        if op not in neutral:
            raise ctx.err(f"VECTOR SELECT action {op} is not 0-4")
        agg = ("n", neutral[op])
        for sk, vk in zip(sel, val):
            item = ("ite", sk, vk, ("n", neutral[op]))
            if op in (1, 3):
                agg = ("f", "min" if op == 1 else "max", [agg, item])
            else:
                agg = ("ar", ("*" if op == 4 else "+",), [agg, item])
        if op == 2:
            agg = ("f", "zidz", [agg, count])
        missing = self.expr(args[2], ctx)
        return ("ite", ("ar", ("==",), [count, ("n", 0.0)]), missing, agg)
