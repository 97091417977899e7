"""PySD's Python names and subscript ranges, without importing PySD's builders or runtime.

The IR names each variable as PySD's builder does (``NamespaceManager``) and expands subscript
ranges as it does (``SubscriptManager``).  Importing those two classes imports
``pysd.builders`` and, through them, ``pysd.py_backend`` (PySD's runtime: scipy.optimize,
openpyxl, ...), half a second of a cold ``ambidex run`` that needs none of it.  The parts the IR
uses are therefore kept here, adapted from PySD 3.14 (``pysd/builders/python/namespace.py`` and
``subscripts.py``, MIT licence, (c) the PySD contributors):

* :class:`NamespaceManager` -- ``make_python_identifier`` with PySD's reserved words, which are
  the names bound in PySD's runtime modules: read from their source with :mod:`ast` (nothing is
  imported), so a new PySD version brings its own words.
* :class:`SubscriptManager` -- ranges (copied ranges, ranges built from subranges), main ranges
  with their subranges, the mapping and ``make_merge_list``.  A range read from a spreadsheet
  (GET DIRECT SUBSCRIPT) imports PySD's external-data reader then, as PySD does.

``tests/test_pysd_names.py`` checks both against PySD's own classes on every conformance model.
"""

from __future__ import annotations

import ast
import builtins
import importlib.util
import keyword
import re
import warnings
from functools import lru_cache
from pathlib import Path
from unicodedata import normalize

import numpy as np

#: PySD's runtime modules whose names its NamespaceManager reserves
RUNTIME_MODULES = ("allocation", "cache", "components", "data", "external", "functions",
                   "statefuls", "utils")
_MODULE_DUNDERS = {"__name__", "__doc__", "__package__", "__loader__", "__spec__", "__file__",
                   "__cached__", "__builtins__", "__warningregistry__"}


def _top_level_names(source: str) -> set[str]:
    """The names a module's top level binds (what ``dir(module)`` lists once it ran)."""
    names = set(_MODULE_DUNDERS)

    def bind(target):
        names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))

    def visit(body):
        for st in body:
            if isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(st.name)
            elif isinstance(st, ast.Import):
                names.update(a.asname or a.name.split(".")[0] for a in st.names)
            elif isinstance(st, ast.ImportFrom):
                names.update(a.asname or a.name for a in st.names)
            elif isinstance(st, ast.Assign):
                for t in st.targets:
                    bind(t)
            elif isinstance(st, ast.AnnAssign):
                bind(st.target)
                names.add("__annotations__")
            elif isinstance(st, ast.AugAssign):
                bind(st.target)
            elif isinstance(st, (ast.If, ast.Try, ast.For, ast.While, ast.With)):
                if isinstance(st, ast.For):
                    bind(st.target)
                for item in getattr(st, "items", []):
                    if item.optional_vars is not None:
                        bind(item.optional_vars)
                for part in ("body", "orelse", "finalbody"):
                    visit(getattr(st, part, None) or [])
                for handler in getattr(st, "handlers", []):
                    if handler.name:
                        names.add(handler.name)
                    visit(handler.body)

    visit(ast.parse(source).body)
    return names


@lru_cache(maxsize=1)
def reserved_words() -> frozenset[str]:
    """The words PySD's builder never uses as a variable's Python name: Python's keywords and
    builtins and the names of PySD's runtime modules (read from their source)."""
    spec = importlib.util.find_spec("pysd")
    root = Path(list(spec.submodule_search_locations)[0]) / "py_backend"
    words = {"__module__", "__qualname__", "__doc__"} | set(dir(builtins)) | set(keyword.kwlist)
    for mod in RUNTIME_MODULES:
        words |= _top_level_names((root / f"{mod}.py").read_text(encoding="utf-8"))
    return frozenset(words)


class NamespaceManager:
    """Python-safe names for model elements, as PySD's builder gives them (see the module)."""

    def __init__(self, parameters=()):
        self._used_words = set(reserved_words())
        self.namespace = {"Time": "time"}
        self.cleanspace = {"time": "time"}
        for parameter in parameters:
            self.add_to_namespace(parameter)

    def add_to_namespace(self, string: str) -> None:
        self.make_python_identifier(string, add_to_namespace=True)

    def make_python_identifier(self, string: str, prefix: str | None = None,
                               add_to_namespace: bool = False) -> str:
        """PySD's identifier for ``string``: lower case, spaces to '_', accents and other
        characters dropped, 'nvs_' before a leading digit, '_1', '_2'... on a clash."""
        s = string.lower()
        clean_s = s.replace(" ", "_")
        s = re.sub(r"[\s\t\n_]+", "_", s)
        s = normalize("NFD", s).encode("ascii", "ignore").decode("utf-8")
        s = re.sub(r"[^0-9a-zA-Z_]", "", s)
        if prefix is not None:
            s = prefix + "_" + s
        elif re.findall(r"^[0-9]", s) or not s:
            s = "nvs_" + s
        elif re.findall(r"^_", s):
            s = "nvs" + s
        s = re.sub(r"[_]+", "_", s)
        identifier, i = s, 1
        while identifier in self._used_words:
            identifier = s + "_" + str(i)
            i += 1
        self._used_words.add(identifier)
        if add_to_namespace:
            self.namespace[string] = identifier
            self.cleanspace[clean_s] = identifier
        return identifier


