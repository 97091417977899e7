"""The tabs whose views are computed on the server from the session state, only while the tab
is open (each gets the state through its ``gate-*`` store): loops, feedback structure, game path
and log, and the facilitator's room."""

from __future__ import annotations

import json

import numpy as np
from dash import Input, Output, html, no_update

from ..core.errors import AmbidexError
from ..core.scenario import scenario_from_dict
from ..structure import stock_influences
from . import figures, guard, room, runs
from .charts import lever_label
from .state import WorkshopError, scenario_dict


def no_horizon(model, state):
    """The state's scenario as a dict, without its horizon (the whole run)."""
    d = scenario_dict(model, state)
    d.pop("horizon", None)
    return d


def register(app, model):
    """The server-side tab views on ``app``."""
    _room(app, model)
    _loops(app, model)
    _feedback(app, model)
    _log(app, model)


def _room(app, model):
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



def _loops(app, model):
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
            scores = loops_view.named_scores(model, no_horizon(model, state))
        except (WorkshopError, AmbidexError) as exc:
            return figures.empty(str(exc)), no_update, []
        if not scores:
            return figures.empty("this model has no named loops file"), no_update, []
        rows = [html.Tr([html.Th("from"), html.Th("to"), html.Th("dominant named loop")])]
        for a, b, lid in loops_view.periods(scores):
            rows.append(html.Tr([html.Td(f"{a:.1f}"), html.Td(f"{b:.1f}"),
                                 html.Td(f"{lid} {scores[lid][0]}")]))
        return (loops_view.diagram(model, scores, float(year)),
                loops_view.scores_figure(scores, float(year)), rows)



def _feedback(app, model):
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
        fig["layout"]["title"] = {"text": f"Feedback structure between stocks at {float(year):g} "
                                          "(green +, red −), measured from the equations"}
        links = edges[(edges.source != edges.target) & edges.strength.notna()]
        links = links[np.isfinite(links.strength.astype(float)) & (links.strength != 0)]
        top = links.reindex(links.strength.abs().sort_values(ascending=False).index).head(15)
        table = [html.Tr([html.Th(c) for c in ("from stock", "to stock", "sign", "strength")])] + [
            html.Tr([html.Td(r.source), html.Td(r.target), html.Td("+" if r.sign > 0 else "−"),
                     html.Td(f"{r.strength:.3g}")]) for r in top.itertuples()]
        return fig, table



def _log(app, model):
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

