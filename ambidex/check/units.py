"""Dimensional consistency: infer each equation's units with pint and compare them with the
declared ones (Sterman 2000 ch. 21.4.1; Barlas 1996 "dimensional consistency test").

Rules: ``+``/``-``, comparisons, MIN/MAX, IF THEN ELSE branches need equal units; ``*`` and
``/`` combine; XIDZ/ZIDZ divide (XIDZ's fallback must have the quotient's units); LN/EXP/LOG
need dimensionless arguments; ``^`` needs a dimensionless exponent; INTEG: flow units × time =
stock units and initial value in stock units.  A bare number adapts to its context (as ``0`` in
``MAX(0, x)``).  Units the registry lacks become new base units, so any model can be checked.
"""

from __future__ import annotations

import re

from ..core.model import normalise
from ..core.units import define_once, registry
from ._common import abstract_elements, equations
from .report import CheckResult

BASE_UNITS = ("FTE", "customer", "project", "product", "KU", "t", "EUR", "Year")
DIMENSIONLESS = {"dmnl", "dimensionless", "unitless", "fraction", "1", "nondimensional"}
ALIASES = {  # spelling -> canonical definition
    "Years": "Year", "year": "Year", "years": "Year", "yr": "Year",
    "Month": "Year / 12", "Months": "Year / 12", "month": "Year / 12",
    "Quarter": "Year / 4", "Week": "Year / 52", "Weeks": "Year / 52",
    "Day": "Year / 365", "Days": "Year / 365", "day": "Year / 365",
    "tonne": "t", "tonnes": "t", "ton": "t",
    "customers": "customer", "projects": "project", "products": "product",
}
ANY = "<number>"  # a bare number: adopts whatever units the context needs


class UnitSystem:
    """The model's units in the one registry (:mod:`ambidex.core.units`), each name a symbol of
    its own as in Vensim (defined as ``u_<name>``, apart from pint's meanings); unknown names
    become new base units."""

    def __init__(self):
        self.ureg = registry()
        self._known: dict[str, str] = {}
        for u in BASE_UNITS:
            self._define_base(u)
        for k, v in ALIASES.items():
            self._define_alias(k, v)

    @staticmethod
    def _safe(token: str) -> str:
        return "u_" + re.sub(r"\W", lambda m: f"x{ord(m.group()):x}", token)

    def _define_base(self, token: str) -> None:
        safe = self._safe(token)
        define_once(safe, f"{safe} = [{safe}]")
        self._known[token] = safe

    def _define_alias(self, token: str, definition: str) -> None:
        expr = self._translate(definition)
        safe = self._safe(token)
        define_once(safe, f"{safe} = {expr}")
        self._known[token] = safe

    def _translate(self, text: str) -> str:
        def sub(m):
            tok = m.group(0)
            if tok.lower() in DIMENSIONLESS:
                return "1"
            if tok not in self._known:
                self._define_base(tok)
            return self._known[tok]

        return re.sub(r"[A-Za-z_$€%][\w$€%.]*", sub, text)

    def parse(self, text: str):
        """A pint Quantity (magnitude 1) for a Vensim units string; ValueError if unparseable."""
        text = (text or "").strip()
        if not text:
            raise ValueError("no units")
        expr = self._translate(text).replace("^", "**")
        try:
            return 1.0 * self.ureg.parse_units(expr) if expr.strip() != "1" else self.ureg.Quantity(1.0)
        except Exception as exc:  # pint raises several kinds
            raise ValueError(f"cannot parse units '{text}': {exc}") from None

    def fmt(self, q) -> str:
        """Vensim-style text of a Quantity's units ('FTE/Year', 'Dmnl')."""
        if q is ANY:
            return "any (number)"
        if q is None:
            return "unknown"
        mag = q.to_root_units().magnitude
        num, den = [], []
        for name, power in q.units._units.items():
            real = next((k for k, v in self._known.items() if v == name), name)
            term = real if abs(power) == 1 else f"{real}^{abs(power):g}"
            (num if power > 0 else den).append(term)
        s = "*".join(num) or "1"
        if den:
            s += "/" + (den[0] if len(den) == 1 else "(" + "*".join(den) + ")")
        if s == "1":
            s = "Dmnl"
        if abs(mag - 1) > 1e-9 and abs(q.magnitude - 1) > 1e-9:
            s = f"{q.magnitude:g} {s}"
        return s

    @staticmethod
    def same(a, b) -> bool:
        if a is None or b is None or a is ANY or b is ANY:
            return True
        ra, rb = a.to_root_units(), b.to_root_units()
        return ra.units == rb.units and abs(ra.magnitude - rb.magnitude) <= 1e-9 * abs(rb.magnitude)

    def dimensionless(self, q) -> bool:
        return q is None or q is ANY or self.same(q, self.ureg.Quantity(1.0))


