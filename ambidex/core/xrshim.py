"""Keep xarray from importing dask.array just to learn that no dask array is around.

xarray asks, on the first Variable it builds, whether its data is a dask array; to answer it
imports ``dask.array`` when dask is installed (1-2 s of a warm ``ambidex run``, more on a loaded
machine) although no dask array can exist in a process that has not imported dask.array.
:func:`defer_dask_probe` puts a stand-in into xarray's cache of duck-array modules that answers
"no dask array type" while ``dask.array`` is not imported and, once it is (an ensemble on a Dask
cluster, a user's own dask), hands over to xarray's real entry, so dask arrays are recognised as
before.  Only the cached ``type`` is read for dask in xarray; a version without this cache is
left alone.
"""

from __future__ import annotations

import sys


class _DaskUntilImported:
    """xarray's ``DuckArrayModule('dask')`` while ``dask.array`` is not imported."""

    def __init__(self, pycompat):
        self._pycompat = pycompat

    def _real(self):
        real = self._pycompat.DuckArrayModule("dask")
        self._pycompat._cached_duck_array_modules["dask"] = real
        return real

    @property
    def type(self):
        if "dask.array" not in sys.modules:
            return ()
        return self._real().type

    def __getattr__(self, name):  # module, version, available: xarray's own answer
        return getattr(self._real(), name)


def defer_dask_probe() -> None:
    """Install the stand-in (once; not when dask.array is imported already)."""
    if "dask.array" in sys.modules:
        return
    try:
        from xarray.namedarray import pycompat

        cache = pycompat._cached_duck_array_modules
        pycompat.DuckArrayModule  # noqa: B018 - the class the stand-in defers to
    except (ImportError, AttributeError):  # pragma: no cover - another xarray
        return
    cache.setdefault("dask", _DaskUntilImported(pycompat))
