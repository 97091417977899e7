"""Generate the Python source of a compiled model (scalar per-run functions + kernels)."""

from __future__ import annotations

import hashlib
import math
import re
from pathlib import Path

import numpy as np

from ..core.ir.exprtext import _num, breakpoint_call, chain_args, render_chain
from ..core.ir.nodes import walk_refs
from ..core.ir.order import topo
from . import hoist
from .kernels import HELPERS, KERNELS
from .kernels_bs3 import BS3

GEN_VERSION = "8"
#: the runtime helpers (read for their hash, not imported: importing them imports numba)
_RT_FILE = Path(__file__).with_name("_rt.py")
_F1 = {"abs": "abs", "exp": "math.exp", "sqrt": "_sqrt", "ln": "_ln", "sin": "math.sin",
       "cos": "math.cos", "tan": "math.tan", "arcsin": "_asin", "arccos": "_acos",
       "arctan": "math.atan", "sinh": "math.sinh", "cosh": "math.cosh", "tanh": "math.tanh",
       "integer": "_integer"}
_FN = {"min": "_min", "max": "_max", "power": "_pow", "log": "_log", "zidz": "_zidz",
       "xidz": "_xidz", "quantum": "_quantum", "modulo": "_modulo",
       "delay_order": "_delay_order"}


class Renderer:
    def __init__(self, mode: str, names: dict, subst: dict | None = None,
                 rcp: dict | None = None):
        self.mode, self.names, self.subst, self.rcp = mode, names, subst or {}, rcp or {}

    def __call__(self, ir) -> str:  # noqa: C901
        if self.subst and id(ir) in self.subst:  # a hoisted sub-expression (see .hoist)
            return self.subst[id(ir)]
        tag = ir[0]
        r = self
        if tag == "n":
            return _num(ir[1])
        if tag == "t":
            return "t"
        if tag == "r":
            return self.names[ir[1]]
        if tag == "ai":
            return r(ir[1] if self.mode == "run" else ir[2])
        if tag == "ar":
            ops, args = list(ir[1]), chain_args(ir[2], r)
            if self.rcp:  # x / p -> x * (1 / p), the reciprocal computed once per run
                for i in range(len(ops)):
                    name = self.rcp.get((id(ir), i))
                    if name is not None:
                        ops[i], args[i + 1] = "*", name
            if "^" in ops:
                ops, args = _powers(ops, args, ir[2])
            return "(" + render_chain(ops, args) + ")"
        if tag == "neg":
            return f"(-({r(ir[1])}))"
        if tag == "not":
            return f"(not bool({r(ir[1])}))"
        if tag == "lg":
            return f"(bool({r(ir[2])}) {ir[1]} bool({r(ir[3])}))"
        if tag == "ite":
            return f"(float({r(ir[2])}) if ({r(ir[1])}) else float({r(ir[3])}))"
        if tag == "lk":
            t = ir[1]
            fn = {"interpolate": "_lookup", "extrapolate": "_lookup_extra",
                  "hold_backward": "_lookup_hold", "hold_forward": "_lookup_forward"}[t.kind]
            return f"{fn}(_LX{t.id}, _LY{t.id}, {r(ir[2])})"
        if tag == "f":
            name, args = ir[1], [r(a) for a in ir[2]]
            if name in _F1:
                return f"{_F1[name]}({args[0]})"
            if name == "power":
                return _power(args[0], args[1], ir[2][1])
            if name in _FN:
                return f"{_FN[name]}({', '.join(args)})"
            if name == "step":
                return f"_step(t, DT, {args[0]}, {args[1]})"
            if name == "ramp":
                if len(args) == 2:
                    return f"_ramp(t, {args[0]}, {args[1]}, np.inf)"
                return f"_ramp(t, {args[0]}, {args[1]}, {args[2]})"
            if name == "pulse":
                return f"_pulse(t, {args[0]}, {args[1]})"
            if name == "pulse_train":
                return f"_pulse_train(t, {', '.join(args)})"
        raise AssertionError(ir)  # pragma: no cover


