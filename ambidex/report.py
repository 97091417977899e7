"""The HTML report: plotly figures of a results Dataset in one self-contained file.

Opens offline: plotly.js is inlined once.  Figures: key outcomes per scenario, revenue by
business model, exploration vs exploitation and ambidexterity, trust and proximity, the three
risk indicators, every stock, and the stock-to-stock feedback structure linking the
collaboration-based and market-based models.
"""

from __future__ import annotations

import html
import itertools
import json
import math

import numpy as np

from . import figdict as fd
from .core.profile import dataset_profile

# The key outcomes come from the model's profile (``[[report]]`` of NAME.profile.toml, see
# ambidex.core.profile; without one, every stock).  The figures below that name the dual model's
# variables are left out for a model that lacks them.


def key_outcomes(ds) -> list[tuple[str, float, str]]:
    """(py name, scale, unit) of the model's key outcomes, from its profile."""
    return dataset_profile(ds)["report"]


RISKS = [("myopia_index", "Myopia"), ("fragmentation_index", "Fragmentation"),
         ("polarization_index", "Polarization")]
REVENUE_PARTS = [("exclusive_revenue", "exclusive, at reservation price"),
                 ("co_created_market_revenue", "co-created, at market price"),
                 ("legacy_market_revenue", "in-house, at market price")]
BASELINE = "baseline_dual"


def _colors(scenarios):
    """A distinct colour per scenario (24 before any repeats); the baseline is black."""
    from plotly.colors import qualitative

    pal = [c for c in qualitative.Dark24 if c.upper() not in ("#222A2A",)] + qualitative.Alphabet
    out, k = {}, 0
    for s in scenarios:
        if str(s) == BASELINE:
            out[s] = "#000000"
            continue
        out[s] = pal[k % len(pal)]
        k += 1
    return out


def _title(ds, py):
    return ds.variables[py].attrs.get("long_name", py)


def _time_title(ds) -> str:
    units = ds["time"].attrs.get("units", "")
    return "year" if str(units).lower() in ("year", "years") else f"time ({units})"


DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")


def _lines(ds, py: str, j: int):
    """``[(label, values over time)]`` of variable ``py`` in the ``j``-th scenario: one line,
    or one per element of a subscripted variable (label ``' [North]'``; elements in the order
    ``DataArray.stack`` gives them)."""
    v = ds.variables[py]
    extra = [d for d in v.dims if d not in ("scenario", "time")]
    a = np.asarray(v.transpose("scenario", "time", *extra).values[j])
    if not extra:
        return [("", a)]
    coords = [ds.variables[d].values if d in ds.variables else np.arange(ds.sizes[d])
              for d in extra]
    flat = a.reshape(a.shape[0], -1).T
    return [(f" [{', '.join(map(str, key))}]", flat[i])
            for i, key in enumerate(itertools.product(*coords))]


def grid_figure(ds, items, title, cols=3, row_height=300):
    """One subplot per (variable, scale, unit) item, one line per scenario; axis titles, one
    legend above the panels that lists every scenario (None: no item in ``ds``)."""
    items = [it for it in items if it[0] in ds]
    if not items:
        return None
    rows = (len(items) + cols - 1) // cols
    fig = fd.subplots(rows, cols, [f"{_title(ds, py)} ({unit})" for py, _, unit in items],
                      vertical_spacing=0.5 / max(rows, 1) ** 0.5 / 2.2)
    colors = _colors(ds.variables["scenario"].values)
    for k, (py, scale, unit) in enumerate(items):
        r, c = k // cols + 1, k % cols + 1
        for j, s in enumerate(ds.variables["scenario"].values):
            for e, (elem, y) in enumerate(_lines(ds, py, j)):
                fd.add_trace(fig, {
                    "hovertemplate": f"{s}{elem}<br>%{{x}}: %{{y:.4g}} {unit}<extra></extra>",
                    "legendgroup": str(s),
                    "line": {"color": colors[s], "width": 3 if str(s) == BASELINE else 1.8,
                             "dash": DASHES[e % len(DASHES)]},
                    "name": f"{s}{elem}", "showlegend": k == 0 and e == 0,
                    "x": ds.variables["time"].values, "y": y * scale, "type": "scatter"},
                    row=r, col=c)
        fd.update_axes(fig, "x", r, c, title={"text": _time_title(ds)})
        fd.update_axes(fig, "y", r, c, title={"text": unit})
    n = ds.sizes.get("scenario", 1)
    legend_rows = math.ceil(n / 4)
    fig["layout"].update(height=row_height * rows + 60 + 22 * legend_rows,
                         hovermode="closest", template=fd.template("plotly_white"),
                         legend={"orientation": "h", "yanchor": "bottom", "y": 1.0 + 0.12 / rows,
                                 "x": 0, "title": {"text": "scenario "}},
                         margin={"t": 90 + 22 * legend_rows}, title={"text": title})
    return fd.finish(fig)


