"""The model object: a translated SD model with its variables, parameters and stocks.

:func:`load_model` translates a Vensim (.mdl) or XMILE file through PySD (into the cache, see
:mod:`ambidex.core.translate`) and reads from it everything the rest of the package needs: each
variable's units, documentation and range, the parameter table (name, unit, default, bounds, doc),
the stocks with their inflows and outflows, and the simulation control values.
"""

from __future__ import annotations

import difflib
import hashlib
import math
import os
import pickle
import re
import warnings
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from .errors import ModelError
from .parameters import ParameterTable
from .paths import PACKAGE_ROOT
from .records import CONTROL_NAMES, Parameter, Stock, Variable  # noqa: F401  (public here)
from .translate import abstract_model, file_sha256, saved_method, translate

DEFAULT_MODEL = PACKAGE_ROOT / "sd_models" / "dual_business_model.mdl"


def as_model(model) -> Model:
    """``model`` itself, or the model loaded from a path (None: the default model): the one
    place every API taking "a Model or a path" turns it into a Model."""
    return model if isinstance(model, Model) else load_model(model)


def normalise(name: str) -> str:
    """Key for matching names: case-insensitive, spaces/underscores/hyphens alike."""
    return re.sub(r"[\s_\-]+", " ", str(name)).strip().lower()


def _limit(value) -> float | None:
    if value is None:
        return None
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(value) else value