def _power(base: str, exp: str, exp_ir) -> str:
    """``base ** exp`` as the generated code writes it: ``_sq(base)`` for the exponent 2 (a
    number in the equation), else ``_pow`` (libm's ``pow`` in both tiers, see
    :mod:`._libm`), so that the compiled and the interpreted code do the same operations."""
    two = exp_ir[0] == "n" and exp_ir[1] == 2.0
    return f"_sq({base})" if two else f"_pow({base}, {exp})"


def _powers(ops, args, irs):
    """An operator chain with its ``^`` runs rendered as calls (:func:`_power`), with the
    meaning Python gives the ``**`` text PySD writes: right-associative, and a negative number
    literal as a base negates the power (``-2^2`` is ``-2**2 == -4``).  Returns the other
    operators and the operands, each run now one operand."""
    out_ops, out_args = [], []
    i = 0
    while i < len(args):
        j = i
        while j < len(ops) and ops[j] == "^":
            j += 1
        acc, acc_ir = args[j], irs[j]
        for k in range(j - 1, i - 1, -1):
            a = irs[k]
            if a[0] == "n" and math.isfinite(a[1]) and a[1] < 0:
                acc = f"(-{_power(_num(-a[1]), acc, acc_ir)})"
            else:
                acc = _power(args[k], acc, acc_ir)
            acc_ir = ("pow",)
        out_args.append(acc)
        if j < len(ops):
            out_ops.append(ops[j])
        i = j + 1
    return out_ops, out_args


def out_order(tr, outputs) -> list:
    """Every auxiliary an output can need, in evaluation order (the order of ``w``'s flags)."""
    needed: set = set()
    for s in outputs:
        walk_refs(("r", s), "run", needed)
    return topo([s for s in sorted(needed, key=lambda s: s.id) if s.kind == "aux"], "run",
                tr.model_name)


def save_plan(tr, outputs, requested) -> np.ndarray:
    """The int64 vector ``w`` that tells ``_out`` what to save: one flag per auxiliary of
    :func:`out_order` (1 when a requested output depends on it), then per output its column in
    the output block (-1: not saved).  ``requested``: output indices, in column order."""
    aux = out_order(tr, outputs)
    needed: set = set()
    for i in requested:
        walk_refs(("r", outputs[i]), "run", needed)
    roots = [s for s in sorted(needed, key=lambda s: s.id) if s.kind == "aux"]
    need = set(topo(roots, "run", tr.model_name))
    w = np.full(len(aux) + len(outputs), -1, dtype=np.int64)
    w[:len(aux)] = [1 if s in need else 0 for s in aux]
    for col, i in enumerate(requested):
        w[len(aux) + int(i)] = col
    return w


