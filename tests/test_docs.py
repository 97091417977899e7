"""The documentation: its Python examples run, and the site builds with --strict."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from conftest import ROOT

DOCS = ROOT / "docs"


def python_blocks(path):
    return re.findall(r"```python\n(.*?)```", path.read_text(), flags=re.S)


@pytest.mark.parametrize("page", sorted(p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md")
                                        if "```python" in p.read_text()))
def test_examples_run(page, monkeypatch):
    monkeypatch.chdir(ROOT)
    for i, block in enumerate(python_blocks(DOCS / page)):
        exec(compile(block, f"{page}[{i}]", "exec"), {"__name__": "__docs__"})


def test_mkdocs_builds_strict(tmp_path):
    pytest.importorskip("mkdocs")
    pytest.importorskip("material")
    r = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir",
                        str(tmp_path / "site")], cwd=ROOT, capture_output=True, text=True, timeout=300,
                       env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert r.returncode == 0, r.stderr[-3000:]
    assert (tmp_path / "site" / "index.html").is_file()
    assert "ambidex run" in (tmp_path / "site" / "reference" / "cli" / "index.html").read_text()
    # the tutorials carry figures computed by the build (docs/hooks.py), not pasted images
    for page in ("tutorials/facilitator", "tutorials/academic", "tutorials/analyst", "guides/own-model"):
        html = (tmp_path / "site" / page / "index.html").read_text()
        assert "plotly-graph-div" in html and "<!-- figure:" not in html and "<img" not in html, page
    assert (tmp_path / "site" / "assets" / "js" / "plotly.min.js").stat().st_size > 1e6
