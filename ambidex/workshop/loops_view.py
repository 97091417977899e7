"""The named feedback loops in the room: a causal-loop diagram of the loops named in
``sd_models/<model>.loops.toml`` (R1 trust engine ... B5) with the loop that dominates at a
chosen year highlighted, their relative loop scores over time (Loops That Matter, measured by
:mod:`ambidex.loops` for the current levers) and the periods each one dominates.

The diagram keeps, of each loop's causal chain, the stocks and the variables that several loops
share (so eight loops fit one readable picture); the arrows follow the chain's order.
"""

from __future__ import annotations

import json
import threading

import networkx as nx
import numpy as np

from ..loops import analyse, dominance, read_named_loops
from ..loops.ltm import trajectory
from ..loops.naming import named_loops_path
from ..core.scenario import scenario_from_dict

LOOP_COLORS = {"R": ["#1f5fbf", "#2b8a3e", "#862e9c", "#0b7285"],
               "B": ["#d9480f", "#c2255c", "#e67700", "#5c940d", "#a61e4d"]}
_LOCK = threading.Lock()
_CACHE: dict = {}


_STRUCT: dict = {}


def _structure(model):
    """(loop structure, named loops) of the model, analysed once along its defaults."""
    key = model.sha256
    if key not in _STRUCT:
        st, _run = analyse(model, None)
        path = named_loops_path(model)
        _STRUCT[key] = (st, read_named_loops(path, model) if path else None)
    return _STRUCT[key]


def named_scores(model, scen: dict):
    """{loop id: (name, polarity, times, relative score)} for the named loops along ``scen``."""
    key = json.dumps(scen, sort_keys=True)
    with _LOCK:
        if key in _CACHE:
            return _CACHE[key]
        st, named = _structure(model)
        if named is None:
            return {}
        run = trajectory(model, scenario_from_dict(scen))
        ds = dominance(st, run)
        ids = ds["named_id"].values
        out = {}
        for n in named.loops:
            k = np.flatnonzero(ids == n.id)
            if len(k):
                out[n.id] = (n.name, n.polarity, ds.time.values, ds["relative_score"].values[k[0]])
        if len(_CACHE) > 16:
            _CACHE.clear()
        _CACHE[key] = out
        return out


def prewarm(model, scen: dict) -> threading.Thread:
    """Measure the named loops along ``scen`` (the page's starting scenario) in a background
    thread, so that the first opening of the Loops tab finds them ready (it took ~5 s)."""
    th = threading.Thread(target=named_scores, args=(model, scen), name="loops-prewarm", daemon=True)
    th.start()
    return th


def dominant_at(scores: dict, year: float) -> str | None:
    best, val = None, 0.0
    for lid, (_n, _p, t, rel) in scores.items():
        k = int(np.argmin(np.abs(t - year)))
        if np.isfinite(rel[k]) and abs(rel[k]) > val:
            best, val = lid, abs(rel[k])
    return best


def periods(scores: dict) -> list[tuple[float, float, str]]:
    """[(start, end, loop id)]: the named loop with the largest |relative score| over time."""
    if not scores:
        return []
    ids = list(scores)
    t = scores[ids[0]][2]
    mat = np.abs(np.nan_to_num(np.array([scores[i][3] for i in ids])))
    top = np.argmax(mat, axis=0)
    out = []
    for k, j in enumerate(top):
        if mat[j, k] == 0:
            continue
        if out and out[-1][2] == ids[j] and out[-1][3] == k - 1:
            out[-1] = (out[-1][0], float(t[k]), ids[j], k)
        else:
            out.append((float(t[k]), float(t[k]), ids[j], k))
    return [(a, b, i) for a, b, i, _ in out]


