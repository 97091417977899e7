"""Stella's own stock semantics in the IR: a non-negative stock's outflows take at most what
the stock holds (used by :class:`~ambidex.core.ir.scope.Scope` for XMILE / Stella files)."""

from __future__ import annotations

from .nodes import Slot


class StellaMixin:
    def _limit_outflows(self, stock: Slot) -> None:
        """Stella's non-negative stock: its outflows, in order, take at most what the stock
        holds over one DT plus its inflows (the flow itself reports the reduced value, as
        Stella's does); a stock the flows never empty is unchanged."""
        ir = stock.ddt_ir
        ops, args = ((), [ir]) if ir[0] != "ar" else (ir[1], ir[2])
        signs = [1] + [1 if op == "+" else -1 if op == "-" else 0 for op in ops]
        if 0 in signs or not all(a[0] in ("r", "neg") for a in args):
            return  # not a plain sum of flows: leave it to the clamp
        terms = [(-sg if a[0] == "neg" else sg, a[1] if a[0] == "neg" else a) for sg, a in
                 zip(signs, args)]
        if not all(t[0] == "r" for _, t in terms):
            return
        dt = ("r", self.tr.control("time_step"))
        avail = [("ar", ("/",), [("r", stock), dt])] + [t for sg, t in terms if sg > 0]
        for sg, (_, flow) in terms:
            if sg > 0 or flow.kind != "aux" or getattr(flow, "limited", False):
                continue  # an inflow, a constant (overridable) outflow, or limited already
            self.tr.ensure(flow)
            room = avail[0] if len(avail) == 1 else ("ar", ("+",) * (len(avail) - 1), avail)
            flow.ir = ("f", "min", [flow.ir, ("f", "max", [("n", 0.0), room])])
            flow.limited = True
            avail = avail + [("neg", ("r", flow))]
