"""The page: levers on the left (grouped as the seeds group them), views on the right."""

from __future__ import annotations

from dash import dcc, html

from ..scenario import list_scenarios, load_scenario
from .figures import empty
from .state import MAX_SNAPSHOTS, lever_groups

CSS = {
    "page": {"fontFamily": "system-ui, sans-serif", "margin": "0.6em", "fontSize": "14px"},
    "row": {"display": "flex", "gap": "1em", "alignItems": "flex-start"},
    "left": {"width": "360px", "flex": "0 0 360px", "maxHeight": "calc(100vh - 150px)",
             "overflowY": "auto"},
    "right": {"flex": "1 1 auto", "minWidth": 0},
    "lever": {"margin": "0.35em 0 0.6em 0"},
    "doc": {"fontSize": "11px", "color": "#555"},
    "bar": {"display": "flex", "gap": "0.6em", "alignItems": "center", "flexWrap": "wrap",
            "margin": "0.3em 0"},
    "msg": {"color": "#b00020", "fontWeight": "bold", "minHeight": "1.2em"},
}


def lever_control(spec: dict):
    py = spec["py"]
    return html.Div([
        html.Label([html.B(spec["name"]), f" ({spec['units']}, {spec['lower']:g} to {spec['upper']:g})"],
                   htmlFor=f"num-{py}"),
        html.Div([
            html.Div(dcc.Slider(id={"type": "lever", "py": py}, min=spec["lower"], max=spec["upper"],
                                step=spec["step"], value=spec["default"], marks=None,
                                allow_direct_input=False, updatemode="mouseup",
                                tooltip={"placement": "bottom", "always_visible": False}),
                     style={"flex": "1 1 auto"}),
            dcc.Input(id={"type": "lever-num", "py": py}, type="number", value=spec["default"],
                      debounce=True, step="any", style={"width": "6.5em"},
                      className="lever-num", name=py),
        ], style={"display": "flex", "alignItems": "center", "gap": "0.3em"}),
        html.Div(spec["doc"], style=CSS["doc"]),
    ], style=CSS["lever"], className="lever", **{"data-py": py})


def lever_panel(model):
    groups = []
    for title, specs in lever_groups(model).items():
        groups.append(html.Details([html.Summary(html.B(title))] + [lever_control(s) for s in specs],
                                   open=True))
    return html.Div(groups, id="levers", style=CSS["left"])


def scenario_options():
    opts = []
    for p in list_scenarios():
        try:
            opts.append({"label": p.stem, "value": str(p)})
        except Exception:  # pragma: no cover
            continue
    return opts


def build(model, default_scenario: str | None = None):
    opts = scenario_options()
    from ..core.profile import load_profile

    default = load_profile(model).default_scenario  # from the model's NAME.profile.toml
    value = default_scenario or next((o["value"] for o in opts if o["label"] == default),
                                     opts[0]["value"] if opts else None)
    src = ""
    if value:
        try:
            src = load_scenario(value).source
        except Exception:  # pragma: no cover
            src = ""
    return html.Div([
        dcc.Store(id="state", storage_type="session"),
        dcc.Download(id="download"),
        html.H2("ambidex strategy workshop", style={"margin": "0.2em 0"}),
        html.Div([
            html.Label("Start from scenario", htmlFor="scenario"),
            dcc.Dropdown(id="scenario", options=opts, value=value, clearable=False,
                         style={"width": "240px"}),
            dcc.Upload(id="upload", children=html.Button("Upload scenario TOML"), multiple=False,
                       accept=".toml"),
            html.Span(src, id="scenario-source", style=CSS["doc"]),
        ], style=CSS["bar"]),
        html.Div([
            html.B("Game mode:"),
            html.Button("Start game", id="game-start"),
            html.Button("Advance one year", id="game-advance"),
            html.Button("End game", id="game-stop"),
            html.Span("off", id="game-status"),
        ], style=CSS["bar"]),
        html.Div([
            html.B("Snapshots:"),
            dcc.Input(id="snapshot-name", type="text", placeholder="snapshot name", debounce=False),
            html.Button("Pin current run", id="pin"),
            html.Button("Remove last snapshot", id="unpin"),
            html.Span(f"(up to {MAX_SNAPSHOTS}; compare them in the 'Compare snapshots' tab)",
                      style=CSS["doc"]),
        ], style=CSS["bar"]),
        html.Div("", id="message", role="alert", style=CSS["msg"]),
        html.Div([
            lever_panel(model),
            html.Div([
                dcc.Tabs(id="tabs", value="outcomes", children=[
                    dcc.Tab(label="Key outcomes", value="outcomes", children=[
                        dcc.Graph(id="outcomes-graph", figure=empty("loading ..."),
                                  config={"displaylogo": False}),
                    ]),
                    dcc.Tab(label="Compare snapshots", value="compare", children=[
                        html.Ul(id="snapshot-list"),
                        dcc.Graph(id="compare-graph", figure=empty("pin snapshots to compare them"),
                                  config={"displaylogo": False}),
                        html.Table(id="compare-table"),
                    ]),
                    dcc.Tab(label="Feedback structure", value="feedback", children=[
                        html.Div([html.Label("State at year", htmlFor="feedback-year"),
                                  dcc.Input(id="feedback-year", type="number", debounce=True,
                                            value=model.control["initial_time"],
                                            min=model.control["initial_time"],
                                            max=model.control["final_time"], step=1)],
                                 style=CSS["bar"]),
                        dcc.Graph(id="feedback-graph", figure=empty("open this tab to measure the loops"),
                                  config={"displaylogo": False}),
                        html.Table(id="feedback-table"),
                    ]),
                    dcc.Tab(label="Game path and log", value="log", children=[
                        html.H4("Decision path (game mode)"),
                        html.Table(id="decision-table"),
                        html.Div([html.Button("Replay path", id="game-replay"),
                                  html.Span("Replays the recorded decisions as a fresh run.",
                                            style=CSS["doc"])], style=CSS["bar"]),
                        html.H4("Provenance log (every run)"),
                        html.Table(id="log-table"),
                    ]),
                ]),
                html.Div([
                    html.B("Export:"),
                    dcc.Input(id="save-name", type="text", placeholder="new scenario name"),
                    html.Button("Save levers as scenario TOML", id="save-toml"),
                    html.Button("HTML report", id="export-html"),
                    html.Button("CSV", id="export-csv"),
                    html.Button("netCDF", id="export-nc"),
                    html.Button("Log (JSON)", id="export-log"),
                ], style=CSS["bar"]),
            ], style=CSS["right"]),
        ], style=CSS["row"]),
    ], style=CSS["page"])
