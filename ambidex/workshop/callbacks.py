"""Dash callbacks.  One central callback owns the session state (every lever, scenario, snapshot
and game event goes through it, so each change is one round trip: new state + redrawn outcomes);
the other views derive from the state, and only while their tab is open."""

from __future__ import annotations

import base64
import json
import math

from dash import ALL, Input, Output, Patch, State, ctx, dcc, html, no_update

from ..errors import AmbidexError
from ..scenario import scenario_from_dict
from ..structure import stock_influences
from . import export, figures, runs
from .state import (
    WorkshopError,
    advance,
    baseline_dict,
    lever_names,
    log,
    pending,
    pin,
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


def _tidy(v):
    if v is None:
        return None
    try:
        v = float(v)
    except (TypeError, ValueError):
        return v
    return round(v, 10) if math.isfinite(v) else v


def outcome_figure(model, state):
    base = runs.run(model, baseline_dict(model, state))
    g = state.get("game")
    if g is not None:
        if g["year"] <= g["t0"]:
            return figures.outcomes(None, base, title=(
                f"Game at {g['year']:g}: set the levers, then advance one year (baseline dashed)"))
        cur = runs.run(model, scenario_dict(model, state))
        return figures.outcomes(cur, base, current_label="game path", until=g["year"],
                                title=f"Game: results up to {g['year']:g} against the baseline (dashed)")
    cur = runs.run(model, scenario_dict(model, state))
    return figures.outcomes(cur, base, title=f"Key outcomes: current levers (solid) against "
                                             f"scenario '{state['scenario']}' (dashed)")


def current_patch(model, state):
    """A Patch setting the y values of the 'current' traces of the outcomes figure (same trace
    order as :func:`figures.outcomes` with a baseline and a current run on every subplot)."""
    cur = runs.run(model, scenario_dict(model, state))
    base = runs.run(model, baseline_dict(model, state))
    p = Patch()
    k = 0
    for item in figures.outcome_items(base):
        py, scale = item[0], item[1]
        if py not in cur and py not in base:
            continue
        if py in base:
            k += 1
        if py in cur:
            p["data"][k]["y"] = figures._series(cur, str(cur.scenario.values[0]), py, scale)[1]
            k += 1
    return p


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


def register(app, model):
    levers = lever_names(model)

    @app.callback(
        Output("state", "data"),
        Output("outcomes-graph", "figure"),
        Output({"type": "lever", "py": ALL}, "value"),
        Output({"type": "lever-num", "py": ALL}, "value"),
        Output("message", "children"),
        Output("game-status", "children"),
        Input({"type": "lever", "py": ALL}, "value"),
        Input({"type": "lever-num", "py": ALL}, "value"),
        Input("scenario", "value"),
        Input("upload", "contents"),
        Input("pin", "n_clicks"),
        Input("unpin", "n_clicks"),
        Input("game-start", "n_clicks"),
        Input("game-advance", "n_clicks"),
        Input("game-stop", "n_clicks"),
        Input("game-replay", "n_clicks"),
        State("state", "data"),
        State("upload", "filename"),
        State("snapshot-name", "value"),
    )
    def central(slider_vals, num_vals, scenario, upload, _pin, _unpin, _gs, _ga, _gstop, _grep,
                stored, filename, snap_name):
        ids = [i["id"]["py"] for i in ctx.inputs_list[0]]
        trig = ctx.triggered_id
        old = stored
        msg = ""

        def reply(state, figure, message):
            vals = [_tidy(state["levers"].get(py)) for py in ids]
            return state, figure, vals, vals, message, game_status(state)

        try:
            if old is None:
                state = state_from_scenario(model, scenario)
                state = log(state, "run", snapshot=None, model=model, note="session start")
                return reply(state, outcome_figure(model, state), "")
            if trig is None:  # page (re)load within a tab: restore the session
                return reply(old, outcome_figure(model, old), "")
            state = old
            if isinstance(trig, dict):
                py = trig["py"]
                k = ids.index(py)
                value = slider_vals[k] if trig["type"] == "lever" else num_vals[k]
                state, diff = set_levers(model, state, {py: _tidy(value)})
                if not diff:
                    return no_update, no_update, no_update, no_update, "", no_update
                if state.get("game"):
                    return reply(state, no_update, "")
                state = log(state, "run", diff, model=model)
                # only the current series change: send them as a patch (smaller reply, no relayout)
                patch = current_patch(model, state)
                vals = [_tidy(state["levers"].get(q)) for q in ids]
                sl = [no_update] * len(ids) if trig["type"] == "lever" else vals
                nums = [no_update if q != py else vals[i] for i, q in enumerate(ids)] \
                    if trig["type"] == "lever" else vals
                return state, patch, sl, nums, "", game_status(state)
            elif trig == "scenario":
                state = state_from_scenario(model, scenario, previous=old)
                state = log(state, "run", model=model, note="scenario selected")
            elif trig == "upload":
                if not upload:
                    return no_update, no_update, no_update, no_update, "", no_update
                try:
                    raw = base64.b64decode(upload.split(",", 1)[1])
                except Exception:
                    raise WorkshopError(f"{filename}: could not read the uploaded file") from None
                state = state_from_toml(model, raw, filename or "uploaded.toml", previous=old)
                state = log(state, "run", model=model, note=f"uploaded {filename}")
            elif trig == "pin":
                state = pin(model, state, snap_name)
                state = log(state, "snapshot", model=model, snapshot=state["snapshots"][-1]["name"])
                msg = f"Pinned snapshot '{state['snapshots'][-1]['name']}'."
            elif trig == "unpin":
                if not state["snapshots"]:
                    raise WorkshopError("no snapshot to remove")
                name = state["snapshots"][-1]["name"]
                state = log(unpin(state, name), "unpin", model=model, snapshot=name)
            elif trig == "game-start":
                state = log(start_game(model, state), "game-start", model=model)
            elif trig == "game-advance":
                before = state
                state = advance(state)
                g = state["game"]
                dec = g["decisions"][-1] if g["decisions"] and \
                    len(g["decisions"]) > len(before["game"]["decisions"]) else None
                diff = {py: [in_old, v] for py, v in (dec["changes"] if dec else {}).items()
                        for in_old in [_in_effect_value(before, py)]}
                state = log(state, "game-advance", diff, model=model)
            elif trig == "game-stop":
                state = log(stop_game(state), "game-stop", model=model)
            elif trig == "game-replay":
                state = log(restart_replay(state), "game-replay", model=model)
            fig = outcome_figure(model, state)
        except (WorkshopError, AmbidexError) as exc:
            return reply(old, no_update, ERR + str(exc)) if old else (
                no_update, no_update, no_update, no_update, ERR + str(exc), no_update)
        return reply(state, fig, msg)

    @app.callback(
        Output("snapshot-list", "children"),
        Output("compare-graph", "figure"),
        Output("compare-table", "children"),
        Input("state", "data"),
        Input("tabs", "value"),
    )
    def compare_view(state, tab):
        if not state or tab != "compare":
            return no_update, no_update, no_update
        items = [html.Li(f"{s['name']} (pinned {s['time'][11:19]} UTC)") for s in state["snapshots"]]
        if not state["snapshots"]:
            return [html.Li("no snapshots yet")], figures.empty("pin snapshots to compare them"), []
        try:
            pairs = export.session_runs(model, state)
        except AmbidexError as exc:
            return items, figures.empty(str(exc)), []
        labels = [p[0] for p in pairs]
        dss = [p[1] for p in pairs]
        header, rows = figures.final_values_table(dss, labels)
        table = [html.Tr([html.Th(h) for h in header])] + [
            html.Tr([html.Td(c) for c in r]) for r in rows]
        return items, figures.compare(dss, labels), table

    _edges_cache: dict = {}

    @app.callback(
        Output("feedback-graph", "figure"),
        Output("feedback-table", "children"),
        Input("state", "data"),
        Input("tabs", "value"),
        Input("feedback-year", "value"),
    )
    def feedback_view(state, tab, year):
        if not state or tab != "feedback":
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
        top = edges[edges.source != edges.target].reindex(
            edges.strength.abs().sort_values(ascending=False).index).head(15)
        table = [html.Tr([html.Th(c) for c in ("from stock", "to stock", "sign", "strength")])] + [
            html.Tr([html.Td(r.source), html.Td(r.target), html.Td("+" if r.sign > 0 else "−"),
                     html.Td(f"{r.strength:.3g}")]) for r in top.itertuples()]
        return fig.to_plotly_json(), table

    @app.callback(
        Output("decision-table", "children"),
        Output("log-table", "children"),
        Input("state", "data"),
        Input("tabs", "value"),
    )
    def log_view(state, tab):
        if not state or tab != "log":
            return no_update, no_update
        g = state.get("game") or {}
        dec = [html.Tr([html.Th("year"), html.Th("decision")])] + [
            html.Tr([html.Td(f"{d['year']:g}"), html.Td(", ".join(
                f"{model.parameters[k].name} = {v:g}" for k, v in d["changes"].items()))])
            for d in g.get("decisions", [])]
        rows = [html.Tr([html.Th(c) for c in ("time (UTC)", "event", "scenario", "game year",
                                               "lever changes", "snapshot")])]
        for e in state["log"][-200:]:
            ch = ", ".join(f"{k}: {v['from'] if v['from'] is None else format(v['from'], 'g')} → {v['to']:g}"
                           for k, v in e.get("changes", {}).items())
            rows.append(html.Tr([html.Td(e["time"][11:23]), html.Td(e["event"]), html.Td(e["scenario"]),
                                 html.Td(e.get("game_year", "")), html.Td(ch),
                                 html.Td(e.get("snapshot") or "")]))
        return dec, rows

    @app.callback(
        Output("download", "data"),
        Output("message", "children", allow_duplicate=True),
        Input("save-toml", "n_clicks"),
        Input("export-html", "n_clicks"),
        Input("export-csv", "n_clicks"),
        Input("export-nc", "n_clicks"),
        Input("export-log", "n_clicks"),
        State("state", "data"),
        State("save-name", "value"),
        prevent_initial_call=True,
    )
    def download(_t, _h, _c, _n, _l, state, name):
        if not state:
            return no_update, ERR + "nothing to export yet"
        trig = ctx.triggered_id
        stem = f"workshop_{state['scenario']}"
        try:
            if trig == "save-toml":
                text = scenario_toml(model, state, name)
                return dcc.send_string(text, f"{name.strip()}.toml"), f"Saved scenario '{name.strip()}'."
            if trig == "export-html":
                with runs._LOCK:
                    edges = stock_influences(model, scenario_from_dict(_no_horizon(model, state)))
                return dcc.send_string(export.html_report(model, state, edges), f"{stem}.html"), ""
            if trig == "export-csv":
                return dcc.send_string(export.csv_text(model, state), f"{stem}.csv"), ""
            if trig == "export-nc":
                return dcc.send_bytes(export.netcdf_bytes(model, state), f"{stem}.nc"), ""
            if trig == "export-log":
                return dcc.send_string(export.log_json(state), f"{stem}_log.json"), ""
        except (WorkshopError, AmbidexError) as exc:
            return no_update, ERR + str(exc)
        return no_update, no_update

    return levers


def _no_horizon(model, state):
    d = scenario_dict(model, state)
    d.pop("horizon", None)
    return d


def _in_effect_value(state, py):
    from .state import in_effect
    return in_effect(state).get(py)
