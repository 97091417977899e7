"""Python text of IR operator chains and number literals, shared by the code generator
(:mod:`.codegen`) and the initial-value evaluator (:mod:`.ir`), so neither imports the other."""

from __future__ import annotations

import math

_OPS = {"^": "**", "=": "==", "<>": "!="}


def render_chain(ops, args):
    out = args[0]
    for op, a in zip(ops, args[1:]):
        out += f" {_OPS.get(op, op)} {a}"
    return out


def chain_args(args, render):
    """Operands of an operator chain; number literals stay bare as PySD writes them, so that
    Python's precedence gives PySD's result (e.g. ``-2^2`` is ``-2**2 == -4``)."""
    return [_num(a[1]) if a[0] == "n" and math.isfinite(a[1]) else f"({render(a)})"
            for a in args]


def _num(v: float) -> str:
    if math.isnan(v):
        return "np.nan"
    if math.isinf(v):
        return "np.inf" if v > 0 else "(-np.inf)"
    return repr(float(v))


def breakpoint_call(kind: str, a: list[str], prefix: str = "", inf: str = "np.inf") -> str:
    """Source of the call giving the next breakpoint after ``tt`` of one STEP / RAMP / PULSE /
    PULSE TRAIN site, its arguments ``a`` already rendered; ``prefix`` and ``inf`` adapt it to
    the target language (numba: ``""``, ``"np.inf"``; the browser's JavaScript: ``"R."``,
    ``"Infinity"``)."""
    if kind == "step":
        return f"{prefix}_bp_step(tt, DT, {a[1]})"
    if kind == "ramp":
        return f"{prefix}_bp_ramp(tt, {a[1]}, {a[2] if len(a) > 2 else inf})"
    if kind == "pulse":
        return f"{prefix}_bp_pulse(tt, {a[0]}, {a[1]})"
    return f"{prefix}_bp_pulse_train(tt, {', '.join(a)})"
