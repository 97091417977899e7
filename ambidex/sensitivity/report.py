"""One self-contained HTML report (plotly) of a sensitivity Dataset: index bars with confidence
intervals, Morris mu*-sigma, Sobol' S2, time-resolved heatmaps, Monte Carlo fan charts and the
PRIM/CART coverage-density trade-off."""

from __future__ import annotations

import html
import json

PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd")


def _grid(n, cols=2):
    return (n + cols - 1) // cols, min(cols, n)


def index_figure(ds):
    """Bars per output: S1 and ST (Sobol'/FAST), mu* (Morris), delta, PAWN median; CIs."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    if "output" not in ds.dims:
        return None
    bars = [(v, f"{v}_conf") for v in ("S1", "ST", "mu_star", "delta") if v in ds]
    if "pawn_median" in ds:
        bars.append(("pawn_median", None))
    if not bars:
        return None
    outs = [str(o) for o in ds.output.values]
    rows, cols = _grid(len(outs))
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=outs)
    params = [str(p) for p in ds.parameter.values]
    for k, o in enumerate(outs):
        for j, (v, c) in enumerate(bars):
            err = None
            if c and c in ds:
                err = {"type": "data", "array": ds[c].sel(output=o).values, "visible": True}
            fig.add_trace(go.Bar(x=params, y=ds[v].sel(output=o).values, name=v, error_y=err,
                                 marker_color=PALETTE[j % len(PALETTE)], showlegend=(k == 0),
                                 legendgroup=v), row=k // cols + 1, col=k % cols + 1)
    fig.update_layout(title=f"Sensitivity indices ({ds.attrs.get('method', '')}, "
                            f"{ds.attrs.get('runs', '?')} runs; bars: {int(100 * ds.attrs.get('method_conf_level', 0.95))} % CI)",
                      barmode="group", height=360 * rows)
    return fig


def morris_figure(ds):
    import plotly.graph_objects as go

    if "mu_star" not in ds or "output" not in ds.dims:
        return None
    fig = go.Figure()
    for _j, o in enumerate(ds.output.values):
        fig.add_trace(go.Scatter(x=ds.mu_star.sel(output=o).values, y=ds.sigma.sel(output=o).values,
                                 mode="markers+text", text=[str(p) for p in ds.parameter.values],
                                 textposition="top center", name=str(o),
                                 error_x={"type": "data", "array": ds.mu_star_conf.sel(output=o).values}))
    fig.update_layout(title="Morris screening: μ* (overall influence) vs σ (interaction / "
                            "non-linearity)", xaxis_title="μ*", yaxis_title="σ", height=520)
    return fig


def s2_figure(ds):
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    if "S2" not in ds:
        return None
    outs = [str(o) for o in ds.output.values]
    rows, cols = _grid(len(outs))
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=outs)
    params = [str(p) for p in ds.parameter.values]
    for k, o in enumerate(outs):
        fig.add_trace(go.Heatmap(z=ds.S2.sel(output=o).values, x=params, y=params,
                                 coloraxis="coloraxis"), row=k // cols + 1, col=k % cols + 1)
    fig.update_layout(title="Second-order Sobol' indices S2 (pairwise interactions)",
                      coloraxis={"colorscale": "Viridis"}, height=420 * rows)
    return fig


def time_figure(ds):
    """Heatmap parameter x time of the total (or first-order / mu*) index per trajectory."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    if "series" not in ds.dims:
        return None
    v = next((v for v in ("ST_t", "S1_t", "mu_star_t", "delta_t", "pawn_median_t") if v in ds), None)
    if v is None:
        return None
    series = [str(s) for s in ds.series.values]
    fig = make_subplots(rows=len(series), cols=1, subplot_titles=series)
    for k, s in enumerate(series):
        fig.add_trace(go.Heatmap(z=ds[v].sel(series=s).values, x=ds.time.values,
                                 y=[str(p) for p in ds.parameter.values], coloraxis="coloraxis"),
                      row=k + 1, col=1)
    fig.update_layout(title=f"Time-resolved indices ({v[:-2]} at each time)",
                      coloraxis={"colorscale": "Viridis"}, height=420 * len(series))
    return fig


