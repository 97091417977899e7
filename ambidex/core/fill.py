"""What :func:`~ambidex.core.model.load_model` reads from a model: its variables, parameters,
stocks, control values and time unit.

:func:`fill_from_ir` reads them from the model's IR (:mod:`ambidex.core.ir`, built from PySD's
AbstractModel alone): every model the compiled engine takes loads this way, without building or
importing PySD's Python translation.  :func:`fill_from_pysd` reads them from PySD's model
object, for a model the IR cannot take (a function the compiled engine lacks): it then runs on
``engine="pysd"``.  Both give the same Model (``tests/test_model_fill.py`` compares them on
every conformance model): variables in PySD's documentation order (by name), a constant (an
equation that reads no variable and no time) with its default value a parameter unless the
model marks it unchangeable (Vensim ``==``).
"""

from __future__ import annotations

import dataclasses
import math
import re

from .records import CONTROL_NAMES, Parameter, Stock, Variable, normalise

#: the IR's functions of time: an equation calling one is not a constant
TIME_FUNCTIONS = {"step", "ramp", "pulse", "pulse_train"}


def _number(v) -> float | None:
    try:
        v = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) else v


def _text(v) -> str:
    """A units or documentation text; empty for none (PySD's table has NaN for a missing one)."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    return str(v).strip()


def _limits(lim) -> tuple[float | None, float | None]:
    lim = tuple(lim) if isinstance(lim, (tuple, list)) else ()
    lim = (lim + (None, None))[:2]
    return _number(lim[0]), _number(lim[1])


def sectors_from_mdl(text: str) -> dict[str, str]:
    """Map normalised variable name -> Vensim group ('.Name' header) from the .mdl text."""
    out: dict[str, str] = {}
    sector = ""
    body = text.split("\\\\\\---///")[0]
    for chunk in body.split("|"):
        m = re.search(r"\*{5,}\s*\n\s*\.([^\n]+)\n\*{5,}~", chunk)
        if m:
            sector = m.group(1).strip()
            continue
        head = chunk.strip().split("~")[0]
        head = re.sub(r"^\{UTF-8\}", "", head).strip()
        m = re.match(r'^("[^"]+"|[^=(:\[]+?)\s*(\[[^\]]*\])?\s*(=|:=|\()', head)
        if m:
            out[normalise(m.group(1).strip('"'))] = sector
    return out


def _sectors(model) -> dict[str, str]:
    if model.path.suffix.lower() != ".mdl":
        return {}
    return sectors_from_mdl(model.path.read_text(errors="replace"))


def _add_stocks(model, flows: dict) -> None:
    for key, (ins, outs) in flows.items():
        py = model._index.get(key)
        if py is not None:
            var = model.variables[py]
            model.stocks.append(Stock(name=var.name, py_name=py, inflows=ins, outflows=outs,
                                      physical=var.lower is not None and var.lower >= 0))


def _reads_nothing(ir) -> bool:
    """Whether the IR tree ``ir`` reads no slot and no time (a lookup table is part of it)."""
    tag = ir[0]
    if tag == "n":
        return True
    if tag in ("t", "r", "ai"):
        return False
    if tag == "lk":
        return _reads_nothing(ir[2])
    if tag == "f" and ir[1] in TIME_FUNCTIONS:
        return False
    parts = {"ar": lambda: ir[2], "f": lambda: ir[2], "neg": lambda: [ir[1]],
             "not": lambda: [ir[1]], "lg": lambda: [ir[2], ir[3]], "ite": lambda: ir[1:]}[tag]()
    return all(_reads_nothing(p) for p in parts)


def _references(node):
    """Every name an abstract-model expression refers to (its ReferenceStructures)."""
    from pysd.translators.structures import abstract_expressions as ae

    if isinstance(node, ae.ReferenceStructure):
        yield node.reference
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        for f in dataclasses.fields(node):
            yield from _references(getattr(node, f.name))
    elif isinstance(node, (list, tuple)):
        for item in node:
            yield from _references(item)


def _element_kind(info, flow_names: set, lookups: set) -> str:
    from pysd.translators.structures import abstract_expressions as ae

    if any(isinstance(c.ast, ae.IntegStructure) for c in info.el.components):
        return "stock"
    slots = list(info.slots.values())
    if slots and all(s.kind == "param" or (s.kind == "aux" and s.ir is not None
                                           and _reads_nothing(s.ir))
                     for s in slots) and not any(
            r in lookups for c in info.el.components for r in _references(c.ast)):
        return "constant"
    return "flow" if info.py in flow_names else "auxiliary"


def fill_from_ir(model, flows: dict) -> None:
    """Fill ``model`` (variables, parameters, stocks, control, time unit, time functions, the
    once-per-TIME-STEP functions) from its IR (``model.ir``); ``flows`` maps a normalised stock
    name to its (inflows, outflows).  Raises the IR builder's error when it cannot take the
    model (:class:`~ambidex.core.errors.UnsupportedFunctionError` naming the function)."""
    from .ir.nodes import InitEvaluator
    from .ir.scope import subscripted_layout

    tr = model.ir
    flow_names = {f for ins, outs in flows.values() for f in ins + outs}
    subscripted = subscripted_layout(tr.scope)
    sectors = _sectors(model)
    lookups = {clean_name for clean_name, i in tr.scope.elements.items() if i.is_lookup}
    ev = InitEvaluator(tr.control_value("initial_time"), tr.control_value("time_step"))
    ev.ensure = tr.ensure
    infos = [i for i in tr.scope.elements.values() if not i.is_lookup and i.py not in CONTROL_NAMES]
    for info in sorted(infos, key=lambda i: i.name):  # PySD's documentation table's order
        kind = _element_kind(info, flow_names, lookups)
        lower, upper = _limits(getattr(info.el, "limits", None))
        dims = tuple(subscripted.get(info.py, ((),))[0])
        var = Variable(name=info.name, py_name=info.py, units=_text(info.el.units),
                       doc=_text(info.el.documentation), kind=kind,
                       sector=sectors.get(normalise(info.name), ""),
                       lower=lower, upper=upper, subscripts=dims)
        model.variables[info.py] = var
        unchangeable = any(getattr(c, "subtype", "Normal") != "Normal" for c in info.el.components)
        if kind == "constant" and not dims and len(info.slots) == 1 and not unchangeable:
            model.parameters[info.py] = Parameter(
                name=var.name, py_name=info.py, units=var.units,
                default=float(ev.slot(next(iter(info.slots.values())))),
                lower=lower, upper=upper, doc=var.doc, sector=var.sector)
    _add_stocks(model, flows)
    model.control.update({c: tr.control_value(c) for c in CONTROL_NAMES})
    model.time_units = _text(tr.scope.elements["initial_time"].el.units)
    model.uses_time_functions = bool(tr.bp_sites)
    model.stepped = tuple(tr.stepped)


def fill_from_pysd(model, flows: dict) -> None:
    """Fill ``model`` as :func:`fill_from_ir` does, from PySD's model object (``model.py_file``
    loaded): its documentation table (units, comment, limits, subscripts, type) and a
    constant's value as its default."""
    pm = model.new_pysd()
    doc = pm.doc
    sectors = _sectors(model)
    flow_names = {f for ins, outs in flows.values() for f in ins + outs}
    for rec in doc.to_dict("records"):
        py = rec["Py Name"]
        if py in CONTROL_NAMES or py == "time" or not isinstance(py, str):
            continue
        rtype, sub = rec.get("Type"), rec.get("Subtype")
        if rtype == "Lookup":
            continue
        if sub == "Integ":
            kind = "stock"
        elif rtype == "Constant":
            kind = "constant"
        else:
            kind = "flow" if py in flow_names else "auxiliary"
        lower, upper = _limits(rec.get("Limits"))
        subs = rec.get("Subscripts")
        var = Variable(name=rec["Real Name"], py_name=py, units=_text(rec.get("Units")),
                       doc=_text(rec.get("Comment")), kind=kind,
                       sector=sectors.get(normalise(rec["Real Name"]), ""), lower=lower,
                       upper=upper, subscripts=tuple(subs) if isinstance(subs, (list, tuple)) else ())
        model.variables[py] = var
        if kind == "constant" and not var.subscripts and sub == "Normal":
            try:
                value = float(getattr(pm.components, py)())
            except Exception:  # noqa: BLE001 - a constant PySD cannot evaluate: no default
                continue
            model.parameters[py] = Parameter(name=var.name, py_name=py, units=var.units,
                                             default=value, lower=lower, upper=upper,
                                             doc=var.doc, sector=var.sector)
    _add_stocks(model, flows)
    for c in CONTROL_NAMES:
        model.control[c] = float(getattr(pm.components, c)())
    time_rec = doc[doc["Py Name"] == "initial_time"]
    model.time_units = _text(time_rec["Units"].iloc[0]) if len(time_rec) else ""
    source = model.py_file.read_text()
    model.uses_time_functions = bool(re.search(r"\b(step|pulse|pulse_train|ramp)\(", source))
    model.stepped = tuple(n for k, n in (("DelayFixed(", "DELAY FIXED"),
                                         ("SampleIfTrue(", "SAMPLE IF TRUE")) if k in source)
