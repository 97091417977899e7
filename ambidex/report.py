"""The HTML report: plotly figures of a results Dataset in one self-contained file.

Opens offline: plotly.js is inlined once.  Figures: key outcomes per scenario, revenue by
business model, exploration vs exploitation and ambidexterity, trust and proximity, the three
risk indicators, every stock, and the stock-to-stock feedback structure linking the
collaboration-based and market-based models.
"""

from __future__ import annotations

import html
import json

import plotly.graph_objects as go
import plotly.io as pio
from plotly.colors import qualitative
from plotly.subplots import make_subplots

from .core.profile import dataset_profile, load_profile

# The key outcomes and the sectors' layout come from the model's profile (NAME.profile.toml,
# see ambidex.core.profile; without one, every stock).  The figures below that name the dual
# model's variables are left out for a model that lacks them.
RISKS = [("myopia_index", "Myopia"), ("fragmentation_index", "Fragmentation"),
         ("polarization_index", "Polarization")]
REVENUE_PARTS = [("exclusive_revenue", "exclusive, at reservation price"),
                 ("co_created_market_revenue", "co-created, at market price"),
                 ("legacy_market_revenue", "in-house, at market price")]


def _colors(scenarios):
    pal = qualitative.Plotly + qualitative.D3
    return {s: pal[i % len(pal)] for i, s in enumerate(scenarios)}


def _title(ds, py):
    return ds[py].attrs.get("long_name", py)


def grid_figure(ds, items, title, cols=3):
    """One subplot per (variable, scale, unit) item, one line per scenario (None: no item in
    ``ds``)."""
    items = [it for it in items if it[0] in ds]
    if not items:
        return None
    rows = (len(items) + cols - 1) // cols
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=[
        f"{_title(ds, py)} ({unit})" for py, _, unit in items])
    colors = _colors(ds.scenario.values)
    for k, (py, scale, unit) in enumerate(items):
        r, c = k // cols + 1, k % cols + 1
        for s in ds.scenario.values:
            fig.add_trace(go.Scatter(
                x=ds.time.values, y=ds[py].sel(scenario=s).values * scale, name=str(s),
                legendgroup=str(s), showlegend=(k == 0), line={"color": colors[s]},
                hovertemplate=f"{s}<br>t=%{{x}}<br>%{{y:.4g}} {unit}<extra></extra>"), row=r, col=c)
    fig.update_layout(title=title, height=280 * rows, hovermode="closest")
    return fig


def revenue_figure(ds, cols=3):
    """Stacked revenue by business model, one subplot per scenario (None: no such variables)."""
    if not any(py in ds for py, _ in REVENUE_PARTS):
        return None
    scen = list(ds.scenario.values)
    rows = (len(scen) + cols - 1) // cols
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=[str(s) for s in scen],
                        shared_yaxes=True)
    pal = ["#d62728", "#ff7f0e", "#1f77b4"]
    for k, s in enumerate(scen):
        r, c = k // cols + 1, k % cols + 1
        for (py, label), color in zip(REVENUE_PARTS, pal):
            if py not in ds:
                continue
            fig.add_trace(go.Scatter(
                x=ds.time.values, y=ds[py].sel(scenario=s).values / 1e6, name=label,
                legendgroup=label, showlegend=(k == 0), stackgroup=f"s{k}",
                line={"color": color}), row=r, col=c)
    fig.update_layout(title="Revenue by business model (EUR M/year): collaboration-based "
                            "(reservation price) and market-based (market price)",
                      height=260 * rows)
    return fig


def risk_figure(ds):
    return grid_figure(ds, [(py, 1, "0-1") for py, _ in RISKS],
                       "Transition risks (seed 001 section 3): myopia, fragmentation, polarization")


def stocks_figure(ds, model):
    items = [(s.py_name, 1, model.variables[s.py_name].units) for s in model.stocks]
    return grid_figure(ds, items, "Every stock of the model", cols=4)


