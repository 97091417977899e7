"""The workshop's session state without a browser: scenario round trips, levers, snapshots,
provenance log and the game path (a replayed path equals a direct simulate)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

import ambidex
from ambidex.cli import app as cli
from ambidex.core.scenario import scenario_from_dict
from ambidex.workshop import export, game, runs
from ambidex.workshop import state as ws


@pytest.fixture(scope="module")
def base(model):
    return ws.state_from_scenario(model, "baseline_dual")


def test_levers_grouped_with_units_ranges_and_docs(model):
    groups = ws.lever_groups(model)
    assert list(groups)[:4] == list(ws.GROUPS)
    pys = ws.lever_names(model)
    for py in ("target_team_size", "maximum_integration_rate", "intended_exploration_share",
               "selectivity", "exclusivity_share", "network_breadth", "codification_culture",
               "contract_length", "reservation_price_premium", "leadership_proactiveness",
               "team_turnover_rate", "trust_build_time"):
        assert py in pys
    for specs in groups.values():
        for s in specs:
            p = model.parameters[s["py"]]
            assert (s["lower"], s["upper"], s["units"]) == (p.lower, p.upper, p.units)
            assert s["doc"] and "\n" not in s["doc"] and not s["doc"].lower().startswith("lever")


def test_state_is_json_and_round_trips_every_scenario(model, tmp_path):
    for path in ambidex.list_scenarios():
        st = ws.state_from_scenario(model, path)
        assert json.loads(json.dumps(st)) == st
        text = ws.scenario_toml(model, st, "copy")
        again = ws.state_from_toml(model, text, "copy.toml")
        assert again["levers"] == st["levers"] and again["interventions"] == st["interventions"]
        a = runs.run(model, ws.scenario_dict(model, st), ["total_revenue"])
        b = runs.run(model, ws.scenario_dict(model, again), ["total_revenue"])
        np.testing.assert_allclose(a.total_revenue.values, b.total_revenue.values)


def test_saved_levers_are_accepted_by_ambidex_run(model, base, tmp_path):
    st, diff = ws.set_levers(model, base, {"selectivity": 0.55, "contract_length": 4})
    assert set(diff) == {"selectivity", "contract_length"}
    path = tmp_path / "mine.toml"
    path.write_text(ws.scenario_toml(model, st, "mine"))
    sc = ambidex.load_scenario(path)
    assert sc.parameters["selectivity"] == 0.55 and sc.parameters["contract length"] == 4
    r = CliRunner().invoke(cli, ["run", str(path), "--no-report", "--out", str(tmp_path / "o")])
    assert r.exit_code == 0, r.output
    direct = ambidex.simulate(model, params={"selectivity": 0.55, "contract length": 4},
                              variables=["roa"])
    mine = ambidex.simulate(model, scenarios=[path], variables=["roa"])
    np.testing.assert_allclose(mine.roa.values, direct.roa.values)


@pytest.mark.parametrize("value", [1.5, -0.1, None, "abc", float("nan")])
def test_out_of_range_lever_is_refused(model, base, value):
    with pytest.raises(ws.WorkshopError, match="selectivity"):
        ws.set_levers(model, base, {"selectivity": value})


@pytest.mark.parametrize("text,match", [
    ("name = 'x'\n[parameters\n", "malformed TOML"),
    ("source = 'x'\n[parameters]\nselectivity = 2.0\n", "outside its range"),
    ("source = 'x'\n[parameters]\nno_such_lever = 2.0\n", "no_such_lever"),
    ("source = 'x'\nbogus = 1\n", "unknown key"),
    (b"\xff\xfe", "UTF-8"),
])
def test_malformed_upload_names_the_file(model, base, text, match):
    with pytest.raises(ws.WorkshopError, match=match) as exc:
        ws.state_from_toml(model, text, "up.toml", previous=base)
    assert "up.toml" in str(exc.value)


def test_snapshots_limit_names_and_log(model, base):
    st = base
    for i in range(ws.MAX_SNAPSHOTS):
        st, _ = ws.set_levers(model, st, {"target_team_size": 20 + 5 * i})
        st = ws.pin(model, st, f"s{i}")
    with pytest.raises(ws.WorkshopError, match="at most"):
        ws.pin(model, st, "one more")
    with pytest.raises(ws.WorkshopError, match="exists"):
        ws.pin(model, ws.unpin(st, "s3"), "s0")
    with pytest.raises(ws.WorkshopError, match="reserved"):
        ws.pin(model, base, "current")
    st2, diff = ws.set_levers(model, base, {"selectivity": 0.4})
    st2 = ws.log(st2, "run", diff, model=model)
    e = st2["log"][-1]
    assert e["changes"] == {"selectivity": {"from": 0.3, "to": 0.4}} and "time" in e
    assert [s["name"] for s in st["snapshots"]] == ["s0", "s1", "s2", "s3"]
    assert st["snapshots"][3]["scenario"]["parameters"]["target team size"] == 35
    assert "target team size" not in st["snapshots"][2]["scenario"]["parameters"]  # the default


def _play(model, st, moves):
    """Play {year: {py: value}} one year at a time from the game start."""
    st = game.start_game(model, st)
    for year in range(2000, 2000 + len(moves)):
        if moves[year - 2000]:
            st, _ = ws.set_levers(model, st, moves[year - 2000])
        st = game.advance(st)
    return st


MOVES = [{"intended_exploration_share": 0.5}, {}, {"selectivity": 0.6, "network_breadth": 10},
         {"intended_exploration_share": 0.8}]


def test_game_path_replay_equals_direct_simulate(model, base):
    st = _play(model, base, MOVES)
    g = st["game"]
    assert g["year"] == 2004
    assert [d["year"] for d in g["decisions"]] == [2000, 2002, 2003]
    ds = runs.run(model, ws.scenario_dict(model, st), ["total_revenue", "myopia_index"])
    direct = ambidex.simulate(model, scenarios=[scenario_from_dict({
        "source": "direct", "parameters": {}, "horizon": {"end": 2004.0},
        "interventions": [
            {"parameter": "intended exploration share", "kind": "step", "time": 2000.0, "to": 0.5},
            {"parameter": "selectivity", "kind": "step", "time": 2002.0, "to": 0.6},
            {"parameter": "network breadth", "kind": "step", "time": 2002.0, "to": 10.0},
            {"parameter": "intended exploration share", "kind": "step", "time": 2003.0, "to": 0.8},
        ]})], variables=["total_revenue", "myopia_index"])
    assert ds.time.values[-1] == 2004
    for v in ("total_revenue", "myopia_index"):
        np.testing.assert_allclose(ds[v].values, direct[v].values, rtol=1e-12)
    # replaying the recorded path (a script played one year at a time) gives the same run
    again = game.restart_replay(st)
    assert again["game"]["year"] == 2000 and again["game"]["decisions"] == []
    for _ in range(4):
        again = game.advance(again)
    assert again["game"]["decisions"] == g["decisions"]
    ds2 = runs.run(model, ws.scenario_dict(model, again), ["total_revenue"])
    np.testing.assert_allclose(ds2.total_revenue.values, ds.total_revenue.values)
    # the same path via replay() up to a year
    part = game.replay(st, g["decisions"], until=2003)
    assert ws.scenario_dict(model, part)["horizon"]["end"] == 2003
    # the saved scenario of a game plays the path to the horizon's end and runs
    text = ws.scenario_toml(model, st, "game")
    sc = ambidex.load_scenario(scenario_from_dict(__import__("tomllib").loads(text)))
    assert len(sc.interventions) == 4 and sc.horizon == (None, None)  # the full horizon


def test_game_refuses_to_run_past_the_horizon(model, base):
    st = game.start_game(model, base)
    st["game"]["year"] = st["game"]["t1"]
    with pytest.raises(ws.WorkshopError, match="ends"):
        game.advance(st)
    with pytest.raises(ws.WorkshopError, match="start the game"):
        game.advance(base)


def test_exports_carry_results_and_log(model, base):
    st, diff = ws.set_levers(model, base, {"selectivity": 0.5})
    st = ws.log(st, "run", diff, model=model)
    st = ws.pin(model, st, "half")
    csv = export.csv_text(model, st)
    head = csv.splitlines()[0].split(",")
    assert head[:2] == ["scenario", "time"] and "total_revenue" in head
    assert {"baseline", "current", "half"} <= {line.split(",")[0] for line in csv.splitlines()[1:]}
    import io

    import xarray as xr
    ds = xr.open_dataset(io.BytesIO(export.netcdf_bytes(model, st)), engine="h5netcdf")
    assert list(ds.scenario.values) == ["baseline", "current", "half"]
    assert json.loads(ds.attrs["workshop_log"])[-1]["changes"]["selectivity"]["to"] == 0.5
    html = export.html_report(model, st)
    assert html.startswith("<!DOCTYPE html>") and "Workshop provenance log" in html
    assert "<script src=\"http" not in html and "half" in html
