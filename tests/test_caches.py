"""Caches that make a second run start fast: the parsed abstract model and the loop list."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ambidex.core import translate
from ambidex.loops import causal_graph, find_loops
from ambidex.loops.cycles import Loop
from ambidex.loops.ltm import _products, dominant

ROOT = Path(__file__).resolve().parents[1]
BASS = ROOT / "sd_models" / "reference" / "bass_diffusion.mdl"


def _names(am):
    return sorted(el.name for s in am.sections for el in s.elements)


def test_abstract_model_parsed_once_and_reused_across_processes(tmp_path, monkeypatch):
    monkeypatch.setenv("AMBIDEX_CACHE", str(tmp_path))
    monkeypatch.setattr(translate, "_ABSTRACT", {})
    a = translate.abstract_model(BASS)
    pkls = list((tmp_path / "abstract").glob("bass_diffusion-*.pkl"))
    assert len(pkls) == 1
    b = translate.abstract_model(BASS)
    assert a is not b and _names(a) == _names(b)  # a fresh copy each call
    # a new process has an empty memory cache: it reads the pickle, not the parser
    monkeypatch.setattr(translate, "_ABSTRACT", {})
    monkeypatch.setattr(translate, "_parse", lambda *a: (_ for _ in ()).throw(AssertionError))
    assert _names(translate.abstract_model(BASS)) == _names(a)


def test_loop_list_cached_on_disk_gives_the_same_loops(tmp_path, monkeypatch):
    monkeypatch.setenv("AMBIDEX_CACHE", str(tmp_path))
    g = causal_graph(BASS)
    first = find_loops(g)
    assert list((tmp_path / "loops").glob("*.pkl"))
    import networkx as nx
    monkeypatch.setattr(nx, "simple_cycles", lambda *a, **k: (_ for _ in ()).throw(AssertionError))
    again = find_loops(g)
    assert [(lp.id, lp.variables, lp.polarity) for lp in again] == \
        [(lp.id, lp.variables, lp.polarity) for lp in first]


def test_loop_products_equal_the_plain_product_in_loop_order():
    rng = np.random.default_rng(1)
    edges = [("a", "b"), ("b", "a"), ("b", "c"), ("c", "a"), ("c", "c")]
    ls = {e: rng.normal(size=7) for e in edges}
    ls[("c", "c")] = np.zeros(7)  # a link without effect: its loops score 0
    loops = [Loop("L1", ("a", "b")), Loop("L2", ("a", "b", "c")), Loop("L3", ("c",))]
    got = _products(loops, sorted(edges), ls, 7)
    for i, lp in enumerate(loops):
        want = np.ones(7)
        for e in lp.edges:
            want = want * ls[e]
        assert np.array_equal(got[i], want)


def test_dominant_skips_zero_loops_without_changing_the_answer():
    rel = np.array([[0.6, 0.0, 0.3], [0.0, 0.0, 0.0], [0.4, -0.7, 0.4], [0.0, 0.3, 0.3]])
    d = dominant(rel, [0, 0, 0, 0])
    # hand-derived: t0 loop 0 (0.6) suffices; t1 loop 2 (0.7); t2 loop 2 (0.4) then the first
    # of the tied 0.3s, loop 0 (0.7 >= 0.5); loop 1 is 0 throughout and never dominant
    assert d.tolist() == [[True, False, True], [False, False, False], [False, True, True],
                          [False, False, False]]


_MACRO = ROOT / "tests" / "data" / "sdxorg-test-models" / "tests" / "macro_stock" / "test_macro_stock.mdl"
_XMILE = ROOT / "tests" / "data" / "sdxorg-test-models" / "tests" / "limits" / "test_limits.xmile"


@pytest.mark.parametrize("src", [BASS, _MACRO, _XMILE,
                                 pytest.param(ROOT / "sd_models" / "dual_business_model.mdl",
                                              marks=pytest.mark.slow)],
                         ids=["bass", "macro", "xmile", "dual"])
def test_translation_is_pysds_reader_output_less_the_layout(src, tmp_path, monkeypatch):
    """The generated model is what ``pysd.read_vensim`` / ``read_xmile`` write, once black has
    laid it out (ambidex skips that step), and a Vensim file is parsed once: the translation
    and the abstract model the rest of ambidex reads share the parse."""
    import shutil

    import black
    import pysd
    from pysd.translators.vensim.vensim_file import VensimFile

    monkeypatch.setenv("AMBIDEX_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(translate, "_ABSTRACT", {})
    parses = []
    real_parse = VensimFile.parse
    monkeypatch.setattr(VensimFile, "parse", lambda self, *a, **k: parses.append(1)
                        or real_parse(self, *a, **k))
    py = translate.translate(src)
    translate.abstract_model(src)
    assert len(parses) == (1 if src.suffix == ".mdl" else 0)
    ref_dir = tmp_path / "ref"
    ref_dir.mkdir()
    shutil.copy(src, ref_dir / src.name)
    (pysd.read_vensim if src.suffix == ".mdl" else pysd.read_xmile)(str(ref_dir / src.name))
    made = py.read_text(encoding="utf-8")
    ref = (ref_dir / src.name).with_suffix(".py").read_text(encoding="utf-8")
    assert made != ref  # not laid out by black ...
    assert black.format_file_contents(made, fast=True, mode=black.FileMode()) == ref  # ... else equal
