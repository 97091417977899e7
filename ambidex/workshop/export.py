"""Exports of a workshop session: the comparison as a self-contained HTML report (the same plotly
figures), results as CSV and netCDF, each carrying the provenance log of the session."""

from __future__ import annotations

import html
import io
import json
import os
import tempfile

import plotly.graph_objects as go
import plotly.io as pio

from ..report import build_report, structure_figure
from . import figures, runs
from .state import baseline_dict, scenario_dict


def session_runs(model, state: dict, variables=runs.VIEW_VARIABLES):
    """[(label, dataset)] for the baseline, the current levers and every snapshot."""
    out = [("baseline", runs.run(model, baseline_dict(model, state), variables))]
    g = state.get("game")
    if g is None or g["year"] > g["t0"]:
        out.append(("current", runs.run(model, scenario_dict(model, state), variables)))
    for snap in state["snapshots"]:
        out.append((snap["name"], runs.run(model, snap["scenario"], variables)))
    return out


def _renamed(pairs):
    return [ds.assign_coords(scenario=[label]) for label, ds in pairs]


def results_dataset(model, state: dict, variables=None):
    """Every run of the session in one Dataset (dims scenario, time), log in the attributes."""
    ds = runs.combine(_renamed(session_runs(model, state, variables)))
    ds.attrs["workshop_log"] = json.dumps(state["log"])
    ds.attrs["workshop_scenarios"] = json.dumps(
        {"current": scenario_dict(model, state),
         **{s["name"]: s["scenario"] for s in state["snapshots"]}}, sort_keys=True)
    return ds


def csv_text(model, state: dict) -> str:
    """Key outcomes of every run, long format: scenario, time, one column per variable."""
    ds = results_dataset(model, state, runs.VIEW_VARIABLES)
    df = ds.drop_vars([c for c in ("scenario_source", "scenario_file") if c in ds.coords]) \
        .to_dataframe().reset_index()
    return df.to_csv(index=False)


def netcdf_bytes(model, state: dict) -> bytes:
    """Every variable of every run as netCDF (h5netcdf), provenance and log in the attributes."""
    ds = results_dataset(model, state, None)
    fd, tmp = tempfile.mkstemp(suffix=".nc")
    os.close(fd)
    try:
        ds.to_netcdf(tmp, engine="h5netcdf")
        with open(tmp, "rb") as fh:
            return fh.read()
    finally:
        os.unlink(tmp)


def log_table_html(log: list[dict]) -> str:
    rows = []
    for e in log:
        ch = ", ".join(f"{k}: {v['from']:g} → {v['to']:g}" if isinstance(v.get("from"), (int, float))
                       else f"{k}: → {v['to']:g}" for k, v in e.get("changes", {}).items())
        rows.append("<tr>" + "".join(f"<td>{html.escape(str(x))}</td>" for x in (
            e["time"], e["event"], e["scenario"], e.get("game_year", ""), ch, e.get("snapshot") or ""))
            + "</tr>")
    return ("<h2>Workshop provenance log</h2><table><tr><th>time (UTC)</th><th>event</th>"
            "<th>scenario</th><th>game year</th><th>lever changes</th><th>snapshot</th></tr>"
            + "".join(rows) + "</table>")


def html_report(model, state: dict, edges=None) -> str:
    """The comparison (baseline, current, snapshots) as a self-contained HTML report."""
    pairs = session_runs(model, state)
    labels = [p[0] for p in pairs]
    dss = [p[1] for p in pairs]
    cmp = go.Figure(figures.compare(dss, labels, title="Workshop comparison: key outcomes"))
    extra = [cmp]
    if edges is not None and len(edges):
        extra.append(structure_figure(edges, model))
    ds = runs.combine(_renamed(pairs))
    text = build_report(ds, model, title=f"ambidex workshop: {state['scenario']}",
                        extra_figures=extra)
    scen = html.escape(json.dumps({"current": scenario_dict(model, state),
                                   **{s["name"]: s["scenario"] for s in state["snapshots"]}},
                                  indent=1))
    tail = (log_table_html(state["log"]) + f"<h2>Scenarios of this session</h2><pre>{scen}</pre>")
    return text.replace("</body>", tail + "</body>", 1)


def figure_html(fig: dict) -> str:
    return pio.to_html(go.Figure(fig), full_html=True, include_plotlyjs=True)


def log_json(state: dict) -> str:
    return json.dumps(state["log"], indent=1)


__all__ = ["csv_text", "html_report", "io", "log_json", "netcdf_bytes", "results_dataset",
           "session_runs"]
