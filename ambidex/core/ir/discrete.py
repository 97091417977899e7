"""Vensim's discrete and special-integration functions on the compiled engine (mixed into
:class:`~ambidex.core.ir.scope.Scope`).

- DELAY FIXED, DELAY MATERIAL (constant delay time) and SAMPLE IF TRUE are *discrete states*:
  hidden states whose value at the next TIME STEP is an expression of the current one
  (``Slot.next_ir``), assigned once per step by the Euler and RK4 kernels (their derivative is
  0 inside a step), as Vensim and PySD step them.  They need a fixed step: method 'dopri5'
  refuses a model that has them, naming the function.
- NPV is two ordinary states (the discount factor and the discounted sum), Vensim's own
  formulation: ``df' = -df * rate / (1 + rate * DT)``, ``ncum' = stream * df``,
  ``NPV = (ncum + stream * DT * df) * factor``.
- SINTEG(rate, initial, min, max, quant, spec, thresh) is a state whose value is projected after
  every step: rounded to a multiple of ``quant``, kept within [min, max], and set to ``spec``
  when within ``thresh`` of it (:NA: switches a rule off).
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import UnsupportedFunctionError
from .nodes import InitEvaluator

SMALL_VENSIM = 1e-6
MAX_PIPELINE = 100_000  # steps of one fixed delay (each is a state)
TIME_FUNCTIONS = {"step", "ramp", "pulse", "pulse_train"}


class DiscreteMixin:
    def _at_start(self, node, ctx, what: str) -> float:
        """Value of ``node`` at INITIAL TIME with the default parameters, fixed at compile
        time (the constants it uses become structural: they cannot vary per run)."""
        ir = self.expr(node, ctx)
        ev = InitEvaluator(self.tr.control_value("initial_time"),
                           self.tr.control_value("time_step"))
        ev.ensure = self.tr.ensure
        deps: set = set()
        self.tr.collect_params(ir, deps)
        for p in deps:
            p.structural = True
        value = float(ev.eval(ir))
        if math.isnan(value) and what:
            raise ctx.err(f"{what} is not a number at INITIAL TIME")
        return value

    def _discrete(self, name: str, init_ir, next_ir, ctx):
        s = self.tr.new_slot(name, "state", visible=False)
        s.init_ir, s.next_ir, s.ddt_ir = init_ir, next_ir, ("n", 0.0)
        return s

    def _pipeline(self, fn: str, node_input, delay_node, init_node, ctx):
        """DELAY FIXED's shift register: ``n = max(round(delay / DT), 1)`` discrete states;
        the output is the input ``n`` steps ago (the initial value before that)."""
        dt = self.tr.control_value("time_step")
        delay = self._at_start(delay_node, ctx, f"{fn} delay time")
        n = max(int(round(max(delay / dt, 1.0) + SMALL_VENSIM)), 1)
        if n > MAX_PIPELINE:
            raise ctx.err(f"{fn} delay time {delay:g} is {n} TIME STEPs ({MAX_PIPELINE} at most)")
        inp = self._hidden_aux(self.expr(node_input, ctx), ctx, f"{fn.lower()} input")
        init = self.expr(init_node, ctx)
        self.tr.stepped.setdefault(fn, ctx.slot.var or ctx.slot.name)
        prev = inp
        s = None
        for k in range(n):
            s = self._discrete(f"~{fn.lower()}[{k}]:{ctx.slot.name}", init, prev, ctx)
            prev = ("r", s)
        return ("r", s)

    def delay_fixed(self, node, ctx):
        return self._pipeline("DELAY FIXED", node.input, node.delay_time, node.initial, ctx)

    def delay_material(self, args, ctx):
        """DELAY MATERIAL(input, delay time, initial value, missing value): DELAY FIXED when
        the delay time stays constant over the run; a delay time that changes is refused."""
        if len(args) != 4:
            raise ctx.err(f"DELAY MATERIAL takes 4 arguments, got {len(args)}")
        if not self._steady(self.expr(args[1], ctx)):
            raise UnsupportedFunctionError("DELAY MATERIAL with a delay time that changes "
                                           "during the run", ctx.slot.var, self.tr.model_name)
        return self._pipeline("DELAY MATERIAL", args[0], args[1], args[2], ctx)

    def _steady(self, ir) -> bool:
        """Whether ``ir`` keeps one value over a run (numbers, parameters, INITIAL values and
        auxiliaries made of them)."""
        tag = ir[0]
        if tag in ("t", "n"):
            return tag == "n"
        if tag == "r":
            s = ir[1]
            self.tr.ensure(s)
            if s.kind == "aux":
                return s.ir is not None and self._steady(s.ir)
            return s.kind in ("param", "control", "initc")
        if tag == "f" and ir[1] in TIME_FUNCTIONS:
            return False
        kids = {"ai": [ir[1]] if tag == "ai" else [], "ar": ir[2] if tag == "ar" else [],
                "neg": ir[1:2], "not": ir[1:2], "lg": ir[2:4], "f": ir[2] if tag == "f" else [],
                "ite": ir[1:4], "lk": ir[2:3]}[tag]
        return all(self._steady(k) for k in kids)

    def previous(self, args, ctx):
        """Stella's PREVIOUS(x, init): ``x`` one TIME STEP ago (``init``, else ``x``'s own
        initial value, at the first step)."""
        if len(args) not in (1, 2):
            raise ctx.err(f"PREVIOUS takes 1 or 2 arguments, got {len(args)}")
        inp = self._hidden_aux(self.expr(args[0], ctx), ctx, "previous input")
        init = self.expr(args[1] if len(args) == 2 else args[0], ctx)
        self.tr.stepped.setdefault("PREVIOUS", ctx.slot.var or ctx.slot.name)
        s = self._discrete(f"~previous[0]:{ctx.slot.name}", init, inp, ctx)
        return ("r", s)

    def sample_if_true(self, node, ctx):
        """SAMPLE IF TRUE(condition, input, initial): the input while the condition holds,
        else the value it had one TIME STEP before (``initial`` until it first holds)."""
        cond = self.expr(node.condition, ctx)
        inp = self.expr(node.input, ctx)
        held = self._discrete(f"~sample_if_true:{ctx.slot.name}", self.expr(node.initial, ctx),
                              None, ctx)
        value = self.tr.new_slot(f"~sampled:{ctx.slot.name}", "aux", visible=False)
        value.ir = ("ite", cond, inp, ("r", held))
        held.next_ir = ("r", value)
        self.tr.stepped.setdefault("SAMPLE IF TRUE", ctx.slot.var or ctx.slot.name)
        return ("r", value)

    def npv(self, args, ctx):
        """NPV(stream, discount rate, initial value, factor) as Vensim defines it (module
        docstring); the discount rate is per unit of time."""
        if len(args) != 4:
            raise ctx.err(f"NPV takes 4 arguments, got {len(args)}")
        stream, rate, init, factor = (self.expr(a, ctx) for a in args)
        stream = self._hidden_aux(stream, ctx, "npv stream")
        rate = self._hidden_aux(rate, ctx, "npv rate")
        dt = ("n", self.tr.control_value("time_step"))
        df = self.tr.new_slot(f"~npv_df:{ctx.slot.name}", "state", visible=False)
        df.init_ir = ("n", 1.0)
        df.ddt_ir = ("ar", ("/",), [("ar", ("*",), [("neg", ("r", df)), rate]),
                                    ("ar", ("+",), [("n", 1.0), ("ar", ("*",), [rate, dt])])])
        ncum = self.tr.new_slot(f"~npv_sum:{ctx.slot.name}", "state", visible=False)
        ncum.init_ir = init
        ncum.ddt_ir = ("ar", ("*",), [stream, ("r", df)])
        return ("ar", ("*",), [("ar", ("+",), [("r", ncum), ("ar", ("*", "*"), [
            stream, dt, ("r", df)])]), factor])

    def sinteg(self, args, ctx):
        """SINTEG(rate, initial, min, max, quant, spec, thresh) (module docstring)."""
        if len(args) != 7:
            raise ctx.err(f"SINTEG takes 7 arguments, got {len(args)}")
        bounds = tuple(self._at_start(a, ctx, "") for a in args[2:])
        s = self.tr.new_slot(f"~sinteg:{ctx.slot.name}", "state", visible=False)
        s.ddt_ir = self.expr(args[0], ctx)
        s.init_ir = self.expr(args[1], ctx)
        s.proj = tuple(float(b) if np.isfinite(b) else math.nan for b in bounds)
        return ("r", s)
