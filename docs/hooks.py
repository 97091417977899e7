"""MkDocs hooks.

* The CLI reference is generated from the Typer app, so it cannot drift; the evidence ledger
  page from the shipped case-firm history calibration.
* ``<!-- figure: NAME -->`` in a page is replaced by a plotly figure computed at build time from
  a real run of the package (no pasted images): the figures below are what the tutorials'
  commands produce.  plotly.js is copied into the site once (``assets/js/plotly.min.js``).
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import click
import typer

FIGURE = re.compile(r"<!--\s*figure:\s*([a-z_]+)\s*-->")
_CACHE: dict[str, str] = {}
_TIMES: dict[str, float] = {}


def cli_reference() -> str:
    from ambidex.cli import app

    group = typer.main.get_command(app)
    ctx = click.Context(group, info_name="ambidex")
    lines = ["# Command line", "", "Generated from the commands themselves at build time.", ""]
    lines += ["```text", group.get_help(ctx), "```", ""]
    for name in sorted(group.list_commands(ctx)):
        cmd = group.get_command(ctx, name)
        sub = click.Context(cmd, info_name=f"ambidex {name}", parent=ctx)
        lines += [f"## ambidex {name}", "", "```text", cmd.get_help(sub), "```", ""]
    return "\n".join(lines)


def evidence_ledger() -> str:
    """The evidence ledger of the shipped case-firm history calibration."""
    from ambidex.calibrate.ledger import docs_page
    root = Path(__file__).resolve().parents[1]
    return docs_page(root / "scenarios" / "data" / "case_firm_history.toml",
                     root / "scenarios" / "case_firm_history.toml")


def on_pre_build(config, **kwargs):
    for name, make in (("cli.md", cli_reference), ("ledger.md", evidence_ledger)):
        target = Path(config["docs_dir"]) / "reference" / name
        text = make()
        if not target.exists() or target.read_text() != text:
            target.write_text(text)


# ----------------------------------------------------------------------------- figures
def _model():
    import ambidex
    return ambidex.load_model()


def fig_workshop_scenarios():
    """Key outcomes of four scenarios a workshop compares."""
    import ambidex
    from ambidex.report import KEY_PANELS, grid_figure

    ds = ambidex.simulate(_model(), ["baseline_dual", "fragmentation", "myopia", "market_only"])
    return grid_figure(ds, KEY_PANELS, "baseline_dual against three strategies", cols=2, row_height=300)


def fig_workshop_lever():
    """One lever swept: selectivity from 0.1 to 0.8 (ensemble), ROA over time."""
    import numpy as np
    import plotly.graph_objects as go

    import ambidex
    levels = np.round(np.linspace(0.1, 0.8, 8), 2)
    ens = ambidex.ensemble(_model(), samples={"selectivity": levels}, variables=["roa"])
    fig = go.Figure()
    for i, s in enumerate(levels):
        fig.add_trace(go.Scatter(x=ens.time.values, y=ens.roa.isel(sample=i).values, name=f"{s:g}",
                                 line={"color": f"rgba(31,119,180,{0.25 + 0.75 * i / (len(levels) - 1):.2f})"}))
    fig.update_layout(title="Return on assets as the firm turns down more customer requests",
                      xaxis_title="year", yaxis_title="ROA (1/year)", legend_title_text="selectivity",
                      template="plotly_white", height=420)
    return fig


def fig_loop_diagram():
    from ambidex.report_loops import loop_diagram
    return loop_diagram(_model())


def _calibration():
    import ambidex
    if "fit" not in _CACHE:
        _CACHE["fit"] = ambidex.calibrate(_model(), "scenarios/data/case_firm.toml", n_starts=2,
                                          profile=False, seed=0)
    return _CACHE["fit"]


def fig_calibration_fit():
    """Each case-firm target: the datum with its uncertainty and the fitted model value."""
    import plotly.graph_objects as go

    res = _calibration()
    tt = res.targets_table
    fig = go.Figure()
    fig.add_trace(go.Bar(x=list(tt.index), y=tt["data"], name="data (seed)", marker_color="#7f7f7f"))
    fig.add_trace(go.Bar(x=list(tt.index), y=tt["fitted"], name="model, fitted", marker_color="#1f77b4"))
    fig.update_layout(barmode="group", title=f"Case-firm targets: data and fit (chi² {res.cost:.3g})",
                      yaxis_title="value in the target's own units", template="plotly_white", height=420)
    return fig


def fig_calibration_estimates():
    """Estimates with 95 % intervals, relative to the parameter table's default."""
    import plotly.graph_objects as go

    res = _calibration()
    est = res.estimates_frame()
    m = _model()
    names, mid, lo, hi = [], [], [], []
    for name, row in est.iterrows():
        d = m.resolve_parameter(name).default or 1.0
        names.append(name)
        mid.append(row["estimate"] / d)
        lo.append((row["estimate"] - row["lower95"]) / d)
        hi.append((row["upper95"] - row["estimate"]) / d)
    fig = go.Figure(go.Scatter(x=mid, y=names, mode="markers", marker={"size": 11},
                               error_x={"type": "data", "array": hi, "arrayminus": lo}))
    fig.add_vline(x=1.0, line_dash="dot", line_color="#999")
    fig.update_layout(title="Estimates / default value, with 95 % intervals", xaxis_title="estimate / default",
                      template="plotly_white", height=360, margin={"l": 220})
    return fig


