"""PySD's XMILE reader with ambidex's equation parser in front of its grammar.

:func:`own_equation_parser` is a context manager used by :func:`ambidex.core.translate` while
PySD's ``XmileFile`` parses a model: each equation goes to
:func:`ambidex.core.xmile_equations.parse_equation` first, to PySD's own grammar only where ours
fails; an arrayed stock's per-element initial values are read from its elements.
"""

from __future__ import annotations

import contextlib

from .errors import ModelError
from .xmile_equations import ModelNames, parse_equation


@contextlib.contextmanager
def own_equation_parser():
    """While active, PySD's XMILE reader parses equations with :func:`parse_equation` (the
    model's dimensions read from the element's own document), and with PySD's own grammar only
    where ours fails.  Ours reads every equation PySD's grammar reads in the 95 XMILE files of
    the conformance folders, and also ``x[2]`` (PySD: an element named "2"), ``SUM(x)`` over an
    arrayed ``x`` and the array syntax above.  An equation neither reads raises
    :class:`ModelError` naming the variable.  An arrayed stock's per-element initial values
    are read from its elements."""
    from pysd.translators.xmile.xmile_element import Element, Stock

    pysd_parse = Element._smile_parser
    cache: dict[int, ModelNames] = {}

    def ours(element, expression):
        if getattr(element, "node", None) is None:  # a control value (start, stop, dt)
            return parse_equation(expression, ModelNames({}, {}))
        root = element.node.getroottree().getroot()
        names = cache.get(id(root))
        if names is None:
            names = cache[id(root)] = ModelNames.from_root(root)
        lhs = [d.get("name") for d in element.node.xpath("ns:dimensions/ns:dim",
                                                         namespaces=element.ns)]
        return parse_equation(expression, names, lhs, element.node.get("name"))

    def smile_parser(self, expression):
        try:
            return ours(self, expression)
        except (ValueError, KeyError) as exc:
            err = exc
        try:
            return pysd_parse(self, expression)
        except Exception:  # noqa: BLE001 - parsimonious's many kinds: ours says it better
            pass
        raise ModelError(f"variable '{self.name}': cannot read the equation "
                         f"'{expression.strip()}': {err}") from err

    def stock_component(self, node, behaviors):
        """PySD reads an arrayed stock's initial value from the variable even when each
        ``<element>`` has its own: read it from the element."""
        if node is self.node:
            return pysd_stock(self, node, behaviors)
        text = self._get_xpath_text
        self._get_xpath_text = lambda n, path: text(node if path == "ns:eqn" else n, path)
        try:
            return pysd_stock(self, node, behaviors)
        finally:
            del self._get_xpath_text

    pysd_stock = Stock._parse_component
    Element._smile_parser, Stock._parse_component = smile_parser, stock_component
    try:
        yield
    finally:
        Element._smile_parser, Stock._parse_component = pysd_parse, pysd_stock
