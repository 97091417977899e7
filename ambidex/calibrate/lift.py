"""Lift a scenario's step interventions into a derived model the batched engine can run.

The compiled engine runs constant parameters only, so a history such as ``transition_2005``
(product-centric until the mid-2000s switch) would run on PySD one parameter set at a time.
This rewrites the Vensim model instead: each parameter ``P`` a scenario steps becomes

    P = P before switch + STEP(P after switch - P before switch, switch time + TIME STEP / 2)

with ``P before switch`` (the scenario's value), ``P after switch`` (the step's ``to``) and one
shared ``switch time`` as new constants carrying ``P``'s units and range.  The derived model
runs on the compiled engine, and the switch time and post-switch levels become parameters a
calibration can fit or give targets.  Only step interventions at one common time are lifted;
other scenarios return None (and run on PySD, :mod:`.runs`).

The derived ``.mdl`` is written once into the cache, named by the hash of its text.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from pathlib import Path

from ..core.model import normalise

SWITCH = "switch time"


@dataclass
class Lifted:
    """A derived model and the scenario without interventions; ``levels`` maps each stepped
    parameter (Vensim name) to its (before, after) constant names."""

    model: object
    scenario: object
    levels: dict
    switch: str
    original: object

    def to_original(self, values: dict) -> dict:
        """A scenario dict for the original model from derived-model ``values`` (by name)."""
        params, ivs = {}, []
        t = float(values.get(self.switch))
        lifted = {self.switch} | {n for pair in self.levels.values() for n in pair}
        for name, v in values.items():
            if name not in lifted:
                params[name] = float(v)
        for p, (before, after) in self.levels.items():
            params[p] = float(values[before])
            ivs.append({"parameter": p, "kind": "step", "time": t, "to": float(values[after])})
        return {"parameters": params, "interventions": ivs}


def _range(var) -> str:
    if var.lower is None and var.upper is None:
        return ""
    lo = "?" if var.lower is None else f"{var.lower:g}"
    hi = "?" if var.upper is None else f"{var.upper:g}"
    return f" [{lo},{hi}]"


def _block(name: str, value: float, units: str, doc: str) -> str:
    doc = " ".join(doc.split()).replace("|", "/").replace("~", "-")
    return f"{name} = {value!r}\n\t~\t{units}\n\t~\t{doc}\n\t|\n\n"


def lift(model, scenario):
    """Return a :class:`Lifted` for a validated ``scenario`` with step interventions at one
    time, or None when there is nothing to lift or it cannot be lifted."""
    from ..core.model import load_model

    ivs = list(scenario.interventions)
    if not ivs or model.path.suffix.lower() != ".mdl":
        return None
    if any(iv.kind != "step" for iv in ivs) or len({iv.time for iv in ivs}) != 1:
        return None
    if len({iv.parameter for iv in ivs}) != len(ivs):
        return None
    t_switch = ivs[0].time
    text = model.path.read_text(errors="replace")
    head, sep, sketch = text.partition("\\\\\\---///")
    chunks = head.split("|")
    known = {normalise(v.name) for v in model.variables.values()}
    if normalise(SWITCH) in known:
        return None
    new_blocks = [_block(SWITCH, t_switch, f"{model.time_units or 'Year'} "
                         f"[{model.control['initial_time']:g},{model.control['final_time']:g}]",
                         f"Time of the switch that scenario '{scenario.name}' makes by step "
                         "interventions (lifted into the model by ambidex.calibrate).")]
    levels = {}
    for iv in ivs:
        par = model.resolve_parameter(iv.parameter)
        var = model.variables[par.py_name]
        before, after = f"{par.name} before switch", f"{par.name} after switch"
        if {normalise(before), normalise(after)} & known:
            return None
        for i, ch in enumerate(chunks):
            lhs, eq, rest = ch.partition("=")
            if eq and normalise(lhs.strip().strip('"')) == normalise(par.name) and "~" in rest:
                expr, tilde, tail = rest.partition("~")
                # Vensim's STEP switches half a TIME STEP early; the scenario's step at time
                chunks[i] = (f"{lhs}= {before} + STEP({after} - {before}, {SWITCH} + "
                             "TIME STEP / 2)\n\t"
                             + tilde + tail)
                break
        else:
            return None
        base = scenario.parameters.get(par.py_name, par.default)
        units = (var.units or "Dmnl") + _range(var)
        new_blocks.append(_block(before, base, units, f"{par.name} before the switch. {par.doc}"))
        new_blocks.append(_block(after, iv.to, units, f"{par.name} after the switch. {par.doc}"))
        levels[par.name] = (before, after)
    body = "|".join(chunks)
    out = body.rstrip() + "\n\n" + "".join(new_blocks) + sep + sketch
    digest = hashlib.sha256(out.encode()).hexdigest()[:16]
    from ..compiled.cache import cache_dir

    d = cache_dir().parent / "lifted" / digest
    d.mkdir(parents=True, exist_ok=True)
    path = d / f"{model.path.stem}__{scenario.name}.mdl"
    if not path.is_file() or path.read_text() != out:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(out)
        tmp.replace(path)
    derived = load_model(Path(path))
    keep = {k: v for k, v in scenario.parameters.items()
            if k not in {model.resolve_parameter(iv.parameter).py_name for iv in ivs}}
    sc = replace(scenario, parameters=keep, interventions=())
    return Lifted(model=derived, scenario=sc, levels=levels, switch=SWITCH, original=model)
