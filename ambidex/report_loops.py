"""The feedback-loop part of the scenario report, written for a reader who has not seen the
model: the named loops of ``<model>.loops.toml`` as one causal-loop diagram (laid out by
networkx, not by hand), which of them drives the behaviour when (Loops That Matter relative
scores, loops named), and one sentence per period.

The diagram condenses each named loop to its stocks and the variables two or more loops share
(the hubs where loops meet); a contracted link's sign is the product of the signs along it, so
every loop keeps its polarity.
"""

from __future__ import annotations

import html
import math
import tomllib
from pathlib import Path

import numpy as np

from . import figdict as fd
from .layouts import kamada_kawai

#: one colour per named loop (reinforcing and balancing told apart by line style as well)
LOOP_PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b",
                "#e377c2", "#7f7f7f", "#bcbd22", "#393b79", "#637939"]
POLARITY_WORD = {"R": "reinforcing", "B": "balancing"}
LOOPS_TITLE = "The named feedback loops (yellow boxes: stocks; + same direction, − opposite)"


def named_loops(model) -> list[dict]:
    """The ``[[loop]]`` tables of ``<model>.loops.toml`` beside the model (id, name, polarity,
    variables, link_signs, description); [] when the model has none."""
    path = Path(model.path).with_suffix(".loops.toml")
    if not path.is_file():
        return []
    try:
        return list(tomllib.loads(path.read_text(encoding="utf-8")).get("loop", []))
    except (OSError, tomllib.TOMLDecodeError):
        return []


def _condensed(model, loops: list[dict]):
    """(graph, per-loop node cycles): nodes are stocks and variables shared by 2+ loops.  The
    graph is ``{node: {successor: {"sign": ±1, "loops": [k, ...]}}}`` in the order networkx's
    DiGraph would hold it (nodes and each node's successors by first insertion)."""
    stocks = {s.name for s in model.stocks}
    count: dict[str, int] = {}
    for lp in loops:
        for v in set(lp["variables"]):
            count[v] = count.get(v, 0) + 1
    g: dict[str, dict] = {}
    cycles = []
    for k, lp in enumerate(loops):
        vs, signs = list(lp["variables"]), list(lp.get("link_signs") or ["+"] * len(lp["variables"]))
        keep = [i for i, v in enumerate(vs) if v in stocks or count[v] > 1]
        if len(keep) < 2:  # a loop around one stock: keep its first auxiliary so it shows
            keep = sorted(set(keep) | {min(set(range(len(vs))) - set(keep))})
        cyc = [vs[i] for i in keep]
        for j, i in enumerate(keep):
            nxt = keep[(j + 1) % len(keep)]
            span = range(i, nxt) if nxt > i else [*range(i, len(vs)), *range(0, nxt)]
            sign = 1
            for s in span:
                sign *= -1 if signs[s] in ("-", "−") else 1
            a, b = vs[i], vs[nxt]
            g.setdefault(a, {})
            g.setdefault(b, {})
            if b in g[a]:
                g[a][b]["loops"].append(k)
            else:
                g[a][b] = {"sign": sign, "loops": [k]}
        cycles.append(cyc)
    return g, cycles


def loop_diagram(model, loops: list[dict] | None = None, seed: int = 3) -> dict | None:
    """The named loops as one causal-loop diagram; None when the model names no loops."""
    loops = named_loops(model) if loops is None else loops
    if not loops:
        return None
    g, cycles = _condensed(model, loops)
    stocks = {s.name for s in model.stocks}
    pos = kamada_kawai(list(g), [(a, b) for a in g for b in g[a]], weight=None)
    if pos is None:  # laid out in the background (first report on a cold cache)
        return fd.note_figure(LOOPS_TITLE, "The named-loops diagram is being laid out in the "
                                           "background (first report of this model): the next "
                                           "report shows it.")
    # spread: scale to [0, 1] x [0, 1]
    arr = np.array(list(pos.values()))
    lo, span = arr.min(axis=0), np.ptp(arr, axis=0)
    span[span == 0] = 1
    pos = {n: (np.asarray(p) - lo) / span for n, p in pos.items()}
    anns = []  # set once at the end: plotly re-validates all of them on each add_annotation
    for a, b, d in ((u, v, e) for u in g for v, e in g[u].items()):
        k = d["loops"][0]
        colour = LOOP_PALETTE[k % len(LOOP_PALETTE)]
        (x0, y0), (x1, y1) = pos[a], pos[b]
        anns.append(dict(x=x1, y=y1, ax=x0, ay=y0, xref="x", yref="y", axref="x", ayref="y",
                         showarrow=True, arrowhead=3, arrowsize=1.3, arrowwidth=2.2,
                         arrowcolor=colour, standoff=16, startstandoff=16, opacity=0.85, text=""))
        mx, my = x0 + 0.72 * (x1 - x0), y0 + 0.72 * (y1 - y0)  # the sign near the arrow head
        anns.append(dict(x=mx, y=my, text="+" if d["sign"] > 0 else "−", showarrow=False,
                         font={"size": 15, "color": colour}, bgcolor="rgba(255,255,255,0.85)"))
    fig = fd.figure()
    for k, (lp, cyc) in enumerate(zip(loops, cycles)):
        c = np.mean([pos[v] for v in cyc], axis=0)
        if len(cyc) == 2:  # the middle of two boxes: step aside, perpendicular to the link
            d = pos[cyc[1]] - pos[cyc[0]]
            c = c + 0.05 * np.array([-d[1], d[0]]) / (np.hypot(*d) or 1.0)
        colour = LOOP_PALETTE[k % len(LOOP_PALETTE)]
        fd.add_trace(fig, {
            "hoverinfo": "text",
            "hovertext": f"{lp['id']} {lp['name']} ({POLARITY_WORD.get(lp['polarity'], '')})",
            "legendgroup": lp["id"], "marker": {"color": colour, "size": 1, "symbol": "square"},
            "mode": "text+markers",
            "name": f"{lp['id']} {lp['name']} ({POLARITY_WORD.get(lp['polarity'], lp['polarity'])})",
            "showlegend": True, "text": [f"<b>{lp['id']}</b>"],
            "textfont": {"size": 14, "color": colour}, "x": [float(c[0])], "y": [float(c[1])],
            "type": "scatter"})
    for n, (x, y) in pos.items():
        stock = n in stocks
        anns.append(dict(x=x, y=y, text=html.escape(n), showarrow=False,
                         font={"size": 12 if stock else 11, "color": "#111" if stock else "#333"},
                         bgcolor="#fff7d6" if stock else "#ffffff",
                         bordercolor="#555" if stock else "#bbb",
                         borderwidth=1.5 if stock else 1, borderpad=3))
    fig["layout"].update(
        annotations=anns,
        title={"text": LOOPS_TITLE},
        xaxis={"visible": False, "range": [-0.08, 1.08]}, yaxis={"visible": False, "range": [-0.06, 1.06]},
        height=820, template=fd.template("plotly_white"), hovermode="closest",
        legend={"title": {"text": "named loops "}, "orientation": "h", "x": 0, "y": -0.02,
                "yanchor": "top", "itemsizing": "constant"},
        margin={"l": 10, "r": 10, "t": 60, "b": 120})
    return fig


