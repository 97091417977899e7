"""JavaScript source of a compiled model, generated from the compiled engine's scalar IR.

The generated text defines the same four functions as the numba module of
:mod:`ambidex.compiled.codegen` -- ``init(t, p, y, c)``, ``rhs(t, y, p, c, dy)``,
``out(t, y, p, c, o)`` and ``nbp(t, y, p, c, tt)`` -- over plain ``Float64Array`` buffers,
so that ``runtime.js`` (a line-by-line port of the Euler, RK4 and Dormand-Prince 5(4) kernels)
integrates the model in a browser with the engine's own step control.

Arithmetic chains keep Python's precedence (``**`` binds tighter than unary minus, comparisons
chain), because the IR's chains are rendered for Python; here they are parsed and re-emitted
with explicit parentheses and ``Math.pow``.
"""

from __future__ import annotations

import json
import math

from ..core.errors import ModelError
from ..core.ir.exprtext import breakpoint_call
from ..core.ir.nodes import walk_refs
from ..core.ir.order import topo

_F1 = {"abs": "Math.abs", "exp": "Math.exp", "sqrt": "R._sqrt", "ln": "R._ln", "sin": "Math.sin",
       "cos": "Math.cos", "tan": "Math.tan", "arcsin": "R._asin", "arccos": "R._acos",
       "arctan": "Math.atan", "sinh": "Math.sinh", "cosh": "Math.cosh", "tanh": "Math.tanh",
       "integer": "Math.trunc"}
_FN = {"min": "R._min", "max": "R._max", "power": "R._pow", "log": "R._log", "zidz": "R._zidz",
       "xidz": "R._xidz", "quantum": "R._quantum", "modulo": "R._modulo",
       "delay_order": "R._delay_order"}
_CMP = {"=": "==", "==": "==", "<>": "!=", "!=": "!=", "<": "<", ">": ">", "<=": "<=", ">=": ">="}
_LOOKUP = {"interpolate": "R._lookup", "extrapolate": "R._lookup_extra",
           "hold_backward": "R._lookup_hold"}


def num(v: float) -> str:
    v = float(v)
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "(-Infinity)"
    return repr(v) if v >= 0 else f"({v!r})"


