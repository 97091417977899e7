"""The central callback: every lever, scenario, snapshot and game event of a tab goes through it,
after the state that came back from the tab has been checked.

Lever moves (slider drags and arrow keys) are drawn in the page first and reach the server
afterwards as a *lever commit* ``{"levers": {py: value}, "seq": n}`` (the ``lever-commit`` store,
set by live.js when the lever rests).  Every request carries the tab's latest commit, and the
state records the last one applied (``state["commit"]``), so a commit is applied exactly once
and before any later event of the same tab -- even when Dash drops a superseded request.
"""

from __future__ import annotations

import base64
import json
import math
from urllib.parse import parse_qs

from dash import ALL, Input, Output, State, ctx, no_update

from ..core.errors import AmbidexError
from . import guard, room
from .game import pending, play_to, restart_replay, start_game, stop_game
from .state import (
    WorkshopError,
    lever_names,
    log,
    pin,
    set_levers,
    state_from_scenario,
    state_from_toml,
    unpin,
)

ERR = "Invalid input (last good state kept): "
OK, BAD = "msg ok", "msg error"
CLICKS = ("pin", "unpin", "reset", "undo", "game-start", "game-advance", "game-advance-n",
          "game-end", "game-replay", "game-stop")
STATES = (("state", "data"), ("upload", "filename"), ("session-upload", "filename"),
          ("snapshot-name", "value"), ("game-years", "value"), ("url", "search"),
          ("room-team", "value"), ("message", "children"), ("game-status", "children"),
          ("scenario-source", "children"))


def tidy(v):
    """A lever value from the page as a float rounded to 10 digits (None and text kept)."""
    if v is None:
        return None
    try:
        v = float(v)
    except (TypeError, ValueError):
        return v
    return round(v, 10) if math.isfinite(v) else v


def game_status(state) -> str:
    g = state.get("game")
    if not g:
        return "off"
    n = len(pending(state))
    s = f"year {g['year']:g} of {g['t1']:g}; {len(g['decisions'])} decision(s) recorded"
    if g.get("script"):
        s += "; replaying the recorded path"
    if n:
        s += f"; {n} lever change(s) pending until you advance"
    return s


def describe(state) -> str:
    text = state.get("description") or state["scenario"]
    return f"{state['scenario']}: {text} (source: {state['source']})" if state.get("source") else text


def decode_upload(contents: str, filename: str, limit: int) -> bytes:
    """The bytes of a ``dcc.Upload`` data URL, refused when larger than ``limit`` bytes."""
    try:
        raw = base64.b64decode(contents.split(",", 1)[1])
    except Exception:
        raise WorkshopError(f"{filename}: could not read the uploaded file") from None
    if len(raw) > limit:
        raise WorkshopError(f"{filename}: {len(raw) / 1e3:.0f} kB refused (at most {limit / 1e3:g} kB)")
    return raw


def from_url(model, state, search: str | None) -> dict:
    """Levers of a shared link (``?scenario=NAME&levers={json}``), checked like typed values."""
    q = parse_qs((search or "").lstrip("?"))
    if "levers" not in q:
        return state
    try:
        levers = json.loads(q["levers"][0])
        assert isinstance(levers, dict)
    except Exception:
        raise WorkshopError("shared link: 'levers' is not a JSON object") from None
    state, _ = set_levers(model, state, levers)
    return state


def commit_seq(commit) -> int:
    """The sequence number of a lever commit from the page (0 when absent or malformed)."""
    seq = commit.get("seq") if isinstance(commit, dict) else None
    return seq if isinstance(seq, int) and not isinstance(seq, bool) and seq >= 0 else 0


def apply_commit(model, state: dict, commit) -> dict:
    """``state`` with the lever commit applied, if the state has not seen it yet (values checked
    like typed ones; unknown levers refused)."""
    seq = commit_seq(commit)
    if seq <= int(state.get("commit", 0)):
        return state
    levers = commit.get("levers") if isinstance(commit, dict) else None
    if not isinstance(levers, dict):
        raise WorkshopError("lever change: malformed request from the page; reload the page")
    known = set(lever_names(model))
    unknown = [py for py in levers if py not in known]
    if unknown:
        raise WorkshopError(f"lever change: unknown lever {unknown[0]!r}")
    new, diff = set_levers(model, state, {py: tidy(v) for py, v in levers.items()})
    new["commit"] = seq
    if diff and not new.get("game"):
        new = log(new, "run", diff, model=model)
    return guard.remember(state, new) if diff else new


def _files(model, state, trig, a):
    contents, name = (a["upload"], a["filename"]) if trig == "upload" else (a["session"], a["session_name"])
    if not contents:
        return None, ""
    if trig == "upload":
        raw = decode_upload(contents, name or "uploaded.toml", guard.MAX_UPLOAD_BYTES)
        new = state_from_toml(model, raw, name or "uploaded.toml", previous=state)
        return log(new, "run", model=model, note=f"uploaded {name}"), f"Loaded scenario file {name}."
    raw = decode_upload(contents, name or "session.json", guard.MAX_STATE_BYTES)
    try:
        new = json.loads(raw)
    except ValueError as exc:
        raise WorkshopError(f"{name}: not a session file ({exc})") from None
    new = guard.check_state(model, new)
    return log(new, "session-open", model=model, note=f"opened {name}"), f"Opened session file {name}."


