"""Game mode: the year-by-year game on the session state (start, advance, replay the recorded
path, stop keeping it).  Pure functions: each takes a state dict and returns a new one.

``state["game"]`` is None or ``{"t0", "t1", "year", "start", "decisions": [{"year", "changes"}],
"script"}`` (years in the model's time unit; ``changes``: {lever py name: value})."""

from __future__ import annotations

import copy
import math

from .state import WorkshopError


def start_game(model, state: dict) -> dict:
    """Start the game at the scenario's initial time with the current levers."""
    new = copy.deepcopy(state)
    t0 = float(state["horizon"].get("start", model.control["initial_time"]))
    t1 = float(state["horizon"].get("end", model.control["final_time"]))
    new["game"] = {"t0": t0, "t1": t1, "year": t0, "start": dict(state["levers"]), "decisions": []}
    return new


def in_effect(state: dict) -> dict:
    """Lever values in effect at the game's current year (start plus decisions so far)."""
    g = state["game"]
    cur = dict(g["start"])
    for dec in g["decisions"]:
        cur.update(dec["changes"])
    return cur


def pending(state: dict) -> dict:
    """Lever changes made this year and not yet played: {py: value}."""
    if not state.get("game"):
        return {}
    eff = in_effect(state)
    return {py: v for py, v in state["levers"].items() if eff.get(py) != v}


def advance(state: dict, years: float = 1.0) -> dict:
    """Record this year's lever changes as the year's decision and move one year on."""
    g = state.get("game")
    if not g:
        raise WorkshopError("start the game first")
    if g["year"] + years > g["t1"] + 1e-9:
        raise WorkshopError(f"the game ends at {g['t1']:g}")
    new = copy.deepcopy(state)
    ng = new["game"]
    for dec in g.get("script", []):  # replaying a recorded path: this year's decision
        if math.isclose(dec["year"], g["year"]):
            new["levers"].update(dec["changes"])
    ch = pending(new)
    if ch:
        ng["decisions"].append({"year": g["year"], "changes": ch})
    ng["year"] = g["year"] + years
    return new


def restart_replay(state: dict) -> dict:
    """Restart the game at its first year with the recorded path as a script: each advance
    then plays the recorded decision of that year again (participants may still add changes)."""
    g = state.get("game")
    if not g:
        raise WorkshopError("no game to replay: start the game first")
    new = copy.deepcopy(state)
    ng = new["game"]
    ng["script"] = list(g.get("script") or []) if not g["decisions"] else list(g["decisions"])
    ng["decisions"] = []
    ng["year"] = g["t0"]
    new["levers"] = dict(g["start"])
    return new


def replay(state: dict, decisions: list[dict], until: float | None = None) -> dict:
    """A game state that has played ``decisions`` (year -> changes) up to ``until`` (default:
    one year after the last decision)."""
    new = copy.deepcopy(state)
    g = new["game"]
    g["decisions"] = [d for d in decisions if until is None or d["year"] < until]
    last = max([d["year"] for d in decisions], default=g["t0"])
    g["year"] = float(until if until is not None else min(last + 1, g["t1"]))
    new["levers"] = in_effect(new)
    return new


def stop_game(state: dict) -> dict:
    """End the game keeping its decision path: during a replay the recorded decisions not yet
    played are kept too; the levers stay as the whole path leaves them (``last_path``)."""
    new = copy.deepcopy(state)
    g = new.get("game")
    if g:
        played = {d["year"] for d in g["decisions"]}
        rest = [d for d in g.get("script") or [] if d["year"] >= g["year"] and d["year"] not in played]
        g["decisions"] = sorted(g["decisions"] + rest, key=lambda d: d["year"])
        new["levers"] = in_effect(new)
        new["last_path"] = {"t0": g["t0"], "t1": g["t1"], "start": g["start"],
                            "decisions": g["decisions"]}
    new["game"] = None
    return new


def play_to(state: dict, year: float) -> dict:
    """Advance year by year (recording this year's changes, replaying a script) up to ``year``."""
    g = state.get("game")
    if not g:
        raise WorkshopError("start the game first")
    year = min(float(year), g["t1"])
    if year <= g["year"]:
        raise WorkshopError(f"the game is at {g['year']:g} already; the game ends at {g['t1']:g}")
    while state["game"]["year"] + 1 <= year + 1e-9:
        state = advance(state)
    return state
