"""PySD's translators without PySD's runtime: the ``pysd`` package's ``__init__`` made lazy.

ambidex reads a model with PySD's translators (``pysd.translators``: parse a Vensim or XMILE
file into an AbstractModel); the compiled engine builds its IR from that alone.  But PySD's
package ``__init__`` imports its whole runtime (``pysd.py_backend`` and the Python builder's
reader: scipy.optimize, openpyxl, ...) before any submodule can load -- about half a second of
a cold ``ambidex run`` that never runs PySD.

:func:`install` (run when :mod:`ambidex.core` is imported) puts a finder first on
``sys.meta_path`` that changes one thing about importing the top-level ``pysd`` package: its
``__init__`` runs on the first read of one of its attributes (``pysd.load``,
``pysd.__version__``, ``from pysd import read_vensim``) instead of at import.  Submodules
(``pysd.translators...``) import as usual in between, and whoever uses PySD itself gets the
whole package, as before.  It changes nothing when PySD was imported already.
"""

from __future__ import annotations

import sys


class _LazyInitLoader:
    """PySD's own loader, except that ``exec_module`` defers the ``__init__`` to the first
    attribute read (a module-level ``__getattr__``, PEP 562)."""

    def __init__(self, real):
        self._real = real

    def create_module(self, spec):
        return self._real.create_module(spec)

    def exec_module(self, module) -> None:
        real, state = self._real, {"ran": False}

        def __getattr__(name):  # noqa: N807 - the module-level hook
            if state["ran"]:
                raise AttributeError(f"module 'pysd' has no attribute {name!r}")
            state["ran"] = True
            try:
                real.exec_module(module)  # PySD's own __init__, in this module
            except BaseException:
                state["ran"] = False
                raise
            return getattr(module, name)

        module.__getattr__ = __getattr__

    def __getattr__(self, name):  # resource readers and such: the real loader's
        return getattr(self._real, name)


class _LazyPysdFinder:
    """Finds ``pysd`` as the next finder would, with :class:`_LazyInitLoader` around it."""

    @classmethod
    def find_spec(cls, fullname, path=None, target=None):
        if fullname != "pysd":
            return None
        for finder in sys.meta_path:
            if finder is cls or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                if spec.loader is not None and spec.submodule_search_locations is not None:
                    spec.loader = _LazyInitLoader(spec.loader)
                return spec
        return None


def install() -> None:
    """Put the finder first on ``sys.meta_path`` (once; idle when PySD is imported already)."""
    if _LazyPysdFinder not in sys.meta_path:
        sys.meta_path.insert(0, _LazyPysdFinder)


def runtime_imported() -> bool:
    """Whether PySD's runtime (its package ``__init__``, ``pysd.py_backend``) is imported."""
    return "pysd.py_backend" in sys.modules