class JsRenderer:
    """IR expression -> JS expression text; ``names`` maps slots to their JS access text."""

    def __init__(self, mode: str, names: dict):
        self.mode, self.names = mode, names

    def __call__(self, ir) -> str:  # noqa: C901 - one dispatch on IR tags
        tag = ir[0]
        if tag == "n":
            return num(ir[1])
        if tag == "t":
            return "t"
        if tag == "r":
            return self.names[ir[1]]
        if tag == "ai":
            return self(ir[1] if self.mode == "run" else ir[2])
        if tag == "ar":
            return self.chain(ir[1], ir[2])
        if tag == "neg":
            return f"(-({self(ir[1])}))"
        if tag == "not":
            return f"(R._b({self(ir[1])}) ? 0 : 1)"
        if tag == "lg":
            op = "&&" if ir[1] == "and" else "||"
            return f"((R._b({self(ir[2])}) {op} R._b({self(ir[3])})) ? 1 : 0)"
        if tag == "ite":
            return f"(R._b({self(ir[1])}) ? (+({self(ir[2])})) : (+({self(ir[3])})))"
        if tag == "lk":
            t = ir[1]
            return f"{_LOOKUP[t.kind]}(LX{t.id}, LY{t.id}, {self(ir[2])})"
        if tag == "f":
            return self.call(ir[1], [self(a) for a in ir[2]])
        raise ModelError(f"JavaScript export: unknown IR node {tag!r}")

    @staticmethod
    def call(name: str, a: list[str]) -> str:
        if name in _F1:
            return f"{_F1[name]}({a[0]})"
        if name in _FN:
            return f"{_FN[name]}({', '.join(a)})"
        if name == "step":
            return f"R._step(t, DT, {a[0]}, {a[1]})"
        if name == "ramp":
            return f"R._ramp(t, {a[0]}, {a[1]}, {a[2] if len(a) > 2 else 'Infinity'})"
        if name == "pulse":
            return f"R._pulse(t, {a[0]}, {a[1]})"
        if name == "pulse_train":
            return f"R._pulse_train(t, {', '.join(a)})"
        if name == "pi":
            return "Math.PI"
        raise ModelError(f"JavaScript export: function {name!r} is not supported")

    def chain(self, ops, args) -> str:
        """An operator chain with Python's precedence, emitted with explicit parentheses."""
        # operands: (text, absolute-value text or None when not a negative number literal)
        opnd = []
        for a in args:
            if a[0] == "n" and math.isfinite(a[1]) and a[1] < 0:
                opnd.append((num(a[1]), repr(-float(a[1]))))
            else:
                opnd.append((f"({self(a)})", None))
        ops = ["**" if o == "^" else o for o in ops]
        # 1. '**' runs, right-associative; a negative literal base is -(|x| ** rest)
        terms, tops = [], []
        i = 0
        while i < len(opnd):
            j = i
            while j < len(ops) and ops[j] == "**":
                j += 1
            acc = opnd[j][0]
            for k in range(j - 1, i - 1, -1):
                base, neg = opnd[k]
                acc = f"(-Math.pow({neg}, {acc}))" if neg is not None else f"Math.pow({base}, {acc})"
            terms.append(acc)
            if j < len(ops):
                tops.append(ops[j])
            i = j + 1
        # 2. '*' '/' then '+' '-' (left-associative), 3. comparisons (chained as in Python)
        for level in (("*", "/"), ("+", "-")):
            nt, no = [terms[0]], []
            for op, term in zip(tops, terms[1:]):
                if op in level:
                    nt[-1] = f"({nt[-1]} {op} {term})"
                else:
                    no.append(op)
                    nt.append(term)
            terms, tops = nt, no
        if not tops:
            return terms[0]
        bad = [o for o in tops if o not in _CMP]
        if bad:
            raise ModelError(f"JavaScript export: operator {bad[0]!r} is not supported")
        parts = [f"({terms[k]} {_CMP[op]} {terms[k + 1]})" for k, op in enumerate(tops)]
        return "((" + " && ".join(parts) + ") ? 1 : 0)"


def generate_js(cm, outputs: list[str] | None = None) -> tuple[str, dict]:
    """(JS source of a factory ``function(R) -> model``, spec dict) for the compiled model
    ``cm`` (:class:`ambidex.compiled.CompiledModel`); ``outputs`` are output names (Vensim or
    Python names; default every output)."""
    js = _JsModule(cm, outputs)
    lines = ["function (R) {", '"use strict";', *js.header(), *js.init_fn(), *js.rhs_fn(),
             *js.out_fn(), *js.nbp_fn(),
             f"return {{init, rhs, out, nbp, DT, NO: {len(js.req)}}};", "}"]
    return "\n".join(lines), js.spec()


