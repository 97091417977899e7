"""SMOOTH/DELAY/TREND as hidden states, and inline macro expansion (mixed into Scope)."""

from __future__ import annotations

import numpy as np

from ..errors import UnsupportedFunctionError
from .nodes import InitEvaluator


def clean(name: str) -> str:
    """PySD's clean name of a variable (what references in the AbstractModel use)."""
    return name.lower().replace(" ", "_")


class StatefulMixin:
    def _hidden_aux(self, ir, ctx, what):
        if ir[0] in ("n", "r", "t"):
            return ir
        s = self.tr.new_slot(f"~{what}:{ctx.slot.name}", "aux", visible=False)
        s.ir = ir
        return ("r", s)

    def _order(self, node, ctx, what):
        order_ir = self.expr(node.order, ctx)
        ev = InitEvaluator(self.tr.control_value("initial_time"),
                           self.tr.control_value("time_step"))
        ev.ensure = self.tr.ensure
        deps = set()
        self.tr.collect_params(order_ir, deps)
        for p in deps:
            p.structural = True
        order = ev.eval(order_ir)
        if not np.isfinite(order) or int(order) < 1:
            raise ctx.err(f"{what} order must be a positive integer, got {order}")
        return int(order)

    def smooth(self, node, ctx):
        order = self._order(node, ctx, "SMOOTH")
        inp = self._hidden_aux(self.expr(node.input, ctx), ctx, "smooth_input")
        st = self._hidden_aux(self.expr(node.smooth_time, ctx), ctx, "smooth_time")
        init = self.expr(node.initial, ctx)
        states = [self.tr.new_slot(f"~smooth{order}[{k}]:{ctx.slot.name}", "state", visible=False)
                  for k in range(order)]
        for k, s in enumerate(states):
            s.init_ir = init
            target = inp if k == 0 else ("r", states[k - 1])
            s.ddt_ir = ("ar", ("*", "/"), [("ar", ("-",), [target, ("r", s)]),
                                           ("n", float(order)), st])
        return ("r", states[-1])

    def delay(self, node, ctx):
        order = self._order(node, ctx, "DELAY")
        inp = self._hidden_aux(self.expr(node.input, ctx), ctx, "delay_input")
        dt = self._hidden_aux(self.expr(node.delay_time, ctx), ctx, "delay_time")
        init = self.expr(node.initial, ctx)
        # Vensim keeps the full order even when order * TIME STEP exceeds the delay time
        # (SDEverywhere's delay.mdl against Vensim: DELAY3 with delay 1 at dt 1 oscillates);
        # PySD lowers the order there, which is not what the modeller's tool computes.
        nref = ("n", float(order))
        states = [self.tr.new_slot(f"~delay{order}[{k}]:{ctx.slot.name}", "state", visible=False)
                  for k in range(order)]
        outs = [("ar", ("/",), [("r", s), dt]) for s in states]
        for k, s in enumerate(states):
            s.init_ir = ("ar", ("*",), [init, dt])
            inflow = inp if k == 0 else outs[k - 1]
            s.ddt_ir = ("ar", ("*",), [("ar", ("-",), [inflow, outs[k]]), nref])
        return outs[-1]

    def trend(self, node, ctx):
        inp = self._hidden_aux(self.expr(node.input, ctx), ctx, "trend_input")
        avg = self._hidden_aux(self.expr(node.average_time, ctx), ctx, "trend_time")
        init = self.expr(node.initial_trend, ctx)
        s = self.tr.new_slot(f"~trend:{ctx.slot.name}", "state", visible=False)
        s.init_ir = ("ar", ("/",), [inp, ("ar", ("+",), [("n", 1.0),
                                                           ("ar", ("*",), [init, avg])])])
        s.ddt_ir = ("ar", ("/",), [("ar", ("-",), [inp, ("r", s)]), avg])
        return ("f", "zidz", [("ar", ("-",), [inp, ("r", s)]),
                              ("ar", ("*",), [avg, ("f", "abs", [("r", s)])])])

    def macro(self, section, args, ctx):
        if section.returns:
            raise UnsupportedFunctionError("MACRO with several outputs", ctx.slot.var,
                                           self.tr.model_name)
        argmap = {}
        for pname, a in zip(section.params, args):
            argmap[clean(pname)] = self._hidden_aux(self.expr(a, ctx), ctx, f"arg {pname}")
        self.tr.n_macro += 1
        prefix = f"~{ctx.slot.name}>{section.name}#{self.tr.n_macro}."
        scope = type(self)(self.tr, section, prefix, argmap)
        out = scope.elements.get(clean(section.name))
        if out is None or () not in out.slots:
            raise ctx.err(f"macro '{section.name}' has no scalar output variable")
        for info in scope.elements.values():
            for s in info.slots.values():
                self.tr.ensure(s)
        return ("r", out.slots[()])


