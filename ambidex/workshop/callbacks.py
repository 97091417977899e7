"""Dash callbacks.  One central callback owns the session state (every lever, scenario, snapshot
and game event goes through it; the state coming back from the tab is checked first).  The key
charts and the snapshot comparison are drawn in the browser by clientside callbacks (the model
runs there as generated JavaScript), so they follow a lever while it is dragged; the other
views derive from the state on the server, only while their tab is open."""

from __future__ import annotations

import base64
import json
import math
from urllib.parse import parse_qs

import numpy as np
from dash import ALL, ClientsideFunction, Input, Output, State, ctx, dcc, html, no_update

from ..core.errors import AmbidexError
from ..core.scenario import scenario_from_dict
from ..structure import stock_influences
from . import export, figures, guard, room, runs
from .charts import lever_label
from .state import (
    WorkshopError,
    lever_names,
    log,
    pending,
    pin,
    play_to,
    restart_replay,
    scenario_dict,
    scenario_toml,
    set_levers,
    start_game,
    state_from_scenario,
    state_from_toml,
    stop_game,
    unpin,
)

ERR = "Invalid input (last good state kept): "
OK, BAD = "msg ok", "msg error"


def _tidy(v):
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


def _decode(contents: str, filename: str, limit: int) -> bytes:
    try:
        raw = base64.b64decode(contents.split(",", 1)[1])
    except Exception:
        raise WorkshopError(f"{filename}: could not read the uploaded file") from None
    if len(raw) > limit:
        raise WorkshopError(f"{filename}: {len(raw) / 1e3:.0f} kB refused (at most {limit / 1e3:g} kB)")
    return raw


def _from_url(model, state, search: str | None) -> dict:
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


def _event(model, state, trig, a):
    """The new state for one triggering input and the success message (or '')."""
    if trig == "scenario":
        return log(state_from_scenario(model, a["scenario"], previous=state), "run", model=model,
                   note="scenario selected"), ""
    if trig in ("upload", "session-upload"):
        contents, name = (a["upload"], a["filename"]) if trig == "upload" else (a["session"], a["session_name"])
        if not contents:
            return None, ""
        if trig == "upload":
            raw = _decode(contents, name or "uploaded.toml", guard.MAX_UPLOAD_BYTES)
            new = state_from_toml(model, raw, name or "uploaded.toml", previous=state)
            return log(new, "run", model=model, note=f"uploaded {name}"), f"Loaded scenario file {name}."
        raw = _decode(contents, name or "session.json", guard.MAX_STATE_BYTES)
        try:
            new = json.loads(raw)
        except ValueError as exc:
            raise WorkshopError(f"{name}: not a session file ({exc})") from None
        new = guard.check_state(model, new)
        return log(new, "session-open", model=model, note=f"opened {name}"), f"Opened session file {name}."
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
    if trig == "game-start":
        return log(start_game(model, state), "game-start", model=model), "Game started: set the levers, then advance."
    if trig in ("game-advance", "game-advance-n", "game-end"):
        g = state.get("game")
        if not g:
            raise WorkshopError("start the game first")
        years = {"game-advance": 1, "game-end": g["t1"] - g["year"]}.get(trig, a["years"])
        if not isinstance(years, (int, float)) or years < 1:
            raise WorkshopError("advance by a whole number of years, at least 1")
        new = play_to(state, g["year"] + int(years))
        return log(new, "game-advance", model=model), ""
    if trig == "room-optin":
        if "on" in (a["optin"] or []):
            new = room.opt_in(state, a["team"])
            return new, f"Sharing your latest run with the facilitator as '{new['facilitator']['team']}'."
        return room.opt_out(state), "Stopped sharing your runs."
    if trig == "game-stop":
        return log(stop_game(state), "game-stop", model=model), "Game ended; its decision path is kept."
    if trig == "game-replay":
        return log(restart_replay(state), "game-replay", model=model), "Replaying the recorded path."
    return None, ""


