"""XMILE / Stella equations that PySD 3's grammar rejects, parsed into PySD's abstract syntax.

PySD's XMILE grammar takes names, numbers, operators, calls and name-only subscripts.  Stella
and the XMILE standard also write array syntax it cannot read:

- ``x[*]`` — the whole dimension at that position (``x[*:SubA]``: the whole subrange SubA,
  as Vensim's XMILE export writes it); inside an array builtin (SUM, MEAN, MIN,
  MAX, PROD, SIZE, STDDEV) the builtin runs over it (Vensim's ``x[Dim!]``; an arrayed ``x``
  without brackets there means ``x[*, ...]``), elsewhere it is the element the equation is
  being computed for;
- ``Dim.Elem`` — an element named with its dimension: inside brackets the element, as a value
  its 1-based position (Stella's index value);
- ``x[1]`` / ``x[INT(TIME MOD 5) + 1]`` — a position inside a dimension, constant or computed
  at run time;
- ``MEAN``, ``SIZE``, ``RANK`` and multi-word builtins such as ``VECTOR SORT ORDER`` whose
  operand is an expression (``base[Region] + boost[Region]``).

:func:`parse_equation` parses one equation with a small recursive-descent parser and builds the
same structures PySD's own visitor builds (its builtin table is reused, so SMTH1, DELAY, INIT
and the rest mean what they mean in PySD).  A position computed at run time stays an expression
inside the subscript tuple; the compiled engine picks the element then.
:func:`ambidex.core.xmile_reader.own_equation_parser` puts this parser in front of PySD's
grammar while PySD reads an XMILE file.
"""

from __future__ import annotations

import re

from pysd.translators.structures import abstract_expressions as ae
from pysd.translators.xmile.xmile_structures import structures

_TOKEN = re.compile(r"""\s*(?:
    (?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<qname>"(?:\\"|[^"])*")
  | (?P<name>[^\W\d][\w$'’]*)
  | (?P<op><=|>=|<>|[-+*/^()\[\],.<>=!:])
)""", re.X | re.U)
_KEYWORDS = {"if", "then", "else", "and", "or", "not", "mod"}
_COMPARE = {"=", "<>", "<", "<=", ">", ">="}
#: Stella / XMILE array builtins that reduce over the dimensions written ``*`` inside them
_REDUCERS = {"sum": "sum", "prod": "prod", "min": "vmin", "max": "vmax", "mean": "mean",
             "size": "size", "stddev": "stddev"}


def _var(name: str) -> str:
    """PySD's name of a variable in the abstract model (and in references to it)."""
    return name.strip().strip('"').lower().replace(" ", "_")


def _clean(name: str) -> str:
    """A dimension, element or builtin name compared loosely: any case, runs of spaces and
    underscores alike."""
    return re.sub(r"[\s_]+", "_", name.strip().strip('"')).lower()


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise ValueError(f"unexpected character {text[pos:].strip()[:1]!r}")
        kind = m.lastgroup
        value = m.group(kind)
        if kind == "name" and value.lower() in _KEYWORDS:
            kind = value.lower()
        elif kind == "qname":
            kind, value = "name", value[1:-1].replace('\\"', '"')
        if kind == "name" and out and out[-1][0] == "name" and not out[-1][1].startswith('"'):
            out[-1] = ("name", out[-1][1] + " " + value)  # VECTOR SORT ORDER: one name
        else:
            out.append((kind, value))
        pos = m.end()
    return out


class _Syntax:
    """Recursive descent over the tokens; nodes are tuples ``(kind, ...)``."""

    def __init__(self, text: str):
        self.toks = _tokens(text)
        self.i = 0

    def peek(self, *kinds):
        return self.i < len(self.toks) and (
            self.toks[self.i][0] in kinds or self.toks[self.i][1] in kinds)

    def take(self, *kinds):
        if not self.peek(*kinds):
            got = self.toks[self.i][1] if self.i < len(self.toks) else "end of equation"
            raise ValueError(f"expected {' or '.join(kinds)}, got {got!r}")
        self.i += 1
        return self.toks[self.i - 1][1]

    def parse(self):
        node = self.expr()
        if self.i != len(self.toks):
            raise ValueError(f"unexpected {self.toks[self.i][1]!r}")
        return node

    def expr(self):
        return self.binary(0)

    _LEVELS = (("or",), ("and",), tuple(_COMPARE), ("+", "-"), ("*", "/", "mod"))

    def binary(self, level):
        if level == len(self._LEVELS):
            return self.unary()
        if level == 2 and self.peek("not"):
            self.take("not")
            return ("not", self.binary(level))
        node = self.binary(level + 1)
        while self.peek(*self._LEVELS[level]):
            op = self.take(*self._LEVELS[level]).lower()
            node = ("bin", op, node, self.binary(level + 1))
        return node

    def unary(self):
        if self.peek("-", "+"):
            op = self.take("-", "+")
            arg = self.unary()
            return ("neg", arg) if op == "-" else arg
        base = self.primary()
        if self.peek("^"):
            self.take("^")
            return ("bin", "^", base, self.unary())
        return base

    def primary(self):
        if self.peek("num"):
            return ("num", float(self.take("num")))
        if self.peek("("):
            self.take("(")
            node = self.expr()
            self.take(")")
            return node
        if self.peek("if"):
            self.take("if")
            cond = self.expr()
            self.take("then")
            yes = self.expr()
            self.take("else")
            return ("if", cond, yes, self.expr())
        name = self.take("name")
        if self.peek("."):
            self.take(".")
            return ("dot", name, self.take("name"))
        if self.peek("("):
            self.take("(")
            args = []
            while not self.peek(")"):
                args.append(self.expr())
                if not self.peek(")"):
                    self.take(",")
            self.take(")")
            return ("call", name, args)
        subs = None
        if self.peek("["):
            self.take("[")
            subs = [self.index()]
            while self.peek(","):
                self.take(",")
                subs.append(self.index())
            self.take("]")
        return ("ref", name, subs)

    def index(self):
        if self.peek("*"):
            self.take("*")
            if self.peek(":"):  # '*:SubA': the whole of a subrange (Vensim-exported XMILE)
                self.take(":")
                return ("star", self.take("name"))
            return ("star",)
        node = self.expr()
        if self.peek("!"):
            self.take("!")
            return ("bang", node)
        return node