def fan_figure(ds):
    """Monte Carlo fan chart per variable: outer and inner percentile bands and the median."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    if "mc_band" not in ds:
        return None
    names = [str(v) for v in ds.variable.values]
    rows, cols = _grid(len(names))
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=names)
    pct = ds.percentile.values
    t = ds.mc_time.values
    n = len(pct)
    for k, name in enumerate(names):
        r, c = k // cols + 1, k % cols + 1
        band = ds.mc_band.sel(variable=name).values
        for i in range(n // 2):
            lo, hi = band[i], band[n - 1 - i]
            label = f"{pct[i]:g}–{pct[n - 1 - i]:g} %"
            fig.add_trace(go.Scatter(x=t, y=hi, line={"width": 0}, showlegend=False,
                                     legendgroup=label, hoverinfo="skip"), row=r, col=c)
            fig.add_trace(go.Scatter(x=t, y=lo, line={"width": 0}, fill="tonexty",
                                     fillcolor=f"rgba(31,119,180,{0.2 + 0.2 * i})", name=label,
                                     legendgroup=label, showlegend=(k == 0)), row=r, col=c)
        if n % 2:
            fig.add_trace(go.Scatter(x=t, y=band[n // 2], line={"color": "#1f77b4"},
                                     name=f"median ({pct[n // 2]:g} %)", showlegend=(k == 0)),
                          row=r, col=c)
    fig.update_layout(title=f"Monte Carlo uncertainty ({ds.attrs.get('mc_samples', '?')} "
                            "Latin-hypercube runs): percentile bands", height=320 * rows)
    return fig


def discovery_figure(ds):
    import plotly.graph_objects as go

    if "box_coverage" not in ds:
        return None
    chosen = int(ds.attrs.get("discovery_chosen_box", 0))
    fig = go.Figure(go.Scatter(
        x=ds.box_coverage.values, y=ds.box_density.values, mode="markers",
        marker={"color": ds.box_restricted.values, "colorscale": "Viridis", "size": 9,
                "colorbar": {"title": "restricted<br>parameters"}},
        text=[f"box {b}: mass {m:.2f}" for b, m in zip(ds.box.values, ds.box_mass.values)],
        name="boxes"))
    fig.add_trace(go.Scatter(x=[float(ds.box_coverage[chosen])], y=[float(ds.box_density[chosen])],
                             mode="markers", marker={"symbol": "circle-open", "size": 18,
                                                     "color": "red"}, name=f"chosen box {chosen}"))
    d = ds.attrs
    fig.update_layout(
        title=f"Scenario discovery ({d.get('discovery_method', '')}): cases = "
              f"{d.get('discovery_output', '')} {d.get('discovery_direction', '')} "
              f"{d.get('discovery_threshold', '')}; coverage vs density",
        xaxis_title="coverage", yaxis_title="density", height=480)
    return fig


def _box_table(ds) -> str:
    if "box_coverage" not in ds:
        return ""
    b = int(ds.attrs.get("discovery_chosen_box", 0))
    rows = "".join(
        f"<tr><td>{html.escape(str(p))}</td><td>{ds.box_lower.sel(box=b, parameter=p).item():.4g}</td>"
        f"<td>{ds.box_upper.sel(box=b, parameter=p).item():.4g}</td></tr>" for p in ds.parameter.values)
    return (f"<h2>Chosen box {b}: coverage {ds.box_coverage[b].item():.2f}, density "
            f"{ds.box_density[b].item():.2f}, mass {ds.box_mass[b].item():.2f}</h2>"
            f"<table><tr><th>parameter</th><th>lower</th><th>upper</th></tr>{rows}</table>")


def build_report(ds, title: str | None = None) -> str:
    """Self-contained HTML (plotly.js inlined once) for a sensitivity Dataset."""
    import plotly.io as pio

    title = title or f"ambidex sensitivity: {ds.attrs.get('spec_name', '')}"
    figs = [f for f in (index_figure(ds), morris_figure(ds), s2_figure(ds), time_figure(ds),
                        fan_figure(ds), discovery_figure(ds)) if f is not None]
    parts = [pio.to_html(f, full_html=False, include_plotlyjs=(i == 0),
                         config={"displaylogo": False}) for i, f in enumerate(figs)]
    dists = "".join(f"<tr><td>{html.escape(k[len('distribution '):])}</td><td>{html.escape(str(v))}</td></tr>"
                    for k, v in ds.attrs.items() if k.startswith("distribution "))
    outs = "".join(f"<tr><td>{html.escape(k[len('output '):])}</td><td>{html.escape(str(v))}</td></tr>"
                   for k, v in ds.attrs.items() if k.startswith("output "))
    prov = html.escape(json.dumps({k: ds.attrs[k] for k in (
        "method", "samples", "runs", "seed", "model_path", "model_sha256", "scenario", "solver",
        "created_utc") if k in ds.attrs}, indent=1, default=str))
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;margin:1.5em}} td{{padding:2px 8px;vertical-align:top}}
pre{{background:#f4f4f4;padding:8px;white-space:pre-wrap}}</style></head>
<body><h1>{html.escape(title)}</h1>
<h2>Parameters</h2><table><tr><th>parameter</th><th>distribution</th></tr>{dists}</table>
{"<h2>Outputs</h2><table><tr><th>output</th><th>statistic</th></tr>" + outs + "</table>" if outs else ""}
{''.join(parts)}
{_box_table(ds)}
<h2>Provenance</h2><pre>{prov}</pre>
</body></html>
"""
