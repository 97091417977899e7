"""Vensim's VECTOR functions on the expanded model (mixed into the translator's Scope).

VECTOR ELM MAP picks an element at a run-time offset, VECTOR SORT ORDER and VECTOR RANK (Stella's
RANK) order a vector, VECTOR SELECT aggregates the selected elements, and a subscript computed at
run time (Stella's ``x[INT(TIME MOD 5) + 1]``) picks an element by its 1-based position; each
becomes a chain of IF THEN ELSE / MIN / MAX over the vector's element slots, so the compiled
kernels need nothing new.  The vector may be a variable (``h[DimA]``) or an expression over a
range (``base[Region] + boost[Region]``, XMILE), evaluated once per element of that range.
"""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
from pysd.translators.structures import abstract_expressions as ae

from .nodes import InitEvaluator


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


def _bang(node, rng: str):
    """``node`` with the subscript ``rng`` written ``rng!`` (iterated, not bound)."""
    if isinstance(node, ae.SubscriptsReferenceStructure):
        return ae.SubscriptsReferenceStructure(
            tuple(s + "!" if s == rng else s for s in node.subscripts))
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        return dataclasses.replace(node, **{f.name: _bang(getattr(node, f.name), rng)
                                            for f in dataclasses.fields(node) if f.init})
    if isinstance(node, (list, tuple)):
        return type(node)(_bang(x, rng) for x in node)
    return node


def _first_range(node, ranges):
    """The last subscript of the first subscripted reference in ``node`` that is a range."""
    if isinstance(node, ae.ReferenceStructure) and node.subscripts is not None:
        subs = [s for s in node.subscripts.subscripts if isinstance(s, str)]
        if subs and subs[-1].rstrip("!") in ranges:
            return subs[-1].rstrip("!")
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        for f in dataclasses.fields(node):
            r = _first_range(getattr(node, f.name), ranges)
            if r:
                return r
    elif isinstance(node, (list, tuple)):
        for x in node:
            r = _first_range(x, ranges)
            if r:
                return r
    return None


def _flag(cond):
    return ("ite", cond, ("n", 1.0), ("n", 0.0))


def _total(terms):
    return ("ar", ("+",) * (len(terms) - 1), terms) if len(terms) > 1 else \
        (terms[0] if terms else ("n", 0.0))


#: the functions :meth:`VectorMixin.vector_call` takes (Stella's RANK is VECTOR RANK)
VECTOR_FUNCTIONS = ("vector_elm_map", "vector_sort_order", "vector_rank", "rank",
                    "vector_select")


