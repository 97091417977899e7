"""Outputs of a calibration: an xarray Dataset, a plotly HTML fit report, scenario TOML files."""

from __future__ import annotations

import html
import json

import numpy as np
import xarray as xr

from ..core.elements import split
from ..core.provenance import stamp


def to_dataset(result) -> xr.Dataset:
    """Estimates, intervals, correlations, per-target fit, fitted trajectories, bands, samples."""
    p = result.problem
    names = list(p.names)
    tt = result.targets_table
    ds = xr.Dataset(coords={"parameter": names, "parameter_2": names,
                            "target": list(tt.index), "scenario": list(result.trajectories),
                            "time": p.times, "quantile": list(result.band_quantiles)})
    par = lambda a: (("parameter",), np.asarray(a, float))  # noqa: E731
    ds["estimate"] = par([result.estimates[n] for n in names])
    ds["std_error"] = par([result.std_errors[n] for n in names])
    ds["lower95"] = par([result.intervals[n][0] for n in names])
    ds["upper95"] = par([result.intervals[n][1] for n in names])
    ds["start_value"] = par(p.x0)
    ds["lower_bound"] = par(p.lower)
    ds["upper_bound"] = par(p.upper)
    ds["correlation"] = (("parameter", "parameter_2"), np.asarray(result.correlation, float))
    ds["covariance"] = (("parameter", "parameter_2"), np.asarray(result.covariance, float))
    ds = ds.assign_coords(parameter_units=("parameter", [f.units for f in p.free]))
    for col in ("fitted", "residual", "chi2", "contribution", "normalised_residual"):
        ds[f"target_{col}"] = (("target",), tt[col].astype(float).to_numpy())
    ds["target_data"] = (("target",), [float(t.data.mean()) if t.kind != "range" else np.nan
                                       for t in p.targets])
    ds["target_lower"] = (("target",), [float(t.data[0]) if t.kind == "range" else np.nan
                                        for t in p.targets])
    ds["target_upper"] = (("target",), [float(t.data[1]) if t.kind == "range" else np.nan
                                        for t in p.targets])
    ds = ds.assign_coords(target_kind=("target", [t.kind for t in p.targets]),
                          target_units=("target", [t.units for t in p.targets]),
                          target_scenario=("target", [t.scenario for t in p.targets]),
                          target_source=("target", [t.source for t in p.targets]))
    for key in ("U_M", "U_S", "U_C", "MAPE", "R2"):
        if key in tt:
            ds[f"target_{key}"] = (("target",), tt[key].astype(float).to_numpy())
    ds = _trajectories(ds, result)
    ds = _samples_and_profiles(ds, result, par)
    ds["time"].attrs = {"units": p.model.time_units, "long_name": "time"}
    ds.attrs = stamp(p.model, method=result.method, cost=float(result.cost),
                     success=int(bool(result.success)), message=str(result.message),
                     targets_file=str(p.targets.path or ""), targets_name=p.targets.name,
                     targets_source=p.targets.source, seed=int(result.seed),
                     free_parameters=json.dumps(names), warnings=json.dumps(result.warnings),
                     solver=json.dumps({"method": p.method, "rtol": p.rtol, "atol": p.atol}),
                     runs=int(p.n_evals), wall_time_s=float(result.wall_time),
                     degrees_of_freedom=int(result.dof),
                     n_constraints=int(result.n_constraints),
                     **{f"hold_out_{k}": v for k, v in (result.hold_out or {}).items()
                        if isinstance(v, (int, float, str)) and not isinstance(v, bool)},
                     **{k: v for k, v in result.info.items()
                        if isinstance(v, (int, float, str))})
    return ds


def _trajectories(ds: xr.Dataset, result) -> xr.Dataset:
    """``ds`` with the fitted trajectories and bands: one variable per model variable, dims
    (scenario, time) and (quantile, scenario, time)."""
    p = result.problem
    pys = sorted({py for s in result.trajectories.values() for py in s})
    S, T, Q = len(result.trajectories), p.times.size, len(result.band_quantiles)
    for py in pys:
        fit = np.full((S, T), np.nan)
        band = np.full((Q, S, T), np.nan)
        for i, (sc, d) in enumerate(result.trajectories.items()):
            if py in d:
                fit[i] = d[py]
            if sc in result.bands and py in result.bands[sc]:
                band[:, i] = result.bands[sc][py]
        base, elems = split(py)  # one element of a subscripted variable: 'population[North]'
        var = p.model.variables[base]
        attrs = {"units": var.units,
                 "long_name": var.name + (f"[{', '.join(elems)}]" if elems else "")}
        ds[f"fit_{py}"] = (("scenario", "time"), fit, attrs)
        if result.bands:
            ds[f"band_{py}"] = (("quantile", "scenario", "time"), band, attrs)
    return ds


