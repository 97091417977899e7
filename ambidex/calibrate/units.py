"""Units of targets and model variables with pint.

Data units ("EUR M/year", "%", "t/year") are converted to the model's units (Vensim strings such
as 'EUR/Year', '1/Year', 'Dmnl', 't/(Year*product)') by the one registry of ambidex
(:func:`ambidex.core.units.registry`), which knows the model's dimensions: ``Dmnl``
(dimensionless), ``EUR``, ``FTE``, ``customer``, ``project``, ``product``,
``KU``, ``t`` (tonne), and ``%`` / ``percent`` / ``pp``.

Any other unit a model declares is treated as Vensim treats it, as a symbol of its own:
:func:`declare_model_units` gives every name in a model's units strings that pint does not know
by that exact name (``people``, ``widget``, ``customer``, also ``unit``, which pint would read as
micro-nit) its own base dimension, so ``widgets/Year`` and ``thousand widget/Month`` convert.
"""

from __future__ import annotations

import re

from ..core.units import registry
from .errors import CalibrationError

_SCALES = {"k": "1e3", "thousand": "1e3", "M": "1e6", "m": "1e6", "mn": "1e6", "million": "1e6",
           "bn": "1e9", "billion": "1e9"}
_MONEY = re.compile(r"\b(EUR|USD)\s+(k|thousand|M|m|mn|million|bn|billion)\b")
_MONEY_PRE = re.compile(r"\b(k|M|m|mn|bn)\s*(EUR|USD)\b")


_NAME = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
_MODEL_UNITS_DONE: set = set()


def _known_as_is(ureg, name: str) -> bool:
    """True when pint knows ``name`` itself (or its plural), not only as prefix + unit."""
    try:
        cands = list(ureg.parse_unit_name(name))
    except Exception:
        return False
    return any(prefix == "" for prefix, _unit, _suffix in cands)


def declare_model_units(model) -> list[str]:
    """Give each unit name used by ``model`` that pint does not know as is its own dimension.

    Vensim treats every unit name as a symbol (``people``, ``widget``, ``customer``), converting
    only the time units it knows; this does the same.  Names pint knows exactly (``t`` tonne,
    ``EUR``, ``Year``) keep pint's meaning.  Returns the names defined (once per process).
    """
    ureg = registry()
    texts = [v.units for v in getattr(model, "variables", {}).values() if v.units]
    texts.append(getattr(model, "time_units", "") or "")
    new = []
    for text in texts:
        for name in _NAME.findall(text):
            if name in _MODEL_UNITS_DONE or name in _SCALES:
                continue
            _MODEL_UNITS_DONE.add(name)
            if _known_as_is(ureg, name):
                continue
            try:
                ureg.define(f"{name} = [model_{name}]")
                new.append(name)
            except Exception:  # a name pint refuses to define: leave it unknown (clear error later)
                pass
    return new


def _prepare(text: str) -> str:
    s = str(text).strip()
    if s in ("", "1", "Dmnl", "dmnl", "dimensionless", "fraction", "unitless"):
        return "Dmnl"
    s = s.replace("%", " percent ").replace("€", "EUR")
    s = re.sub(r"\bpp\b", "percent", s)  # percentage points
    s = _MONEY.sub(lambda m: f"({_SCALES[m.group(2)]}*{m.group(1)})", s)
    s = _MONEY_PRE.sub(lambda m: f"({_SCALES[m.group(1)]}*{m.group(2)})", s)
    s = re.sub(r"\b(thousand|million|billion)\b", lambda m: _SCALES[m.group(1)], s)
    s = re.sub(r"\s+", " ", s).strip()
    # "EUR M / year" → pint wants explicit operators between juxtaposed names
    s = re.sub(r"(?<=[\w)])\s+(?=[A-Za-z(])", "*", s)
    return s


def quantity(text: str, where: str):
    """The pint quantity (factor times unit) a units string means; CalibrationError if unknown."""
    try:
        q = registry().parse_expression(_prepare(text))
    except Exception as exc:
        raise CalibrationError(f"{where}: cannot read units {text!r}: {exc}") from None
    if not hasattr(q, "to"):
        q = registry().Quantity(float(q), "Dmnl")
    return q


def factor(data_units: str, model_units: str, where: str, what: str = "") -> float:
    """Multiply a value in ``data_units`` by this to get it in ``model_units``.

    Raises :class:`CalibrationError` naming ``where`` when the two are not of the same dimension.
    """
    qd = quantity(data_units, where)
    qm = quantity(model_units, f"{where} (model units of {what or 'the target'})")
    try:
        return float((qd / qm).to("Dmnl").magnitude)
    except Exception:
        raise CalibrationError(
            f"{where}: units {data_units!r} do not convert to the model units {model_units!r}"
            + (f" of {what}" if what else "")
            + f" ({qd.dimensionality} vs {qm.dimensionality})"
        ) from None


def product(a: str, b: str, op: str = "/") -> str:
    """Units string of a ratio (``op='/'``) or product (``'*'``) of two units strings."""
    a = a.strip() or "Dmnl"
    b = b.strip() or "Dmnl"
    return f"({a}){op}({b})"
