"""Evaluation order of IR slots: which slots a computation needs, dependencies first."""

from __future__ import annotations

from ..errors import ModelError
from .nodes import Slot, walk_refs


def _deps(slot: Slot, mode: str) -> set:
    out: set = set()
    if mode == "init" and slot.kind in ("state", "initc"):
        walk_refs(slot.init_ir, "init", out)
    elif slot.kind == "aux":
        walk_refs(slot.ir, mode, out)
    return out


def topo(roots, mode: str, model_name: str, stop=frozenset()):
    """Slots needed to compute ``roots`` in ``mode``, in evaluation order (not descending
    into the auxiliaries in ``stop``: values computed elsewhere)."""
    order, state = [], {}
    for root in roots:
        if state.get(root) == 2:
            continue
        stack = [(root, iter(sorted(_deps(root, mode), key=lambda s: s.id)))]
        state[root] = 1
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                stack.pop()
                state[node] = 2
                order.append(node)
                continue
            if mode == "run" and (nxt.kind != "aux" or nxt in stop):
                continue
            if nxt.kind in ("param", "control"):
                continue
            st = state.get(nxt)
            if st == 2:
                continue
            if st == 1:
                cyc = [n.name for n, _ in stack]
                cyc = cyc[cyc.index(nxt.name):] + [nxt.name]
                raise ModelError(f"model '{model_name}' has a circular dependency "
                                 f"({mode} stage): " + " -> ".join(cyc))
            state[nxt] = 1
            stack.append((nxt, iter(sorted(_deps(nxt, mode), key=lambda s: s.id))))
    return order
