"""Scalar intermediate representation used by the compiled backend.

Every subscripted variable is expanded at compile time into scalar *slots*; each
slot holds a small expression tree (tuples) over other slots:

``('n', v)`` number, ``('t',)`` time, ``('r', slot)`` reference, ``('ar', ops, args)``
arithmetic chain (rendered like PySD renders it, so Python precedence applies),
``('neg', a)``, ``('lg', op, a, b)`` logical and/or, ``('not', a)``, ``('f', name, args)``
function, ``('ite', c, a, b)``, ``('ai', run, init)`` ACTIVE INITIAL, ``('lk', table, x)``
lookup.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

SMALL_VENSIM = 1e-6  # what Vensim (and PySD) consider zero


@dataclass(eq=False)
class Slot:
    """One scalar quantity of the expanded model."""

    id: int
    name: str                 # output name, e.g. 'Stock[a,b]' or a hidden '~...' name
    kind: str                 # 'param', 'control', 'aux', 'state', 'initc'
    visible: bool = True
    var: str = ""             # original element name
    py: str = ""              # PySD python name of the element
    subs: tuple = ()
    ir: object = None         # run-mode expression (aux)
    init_ir: object = None    # initial value (state, initc)
    ddt_ir: object = None     # derivative (state)
    value: float = math.nan   # default (param/control)
    nonneg: bool = False
    user_stock: bool = False  # state of a user-visible INTEG
    structural: bool = False  # param that fixes the model structure (SMOOTH N order)
    next_ir: object = None    # discrete state: its value at the next TIME STEP
    proj: tuple = ()          # SINTEG state: (min, max, quant, spec, thresh), NaN = none

    def __repr__(self):  # pragma: no cover - debugging aid
        return f"Slot({self.id}, {self.name!r}, {self.kind})"


@dataclass
class Table:
    id: int
    xs: tuple
    ys: tuple
    kind: str = "interpolate"


def walk_refs(ir, mode, out):
    """Collect slots referenced by ``ir`` in ``mode`` ('run' or 'init')."""
    tag = ir[0]
    if tag == "r":
        out.add(ir[1])
    elif tag in ("n", "t"):
        return
    elif tag == "ai":
        walk_refs(ir[1] if mode == "run" else ir[2], mode, out)
    elif tag == "ar":
        for a in ir[2]:
            walk_refs(a, mode, out)
    elif tag in ("neg", "not"):
        walk_refs(ir[1], mode, out)
    elif tag == "lg":
        walk_refs(ir[2], mode, out)
        walk_refs(ir[3], mode, out)
    elif tag == "f":
        for a in ir[2]:
            walk_refs(a, mode, out)
    elif tag == "ite":
        for a in ir[1:]:
            walk_refs(a, mode, out)
    elif tag == "lk":
        walk_refs(ir[2], mode, out)
    else:  # pragma: no cover
        raise AssertionError(tag)


# ---------------------------------------------------------------- python evaluation
def _lookup(tab: Table, x: float) -> float:
    xs, ys = tab.xs, tab.ys
    n = len(xs)
    if x >= xs[n - 1]:
        if x == xs[n - 1] or tab.kind != "extrapolate" or n < 2:
            return ys[n - 1]
        k = (ys[n - 1] - ys[n - 2]) / (xs[n - 1] - xs[n - 2])
        return ys[n - 1] + k * (x - xs[n - 1])
    if x <= xs[0]:
        if x == xs[0] or tab.kind != "extrapolate" or n < 2:
            return ys[0]
        k = (ys[1] - ys[0]) / (xs[1] - xs[0])
        return ys[0] + k * (x - xs[0])
    i = 0
    while xs[i + 1] < x:
        i += 1
    if xs[i + 1] == x:
        return ys[i + 1]
    if tab.kind == "hold_backward":
        return ys[i]
    if tab.kind == "hold_forward":
        return ys[i + 1]
    slope = (ys[i + 1] - ys[i]) / (xs[i + 1] - xs[i])
    return slope * (x - xs[i]) + ys[i]


def _fn(name, a, time, dt):
    """Python versions of the functions (same formulas as the generated code)."""
    if name == "step":
        return a[0] if time + dt / 2 > a[1] else 0.0
    if name == "ramp":
        fin = time if len(a) < 3 else min(a[2], time)
        return float(time + SMALL_VENSIM > a[1]) * a[0] * (fin - a[1])
    if name == "pulse":
        return 1.0 if a[0] - SMALL_VENSIM <= time < a[0] + a[1] else 0.0
    if name == "pulse_train":
        start, rep, width, end = a
        if start <= time <= end:  # Vensim fires the pulse at END too
            return 1.0 if (time - start + SMALL_VENSIM) % rep < width else 0.0
        return 0.0
    import numpy as np
    table = {
        "abs": abs, "exp": math.exp, "sqrt": lambda x: math.sqrt(x) if x >= 0 else math.nan,
        "ln": lambda x: math.log(x) if x > 0 else (-math.inf if x == 0 else math.nan),
        "sin": math.sin, "cos": math.cos, "tan": math.tan, "arcsin": math.asin,
        "arccos": math.acos, "arctan": math.atan, "sinh": math.sinh, "cosh": math.cosh,
        "tanh": math.tanh, "integer": lambda x: float(np.trunc(x)),
        "min": min, "max": max, "power": lambda x, y: x ** y,
        "log": lambda x, b: math.log(x) / math.log(b),
        "zidz": lambda n, d: 0.0 if abs(d) < SMALL_VENSIM else n / d,
        "xidz": lambda n, d, x: x if abs(d) < SMALL_VENSIM else n / d,
        "quantum": lambda x, q: x if q < SMALL_VENSIM else q * float(np.trunc(x / q)),
        "modulo": lambda x, q: x - (x if q < SMALL_VENSIM else q * float(np.trunc(x / q))),
        "pi": lambda: math.pi,
        "delay_order": lambda order, dt, dtime: _delay_order(order, dt, dtime),
    }
    return float(table[name](*a))


def _delay_order(order, dt, dtime):
    n = int(order)
    while n > 1 and n * dt > dtime:
        n -= 1
    return float(n)


class InitEvaluator:
    """Evaluates slots in the initialisation stage, in plain Python (compile time)."""

    def __init__(self, time0: float, dt: float, overrides: dict | None = None):
        self.time0 = time0
        self.dt = dt
        self.memo: dict = {}
        self.overrides = overrides or {}
        self.active: set = set()

    def slot(self, s: Slot) -> float:
        if s in self.memo:
            return self.memo[s]
        if s in self.overrides:
            return self.overrides[s]
        if getattr(s, "pending", None) and hasattr(self, "ensure"):
            self.ensure(s)
        if s in self.active:
            from ..errors import ModelError
            raise ModelError(f"circular initialisation involving '{s.name}'")
        self.active.add(s)
        try:
            if s.kind in ("param", "control") and s.ir is None:
                v = s.value
            elif s.kind in ("state", "initc"):
                v = self.eval(s.init_ir)
            else:
                v = self.eval(s.ir)
        finally:
            self.active.discard(s)
        self.memo[s] = v
        return v

    def eval(self, ir) -> float:
        tag = ir[0]
        if tag == "n":
            return ir[1]
        if tag == "t":
            return self.time0
        if tag == "r":
            return self.slot(ir[1])
        if tag == "ai":
            return self.eval(ir[2])
        if tag == "neg":
            return -self.eval(ir[1])
        if tag == "not":
            return float(not self.eval(ir[1]))
        if tag == "lg":
            a, b = self.eval(ir[2]), self.eval(ir[3])
            return float((bool(a) and bool(b)) if ir[1] == "and" else (bool(a) or bool(b)))
        if tag == "ar":
            from .exprtext import chain_args, render_chain
            names = {}

            def operand(a):
                names[f"_a{len(names)}"] = self.eval(a)
                return f"_a{len(names) - 1}"
            src = render_chain(ir[1], chain_args(ir[2], operand))
            try:
                v = eval(src, {}, names)  # noqa: S307 - our own generated text
                return float(v) if not isinstance(v, complex) else math.nan
            except (ZeroDivisionError, OverflowError):
                return math.nan
        if tag == "f":
            return _fn(ir[1], [self.eval(a) for a in ir[2]], self.time0, self.dt)
        if tag == "ite":
            return self.eval(ir[2]) if self.eval(ir[1]) else self.eval(ir[3])
        if tag == "lk":
            return _lookup(ir[1], self.eval(ir[2]))
        raise AssertionError(tag)  # pragma: no cover
