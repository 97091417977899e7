"""A self-contained HTML simulator of a model: levers, key charts and scenarios, the model
evaluated in the browser by JavaScript generated from the compiled engine's IR.

``simulator_html(model)`` returns one HTML text with everything inline (plotly.js from the
installed plotly package, the runtime, the generated model, the page script): it opens from
``file://`` with no server and no network, so a facilitator can e-mail it.  ``model_bundle``
returns the same parts for the workshop app, which evaluates the model in the page too.

The default solver is the engine's adaptive Dormand-Prince 5(4) at ``ambidex.simulate``'s
tolerances and save times, so the page's trajectories equal ``ambidex.simulate`` (compiled
backend) to rounding; scheduled interventions become solver breakpoints.
"""

from __future__ import annotations

import html
import json
import math
from functools import lru_cache
from pathlib import Path

from ..core.errors import ModelError
from ..core.model import as_model
from ..simulate import DEFAULT_ATOL, DEFAULT_RTOL, _save_times
from .jsgen import generate_js

HERE = Path(__file__).parent
MAX_LEVERS = 16
MAX_STOCK_CHARTS = 8


def _file(name: str) -> str:
    return (HERE / name).read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def plotly_js() -> str:
    """plotly.js from the installed plotly package (no CDN)."""
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


def _charts(model) -> list[dict]:
    """Chart specs {id, title, unit, range, percent, series: [{var, label}]}: the workshop's key
    outcomes for the dual model, else the model's stocks."""
    try:
        from ..workshop.charts import charts_for

        charts = charts_for(model)
    except ImportError:  # pragma: no cover
        charts = []
    if charts:
        return charts
    out = []
    for st in model.stocks[:MAX_STOCK_CHARTS]:
        v = model.variables[st.py_name]
        if v.subscripts:
            continue
        out.append({"id": st.py_name, "title": st.name, "unit": v.units or "", "range": None,
                    "percent": False, "series": [{"var": st.py_name, "label": st.name}]})
    if not out:
        for py, v in list(model.variables.items())[:MAX_STOCK_CHARTS]:
            if v.kind != "constant" and not v.subscripts:
                out.append({"id": py, "title": v.name, "unit": v.units or "", "range": None,
                            "percent": False, "series": [{"var": py, "label": v.name}]})
    return out


def _levers(model, cm) -> list[dict]:
    """Lever specs {py, name, label, short, units, lower, upper, step, default, doc, group}
    (``short``: the label in presenter mode)."""
    try:
        from ..workshop.charts import lever_label, lever_short
        from ..workshop.state import lever_groups

        groups = lever_groups(model)
    except ImportError:  # pragma: no cover
        groups = {}
    out = []
    for g, specs in groups.items():
        for s in specs:
            out.append({**s, "group": g, "label": lever_label(model, s["py"]),
                        "short": lever_short(model, s["py"])})
    if out:
        return out
    structural = set(cm.structural_params)
    for py, p in model.parameters.items():
        if p.name in structural or p.name not in cm.param_names or len(out) >= MAX_LEVERS:
            continue
        lo = p.lower if p.lower is not None else min(0.0, p.default)
        hi = p.upper if p.upper is not None else (max(1.0, 2 * p.default) if p.default >= 0 else 0.0)
        if not hi > lo:
            continue
        span = hi - lo
        out.append({"py": py, "name": p.name, "label": f"{p.name} ({p.units})" if p.units else p.name,
                    "units": p.units, "lower": lo, "upper": hi,
                    "step": 10.0 ** math.floor(math.log10(span / 100.0)), "default": p.default,
                    "doc": (p.doc or "").split(". ")[0], "group": "Parameters"})
    return out


def _scenarios(model) -> list[dict]:
    """Scenario files that fit the model: {name, description, source, params, interventions}
    (model names), the comparison baseline of the page."""
    from ..core.scenario import list_scenarios, load_scenario, validate

    out = []
    try:
        paths = list_scenarios()
    except Exception:  # no scenarios folder next to this model
        paths = []
    for path in paths:
        try:
            sc = validate(load_scenario(path), model)
        except Exception:
            continue
        if sc.horizon != (model.control["initial_time"], model.control["final_time"]):
            continue
        out.append({
            "name": sc.name, "description": sc.description or "", "source": sc.source or "",
            "params": {model.variables[py].name: float(v) for py, v in sc.parameters.items()},
            "interventions": [_iv(model, iv) for iv in sc.interventions],
        })
    if not out:
        out.append({"name": "model defaults", "description": "the model as written",
                    "source": str(model.path.name), "params": {}, "interventions": []})
    return out


