"""The evidence ledger: every parameter and every target, with its value, unit, source and status.

A reviewer of a calibrated model asks of each number where it comes from.  The ledger answers in
one table:

- **parameters** (every constant of the model): the value used (fitted estimate, a value the
  targets file fixes in ``[fixed]``, a scenario's value, or the model default), its unit, its
  source and its status —

  - ``fitted``: estimated from the targets;
  - ``fixed from source``: the targets file fixes it citing a seed passage or a reference, or
    the model's documentation string cites one (``Source: seed 000 section 4.4 ...``,
    ``Sterman (2000)``) and does not call the value an assumption;
  - ``assumed``: the documentation (or the ``[fixed]`` entry) says ``Assumption`` — the reason
    given is shown — or gives no source at all ("assumption: no source or reason stated").

- **targets**: the datum, unit, source passage and whether it was fitted to or held out.

:func:`shares` counts the parameters of each status.  :func:`ledger` builds the table from a
:class:`~ambidex.calibrate.core.CalibrationResult` or from a targets file and a calibrated
scenario (what the generated docs page shows); :func:`to_csv` / :func:`markdown` write it.
"""

from __future__ import annotations

import re

import pandas as pd

STATUSES = ("fitted", "fixed from source", "assumed")
SEED = re.compile(r"\bseed\s+0\d\d\b[^.;]*", re.I)
LIT = re.compile(r"\b[A-Z][A-Za-zÀ-ÿ'-]+(?: et al\.?| (?:&|and) [A-Z][A-Za-zÀ-ÿ'-]+)?,? "
                 r"\(?(?:1[89]\d\d|20\d\d)[a-z]?\)?")
ASSUME = re.compile(r"\bassum", re.I)


def classify(doc: str) -> tuple[str, str, str]:
    """(status, basis, source text) of a parameter from its documentation string.

    ``basis`` is ``seed``, ``literature``, ``assumption`` or ``none``.
    """
    doc = " ".join(str(doc or "").split())
    seeds = [m.group(0).strip() for m in SEED.finditer(doc)]
    lits = [m.group(0).strip() for m in LIT.finditer(doc) if not m.group(0).startswith("MODEL")]
    cites = "; ".join(dict.fromkeys(seeds + lits))
    m = ASSUME.search(doc)
    if m:
        tail = doc[m.start():]
        reason = re.sub(r"^assum\w*(?: on size)?[.:;,]?\s*", "", tail, flags=re.I).strip()
        text = "assumption: " + (reason or "no reason stated in the model")
        if cites and cites not in text:
            text += f" (cites {cites})"
        return "assumed", "assumption", text
    if seeds or lits:
        src = re.search(r"Source:\s*(.*)", doc)
        return "fixed from source", "seed" if seeds else "literature", (
            src.group(1).strip() if src else cites)
    return "assumed", "none", "assumption: no source or reason stated in the model"


def classify_fixed(source: str) -> str:
    """Status of a value a targets file fixes: ``assumed`` when its source says assumption."""
    return "assumed" if ASSUME.search(source or "") else "fixed from source"


def _fmt_value(v) -> str | float:
    return float(v) if isinstance(v, (int, float)) else str(v)


def _scenario_value(model, sc, py: str):
    """The scenario's value of ``py`` (a float, or 'a -> b at t' for a step intervention)."""
    base = sc.parameters.get(py, model.parameters[py].default)
    ivs = [iv for iv in sc.interventions if iv.parameter in (py, model.parameters[py].name)]
    if not ivs:
        return float(base)
    parts = [f"{base:g}"]
    for iv in ivs:
        if iv.kind == "step":
            parts.append(f"{iv.to:g} from {iv.time:g}")
        elif iv.kind == "ramp":
            parts.append(f"ramp to {iv.to:g} over {iv.time:g}-{iv.end:g}")
        else:
            parts.append(f"pulse {iv.height:g} at {iv.time:g}")
    return " → ".join(parts)