def _chains(model, named):
    """{loop id: kept variables in causal order} (stocks and variables shared by loops)."""
    stocks = {s.py_name for s in model.stocks}
    count: dict = {}
    for n in named.loops:
        for v in set(n.variables):
            count[v] = count.get(v, 0) + 1
    out = {}
    for n in named.loops:
        keep = [v for v in n.variables if v in stocks]
        if len(keep) < 2:  # a loop through one stock: that stock and its loop's middle variable
            mid = n.variables[len(n.variables) // 2]
            keep = [v for v in n.variables if v in stocks or v == mid]
        out[n.id] = keep if len(keep) >= 2 else list(n.variables[:2])
    return out


_LAYOUT: dict = {}


def _layout(model):
    if model.sha256 in _LAYOUT:
        return _LAYOUT[model.sha256]
    _st, named = _structure(model)
    chains = _chains(model, named)
    g = nx.DiGraph()
    for ch in chains.values():
        for a, b in zip(ch, ch[1:] + ch[:1]):
            g.add_edge(a, b)
    pos = nx.kamada_kawai_layout(g)
    _LAYOUT[model.sha256] = chains, {k: (float(x), float(y)) for k, (x, y) in pos.items()}
    return _LAYOUT[model.sha256]


def _label(model, py: str) -> str:
    name = model.variables[py].name if py in model.variables else py
    return name[:1].upper() + name[1:]


def diagram(model, scores: dict, year: float) -> dict:
    """Plotly figure: the named loops' causal diagram, the dominant loop at ``year`` in bold."""
    _st, named = _structure(model)
    chains, pos = _layout(model)
    dom = dominant_at(scores, year)
    ann, data = [], []
    count = {"R": 0, "B": 0}
    for n in named.loops:
        ch = chains[n.id]
        pol = n.polarity if n.polarity in LOOP_COLORS else "R"
        color = LOOP_COLORS[pol][count[pol] % len(LOOP_COLORS[pol])]
        count[pol] += 1
        hot = n.id == dom
        for a, b in zip(ch, ch[1:] + ch[:1]):
            (x0, y0), (x1, y1) = pos[a], pos[b]
            ann.append({"x": x1, "y": y1, "ax": x0, "ay": y0, "xref": "x", "yref": "y",
                        "axref": "x", "ayref": "y", "showarrow": True, "arrowhead": 2,
                        "arrowsize": 1.2, "arrowwidth": 5 if hot else 1.6, "standoff": 18,
                        "startstandoff": 18, "arrowcolor": color if hot or dom is None else "#b8b8b8",
                        "opacity": 1 if hot or dom is None else 0.8})
        cx = float(np.mean([pos[v][0] for v in ch]))
        cy = float(np.mean([pos[v][1] for v in ch]))
        ann.append({"x": cx, "y": cy, "text": f"<b>{n.id}</b> {n.name}" if hot else f"{n.id} {n.name}",
                    "showarrow": False, "font": {"size": 16 if hot else 14, "color": color},
                    "bgcolor": "#fff3bf" if hot else "rgba(255,255,255,0.8)",
                    "bordercolor": color if hot else "rgba(0,0,0,0)", "borderwidth": 2})
    xs, ys, texts = [], [], []
    for v, (x, y) in pos.items():
        xs.append(x)
        ys.append(y)
        texts.append(_label(model, v))
    data.append({"type": "scatter", "mode": "markers+text", "x": xs, "y": ys, "text": texts,
                 "textposition": "top center", "textfont": {"size": 14},
                 "marker": {"size": 12, "color": "#333"}, "hoverinfo": "text", "showlegend": False})
    title = (f"Named loops; dominant in {year:g}: {dom} {scores[dom][0]}" if dom
             else "Named loops (no dominance measured)")
    return {"data": data, "layout": {
        "title": {"text": title, "font": {"size": 16}, "x": 0}, "annotations": ann, "height": 560,
        "margin": {"l": 10, "r": 10, "t": 40, "b": 10}, "font": {"size": 14},
        "xaxis": {"visible": False}, "yaxis": {"visible": False}, "plot_bgcolor": "white"}}


def scores_figure(scores: dict, year: float) -> dict:
    data = []
    for lid, (name, pol, t, rel) in scores.items():
        data.append({"type": "scatter", "mode": "lines", "x": t.tolist(),
                     "y": np.nan_to_num(rel).tolist(), "name": f"{lid} {name}",
                     "line": {"dash": "solid" if pol == "R" else "dash", "width": 2.5}})
    return {"data": data, "layout": {
        "title": {"text": "Relative loop score over time (Loops That Matter; + reinforcing, "
                          "− balancing)", "font": {"size": 16}, "x": 0},
        "height": 360, "font": {"size": 14}, "margin": {"l": 50, "r": 10, "t": 40, "b": 40},
        "yaxis": {"title": {"text": "relative score"}, "zeroline": True},
        "legend": {"orientation": "h", "y": -0.2, "font": {"size": 14}},
        "shapes": [{"type": "line", "x0": year, "x1": year, "y0": 0, "y1": 1, "yref": "paper",
                    "line": {"color": "#444", "dash": "dot"}}]}}