class ModelNames:
    """The dimensions and the dimensions of each variable of one XMILE model (names as
    declared, looked up in PySD's clean form)."""

    def __init__(self, dims: dict[str, list[str]], var_dims: dict[str, list[str]]):
        self.dims = {_clean(d): (d, list(els)) for d, els in dims.items()}
        self.var_dims = {_var(v): list(ds) for v, ds in var_dims.items()}
        self.elem_of = {}  # clean element -> (dimension, element as declared)
        for d, els in dims.items():
            for e in els:
                self.elem_of.setdefault(_clean(e), (d, e))

    @classmethod
    def from_root(cls, root) -> ModelNames:
        ns = root.nsmap.get(None)
        q = f"{{{ns}}}" if ns else ""
        dims = {}
        for d in root.iterfind(f"{q}dimensions/{q}dim"):
            els = [e.get("name") for e in d.findall(f"{q}elem")]
            if not els and d.get("size"):
                els = [str(k) for k in range(1, int(d.get("size")) + 1)]
            dims[d.get("name")] = els
        var_dims = {}
        for var in root.iter(f"{q}aux", f"{q}flow", f"{q}stock", f"{q}gf"):
            if var.get("name"):
                var_dims[var.get("name")] = [d.get("name")
                                             for d in var.findall(f"{q}dimensions/{q}dim")]
        return cls(dims, var_dims)


