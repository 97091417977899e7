"""The facilitator's view of the room: the latest run of every participant who opted in.

Only tabs whose participants ticked *share my latest run* appear, under the team name they gave;
the server keeps one entry per tab (its levers, scenario and time; at most ``MAX_TEAMS``, the
oldest dropped) in memory and nothing else.  Un-ticking removes the entry.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict

from .state import now, safe_name

MAX_TEAMS = 40
_LOCK = threading.Lock()
_ROOM: OrderedDict = OrderedDict()


def opt_in(state: dict, team: str | None) -> dict:
    """The state with sharing switched on under ``team`` (a checked name)."""
    new = dict(state)
    old = state.get("facilitator") or {}
    new["facilitator"] = {"id": old.get("id") or secrets.token_hex(8), "team": safe_name(team)}
    return new


def opt_out(state: dict) -> dict:
    new = dict(state)
    f = state.get("facilitator")
    if f:
        forget(f.get("id"))
    new["facilitator"] = None
    return new


def record(state: dict) -> None:
    """Keep this tab's latest run (if it opted in)."""
    f = state.get("facilitator")
    if not f or not isinstance(f, dict) or not isinstance(f.get("id"), str):
        return
    entry = {"team": str(f.get("team", ""))[:60], "time": now(), "scenario": state["scenario"],
             "base": dict(state["base"]), "levers": dict(state["levers"]),
             "interventions": list(state.get("interventions", [])), "game": state.get("game")}
    with _LOCK:
        _ROOM[f["id"][:32]] = entry
        _ROOM.move_to_end(f["id"][:32])
        while len(_ROOM) > MAX_TEAMS:
            _ROOM.popitem(last=False)


def forget(key: str | None) -> None:
    with _LOCK:
        _ROOM.pop(str(key)[:32], None)


def entries() -> list[dict]:
    """Latest runs, newest first."""
    with _LOCK:
        return [dict(e) for e in reversed(_ROOM.values())]