def ledger(model, result=None, targets=None, scenarios: dict | None = None,
           estimates: dict | None = None, held_out: dict | None = None) -> pd.DataFrame:
    """The ledger table, indexed by (kind, name): value, units, status, basis, source.

    From a calibration ``result``, or from ``targets`` (a bound or unbound TargetSet / path)
    with ``scenarios`` ({name: validated Scenario}; default: the targets' own) and
    ``estimates`` ({parameter: value} of the fitted parameters; default: the scenario values).
    """
    from ..core.scenario import load_scenario, validate
    from .targets import TargetSet, load_targets

    if result is not None:
        p = result.problem
        targets, scenarios = p.targets, p.scenarios
        estimates = dict(result.estimates)
        held_out = result.hold_out
    else:
        targets = targets if isinstance(targets, TargetSet) or targets is None \
            else load_targets(targets)
        if scenarios is None:
            scenarios = {}
            for name in (targets.scenarios if targets is not None else []):
                sc = load_scenario(targets.path.parent / name if targets.path and (
                    targets.path.parent / name).is_file() else name)
                scenarios[name] = validate(sc, model, extra=targets.fixed_values())
    estimates = estimates or {}
    fitted = {model.resolve_parameter(n).py_name for n in estimates}
    if not estimates and targets is not None:
        fitted = {model.resolve_parameter(n).py_name for n in targets.free}
    fixed = {} if targets is None else {model.resolve_parameter(k).py_name: (k, v)
                                        for k, v in targets.fixed.items()}
    scs = list((scenarios or {}).values())
    rows = []
    for py, par in sorted(model.parameters.items(), key=lambda kv: kv[1].name.lower()):
        status, basis, source = classify(par.doc)
        if py in fitted:
            name = next((n for n in estimates if model.resolve_parameter(n).py_name == py), None)
            value = estimates[name] if name is not None else _scenario_value(model, scs[0], py)
            status, source = "fitted", f"fitted to {targets.name} (model: {source})"
        elif py in fixed:
            value = fixed[py][1]["value"]
            source = fixed[py][1]["source"]
            status = classify_fixed(source)
            basis = "assumption" if status == "assumed" else (
                "seed" if SEED.search(source) else "literature")
        else:
            vals = {sc.name: _scenario_value(model, sc, py) for sc in scs} or {"": par.default}
            distinct = list(dict.fromkeys(vals.values()))
            value = distinct[0] if len(distinct) == 1 else "; ".join(
                f"{k}: {v:g}" if isinstance(v, float) else f"{k}: {v}" for k, v in vals.items())
            set_by = [sc.name for sc in scs if py in sc.parameters or any(
                iv.parameter in (py, par.name) for iv in sc.interventions)]
            if set_by:
                source = f"set by scenario {', '.join(set_by)}; model: {source}"
                status, basis = ("assumed", "assumption") if status != "fixed from source" \
                    else (status, basis)
        rows.append({"kind": "parameter", "name": par.name, "value": _fmt_value(value),
                     "units": par.units, "status": status, "basis": basis, "source": source})
    for t in (targets or []):
        value = f"[{t.data[0]:g}, {t.data[1]:g}]" if t.kind == "range" else (
            f"series of {t.n} points" if t.kind == "series" else float(t.data[0]))
        se = "" if t.se is None else (f"{float(t.se[0]):g}" if t.se.size == 1 else "per point")
        rows.append({"kind": "target", "name": t.key, "value": value, "units": t.units,
                     "status": "fitted to", "basis": "datum", "source": t.source,
                     "se": se, "scenario": t.scenario, "what": t.describe()})
    if held_out:
        rows.append({"kind": "target", "name": held_out["target"], "value": held_out["datum"],
                     "units": held_out["units"], "status": "held out (predicted)",
                     "basis": "datum", "source": held_out["source"],
                     "se": f"{held_out['se']:g}", "what": held_out["what"]})
    df = pd.DataFrame(rows).fillna("")
    return df.set_index(["kind", "name"])


