"""Evaluate single equations of a model on numpy arrays, with inputs from any time.

Loops That Matter re-evaluates one variable with only one of its inputs at the current time and
all others at the previous time.  The compiled engine's translator (:mod:`ambidex.compiled`)
already turns PySD's AbstractModel into per-variable expression trees (*slots*, see
:mod:`ambidex.core.ir`); this module evaluates those trees vectorised over time, on any
mix of input arrays.  A stock's "equation" is its net flow (the derivative).

Functions: arithmetic and comparisons, MIN, MAX, ABS, EXP, LN, SQRT, the trigonometric ones,
POWER, LOG, INTEGER, IF THEN ELSE, XIDZ, ZIDZ, QUANTUM, MODULO, STEP, RAMP, PULSE, PULSE TRAIN,
lookups (WITH LOOKUP and lookup tables), ACTIVE INITIAL, INITIAL.
"""

from __future__ import annotations

import numpy as np

from ..core.errors import ModelError
from ..core.ir.exprtext import chain_args, render_chain
from ..core.ir.nodes import SMALL_VENSIM, InitEvaluator, _fn, _lookup


def _safe(f):
    def g(*a):
        with np.errstate(all="ignore"):
            return f(*a)
    return g


_NP = {
    "abs": np.abs, "exp": np.exp, "sin": np.sin, "cos": np.cos, "tan": np.tan,
    "arcsin": np.arcsin, "arccos": np.arccos, "arctan": np.arctan, "sinh": np.sinh,
    "cosh": np.cosh, "tanh": np.tanh, "integer": np.trunc,
    "sqrt": lambda x: np.where(x >= 0, np.sqrt(np.abs(x)), np.nan),
    "ln": lambda x: np.where(x > 0, np.log(np.where(x > 0, x, 1.0)),
                             np.where(x == 0, -np.inf, np.nan)),
    "min": np.minimum, "max": np.maximum, "power": np.power,
    "log": lambda x, b: np.log(x) / np.log(b),
    "zidz": lambda n, d: np.where(np.abs(d) < SMALL_VENSIM, 0.0,
                                  n / np.where(np.abs(d) < SMALL_VENSIM, 1.0, d)),
    "xidz": lambda n, d, x: np.where(np.abs(d) < SMALL_VENSIM, x,
                                     n / np.where(np.abs(d) < SMALL_VENSIM, 1.0, d)),
}
_NP = {k: _safe(v) for k, v in _NP.items()}


