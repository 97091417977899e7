"""Stella / XMILE array syntax PySD's grammar rejects (ambidex.core.xmile_equations), run on the
compiled engine; every expected number is derived by hand from x = [3, 1, 2] over Region."""

from __future__ import annotations

import math

import numpy as np
import pytest

import ambidex
from ambidex.core.xmile_equations import ModelNames, parse_equation

HEAD = """<?xml version="1.0" encoding="utf-8"?>
<xmile version="1.0" xmlns="http://docs.oasis-open.org/xmile/ns/XMILE/v1.0">
<header><name>arr</name></header>
<sim_specs method="Euler" time_units="Time"><start>0</start><stop>2</stop><dt>1</dt></sim_specs>
<dimensions><dim name="Region"><elem name="North"/><elem name="South"/><elem name="West"/></dim>
</dimensions>
<model><variables>
<aux name="x"><element subscript="North"><eqn>3</eqn></element>
<element subscript=" south"><eqn>1</eqn></element><element subscript="West"><eqn>2</eqn></element>
<dimensions><dim name="Region"/></dimensions></aux>
"""
TAIL = "</variables></model></xmile>\n"


def _aux(name, eqn, arrayed=False):
    dims = '<dimensions><dim name="Region"/></dimensions>' if arrayed else ""
    return f'<aux name="{name}"><eqn>{eqn}</eqn>{dims}</aux>\n'


BODY = "".join([
    _aux("total", "SUM(x[*])"), _aux("total bare", "SUM(x)"), _aux("avg", "MEAN(x[*])"),
    _aux("n", "SIZE(x[*])"),
    _aux("lo", "MIN(x[*])"), _aux("hi", "MAX(x[*])"), _aux("sd", "STDDEV(x[*])"),
    _aux("picked", "x[INT(TIME) + 1]"), _aux("second", "x[2]"),
    _aux("named", "x[Region.West]"), _aux("west position", "Region.West"),
    _aux("share", "x[Region] / SUM(x[*])", True),
    _aux("rank desc", "RANK(x[Region] * 2, 0)", True),
    _aux("order desc", "VECTOR SORT ORDER(x[Region] + 0, 0)", True),
    _aux("third", "VECTOR ELM MAP(x[Region] * 10, 2)", True),
    _aux("index", "Region * 10", True),
])


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    path = tmp_path_factory.mktemp("xmile") / "arr.xmile"
    path.write_text(HEAD + BODY + TAIL)
    return ambidex.simulate(path).isel(scenario=0)


def test_array_builtins_over_a_wildcard(run):
    first = {k: float(run[k].isel(time=0))
             for k in ("total", "total_bare", "avg", "n", "lo", "hi", "sd")}
    assert first == pytest.approx({"total": 6, "total_bare": 6, "avg": 2, "n": 3, "lo": 1, "hi": 3,
                                   "sd": math.sqrt(2 / 3)})
    np.testing.assert_allclose(run["share"].isel(time=0).values, [0.5, 1 / 6, 1 / 3])


def test_positions_and_dotted_elements(run):
    # x[INT(TIME) + 1]: North, South, West at t = 0, 1, 2
    np.testing.assert_allclose(run["picked"].values, [3, 1, 2])
    assert float(run["second"].isel(time=0)) == 1
    assert float(run["named"].isel(time=0)) == 2
    assert float(run["west_position"].isel(time=0)) == 3
    np.testing.assert_allclose(run["index"].isel(time=0).values, [10, 20, 30])  # Region's own


def test_vector_builtins_over_a_computed_operand(run):
    # 2x = [6, 2, 4]: descending ranks 1, 3, 2; descending order North, West, South
    np.testing.assert_allclose(run["rank_desc"].isel(time=0).values, [1, 3, 2])
    np.testing.assert_allclose(run["order_desc"].isel(time=0).values, [0, 2, 1])
    np.testing.assert_allclose(run["third"].isel(time=0).values, [20, 20, 20])


def test_the_parser_builds_pysds_vensim_structures():
    names = ModelNames({"Region": ["North", "South"], "P": ["a", "b"]},
                       {"sales": ["Region", "P"], "price": ["Region"]})
    ast = parse_equation("SUM(sales[*, *] * price[*])", names)
    assert ast.function.reference == "sum"
    prod = ast.arguments[0]
    assert prod.arguments[0].subscripts.subscripts == ("Region!", "P!")
    assert prod.arguments[1].subscripts.subscripts == ("Region!",)
    # outside an array builtin '*' is the element being computed
    assert parse_equation("price[*]", names, ["Region"]).subscripts.subscripts == ("Region",)
    # names as PySD names the variables; NOT binds a comparison, AND before OR (XMILE 1.0)
    ast = parse_equation("IF NOT Stock_A > 5 OR b__c AND TIME < 2 THEN 1 ELSE 0", names)
    cond = ast.arguments[0]
    assert cond.operators == [":OR:"]
    assert cond.arguments[0].operators == [":NOT:"]
    assert cond.arguments[0].arguments[0].arguments[0].reference == "stock_a"
    assert cond.arguments[1].operators == [":AND:"]
    assert cond.arguments[1].arguments[0].reference == "b__c"
    with pytest.raises(ValueError, match="no element 'East'"):
        parse_equation("Region.East", names)


