"""XMILE graphical functions as PySD's translator can read them (a text pre-pass).

Stella and Vensim-exported XMILE write graphical functions in ways PySD 3 does not take:

- ``LOOKUP(table, x)`` (Stella's call of another variable's graphical function), which PySD
  parses as a malformed lookup definition;
- a ``<gf>`` inside an arrayed variable's ``<element>`` (PySD drops it and keeps the ``<eqn>``);
- a variable with a ``<gf>`` and no ``<eqn>`` (a pure table, as Vensim exports lookups).

Each graphical function gets a standalone ``<gf name="NAME gf[ ELEMENT]">`` twin that PySD reads
as a lookup; ``LOOKUP(NAME[ELEMENT], x)`` becomes a call of that twin, an arrayed element's value
becomes ``twin(eqn)`` (XMILE: the table applied to the equation), and a variable that is only a
table becomes the table itself.

The ``subscript`` attribute of an arrayed variable's ``<element>`` is written with the
dimension's own element names, comma-separated without spaces (``"North, a"`` -> ``"North,A"``),
as PySD splits it on commas and compares names verbatim; a dimension given only its size gets
its elements "1", "2", ... (PySD reads ``<elem>`` names only).
"""

from __future__ import annotations

import copy
import re

_LOOKUP = re.compile(r"\bLOOKUP\s*\(\s*([^,()<>]+?)\s*,", re.I)


def _ref(name: str) -> str:
    """How XMILE equations refer to a variable name: spaces as underscores, any case."""
    return re.sub(r"[\s_]+", "_", name.strip().strip('"')).lower()


def _element_subscripts(root, q: str) -> None:
    """``<element subscript="North, a">`` -> ``"North,A"`` (the declared element names); a
    dimension declared by its size (``<dim name="X" size="3"/>``) gets elements "1".."3"."""
    from lxml import etree

    declared = {}
    for d in root.iterfind(f"{q}dimensions/{q}dim"):
        if not d.findall(f"{q}elem") and (d.get("size") or "").strip().isdigit():
            for k in range(1, int(d.get("size")) + 1):
                etree.SubElement(d, f"{q}elem", name=str(k))
        for e in d.findall(f"{q}elem"):
            declared.setdefault(_ref(e.get("name") or ""), e.get("name"))
    for el in root.iter(f"{q}element"):
        sub = el.get("subscript")
        if sub is not None:
            el.set("subscript", ",".join(declared.get(_ref(s), s.strip()) for s in sub.split(",")))


def graphical_functions(text: str) -> str:
    """The XMILE ``text`` with its graphical functions in the forms above (unchanged text when
    it has none or does not parse as XML)."""
    if not re.search(r"<gf|LOOKUP|subscript=|<dim[^>]*size=", text, re.I):
        return text
    from lxml import etree

    try:  # recovering, as PySD reads XMILE (Stella writes '--' inside comments)
        root = etree.fromstring(text.encode("utf-8"), etree.XMLParser(recover=True))
    except etree.XMLSyntaxError:
        return text
    if root is None:
        return text
    ns = root.nsmap.get(None)
    q = f"{{{ns}}}" if ns else ""
    _element_subscripts(root, q)
    twins: dict[tuple[str, str | None], str] = {}
    for var in list(root.iter(f"{q}aux", f"{q}flow")):
        name = var.get("name")
        if not name:
            continue
        holders = [(var, None)] + [(el, el.get("subscript")) for el in var.findall(f"{q}element")]
        for node, sub in holders:
            gf = node.find(f"{q}gf")
            if gf is None:
                continue
            twin_name = f"{name} gf" + (f" {sub}" if sub else "")
            twin = etree.Element(f"{q}gf", dict(gf.attrib), name=twin_name)
            for child in gf:
                twin.append(copy.deepcopy(child))
            var.addnext(twin)
            twins[(_ref(name), _ref(sub) if sub else None)] = _ref(twin_name)
            eqn = node.find(f"{q}eqn")
            if sub is not None and eqn is not None:
                eqn.text = f"{_ref(twin_name)}({eqn.text})"
                node.remove(gf)
            elif eqn is None or not (eqn.text or "").strip():
                if sub is None:  # a pure table: the variable is its twin
                    var.getparent().remove(var)
                    twin.set("name", name)
                    twins[(_ref(name), None)] = _ref(name)

    def call(m):
        target = m.group(1)
        base, _, sub = target.partition("[")
        key = (_ref(base), _ref(sub.rstrip("]")) if sub else None)
        return f"{twins.get(key, target)}("

    for eqn in root.iter(f"{q}eqn"):
        if eqn.text and "lookup" in eqn.text.lower():
            eqn.text = _LOOKUP.sub(call, eqn.text)
    return etree.tostring(root, encoding="unicode")