def fig_sensitivity_indices():
    """Sobol' total indices of a small spec (three levers, two outputs)."""
    import plotly.graph_objects as go

    import ambidex
    spec = {"name": "docs_sobol", "seed": 1, "scenario": "baseline_dual",
            "method": {"name": "sobol", "samples": 128, "second_order": False},
            "parameters": [{"name": "selectivity", "lower": 0.1, "upper": 0.6},
                           {"name": "intended exploration share", "lower": 0.3, "upper": 0.9},
                           {"name": "trust build time", "lower": 2.0, "upper": 8.0}],
            "outputs": [{"variable": "ROA", "statistic": "mean", "start": 2017.0, "end": 2021.0},
                        {"variable": "Relationship Trust", "statistic": "final"}]}
    ds = ambidex.sensitivity(_model(), spec)
    fig = go.Figure()
    for out in ds.output.values:
        st = ds.ST.sel(output=out)
        fig.add_trace(go.Bar(x=[str(p) for p in st.parameter.values], y=st.values, name=str(out),
                             error_y={"type": "data", "array": ds.ST_conf.sel(output=out).values}))
    fig.update_layout(barmode="group", title=f"Sobol' total-order indices ({ds.attrs.get('runs', '?')} runs)",
                      yaxis_title="ST (share of output variance, with interactions)",
                      template="plotly_white", height=420)
    return fig


def fig_own_model_teacup():
    """A model that is not ours: the SDXorg teacup, compiled engine vs its Vensim output."""
    import pandas as pd
    import plotly.graph_objects as go

    import ambidex
    root = Path(__file__).resolve().parents[1] / "tests" / "data" / "sdxorg-test-models" / "samples" / "teacup"
    m = ambidex.load_model(root / "teacup.mdl")
    ds = ambidex.simulate(m, method="euler")
    ref = pd.read_csv(root / "output.csv")
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=ref["Time"], y=ref["Teacup Temperature"], mode="markers",
                             name="Vensim (output.csv)", marker={"color": "#7f7f7f", "size": 6}))
    fig.add_trace(go.Scatter(x=ds.time.values, y=ds.teacup_temperature.isel(scenario=0).values,
                             name="ambidex.simulate (euler)", line={"color": "#d62728"}))
    fig.update_layout(title="teacup.mdl: Teacup Temperature", xaxis_title="time (Minute)",
                      yaxis_title="degrees Fahrenheit", template="plotly_white", height=380)
    return fig


FIGURES = {name[4:]: f for name, f in globals().items() if name.startswith("fig_")}


def figure_html(name: str) -> str:
    if name not in FIGURES:
        raise KeyError(f"unknown docs figure '{name}'; known: {', '.join(sorted(FIGURES))}")
    if name not in _CACHE:
        import plotly.io as pio

        t0 = time.perf_counter()
        fig = FIGURES[name]()
        _CACHE[name] = pio.to_html(fig, full_html=False, include_plotlyjs=False,
                                   config={"displaylogo": False, "responsive": True})
        _TIMES[name] = time.perf_counter() - t0
    return f'<div class="ambidex-figure">{_CACHE[name]}</div>'


def on_page_markdown(markdown, page, config, files, **kwargs):
    if not FIGURE.search(markdown):
        return markdown
    depth = page.url.rstrip("/").count("/") + 1 if page.url else 0
    script = f'<script src="{"../" * depth}assets/js/plotly.min.js"></script>\n'
    first = FIGURE.search(markdown).start()
    markdown = markdown[:first] + script + markdown[first:]
    return FIGURE.sub(lambda m: figure_html(m.group(1)), markdown)


def on_post_build(config, **kwargs):
    from plotly.offline import get_plotlyjs

    target = Path(config["site_dir"]) / "assets" / "js" / "plotly.min.js"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(get_plotlyjs(), encoding="utf-8")
