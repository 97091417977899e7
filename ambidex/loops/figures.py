"""Plotly figures of the feedback structure and of loop dominance.

* :func:`cld_figure` — the causal-loop diagram: variables placed by sector (collaboration-based
  business model left, market-based right, the boundary element (IMT) between them, the
  shared sectors below), links coloured by measured polarity, and a dropdown that highlights
  one loop at a time (the named loops, else the strongest ones);
* :func:`relative_scores_figure` — relative loop scores over time, stacked (reinforcing
  above zero, balancing below);
* :func:`dominance_bands_figure` — across an ensemble: median and quantile band of each
  loop's relative score, and the share of samples in which it dominates.
"""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

POLARITY_COLOUR = {"+": "#1b7837", "−": "#c2185b", "±": "#f39c12", "0": "#9e9e9e"}
STOCK_COLOUR, OTHER_COLOUR = "#2c3e50", "#7f8c8d"
LOOP_COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b",
                "#e377c2", "#bcbd22", "#7f7f7f"]

#: sector -> (x centre, y centre, width, height) of its box in the diagram
SECTOR_BOXES = {
    "Collaboration based business model": (-3.5, 1.0, 2.0, 2.6),
    "Knowledge": (-1.5, 1.9, 1.0, 1.4),
    "Boundary element": (0.0, 0.6, 1.1, 2.4),
    "Products": (1.5, 1.9, 1.0, 1.4),
    "Market based business model": (3.5, 1.0, 2.0, 2.6),
    "Revenue": (1.6, -2.2, 1.8, 1.2),
    "Finance": (-1.0, -2.2, 2.0, 1.2),
    "Measures": (-3.4, -2.2, 1.2, 1.0),
}


def layout(g: nx.DiGraph, seed: int = 7) -> dict:
    """Positions: each sector's variables spring-laid inside the sector's box (unknown
    sectors share a box below); a model without sectors gets one spring layout."""
    sectors: dict[str, list] = {}
    for n, d in g.nodes(data=True):
        sectors.setdefault(d.get("sector", "") or "", []).append(n)
    if set(sectors) == {""}:
        return nx.spring_layout(g, seed=seed)
    pos = {}
    extra = [s for s in sectors if s not in SECTOR_BOXES]
    for i, s in enumerate(sorted(sectors, key=str)):
        box = SECTOR_BOXES.get(s) or (-3 + 1.6 * extra.index(s), -3.6, 1.4, 0.8)
        nodes = sorted(sectors[s])
        sub = g.subgraph(nodes).to_undirected()
        p = nx.spring_layout(sub, seed=seed + i) if len(nodes) > 1 else {nodes[0]: np.zeros(2)}
        arr = np.array([p[n] for n in nodes], dtype=float).reshape(len(nodes), 2)
        span = np.ptp(arr, axis=0)
        span[span == 0] = 1.0
        arr = (arr - arr.min(axis=0)) / span - 0.5
        cx, cy, w, h = box
        for n, (x, y) in zip(nodes, arr):
            pos[n] = np.array([cx + x * w, cy + y * h])
    return pos


def _edge_path(p0, p1, shrink=0.06):
    v = p1 - p0
    L = math.hypot(*v) or 1.0
    a = p0 + v * (shrink / L)
    b = p1 - v * (shrink / L)
    return a, b


def _wrap_title(lp, g, width: int = 150) -> str:
    words, lines, cur = lp.chain(g).split(" "), [], ""
    for w in words:
        if len(cur) + len(w) + 1 > width:
            lines.append(cur)
            cur = ""
        cur = f"{cur} {w}".strip()
    lines.append(cur)
    return f"{lp.label} ({lp.polarity})<br><sup>" + "<br>".join(lines) + "</sup>"