def shares(df: pd.DataFrame) -> dict:
    """{status: {'count', 'share'}} over the parameters of a ledger."""
    par = df.xs("parameter", level="kind")
    n = len(par)
    return {s: {"count": int((par["status"] == s).sum()),
                "share": float((par["status"] == s).sum() / n) if n else 0.0} for s in STATUSES}


def to_csv(df: pd.DataFrame, path) -> None:
    """Write the ledger as CSV (UTF-8) atomically."""
    from ..core.results import write_text

    write_text(df.reset_index().to_csv(index=False), path)


def markdown(df: pd.DataFrame) -> str:
    """The ledger as a Markdown table (for the generated docs page)."""
    cols = ["kind", "name", "value", "units", "status", "source"]
    flat = df.reset_index()

    def cell(v):
        s = f"{v:.6g}" if isinstance(v, float) else str(v)
        return s.replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, r in flat.iterrows():
        lines.append("| " + " | ".join(cell(r[c]) for c in cols) + " |")
    return "\n".join(lines)


def calibrated_ledger(targets_path, scenario_path, model=None) -> pd.DataFrame:
    """The ledger of a shipped calibration without re-fitting it: the targets file, and the
    calibrated scenario ``ambidex calibrate`` wrote from it (values of the fitted parameters).

    A targets scenario with step interventions is lifted (:mod:`.lift`) exactly as the
    calibration did, so ``switch time`` and the post-switch levels appear as parameters.
    """
    from ..core.model import load_model
    from ..core.scenario import load_scenario, validate
    from .lift import lift
    from .targets import load_targets

    model = model or load_model()
    ts = load_targets(targets_path)
    name = ts.scenarios[0]
    base = validate(load_scenario(ts.path.parent / name if (ts.path.parent / name).is_file()
                                  else name), model)
    cal = validate(load_scenario(scenario_path), model)
    lifted = lift(model, base) if base.interventions else None
    m, sc = (lifted.model, lifted.scenario) if lifted else (model, base)
    steps = {iv.parameter: iv for iv in cal.interventions}
    estimates = {}
    for f in ts.free:
        par = m.resolve_parameter(f)
        if lifted and par.name == lifted.switch:
            estimates[f] = next(iter(steps.values())).time
            continue
        pair = next(((p, ba) for p, ba in (lifted.levels.items() if lifted else [])
                     if par.name in ba), None)
        if pair:
            orig = model.resolve_parameter(pair[0]).py_name
            estimates[f] = steps[orig].to if par.name == pair[1][1] else cal.parameters[orig]
        else:
            estimates[f] = cal.parameters.get(par.py_name, par.default)
    scs = {name: validate(sc, m, extra=ts.fixed_values())}
    return ledger(m, targets=ts, scenarios=scs, estimates=estimates)


def docs_page(targets_path, scenario_path, model=None) -> str:
    """The generated docs page: shares and the full ledger of a shipped calibration."""
    df = calibrated_ledger(targets_path, scenario_path, model)
    sh = shares(df)
    n = sum(v["count"] for v in sh.values())
    lines = ["# Evidence ledger", "",
             "Generated at build time from the model, `scenarios/data/case_firm_history.toml` "
             "(targets, fixed values, free parameters) and `scenarios/case_firm_history.toml` "
             "(the calibrated history). Every parameter of the model and every target, with its "
             "value, unit, source and status. `switch time` and the `... before/after switch` "
             "levels are the step interventions of `transition_2005`, lifted into the model for "
             "the calibration.", "",
             f"Of the {n} parameters: " + ", ".join(
                 f"**{v['count']} {k}** ({v['share']:.0%})" for k, v in sh.items()) + ".", "",
             "Write the same table for any calibration: `ambidex calibrate TARGETS.toml` writes "
             "`ledger_NAME.csv` beside the fit report, whose *Evidence ledger* section shows it.",
             "", markdown(df), ""]
    return "\n".join(lines)
