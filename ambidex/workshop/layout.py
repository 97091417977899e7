"""The page: key charts (drawn in the browser by the generated model) and levers, with the
facilitation bar (scenario, reset, undo, presenter mode, snapshots, game, session files)."""

from __future__ import annotations

import json

from dash import dcc, html

from ..core.errors import AmbidexError
from ..core.scenario import list_scenarios, load_scenario, validate
from .charts import lever_label, lever_short
from .state import MAX_SNAPSHOTS, lever_groups

INDEX = """<!DOCTYPE html>
<html lang="en">
<head>{%metas%}<title>{%title%}</title>{%favicon%}{%css%}
<style>__CSS__</style></head>
<body>{%app_entry%}
<footer><script src="__SCRIPT__"></script>{%config%}{%scripts%}{%renderer%}</footer>
</body></html>"""

CSS = """
body { font-family: system-ui, sans-serif; font-size: 16px; margin: 0.4rem 0.7rem; color: #222; }
h1 { font-size: 20px; margin: 0 0.8rem 0 0; }
.bar { display: flex; gap: 0.5rem; align-items: center; flex-wrap: wrap; margin: 0.25rem 0; }
.bar button, .lever button, .tabs-bar button { font-size: 15px; padding: 0.15rem 0.55rem; }
.bar input[type=text], .bar input[type=number] { font-size: 15px; width: 11em; }
.bar input.years { width: 3.5em; }
.msg { min-height: 1.3em; font-weight: 600; }
.tabs-compact .tab, #tabs .tab { padding: 4px 10px !important; line-height: 24px; }
.msg.error { color: #b00020; }
.msg.ok { color: #1b6e20; }
.busy { color: #555; font-style: italic; }
.desc { font-size: 15px; color: #333; margin: 0.1rem 0 0.3rem 0; }
.main { display: flex; gap: 0.8rem; align-items: flex-start; }
.views { flex: 1 1 auto; min-width: 0; }
.levers { flex: 0 0 330px; max-height: calc(100vh - 170px); overflow-y: auto; }
.levers .group-title { font-size: 15px; font-weight: 700; color: #1f3f7f; margin: 0.4rem 0 0.1rem 0; }
.lever { margin: 0.15rem 0 0.45rem 0; }
.lever label { font-size: 14px; font-weight: 600; display: block; }
.lever .doc { font-size: 14px; color: #555; }
.lever .row { display: flex; align-items: center; gap: 0.3rem; }
.lever .row > .lever-slider { flex: 1 1 auto; min-width: 0; }
.lever .dash-input-container.lever-num { flex: 0 0 7.5em; width: 7.5em; }
.lever input[type=number] { font-size: 14px; }
.bar .dash-input-container { flex: none; width: 12em; }
.bar .dash-input-container.years { width: 6.5em; }
.bar .dash-dropdown, .bar #scenario { flex: none; }
.cards { display: flex; flex-wrap: wrap; gap: 0.6rem; margin: 0.4rem 0; }
.card { border: 1px solid #ccd; border-radius: 6px; padding: 0.4rem 0.6rem; min-width: 230px; font-size: 15px; }
.card h4 { margin: 0 0 0.2rem 0; font-size: 15px; }
.card .up { color: #1b6e20; } .card .down { color: #b00020; }
.score { font-size: 15px; margin: 0.2rem 0; }
.score .met { color: #1b6e20; font-weight: 600; } .score .missed { color: #b00020; font-weight: 600; }
table { border-collapse: collapse; font-size: 14px; } td, th { border-bottom: 1px solid #ddd; padding: 0.15rem 0.5rem; text-align: left; }
.loop-dominant { background: #fff3bf; font-weight: 700; }
/* presenter mode: charts 4 x 2, levers in four columns below, no scrolling on 1280 x 720 */
body.presenter .desc, body.presenter .lever .doc, body.presenter .hide-presenter { display: none; }
body.presenter .main { flex-direction: column; gap: 0.1rem; }
body.presenter .views, body.presenter .levers { width: 100%; }
body.presenter .ax-charts { grid-template-columns: repeat(4, minmax(0, 1fr)); gap: 0.1rem 0.5rem; }
body.presenter .ax-plot { height: calc((100vh - 445px) / 2); min-height: 120px; }
body.presenter .ax-chart h3 { white-space: nowrap; margin: 0; }
body.presenter .ax-legend { white-space: nowrap; height: 18px; }
body.presenter .levers { flex: none; max-height: none; overflow: visible; }
body.presenter .levers .group { display: contents; }
body.presenter .levers .group-title { display: none; }
body.presenter .dash-slider-container { padding-top: 2px; padding-bottom: 2px; }
body.presenter #levers-grid { display: grid; grid-template-columns: repeat(5, minmax(0, 1fr)); gap: 0 0.8rem; }
body.presenter .lever button { display: none; }
body.presenter .lever .dash-input-container.lever-num { flex: 0 0 4.2em; width: 4.2em; height: 26px; }
body.presenter .lever { margin: 0; }
body.presenter .lever label { white-space: nowrap; }
.lever .short { display: none; }
body.presenter .lever .long { display: none; }
body.presenter .lever .short { display: inline; }
body.presenter .rc-slider { margin: 2px 0; }
"""