class Equations:
    """The model's equations as expression trees over slots, evaluable on arrays.

    ``slot(py)`` is the slot of the (unsubscripted) variable with that py name; ``expr(py)``
    its run-time expression (net flow for a stock); ``evaluate(py, env, time)`` evaluates it
    where ``env`` maps py names to arrays (or floats) and ``time`` is an array of times.
    """

    def __init__(self, model):
        self.model = model
        self.tr = model.ir  # the model's one IR, shared with the compiled engine
        self.dt = self.tr.control_value("time_step")
        self.t0 = self.tr.control_value("initial_time")
        self.slots = {}
        for py, info in self.tr.scope.elements.items():
            if info.is_lookup or () not in info.slots:
                continue
            self.slots[py] = info.slots[()]
        self._py_of = {s: py for py, s in self.slots.items()}
        self._init = None

    def slot(self, py: str):
        try:
            return self.slots[py]
        except KeyError:
            raise ModelError(f"variable '{py}' of model '{self.model.path.name}' is not a node "
                             f"of its loop graph (an element is named like 'population[North]')"
                             ) from None

    def expr(self, py: str):
        s = self.slot(py)
        if s.kind == "state":
            return s.ddt_ir
        return s.ir

    def evaluate(self, py: str, env: dict, time) -> np.ndarray:
        """Value of ``py``'s equation (a stock: its net flow) given inputs ``env`` (py name ->
        array or float) at times ``time``."""
        ir = self.expr(py)
        if ir is None:  # a constant
            return np.asarray(env.get(py, self.slot(py).value), dtype=float)
        return np.asarray(self._eval(ir, env, np.asarray(time, dtype=float), {}), dtype=float)

    # ------------------------------------------------------------------ internals
    def _hidden(self, s, env, time, memo):
        """A slot without a trajectory of its own (a hidden helper or a missing variable)."""
        if s in memo:
            return memo[s]
        py = self._py_of.get(s)
        if py is not None and py in env:
            return env[py]
        if s.kind in ("param", "control") and s.ir is None:
            v = s.value
        elif s.kind == "initc":
            if self._init is None:
                self._init = InitEvaluator(self.t0, self.dt)
                self._init.ensure = self.tr.ensure
            v = self._init.slot(s)
        elif s.kind == "state":
            raise ModelError(f"'{s.var}' of model '{self.model.path.name}' holds a hidden state "
                             f"(SMOOTH, DELAY or TREND); loop scores here need plain INTEG stocks")
        else:
            v = self._eval(s.ir, env, time, memo)
        memo[s] = v
        return v

    def _eval(self, ir, env, time, memo):  # noqa: C901 - one dispatch on node tags
        tag = ir[0]
        if tag == "n":
            return ir[1]
        if tag == "t":
            return time
        if tag == "r":
            return self._hidden(ir[1], env, time, memo)
        if tag == "ai":
            return self._eval(ir[1], env, time, memo)
        if tag == "neg":
            return -np.asarray(self._eval(ir[1], env, time, memo))
        if tag == "not":
            return np.logical_not(self._eval(ir[1], env, time, memo)).astype(float)
        if tag == "lg":
            a = np.asarray(self._eval(ir[2], env, time, memo)) != 0
            b = np.asarray(self._eval(ir[3], env, time, memo)) != 0
            return (np.logical_and(a, b) if ir[1] == "and" else np.logical_or(a, b)).astype(float)
        if tag == "ar":
            names = {}

            def operand(a):
                names[f"_a{len(names)}"] = np.asarray(self._eval(a, env, time, memo), dtype=float)
                return f"_a{len(names) - 1}"
            src = render_chain(ir[1], chain_args(ir[2], operand))
            with np.errstate(all="ignore"):
                v = eval(src, {"np": np}, names)  # noqa: S307 - our own generated text
            return np.asarray(v, dtype=float)
        if tag == "f":
            args = [np.asarray(self._eval(a, env, time, memo), dtype=float) for a in ir[2]]
            f = _NP.get(ir[1])
            if f is not None:
                return f(*args)
            # the time functions and the rest: element by element with the engine's formulas
            shape = np.broadcast_shapes(np.shape(time), *[np.shape(a) for a in args])
            tb = np.broadcast_to(time, shape)
            ab = [np.broadcast_to(a, shape) for a in args]
            out = np.empty(shape)
            for idx in np.ndindex(shape):
                out[idx] = _fn(ir[1], [float(a[idx]) for a in ab], float(tb[idx]), self.dt)
            return out
        if tag == "ite":
            c = np.asarray(self._eval(ir[1], env, time, memo))
            a = self._eval(ir[2], env, time, memo)
            b = self._eval(ir[3], env, time, memo)
            return np.where(c != 0, a, b)
        if tag == "lk":
            x = np.asarray(self._eval(ir[2], env, time, memo), dtype=float)
            tab = ir[1]
            return np.vectorize(lambda v: _lookup(tab, float(v)), otypes=[float])(x) \
                if x.ndim else _lookup(tab, float(x))
        raise AssertionError(tag)  # pragma: no cover

    def inputs(self, py: str) -> set[str]:
        """Py names of the variables ``py``'s equation reads at run time (through hidden
        helper slots too)."""
        out: set[str] = set()
        seen = set()

        def walk(ir):
            from ..core.ir.nodes import walk_refs
            refs = set()
            walk_refs(ir, "run", refs)
            for s in refs:
                if s in seen:
                    continue
                seen.add(s)
                p = self._py_of.get(s)
                if p is not None:
                    out.add(p)
                elif s.kind == "aux" and s.ir is not None:
                    walk(s.ir)
        ir = self.expr(py)
        if ir is not None:
            walk(ir)
        return out


