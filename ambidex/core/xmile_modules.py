"""Stella/XMILE modules flattened into one model (a text pre-pass PySD's translator can read).

A Stella model with modules keeps each submodel as its own ``<model name="...">`` and places an
instance of it in its parent with ``<module name="...">``; ``<connect to="hares.area"
from=".area"/>`` wires a value of the parent (``.area``) or of another module
(``lynxes.lynxes``) into an input of a module (a variable marked ``access="input"``, whose own
equation is only a placeholder).  PySD 3 reads none of this: it merges the variables of every
``<model>`` into one namespace.

:func:`flatten_modules` rewrites such a file as one ``<model>`` whose variables carry qualified
names, ``module.variable`` (nested modules ``outer.inner.variable``), the names Stella itself
writes in its output: every reference inside a module is rewritten to the qualified, quoted name,
and a connected input becomes an auxiliary equal to its source (an input stock too).  An input
left unconnected keeps its own equation (0 when that is only Stella's placeholder comment).
"""

from __future__ import annotations

import copy
import re

from .errors import ModelError

#: a number (kept as is), or an identifier, bare or "quoted", with optional .dotted parts
_TOKEN = re.compile(
    r"(?P<num>\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)"
    r"|(?P<id>(?:\"(?:\\\"|[^\"])*\"|[^\W\d]\w*)(?:\s*\.\s*(?:\"(?:\\\"|[^\"])*\"|[^\W\d]\w*))*)"
    r"|(?P<comment>\{[^{}]*\})")
_SEGMENT = re.compile(r"\"(?:\\\"|[^\"])*\"|[^.\s\"][^.\"]*")


def _canon(name: str) -> str:
    """Comparable form of one name part: quotes and line breaks gone, spaces and underscores
    one ``_``, lower case."""
    name = name.strip()
    if len(name) >= 2 and name[0] == name[-1] == '"':
        name = name[1:-1].replace('\\"', '"')
    name = name.replace("\\n", " ").replace("\n", " ")
    return re.sub(r"[\s_]+", "_", name.strip()).lower()


def _path(ref: str) -> str:
    """Canonical form of a possibly dotted reference: ``a."module/output"`` -> ``a.module/output``.
    A leading dot (``.area``: the parent's own variable) is dropped."""
    return ".".join(_canon(s) for s in _SEGMENT.findall(ref.strip().lstrip(".")))


def _display(name: str) -> str:
    """A variable's name as Stella prints it: line breaks as spaces."""
    return re.sub(r"\s+", " ", name.replace("\\n", " ")).strip()


