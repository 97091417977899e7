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

from ..core.scenario import scenario_from_dict
from ..loops import analyse, read_named_loops
from ..loops.ltm import _env, loop_scores, trajectory
from ..loops.naming import named_loops_path

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
        time = run.time.values
        # the scores straight, not the 20 k-loop Dataset of ``dominance`` (its chain strings
        # alone took ~4 s): the room needs only the named loops' rows
        _score, rel = loop_scores(st, st.env(_env(run), time), time)
        ids = np.array([lp.named_id for lp in st.loops], dtype=object)
        out = {}
        for n in named.loops:
            k = np.flatnonzero(ids == n.id)
            if len(k):
                out[n.id] = (n.name, n.polarity, time, rel[k[0]])
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


def periods(scores: dict, min_years: float = 1.0) -> list[tuple[float, float, str]]:
    """[(start, end, loop id)], contiguous: the named loop with the largest |relative score|
    over time, with spells shorter than ``min_years`` (years; flicker where two loops' scores
    cross) absorbed into the longer neighbouring spell, so the room reads a few whole periods."""
    if not scores:
        return []
    ids = list(scores)
    t = np.asarray(scores[ids[0]][2], float)
    mat = np.abs(np.nan_to_num(np.array([scores[i][3] for i in ids])))
    top = [ids[j] if mat[j, k] > 0 else None for k, j in enumerate(np.argmax(mat, axis=0))]
    runs: list[list] = []  # [first time index, loop id or None]
    for k, lid in enumerate(top):
        if not runs or runs[-1][1] != lid:
            runs.append([k, lid])

    def bounds(r: int) -> tuple[float, float]:
        end = t[runs[r + 1][0]] if r + 1 < len(runs) else t[-1]
        return float(t[runs[r][0]]), float(end)

    while len(runs) > 1:
        spans = [bounds(r)[1] - bounds(r)[0] for r in range(len(runs))]
        r = int(np.argmin(spans))
        if spans[r] >= min_years:
            break
        left = spans[r - 1] if r > 0 else -1.0
        right = spans[r + 1] if r + 1 < len(runs) else -1.0
        if left >= right:  # the previous spell extends over the blip
            runs.pop(r)
        else:  # the next spell starts where the blip started
            runs[r + 1][0] = runs[r][0]
            runs.pop(r)
        merged = [runs[0]]
        for run in runs[1:]:
            if run[1] != merged[-1][1]:
                merged.append(run)
        runs = merged
    return [(*bounds(r), runs[r][1]) for r in range(len(runs)) if runs[r][1] is not None]


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
    keys = list(pos)
    apart = _separate(np.array([pos[k] for k in keys]), np.empty((0, 2)), (0.45, 0.16))
    _LAYOUT[model.sha256] = chains, {k: (float(x), float(y)) for k, (x, y) in zip(keys, apart)}
    return _LAYOUT[model.sha256]


def _label(model, py: str) -> str:
    name = model.variables[py].name if py in model.variables else py
    return name[:1].upper() + name[1:]


def _separate(points: np.ndarray, fixed: np.ndarray, size, rounds: int = 200) -> np.ndarray:
    """``points`` moved vertically until no two of their boxes (``size`` = (w, h) in layout
    units, the layout spanning about 2 x 2) overlap each other or a box at ``fixed``."""
    w, h = size
    pts = np.array(points, float)
    for _ in range(rounds):
        moved = False
        for i in range(len(pts)):
            others = [(pts[j], 1.0) for j in range(len(pts)) if j != i] + [(q, 2.0) for q in fixed]
            for other, share in others:
                dx, dy = pts[i] - other
                if abs(dx) < w and abs(dy) < h:
                    step = (h - abs(dy)) / share + 1e-3
                    pts[i][1] += step if dy >= 0 else -step
                    moved = True
        if not moved:
            break
    return pts


def _label_spots(chains: dict, pos: dict, ids: list) -> dict:
    """{loop id: (x, y)}: each loop's label near the middle of its chain, moved apart from the
    other loop labels and from the node names (which sit just above their nodes)."""
    spots = np.array([[np.mean([pos[v][0] for v in chains[i]]), np.mean([pos[v][1] for v in chains[i]])]
                      for i in ids], float)
    names = np.array([[x, y + 0.07] for x, y in pos.values()], float)
    spots = _separate(spots, names, (0.42, 0.13))
    return {i: (float(x), float(y)) for i, (x, y) in zip(ids, spots)}