def _samples_and_profiles(ds: xr.Dataset, result, par) -> xr.Dataset:
    """``ds`` with the series data, the posterior samples (MCMC) and the profile likelihoods."""
    p, names = result.problem, list(result.problem.names)
    for t in p.targets:
        if t.kind == "series":
            dim = f"time_{t.key}"
            ds[f"data_{t.key}"] = ((dim,), t.data, {"units": t.units})
            ds = ds.assign_coords({dim: t.times})
    if result.samples is not None:
        ds["posterior"] = (("sample", "parameter"), result.samples)
        ds["log_prob"] = (("sample",), result.log_prob)
    if result.profile:
        n = max(q.values.size for q in result.profile)
        g = np.full((len(names), n), np.nan)
        c = np.full((len(names), n), np.nan)
        for j, q in enumerate(result.profile):
            g[j, :q.values.size], c[j, :q.values.size] = q.values, q.chi2
        ds["profile_value"] = (("parameter", "profile_point"), g,
                               {"long_name": "profile grid (natural units), others re-fitted"})
        ds["profile_chi2"] = (("parameter", "profile_point"), c)
        ds["profile_lower95"] = par([np.nan if q.lower is None else q.lower for q in result.profile])
        ds["profile_upper95"] = par([np.nan if q.upper is None else q.upper for q in result.profile])
        ds = ds.assign_coords(profile_status=("parameter", [q.status for q in result.profile]))
    return ds


# ------------------------------------------------------------------------------ report
def _fmt(v) -> str:
    if isinstance(v, (float, np.floating)):
        return f"{v:.4g}"
    return html.escape(str(v))