class _Flattener:
    """Walks the module tree from the main model, collecting qualified copies of variables."""

    def __init__(self, root):
        ns = root.nsmap.get(None)
        self.q = f"{{{ns}}}" if ns else ""
        models = root.findall(f"{self.q}model")
        self.main = next((m for m in models if not m.get("name")), models[0])
        self.models = {_canon(m.get("name")): m for m in models if m.get("name")}
        self.out: list = []

    def _vars(self, model):
        node = model.find(f"{self.q}variables")
        return [] if node is None else [n for n in node if isinstance(n.tag, str)]  # no comments

    def run(self) -> None:
        self._instantiate(self.main, "", [])

    def _instantiate(self, model, prefix: str, stack: list) -> dict:
        """Qualified copies of ``model``'s variables (names prefixed with ``prefix``) appended
        to ``self.out``; returns ``{canonical local path: qualified display name}``."""
        q = self.q
        scope: dict[str, str] = {}
        nodes = []
        connects: list[tuple[str, str]] = []
        for node in self._vars(model):
            tag = node.tag.removeprefix(q)
            name = node.get("name")
            if tag == "module" and name:
                target = _canon(node.get("model") or name)
                sub = self.models.get(target)
                if sub is None:
                    raise ModelError(f"XMILE module '{_display(name)}' names model "
                                     f"'{node.get('model') or name}', which the file does not hold")
                if target in stack:
                    raise ModelError(f"XMILE module '{_display(name)}' contains itself")
                inner = self._instantiate(sub, f"{prefix}{_display(name)}.", stack + [target])
                for path, qual in inner.items():
                    scope[f"{_canon(name)}.{path}"] = qual
                for c in node.findall(f"{q}connect"):
                    connects.append((c.get("to") or "", c.get("from") or ""))
            elif name and tag in ("aux", "flow", "stock", "gf"):
                scope[_canon(name)] = prefix + _display(name)
                nodes.append(node)
        wired = {}
        for to, frm in connects:
            if to and frm:
                wired[_path(to)] = _path(frm)
        for node in nodes:
            self.out.append(self._copy(node, scope, prefix))
        for to, frm in wired.items():
            self._wire(scope, to, frm)
        return scope

    def _copy(self, node, scope: dict, prefix: str):
        """The variable ``node`` with a qualified name and its references rewritten."""
        q = self.q
        new = copy.deepcopy(node)
        new.set("name", prefix + _display(node.get("name")))
        for child in new.iter(f"{q}eqn", f"{q}inflow", f"{q}outflow", f"{q}init"):
            if child.text:
                child.text = _rewrite(child.text, scope)
        if node.get("access") == "input":
            eqn = new.find(f"{q}eqn")
            if eqn is not None and not (eqn.text or "").strip():
                eqn.text = "0"
        return new

    def _wire(self, scope: dict, to: str, frm: str):
        """Make the input ``to`` (a canonical path in ``scope``) an auxiliary equal to ``frm``."""
        target, source = scope.get(to), scope.get(frm)
        if target is None or source is None:
            missing = to if target is None else frm
            raise ModelError(f"XMILE module connection {frm} -> {to}: '{missing}' is not a "
                             "variable of the model")
        q = self.q
        for i, node in enumerate(self.out):
            if node.get("name") == target:
                aux = node.makeelement(f"{q}aux", {"name": target})
                for keep in ("units", "dimensions", "doc"):
                    el = node.find(f"{q}{keep}")
                    if el is not None:
                        aux.append(copy.deepcopy(el))
                eqn = aux.makeelement(f"{q}eqn", {})
                eqn.text = _quote(source)
                aux.insert(0, eqn)
                self.out[i] = aux
                return


def _quote(name: str) -> str:
    return '"' + name.replace('"', '\\"') + '"'


def _rewrite(text: str, scope: dict) -> str:
    """``text`` with every identifier that names a variable of ``scope`` replaced by its quoted
    qualified name; Stella's ``{comments}`` dropped."""

    def sub(m):
        if m.group("comment"):
            return " "
        ident = m.group("id")
        if ident is None:
            return m.group(0)
        qual = scope.get(_path(ident))
        if qual is None or ("." not in qual and _canon(qual) == _path(ident)):
            return ident  # not a variable here, or a main-model name that needs no rewrite
        return _quote(qual)

    return _TOKEN.sub(sub, text)


def flatten_modules(text: str) -> str:
    """The XMILE ``text`` with its modules flattened as the module docstring says (unchanged
    text when it has no ``<module>`` or does not parse as XML)."""
    if "<module" not in text:
        return text
    from lxml import etree

    try:  # recovering, as PySD reads XMILE (Stella writes '--' inside comments)
        root = etree.fromstring(text.encode("utf-8"), etree.XMLParser(recover=True))
    except etree.XMLSyntaxError:
        return text
    if root is None:
        return text
    fl = _Flattener(root)
    if not any(n.tag == f"{fl.q}module" for n in fl._vars(fl.main)):
        return text
    fl.run()
    variables = fl.main.find(f"{fl.q}variables")
    for child in list(variables):
        variables.remove(child)
    for node in fl.out:
        variables.append(node)
    for model in root.findall(f"{fl.q}model"):
        if model is not fl.main:
            root.remove(model)
    views = fl.main.find(f"{fl.q}views")
    if views is not None:  # the diagram names modules that no longer exist
        fl.main.remove(views)
    return etree.tostring(root, encoding="unicode")
