"""ambidex's copy of PySD's namespace and subscript managers (ambidex.core.ir.pysd_names) gives
what PySD's own classes give: the same reserved words, and on every shipped conformance model
the same ranges, main ranges, mappings, Python names and merged dimensions."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from ambidex.core.ir import pysd_names
from ambidex.core.translate import abstract_model

ROOT = Path(__file__).resolve().parents[1]
SUITE = ROOT / "tests" / "data" / "sdxorg-test-models"


def test_reserved_words_are_pysds():
    from pysd.builders.python.namespace import NamespaceManager

    ours = set(pysd_names.reserved_words())
    theirs = set(NamespaceManager._reserved_words)
    # a module's __warningregistry__ exists once it warned: never a variable name either way
    assert ours - {"__warningregistry__"} == theirs - {"__warningregistry__"}


def _models():
    files = [ROOT / "sd_models" / "dual_business_model.mdl"]
    files += sorted(p for p in SUITE.rglob("*.mdl"))
    return [pytest.param(p, id=str(p.relative_to(ROOT))) for p in files]


@pytest.mark.parametrize("path", _models())
def test_managers_match_pysds_on_a_model(path):
    from pysd.builders.python.namespace import NamespaceManager
    from pysd.builders.python.subscripts import SubscriptManager

    try:
        am = abstract_model(path)
    except Exception as exc:  # noqa: BLE001 - a model PySD cannot parse: nothing to compare
        pytest.skip(f"not parsed: {exc}"[:200])
    for section in am.sections:
        root = Path(section.path).parent if section.path else Path(".")
        ours, theirs = (pysd_names.SubscriptManager(section.subscripts, root),
                        SubscriptManager(section.subscripts, root))
        assert ours.subscripts == theirs.subscripts
        assert ours.subranges == theirs.subranges
        assert ours.mapping == theirs.mapping
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for el in section.elements:
                subs = [c.subscripts[0] for c in el.components]
                if subs and subs[0]:
                    assert ours.make_merge_list(subs, el.name) == \
                        theirs.make_merge_list(subs, el.name), el.name
        ns_ours, ns_theirs = (pysd_names.NamespaceManager(list(section.params)),
                              NamespaceManager(list(section.params)))
        for el in section.elements:
            ns_ours.add_to_namespace(el.name)
            ns_theirs.add_to_namespace(el.name)
        assert ns_ours.namespace == ns_theirs.namespace