def _table(rows: list[dict], cols: list[str]) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
    body = "".join("<tr>" + "".join(f"<td>{_fmt(r.get(c, ''))}</td>" for c in cols) + "</tr>"
                   for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _target_figure(result, t, values_band):
    import plotly.graph_objects as go

    p = result.problem
    fig = go.Figure()
    sc = t.scenario
    traj = result.trajectories.get(sc, {})
    if t.kind == "parameter":
        f_idx = [f.py for f in p.free]
        est = result.estimates[p.free[f_idx.index(t.py)].name] if t.py in f_idx else None
        fig.add_trace(go.Bar(x=["data", "model"], y=[t.data[0], result.targets_table.loc[t.key, "fitted"]],
                             error_y=dict(type="data", array=[t.sigma[0], 0]), name=t.key))
        fig.update_layout(title=f"{t.key}: parameter '{t.parameter}'" +
                          ("" if est is not None else " (not free)"), yaxis_title=t.units)
        return fig
    y = traj.get(t.py)
    if y is None:
        return None
    scale = 1.0 / t.factor
    if t.kind == "ratio":
        with np.errstate(divide="ignore", invalid="ignore"):
            y = y / traj[t.py_den]
    band = result.bands.get(sc, {})
    level = t.kind != "sum" and t.since is None  # a sum or a change is not the trajectory's level
    if t.kind != "ratio" and t.py in band and level:
        q = band[t.py] * scale
        fig.add_trace(go.Scatter(x=p.times, y=q[-1], line=dict(width=0), showlegend=False,
                                 hoverinfo="skip"))
        fig.add_trace(go.Scatter(x=p.times, y=q[0], fill="tonexty", line=dict(width=0),
                                 fillcolor="rgba(31,119,180,0.2)",
                                 name=f"band {result.band_quantiles[0]:g}-{result.band_quantiles[-1]:g}"))
    if level:
        fig.add_trace(go.Scatter(x=p.times, y=y * scale, name="model", line=dict(color="#1f77b4")))
    err = dict(type="data", array=np.broadcast_to(t.sigma, (t.n,)).tolist()) if t.se is not None else None
    if t.kind == "series":
        fig.add_trace(go.Scatter(x=t.times, y=t.data, mode="markers", name="data", error_y=err,
                                 marker=dict(color="#d62728")))
    elif t.kind == "range":
        x0, x1 = (t.since or t.time, t.time) if t.time is not None else (t.start, t.end)
        fig.add_shape(type="rect", x0=x0 - (0.1 if x0 == x1 else 0), x1=x1 + (0.1 if x0 == x1 else 0),
                      y0=t.data[0], y1=t.data[1], fillcolor="rgba(214,39,40,0.2)", line_width=1)
        fig.add_trace(go.Scatter(x=[(x0 + x1) / 2], y=[result.targets_table.loc[t.key, "fitted"]],
                                 mode="markers", name="model (target statistic)"))
    else:
        x = t.time if t.time is not None else (t.start + t.end) / 2
        xe = None if t.time is not None else dict(type="constant", value=(t.end - t.start) / 2)
        fig.add_trace(go.Scatter(x=[x], y=[t.data[0]], mode="markers", name=f"data ({t.kind})",
                                 error_y=err, error_x=xe, marker=dict(color="#d62728", size=10)))
        fig.add_trace(go.Scatter(x=[x], y=[result.targets_table.loc[t.key, "fitted"]],
                                 mode="markers", name=f"model ({t.kind})",
                                 marker=dict(symbol="x", size=10, color="#1f77b4")))
    ylab = t.units + ("" if level else " (trajectory not shown for a sum or a change)")
    fig.update_layout(title=f"{t.key} [{sc}]: {t.describe()}", xaxis_title="time",
                      yaxis_title=ylab, height=360)
    return fig


def _hold_out_html(result) -> str:
    h = result.hold_out
    if not h:
        return ""
    from .holdout import describe

    row = {k: h[k] for k in ("target", "what", "datum", "se", "prediction", "lower95", "upper95",
                             "profile_lower95", "profile_upper95", "prediction_lower95",
                             "prediction_upper95", "z", "units", "method") if k in h}
    return (f"<h2>Held-out target</h2><p>{html.escape(describe(h))}</p>"
            + _table([row], list(row)))


def _profile_html(result) -> str:
    if not result.profile:
        return ""
    rows = [{"parameter": q.parameter, "estimate": result.estimates[q.parameter],
             "profile 95 % interval": f"[{'-∞' if q.lower is None else f'{q.lower:.4g}'}, "
                                      f"{'+∞' if q.upper is None else f'{q.upper:.4g}'}]",
             "status": q.status} for q in result.profile]
    return ("<h2>Profile likelihoods</h2><p>χ² minimised over the other free parameters at each "
            "point; the interval is where Δχ² stays below 3.84 (95 %, one parameter).</p>"
            + _table(rows, list(rows[0])))


def _ledger_html(result) -> str:
    from .ledger import ledger, shares

    df = ledger(result.problem.model, result=result)
    sh = shares(df)
    head = "; ".join(f"{k}: {v['count']} ({v['share']:.0%})" for k, v in sh.items())
    rows = df.reset_index().to_dict("records")
    return (f"<h2>Evidence ledger</h2><p>Parameters by status — {html.escape(head)}.</p>"
            + _table(rows, list(rows[0])))


def report_html(result, title: str | None = None) -> str:
    """A self-contained plotly HTML report: estimates, targets, data vs model with bands,
    residuals, posterior pairs, profiles and warnings."""
    import plotly.graph_objects as go
    import plotly.io as pio

    p = result.problem
    title = title or f"Calibration of {p.model.name} against {p.targets.name} ({result.method})"
    figs = []
    for t in p.targets:
        f = _target_figure(result, t, None)
        if f is not None:
            figs.append(f)
    tt = result.targets_table
    res = go.Figure(go.Bar(x=list(tt.index), y=tt["normalised_residual"].astype(float),
                           marker_color=["#d62728" if abs(v) > 2 else "#1f77b4"
                                         for v in tt["normalised_residual"].astype(float)]))
    res.update_layout(title="Normalised residuals (model - data) / se", height=340)
    figs.append(res)
    for t in p.targets:
        if t.kind == "series":
            v = result.values[p.targets.targets.index(t)][0]
            fr = go.Figure(go.Scatter(x=t.times, y=v - t.data, mode="markers+lines"))
            fr.update_layout(title=f"Residuals of {t.key} (model - data, {t.units})", height=300)
            figs.append(fr)
    draws = result.samples if result.samples is not None else result.draws
    if draws is not None and len(draws) > 1 and p.k > 1:
        sub = draws[np.linspace(0, len(draws) - 1, min(len(draws), 2000)).astype(int)]
        sp = go.Figure(go.Splom(dimensions=[dict(label=n, values=sub[:, j])
                                            for j, n in enumerate(p.names)],
                                marker=dict(size=3, opacity=0.4), diagonal_visible=False))
        kind = "posterior samples" if result.samples is not None else \
            "draws from the Gaussian approximation at the optimum"
        sp.update_layout(title=f"Parameter pairs ({kind})", height=200 + 160 * p.k)
        figs.append(sp)
    for q, f in zip(result.profile or [], p.free):
        pf = go.Figure(go.Scatter(x=q.values, y=q.chi2 - q.chi2_min, mode="markers+lines",
                                  name="profile (others re-fitted)"))
        pf.add_hline(y=q.threshold, line_dash="dash", line_color="#d62728",
                     annotation_text=f"Δχ² = {q.threshold:.2f} (95 %)")
        pf.add_vline(x=result.estimates[q.parameter], line_dash="dot")
        mark = "" if q.identified else f" — {q.status.upper()}"
        pf.update_layout(title=f"Profile likelihood of {q.parameter}{mark}", height=320,
                         xaxis_title=f"{q.parameter} ({f.units})", yaxis_title="Δ chi²")
        figs.append(pf)
    est_rows = [{"parameter": n, "estimate": result.estimates[n], "std error": result.std_errors[n],
                 "95 % interval": f"[{result.intervals[n][0]:.4g}, {result.intervals[n][1]:.4g}]",
                 "start": p.x0[j], "bounds": f"[{p.lower[j]:g}, {p.upper[j]:g}]",
                 "units": p.free[j].units} for j, n in enumerate(p.names)]
    tcols = [c for c in ("kind", "scenario", "what", "data", "fitted", "units", "residual",
                         "normalised_residual", "contribution", "U_M", "U_S", "U_C", "MAPE", "R2",
                         "source") if c in tt.columns]
    trows = [dict(target=k, **{c: r[c] for c in tcols}) for k, r in tt.iterrows()]
    corr_rows = [dict(parameter=n, **{m: result.correlation[i][j] for j, m in enumerate(p.names)})
                 for i, n in enumerate(p.names)]
    warn = "".join(f"<li>{html.escape(w)}</li>" for w in result.warnings) or "<li>none</li>"
    parts = [f"<h1>{html.escape(title)}</h1>",
             f"<p>Targets: {html.escape(str(p.targets.path or p.targets.name))} "
             f"({html.escape(p.targets.source)}). Method {result.method}; chi² = "
             f"{result.cost:.4g} with {result.dof} degrees of freedom ({result.n_data} data, {p.k} free "
             f"parameters); {html.escape(result.message)}; {p.n_evals} model runs in "
             f"{result.wall_time:.1f} s; seed {result.seed}.</p>",
             "<h2>Warnings</h2><ul>" + warn + "</ul>",
             _hold_out_html(result),
             "<h2>Estimates</h2>" + _table(est_rows, list(est_rows[0])),
             "<h2>Targets</h2>" + _table(trows, ["target"] + tcols),
             "<h2>Correlation</h2>" + _table(corr_rows, ["parameter"] + p.names),
             _profile_html(result),
             _ledger_html(result),
             "<h2>Fit</h2>"]
    for i, f in enumerate(figs):
        parts.append(pio.to_html(f, full_html=False, include_plotlyjs=(i == 0)))
    style = ("<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;"
             "margin:1em 0}td,th{border:1px solid #ccc;padding:3px 6px;font-size:90%}</style>")
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"{style}</head><body>{''.join(parts)}</body></html>")