class VectorMixin:
    def vector_call(self, fname, args, ctx):
        """IR of one of :data:`VECTOR_FUNCTIONS` called with PySD's ``args``."""
        if fname == "vector_elm_map":
            offset = self.expr(args[1], ctx)
            if isinstance(args[0], ae.ReferenceStructure) and args[0].reference in self.elements:
                return self.vector_elm_map(args[0], offset, ctx)
            return self.computed_elm_map(args[0], offset, ctx)
        if fname == "vector_sort_order":
            return self.vector_sort_order(args[0], args[1], ctx)
        if fname == "vector_select":
            return self.vector_select(args, ctx)
        return self.vector_rank(args, ctx)

    def dynamic_reference(self, node, info, ctx):
        """``x[..., expr, ...]``: the element at the 1-based position ``INTEGER(expr)`` of
        that dimension, chosen at run time (NaN outside the dimension)."""
        subs = list(node.subscripts.subscripts)
        k = next(i for i, s in enumerate(subs) if not isinstance(s, str))
        if k >= len(info.dims) or info.dims[k] not in self.ranges:
            raise ctx.err(f"'{info.name}' has no dimension at subscript position {k + 1}")
        pos = self._hidden_aux(("f", "integer", [self.expr(subs[k], ctx)]), ctx, "position")
        value = ("n", float("nan"))
        elems = self.ranges[info.dims[k]]
        for j in range(len(elems) - 1, -1, -1):
            ref = ae.ReferenceStructure(node.reference, ae.SubscriptsReferenceStructure(
                tuple(subs[:k]) + (elems[j],) + tuple(subs[k + 1:])))
            value = ("ite", ("ar", ("==",), [pos, ("n", float(j + 1))]),
                     self.reference(ref, ctx), value)
        return value

    def _computed_vector(self, operand, ctx, what):
        """``(range, values, position of this element)`` of a vector given as an expression
        over one range (each value a hidden aux)."""
        rng = _first_range(operand, self.ranges)
        if rng is None:
            raise ctx.err(f"{what} needs a vector over a subscript range")
        elems = self.ranges[rng]
        banged = _bang(operand, rng)
        vals = [self._hidden_aux(self.expr(banged, ctx.with_bindings([(rng + "!", e)])),
                                 ctx, "vector") for e in elems]
        bound = next((e for n, e in ctx.bindings if n == rng), None)
        return rng, vals, (elems.index(bound) if bound in elems else None)

    def _ranks(self, vals, asc):
        """1-based rank of each value (ties in index order) as IR."""
        out = []
        for j, vj in enumerate(vals):
            terms = [_flag(("ar", ("<" if asc else ">",), [vm, vj]))
                     for m, vm in enumerate(vals) if m != j]
            terms += [_flag(("ar", ("==",), [vm, vj])) for vm in vals[:j]]
            out.append(("ar", ("+",), [_total(terms), ("n", 1.0)]))
        return out

    def vector_rank(self, args, ctx):
        """VECTOR RANK(vec, direction) / Stella RANK: this element's 1-based rank in ascending
        (direction 1) or descending (0) order."""
        _, vals, i = self._computed_vector(args[0], ctx, "VECTOR RANK")
        asc = self._constant(args[1], ctx, "VECTOR RANK direction") > 0 if len(args) > 1 else True
        if i is None:
            raise ctx.err("VECTOR RANK must be computed for each element of its range")
        return self._ranks(vals, asc)[i]

    def computed_elm_map(self, operand, offset, ctx):
        """VECTOR ELM MAP over an expression: its element at the 0-based ``offset`` from the
        first element of the range (NaN outside)."""
        _, vals, _ = self._computed_vector(operand, ctx, "VECTOR ELM MAP")
        value = ("n", float("nan"))
        for k in range(len(vals) - 1, -1, -1):
            value = ("ite", ("ar", ("==",), [offset, ("n", float(k))]), vals[k], value)
        return value

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

    def vector_sort_order(self, operand, direction, ctx):
        """VECTOR SORT ORDER(vec[range], direction): for this element's position i, the
        0-based index of the vector's i-th element in ascending (direction 1) or descending
        (0) order, ties in index order; computed at run time from ranks."""
        asc = self._constant(direction, ctx, "VECTOR SORT ORDER direction") > 0
        info = self.elements.get(getattr(operand, "reference", None))
        if info is not None and not info.is_lookup:
            subs = list(operand.subscripts.subscripts) if operand.subscripts else list(info.dims)
            rng = subs[-1].rstrip("!")
            if rng not in self.ranges:
                raise ctx.err("VECTOR SORT ORDER needs a vector over a subscript range")
            elems = self.ranges[rng]
            i = elems.index(self.resolve_range(rng, ctx))
            vals = [self._hidden_aux(self.expr(ae.ReferenceStructure(
                operand.reference, ae.SubscriptsReferenceStructure(tuple(subs[:-1]) + (e,))),
                ctx), ctx, "sort_value") for e in elems]
        else:
            _, vals, i = self._computed_vector(operand, ctx, "VECTOR SORT ORDER")
            if i is None:
                raise ctx.err("VECTOR SORT ORDER must be computed for each element of its range")
        result = ("n", 0.0)
        for j, rank in enumerate(self._ranks(vals, asc)):
            hit = ("ar", ("==",), [rank, ("n", float(i + 1))])
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