class SubscriptManager:
    """A section's subscript ranges, as PySD's builder reads them (see the module)."""

    def __init__(self, abstract_subscripts, _root: Path):
        self._root = _root
        self._copied: list[str] = []
        self.mapping: dict = {}
        self._subscripts = self._read(abstract_subscripts)
        self.subranges = self._main_subscripts()

    @property
    def subscripts(self) -> dict:
        return self._subscripts

    def _read(self, abstract_subscripts) -> dict:
        subs: dict = {}
        missing = []
        for sub in abstract_subscripts:
            self.mapping[sub.name] = sub.mapping
            if isinstance(sub.subscripts, list):
                subs[sub.name] = sub.subscripts
            elif isinstance(sub.subscripts, str):  # a copied range: always a subrange
                self._copied.append(sub.name)
                self.mapping[sub.name].append(sub.subscripts)
                if sub.subscripts in subs:
                    subs[sub.name] = subs[sub.subscripts]
                else:
                    missing.append(sub)
            elif isinstance(sub.subscripts, dict):  # a range read from a spreadsheet
                from pysd.py_backend.external import ExtSubscript

                d = sub.subscripts
                subs[sub.name] = ExtSubscript(
                    file_name=d["file"], tab=d["tab"], firstcell=d["firstcell"],
                    lastcell=d["lastcell"], prefix=d["prefix"], root=self._root).subscript
                if not subs[sub.name]:
                    raise ValueError(f"Subscript range '{sub.name}' empty:\n\t{sub.subscripts}")
            else:
                raise ValueError(f"Invalid definition of subscript '{sub.name}':\n\t"
                                 f"{sub.subscripts}")
        while missing:
            sub = missing.pop()
            subs[sub.name] = subs[sub.subscripts]
        visit = list(subs)
        while visit:  # ranges defined with subranges, to any depth
            updated = []
            for dim in visit:
                if any(s in subs for s in subs[dim]):
                    updated.append(dim)
                    new = []
                    for s in subs[dim]:
                        new += subs[s] if s in subs else [s]
                    subs[dim] = new
            visit = updated
        return subs

    def _main_subscripts(self) -> dict:
        """Main ranges -> their subranges (of two equal ranges the alphabetically first one
        is the main one, as in Vensim)."""
        sets = {name: set(subs) for name, subs in self.subscripts.items()}
        subranges: dict = {}
        for rng, subs in sets.items():
            subranges[rng] = []
            for other, subs2 in sets.items():
                if rng == other:
                    continue
                if subs == subs2:
                    if (rng.replace(" ", "_").lower() < other.replace(" ", "_").lower()
                            and rng not in self._copied):
                        subranges[rng].append(other)
                    else:
                        del subranges[rng]
                        break
                elif subs2.issubset(subs):
                    subranges[rng].append(other)
                elif subs2.issuperset(subs):
                    del subranges[rng]
                    break
        return subranges

    def _find_subscript_name(self, element: str, avoid=()) -> str | None:
        for name, elements in self.subscripts.items():
            if element in elements and name not in avoid:
                return name
        return None

    def make_coord_dict(self, subs) -> dict:
        """``{range: elements}`` of a list of ranges and single elements."""
        all_elements = [y for x in self.subscripts.values() for y in x]
        coordinates: dict = {}
        for sub in subs:
            if sub in all_elements:
                name = self._find_subscript_name(sub, avoid=list(subs) + list(coordinates))
                coordinates[name] = [sub]
            elif sub.endswith("!"):
                coordinates[sub] = self.subscripts[sub[:-1]]
            else:
                coordinates[sub] = self.subscripts[sub]
        return coordinates

    def make_merge_list(self, subs_list, element: str = "") -> list:
        """The ranges of a variable defined piece by piece (one subscript list per piece)."""
        coords_set = [set() for _ in range(len(subs_list[0]))]
        coords_list = [self.make_coord_dict(subs) for subs in subs_list]
        for coords in coords_list:
            for i, dim in enumerate(coords):
                coords_set[i].update(coords[dim])
        dims = [None] * len(coords_set)
        dims_list = np.array([list(coords) for coords in coords_list]).transpose()
        indexes = np.arange(len(dims))
        for i, coord2 in enumerate(coords_set):
            dims1 = [_to_list(dim) for dim in dims_list[i]
                     if dim is not None and set(self.subscripts[dim]) == coord2]
            if dims1:
                dims[i] = dims1[0]
                continue
            other_dims = dims_list[indexes != i]
            dims[i] = next((name for name, els in self.subscripts.items()
                            if coord2 == set(els) and name not in other_dims), None)
            if not dims[i]:  # incomplete: the smallest range that completes it
                for name, els in self.subscripts.items():
                    if coord2.issubset(set(els)) and name not in other_dims:
                        dims[i] = name
                        warnings.warn(f"{element}\nDimension given by subscripts:\n\t{coord2}\n"
                                      f"is incomplete using {name} instead.\nSubscript_dict:"
                                      f"\n\t{self.subscripts}", stacklevel=2)
                        break
            if not dims[i]:
                for name, els in self.subscripts.items():
                    if coord2 == set(els):
                        j = 1
                        while name + str(j) in self.subscripts:
                            j += 1
                        self.subscripts[name + str(j)] = els
                        dims[i] = name + str(j)
                        warnings.warn(f"{element}\nAdding new subscript range to "
                                      f"subscript_dict:\n{name}{j}: {', '.join(els)}", stacklevel=2)
                        break
        return dims


def _to_list(dim):
    try:
        return dim.tolist()
    except AttributeError:
        return dim