def lever_control(model, spec: dict):
    py = spec["py"]
    label = lever_label(model, py)
    return html.Div([
        html.Label([html.Span(label, className="long"), html.Span(lever_short(model, py), className="short")],
                   htmlFor=json.dumps({"py": py, "type": "lever-num"}, separators=(",", ":")),
                   id=f"label-{py}", title=label),
        html.Div([
            dcc.Slider(id={"type": "lever", "py": py}, min=spec["lower"], max=spec["upper"],
                       step=spec["step"], value=spec["default"], marks=None,
                       allow_direct_input=False, updatemode="mouseup", className="lever-slider",
                       tooltip={"placement": "bottom", "always_visible": False}),
            dcc.Input(id={"type": "lever-num", "py": py}, type="number", value=spec["default"],
                      debounce=True, step="any", className="lever-num", name=py),
            html.Button("↺", id={"type": "lever-reset", "py": py}, title=f"reset {label}",
                        **{"aria-label": f"reset {label}"}),
        ], className="row"),
        html.Div(f"{spec['doc']} Range {spec['lower']:g} to {spec['upper']:g}.", className="doc"),
    ], className="lever", **{"data-py": py})


def lever_panel(model):
    groups = []
    for title, specs in lever_groups(model).items():
        groups.append(html.Div([html.H2(title, className="group-title")]
                               + [lever_control(model, s) for s in specs], className="group"))
    return html.Div(html.Div(groups, id="levers-grid"), id="levers", className="levers",
                    role="region", **{"aria-label": "Levers"})


def scenario_options(model=None):
    """The scenario files that fit ``model`` (the parameters they set are its own; all files
    when None); when none does, one entry that starts from the model's own values."""
    opts = [{"label": p.stem, "value": str(p)} for p in list_scenarios()
            if model is None or _fits(model, p)]
    return opts or [{"label": "model defaults", "value": ""}]


def _fits(model, path) -> bool:
    try:
        validate(load_scenario(path), model)
    except AmbidexError:
        return False
    return True


def _describe(path) -> str:
    try:
        sc = load_scenario(path)
    except Exception:  # pragma: no cover - a broken file shows no description
        return ""
    return f"{sc.description or sc.name} (source: {sc.source})"


def _game_bar(t0, t1):
    """The game controls: start, next year, advance N years, play to end, replay, end."""
    return html.Div([
        html.B("Game:"),
        html.Button("Start game", id="game-start"),
        html.Button("Next year", id="game-advance"),
        html.Label("Advance", htmlFor="game-years"),
        dcc.Input(id="game-years", type="number", value=5, min=1, max=int(t1 - t0), step=1,
                  className="years"),
        html.Button("years", id="game-advance-n", **{"aria-label": "advance that many years"}),
        html.Button("Play to end", id="game-end"),
        html.Button("Replay path", id="game-replay"),
        html.Button("End game", id="game-stop"),
        html.Span("off", id="game-status", role="status"),
    ], className="bar")