def _game(model, state, trig, a):
    if trig == "game-start":
        return log(start_game(model, state), "game-start", model=model), "Game started: set the levers, then advance."
    if trig == "game-stop":
        return log(stop_game(state), "game-stop", model=model), "Game ended; its decision path is kept."
    if trig == "game-replay":
        return log(restart_replay(state), "game-replay", model=model), "Replaying the recorded path."
    g = state.get("game")
    if not g:
        raise WorkshopError("start the game first")
    years = {"game-advance": 1, "game-end": g["t1"] - g["year"]}.get(trig, a["years"])
    if not isinstance(years, (int, float)) or years < 1:
        raise WorkshopError("advance by a whole number of years, at least 1")
    return log(play_to(state, g["year"] + int(years)), "game-advance", model=model), ""


def event(model, state, trig, a):
    """The new state for one triggering input (not a lever move) and the success message;
    (None, '') when there is nothing to do."""
    if trig == "scenario":
        return log(state_from_scenario(model, a["scenario"], previous=state), "run", model=model,
                   note="scenario selected"), ""
    if trig in ("upload", "session-upload"):
        return _files(model, state, trig, a)
    if trig == "pin":
        new = pin(model, state, a["snap"])
        snap = new["snapshots"][-1]["name"]
        return log(new, "snapshot", model=model, snapshot=snap), f"Pinned snapshot '{snap}'."
    if trig == "unpin":
        if not state["snapshots"]:
            raise WorkshopError("no snapshot to remove")
        name = state["snapshots"][-1]["name"]
        return log(unpin(state, name), "unpin", model=model, snapshot=name), f"Removed snapshot '{name}'."
    if trig == "reset":
        return log(guard.reset(model, state), "reset", model=model), "Levers back to the scenario."
    if trig == "undo":
        return log(guard.undo(state), "undo", model=model), "Undone."
    if isinstance(trig, dict) and trig["type"] == "lever-reset":
        return log(guard.reset(model, state, trig["py"]), "reset", model=model, note=trig["py"]), ""
    if isinstance(trig, str) and trig.startswith("game-"):
        return _game(model, state, trig, a)
    if trig == "room-optin":
        if "on" in (a["optin"] or []):
            new = room.opt_in(state, a["team"])
            return new, f"Sharing your latest run with the facilitator as '{new['facilitator']['team']}'."
        return room.opt_out(state), "Stopped sharing your runs."
    return None, ""


def _lever_num(model, state, py, value):
    new, diff = set_levers(model, state, {py: tidy(value)})
    if not diff:
        return state
    if not new.get("game"):
        new = log(new, "run", diff, model=model)
    return guard.remember(state, new)


def handle(model, trig, a: dict):
    """(new state or None for no change, message, message class) for one request of a tab.

    ``a`` holds the inputs and states by name ('stored', 'commit', 'num', ...).  On a refused
    input the state is sent back unchanged (so the page's boxes show it again) with the reason."""
    try:
        old = guard.check_state(model, a["stored"])
    except WorkshopError as exc:  # a tampered or runaway store: refused, never run
        fresh = log(state_from_scenario(model, a["scenario"]), "run", model=model, note="state refused")
        return fresh, f"Refused the session state sent by this tab ({exc}); started afresh.", BAD
    state, msg = old, ""
    try:
        if old is None:
            state = from_url(model, state_from_scenario(model, a["scenario"]), a["search"])
            state["commit"] = commit_seq(a["commit"])
            return log(state, "run", model=model, note="session start"), "", OK
        if trig is None:  # page (re)load within a tab: restore the session
            return old, "", OK
        try:
            state = apply_commit(model, old, a["commit"])
        except WorkshopError as exc:  # refused, and marked seen so that the page drops it
            seen = max(commit_seq(a["commit"]), int(old.get("commit", 0)))
            return dict(old, commit=seen), ERR + str(exc), BAD
        applied = int(state.get("commit", 0))
        if isinstance(trig, dict) and trig["type"] == "lever-num":
            state = _lever_num(model, state, trig["py"], a["num"][trig["py"]])
        elif trig != "lever-commit":
            new, msg = event(model, state, trig, a)
            if new is not None:
                state = new if trig == "undo" else guard.remember(state, new)
                state["commit"] = applied  # this tab's sequence, also over an opened session file
    except (WorkshopError, AmbidexError) as exc:
        return state, ERR + str(exc), BAD
    if state is old:
        return None, msg, OK
    room.record(state)
    return guard.cap_log(state), msg, OK


def register(app, model):
    """The central callback on ``app``."""
    @app.callback(
        Output("state", "data"),
        Output("message", "children"),
        Output("message", "className"),
        Output("game-status", "children"),
        Output("scenario-source", "children"),
        Input("lever-commit", "data"),
        Input({"type": "lever-num", "py": ALL}, "value"),
        Input({"type": "lever-reset", "py": ALL}, "n_clicks"),
        Input("scenario", "value"),
        Input("upload", "contents"),
        Input("session-upload", "contents"),
        *[Input(c, "n_clicks") for c in CLICKS],
        Input("room-optin", "value"),
        *[State(c, p) for c, p in STATES],
    )
    def central(commit, nums, _resets, scenario, upload, session, *rest):
        optin = rest[len(CLICKS)]
        (stored, filename, session_name, snap, years, search, team,
         *shown) = rest[len(CLICKS) + 1:]
        ids = [i["id"]["py"] for i in ctx.inputs_list[1]]
        a = {"stored": stored, "commit": commit, "num": dict(zip(ids, nums)),
             "scenario": scenario, "upload": upload, "filename": filename, "session": session,
             "session_name": session_name, "snap": snap, "years": years, "search": search,
             "optin": optin, "team": team}
        state, message, cls = handle(model, ctx.triggered_id, a)
        msg = (message, cls) if message != (shown[0] or "") else (no_update, no_update)
        if state is None:
            return (no_update, *msg, no_update, no_update)
        texts = [t if t != s else no_update
                 for t, s in zip((game_status(state), describe(state)), shown[1:])]
        return (state, *msg, *texts)  # texts sent only when they change