def test_an_unreadable_equation_names_its_variable(tmp_path):
    path = tmp_path / "bad.xmile"
    path.write_text(HEAD + _aux("broken", "x[Region.East] +") + TAIL)
    with pytest.raises(ambidex.ModelError, match="variable 'broken'"):
        ambidex.simulate(path)


def test_a_position_outside_the_dimension_is_an_error_at_that_time(tmp_path):
    path = tmp_path / "out.xmile"
    path.write_text(HEAD + _aux("beyond", "x[INT(TIME) + 2]") + TAIL)  # position 4 at t = 2
    with pytest.raises(ambidex.SolverError, match="'beyond' is nan at t=2"):
        ambidex.simulate(path)


SIZED = """<?xml version="1.0" encoding="utf-8"?>
<xmile version="1.0" xmlns="http://docs.oasis-open.org/xmile/ns/XMILE/v1.0">
<header><name>sized</name></header>
<sim_specs method="Euler" time_units="Time"><start>0</start><stop>1</stop><dt>1</dt></sim_specs>
<dimensions><dim name="N" size="3"/></dimensions>
<model><variables>
<aux name="y"><element subscript="1"><eqn>10</eqn></element><element subscript="2"><eqn>20</eqn>
</element><element subscript="3"><eqn>40</eqn></element><dimensions><dim name="N"/></dimensions>
</aux>
<aux name="total"><eqn>SUM(y[*])</eqn></aux>
<aux name="last"><eqn>y[3]</eqn></aux>
<stock name="acc"><eqn>y[N]</eqn><inflow>growth</inflow><dimensions><dim name="N"/></dimensions>
</stock>
<flow name="growth"><eqn>acc[N] / 10</eqn><dimensions><dim name="N"/></dimensions></flow>
</variables></model></xmile>
"""


def test_a_dimension_declared_by_its_size(tmp_path):
    """``<dim name="N" size="3"/>``: elements 1, 2, 3 (hand-derived: acc grows 10 % a step)."""
    path = tmp_path / "sized.xmile"
    path.write_text(SIZED)
    run = ambidex.simulate(path).isel(scenario=0)
    assert float(run["total"].isel(time=0)) == 70
    assert float(run["last"].isel(time=0)) == 40
    np.testing.assert_allclose(run["acc"].isel(time=1).values, [11, 22, 44])


def test_an_arrayed_stock_with_an_initial_value_per_element(tmp_path):
    """Stella writes each element's initial value in its ``<element>`` (PySD reads the
    variable's); hand-derived: 10 % growth a step from [100, 50]."""
    path = tmp_path / "stock.xmile"
    path.write_text(HEAD + """
<stock name="pop"><element subscript="North"><eqn>100</eqn></element>
<element subscript="South"><eqn>50</eqn></element><element subscript="West"><eqn>0</eqn></element>
<inflow>births</inflow><dimensions><dim name="Region"/></dimensions></stock>
<flow name="births"><eqn>pop[Region] * 0.1</eqn><dimensions><dim name="Region"/></dimensions></flow>
""" + TAIL)
    run = ambidex.simulate(path).isel(scenario=0)
    np.testing.assert_allclose(run["pop"].values, [[100, 50, 0], [110, 55, 0], [121, 60.5, 0]])


def test_a_wildcard_over_a_subrange_as_vensim_exports_it(tmp_path):
    """``x[*:Southwest]`` (Vensim's XMILE export of ``x[Southwest!]``): the subrange only,
    1 + 2 = 3, and its mean 1.5."""
    head = HEAD.replace("</dimensions>", '<dim name="Southwest"><elem name="South"/>'
                                         '<elem name="West"/></dim></dimensions>')
    path = tmp_path / "sub.xmile"
    path.write_text(head + _aux("part", "SUM(x[*:Southwest])")
                    + _aux("part mean", "MEAN(x[*:Southwest])") + TAIL)
    ds = ambidex.simulate(path).isel(scenario=0, time=0)
    assert float(ds["part"]) == 3 and float(ds["part_mean"]) == 1.5


def test_int_is_the_floor_as_in_stella(tmp_path):
    """Stella's INT is the largest integer not above its argument (its own builtin_int run:
    INT(-19.875) = -20), not Vensim's INTEGER (truncation)."""
    path = tmp_path / "int.stmx"
    path.write_text(HEAD.replace("<start>0</start><stop>2</stop><dt>1</dt>",
                                 "<start>-3</start><stop>3</stop><dt>0.25</dt>")
                    + _aux("whole", "INT(TIME)") + TAIL)
    ds = ambidex.simulate(path).isel(scenario=0)
    np.testing.assert_array_equal(ds["whole"].values, np.floor(ds["time"].values))
    assert float(ds["whole"].sel(time=-2.75)) == -3