class _Builder:
    """Syntax tuples -> PySD abstract syntax, resolving the array syntax of one equation."""

    def __init__(self, names: ModelNames, lhs_dims: list[str], self_name: str | None = None):
        self.n, self.lhs = names, [_clean(d) for d in lhs_dims]
        self.lhs_dims, self.self_name = list(lhs_dims), self_name

    def build(self, node, red=None):
        """``red``: the dimensions a surrounding array builtin runs over (a list it fills)."""
        kind = node[0]
        if kind == "num":
            return node[1]
        if kind == "neg":
            arg = self.build(node[1], red)
            return -arg if isinstance(arg, float) else structures["negative"](arg)
        if kind == "not":
            return ae.LogicStructure([":NOT:"], (self.build(node[1], red),))
        if kind == "if":
            return structures["if_then_else"](*(self.build(x, red) for x in node[1:]))
        if kind == "bin":
            return self.binary(node, red)
        if kind == "dot":
            return self.dotted(node)
        if kind == "call":
            return self.call(node, red)
        return self.reference(node, red)

    def binary(self, node, red):
        _, op, a, b = node
        a, b = self.build(a, red), self.build(b, red)
        if op == "mod":
            return ae.CallStructure(ae.ReferenceStructure("modulo"), (a, b))
        if op in ("and", "or"):
            return ae.LogicStructure([f":{op.upper()}:"], (a, b))
        if op in _COMPARE:
            return ae.LogicStructure([op], (a, b))
        return ae.ArithmeticStructure([op], (a, b))

    def dotted(self, node):
        _, dim, elem = node
        d = self.n.dims.get(_clean(dim))
        if d is None:  # a module's output or another dotted name: keep it as written
            return ae.ReferenceStructure(_var(f"{dim}.{elem}"))
        els = [_clean(e) for e in d[1]]
        if _clean(elem) not in els:
            raise ValueError(f"dimension '{d[0]}' has no element '{elem}'")
        return float(els.index(_clean(elem)) + 1)

    def reference(self, node, red):
        _, name, subs = node
        ref = _var(name)
        if ref == "self" and self.self_name and "self" not in self.n.var_dims:  # Stella's SELF
            ref = _var(self.self_name)
            if subs is None and self.lhs_dims:  # the element being computed
                subs = [("ref", d, None) for d in self.lhs_dims]
        dims = self.n.var_dims.get(ref, [])
        if subs is None and red is not None and dims:  # SUM(x): over all of x
            subs = [("star",)] * len(dims)
        if subs is None:
            return ae.ReferenceStructure(ref)
        out = [self.index(s, dims[k] if k < len(dims) else None, red) for k, s in enumerate(subs)]
        return ae.ReferenceStructure(ref, ae.SubscriptsReferenceStructure(tuple(out)))

    def index(self, node, dim, red):
        """One subscript: a dimension (``Dim``, or ``Dim!`` reduced over), an element name, or
        an expression giving the 1-based position at run time."""
        if node[0] == "star":
            if len(node) > 1:  # '*:SubA'
                sub = self.n.dims.get(_clean(node[1]))
                if sub is None:
                    raise ValueError(f"'*:{node[1]}' names no dimension")
                return self._over(sub[0], red)
            if dim is None:
                raise ValueError("'*' beyond the dimensions of the variable")
            return self._over(self.n.dims[_clean(dim)][0], red)
        if node[0] == "bang":
            return self.index(node[1], dim, None) + "!"
        if node[0] == "dot":
            d = self.n.dims.get(_clean(node[1]))
            hit = d and next((e for e in d[1] if _clean(e) == _clean(node[2])), None)
            if hit:
                return hit
        if node[0] == "ref" and node[2] is None:
            key = _clean(node[1])
            if key in self.n.dims:
                return self._over(self.n.dims[key][0], red, explicit=True)
            if key in self.n.elem_of:
                return self.n.elem_of[key][1]
        if node[0] == "num" and dim is not None:
            els = self.n.dims[_clean(dim)][1]
            k = int(node[1])
            if k == node[1] and 1 <= k <= len(els):
                return els[k - 1]
            raise ValueError(f"position {node[1]:g} is outside dimension '{dim}'")
        return self.build(node, None)  # a run-time position

    def _over(self, dim, red, explicit=False):
        if red is not None and not (explicit and _clean(dim) in self.lhs):
            if dim not in red:
                red.append(dim)
            return dim + "!"
        return dim

    def call(self, node, red):
        _, name, args = node
        fname = _clean(name)
        if fname in _REDUCERS and (len(args) == 1 or fname == "mean"):
            return self.reduce(_REDUCERS[fname], args)
        built = [self.build(a, red) for a in args]
        if fname == "int" and len(built) == 1:  # Stella/XMILE INT is the floor: INT(-1.5) = -2
            x = built[0]
            whole = ae.CallStructure(ae.ReferenceStructure("integer"), (x,))
            below = structures["if_then_else"](ae.LogicStructure(["<"], (x, whole)), 1.0, 0.0)
            return ae.ArithmeticStructure(["-"], (whole, below))
        if fname == "rank":
            fname = "vector_rank"
        entry = structures.get(fname)
        if isinstance(entry, dict) and len(built) in entry:
            return entry[len(built)](*built)
        if entry is not None and not isinstance(entry, dict):
            return entry(*built)
        return ae.CallStructure(ae.ReferenceStructure(fname), tuple(built))

    def reduce(self, fname, args):
        if fname == "mean" and len(args) > 1:  # MEAN(a, b, c): the mean of its arguments
            parts = [self.build(a) for a in args]
            return ae.ArithmeticStructure(["+"] * (len(parts) - 1) + ["/"],
                                          (*parts, float(len(parts))))
        over: list[str] = []
        arg = self.build(args[0], over)
        size = 1.0
        for d in over:
            size *= len(self.n.dims[_clean(d)][1])
        if fname == "size":
            return size
        total = ae.CallStructure(ae.ReferenceStructure("sum"), (arg,))
        if fname == "mean":
            return ae.ArithmeticStructure(["/"], (total, size))
        if fname == "stddev":  # population standard deviation, as Stella's STDDEV
            mean = ae.ArithmeticStructure(["/"], (total, size))
            dev = ae.ArithmeticStructure(["-"], (arg, mean))
            sq = ae.CallStructure(ae.ReferenceStructure("sum"),
                                  (ae.ArithmeticStructure(["*"], (dev, dev)),))
            return ae.CallStructure(ae.ReferenceStructure("sqrt"),
                                    (ae.ArithmeticStructure(["/"], (sq, size)),))
        return ae.CallStructure(ae.ReferenceStructure(fname), (arg,))


def parse_equation(text: str, names: ModelNames, lhs_dims: list[str] | None = None,
                   self_name: str | None = None):
    """PySD abstract syntax of one XMILE equation ``text`` of a variable over ``lhs_dims``
    (dimension names) called ``self_name`` (what Stella's ``SELF`` means in it).  Raises
    ``ValueError`` naming the problem."""
    text = re.sub(r"\{[^{}]*\}", " ", text)  # Stella's {comments} inside an equation
    syntax = _Syntax(re.sub(r"\s+", " ", text)).parse()
    return _Builder(names, lhs_dims or [], self_name).build(syntax)