def _iv(model, iv) -> dict:
    d = {"parameter": model.variables[iv.parameter].name, "kind": iv.kind, "time": iv.time}
    for k in ("to", "end", "height", "width"):
        if getattr(iv, k) is not None:
            d[k] = getattr(iv, k)
    return d


def model_bundle(model=None, all_outputs: bool = False) -> dict:
    """{'factory': JS source, 'spec': dict} of ``model``: the generated model, its levers,
    charts, scenarios, save times and the solver settings of ``ambidex.simulate``."""
    m = as_model(model)
    cm = m.compiled()
    charts = _charts(m)
    wanted = []
    for c in charts:
        for s in c["series"]:
            if s["var"] not in wanted:
                wanted.append(s["var"])
    names = None if all_outputs else [m.variables[py].name for py in wanted]
    factory, spec = generate_js(cm, names)
    t0, t1, sp = m.control["initial_time"], m.control["final_time"], m.control["saveper"]
    spec.update({
        "model": m.name, "sha256": m.sha256, "time_units": m.time_units,
        "te": _save_times(t0, t1, sp).tolist(), "rtol": DEFAULT_RTOL, "atol": DEFAULT_ATOL,
        "method": _method(m),
        "charts": charts, "levers": _levers(m, cm), "scenarios": _scenarios(m),
        "var_names": {py: m.variables[py].name for py in wanted},
    })
    return {"factory": factory, "spec": spec}


def _method(m) -> str:
    """The method ``ambidex.simulate`` picks by default: the model file's own where the
    compiled engine has it (euler, rk4, dopri5), else dopri5."""
    saved = getattr(m, "saved_method", None)
    return saved if saved in ("euler", "rk4", "dopri5") else "dopri5"


def _json(obj) -> str:
    """JSON safe to inline in a <script> element."""
    return json.dumps(obj, allow_nan=False).replace("</", "<\\/")


def bundle_js(bundle: dict, key: str = "model") -> str:
    """JS defining ``window.AMBIDEX[key] = {spec, run}`` (needs runtime.js loaded first)."""
    return ("window.AMBIDEX = window.AMBIDEX || {};\n(function () {\n"
            f"const spec = {_json(bundle['spec'])};\n"
            f"const factory = {bundle['factory']};\n"
            "const M = factory(AmbidexRuntime.R);\n"
            f"window.AMBIDEX[{json.dumps(key)}] = {{spec, run: AmbidexRuntime.makeRun(M, spec)}};\n"
            "})();\n")


def simulator_html(model=None, title: str | None = None, all_outputs: bool = False) -> str:
    """The offline simulator page of ``model`` as one self-contained HTML text (``all_outputs``:
    the generated model computes every variable, not only the charted ones)."""
    b = model_bundle(model, all_outputs)
    spec = b["spec"]
    title = title or f"ambidex simulator: {spec['model']}"
    parts = [
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        # no network: everything below is inline; the policy also blocks any fetch
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; img-src data: blob:; "
        "font-src data:\">",
        f"<title>{html.escape(title)}</title>",
        f"<style>{_file('views.css')}</style>", "</head>", "<body>",
        f'<script>{plotly_js()}</script>',
        f"<script>{_file('runtime.js')}</script>",
        f"<script>{bundle_js(b)}</script>",
        f"<script>{_file('views.js')}</script>",
        f"<script>{_file('simulator_ui.js')}</script>",
        f"<script>AmbidexSimulator.start({_json({'title': title})});</script>",
        "</body>", "</html>",
    ]
    return "\n".join(parts)


def write_simulator(model, out: str | Path, all_outputs: bool = False) -> Path:
    """Write the simulator of ``model`` to ``out`` (written whole or not at all)."""
    out = Path(out)
    if out.suffix.lower() not in (".html", ".htm"):
        raise ModelError(f"output '{out}': the simulator is one HTML file; name it *.html")
    if not out.parent.exists():
        raise ModelError(f"output '{out}': folder '{out.parent}' does not exist")
    text = simulator_html(model, all_outputs=all_outputs)
    tmp = out.with_name(out.name + ".part")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(out)
    return out


__all__ = ["model_bundle", "simulator_html", "write_simulator", "bundle_js"]