# ------------------------------------------------------------------------------ scenarios
def scenario_tomls(result) -> dict[str, str]:
    """{file stem: TOML text} — one calibrated scenario per scenario the targets use."""
    import tomli_w

    p = result.problem
    out = {}
    for name, sc in p.scenarios.items():
        params = {p.model.parameters[py].name: float(v) for py, v in sc.parameters.items()}
        for f in p.free:
            params[f.name] = float(result.estimates[f.name])
        ivs = []
        if result.lifted is not None:  # back to the original model: steps as interventions
            lifted_names = {result.lifted.switch} | {
                n for pair in result.lifted.levels.values() for n in pair}
            for par in p.model.parameters.values():
                if par.name in lifted_names and par.name not in params:
                    params[par.name] = float(par.default)
            orig = result.lifted.to_original(params)
            params, ivs = orig["parameters"], orig["interventions"]
        stem = f"{name}_calibrated"
        doc = {
            "name": stem,
            "source": (f"calibrated ({result.method}) against {p.targets.name} "
                       f"[{p.targets.source}] starting from scenario '{name}'"
                       + (f" ({sc.source})" if sc.source else "")),
            "description": (f"Scenario '{name}' with {', '.join(p.names)} estimated by "
                            f"ambidex.calibrate (chi² {result.cost:.4g}, seed {result.seed})."),
            "parameters": params,
        }
        if ivs:
            doc["interventions"] = ivs
        out[stem] = tomli_w.dumps(doc)
    return out