def generate(tr, layout) -> str:
    """Source text of the module for translator ``tr`` and index ``layout``."""
    params, states, initcs, outputs = (layout["params"], layout["states"],
                                       layout["initcs"], layout["outputs"])
    pidx = {s: i for i, s in enumerate(params)}
    yidx = {s: i for i, s in enumerate(states)}
    cidx = {s: i for i, s in enumerate(initcs)}
    name = {}
    for s in tr.slots:
        name[s] = _num(s.value) if s.kind == "control" else f"v{s.id}"
    rt_hash = hashlib.sha256(_RT_FILE.read_bytes()).hexdigest()[:16]
    lines = [f"# generated by ambidex.compiled {GEN_VERSION} (runtime {rt_hash}) - do not edit",
             HELPERS]
    for t in tr.tables:
        lines.append(f"_LX{t.id} = np.array({list(t.xs)!r}, dtype=np.float64)")
        lines.append(f"_LY{t.id} = np.array({list(t.ys)!r}, dtype=np.float64)")
    dt = tr.control_value("time_step")
    lines.append(f"DT = {_num(dt)}")
    disc = [s for s in states if s.next_ir is not None]
    hp = hoist.plan([s.ddt_ir for s in states] + [s.next_ir for s in disc]
                    + [a for _, args in tr.bp_sites for a in args], len(initcs))
    lines.append(f"NY = {len(states)}\nNC = {max(len(initcs) + hp.size, 1)}\n"
                 f"NV = {max(len(outputs), 1)}")
    nonneg = [yidx[s] for s in states if s.nonneg]
    lines.append(f"NONNEG = np.array({nonneg!r}, dtype=np.int64)")
    lines.append(f"HAS_NONNEG = {bool(nonneg)}\nHAS_BP = {bool(tr.bp_sites)}")
    proj = [s for s in states if s.proj]
    lines.append(f"DISC = np.array({[yidx[s] for s in disc]!r}, dtype=np.int64)")
    lines.append(f"PROJ = np.array({[yidx[s] for s in proj]!r}, dtype=np.int64)")
    lines.append(f"PROJ_P = np.array({[list(s.proj) for s in proj]!r}, "
                 "dtype=np.float64).reshape(-1, 5)".replace("nan", "np.nan"))
    lines.append(f"HAS_DISC = {bool(disc)}\nHAS_PROJ = {bool(proj)}")

    def loads(used, mode):
        out = []
        for s in sorted(used, key=lambda s: s.id):
            if s.kind == "param":
                out.append(f"    v{s.id} = p[{pidx[s]}]")
            elif mode == "hoisted" and s in hp.index:
                out.append(f"    v{s.id} = c[{hp.index[s]}]")
            elif mode == "run" and s.kind == "state":
                out.append(f"    v{s.id} = y[{yidx[s]}]")
            elif mode == "run" and s.kind == "initc":
                out.append(f"    v{s.id} = c[{cidx[s]}]")
        return out

    def used_by(slots, extra_irs, mode):
        used = set()
        for s in slots:
            if s.kind == "aux":
                walk_refs(s.ir, mode, used)
            elif mode == "init" and s.kind in ("state", "initc"):
                walk_refs(s.init_ir, mode, used)
        for ir in extra_irs:
            walk_refs(ir, mode, used)
        return used

    # ---- _init(t, p, y, c)
    rin = Renderer("init", name)
    order = topo(list(states) + list(initcs), "init", tr.model_name)
    body = loads(used_by(order, [], "init"), "init")
    for s in order:
        ir = s.init_ir if s.kind in ("state", "initc") else s.ir
        body.append(f"    v{s.id} = float({rin(ir)})")
    body += [f"    y[{yidx[s]}] = v{s.id}" for s in states]
    body += [f"    c[{cidx[s]}] = v{s.id}" for s in initcs]
    if hp.size:
        body.append("    _pre(p, c)")
    lines += ["", "@_jit", "def _init(t, p, y, c):", *(body or []), "    return"]

    # ---- _pre(p, c): the parameter-only values (see .hoist) behind the initial values in c
    rrun = Renderer("run", name)
    pre_irs = [ir for _, ir in hp.exprs.values()]
    pre_roots = set(hp.slots)
    for ir in pre_irs:
        walk_refs(ir, "run", pre_roots)
    order = topo([s for s in sorted(pre_roots, key=lambda s: s.id) if s.kind == "aux"], "run",
                 tr.model_name)
    body = loads(used_by(order, pre_irs, "run") | set(order), "run")
    body += [f"    v{s.id} = float({rrun(s.ir)})" for s in order]
    body += [f"    c[{hp.index[s]}] = v{s.id}" for s in hp.slots]
    body += [f"    c[{hp.index[nm]}] = float({rrun(ir)})" for nm, ir in hp.exprs.values()]
    lines += ["", "@_jit", "def _pre(p, c):", *body, "    return"]

    rrun = Renderer("run", name, hp.subst(), hp.rcp)
    hload = {nm: f"    {nm} = c[{hp.index[nm]}]" for nm, _ in hp.exprs.values()}

    def run_body(roots_irs):
        """Loads and auxiliaries for ``roots_irs``, parameter-only values from ``c``."""
        needed = set()
        for ir in roots_irs:
            walk_refs(ir, "run", needed)
        auxroots = [s for s in sorted(needed, key=lambda s: s.id)
                    if s.kind == "aux" and s not in hp.const]
        order = topo(auxroots, "run", tr.model_name, hp.const)
        used = used_by(order, roots_irs, "run")
        body = loads(used | set(order), "run")
        body += loads(used & set(hp.slots), "hoisted")
        for s in order:
            body.append(f"    v{s.id} = float({rrun(s.ir)})")
        return body

    def with_hloads(body):
        text = "\n".join(body)
        return [ln for nm, ln in hload.items() if re.search(rf"\b{nm}\b", text)] + body

    # ---- _rhs(t, y, p, c, dy)
    body = run_body([s.ddt_ir for s in states])
    body += [f"    dy[{yidx[s]}] = {rrun(s.ddt_ir)}" for s in states]
    lines += ["", "@_jit", "def _rhs(t, y, p, c, dy):", *with_hloads(body), "    return"]

    # ---- _disc(t, y, p, c, yd): the next-step values of the discrete states (DELAY FIXED,
    # SAMPLE IF TRUE), from the values at t; the kernels assign them after each step
    body = run_body([s.next_ir for s in disc])
    body += [f"    yd[{yidx[s]}] = {rrun(s.next_ir)}" for s in disc]
    lines += ["", "@_jit", "def _disc(t, y, p, c, yd):", *with_hloads(body), "    return"]

    # ---- _outs(te, Y, p, c, o, w, n): after a run, the outputs chosen by ``w`` (see
    # save_plan) at the saved times te[:n] from the saved states Y (NY, T), each variable as
    # one loop over time (vectorisable, one branch per variable per run); only the variables
    # the requested outputs depend on are computed.  One module serves every choice of outputs.
    # Returns the first saved index where a state or a requested output is NaN/inf (-1: none).
    aux = out_order(tr, outputs)
    apos = {s: i for i, s in enumerate(aux)}
    vnames = dict(name)
    for s in states:
        vnames[s] = f"Y[{yidx[s]}, k]"
    for s in aux:
        vnames[s] = f"V[{apos[s]}, k]"
    rvec = Renderer("run", vnames)
    used = used_by(aux, [("r", s) for s in outputs], "run")
    body = [ln for ln in loads(used, "run") if " = y[" not in ln]
    body.append(f"    V = np.empty(({max(len(aux), 1)}, max(n, 1)))")
    for i, s in enumerate(aux):
        body += [f"    if w[{i}]:", "        for k in range(n):", "            t = te[k]",
                 f"            V[{i}, k] = float({rvec(s.ir)})"]
    na = len(aux)
    for i, s in enumerate(outputs):
        val = (f"p[{pidx[s]}]" if s.kind == "param" else
               f"c[{cidx[s]}]" if s.kind == "initc" else vnames[s])
        body += [f"    if w[{na + i}] >= 0:", f"        j = w[{na + i}]",
                 "        for k in range(n):", f"            o[j, k] = {val}"]
    body += ["    for k in range(n):",
             "        for j in range(NY):",
             "            if not np.isfinite(Y[j, k]):",
             "                return k",
             "        for j in range(o.shape[0]):",
             "            if not np.isfinite(o[j, k]):",
             "                return k",
             "    return -1"]
    lines += ["", "@_jit", "def _outs(te, Y, p, c, o, w, n):", *body]

    # ---- _nbp(t, y, p, c, tt): next breakpoint of STEP/PULSE/RAMP strictly after tt
    body = run_body([a for _, args in tr.bp_sites for a in args])
    body.append("    bp = np.inf")
    for kind, args in tr.bp_sites:
        call = breakpoint_call(kind, [rrun(x) for x in args])
        body.append(f"    bp = min(bp, {call})")
    lines += ["", "@_jit", "def _nbp(t, y, p, c, tt):", *with_hloads(body), "    return bp"]
    lines.append(KERNELS)
    lines.append(BS3)
    return "\n".join(lines) + "\n"
