#!/usr/bin/env python
"""Convert a Vensim text model (.mdl) into an XMILE 1.0 twin that Stella can open.

Usage::

    python tools/mdl_to_xmile.py [in.mdl] [out.xmile]

Both arguments are optional: ``in.mdl`` defaults to ``sd_models/dual_business_model.mdl`` and
``out.xmile`` to the input path with the suffix ``.xmile``.

The .mdl stays the source of truth.  It is parsed with PySD's own Vensim translator
(``VensimFile(...).parse(); .get_abstract_model()``) and the abstract syntax trees are printed in
XMILE syntax, so the twin reads the equations exactly as PySD does.

Supported (anything else raises :class:`UnsupportedConstructError` naming the construct, the
variable and the file):

* scalar variables only (no subscripts), one equation each;
* ``INTEG(rate, initial)`` -> ``<stock>``.  When the rate is a sum/difference of distinct
  auxiliaries (``a + b - c``) those become ``<flow>`` elements wired as ``<inflow>`` /
  ``<outflow>``; otherwise (any other rate expression, or a flow that is already the inflow or
  the outflow of an earlier stock, which XMILE/Stella do not allow) a flow named
  ``"<stock> net flow"`` carrying the whole rate is created;
* constants and auxiliaries -> ``<aux>``;
* ``+ - * / ^`` (a chain ``a ^ b ^ c`` must be parenthesised in the .mdl), unary minus,
  comparisons, ``:AND: :OR: :NOT:``, ``Time``;
* ``MIN MAX ABS LN EXP SQRT``, ``IF THEN ELSE(c, a, b)`` -> ``IF c THEN a ELSE b``,
  ``XIDZ(a, b, x)`` -> ``SAFEDIV(a, b, x)``, ``ZIDZ(a, b)`` -> ``SAFEDIV(a, b)`` (PySD's XMILE
  translator maps SAFEDIV back onto its xidz/zidz, see pysd/translators/xmile/xmile_structures.py);
* the control variables INITIAL TIME, FINAL TIME, TIME STEP, SAVEPER (numbers, or one naming
  another) -> ``<sim_specs>`` (start, stop, dt, ``time_units``, ``isee:save_interval``).

Every variable keeps its units (``<units>``), its documentation (``<doc>``) and the Vensim units
range ``[min,max]`` as ``<range min=.. max=..>`` (a slider step is dropped; a one-sided range
such as ``[0,?]`` is left out, since an XMILE range has two ends and PySD's XMILE reader fails on
a ``<range>`` lacking either attribute).
No diagram (``<views>``) is written.
"""

from __future__ import annotations

import math
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

XMILE_NS = "http://docs.oasis-open.org/xmile/ns/XMILE/v1.0"
ISEE_NS = "http://iseesystems.com/XMILE"
CONVERTER_VERSION = "1.0"

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MDL = REPO_ROOT / "sd_models" / "dual_business_model.mdl"

# Vensim control variables (normalised name -> role) that become <sim_specs>.
CONTROL_VARS = {
    "initial_time": "start",
    "final_time": "stop",
    "time_step": "dt",
    "saveper": "save_interval",
}

# Names XMILE gives a meaning of its own; a model variable may not be called that.
RESERVED_NAMES = {
    "time", "dt", "starttime", "stoptime", "if", "then", "else", "and", "or", "not", "mod",
    "pi", "inf", "self",
}

# Vensim function (as PySD's abstract model names it) -> (XMILE name, allowed argument counts).
FUNCTIONS = {
    "min": ("MIN", {2}),
    "max": ("MAX", {2}),
    "abs": ("ABS", {1}),
    "ln": ("LN", {1}),
    "exp": ("EXP", {1}),
    "sqrt": ("SQRT", {1}),
    "xidz": ("SAFEDIV", {3}),
    "zidz": ("SAFEDIV", {2}),
    "if_then_else": ("IF", {3}),
}