def register(app, model):
    levers = lever_names(model)

    @app.callback(
        Output("state", "data"),
        Output("message", "children"),
        Output("message", "className"),
        Output("game-status", "children"),
        Output("scenario-source", "children"),
        Input({"type": "lever", "py": ALL}, "value"),
        Input({"type": "lever-num", "py": ALL}, "value"),
        Input({"type": "lever-reset", "py": ALL}, "n_clicks"),
        Input("scenario", "value"),
        Input("upload", "contents"),
        Input("session-upload", "contents"),
        Input("pin", "n_clicks"),
        Input("unpin", "n_clicks"),
        Input("reset", "n_clicks"),
        Input("undo", "n_clicks"),
        Input("game-start", "n_clicks"),
        Input("game-advance", "n_clicks"),
        Input("game-advance-n", "n_clicks"),
        Input("game-end", "n_clicks"),
        Input("game-replay", "n_clicks"),
        Input("game-stop", "n_clicks"),
        Input("room-optin", "value"),
        State("state", "data"),
        State("upload", "filename"),
        State("session-upload", "filename"),
        State("snapshot-name", "value"),
        State("game-years", "value"),
        State("url", "search"),
        State("room-team", "value"),
    )
    def central(slider_vals, num_vals, _resets, scenario, upload, session, *rest):
        *_clicks, optin, stored, filename, session_name, snap_name, years, search, team = rest
        ids = [i["id"]["py"] for i in ctx.inputs_list[0]]
        trig = ctx.triggered_id
        nothing = (no_update,) * 5

        def reply(state, message="", cls=OK):  # the lever boxes follow the state in the page
            return state, message, cls, game_status(state), describe(state)

        try:
            old = guard.check_state(model, stored)
        except WorkshopError as exc:  # a tampered or runaway store: refused, never run
            fresh = log(state_from_scenario(model, scenario), "run", model=model, note="state refused")
            return reply(fresh, f"Refused the session state sent by this tab ({exc}); started afresh.", BAD)
        try:
            if old is None:
                state = state_from_scenario(model, scenario)
                state = _from_url(model, state, search)
                state = log(state, "run", model=model, note="session start")
                return reply(state)
            if trig is None:  # page (re)load within a tab: restore the session
                return reply(old)
            if isinstance(trig, dict) and trig["type"] in ("lever", "lever-num"):
                k = ids.index(trig["py"])
                value = slider_vals[k] if trig["type"] == "lever" else num_vals[k]
                state, diff = set_levers(model, old, {trig["py"]: _tidy(value)})
                if not diff:
                    return nothing
                if not state.get("game"):
                    state = log(state, "run", diff, model=model)
                room.record(state)
                return reply(guard.cap_log(guard.remember(old, state)))
            state, msg = _event(model, old, trig, {
                "scenario": scenario, "upload": upload, "filename": filename, "session": session,
                "session_name": session_name, "snap": snap_name, "years": years,
                "optin": optin, "team": team})
            if state is None:
                return nothing
        except (WorkshopError, AmbidexError) as exc:
            if old is None:
                return (no_update, ERR + str(exc), BAD, no_update, no_update)
            return reply(old, ERR + str(exc), BAD)
        if trig not in ("undo",):
            state = guard.remember(old, state)
        room.record(state)
        return reply(guard.cap_log(state), msg, OK)

    app.clientside_callback(  # sliders and number boxes follow the confirmed state
        ClientsideFunction("ambidex", "syncLevers"),
        Output({"type": "lever", "py": ALL}, "value"),
        Output({"type": "lever-num", "py": ALL}, "value"),
        Input("state", "data"),
        State({"type": "lever", "py": ALL}, "value"),
        State({"type": "lever-num", "py": ALL}, "value"),
    )
    app.clientside_callback(
        ClientsideFunction("ambidex", "liveState"),
        Output("state-info", "children"),
        Input("state", "data"),
    )
    @app.callback(
        Output("room-table", "children"),
        Output("room-tick", "disabled"),
        Input("gate-room", "data"),
        Input("room-tick", "n_intervals"),
    )
    def room_view(state, _tick):
        if not state:
            return no_update, no_update
        rows = [html.Tr([html.Th(c) for c in ("team", "updated (UTC)", "scenario",
                                               "levers changed", "ROA in final year",
                                               "trust in final year")])]
        for e in room.entries():
            try:
                st = {**state, "base": e["base"], "levers": e["levers"], "interventions": e["interventions"],
                      "scenario": e["scenario"], "game": e["game"], "horizon": {}}
                ds = runs.run(model, scenario_dict(model, st), ("roa", "relationship_trust"))
                roa = float(ds.roa.values[0][-1])
                trust = float(ds.relationship_trust.values[0][-1])
                res = (f"{100 * roa:.1f}%", f"{trust:.2f}")
            except (AmbidexError, KeyError, IndexError):
                res = ("–", "–")
            ch = ", ".join(f"{lever_label(model, py)} = {v:g}" for py, v in e["levers"].items()
                           if v != e["base"].get(py, model.parameters[py].default))
            rows.append(html.Tr([html.Td(e["team"]), html.Td(e["time"][11:19]), html.Td(e["scenario"]),
                                 html.Td(ch or "none"), html.Td(res[0]), html.Td(res[1])]))
        return rows, False

    for tab in ("loops", "feedback", "log", "room"):  # server views get the state only while open
        app.clientside_callback(
            f"(state, tab) => (tab === '{tab}' && state) ? state : window.dash_clientside.no_update",
            Output(f"gate-{tab}", "data"),
            Input("state", "data"),
            Input("tabs", "value"),
        )
    app.clientside_callback(
        ClientsideFunction("ambidex", "compare"),
        Output("compare-info", "children"),
        Input("state", "data"),
        Input("tabs", "value"),
    )
    app.clientside_callback(
        ClientsideFunction("ambidex", "presenter"),
        Output("presenter-toggle", "aria-pressed"),
        Input("presenter-toggle", "n_clicks"),
        Input("url", "search"),
    )
    app.clientside_callback(
        ClientsideFunction("ambidex", "share"),
        Output("share-link", "value"),
        Input("share", "n_clicks"),
        State("state", "data"),
    )

    @app.callback(
        Output("loops-diagram", "figure"),
        Output("loops-scores", "figure"),
        Output("loops-periods", "children"),
        Input("gate-loops", "data"),
        Input("loops-year", "value"),
        running=[(Output("loops-busy", "children"),
                  "Measuring the loops for your levers (a few seconds) ...", "")],
    )
    def loops_tab(state, year):
        if not state:
            return no_update, no_update, no_update
        from . import loops_view
        t0, t1 = model.control["initial_time"], model.control["final_time"]
        if year is None or not (t0 <= float(year) <= t1):
            return figures.empty(f"year must be in [{t0:g}, {t1:g}]"), no_update, []
        try:
            state = guard.check_state(model, state)
            scores = loops_view.named_scores(model, _no_horizon(model, state))
        except (WorkshopError, AmbidexError) as exc:
            return figures.empty(str(exc)), no_update, []
        if not scores:
            return figures.empty("this model has no named loops file"), no_update, []
        rows = [html.Tr([html.Th("from"), html.Th("to"), html.Th("dominant named loop")])]
        for a, b, lid in loops_view.periods(scores):
            if b - a >= 0.5:
                rows.append(html.Tr([html.Td(f"{a:g}"), html.Td(f"{b:g}"),
                                     html.Td(f"{lid} {scores[lid][0]}")]))
        return (loops_view.diagram(model, scores, float(year)),
                loops_view.scores_figure(scores, float(year)), rows)

    _edges_cache: dict = {}

    @app.callback(
        Output("feedback-graph", "figure"),
        Output("feedback-table", "children"),
        Input("gate-feedback", "data"),
        Input("feedback-year", "value"),
    )
    def feedback_view(state, year):
        if not state:
            return no_update, no_update
        from ..report import structure_figure
        t0, t1 = model.control["initial_time"], model.control["final_time"]
        if year is None or not (t0 <= float(year) <= t1):
            return figures.empty(f"year must be in [{t0:g}, {t1:g}]"), []
        d = scenario_dict(model, state)
        d.pop("horizon", None)
        key = json.dumps([d, float(year)], sort_keys=True)
        edges = _edges_cache.get(key)
        if edges is None:
            with runs._LOCK:
                edges = stock_influences(model, scenario_from_dict(d), t=float(year))
            if len(_edges_cache) > 64:
                _edges_cache.clear()
            _edges_cache[key] = edges
        fig = structure_figure(edges, model)
        fig.update_layout(title=f"Feedback structure between stocks at {float(year):g} "
                                "(green +, red −), measured from the equations")
        links = edges[(edges.source != edges.target) & edges.strength.notna()]
        links = links[np.isfinite(links.strength.astype(float)) & (links.strength != 0)]
        top = links.reindex(links.strength.abs().sort_values(ascending=False).index).head(15)
        table = [html.Tr([html.Th(c) for c in ("from stock", "to stock", "sign", "strength")])] + [
            html.Tr([html.Td(r.source), html.Td(r.target), html.Td("+" if r.sign > 0 else "−"),
                     html.Td(f"{r.strength:.3g}")]) for r in top.itertuples()]
        return fig.to_plotly_json(), table

    @app.callback(
        Output("decision-table", "children"),
        Output("log-table", "children"),
        Input("gate-log", "data"),
    )
    def log_view(state):
        if not state:
            return no_update, no_update
        g = state.get("game") or state.get("last_path") or {}
        dec = [html.Tr([html.Th("year"), html.Th("decision")])] + [
            html.Tr([html.Td(f"{d['year']:g}"), html.Td(", ".join(
                f"{model.parameters[k].name} = {v:g}" for k, v in d["changes"].items()))])
            for d in g.get("decisions", []) or g.get("script", [])]
        rows = [html.Tr([html.Th(c) for c in ("time (UTC)", "event", "scenario", "game year",
                                               "lever changes", "snapshot")])]
        for e in state["log"][-100:]:
            ch = ", ".join(f"{k}: {v['from'] if v['from'] is None else format(v['from'], 'g')} → {v['to']:g}"
                           for k, v in e.get("changes", {}).items())
            rows.append(html.Tr([html.Td(e["time"][11:23]), html.Td(e["event"]), html.Td(e["scenario"]),
                                 html.Td(e.get("game_year", "")), html.Td(ch),
                                 html.Td(e.get("snapshot") or "")]))
        return dec, rows

    @app.callback(
        Output("download", "data"),
        Output("message", "children", allow_duplicate=True),
        Output("message", "className", allow_duplicate=True),
        Input("save-toml", "n_clicks"),
        Input("save-session", "n_clicks"),
        Input("export-html", "n_clicks"),
        Input("export-csv", "n_clicks"),
        Input("export-nc", "n_clicks"),
        Input("export-log", "n_clicks"),
        State("state", "data"),
        State("save-name", "value"),
        prevent_initial_call=True,
        running=[(Output("message", "children"), "Working: preparing the file ...", ""),
                 (Output("message", "className"), "msg busy", "msg ok")],
    )
    def download(_t, _s, _h, _c, _n, _l, state, name):
        if not state:
            return no_update, ERR + "nothing to export yet", BAD
        trig = ctx.triggered_id
        stem = f"workshop_{state['scenario']}"
        try:
            state = guard.check_state(model, state)
            if trig == "save-toml":
                text = scenario_toml(model, state, name)
                return dcc.send_string(text, f"{name.strip()}.toml"), f"Saved scenario '{name.strip()}'.", OK
            if trig == "save-session":
                return (dcc.send_string(json.dumps(state, indent=1), f"{stem}_session.json"),
                        "Saved the session file; open it later with 'Open session file'.", OK)
            if trig == "export-html":
                with runs._LOCK:
                    edges = stock_influences(model, scenario_from_dict(_no_horizon(model, state)))
                return (dcc.send_string(export.html_report(model, state, edges), f"{stem}.html"),
                        "Exported the HTML report.", OK)
            if trig == "export-csv":
                return dcc.send_string(export.csv_text(model, state), f"{stem}.csv"), "Exported CSV.", OK
            if trig == "export-nc":
                return dcc.send_bytes(export.netcdf_bytes(model, state), f"{stem}.nc"), "Exported netCDF.", OK
            if trig == "export-log":
                return dcc.send_string(export.log_json(state), f"{stem}_log.json"), "Exported the log.", OK
        except (WorkshopError, AmbidexError) as exc:
            return no_update, ERR + str(exc), BAD
        return no_update, no_update, no_update

    return levers


def _no_horizon(model, state):
    d = scenario_dict(model, state)
    d.pop("horizon", None)
    return d



