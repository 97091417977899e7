"""The model object: a translated SD model with its variables, parameters and stocks.

:func:`load_model` parses a Vensim (.mdl) or XMILE file with PySD's translator (the
AbstractModel, cached: :mod:`ambidex.core.translate`), builds its IR and reads from it
everything the rest of the package needs (:mod:`ambidex.core.fill`): each variable's units,
documentation and range, the parameter table (name, unit, default, bounds, doc), the stocks
with their inflows and outflows, and the simulation control values.  PySD's Python translation
is built only when something runs PySD (:attr:`Model.py_file`, :meth:`Model.new_pysd`).
"""

from __future__ import annotations

import difflib
import hashlib
import os
import pickle
import warnings
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from .errors import ModelError
from .parameters import ParameterTable
from .paths import PACKAGE_ROOT
from .records import CONTROL_NAMES, Parameter, Stock, Variable, normalise  # noqa: F401  (public here)
from .translate import abstract_model, cache_key, cache_root, file_sha256, model_file, saved_method, translate

DEFAULT_MODEL = PACKAGE_ROOT / "sd_models" / "dual_business_model.mdl"


def as_model(model) -> Model:
    """``model`` itself, or the model loaded from a path (None: the default model): the one
    place every API taking "a Model or a path" turns it into a Model."""
    return model if isinstance(model, Model) else load_model(model)


@dataclass
class Model:
    """A translated model.  Create with :func:`load_model`.

    Attributes: ``path`` (the model file), ``sha256`` (of its bytes), ``variables`` (py_name ->
    :class:`Variable`), ``parameters`` (py_name -> :class:`Parameter`), ``stocks`` (list of
    :class:`Stock`), ``control`` (dict with initial_time, final_time, time_step, saveper in the
    model's time unit), ``time_units``, ``stepped`` (the once-per-TIME-STEP functions it uses,
    DELAY FIXED, SAMPLE IF TRUE, ...); ``py_file`` (PySD's translation, built on first read).
    """

    path: Path
    sha256: str
    variables: dict[str, Variable] = field(default_factory=dict)
    parameters: dict[str, Parameter] = field(default_factory=dict)
    stocks: list[Stock] = field(default_factory=list)
    control: dict[str, float] = field(default_factory=dict)
    time_units: str = ""
    uses_time_functions: bool = False
    saved_method: str | None = None  # 'euler'/'rk4' when the file names its integration method
    saved_method_note: str = ""      # where the file says so (Vensim settings line, sim_specs)
    pysd_error: str = ""             # why PySD could not build it (then py_file is None)
    stepped: tuple[str, ...] = ()    # once-per-TIME-STEP functions (no adaptive default method)
    _py_file: Path | None | bool = field(default=False, repr=False, compare=False)  # False: not yet
    _compiled: object = field(default=None, repr=False, compare=False)

    @property
    def py_file(self) -> Path | None:
        """PySD's Python translation of the model in the cache, built on first read (a second or
        two); None when PySD cannot build it (:attr:`pysd_error` says why)."""
        if self._py_file is False:
            try:
                self._py_file = translate(self.path)
            except ModelError as exc:
                if "could not translate" not in str(exc):
                    raise
                self._py_file, self.pysd_error = None, str(exc)
        return self._py_file

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

    Read from the model's IR (:func:`ambidex.core.fill.fill_from_ir`); a model the IR cannot
    take (a function the compiled engine lacks) is read from PySD's translation instead and
    runs on PySD.  The Model is kept on disk and read back by the next process (see
    :func:`_snapshot_file`).  Raises :class:`ModelError` when the file is missing, cannot be
    parsed (PySD's message, with the equation and its line), or neither the IR nor PySD can
    take it.
    """
    src, _ = model_file(path if path is not None else DEFAULT_MODEL)
    snapshot = _snapshot_file(src)
    cached = _read_snapshot(snapshot)
    if cached is not None and cached.path == src.resolve():
        return cached
    from .fill import fill_from_ir, fill_from_pysd

    model = Model(path=src.resolve(), sha256=file_sha256(src))
    model.saved_method, model.saved_method_note = saved_method(src)
    try:
        flows = _flows_of(model.abstract)
    except ModelError as parse_exc:
        if "cannot read the equation" not in str(parse_exc):  # ambidex's XMILE parser says best
            translate(src)  # PySD's own message: the equation it cannot parse and its line
        raise
    try:
        fill_from_ir(model, flows)
    except Exception as ir_exc:  # noqa: BLE001 - the IR cannot take it: PySD's Python may
        model = Model(path=model.path, sha256=model.sha256, saved_method=model.saved_method,
                      saved_method_note=model.saved_method_note)
        if model.py_file is None:
            raise ModelError(f"{model.pysd_error}; the compiled engine cannot take it either: "
                             f"{ir_exc}") from ir_exc
        fill_from_pysd(model, flows)
    _write_snapshot(model, snapshot)
    return model


#: the fields of a loaded Model kept on disk (see _snapshot_file)
_SNAPSHOT_FIELDS = ("path", "sha256", "variables", "parameters", "stocks", "control",
                    "time_units", "uses_time_functions", "saved_method", "saved_method_note",
                    "pysd_error", "stepped", "_py_file")
_SNAPSHOT_CODE = hashlib.sha256(b"".join(  # the code that fills a Model, the IR's included
    p.read_bytes() for p in [Path(__file__).parent / f for f in ("model.py", "records.py",
                                                                "parameters.py", "fill.py")]
    + sorted((Path(__file__).parent / "ir").glob("*.py"))
)).hexdigest()[:12]


def _snapshot_file(src: Path) -> Path:
    """Where the Model of ``src`` is kept: ``<cache_root>/models/<key>-<code>.pkl``, the key
    that of its translation (the file's bytes, its folder's data files, the PySD version and
    the translator's source), the code a hash of the source that fills a Model."""
    return cache_root() / "models" / f"{cache_key(src)}-{_SNAPSHOT_CODE}.pkl"


def _read_snapshot(path: Path) -> Model | None:
    """The Model :func:`load_model` built before (PySD and the IR are not imported again), or
    None when there is none (or it is unreadable, or names a translation no longer there)."""
    try:
        with open(path, "rb") as fh:
            fields = pickle.load(fh)
        model = Model(**fields)
    except Exception:  # absent, unreadable or from an older ambidex: load again
        return None
    if isinstance(model._py_file, Path) and not model._py_file.is_file():
        model._py_file = False  # the translation was removed: built again when needed
    return model


def _write_snapshot(model: Model, path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        with open(tmp, "wb") as fh:
            pickle.dump({k: getattr(model, k) for k in _SNAPSHOT_FIELDS}, fh)
        os.replace(tmp, path)
    except (OSError, pickle.PicklingError):  # a read-only cache: loaded again next time
        pass