def dominance_figure(lds, loops: list[dict], scenario: str) -> dict:
    """Relative loop scores of the named loops over time (one line each, labelled with its id
    and name) and the rest summed as 'unnamed loops'.  ``lds``: a Loops That Matter Dataset
    or its :func:`~ambidex.loop_summary.summarise` summary."""
    from .loop_summary import summarise

    lds = summarise(lds)
    t = lds["time"].values
    rel = lds["relative_score"].values
    ids = [str(x) for x in lds["named_id"].values]
    names = [str(x) for x in lds["name"].values]
    colour_of = {lp["id"]: LOOP_PALETTE[k % len(LOOP_PALETTE)] for k, lp in enumerate(loops)}
    label_of = {lp["id"]: f"{lp['id']} {lp['name']}" for lp in loops}
    fig = fd.figure()
    for i in sorted(range(len(ids)), key=lambda i: ids[i]):
        fd.add_trace(fig, {"line": {"color": colour_of.get(ids[i]), "width": 2.5,
                                    "dash": "solid" if ids[i].startswith("R") else "dot"},
                           "mode": "lines", "name": label_of.get(ids[i], names[i] or ids[i]),
                           "x": t, "y": rel[i], "type": "scatter"})
    n_rest = int(lds.attrs["unnamed_count"])
    if n_rest:
        fd.add_trace(fig, {"line": {"color": "#aaaaaa", "width": 1.5, "dash": "dash"},
                           "mode": "lines", "name": f"{n_rest} unnamed loops together",
                           "x": t, "y": lds["unnamed_sum"].values, "type": "scatter"})
    fig["layout"].update(
        height=520, legend={"orientation": "h", "y": -0.18, "x": 0},
        template=fd.template("plotly_white"),
        title={"text": f"Which loop drives the change, scenario {scenario} (Loops That Matter)"},
        xaxis={"title": {"text": f"time ({lds['time'].attrs.get('units', 'year')})"}},
        yaxis={"title": {"text": "relative loop score (+ reinforcing, − balancing)"}})
    return fig


def dominance_sentences(lds, loops: list[dict], periods: int = 4) -> list[str]:
    """One sentence per period: the named loop with the largest mean |relative score|
    (``lds`` as for :func:`dominance_figure`)."""
    from .loop_summary import summarise

    lds = summarise(lds)
    t = lds["time"].values
    rel = lds["relative_score"].values
    total = lds["abs_total"].values
    ids = [str(x) for x in lds["named_id"].values]
    by_id = {lp["id"]: lp for lp in loops}
    named = [i for i, x in enumerate(ids) if x in by_id]
    if not named or len(t) < 2:
        return []
    edges = np.linspace(t[0], t[-1], periods + 1)
    out = []
    for a, b in zip(edges[:-1], edges[1:]):
        sel = (t >= a) & (t <= b)
        m = np.abs(rel[named][:, sel]).mean(axis=1)
        j = named[int(np.argmax(m))]
        lp = by_id[ids[j]]
        share = float(m.max() / max(total[sel].mean(), 1e-12))
        out.append(f"{a:.0f}–{b:.0f}: {lp['id']} {lp['name']} ({POLARITY_WORD.get(lp['polarity'], '')}) "
                   f"explains most of the change among the named loops"
                   + (f" (about {share:.0%} of all loop activity)" if math.isfinite(share) else "") + ".")
    return out


def loops_table_html(loops: list[dict]) -> str:
    """The named loops: id, name, polarity, its story in one line."""
    rows = []
    for k, lp in enumerate(loops):
        colour = LOOP_PALETTE[k % len(LOOP_PALETTE)]
        desc = " ".join(str(lp.get("description", "")).split())
        first = desc.split(" (")[0].split(". ")[0]
        rows.append(f"<tr><td style='color:{colour};font-weight:bold'>{html.escape(lp['id'])}</td>"
                    f"<td>{html.escape(lp['name'])}</td><td>{POLARITY_WORD.get(lp['polarity'], '')}</td>"
                    f"<td>{html.escape(first)}</td></tr>")
    return ("<table class='loops'><tr><th>loop</th><th>name</th><th>kind</th><th>what happens</th></tr>"
            + "".join(rows) + "</table>")