_NAMES: dict[str, str] = {}  # normalised reference -> model-file name, for messages


def render(node, names: dict | None = None) -> str:
    """Text of an expression node (for messages), with model-file names where known."""
    from pysd.translators.structures import abstract_expressions as ae

    names = _NAMES if names is None else names
    if isinstance(node, (int, float)):
        return f"{node:g}"
    if isinstance(node, ae.ReferenceStructure):
        return names.get(normalise(node.reference), node.reference)
    if isinstance(node, (ae.ArithmeticStructure, ae.LogicStructure)):
        ops, args = list(node.operators), [render(a, names) for a in node.arguments]
        if len(args) == 1:
            return ("-" if ops[0] == "negative" else ops[0] + " ") + args[0]
        s = args[0]
        for op, a in zip(ops, args[1:]):
            s += f" {op} {a}"
        return f"({s})"
    if isinstance(node, ae.CallStructure):
        fn = getattr(node.function, "reference", "")
        fn = names[normalise(fn)] if normalise(fn) in names else str(fn).upper()
        return f"{fn}({', '.join(render(a, names) for a in node.arguments)})"
    return type(node).__name__.replace("Structure", "").upper() + "(...)"


class _Inferer:
    def __init__(self, us: UnitSystem, declared: dict, time_units, var: str):
        self.us, self.declared, self.time, self.var = us, declared, time_units, var
        self.issues: list[dict] = []

    def issue(self, what: str, node, expected, found, detail: str = "") -> None:
        self.issues.append({"variable": self.var, "what": what, "expression": render(node),
                            "expected": self.us.fmt(expected), "found": self.us.fmt(found),
                            "detail": detail})

    def equal(self, what, node, args):
        """All known units in ``args`` must agree; returns the common units."""
        known = [(a, u) for a, u in args if u is not None and u is not ANY]
        if not known:
            return ANY if any(u is ANY for _, u in args) else None
        ref = known[0][1]
        for a, u in known[1:]:
            if not self.us.same(ref, u):
                self.issue(what, node, ref, u, f"'{render(known[0][0])}' is {self.us.fmt(ref)} but "
                                               f"'{render(a)}' is {self.us.fmt(u)}")
                return None
        return ref

    @staticmethod
    def mul(a, b):
        if a is None or b is None:
            return None
        if a is ANY:
            return b
        if b is ANY:
            return a
        return a * b

    @staticmethod
    def div(a, b):
        if a is None or b is None:
            return None
        if b is ANY:
            return a
        if a is ANY:
            return 1.0 / b
        return a / b

    def need_dmnl(self, what, node, u):
        if not self.us.dimensionless(u):
            self.issue(what, node, self.us.ureg.Quantity(1.0), u, f"{what} needs a dimensionless argument")

    def infer(self, node):
        from pysd.translators.structures import abstract_expressions as ae

        if isinstance(node, bool):
            return ANY
        if isinstance(node, (int, float)):
            return ANY
        if isinstance(node, ae.ReferenceStructure):
            key = normalise(node.reference)
            if key in ("time",):
                return self.time
            return self.declared.get(key)
        if isinstance(node, ae.ArithmeticStructure):
            ops = list(node.operators)
            args = list(node.arguments)
            if len(args) == 1:  # unary negative/positive
                return self.infer(args[0])
            if set(ops) <= {"+", "-"}:
                return self.equal("addition/subtraction", node, [(a, self.infer(a)) for a in args])
            acc = self.infer(args[0])
            for op, a in zip(ops, args[1:]):
                u = self.infer(a)
                if op == "*":
                    acc = self.mul(acc, u)
                elif op == "/":
                    acc = self.div(acc, u)
                elif op == "^":
                    if isinstance(a, (int, float)):
                        acc = None if acc is None else ANY if acc is ANY else acc ** float(a)
                    else:
                        self.need_dmnl("exponent", node, u)
                        if not self.us.dimensionless(acc):
                            self.issue("power", node, self.us.ureg.Quantity(1.0), acc,
                                       "a base with units needs a numeric exponent")
                            acc = None
                        else:
                            acc = self.us.ureg.Quantity(1.0) if acc is not ANY else ANY
                elif op in ("+", "-"):
                    acc = self.equal("addition/subtraction", node, [(args[0], acc), (a, u)])
                else:  # modulo etc.
                    acc = None
            return acc
        if isinstance(node, ae.LogicStructure):
            args = list(node.arguments)
            ops = set(node.operators)
            if ops & {":AND:", ":OR:", ":NOT:", "and", "or", "not"}:
                for a in args:
                    self.infer(a)
            else:
                self.equal("comparison", node, [(a, self.infer(a)) for a in args])
            return self.us.ureg.Quantity(1.0)
        if isinstance(node, ae.CallStructure):
            return self.call(node)
        if isinstance(node, ae.IntegStructure):
            flow = self.infer(node.flow)
            init = self.infer(node.initial)
            return ("integ", flow, init)
        if isinstance(node, (ae.SmoothStructure, ae.SmoothNStructure, ae.DelayStructure,
                             ae.DelayNStructure, ae.DelayFixedStructure)):
            inp = self.infer(node.input)
            for attr in ("smooth_time", "delay_time"):
                if hasattr(node, attr):
                    t = self.infer(getattr(node, attr))
                    if not self.us.same(t, self.time):
                        self.issue("delay/smooth time", node, self.time, t)
            init = self.infer(node.initial) if hasattr(node, "initial") else None
            if not self.us.same(inp, init):
                self.issue("delay/smooth initial value", node, inp, init)
            return inp
        if isinstance(node, ae.InitialStructure):
            return self.infer(node.initial)
        return None  # lookups, data, games ... not checked

    def call(self, node):
        name = normalise(getattr(node.function, "reference", "")).replace(" ", "_")
        args = list(node.arguments)
        us = self.us
        if name in ("min", "max"):
            return self.equal(name.upper(), node, [(a, self.infer(a)) for a in args])
        if name == "if_then_else":
            self.infer(args[0])
            return self.equal("IF THEN ELSE branches", node, [(a, self.infer(a)) for a in args[1:]])
        if name in ("abs", "integer", "int", "quantum"):
            u = self.infer(args[0])
            if name == "quantum" and len(args) > 1:
                self.equal("QUANTUM", node, [(args[0], u), (args[1], self.infer(args[1]))])
            return u
        if name == "modulo":
            return self.equal("MODULO", node, [(a, self.infer(a)) for a in args])
        if name in ("xidz", "zidz"):
            q = self.div(self.infer(args[0]), self.infer(args[1]))
            if name == "xidz" and len(args) > 2:
                x = self.infer(args[2])
                if not us.same(q, x):
                    self.issue("XIDZ fallback", node, q, x,
                               "the value used when dividing by zero must have the quotient's units")
            return q
        if name in ("ln", "exp", "log", "log10", "sin", "cos", "tan", "arcsin", "arccos", "arctan"):
            for a in args:
                self.need_dmnl(name.upper(), node, self.infer(a))
            return us.ureg.Quantity(1.0)
        if name == "sqrt":
            u = self.infer(args[0])
            return u if u in (None, ANY) else u ** 0.5
        if name == "step":
            h, t = self.infer(args[0]), self.infer(args[1])
            if not us.same(t, self.time):
                self.issue("STEP time", node, self.time, t)
            return h
        if name == "ramp":
            s = self.infer(args[0])
            for a in args[1:]:
                t = self.infer(a)
                if not us.same(t, self.time):
                    self.issue("RAMP time", node, self.time, t)
            return self.mul(s, self.time)
        if name in ("pulse", "pulse_train"):
            for a in args:
                t = self.infer(a)
                if not us.same(t, self.time):
                    self.issue(f"{name.upper()} time", node, self.time, t)
            return us.ureg.Quantity(1.0)
        ref = normalise(getattr(node.function, "reference", ""))
        if ref in self.declared:  # a lookup called with an argument: output has its units
            for a in args:
                self.infer(a)
            return self.declared[ref]
        for a in args:
            self.infer(a)
        return None


