"""Published models nobody here wrote, against the reference runs of the tools they were made in.

One test per model listed in ``../shared/conformance/realmodels-dev/pairs.tsv`` (Vensim ``.vdf``
read by pysimlin's maintained reader, SDEverywhere ``.dat``, Vensim/Stella ``output.tab`` /
``output.csv``).  Each model runs through :func:`ambidex.simulate` as a new user would run it:
the model's own saved integration method (Euler where it names none) at its TIME STEP.  A model
passes when every series of the reference (Vensim's ``#...#`` helpers and the control variables
aside) is in our output and within 1e-3 relative error (``max|ours - ref| / max|ref|``).

Models that still fail are ``xfail(strict=True)`` with a one-line reason, so the pass rate is
visible and a model that starts passing fails the suite until its mark is removed.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from _data import require

from ambidex.references import against

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "conformance" / "realmodels-dev"
REL_TOL = 1e-3

# model path (as in pairs.tsv) -> why it still fails
XFAIL = {
    # the model's folder has no data/ subfolder (data/a.csv ... data/g.csv are not in the corpus);
    # a data/ subfolder beside a model is found (test_a_model_finds_the_data_file_beside_it)
    "test/sdeverywhere/models/directconst/directconst.mdl": "reads data/*.csv, which the corpus lacks",
}


def _pairs():
    listing = CORPUS / "pairs.tsv"
    if not listing.is_file():
        return [pytest.param(None, None, id="realmodels-dev-absent")]
    out = []
    for line in listing.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        model, ref = (c.strip() for c in line.split("\t")[:2])
        marks = [pytest.mark.xfail(strict=True, reason=XFAIL[model])] if model in XFAIL else []
        out.append(pytest.param(model, ref, id=model.removeprefix("test/"), marks=marks))
    return out


@pytest.mark.parametrize(("model", "reference"), _pairs())
def test_published_model_matches_its_reference(model, reference):
    if model is None:
        require(CORPUS / "pairs.tsv", "the real-model corpus", shared=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rep = against(CORPUS / model, CORPUS / reference)
    assert not rep["missing"], (f"{len(rep['missing'])} reference series not in our output, "
                                f"e.g. {rep['missing'][:5]}")
    bad = {k: v for k, v in rep["errors"].items() if not v <= REL_TOL}
    assert rep["errors"], "no series in common with the reference"
    assert not bad, "relative error above 1e-3: " + ", ".join(
        f"{k}={v:.2e}" for k, v in sorted(bad.items(), key=lambda kv: -kv[1])[:5])


@pytest.mark.parametrize("where", ["c.csv", "data/c.csv"])
def test_a_model_finds_the_data_file_beside_it(tmp_path, where):
    """GET DIRECT CONSTANTS reads a CSV next to the model or in a folder beside it (the
    translation cache used to hold a lone copy of the model file, so the CSV was never found);
    inline {comments} are dropped."""
    import numpy as np

    import ambidex

    (tmp_path / where).parent.mkdir(exist_ok=True)
    (tmp_path / where).write_text("1.5,2.5\n")
    (tmp_path / "m.mdl").write_text(
        "{UTF-8}\nDimA: A1, A2 ~~|\n"
        f"c[DimA] = GET DIRECT CONSTANTS('{where}', ',', 'A1') ~ u ~|\n"
        "y[DimA] = c[DimA] * 2 {twice the constant} ~ u ~|\n"
        "INITIAL TIME = 0 ~ Year ~|\nFINAL TIME = 1 ~ Year ~|\nTIME STEP = 1 ~ Year ~|\n"
        "SAVEPER = 1 ~ Year ~|\n")
    ds = ambidex.simulate(tmp_path / "m.mdl", method="euler")
    np.testing.assert_allclose(ds["y"].isel(scenario=0, time=0).values, [3.0, 5.0])


def test_a_mapping_to_a_subrange_runs_compiled_when_pysd_cannot_build_it(tmp_path):
    """``DimB: B1, B2 -> (DimA: SubA, A3)``: B1 stands for A1 and A2, B2 for A3 (Vensim's
    mapping).  PySD's builder fails on it; the model loads on the compiled engine alone and the
    PySD backend is refused with the reason."""
    import numpy as np

    import ambidex

    (tmp_path / "m.mdl").write_text(
        "{UTF-8}\nDimA: A1, A2, A3 ~~|\nSubA: A1, A2 ~~|\nDimB: B1, B2 -> (DimA: SubA, A3) ~~|\n"
        "b[DimB] = 1, 2 ~~|\na[DimA] = b[DimB] * 10 ~~|\n"
        "INITIAL TIME = 0 ~~|\nFINAL TIME = 1 ~~|\nTIME STEP = 1 ~~|\nSAVEPER = 1 ~~|\n")
    model = ambidex.load_model(tmp_path / "m.mdl")
    ds = ambidex.simulate(model, method="euler")
    np.testing.assert_allclose(ds["a"].isel(scenario=0, time=0).values, [10.0, 10.0, 20.0])
    assert model._py_file is False  # loaded and run without trying PySD's Python at all
    with pytest.raises(ambidex.ModelError, match=r"PySD could not translate model file "
                                                 r"'.*m\.mdl'.*runs on backend='compiled' only"):
        ambidex.simulate(model, method="euler", backend="pysd")


XMILE_GF = """<?xml version="1.0" encoding="utf-8"?>
<xmile version="1.0" xmlns="http://docs.oasis-open.org/xmile/ns/XMILE/v1.0">
<header><name>gf</name></header>
<sim_specs method="Euler" time_units="Year"><start>0</start><stop>4</stop><dt>1</dt></sim_specs>
<model><variables>
<aux name="ramp table"><gf><xpts>0,4</xpts><ypts>0,8</ypts></gf></aux>
<aux name="shaped"><eqn>TIME</eqn><gf><xpts>0,4</xpts><ypts>10,14</ypts></gf></aux>
<aux name="via lookup"><eqn>LOOKUP(ramp_table, TIME) + LOOKUP(shaped, 2)</eqn></aux>
</variables></model></xmile>
"""


def test_xmile_graphical_functions_without_eqn_and_stella_lookup(tmp_path):
    """A <gf> with no <eqn> is a table; Stella's LOOKUP(table, x) reads another variable's
    table; a <gf> with an <eqn> is the table applied to it (hand-derived: 2t + 12, t + 10)."""
    import numpy as np

    import ambidex

    (tmp_path / "gf.xmile").write_text(XMILE_GF)
    ds = ambidex.simulate(tmp_path / "gf.xmile").isel(scenario=0)
    t = ds["time"].values
    np.testing.assert_allclose(ds["via_lookup"].values, 2 * t + 12)
    np.testing.assert_allclose(ds["shaped"].values, t + 10)


def test_a_missing_data_file_is_one_line_naming_it(tmp_path):
    """directconst's case: GET DIRECT CONSTANTS names a CSV that is not there."""
    import ambidex

    (tmp_path / "m.mdl").write_text(
        "{UTF-8}\nc = GET DIRECT CONSTANTS('data/a.csv', ',', 'B2') ~~|\n"
        "INITIAL TIME = 0 ~~|\nFINAL TIME = 1 ~~|\nTIME STEP = 1 ~~|\nSAVEPER = 1 ~~|\n")
    with pytest.raises(ambidex.ModelError) as err:
        ambidex.load_model(tmp_path / "m.mdl")
    assert "\n" not in str(err.value)
    assert str(tmp_path / "data" / "a.csv") in str(err.value)