@dataclass
class Model:
    """A translated model.  Create with :func:`load_model`.

    Attributes: ``path`` (the model file), ``sha256`` (of its bytes), ``py_file`` (PySD's
    translation in the cache), ``variables`` (py_name -> :class:`Variable`), ``parameters``
    (py_name -> :class:`Parameter`), ``stocks`` (list of :class:`Stock`), ``control`` (dict with
    initial_time, final_time, time_step, saveper in the model's time unit), ``time_units``.
    """

    path: Path
    sha256: str
    py_file: Path | None
    variables: dict[str, Variable] = field(default_factory=dict)
    parameters: dict[str, Parameter] = field(default_factory=dict)
    stocks: list[Stock] = field(default_factory=list)
    control: dict[str, float] = field(default_factory=dict)
    time_units: str = ""
    uses_time_functions: bool = False
    saved_method: str | None = None  # 'euler'/'rk4' when the file names its integration method
    saved_method_note: str = ""      # where the file says so (Vensim settings line, sim_specs)
    pysd_error: str = ""             # why PySD could not build it (then py_file is None)
    _compiled: object = field(default=None, repr=False, compare=False)

    @property
    def name(self) -> str:
        return self.path.stem

    def compiled(self):
        """The batched compiled form of this model (:mod:`ambidex.compiled`), built once.

        Raises :class:`~ambidex.core.errors.UnsupportedFunctionError` naming the function when the
        model uses one the compiled backend lacks (``backend="pysd"`` runs it).
        """
        if self._compiled is None:
            from ..compiled.snapshot import compiled_model  # read from disk when built before

            self._compiled = compiled_model(self)
        return self._compiled

    @cached_property
    def ir(self):
        """The model's one intermediate representation, built once from :attr:`abstract`: an
        expression tree per variable over numbered slots, and the lookup tables
        (:class:`ambidex.core.ir.translator.Translator`).  The compiled engine generates its
        kernels from it and loop scores (:mod:`ambidex.loops.equations`) evaluate it; it is
        complete when built (every slot translated), so neither reader adds to it.  Raises
        :class:`~ambidex.core.errors.UnsupportedFunctionError` naming what it cannot take."""
        from .ir.translator import Translator  # imports PySD's builders: only when needed

        return Translator(self.abstract, self.path.name)

    @cached_property
    def abstract(self):
        """PySD's AbstractModel of the file, parsed once per Model (translate, compile, loops and
        checks all read this one)."""
        return parse_abstract(self.path)

    @cached_property
    def table(self) -> ParameterTable:
        """The :class:`~ambidex.core.parameters.ParameterTable` (built once)."""
        return ParameterTable(self.parameters.values())

    def new_pysd(self):
        """A fresh PySD model object (each run gets its own, so overrides never leak).

        Raises :class:`ModelError` for a model PySD could not build (it runs on the compiled
        engine only)."""
        if self.py_file is None:
            raise ModelError(f"{self.pysd_error}; this model runs on backend='compiled' only "
                             "(methods euler, rk4, dopri5; no scheduled interventions)")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import pysd  # heavy (~1 s): only when a model is run

            return pysd.load(str(self.py_file))

    @cached_property
    def _index(self) -> dict[str, str]:
        idx: dict[str, str] = {}
        for py, var in self.variables.items():
            idx[normalise(var.name)] = py
            idx[normalise(py)] = py
        return idx

    def resolve(self, name: str, what: str = "variable") -> str:
        """Py name of the variable called ``name`` (model-file or Python name, any case).

        Raises :class:`ModelError` with close matches when there is no such variable.
        """
        py = self._index.get(normalise(name))
        if py is None:
            raise ModelError(self.unknown_message(name, what))
        return py

    def resolve_parameter(self, name: str) -> Parameter:
        """The :class:`Parameter` called ``name``; ``KeyError``-free: raises ModelError."""
        py = self._index.get(normalise(name))
        if py is None or py not in self.parameters:
            raise ModelError(self.unknown_message(name, "parameter"))
        return self.parameters[py]

    def unknown_message(self, name: str, what: str) -> str:
        pool = self.parameters if what == "parameter" else self.variables
        names = [v.name for v in pool.values()]
        close = difflib.get_close_matches(str(name), names, n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        return f"model '{self.path.name}' has no {what} '{name}'{hint}"

    def stock(self, name: str) -> Stock:
        py = self.resolve(name, "stock")
        for s in self.stocks:
            if s.py_name == py:
                return s
        raise ModelError(f"'{name}' is not a stock of model '{self.path.name}'")

    def defaults(self) -> dict[str, float]:
        """Default value of every parameter, by py name."""
        return {p.py_name: p.default for p in self.parameters.values()}

    def parameter_table(self):
        """The parameter table as a pandas DataFrame (name, unit, default, lower, upper, source)."""
        return self.table.frame()


def _sectors_from_mdl(text: str) -> dict[str, str]:
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


def parse_abstract(path: Path):
    """PySD's AbstractModel of a Vensim or XMILE file (parsed once per file content and cached,
    see :func:`ambidex.core.translate.abstract_model`)."""
    return abstract_model(path)


def _flows_of(am) -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    """Inflows and outflows of each INTEG stock, from PySD's abstract model ``am``."""
    from pysd.translators.structures import abstract_expressions as ae

    out = {}

    def terms(node, sign):
        if isinstance(node, ae.ReferenceStructure):
            yield node.reference, sign
        elif isinstance(node, ae.ArithmeticStructure) and set(node.operators) <= {"+", "-"}:
            ops = ["+"] + list(node.operators)
            for op, arg in zip(ops, node.arguments):
                yield from terms(arg, sign * (-1 if op == "-" else 1))
        elif isinstance(node, ae.ArithmeticStructure) and node.operators == ["negative"]:
            yield from terms(node.arguments[0], -sign)
        else:
            yield None, sign

    for section in am.sections:
        for el in section.elements:
            for comp in el.components:
                if isinstance(comp.ast, ae.IntegStructure):
                    ins, outs = [], []
                    for ref, sign in terms(comp.ast.flow, 1):
                        if ref is None:
                            continue
                        (ins if sign > 0 else outs).append(ref)
                    out[normalise(el.name)] = (tuple(ins), tuple(outs))
    return out


def load_model(path: str | Path | None = None) -> Model:
    """Load a model file (default: ``sd_models/dual_business_model.mdl``) into a :class:`Model`.

    Raises :class:`ModelError` when the file is missing or PySD cannot translate it.
    """
    src = Path(path) if path is not None else DEFAULT_MODEL
    try:
        py_file = translate(src)
    except ModelError as exc:
        if not src.is_file() or "could not translate" not in str(exc):
            raise
        # PySD parsed it but could not build Python: the compiled engine may still run it
        from .compiled_only import fill_from_compiled

        model = Model(path=src.resolve(), sha256=file_sha256(src), py_file=None)
        model.saved_method, model.saved_method_note = saved_method(src)
        try:
            flows = _flows_of(model.abstract)
        except ModelError as parse_exc:  # the parser failed too: PySD's translate error says
            # it best, unless ambidex's XMILE parser named the equation it cannot read
            raise (parse_exc if "cannot read the equation" in str(parse_exc) else exc) from None
        fill_from_compiled(model, str(exc), flows)
        return model
    cached = _read_snapshot(py_file)
    if cached is not None and cached.path == src.resolve():
        return cached
    model = Model(path=src.resolve(), sha256=file_sha256(src), py_file=py_file)
    model.saved_method, model.saved_method_note = saved_method(src)
    pm = model.new_pysd()
    doc = pm.doc
    flows = _flows_of(model.abstract)
    _read_variables(model, pm, src, flows)
    for key, (ins, outs) in flows.items():
        py = model._index.get(key)
        if py is None:
            continue
        var = model.variables[py]
        model.stocks.append(
            Stock(name=var.name, py_name=py, inflows=ins, outflows=outs,
                  physical=var.lower is not None and var.lower >= 0)
        )
    for c in CONTROL_NAMES:
        model.control[c] = float(getattr(pm.components, c)())
    time_rec = doc[doc["Py Name"] == "initial_time"]
    model.time_units = str(time_rec["Units"].iloc[0]) if len(time_rec) else ""
    source = py_file.read_text()
    model.uses_time_functions = bool(re.search(r"\b(step|pulse|pulse_train|ramp)\(", source))
    _write_snapshot(model)
    return model


#: the fields of a loaded Model kept on disk beside its translation (see _read_snapshot)
_SNAPSHOT_FIELDS = ("path", "sha256", "py_file", "variables", "parameters", "stocks", "control",
                    "time_units", "uses_time_functions", "saved_method", "saved_method_note")
_SNAPSHOT_CODE = hashlib.sha256(b"".join(
    (Path(__file__).parent / f).read_bytes() for f in ("model.py", "records.py", "parameters.py")
)).hexdigest()[:12]


def _snapshot_file(py_file: Path) -> Path:
    return py_file.with_name(f"{py_file.stem}.model-{_SNAPSHOT_CODE}.pkl")


def _read_snapshot(py_file: Path) -> Model | None:
    """The Model that :func:`load_model` built from this translation before (its variables,
    parameters, stocks and control values, read from PySD's model object: PySD is not imported
    again), or None.  The translation's folder is keyed by the model file's bytes, its folder's
    data files and the PySD version; the snapshot's name by this module's source."""
    try:
        with open(_snapshot_file(py_file), "rb") as fh:
            fields = pickle.load(fh)
        return Model(**fields)
    except Exception:  # absent, unreadable or from an older ambidex: load with PySD
        return None


def _write_snapshot(model: Model) -> None:
    path = _snapshot_file(model.py_file)
    try:
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        with open(tmp, "wb") as fh:
            pickle.dump({k: getattr(model, k) for k in _SNAPSHOT_FIELDS}, fh)
        os.replace(tmp, path)
    except (OSError, pickle.PicklingError):  # a read-only cache: loaded with PySD next time
        pass


def _read_variables(model: Model, pm, src: Path, flows: dict) -> None:
    """Fill ``model.variables`` and ``model.parameters`` from PySD's documentation table of the
    loaded model ``pm`` (units, comment, limits, subscripts; a constant's value is its default)."""
    doc = pm.doc
    sectors = _sectors_from_mdl(src.read_text(errors="replace")) if src.suffix == ".mdl" else {}
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
        elif py in flow_names:
            kind = "flow"
        else:
            kind = "auxiliary"
        limits = rec.get("Limits") or (None, None)
        lower, upper = (_limit(limits[0]), _limit(limits[1])) if isinstance(limits, tuple) else (None, None)
        subs = rec.get("Subscripts")
        var = Variable(
            name=rec["Real Name"],
            py_name=py,
            units=str(rec.get("Units") or ""),
            doc=str(rec.get("Comment") or "").strip(),
            kind=kind,
            sector=sectors.get(normalise(rec["Real Name"]), ""),
            lower=lower,
            upper=upper,
            subscripts=tuple(subs) if isinstance(subs, (list, tuple)) else (),
        )
        model.variables[py] = var
        if kind == "constant" and not var.subscripts and rec.get("Subtype") == "Normal":
            try:
                value = float(getattr(pm.components, py)())
            except Exception:
                continue
            model.parameters[py] = Parameter(
                name=var.name, py_name=py, units=var.units, default=value,
                lower=lower, upper=upper, doc=var.doc, sector=var.sector,
            )
