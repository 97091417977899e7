"""Models PySD's translator parses but its Python builder cannot build.

PySD turns a model file into an AbstractModel and then into Python; some published models parse
but fail in the second step (subscripted constant lists, EXCEPT over subranges, mappings).  The
model's IR (:mod:`ambidex.core.ir`) is built from the AbstractModel alone, so such a model still
loads: its :class:`~ambidex.core.model.Model` is filled from the IR and runs on
``backend="compiled"``; asking for the PySD backend names why it is not available.
"""

from __future__ import annotations

import math

from pysd.translators.structures import abstract_expressions as ae

from .errors import ModelError


def _limits(el) -> tuple[float | None, float | None]:
    lim = getattr(el, "limits", None) or (None, None)
    out = []
    for v in tuple(lim)[:2]:
        try:
            v = float(v)
        except (TypeError, ValueError):
            v = None
        out.append(None if v is None or math.isnan(v) else v)
    return (out + [None, None])[0], (out + [None, None])[1]


def fill_from_compiled(model, reason: str, flows: dict) -> None:
    """Fill ``model`` (variables, parameters, stocks, control) from its IR (``model.ir``).

    ``reason`` is PySD's build error (kept for :meth:`Model.new_pysd`'s message); ``flows`` maps
    a normalised stock name to its (inflows, outflows).  Raises the IR builder's
    :class:`ModelError` when it cannot take the model either, with PySD's reason added.
    """
    from .ir.scope import subscripted_layout
    from .records import CONTROL_NAMES, Parameter, Stock, Variable

    try:
        tr = model.ir
    except ModelError as exc:
        raise ModelError(f"{reason}; the compiled engine cannot take it either: {exc}") from exc
    model.pysd_error = reason
    flow_names = {f for ins, outs in flows.values() for f in ins + outs}
    subscripted = subscripted_layout(tr.scope)
    for info in tr.scope.elements.values():
        if info.is_lookup or info.py in CONTROL_NAMES:
            continue
        slots = list(info.slots.values())
        if any(isinstance(c.ast, ae.IntegStructure) for c in info.el.components):
            kind = "stock"
        elif slots and all(s.kind == "param" for s in slots):
            kind = "constant"
        else:
            kind = "flow" if info.py in flow_names else "auxiliary"
        lower, upper = _limits(info.el)
        dims = subscripted.get(info.py, ((),))[0]
        var = Variable(name=info.name, py_name=info.py, units=str(info.el.units or ""),
                       doc=str(info.el.documentation or "").strip(), kind=kind,
                       lower=lower, upper=upper, subscripts=tuple(dims))
        model.variables[info.py] = var
        if kind == "constant" and not dims and len(slots) == 1:
            model.parameters[info.py] = Parameter(
                name=var.name, py_name=info.py, units=var.units, default=float(slots[0].value),
                lower=lower, upper=upper, doc=var.doc)
    for key, (ins, outs) in flows.items():
        py = model._index.get(key)
        if py is not None:
            var = model.variables[py]
            model.stocks.append(Stock(name=var.name, py_name=py, inflows=ins, outflows=outs,
                                      physical=var.lower is not None and var.lower >= 0))
    model.control.update({c: tr.control_value(c) for c in
                          ("initial_time", "final_time", "time_step", "saveper")})
    model.uses_time_functions = bool(tr.bp_sites)