def test_a_data_variable_without_an_equation_is_one_line_naming_it(tmp_path):
    """SDEverywhere's getdata/extdata models declare ``Values[DimA] ~~|`` and get the data from
    a file given to Vensim at run time: the error names the equation, its line and why."""
    import ambidex

    (tmp_path / "m.mdl").write_text(
        "{UTF-8}\nDimA: A1, A2 ~~|\nValues[DimA]\n  ~~|\nw[DimA] = Values[DimA] * 2 ~~|\n"
        "INITIAL TIME = 0 ~~|\nFINAL TIME = 1 ~~|\nTIME STEP = 1 ~~|\nSAVEPER = 1 ~~|\n")
    with pytest.raises(ambidex.ModelError) as err:
        ambidex.load_model(tmp_path / "m.mdl")
    msg = str(err.value)
    assert "\n" not in msg
    assert "cannot parse 'Values[DimA]' (line 3)" in msg and "data variable" in msg


@pytest.mark.parametrize("case", ["several mappings", "positional subrange mapping"])
def test_vensim_mappings_between_ranges(tmp_path, case):
    """SDEverywhere's multimap and ref models (hand-derived).  ``DimA: A1, A2, A3 -> (DimB: B3,
    B2, B1), DimC``: A1 stands for B3 and C1, so b = a reversed and c = a.  ``tNext: (t2-t3) ->
    tPrev``: ce[t2] = ecc[t1] + 1, ce[t3] = ecc[t2] + 1 with ecc = ce + 1 (a positional mapping,
    once misread as an explicit one)."""
    import numpy as np

    import ambidex

    tail = "INITIAL TIME = 0 ~~|\nFINAL TIME = 1 ~~|\nTIME STEP = 1 ~~|\nSAVEPER = 1 ~~|\n"
    if case == "several mappings":
        body = ("DimA: A1, A2, A3 -> (DimB: B3, B2, B1), DimC ~~|\nDimB: B1, B2, B3 ~~|\n"
                "DimC: C1, C2, C3 ~~|\na[DimA] = 1, 2, 3 ~~|\nb[DimB] = a[DimA] ~~|\n"
                "c[DimC] = a[DimA] ~~|\n")
        want = {"b": [3, 2, 1], "c": [1, 2, 3]}
    else:
        body = ("Target: (t1-t3) ~~|\ntNext: (t2-t3) -> tPrev ~~|\ntPrev: (t1-t2) -> tNext ~~|\n"
                "ecc[t1] = ce[t1] + 1 ~~|\necc[tNext] = ce[tNext] + 1 ~~|\nce[t1] = 1 ~~|\n"
                "ce[tNext] = ecc[tPrev] + 1 ~~|\n")
        want = {"ce": [1, 3, 5], "ecc": [2, 4, 6]}
    (tmp_path / "m.mdl").write_text("{UTF-8}\n" + body + tail)
    ds = ambidex.simulate(tmp_path / "m.mdl", method="euler").isel(scenario=0, time=0)
    for name, values in want.items():
        np.testing.assert_allclose(ds[name].values, values)
