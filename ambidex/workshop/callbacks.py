"""Dash callbacks of the workshop page: the central callback (``central.py``) owns the session
state; the key charts, the lever boxes and the snapshot comparison follow it in the browser
(clientside callbacks in live.js, the model running there as generated JavaScript); the other
tabs derive from it on the server while open (``tabs.py``); downloads are made here."""

from __future__ import annotations

import json

from dash import ALL, ClientsideFunction, Input, Output, State, ctx, dcc, no_update

from ..core.errors import AmbidexError
from ..core.scenario import scenario_from_dict
from ..structure import stock_influences
from . import central, export, guard, runs, tabs
from .central import BAD, ERR, OK
from .state import WorkshopError, scenario_toml


def register(app, model):
    """Every callback of the workshop page on ``app``."""
    central.register(app, model)
    _clientside(app)
    tabs.register(app, model)
    _downloads(app, model)


def _clientside(app):
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



def _downloads(app, model):
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
                    edges = stock_influences(model, scenario_from_dict(tabs.no_horizon(model, state)))
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

