"""Parameter-only work out of the per-evaluation functions: computed once per run.

An auxiliary whose value depends only on parameters, controls and initial values (e.g. the dual
model's ``learning exponent`` = ln(learning rate) / ln 2) is the same at every RHS evaluation
of a run; so is a sub-expression like ``LN(2)`` or ``p1 / p2`` inside a time-varying equation.
:func:`plan` finds them; the generated ``_pre(p, c)`` (called at the end of ``_init``) stores
their values behind the initial values in ``c``, and ``_rhs``/``_disc``/``_nbp`` load them
from there.  The expressions are the same IEEE operations as before, done once instead of at
every evaluation, so the results are bitwise those of the unhoisted code -- except one rewrite:
a division by a parameter-only operand inside a time-varying chain (``x / p``) becomes a
multiplication by its reciprocal computed once per run (``x * r``, ``r = 1 / p``), which can
differ from the division in the last bit (a division costs several multiplications).
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: functions whose value depends on the time ``t`` although their arguments do not
TIMED = frozenset({"step", "ramp", "pulse", "pulse_train"})
#: cheap enough that loading a stored value would not pay (a sub-expression is hoisted only
#: when it contains something else: a division, a power, another function)
CHEAP_F = frozenset({"min", "max", "abs", "integer"})


@dataclass
class Hoist:
    """What ``_pre`` computes: ``slots`` (whole parameter-only auxiliaries the per-evaluation
    functions use, in ``c`` from ``offset``), then ``exprs`` (sub-expressions, by ``id`` of
    their IR node: ``(name, ir)``).  ``index`` maps a hoisted slot or name to its ``c`` column."""

    offset: int
    const: set = field(default_factory=set)       # every parameter-only auxiliary
    slots: list = field(default_factory=list)
    exprs: dict = field(default_factory=dict)
    index: dict = field(default_factory=dict)
    rcp: dict = field(default_factory=dict)        # (id(chain), op position) -> name

    @property
    def size(self) -> int:
        return len(self.slots) + len(self.exprs)

    def subst(self) -> dict:
        """``{id(ir node): name}`` for the renderer."""
        return {k: name for k, (name, _) in self.exprs.items()}


def _children(ir):
    tag = ir[0]
    if tag in ("n", "t", "r"):
        return []
    if tag == "ai":
        return [ir[1]]  # run mode
    if tag in ("ar", "f"):
        return list(ir[2])
    if tag in ("neg", "not"):
        return [ir[1]]
    if tag == "lg":
        return [ir[2], ir[3]]
    if tag == "ite":
        return list(ir[1:])
    if tag == "lk":
        return [ir[2]]
    raise AssertionError(tag)  # pragma: no cover


class _Const:
    """Which run-mode expressions are constant over a run (memoised per auxiliary)."""

    def __init__(self):
        self.memo: dict = {}

    def slot(self, s) -> bool:
        if s.kind in ("param", "control", "initc"):
            return True
        if s.kind != "aux":
            return False
        got = self.memo.get(s)
        if got is None:
            self.memo[s] = False  # a cycle is not constant (and is reported elsewhere)
            got = self.memo[s] = self.expr(s.ir)
        return got

    def expr(self, ir) -> bool:
        tag = ir[0]
        if tag == "n":
            return True
        if tag == "t":
            return False
        if tag == "r":
            return self.slot(ir[1])
        if tag == "f" and ir[1] in TIMED:
            return False
        return all(self.expr(a) for a in _children(ir))


def _costly(ir) -> bool:
    tag = ir[0]
    if tag == "f" and ir[1] not in CHEAP_F:
        return True
    if tag == "ar" and any(op in ("/", "^") for op in ir[1]):
        return True
    return any(_costly(a) for a in _children(ir))


def plan(roots, offset: int) -> Hoist:
    """The hoisting plan for the run-mode expressions ``roots`` (every derivative, discrete
    next value and breakpoint argument) and the auxiliaries they reach; ``offset``: the
    number of initial values already in ``c``."""
    k = _Const()
    h = Hoist(offset)
    seen: set = set()
    stack = list(roots)
    visited_aux: set = set()

    rcp_names: dict = {}

    def visit(ir):
        if ir[0] not in ("r", "n") and k.expr(ir) and _costly(ir):
            if id(ir) not in h.exprs:
                h.exprs[id(ir)] = (f"h{len(h.exprs)}", ir)
            return
        if ir[0] == "ar":
            ops, args = ir[1], ir[2]
            for i, op in enumerate(ops):
                a = args[i + 1]
                if (op == "/" and (i + 1 == len(ops) or ops[i + 1] != "^") and a[0] != "n"
                        and k.expr(a)):
                    key = ("r", a[1]) if a[0] == "r" else id(a)
                    if key not in rcp_names:
                        rcp_names[key] = f"h{len(h.exprs)}"
                        h.exprs[("rcp", key)] = (rcp_names[key], ("ar", ("/",), (("n", 1.0), a)))
                    h.rcp[(id(ir), i)] = rcp_names[key]
        if ir[0] == "r":
            s = ir[1]
            if s.kind == "aux":
                if k.slot(s):
                    if s not in seen:
                        seen.add(s)
                        h.slots.append(s)
                elif s not in visited_aux:
                    visited_aux.add(s)
                    stack.append(s.ir)
            return
        for a in _children(ir):
            visit(a)

    while stack:
        visit(stack.pop())
    h.slots.sort(key=lambda s: s.id)
    h.const = {s for s, v in k.memo.items() if v}
    for i, s in enumerate(h.slots):
        h.index[s] = offset + i
    for j, (name, _) in enumerate(h.exprs.values()):
        h.index[name] = offset + len(h.slots) + j
    return h