# Vensim spelling of the PySD structures this converter refuses, for the error message.
STRUCTURE_NAMES = {
    "DelayFixedStructure": "DELAY FIXED",
    "DelayStructure": "DELAY1/DELAY3/DELAY1I/DELAY3I",
    "DelayNStructure": "DELAY N",
    "SmoothStructure": "SMOOTH/SMOOTH3/SMOOTHI/SMOOTH3I",
    "SmoothNStructure": "SMOOTH N",
    "TrendStructure": "TREND",
    "ForecastStructure": "FORECAST",
    "InitialStructure": "INITIAL",
    "SampleIfTrueStructure": "SAMPLE IF TRUE",
    "LookupsStructure": "lookup table",
    "InlineLookupsStructure": "WITH LOOKUP",
    "GetLookupsStructure": "GET ... LOOKUPS",
    "GetDataStructure": "GET ... DATA",
    "GetConstantsStructure": "GET ... CONSTANTS",
    "DataStructure": "data variable",
    "AllocateAvailableStructure": "ALLOCATE AVAILABLE",
    "AllocateByPriorityStructure": "ALLOCATE BY PRIORITY",
    "SubscriptsReferenceStructure": "subscripted reference",
    "IntegStructure": "INTEG nested inside an expression",
}

# Operator precedence used when printing (higher binds tighter).
P_IF, P_OR, P_AND, P_NOT, P_CMP, P_ADD, P_MUL, P_NEG, P_POW, P_ATOM = range(10)
COMPARISONS = {"=", "<>", "<", "<=", ">", ">="}


class UnsupportedConstructError(ValueError):
    """The .mdl uses something this converter cannot express in its XMILE twin."""


def _key(name: str) -> str:
    """Normalised identifier: case-folded, runs of spaces/underscores -> one underscore."""
    return re.sub(r"[\s_]+", "_", name.strip().strip('"').strip()).lower()


def _fmt_number(value) -> str:
    value = float(value) if not isinstance(value, (int, float)) else value
    if isinstance(value, bool):
        value = int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise UnsupportedConstructError(f"non-finite number {value!r}")
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    return str(value)