class _JsModule:
    """The four functions of :func:`generate_js` for one compiled model, one method each."""

    def __init__(self, cm, outputs):
        self.cm, self.tr = cm, cm._tr
        layout = cm._layout
        self.params, self.states, self.initcs, alls = (layout["params"], layout["states"],
                                                       layout["initcs"], layout["outputs"])
        stepped = [s.name for s in self.states if s.next_ir is not None or s.proj]
        if stepped:  # the browser's integrators have no once-per-step update or projection
            fns = ", ".join(list(cm.stepped_functions)
                            + (["SINTEG"] if any(s.proj for s in self.states) else []))
            raise ModelError(f"JavaScript export: model '{cm.model_name}' uses {fns}, which the "
                             "browser simulator does not run")
        self.req = ([alls[i] for i in cm._out_targets(outputs)] if outputs is not None
                    else list(alls))
        self.pidx = {s: i for i, s in enumerate(self.params)}
        self.yidx = {s: i for i, s in enumerate(self.states)}
        self.cidx = {s: i for i, s in enumerate(self.initcs)}
        self.rrun = JsRenderer("run", self.names("run"))

    def names(self, mode):
        out = {}
        for s in self.tr.slots:
            if s.kind == "control":
                out[s] = num(s.value)
            elif s.kind == "param":
                out[s] = f"p[{self.pidx[s]}]" if s in self.pidx else num(s.value)
            elif mode == "run" and s.kind == "state":
                out[s] = f"y[{self.yidx[s]}]"
            elif mode == "run" and s.kind == "initc":
                out[s] = f"c[{self.cidx[s]}]"
            else:
                out[s] = f"v{s.id}"
        return out

    def header(self):
        lines = []
        for t in self.tr.tables:
            lines.append(f"const LX{t.id} = {json.dumps([float(x) for x in t.xs])};")
            lines.append(f"const LY{t.id} = {json.dumps([float(y) for y in t.ys])};")
        lines.append(f"const DT = {num(self.tr.control_value('time_step'))};")
        return lines

    def init_fn(self):
        rin = JsRenderer("init", self.names("init"))
        order = topo(list(self.states) + list(self.initcs), "init", self.tr.model_name)
        body = []
        for s in order:
            ir = s.init_ir if s.kind in ("state", "initc") else s.ir
            body.append(f"  const v{s.id} = +({rin(ir)});")
        body += [f"  y[{self.yidx[s]}] = v{s.id};" for s in self.states]
        body += [f"  c[{self.cidx[s]}] = v{s.id};" for s in self.initcs]
        return ["function init(t, p, y, c) {", *body, "}"]

    def run_body(self, root_irs):
        needed = set()
        for ir in root_irs:
            walk_refs(ir, "run", needed)
        roots = [s for s in sorted(needed, key=lambda s: s.id) if s.kind == "aux"]
        return [f"  const v{s.id} = +({self.rrun(s.ir)});"
                for s in topo(roots, "run", self.tr.model_name)]

    def rhs_fn(self):
        body = self.run_body([s.ddt_ir for s in self.states])
        body += [f"  dy[{self.yidx[s]}] = {self.rrun(s.ddt_ir)};" for s in self.states]
        return ["function rhs(t, y, p, c, dy) {", *body, "}"]

    def out_fn(self):
        body = self.run_body([("r", s) for s in self.req])
        body += [f"  o[{j}] = {self.rrun(('r', s))};" for j, s in enumerate(self.req)]
        return ["function out(t, y, p, c, o) {", *body, "}"]

    def nbp_fn(self):
        sites = self.tr.bp_sites
        body = self.run_body([a for _, args in sites for a in args])
        body.append("  let bp = Infinity;")
        for kind, args in sites:
            call = breakpoint_call(kind, [self.rrun(x) for x in args], prefix="R.", inf="Infinity")
            body.append(f"  bp = Math.min(bp, {call});")
        return ["function nbp(t, y, p, c, tt) {", *body, "  return bp;", "}"]

    def spec(self) -> dict:
        cm, params, req = self.cm, self.params, self.req
        times, save = cm.time_grid()
        return {
            "name": cm.model_name,
            "NY": len(self.states), "NC": max(len(self.initcs), 1),
            "params": [s.name for s in params],
            "param_py": [cm._py_elem(s) for s in params],
            "defaults": [float(s.value) for s in params],
            "outputs": [s.name for s in req],
            "output_py": [cm._py_elem(s) for s in req],
            "nonneg": [self.yidx[s] for s in self.states if s.nonneg],
            "has_bp": bool(self.tr.bp_sites),
            "initial_time": cm.initial_time, "final_time": cm.final_time,
            "time_step": cm.time_step, "saveper": cm.saveper,
            "grid": times.tolist(), "save": [bool(b) for b in save],
        }
