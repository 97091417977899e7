"""The session state that comes back from the browser is input like any other: checked before use.

A participant's tab holds its state (``dcc.Store``); a tampered or runaway store -- a lever out
of range, an unknown key, a 50 MB log -- gets one clear refusal and never reaches a run.  Also
here: the caps (log entries, request and upload sizes) and reset / undo of the levers.
"""

from __future__ import annotations

import copy
import json
import math

from .state import MAX_SNAPSHOTS, WorkshopError, check_lever, lever_names

MAX_LOG = 300             # provenance entries kept per session (oldest dropped, count kept)
MAX_UNDO = 30             # lever states kept for undo
MAX_STATE_BYTES = 1_000_000   # a session state larger than this is refused
MAX_UPLOAD_BYTES = 200_000    # an uploaded scenario TOML larger than this is refused
MAX_REQUEST_BYTES = 2_000_000  # the WSGI server refuses larger request bodies
KEYS = {"scenario", "source", "description", "base", "interventions", "horizon", "levers",
        "snapshots", "log", "game", "undo", "last_path", "log_dropped", "facilitator",
        "commit"}


def _num(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def check_state(model, state) -> dict:
    """``state`` if it is a well-formed session state for ``model`` (levers in range, sizes
    capped), else :class:`WorkshopError` saying what is wrong."""
    if state is None:
        return None
    if not isinstance(state, dict):
        raise WorkshopError("session state: not an object; reload the page to start afresh")
    size = len(json.dumps(state))
    if size > MAX_STATE_BYTES:
        raise WorkshopError(f"session state of {size / 1e6:.1f} MB refused (at most "
                            f"{MAX_STATE_BYTES / 1e6:g} MB); reload the page or open a session file")
    extra = set(state) - KEYS
    if extra:
        raise WorkshopError(f"session state: unknown key(s) {', '.join(sorted(extra))}")
    for key in ("levers", "base"):
        if not isinstance(state.get(key), dict):
            raise WorkshopError(f"session state: '{key}' missing or not an object")
    known = set(lever_names(model))
    for py, v in state["levers"].items():
        if py not in known:
            raise WorkshopError(f"session state: unknown lever {py!r}")
        check_lever(model, py, v)
    for py, v in state["base"].items():
        if py not in model.parameters or not _num(v):
            raise WorkshopError(f"session state: base parameter {py!r} = {v!r} is not allowed")
    if not isinstance(state.get("log", []), list) or len(state.get("log", [])) > MAX_LOG:
        raise WorkshopError(f"session state: the log holds more than {MAX_LOG} entries")
    if not isinstance(state.get("snapshots", []), list) or len(state.get("snapshots", [])) > MAX_SNAPSHOTS:
        raise WorkshopError(f"session state: at most {MAX_SNAPSHOTS} snapshots")
    c = state.get("commit", 0)
    if not (isinstance(c, int) and not isinstance(c, bool) and c >= 0):
        raise WorkshopError("session state: 'commit' is not a whole number >= 0")
    f = state.get("facilitator")
    if f is not None and not (isinstance(f, dict) and isinstance(f.get("id"), str)
                              and isinstance(f.get("team"), str) and len(f["team"]) <= 60):
        raise WorkshopError("session state: malformed facilitator sharing entry")
    g = state.get("game")
    if g is not None:
        if not isinstance(g, dict) or not all(_num(g.get(k)) for k in ("t0", "t1", "year")):
            raise WorkshopError("session state: malformed game")
        if not (g["t0"] <= g["year"] <= g["t1"]):
            raise WorkshopError(f"session state: game year {g['year']} outside [{g['t0']}, {g['t1']}]")
        for dec in list(g.get("decisions", [])) + list(g.get("script", []) or []):
            for py, v in dec.get("changes", {}).items():
                check_lever(model, py, v)
    return state


def cap_log(state: dict) -> dict:
    """Keep the last MAX_LOG log entries (counting what was dropped)."""
    log = state.get("log", [])
    if len(log) <= MAX_LOG:
        return state
    new = dict(state)
    drop = len(log) - MAX_LOG
    new["log"] = log[drop:]
    new["log_dropped"] = int(state.get("log_dropped", 0)) + drop
    return new


def remember(old: dict, new: dict) -> dict:
    """``new`` with ``old``'s levers pushed on the undo stack (when they differ)."""
    if old is None or old.get("levers") == new.get("levers"):
        return new
    new = dict(new)
    stack = list(old.get("undo", []))[-(MAX_UNDO - 1):]
    new["undo"] = stack + [dict(old["levers"])]
    return new


def undo(state: dict) -> dict:
    stack = list(state.get("undo", []))
    if not stack:
        raise WorkshopError("nothing to undo")
    new = copy.deepcopy(state)
    new["levers"] = stack.pop()
    new["undo"] = stack
    return new


def scenario_levers(model, state: dict) -> dict:
    """Lever values of the scenario the session started from."""
    return {py: float(state["base"].get(py, model.parameters[py].default)) for py in state["levers"]}


def reset(model, state: dict, py: str | None = None) -> dict:
    """All levers (or lever ``py``) back to the scenario's values."""
    new = copy.deepcopy(state)
    base = scenario_levers(model, state)
    if py is None:
        new["levers"] = base
    else:
        if py not in base:
            raise WorkshopError(f"unknown lever {py!r}")
        new["levers"][py] = base[py]
    return new