def revenue_figure(ds, cols=3):
    """Stacked revenue by business model, one subplot per scenario (None: no such variables)."""
    if not any(py in ds for py, _ in REVENUE_PARTS):
        return None
    scen = list(ds.variables["scenario"].values)
    rows = (len(scen) + cols - 1) // cols
    fig = fd.subplots(rows, cols, [str(s) for s in scen], shared_yaxes=True)
    pal = ["#d62728", "#ff7f0e", "#1f77b4"]
    parts = {py: ds.variables[py].transpose("scenario", "time").values
             for py, _ in REVENUE_PARTS if py in ds}
    for k in range(len(scen)):
        r, c = k // cols + 1, k % cols + 1
        for (py, label), color in zip(REVENUE_PARTS, pal):
            if py not in parts:
                continue
            fd.add_trace(fig, {"legendgroup": label, "line": {"color": color}, "name": label,
                               "showlegend": k == 0, "stackgroup": f"s{k}", "x": ds.variables["time"].values,
                               "y": parts[py][k] / 1e6, "type": "scatter"}, row=r, col=c)
    fd.update_axes(fig, "x", title={"text": _time_title(ds)})
    fd.update_axes(fig, "y", col=1, title={"text": "EUR M/year"})
    fig["layout"].update(height=300 * rows + 80, template=fd.template("plotly_white"),
                         legend={"orientation": "h", "yanchor": "bottom", "y": 1.0 + 0.1 / rows,
                                 "x": 0},
                         title={"text": "Revenue by business model (EUR M/year): collaboration-"
                                        "based (reservation price) and market-based (market price)"})
    return fd.finish(fig)


def risk_figure(ds):
    return grid_figure(ds, [(py, 1, "0-1") for py, _ in RISKS],
                       "Transition risks (seed 001 section 3): myopia, fragmentation, polarization")


def stocks_figure(ds, model):
    items = [(s.py_name, 1, model.variables[s.py_name].units) for s in model.stocks]
    return grid_figure(ds, items, "Every stock of the model", cols=4)


def structure_figure(edges, model):
    """Stock-to-stock influence graph laid out by networkx (Kamada-Kawai), links green (+) or
    red (−), width by measured strength.

    Stocks that feed back into no other stock (pure accumulators such as cumulative profit)
    are left out: they close no loop.
    """
    from .layouts import kamada_kawai

    edges = edges[edges.source != edges.target]
    feeding = set(edges.source)
    edges = edges[edges.target.isin(feeding)]
    nodes = list(dict.fromkeys(s.name for s in model.stocks if s.name in feeding))
    links = [(e.source, e.target) for e in edges.itertuples()
             if e.source in nodes and e.target in nodes]
    pos = kamada_kawai(nodes, links) if len(nodes) > 1 else {n: (0.0, 0.0) for n in nodes}
    if pos is None:  # laid out in the background (first report on a cold cache)
        return pending_figure(STRUCTURE_TITLE, "stock-to-stock structure")
    strength = edges.strength.abs()
    top = strength.max() if len(strength) else 1.0
    anns = []  # set once: plotly re-validates every annotation on each add_annotation
    for e in edges.itertuples():
        if e.source not in pos or e.target not in pos:
            continue
        (x0, y0), (x1, y1) = pos[e.source], pos[e.target]
        width = 0.8 + 3.0 * (abs(e.strength) / top) ** 0.25
        anns.append(dict(x=x1, y=y1, ax=x0, ay=y0, xref="x", yref="y", axref="x", ayref="y",
                         showarrow=True, arrowhead=2, arrowsize=1, arrowwidth=width,
                         standoff=14, startstandoff=14,
                         arrowcolor="#2ca02c" if e.sign > 0 else "#d62728", opacity=0.55,
                         hovertext=f"{e.source} → {e.target} ({'+' if e.sign > 0 else '−'})"))
    for n, (x, y) in pos.items():
        anns.append(dict(x=x, y=y, text=html.escape(n), showarrow=False, bgcolor="#fff7d6",
                         bordercolor="#555", borderwidth=1, borderpad=3,
                         hovertext=model.variables[model.resolve(n)].sector))
    xr, yr = (_padded([float(p[k]) for p in pos.values()]) for k in (0, 1))
    return fd.figure(layout={
        "annotations": anns, "height": 650, "template": fd.template("plotly_white"),
        "title": {"text": STRUCTURE_TITLE},
        "xaxis": {"visible": False, "range": xr}, "yaxis": {"visible": False, "range": yr}})