class _Converter:
    def __init__(self, mdl_path: Path):
        self.mdl_path = Path(mdl_path)
        self.elements = []  # (element, ast) in .mdl order, control variables excluded
        self.control = {}  # normalised control name -> (element, ast)
        self.by_key = {}  # normalised name -> element name as written in the .mdl
        self.stocks = set()  # normalised names of stocks
        self._current = None  # variable being translated, for error messages

    # ------------------------------------------------------------------ parsing
    def load(self):
        from pysd.translators.structures.abstract_model import AbstractComponent
        from pysd.translators.vensim.vensim_file import VensimFile

        vf = VensimFile(self.mdl_path)
        vf.parse()
        am = vf.get_abstract_model()
        if len(am.sections) != 1:
            raise UnsupportedConstructError(
                f"{self.mdl_path}: macros are not supported "
                f"(sections: {[s.name for s in am.sections]})")
        section = am.sections[0]
        if section.subscripts:
            raise UnsupportedConstructError(
                f"{self.mdl_path}: subscript ranges are not supported "
                f"({', '.join(s.name for s in section.subscripts)})")
        for element in section.elements:
            name = element.name
            if len(element.components) != 1:
                raise UnsupportedConstructError(
                    f"{self.mdl_path}: variable '{name}' has {len(element.components)} "
                    "equations; only one scalar equation per variable is supported")
            component = element.components[0]
            if type(component) is not AbstractComponent:
                kind = type(component).__name__.replace("Abstract", "").lower()
                raise UnsupportedConstructError(
                    f"{self.mdl_path}: variable '{name}' is a {kind} definition; "
                    "only constants, auxiliaries and INTEG stocks are supported")
            if component.subscripts != ([], []):
                raise UnsupportedConstructError(
                    f"{self.mdl_path}: variable '{name}' is subscripted; "
                    "only scalar variables are supported")
            key = _key(name)
            if key in self.by_key:
                raise UnsupportedConstructError(
                    f"{self.mdl_path}: variable '{name}' is defined twice")
            self.by_key[key] = name.strip().strip('"')
            if key in CONTROL_VARS:
                self.control[key] = (element, component.ast)
                continue
            if key in RESERVED_NAMES:
                raise UnsupportedConstructError(
                    f"{self.mdl_path}: variable '{name}' has a name reserved in XMILE")
            ast = component.ast
            if type(ast).__name__ == "IntegStructure":
                self.stocks.add(key)
            self.elements.append((element, ast))
        missing = [n.upper().replace("_", " ") for n in CONTROL_VARS if n not in self.control]
        if missing:
            raise UnsupportedConstructError(
                f"{self.mdl_path}: missing control variable(s) {', '.join(missing)}")

    # ------------------------------------------------------------------ expressions
    def _fail(self, what: str):
        raise UnsupportedConstructError(
            f"{self.mdl_path}: unsupported construct {what} in the equation of "
            f"'{self._current}'; supported are INTEG, constants, + - * / ^, comparisons, "
            ":AND: :OR: :NOT:, Time, MIN, MAX, ABS, LN, EXP, SQRT, IF THEN ELSE, XIDZ, ZIDZ")

    def _ref(self, key: str) -> str:
        if key == "time":
            return "TIME"
        if key in CONTROL_VARS:
            self._fail(f"reference to the control variable {key.upper().replace('_', ' ')}")
        if key not in self.by_key:
            raise UnsupportedConstructError(
                f"{self.mdl_path}: the equation of '{self._current}' uses '{key}', which is "
                "not a variable of the model (an unsupported operator or function?)")
        name = self.by_key[key].replace(" ", "_")
        # Quote names XMILE cannot read bare; PySD's XMILE grammar also reads a leading
        # "not" as the NOT operator, so quote those too.
        if not re.fullmatch(r"[A-Za-z_]\w*", name) or name.lower().startswith("not"):
            return '"' + name.replace('"', '\\"') + '"'
        return name

    def expr(self, node) -> tuple[str, int]:
        """XMILE text of an abstract syntax node and the precedence of its top operator."""
        cls = type(node).__name__
        if isinstance(node, bool) or cls in ("bool_",):
            return ("1" if node else "0"), P_ATOM
        if isinstance(node, (int, float)) or cls in ("int64", "float64"):
            text = _fmt_number(node)
            return text, (P_NEG if text.startswith("-") else P_ATOM)
        if cls == "ReferenceStructure":
            if node.subscripts:
                self._fail("subscripted reference")
            return self._ref(node.reference), P_ATOM
        if cls == "ArithmeticStructure":
            return self._arithmetic(node.operators, node.arguments)
        if cls == "LogicStructure":
            return self._logic(node.operators, node.arguments)
        if cls == "CallStructure":
            return self._call(node)
        self._fail(STRUCTURE_NAMES.get(cls, cls))

    @staticmethod
    def _wrap(text_prec, parens: bool) -> str:
        return f"({text_prec[0]})" if parens else text_prec[0]

    def _chain(self, ops, args, level: int, atoms_only: bool = False) -> str:
        parts = []
        for i, arg in enumerate(args):
            tp = self.expr(arg)
            if atoms_only:
                parens = tp[1] < P_ATOM
            elif i == 0:
                parens = tp[1] < level
            else:
                parens = tp[1] <= level or tp[1] == P_NEG
            parts.append(self._wrap(tp, parens))
        text = parts[0]
        for op, part in zip(ops, parts[1:]):
            text += f" {op} {part}"
        return text

    def _arithmetic(self, ops, args):
        if list(ops) == ["negative"]:
            tp = self.expr(args[0])
            return "-" + self._wrap(tp, tp[1] < P_ATOM), P_NEG
        ops = list(ops)
        if set(ops) <= {"+", "-"}:
            return self._chain(ops, args, P_ADD), P_ADD
        if set(ops) <= {"*", "/"}:
            return self._chain(ops, args, P_MUL), P_MUL
        if set(ops) == {"^"}:
            if len(ops) > 1:
                # a ^ b ^ c is grouped differently by different tools; make the .mdl say it.
                self._fail("chained ^ without parentheses (write (a ^ b) ^ c or a ^ (b ^ c))")
            return self._chain(ops, args, P_POW, atoms_only=True), P_POW
        self._fail(f"operator(s) {', '.join(sorted(set(ops)))}")

    def _logic(self, ops, args):
        ops = list(ops)
        if ops == [":NOT:"]:
            tp = self.expr(args[0])
            return "NOT " + self._wrap(tp, tp[1] < P_ATOM), P_NOT
        if len(ops) == 1 and ops[0] in COMPARISONS:
            # XMILE (and PySD's reader) allow one comparison: parenthesise compound sides.
            return self._chain(ops, args, P_CMP), P_CMP
        if set(ops) <= {":AND:", ":OR:"}:
            # Vensim reads a mixed chain left to right; XMILE binds AND tighter than OR,
            # so nest explicitly unless the chain uses one operator only.
            if len(set(ops)) == 1:
                level = P_AND if ops[0] == ":AND:" else P_OR
                word = ops[0].strip(":")
                parts = [self._wrap(tp, tp[1] <= P_NOT) for tp in map(self.expr, args)]
                return f" {word} ".join(parts), level
            text = self._wrap(self.expr(args[0]), True)
            for op, arg in zip(ops, args[1:]):
                text = f"({text} {op.strip(':')} {self._wrap(self.expr(arg), True)})"
            return text, P_ATOM
        self._fail(f"logical operator chain {' '.join(ops)}")

    def _call(self, node):
        func = node.function
        fname = getattr(func, "reference", None)
        if type(func).__name__ != "ReferenceStructure" or fname is None:
            self._fail(f"call of {func!r}")
        args = node.arguments
        if fname not in FUNCTIONS:
            if fname in self.by_key:
                self._fail(f"lookup call {self.by_key[fname]}(...)")
            self._fail(fname.upper().replace("_", " "))
        xname, arities = FUNCTIONS[fname]
        if len(args) not in arities:
            self._fail(f"{fname.upper()} with {len(args)} argument(s)")
        if fname == "if_then_else":
            cond, then, other = (self._wrap(tp, tp[1] == P_IF) for tp in map(self.expr, args))
            return f"IF {cond} THEN {then} ELSE {other}", P_IF
        return f"{xname}({', '.join(self.expr(a)[0] for a in args)})", P_ATOM

    def translate(self, name: str, ast) -> str:
        self._current = name
        return self.expr(ast)[0]

    # ------------------------------------------------------------------ control
    def _control_value(self, key: str, seen=()) -> float:
        element, ast = self.control[key]
        if type(ast).__name__ == "ReferenceStructure" and ast.reference in self.control:
            if ast.reference in seen:
                raise UnsupportedConstructError(
                    f"{self.mdl_path}: control variables refer to each other in a loop")
            return self._control_value(ast.reference, seen + (key,))
        if isinstance(ast, (int, float)) and not isinstance(ast, bool):
            return ast
        raise UnsupportedConstructError(
            f"{self.mdl_path}: control variable '{element.name}' must be a number or name "
            f"another control variable, got {ast!r}")

    # ------------------------------------------------------------------ structure
    def _plan_stocks(self):
        """Decide, stock by stock in .mdl order, its inflows/outflows or its net flow."""
        used_in, used_out = set(), set()
        plan = {}  # stock key -> (inflows, outflows) or ("net", net flow name)
        for element, ast in self.elements:
            if type(ast).__name__ != "IntegStructure":
                continue
            key = _key(element.name)
            terms = self._signed_terms(ast.flow, +1)
            ins = [k for s, k in terms if s > 0]
            outs = [k for s, k in terms if s < 0]
            ok = (
                terms is not None and terms
                and all(k is not None for _, k in terms)
                and len({k for _, k in terms}) == len(terms)
                and not set(ins) & used_in and not set(outs) & used_out
            )
            if ok:
                plan[key] = (ins, outs)
                used_in.update(ins)
                used_out.update(outs)
            else:
                base = f"{self.by_key[key]} net flow"
                name, n = base, 2
                while _key(name) in self.by_key:
                    name, n = f"{base} {n}", n + 1
                self.by_key[_key(name)] = name
                plan[key] = ("net", name)
        return plan

    def _signed_terms(self, node, sign):
        """[(sign, flow key)] when node is a +/- combination of plain auxiliaries, else
        a list holding (sign, None) for every other term."""
        cls = type(node).__name__
        if cls == "ReferenceStructure" and not node.subscripts:
            key = node.reference
            ok = key in self.by_key and key not in self.stocks and key not in self.control
            return [(sign, key if ok else None)]
        if cls == "ArithmeticStructure":
            ops = list(node.operators)
            if ops == ["negative"]:
                return self._signed_terms(node.arguments[0], -sign)
            if set(ops) <= {"+", "-"}:
                terms = self._signed_terms(node.arguments[0], sign)
                for op, arg in zip(ops, node.arguments[1:]):
                    terms += self._signed_terms(arg, sign if op == "+" else -sign)
                return terms
        return [(sign, None)]

    # ------------------------------------------------------------------ output
    def build(self) -> ET.Element:
        ET.register_namespace("", XMILE_NS)
        ET.register_namespace("isee", ISEE_NS)

        def q(tag):
            return f"{{{XMILE_NS}}}{tag}"

        root = ET.Element(q("xmile"), {"version": "1.0"})
        header = ET.SubElement(root, q("header"))
        ET.SubElement(header, q("vendor")).text = "ambidex"
        ET.SubElement(header, q("product"), {"version": CONVERTER_VERSION}).text = \
            "ambidex tools/mdl_to_xmile.py (PySD Vensim translator)"
        ET.SubElement(header, q("name")).text = self.mdl_path.stem

        values = {k: self._control_value(k) for k in CONTROL_VARS}
        time_units = (self.control["time_step"][0].units
                      or self.control["initial_time"][0].units or "").strip()
        specs_attrib = {"method": "Euler"}
        if time_units:
            specs_attrib["time_units"] = time_units
        specs_attrib[f"{{{ISEE_NS}}}save_interval"] = _fmt_number(values["saveper"])
        specs = ET.SubElement(root, q("sim_specs"), specs_attrib)
        ET.SubElement(specs, q("start")).text = _fmt_number(values["initial_time"])
        ET.SubElement(specs, q("stop")).text = _fmt_number(values["final_time"])
        ET.SubElement(specs, q("dt")).text = _fmt_number(values["time_step"])

        all_units = {(e.units or "").strip().lower() for e, _ in self.elements}
        if "dmnl" in all_units:
            mu = ET.SubElement(root, q("model_units"))
            unit = ET.SubElement(mu, q("unit"), {"name": "Dmnl"})
            ET.SubElement(unit, q("eqn")).text = "1"  # Vensim's Dmnl: dimensionless

        model = ET.SubElement(root, q("model"))
        variables = ET.SubElement(model, q("variables"))
        plan = self._plan_stocks()
        flows = set()
        for value in plan.values():
            if value[0] != "net":
                flows.update(value[0])
                flows.update(value[1])

        def add(kind, name, eqn, units, doc, limits, extra=()):
            var = ET.SubElement(variables, q(kind), {"name": name})
            ET.SubElement(var, q("eqn")).text = eqn
            for tag, text in extra:
                ET.SubElement(var, q(tag)).text = text
            if units:
                ET.SubElement(var, q("units")).text = units
            lo, hi = (list(limits or ()) + [None, None])[:2]
            if lo is not None and hi is not None:
                # A one-sided Vensim range ([0,?]) is left out: an XMILE <range> is a
                # two-ended display range and PySD's XMILE reader needs both attributes.
                ET.SubElement(var, q("range"), {"min": _fmt_number(lo), "max": _fmt_number(hi)})
            if doc:
                ET.SubElement(var, q("doc")).text = doc

        for element, ast in self.elements:
            key = _key(element.name)
            name = self.by_key[key]
            units = (element.units or "").strip()
            doc = (element.documentation or "").strip()
            if key in plan:
                initial = self.translate(name, ast.initial)
                if plan[key][0] == "net":
                    net = plan[key][1]
                    extra = [("inflow", net.replace(" ", "_"))]
                else:
                    ins, outs = plan[key]
                    extra = ([("inflow", self.by_key[k].replace(" ", "_")) for k in ins]
                             + [("outflow", self.by_key[k].replace(" ", "_")) for k in outs])
                add("stock", name, initial, units, doc, element.limits, extra)
                if plan[key][0] == "net":
                    rate = self.translate(name, ast.flow)
                    if not units or units.lower() == "dmnl":
                        net_units = f"1/{time_units}" if time_units else ""
                    elif re.fullmatch(r"\w+", units):
                        net_units = f"{units}/{time_units}" if time_units else ""
                    else:
                        net_units = f"({units})/{time_units}" if time_units else ""
                    net_doc = (f"Net flow of {name}: the rate of its INTEG equation in "
                               f"{self.mdl_path.name}. {doc}").strip()
                    add("flow", net, rate, net_units, net_doc, None)
            else:
                kind = "flow" if key in flows else "aux"
                add(kind, name, self.translate(name, ast), units, doc, element.limits)
        return root


def convert(mdl_path) -> str:
    """XMILE 1.0 text of the Vensim model at ``mdl_path``."""
    conv = _Converter(Path(mdl_path))
    conv.load()
    root = conv.build()
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="utf-8"?>\n' + body + "\n"


def write_xmile(mdl_path, out_path=None) -> Path:
    """Convert ``mdl_path`` and write the twin to ``out_path`` (default: same stem, .xmile)."""
    mdl_path = Path(mdl_path)
    out_path = Path(out_path) if out_path else mdl_path.with_suffix(".xmile")
    text = convert(mdl_path)
    out_path.write_bytes(text.encode("utf-8"))
    return out_path


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) > 2 or any(a in ("-h", "--help") for a in argv):
        print(__doc__)
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    mdl = Path(argv[0]) if argv else DEFAULT_MDL
    out = Path(argv[1]) if len(argv) > 1 else None
    try:
        written = write_xmile(mdl, out)
    except UnsupportedConstructError as err:
        print(f"mdl_to_xmile: {err}", file=sys.stderr)
        return 1
    print(f"wrote {written}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