def _arc(p0, p1, color: str, width: float, ann: list, bend: float = 0.18) -> dict:
    """A curved arrow from ``p0`` to ``p1`` (quadratic Bezier bent to the left of the direction
    of travel, so a->b and b->a bow apart): a line trace, with its arrowhead added to ``ann``."""
    (x0, y0), (x1, y1) = p0, p1
    dx, dy = x1 - x0, y1 - y0
    cx, cy = (x0 + x1) / 2 - bend * dy * 2, (y0 + y1) / 2 + bend * dx * 2
    t = np.linspace(0.1, 0.86, 24)
    xs = (1 - t) ** 2 * x0 + 2 * (1 - t) * t * cx + t ** 2 * x1
    ys = (1 - t) ** 2 * y0 + 2 * (1 - t) * t * cy + t ** 2 * y1
    ann.append({"x": float(xs[-1]), "y": float(ys[-1]), "ax": float(xs[-3]), "ay": float(ys[-3]),
                "xref": "x", "yref": "y", "axref": "x", "ayref": "y", "showarrow": True,
                "arrowhead": 2, "arrowsize": 1.2, "arrowwidth": width, "arrowcolor": color,
                "standoff": 0, "startstandoff": 0})
    return {"type": "scatter", "mode": "lines", "x": xs.tolist(), "y": ys.tolist(),
            "line": {"color": color, "width": width}, "hoverinfo": "skip", "showlegend": False}


def diagram(model, scores: dict, year: float) -> dict:
    """Plotly figure: the named loops' causal diagram, the dominant loop at ``year`` in bold."""
    _st, named = _structure(model)
    chains, pos = _layout(model)
    dom = dominant_at(scores, year)
    ann, data = [], []
    count = {"R": 0, "B": 0}
    edges = {(a, b) for ch in chains.values() for a, b in zip(ch, ch[1:] + ch[:1])}
    spots = _label_spots(chains, pos, [n.id for n in named.loops])
    for n in named.loops:
        ch = chains[n.id]
        pol = n.polarity if n.polarity in LOOP_COLORS else "R"
        color = LOOP_COLORS[pol][count[pol] % len(LOOP_COLORS[pol])]
        count[pol] += 1
        hot = n.id == dom
        shade = color if hot or dom is None else "#b8b8b8"
        for a, b in zip(ch, ch[1:] + ch[:1]):
            if (b, a) in edges:  # both ways (a two-node loop): two arcs, not opposed arrows
                data.append(_arc(pos[a], pos[b], shade, 5 if hot else 1.6, ann))
                continue
            (x0, y0), (x1, y1) = pos[a], pos[b]
            ann.append({"x": x1, "y": y1, "ax": x0, "ay": y0, "xref": "x", "yref": "y",
                        "axref": "x", "ayref": "y", "showarrow": True, "arrowhead": 2,
                        "arrowsize": 1.2, "arrowwidth": 5 if hot else 1.6, "standoff": 18,
                        "startstandoff": 18, "arrowcolor": shade,
                        "opacity": 1 if hot or dom is None else 0.8})
        cx, cy = spots[n.id]
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
        "xaxis": {"visible": False, "range": [min(xs) - 0.35, max(xs) + 0.35]},  # names whole
        "yaxis": {"visible": False}, "plot_bgcolor": "white"}}


def scores_figure(scores: dict, year: float) -> dict:
    data = []
    for lid, (name, pol, t, rel) in scores.items():
        data.append({"type": "scatter", "mode": "lines", "x": t.tolist(),
                     "y": np.nan_to_num(rel).tolist(), "name": f"{lid} {name}",
                     "line": {"dash": "solid" if pol == "R" else "dash", "width": 2.5}})
    return {"data": data, "layout": {
        "title": {"text": "Relative loop score over time (Loops That Matter; + reinforcing, "
                          "− balancing)", "font": {"size": 16}, "x": 0},
        "height": 440, "font": {"size": 14}, "margin": {"l": 60, "r": 10, "t": 40, "b": 10},
        "xaxis": {"automargin": True},
        "yaxis": {"title": {"text": "relative score"}, "zeroline": True, "range": [-1.05, 1.05]},
        # below the year tick labels, anchored by its top so they stay clear
        "legend": {"orientation": "h", "y": -0.28, "yanchor": "top", "bgcolor": "rgba(0,0,0,0)",
                   "font": {"size": 14}},
        "shapes": [{"type": "line", "x0": year, "x1": year, "y0": 0, "y1": 1, "yref": "paper",
                    "line": {"color": "#444", "dash": "dot"}}]}}