def _tabs(t0, t1):
    """The views: key outcomes, snapshots, loops, feedback structure, room, game log."""
    return dcc.Tabs(id="tabs", value="outcomes", className="tabs-compact", children=[
        dcc.Tab(label="Key outcomes", value="outcomes", children=[
            html.Div(id="live-charts", className="ax-charts"),
        ]),
        dcc.Tab(label="Compare snapshots", value="compare", children=[
            html.Div([
                html.Label("Snapshot name", htmlFor="snapshot-name"),
                dcc.Input(id="snapshot-name", type="text", placeholder="e.g. say no more"),
                html.Button("Pin current run", id="pin"),
                html.Button("Remove last snapshot", id="unpin"),
                html.Span(f"up to {MAX_SNAPSHOTS}", className="desc"),
            ], className="bar"),
            html.Div(id="diff-cards", className="cards"),
            html.Div(id="compare-charts", className="ax-charts"),
        ]),
        dcc.Tab(label="Loops", value="loops", children=[
            html.Div([html.Label("Dominant loop at year", htmlFor="loops-year"),
                      dcc.Input(id="loops-year", type="number", debounce=True,
                                value=t0 + 5, min=t0, max=t1, step=1),
                      html.Span("", id="loops-busy", className="busy", role="status")],
                     className="bar"),
            dcc.Graph(id="loops-diagram", config={"displaylogo": False},
                      figure={"data": [], "layout": {"height": 300}}),
            html.Table(id="loops-periods"),
            dcc.Graph(id="loops-scores", config={"displaylogo": False},
                      figure={"data": [], "layout": {"height": 300}}),
        ]),
        dcc.Tab(label="Feedback structure", value="feedback", children=[
            html.Div([html.Label("State at year", htmlFor="feedback-year"),
                      dcc.Input(id="feedback-year", type="number", debounce=True,
                                value=t0, min=t0, max=t1, step=1)], className="bar"),
            dcc.Graph(id="feedback-graph", config={"displaylogo": False},
                      figure={"data": [], "layout": {"height": 300}}),
            html.Table(id="feedback-table"),
        ]),
        dcc.Tab(label="Room", value="room", children=[
            html.Div([
                dcc.Checklist(id="room-optin", options=[
                    {"label": " Share my latest run with the facilitator", "value": "on"}],
                    value=[]),
                html.Label("Team name", htmlFor="room-team"),
                dcc.Input(id="room-team", type="text", placeholder="e.g. Team A"),
            ], className="bar"),
            html.P("The facilitator's view: the latest run of each team that chose to "
                   "share it (nobody else is listed).", className="desc"),
            html.Table(id="room-table"),
            dcc.Interval(id="room-tick", interval=5000, disabled=True),
        ]),
        dcc.Tab(label="Game path and log", value="log", children=[
            html.H4("Decision path (game mode)"),
            html.Table(id="decision-table"),
            html.H4("Provenance log (latest runs)"),
            html.Table(id="log-table"),
        ]),
    ])


def _save_bar():
    """Saving and opening: scenario TOML, session file, reports, share link."""
    return html.Div([
        html.B("Save:"),
        html.Label("Scenario name", htmlFor="save-name"),
        dcc.Input(id="save-name", type="text", placeholder="new scenario name"),
        html.Button("Levers as scenario TOML", id="save-toml"),
        html.Button("Session file", id="save-session"),
        dcc.Upload(id="session-upload", children=html.Button("Open session file"),
                   accept=".json", max_size=2_000_000),
        dcc.Upload(id="upload", children=html.Button("Upload scenario TOML"),
                   accept=".toml", max_size=200_000),
        html.Button("HTML report", id="export-html"),
        html.Button("CSV", id="export-csv"),
        html.Button("netCDF", id="export-nc"),
        html.Button("Log (JSON)", id="export-log"),
        html.Button("Copy share link", id="share"),
        html.Label("Share link", htmlFor="share-link"),
        dcc.Input(id="share-link", type="text", readOnly=True, style={"width": "18em"}),
    ], className="bar hide-presenter")


def build(model, default_scenario: str | None = None):
    opts = scenario_options(model)
    from ..core.profile import load_profile

    default = load_profile(model).default_scenario  # from the model's NAME.profile.toml
    value = default_scenario or next((o["value"] for o in opts if o["label"] == default),
                                     opts[0]["value"] if opts else None)
    t0, t1 = model.control["initial_time"], model.control["final_time"]
    return html.Div([
        dcc.Store(id="state", storage_type="session"),
        dcc.Store(id="gate-loops"), dcc.Store(id="gate-feedback"), dcc.Store(id="gate-log"),
        dcc.Store(id="gate-room"),
        dcc.Store(id="lever-commit"),
        dcc.Location(id="url", refresh=False),
        dcc.Download(id="download"),
        html.Div([
            html.H1("ambidex strategy workshop"),
            html.Label("Scenario", htmlFor="scenario"),
            dcc.Dropdown(id="scenario", options=opts, value=value, clearable=False,
                         style={"width": "220px"}),
            html.Button("Reset levers", id="reset"),
            html.Button("Undo", id="undo"),
            html.Button("Presenter mode", id="presenter-toggle", **{"aria-pressed": "false"}),
            html.Span("solid: your levers · dashed: the scenario unchanged", className="desc"),
        ], className="bar"),
        html.P(_describe(value) if value else "", id="scenario-source", className="desc"),
        _game_bar(t0, t1),

        html.Div(id="game-score", className="score"),
        html.Div("", id="message", role="status", className="msg"),
        html.Div([
            html.Div([
                _tabs(t0, t1),
                _save_bar(),

            ], className="views"),
            lever_panel(model),
        ], className="main"),
        html.Div(id="state-info", style={"display": "none"}),
        html.Div(id="compare-info", style={"display": "none"}),
    ])
