"""pytest plugin: the ``sd_check`` fixture runs :func:`ambidex.check` on a model file.

Enable it in a ``conftest.py`` with ``pytest_plugins = ["ambidex.check.pytest_plugin"]`` (or
``pytest -p ambidex.check.pytest_plugin``), then::

    def test_my_model(sd_check):
        report = sd_check("models/my.mdl")            # checks_file, only, skip as in ambidex.check
        assert report.passed, str(report)              # str() lists every failure and warning

Reports are cached for the session per (model file content, checks file, options), so several
tests can assert on one run.  :func:`reality_params` turns a checks file into pytest params so
that each declared reality check is its own test.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from . import default_checks_file, run_checks


def _key(model, checks_file, kwargs):
    from ..core.translate import file_sha256

    p = Path(getattr(model, "path", model)) if model is not None else None
    sha = file_sha256(p) if p is not None and p.is_file() else None
    return (str(p), sha, str(checks_file), tuple(sorted((k, repr(v)) for k, v in kwargs.items())))


@pytest.fixture(scope="session")
def sd_check():
    """``sd_check(model=None, checks_file=None, **options) -> CheckReport`` (cached)."""
    cache = {}

    def _run(model=None, checks_file=None, **kwargs):
        key = _key(model, checks_file, kwargs)
        if key not in cache:
            cache[key] = run_checks(model, checks_file, **kwargs)
        return cache[key]

    return _run


def reality_params(model_path, checks_file=None):
    """``pytest.param(check_dict, id=name)`` for every [[check]] of a checks file."""
    from .reality import load_checks

    cf = Path(checks_file) if checks_file else default_checks_file(model_path)
    _, checks = load_checks(cf)
    return [pytest.param(c, id=c["name"]) for c in checks]