def check_units(model) -> list[CheckResult]:
    """One result per equation whose units do not balance (plus one summary pass/warn)."""
    us = UnitSystem()
    els = abstract_elements(model)
    _NAMES.clear()
    _NAMES.update({k: el.name for k, el in els.items()})
    eqs = equations(model)
    results: list[CheckResult] = []
    declared, bad_units, no_units = {}, [], []
    for key, el in els.items():
        if not el.units or str(el.units).strip() == "":
            no_units.append(el.name)
            continue
        try:
            declared[key] = us.parse(str(el.units))
        except ValueError as exc:
            bad_units.append((el.name, str(el.units), str(exc)))
    time_units = declared.get("time step") or declared.get("initial time")
    if time_units is None:
        time_units = us.parse("Year")
    for name, text, msg in bad_units:
        results.append(CheckResult("units", "units.parse", name, "fail",
                                   f"units '{text}' of '{name}' cannot be parsed", {"error": msg}))
    for name in no_units:
        results.append(CheckResult("units", "units.missing", name, "warn",
                                   f"'{name}' declares no units, so its equation is not checked",
                                   {"equation": eqs.get(normalise(name), "")}))
    checked = 0
    for key, el in els.items():
        if key not in declared:
            continue
        for comp in el.components:
            if comp.type == "Lookup" or type(comp.ast).__name__ in ("LookupsStructure",):
                continue
            inf = _Inferer(us, declared, time_units, el.name)
            found = inf.infer(comp.ast)
            want = declared[key]
            eq = eqs.get(key, render(comp.ast))
            if isinstance(found, tuple) and found and found[0] == "integ":
                _, flow, init = found
                flow_want = inf.div(want, time_units)
                if not us.same(flow, flow_want):
                    inf.issue("INTEG flow", comp.ast.flow, flow_want, flow,
                              f"net flow × {us.fmt(time_units)} must give the stock's units "
                              f"{us.fmt(want)}")
                if not us.same(init, want):
                    inf.issue("INTEG initial value", comp.ast.initial, want, init)
            elif not us.same(found, want):
                inf.issue("equation", comp.ast, want, found,
                          f"declared {us.fmt(want)}, the right-hand side gives {us.fmt(found)}")
            checked += 1
            for iss in inf.issues:
                iss["equation"] = eq
                results.append(CheckResult(
                    "units", "units.equation", el.name, "fail",
                    f"{iss['what']}: expected {iss['expected']}, found {iss['found']} "
                    f"in `{iss['expression']}`" + (f" ({iss['detail']})" if iss["detail"] else ""),
                    iss))
    n_bad = sum(r.status == "fail" for r in results)
    results.append(CheckResult(
        "units", "units.summary", model.name, "pass" if n_bad == 0 else "fail",
        f"{checked} equations checked, {n_bad} unit problems",
        {"equations_checked": checked, "problems": n_bad, "time_units": us.fmt(time_units)}))
    return results
