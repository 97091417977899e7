"""The dual model loads, and every variable carries units and a sourced documentation string."""

from __future__ import annotations

import re

import pytest

SOURCE = re.compile(r"(Source:|Assumption|seed 00\d|MODEL\.md)", re.I)


def test_model_loads_with_expected_sectors_and_stocks(model):
    stocks = {s.name for s in model.stocks}
    # MODEL.md section 2: the stocks each sector must have
    for required in ["Team Capacity", "Lead Customers", "Co creation Projects", "Relationship Trust",
                     "Tacit Knowledge", "Codified Knowledge", "Cognitive Proximity",
                     "Exclusive Products", "Shared Offerings", "Legacy Offerings",
                     "Cumulative Production", "Cash", "Fixed Assets"]:
        assert required in stocks
    sectors = {v.sector for v in model.variables.values()}
    assert {"Boundary element", "Collaboration based business model", "Knowledge", "Products",
            "Market based business model", "Finance"} <= sectors
    assert model.control == {"initial_time": 2000.0, "final_time": 2035.0, "time_step": 0.0625,
                             "saveper": 0.25}
    assert model.time_units == "Year"


def test_every_variable_has_units_and_a_sourced_doc(model):
    missing_units = [v.name for v in model.variables.values() if not v.units.strip()]
    undocumented = [v.name for v in model.variables.values() if not SOURCE.search(v.doc)]
    assert missing_units == []
    assert undocumented == []


def test_every_stock_has_named_flows_and_bounded_stocks_declare_range(model):
    for s in model.stocks:
        assert s.inflows or s.outflows, s.name
        for f in s.inflows + s.outflows:
            assert model.variables[f].kind == "flow"
    for name in ["Relationship Trust", "Cognitive Proximity"]:
        v = model.variables[model.resolve(name)]
        assert (v.lower, v.upper) == (0.0, 1.0)


def test_parameters_have_bounds_containing_their_defaults(model):
    assert len(model.parameters) > 50
    for p in model.parameters.values():
        assert p.lower is not None and p.upper is not None, p.name
        assert p.lower <= p.default <= p.upper, p.name
    # a few values the seeds state directly
    assert model.parameters["contract_length"].default == 10  # seed 000 section 4.4
    assert model.parameters["intended_exploration_share"].default == 0.7  # seed 000 section 4.3


def test_names_resolve_in_any_spelling_and_unknown_names_suggest(model):
    assert model.resolve("Team Capacity") == model.resolve("team_capacity") == "team_capacity"
    with pytest.raises(Exception) as exc:
        model.resolve_parameter("selectivty")
    assert "selectivity" in str(exc.value)


def test_translation_is_cached_outside_the_model_folder(model):
    from ambidex.core.translate import TRANSLATOR_VERSION, cache_key, cache_root

    assert model.py_file.is_file()
    assert cache_root() in model.py_file.parents
    # keyed by the model's bytes (with its folder and named data files), PySD and our translator
    assert model.py_file.parent.name == cache_key(model.path)
    assert f"-t{TRANSLATOR_VERSION}" in model.py_file.parent.name


def test_rhs_is_exposed_and_matches_the_flows(model):
    from ambidex.solve import state_at

    point = state_at(model, engine="pysd")  # PySD's state names (compiled: test_state_at.py)
    y0, names = point.y, list(point.names)
    dy = point.rhs(y0)
    assert point.t == model.control["initial_time"]
    assert len(dy) == len(y0) == len(names)
    i = names.index("_integ_team_capacity")
    assert point.stocks["team_capacity"] == slice(i, i + 1)
    # d(Team Capacity)/dt = hiring - attrition at the initial state, computed by hand:
    # hiring = MIN(5, (30 - 15) / 1) * MIN(1, Cash / desired cash); attrition = 15 * 0.08
    import ambidex

    ds = ambidex.simulate(model, method="euler", variables=["hiring", "attrition"]).isel(scenario=0, time=0)
    assert dy[i] == pytest.approx(float(ds.hiring - ds.attrition), rel=1e-12)
    assert float(ds.attrition) == pytest.approx(15 * 0.08)