def structure_figure(edges, model):
    """Stock-to-stock influence graph: collaboration-based left, market-based right.

    Stocks that feed back into no other stock (pure accumulators such as cumulative profit)
    are left out: they close no loop.
    """
    edges = edges[edges.source != edges.target]
    feeding = set(edges.source)
    edges = edges[edges.target.isin(feeding)]
    SECTOR_X = load_profile(model).sectors
    by_sector: dict[str, list] = {}
    for s in model.stocks:
        if s.name in feeding:
            by_sector.setdefault(model.variables[s.py_name].sector, []).append(s.name)
    pos = {}
    for sector, names in by_sector.items():
        x = SECTOR_X.get(sector, 0.5)
        for i, n in enumerate(names):
            pos[n] = (x + 0.05 * (i % 2), 1 - (i + 0.5) / max(len(names), 1))
    fig = go.Figure()
    strength = edges.strength.abs()
    top = strength.max() if len(strength) else 1.0
    for _, e in edges.iterrows():
        if e.source not in pos or e.target not in pos:
            continue
        (x0, y0), (x1, y1) = pos[e.source], pos[e.target]
        width = 0.8 + 3.0 * (abs(e.strength) / top) ** 0.25
        fig.add_annotation(x=x1, y=y1, ax=x0, ay=y0, xref="x", yref="y", axref="x", ayref="y",
                           showarrow=True, arrowhead=2, arrowsize=1, arrowwidth=width,
                           standoff=8, startstandoff=8,
                           arrowcolor="#2ca02c" if e.sign > 0 else "#d62728", opacity=0.55,
                           hovertext=f"{e.source} → {e.target} ({'+' if e.sign > 0 else '−'})")
    fig.add_trace(go.Scatter(
        x=[p[0] for p in pos.values()], y=[p[1] for p in pos.values()], mode="markers+text",
        text=list(pos), textposition="top center", marker={"size": 14, "color": "#444"},
        hovertext=[model.variables[model.resolve(n)].sector for n in pos], showlegend=False))
    for sector in by_sector:
        fig.add_annotation(x=SECTOR_X.get(sector, 0.5), y=1.08, text=f"<b>{sector}</b>",
                           showarrow=False, xref="x", yref="y", font={"size": 11})
    fig.update_layout(
        title="Feedback structure between stocks (green +, red −; width = strength), measured "
              "from the equations: collaboration-based model left, IMT centre, market-based right",
        xaxis={"visible": False, "range": [-0.15, 1.15]}, yaxis={"visible": False, "range": [-0.05, 1.15]},
        height=700)
    return fig


def difference_figure(ds, a: str, b: str):
    """Key outcomes of scenario ``b`` minus scenario ``a`` over time."""
    items = [it for it in dataset_profile(ds)["report"] if it[0] in ds]
    if not items:
        return None
    cols = 3
    rows = (len(items) + cols - 1) // cols
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=[
        f"Δ {_title(ds, py)} ({unit})" for py, _, unit in items])
    common = ds.sel(scenario=[a, b]).dropna("time", how="any")
    for k, (py, scale, _unit) in enumerate(items):
        diff = (common[py].sel(scenario=b) - common[py].sel(scenario=a)) * scale
        fig.add_trace(go.Scatter(x=common.time.values, y=diff.values, name=f"{b} − {a}",
                                 showlegend=(k == 0), line={"color": "#9467bd"}),
                      row=k // cols + 1, col=k % cols + 1)
    fig.update_layout(title=f"Difference: {b} − {a}", height=280 * rows)
    return fig


def build_report(ds, model, edges=None, title="ambidex scenario report", extra_figures=()) -> str:
    """Self-contained HTML for a results Dataset (dims scenario, time)."""
    figs = [
        grid_figure(ds, list(load_profile(model).report), "Key outcomes"),
        revenue_figure(ds),
        grid_figure(ds, [("exploration_share", 1, "share"), ("exploitation_share", 1, "share"),
                         ("ambidexterity_balance", 1, "0-1"), ("ambidexterity_combined", 1, "0-1")],
                    "Exploration vs exploitation and ambidexterity (He and Wong 2004)", cols=2),
        grid_figure(ds, [("relationship_trust", 1, "0-1"), ("cognitive_proximity", 1, "0-1"),
                         ("novelty_multiplier", 1, "0-1")], "Trust and proximity"),
        risk_figure(ds),
        stocks_figure(ds, model),
    ]
    if edges is not None and len(edges):
        figs.append(structure_figure(edges, model))
    figs = [f for f in list(extra_figures) + figs if f is not None]
    parts = []
    for i, fig in enumerate(figs):
        parts.append(pio.to_html(fig, full_html=False, include_plotlyjs=(i == 0),
                                 config={"displaylogo": False}))
    rows = "".join(
        f"<tr><td>{html.escape(str(s))}</td><td>{html.escape(str(src))}</td></tr>"
        for s, src in zip(ds.scenario.values, ds.scenario_source.values))
    def _plain(v):
        try:
            return json.loads(v) if isinstance(v, str) and v[:1] in "[{" else v
        except ValueError:
            return v

    prov = html.escape(json.dumps({k: _plain(ds.attrs[k]) for k in (
        "model_path", "model_sha256", "backend", "solver", "versions", "created_utc") if k in ds.attrs},
        indent=1))
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;margin:1.5em}} td{{padding:2px 8px;vertical-align:top}}
pre{{background:#f4f4f4;padding:8px;white-space:pre-wrap}}</style></head>
<body><h1>{html.escape(title)}</h1>
<h2>Scenarios</h2><table><tr><th>scenario</th><th>seed passage it represents</th></tr>{rows}</table>
{''.join(parts)}
<h2>Provenance</h2><pre>{prov}</pre>
</body></html>
"""