def cld_figure(st, loops=None, only_loop_variables: bool = True, max_dropdown: int = 30,
               title: str | None = None) -> go.Figure:
    """The causal-loop diagram of ``st`` (a :class:`~ambidex.loops.ltm.Structure`).

    ``loops``: the loops offered in the highlight dropdown (default: the named ones, else the
    shortest ``max_dropdown``); ``only_loop_variables``: draw only variables on some loop.
    """
    g = st.graph
    if only_loop_variables:
        from .graph import loop_subgraph
        g = loop_subgraph(g) if loop_subgraph(g).number_of_nodes() else g
    pos = layout(g)
    traces = _link_traces(g, pos)
    n_base = len(traces)
    if loops is None:
        named = [lp for lp in st.loops if lp.named_id]
        loops = sorted(named, key=lambda lp: lp.named_id) if named else list(st.loops)[:max_dropdown]
    for k, lp in enumerate(loops):
        xs, ys, sizes = [], [], []
        for x, z in lp.edges:
            if x not in pos or z not in pos:
                continue
            a, b = _edge_path(pos[x], pos[z])
            xs += [a[0], b[0], None]
            ys += [a[1], b[1], None]
            sizes += [0, 14, 0]
        traces.append(go.Scatter(
            x=xs, y=ys, mode="lines+markers", visible=False, hoverinfo="skip",
            name=f"{lp.label} ({lp.polarity})",
            line=dict(color=LOOP_COLOURS[k % len(LOOP_COLOURS)], width=4),
            marker=dict(symbol="arrow", size=sizes, angleref="previous",
                        color=LOOP_COLOURS[k % len(LOOP_COLOURS)])))
    fig = go.Figure(traces)
    buttons = [dict(label="all links", method="update",
                    args=[{"visible": [True] * n_base + [False] * len(loops)},
                          {"title.text": title or f"Causal-loop diagram of {st.model.name}"}])]
    for k, lp in enumerate(loops):
        vis = [True] * n_base + [j == k for j in range(len(loops))]
        buttons.append(dict(label=f"{lp.label} ({lp.polarity})"[:60], method="update",
                            args=[{"visible": vis}, {"title.text": _wrap_title(lp, st.graph)}]))
    shapes, notes = _sector_boxes(g)
    fig.update_layout(
        title=title or f"Causal-loop diagram of {st.model.name}", height=850, shapes=shapes,
        annotations=notes, template="plotly_white", hovermode="closest",
        xaxis=dict(visible=False), yaxis=dict(visible=False, scaleanchor="x"),
        margin=dict(t=150),
        updatemenus=[dict(buttons=buttons, direction="down", x=1.0, xanchor="right", y=1.0,
                          yanchor="bottom", showactive=True)])
    return fig


def _link_traces(g, pos) -> list:
    """Scatter traces of the links (one per polarity, arrows) and of the variables (stocks as
    squares) of graph ``g`` at positions ``pos``."""
    traces = []
    for lab, colour in POLARITY_COLOUR.items():
        xs, ys, sizes = [], [], []
        for x, z, d in g.edges(data=True):
            if d.get("label", "0") != lab or x == z:
                continue
            a, b = _edge_path(pos[x], pos[z])
            xs += [a[0], b[0], None]
            ys += [a[1], b[1], None]
            sizes += [0, 9, 0]
        if not xs:
            continue
        name = {"+": "positive link", "−": "negative link", "±": "link changes sign",
                "0": "no effect along the run"}[lab]
        traces.append(go.Scatter(
            x=xs, y=ys, mode="lines+markers", name=name, hoverinfo="skip",
            line=dict(color=colour, width=1.2),
            marker=dict(symbol="arrow", size=sizes, angleref="previous", color=colour)))
    nodes = list(g.nodes)
    kinds = [g.nodes[n].get("kind", "") for n in nodes]
    traces.append(go.Scatter(
        x=[pos[n][0] for n in nodes], y=[pos[n][1] for n in nodes], mode="markers+text",
        name="variables", text=[g.nodes[n].get("name", n) for n in nodes],
        textposition="top center", textfont=dict(size=9),
        marker=dict(size=[14 if k == "stock" else 7 for k in kinds],
                    symbol=["square" if k == "stock" else "circle" for k in kinds],
                    color=[STOCK_COLOUR if k == "stock" else OTHER_COLOUR for k in kinds]),
        hovertext=[f"{g.nodes[n].get('name', n)} ({g.nodes[n].get('kind', '')}; "
                   f"{g.nodes[n].get('sector', '') or 'no sector'})" for n in nodes],
        hoverinfo="text"))
    return traces


def _sector_boxes(g) -> tuple[list, list]:
    """(shapes, annotations): a labelled box behind each sector present in ``g``."""
    shapes, notes = [], []
    present = {g.nodes[n].get("sector", "") for n in g}
    for s, (cx, cy, w, h) in SECTOR_BOXES.items():
        if s not in present:
            continue
        shapes.append(dict(type="rect", x0=cx - w / 2 - 0.15, x1=cx + w / 2 + 0.15,
                           y0=cy - h / 2 - 0.15, y1=cy + h / 2 + 0.25, line=dict(color="#dddddd"),
                           layer="below"))
        notes.append(dict(x=cx, y=cy + h / 2 + 0.35, text=f"<b>{s}</b>", showarrow=False,
                          font=dict(size=11, color="#555555")))
    return shapes, notes


def _top_loops(ds, top: int):
    rel = np.abs(ds["relative_score"].values)
    if rel.ndim == 3:
        rel = rel.mean(axis=0)
    named = [i for i, n in enumerate(ds["named_id"].values) if n]
    order = list(np.argsort(-rel.mean(axis=1), kind="stable"))
    keep = named + [i for i in order if i not in named]
    return sorted(keep[:max(top, len(named))], key=lambda i: -rel[i].mean())