def _padded(values: list[float], pad: float = 0.12) -> list[float]:
    """An axis range around ``values`` with ``pad`` of their span on each side (a figure of
    annotations alone has no data for plotly to autorange on: it would draw them in the corner
    of its default -1..6 range)."""
    lo, hi = (min(values), max(values)) if values else (0.0, 0.0)
    span = (hi - lo) or 1.0
    return [lo - pad * span, hi + pad * span]


STRUCTURE_TITLE = ("Feedback structure between stocks, measured from the equations "
                   "(green +, red −; width = strength)")


def pending_figure(title: str, what: str) -> dict:
    """A diagram's place while its layout is computed in the background
    (:mod:`ambidex.layout_background`): its title and one line saying so."""
    return fd.note_figure(title, f"The {what} diagram is being laid out in the background "
                                 "(first report of this model): the next report shows it.")


def difference_figure(ds, a: str, b: str):
    """Key outcomes of scenario ``b`` minus scenario ``a`` over time."""
    items = [it for it in key_outcomes(ds) if it[0] in ds]
    if not items:
        return None
    cols = 3
    rows = (len(items) + cols - 1) // cols
    fig = fd.subplots(rows, cols, [f"Δ {_title(ds, py)} ({unit})" for py, _, unit in items])
    common = ds.sel(scenario=[a, b]).dropna("time", how="any")
    for k, (py, scale, _unit) in enumerate(items):
        diff = (common[py].sel(scenario=b) - common[py].sel(scenario=a)) * scale
        fd.add_trace(fig, {"line": {"color": "#9467bd"}, "name": f"{b} − {a}",
                           "showlegend": k == 0, "x": common.time.values, "y": diff.values,
                           "type": "scatter"}, row=k // cols + 1, col=k % cols + 1)
    fd.update_axes(fig, "x", title={"text": _time_title(ds)})
    fig["layout"].update(height=300 * rows, template=fd.template("plotly_white"),
                         title={"text": f"Difference: {b} − {a}"})
    return fd.finish(fig)


def _fmt(v, unit):
    if unit == "EUR M/year":
        return f"EUR {v:,.1f} M"
    if unit in ("share", "1/year"):
        return f"{v:.1%}"
    return f"{v:.2f}"


def story(ds) -> tuple[list[str], str]:
    """The key outcomes in words and as an HTML table (final saved year per scenario, best
    ROA first)."""
    cols = [(py, sc, unit) for py, sc, unit in STORY_COLUMNS if py in ds]
    last = _last_values(ds, {"roa", "total_revenue"} | {py for py, _, _ in cols})
    rank = sorted(last, key=lambda s: -float(last[s][1]["roa"]) if "roa" in ds else 0)
    lines = []
    if "roa" in ds and len(rank) > 1:
        b, w = rank[0], rank[-1]
        lines.append(f"Highest return on assets at the end of the run: <b>{html.escape(b)}</b> "
                     f"({_fmt(float(last[b][1]['roa']), 'share')} in {last[b][0]:.0f}); lowest: "
                     f"<b>{html.escape(w)}</b> ({_fmt(float(last[w][1]['roa']), 'share')}).")
    if BASELINE in last and "total_revenue" in ds and len(last) > 1:
        base = float(last[BASELINE][1]["total_revenue"])
        diffs = {s: float(v["total_revenue"]) / base - 1 for s, (_, v) in last.items() if s != BASELINE}
        lower = [s for s, d in diffs.items() if d < 0]
        worst = min(diffs, key=diffs.get)
        lines.append(f"Against {BASELINE} (revenue EUR {base / 1e6:,.1f} M a year at the end), "
                     f"{len(lower)} of {len(diffs)} scenarios end with less revenue; the largest "
                     f"gap: <b>{html.escape(worst)}</b> ({diffs[worst]:+.0%}).")
    risks = [(py, label) for py, label in RISKS if py in ds]
    if risks and len(last) > 1:
        parts = []
        for py, label in risks:
            peak = ds[py].max("time")
            s = str(peak.idxmax("scenario").values)
            parts.append(f"{label.lower()} peaks in <b>{html.escape(s)}</b> ({float(peak.sel(scenario=s)):.2f})")
        lines.append("Transition risks (0 none, 1 severe): " + "; ".join(parts) + ".")
    head = "".join(f"<th>{html.escape(label)}</th>" for _, _, label in cols)
    body = "".join(
        f"<tr{' class=base' if s == BASELINE else ''}><td>{html.escape(s)}</td>"
        + "".join(f"<td class=num>{_fmt(float(last[s][1][py]) * sc, unit)}</td>"
                  for py, sc, (unit) in ((c[0], c[1], STORY_UNITS[c[0]]) for c in cols))
        + "</tr>" for s in rank)
    table = f"<table class=story><tr><th>scenario</th>{head}</tr>{body}</table>"
    return lines, table


def _last_values(ds, names) -> dict:
    """{scenario: (last time, {py: value})} for ``names`` in ``ds``: the values at each
    scenario's last time at which any data variable has a value (as
    ``ds.sel(scenario=s).dropna("time", how="all").isel(time=-1)``, without building it)."""
    time = ds["time"].values
    have = np.zeros((ds.sizes["scenario"], len(time)), dtype=bool)
    for name in ds.data_vars:
        v = ds.variables[name]
        if "time" in v.dims and "scenario" in v.dims:
            a = ~np.isnan(np.asarray(v.transpose("scenario", "time", ...).values, dtype=float))
            have |= a.reshape(a.shape[0], a.shape[1], -1).any(axis=2)
    out = {}
    for j, s in enumerate(ds.scenario.values):
        k = int(np.flatnonzero(have[j])[-1])
        out[str(s)] = (float(time[k]), {py: ds.variables[py].transpose("scenario", "time").values[j, k]
                                        for py in names if py in ds})
    return out


STORY_COLUMNS = [("total_revenue", 1e-6, "revenue (EUR M/year)"),
                 ("roa", 1, "return on assets"),
                 ("collaboration_share_of_revenue", 1, "revenue from collaboration"),
                 ("exploration_share", 1, "team time exploring"),
                 ("relationship_trust", 1, "customer trust (0-1)"),
                 ("ambidexterity_balance", 1, "ambidexterity balance (0-1)")]
STORY_UNITS = {"total_revenue": "EUR M/year", "roa": "1/year", "collaboration_share_of_revenue": "share",
               "exploration_share": "share", "relationship_trust": "0-1", "ambidexterity_balance": "0-1"}
KEY_PANELS = [("total_revenue", 1e-6, "EUR M/year"), ("roa", 1, "1/year"),
              ("collaboration_share_of_revenue", 1, "share"), ("ambidexterity_balance", 1, "0-1")]


def _fig_html(fig, first: bool) -> str:
    return fd.to_html(fig, include_plotlyjs=first)


def build_report(ds, model, edges=None, title="ambidex scenario report", extra_figures=(),
                 loop_scores=None) -> str:
    """Self-contained HTML for a results Dataset (dims scenario, time), written for a manager:
    first one page of key outcomes (the story in words, a table, four charts), then the
    feedback loops that drive them (``loop_scores``: ``(scenario name, Loops That Matter
    Dataset)``, named after ``<model>.loops.toml``), then details and provenance folded away.
    ``extra_figures`` (e.g. a difference figure) come right after the key outcomes."""
    lines, table = story(ds)
    panels = [it for it in KEY_PANELS if it[0] in ds] or key_outcomes(ds)[:4]
    key = [grid_figure(ds, panels, "Key outcomes over time", cols=2, row_height=330),
           *extra_figures]
    key = [f for f in key if f is not None]
    loop_figs, loop_html = _loop_sections(model, loop_scores)
    first = [True]

    def emit(fig):
        out = _fig_html(fig, first[0])
        first[0] = False
        return out

    key_html = "".join(emit(f) for f in key)
    loops_figs = "".join(emit(f) for f in loop_figs)
    detail_html = "".join(emit(f) for f in _detail_figures(ds, model, edges))
    srcs = "".join(
        f"<tr><td>{html.escape(str(s))}</td><td>{html.escape(str(src))}</td></tr>"
        for s, src in zip(ds.scenario.values, ds.scenario_source.values))
    prov = _provenance_text(ds)
    t0, t1 = float(ds.time.values[0]), float(ds.time.values[-1])
    story_html = "".join(f"<li>{x}</li>" for x in lines)
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:system-ui,sans-serif;margin:1.5em auto;max-width:1200px;color:#222}}
td,th{{padding:3px 10px;vertical-align:top;text-align:left}} td.num{{text-align:right}}
table.story tr.base{{font-weight:bold}} table{{border-collapse:collapse}} tr:nth-child(even){{background:#f6f6f6}}
.lead{{font-size:1.1em}} details{{margin:1em 0}} summary{{cursor:pointer;font-weight:bold;font-size:1.1em}}
pre{{background:#f4f4f4;padding:8px;white-space:pre-wrap}}</style>
<script>document.addEventListener("toggle",function(){{window.dispatchEvent(new Event("resize"))}},true);</script>
</head>
<body><h1>{html.escape(title)}</h1>
<p class=lead>{len(ds.scenario)} scenario(s) of {html.escape(model.path.name)}, {t0:.0f}–{t1:.0f}.</p>
<h2>Key outcomes</h2>
<ul class=lead>{story_html}</ul>
<p>At the end of the run{_table_note(ds)}:</p>{table}
{key_html}
<h2>Feedback loops: why it happens</h2>
{loop_html}
{loops_figs}
<details><summary>More charts: revenue by business model, exploration and exploitation, trust, risks, every stock</summary>
{detail_html}</details>
<details><summary>Scenarios and the seed passage each represents</summary>
<table><tr><th>scenario</th><th>seed passage it represents</th></tr>{srcs}</table></details>
<details><summary>Provenance (model file and hash, solver, library versions)</summary><pre>{prov}</pre></details>
</body></html>
"""


def _table_note(ds) -> str:
    """How the end-of-run table is ordered and marked, for the columns and scenarios it has."""
    notes = (["best return on assets first"] if "roa" in ds else []) + (
        [f"{BASELINE} in bold"] if BASELINE in [str(s) for s in ds.scenario.values] else [])
    return f" ({'; '.join(notes)})" if notes else ""


def _loop_sections(model, loop_scores) -> tuple[list, str]:
    """(figures, HTML) of the report's loops part: the named loops' diagram, their dominance
    in ``loop_scores``' scenario with sentences, and their table; nothing without named loops."""
    from . import report_loops as rl

    loops = rl.named_loops(model)
    if not loops:
        return [], ""
    figs, loop_html = [rl.loop_diagram(model, loops)], ""
    if loop_scores is not None and loop_scores[1] is None:  # deferred to the background
        loop_html = (f"<p>Loop dominance of scenario <b>{html.escape(loop_scores[0])}</b> is "
                     "being computed in the background: the next <code>ambidex run</code> "
                     "report shows it, and <code>ambidex loops "
                     f"{html.escape(loop_scores[0])}</code> shows it now.</p>")
    elif loop_scores is not None:
        name, lds = loop_scores
        figs.append(rl.dominance_figure(lds, loops, name))
        sent = rl.dominance_sentences(lds, loops)
        if sent:
            loop_html = (f"<p>In scenario <b>{html.escape(name)}</b>:</p><ul>"
                         + "".join(f"<li>{html.escape(x)}</li>" for x in sent) + "</ul>")
    return [f for f in figs if f is not None], loop_html + rl.loops_table_html(loops)


def _detail_figures(ds, model, edges) -> list:
    """The folded-away charts: revenue, exploration and exploitation, trust, risks, every key
    outcome, every stock, and the structure diagram when ``edges`` are given."""
    details = [
        revenue_figure(ds),
        grid_figure(ds, [("exploration_share", 1, "share"), ("exploitation_share", 1, "share"),
                         ("ambidexterity_balance", 1, "0-1"), ("ambidexterity_combined", 1, "0-1")],
                    "Exploration vs exploitation and ambidexterity (He and Wong 2004)", cols=2),
        grid_figure(ds, [("relationship_trust", 1, "0-1"), ("cognitive_proximity", 1, "0-1"),
                         ("novelty_multiplier", 1, "0-1")], "Trust and proximity"),
        risk_figure(ds),
        grid_figure(ds, key_outcomes(ds), "All key outcomes"),
        stocks_figure(ds, model),
    ]
    if edges is not None and len(edges):
        details.append(structure_figure(edges, model))
    return [f for f in details if f is not None]


def _provenance_text(ds) -> str:
    """The run's provenance attributes as escaped, indented JSON (JSON-valued ones parsed)."""
    def plain(v):
        try:
            return json.loads(v) if isinstance(v, str) and v[:1] in "[{" else v
        except ValueError:
            return v

    return html.escape(json.dumps({k: plain(ds.attrs[k]) for k in (
        "model_path", "model_sha256", "backend", "solver", "versions", "created_utc") if k in ds.attrs},
        indent=1))