def _loop_label(ds, i) -> str:
    nid, name = str(ds["named_id"].values[i]), str(ds["name"].values[i])
    return (f"{nid} {name}".strip() if nid else str(ds["loop"].values[i])) + \
        f" ({ds['polarity'].values[i]})"


def relative_scores_figure(ds, top: int = 12, title: str | None = None) -> go.Figure:
    """Relative loop scores over time as stacked areas (named loops and the ``top`` loops by
    mean |relative score|; the rest summed as 'other loops'), positive above zero."""
    fig = go.Figure()
    if ds.sizes.get("loop", 0) == 0:
        fig.update_layout(title=ds.attrs.get("message", "no loops"))
        return fig
    t = ds["time"].values
    rel = ds["relative_score"].values
    keep = _top_loops(ds, top)
    rest = [i for i in range(rel.shape[0]) if i not in keep]
    series = [(_loop_label(ds, i), rel[i], str(ds["variables"].values[i])) for i in keep]
    if rest:
        series.append((f"other loops ({len(rest)})", rel[rest].sum(axis=0), ""))
    for k, (label, y, hover) in enumerate(series):
        colour = LOOP_COLOURS[k % len(LOOP_COLOURS)]
        for group, part in (("pos", np.clip(y, 0, None)), ("neg", np.clip(y, None, 0))):
            if not np.any(part):
                continue
            fig.add_trace(go.Scatter(x=t, y=part, name=label, stackgroup=group, mode="lines",
                                     line=dict(width=0.5, color=colour), legendgroup=label,
                                     showlegend=group == "pos" or not np.any(np.clip(y, 0, None)),
                                     hovertext=hover, hoverinfo="x+y+name"))
    fig.update_layout(title=title or "Relative loop scores (Loops That Matter)",
                      xaxis_title=f"time ({ds['time'].attrs.get('units', '')})",
                      yaxis_title="relative loop score (+ reinforcing, − balancing)",
                      template="plotly_white", height=520)
    return fig


def dominance_bands_figure(ds, top: int = 8, title: str | None = None) -> go.Figure:
    """Ensemble result: median and outer quantile band of each loop's relative score (top)
    and the share of samples in which it dominates (bottom)."""
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08,
                        subplot_titles=("relative loop score across samples (median, band)",
                                        "share of samples in which the loop dominates"))
    if "relative_score_quantile" not in ds or ds.sizes.get("loop", 0) == 0:
        fig.update_layout(title="no ensemble loop scores")
        return fig
    t = ds["time"].values
    q = ds["quantile"].values
    lo, hi = int(np.argmin(q)), int(np.argmax(q))
    mid = int(np.argmin(np.abs(q - 0.5)))
    qv = ds["relative_score_quantile"].values
    for k, i in enumerate(_top_loops(ds, top)):
        colour = LOOP_COLOURS[k % len(LOOP_COLOURS)]
        label = _loop_label(ds, i)
        fig.add_trace(go.Scatter(x=np.r_[t, t[::-1]], y=np.r_[qv[hi, i], qv[lo, i][::-1]],
                                 fill="toself", line=dict(width=0), opacity=0.25,
                                 fillcolor=colour, legendgroup=label, showlegend=False,
                                 hoverinfo="skip", name=f"{label} band"), row=1, col=1)
        fig.add_trace(go.Scatter(x=t, y=qv[mid, i], line=dict(color=colour), name=label,
                                 legendgroup=label), row=1, col=1)
        fig.add_trace(go.Scatter(x=t, y=ds["dominance_share"].values[i], line=dict(color=colour),
                                 name=label, legendgroup=label, showlegend=False), row=2, col=1)
    fig.update_yaxes(title_text="relative score", row=1, col=1)
    fig.update_yaxes(title_text="share", range=[0, 1], row=2, col=1)
    fig.update_layout(title=title or f"Loop dominance across {ds.sizes.get('sample', 0)} samples "
                                     f"(band {q[lo]:g}–{q[hi]:g} quantiles)",
                      template="plotly_white", height=700)
    return fig


def figures_html(figs, title: str) -> str:
    """One self-contained HTML page (plotly.js inline) with ``figs``."""
    parts = []
    for k, f in enumerate(figs):
        parts.append(f.to_html(full_html=False, include_plotlyjs="inline" if k == 0 else False))
    body = "\n".join(f"<div>{p}</div>" for p in parts)
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title></head>"
            f"<body><h1 style='font-family:sans-serif'>{title}</h1>{body}</body></html>")
