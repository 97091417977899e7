"""The XMILE twin of the dual business model runs exactly like the Vensim source.

``sd_models/dual_business_model.mdl`` is the source of truth; ``tools/mdl_to_xmile.py`` writes
``sd_models/dual_business_model.xmile`` from it for modellers working in Stella.  These tests

* run both with PySD (Euler) and compare every variable at every output time;
* check the committed .xmile is what the converter makes of the current .mdl;
* check every variable of the .xmile keeps units and documentation;
* exercise the converter on small synthetic models, including its refusal of unsupported
  constructs.

PySD writes the translated .py next to the model file, so every model is copied to a temporary
directory before it is read; nothing is written into sd_models/.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

pysd = pytest.importorskip("pysd")

ROOT = Path(__file__).resolve().parent.parent
MDL = ROOT / "sd_models" / "dual_business_model.mdl"
XMILE = ROOT / "sd_models" / "dual_business_model.xmile"
CONVERTER = ROOT / "tools" / "mdl_to_xmile.py"
NS = {"x": "http://docs.oasis-open.org/xmile/ns/XMILE/v1.0"}
ISEE_NS = "http://iseesystems.com/XMILE"
RTOL = 1e-9


@pytest.fixture(scope="module")
def m2x():
    """The converter script, imported as a module."""
    spec = importlib.util.spec_from_file_location("mdl_to_xmile", CONVERTER)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("mdl_to_xmile", module)
    spec.loader.exec_module(module)
    return module


def _norm(name: str) -> str:
    """Variable name for matching: case-folded, spaces and underscores alike."""
    return re.sub(r"[\s_]+", " ", name.strip()).lower()


def _columns(frame) -> dict[str, str]:
    cols = {}
    for col in frame.columns:
        key = _norm(col)
        assert key not in cols, f"two columns normalise to {key!r}"
        cols[key] = col
    return cols


def _net_flows(xmile_path: Path) -> dict[str, str]:
    """Flows the converter created ("<stock> net flow", normalised) -> their stock's name."""
    root = ET.parse(xmile_path).getroot()
    stocks = {_norm(s.get("name")): s.get("name")
              for s in root.iterfind("x:model/x:variables/x:stock", NS)}
    out = {}
    for flow in root.iterfind("x:model/x:variables/x:flow", NS):
        key = _norm(flow.get("name"))
        if key.endswith(" net flow") and key[: -len(" net flow")] in stocks:
            out[key] = stocks[key[: -len(" net flow")]]
    return out


def _save_interval(xmile_path: Path) -> float:
    specs = ET.parse(xmile_path).getroot().find("x:sim_specs", NS)
    return float(specs.get(f"{{{ISEE_NS}}}save_interval"))


def _run_twins(mdl_path: Path, xmile_path: Path, workdir: Path):
    """Copy both models into workdir, translate and run them there (Euler).

    PySD 3.14's XMILE reader ignores isee:save_interval (it sets SAVEPER = DT), so the XMILE
    model is run with the save interval its own <sim_specs> declares.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    mdl_copy = Path(shutil.copy(mdl_path, workdir / mdl_path.name))
    xmile_copy = Path(shutil.copy(xmile_path, workdir / xmile_path.name))
    vensim = pysd.read_vensim(str(mdl_copy))
    xmile = pysd.read_xmile(str(xmile_copy))
    out_v = vensim.run()
    out_x = xmile.run(saveper=_save_interval(xmile_copy))
    return vensim, xmile, out_v, out_x


def _assert_twins_agree(out_v, out_x, net_flows: dict[str, str]):
    cols_v, cols_x = _columns(out_v), _columns(out_x)
    # Same variables, apart from the net flows the converter had to create.
    assert set(cols_v) == set(cols_x) - set(net_flows), (
        f"only in Vensim: {sorted(set(cols_v) - set(cols_x))}; "
        f"only in XMILE: {sorted(set(cols_x) - set(cols_v) - set(net_flows))}")
    # Same output times.
    np.testing.assert_array_equal(out_v.index.values, out_x.index.values)
    bad = []
    for key in sorted(cols_v):
        a = out_v[cols_v[key]].to_numpy(dtype=float)
        b = out_x[cols_x[key]].to_numpy(dtype=float)
        assert np.all(np.isfinite(a)), f"{cols_v[key]} is not finite in the Vensim run"
        if not np.allclose(b, a, rtol=RTOL, atol=0.0):
            i = int(np.argmax(np.abs(a - b)))
            bad.append(f"{cols_v[key]} at t={out_v.index[i]}: vensim {a[i]!r} xmile {b[i]!r}")
    assert not bad, "trajectories differ:\n" + "\n".join(bad)


# --------------------------------------------------------------------------- the dual model

@pytest.fixture(scope="module")
def dual(tmp_path_factory):
    work = tmp_path_factory.mktemp("dual")
    vensim, xmile, out_v, out_x = _run_twins(MDL, XMILE, work)
    return {"work": work, "vensim": vensim, "xmile": xmile, "out_v": out_v, "out_x": out_x}


def test_dual_model_twin_has_the_same_trajectories(dual):
    net_flows = _net_flows(XMILE)
    _assert_twins_agree(dual["out_v"], dual["out_x"], net_flows)
    # The run covers the whole horizon at the .mdl's SAVEPER.
    times = dual["out_v"].index.values
    assert times[0] == 2000 and times[-1] == 2035 and len(times) == 141


def test_dual_model_net_flows_are_the_stock_derivatives(dual):
    """Flows the converter created carry the INTEG rate: Euler steps of their stock."""
    net_flows = _net_flows(XMILE)
    assert net_flows, "expected the converter to create at least one net flow"
    xmile = dual["xmile"]
    dt = float(xmile.components.time_step())
    out = xmile.run(saveper=dt)  # every DT: an Euler step from one row to the next
    cols = _columns(out)
    np.testing.assert_allclose(np.diff(out.index.values), dt)
    for flow_key, stock in net_flows.items():
        level = out[cols[_norm(stock)]].to_numpy(dtype=float)
        rate = out[cols[flow_key]].to_numpy(dtype=float)
        scale = max(np.max(np.abs(level)), 1.0)
        np.testing.assert_allclose(np.diff(level), dt * rate[:-1], rtol=1e-7,
                                   atol=1e-12 * scale, err_msg=stock)


def test_dual_model_sim_specs_follow_the_mdl(dual):
    root = ET.parse(XMILE).getroot()
    specs = root.find("x:sim_specs", NS)
    vensim = dual["vensim"]
    assert float(specs.find("x:start", NS).text) == vensim.components.initial_time()
    assert float(specs.find("x:stop", NS).text) == vensim.components.final_time()
    assert float(specs.find("x:dt", NS).text) == vensim.components.time_step()
    assert _save_interval(XMILE) == vensim.components.saveper()
    assert specs.get("time_units") == "Year"
    assert specs.get("method") == "Euler"
    assert root.tag == f"{{{NS['x']}}}xmile" and root.get("version") == "1.0"


def test_committed_xmile_is_up_to_date(m2x, tmp_path):
    mdl = Path(shutil.copy(MDL, tmp_path / MDL.name))
    written = m2x.write_xmile(mdl, tmp_path / XMILE.name)
    assert written.read_text(encoding="utf-8") == XMILE.read_text(encoding="utf-8"), (
        "sd_models/dual_business_model.xmile is stale: run "
        "`python tools/mdl_to_xmile.py` and commit the result")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([MDL.name, XMILE.name])


def test_every_variable_carries_units_doc_and_range(m2x):
    from pysd.translators.vensim.vensim_file import VensimFile

    vf = VensimFile(MDL)
    vf.parse()
    mdl_elements = {_norm(e.name): e for e in vf.get_abstract_model().sections[0].elements}

    root = ET.parse(XMILE).getroot()
    variables = root.find("x:model/x:variables", NS)
    net_flows = _net_flows(XMILE)
    seen = set()
    for var in variables:
        kind = var.tag.split("}")[1]
        assert kind in ("stock", "flow", "aux"), kind
        name = var.get("name")
        key = _norm(name)
        seen.add(key)
        units = var.findtext("x:units", default="", namespaces=NS).strip()
        doc = var.findtext("x:doc", default="", namespaces=NS).strip()
        assert units, f"{kind} '{name}' has no <units>"
        assert doc, f"{kind} '{name}' has no <doc>"
        assert var.findtext("x:eqn", default="", namespaces=NS).strip(), name
        if key in net_flows:
            continue
        element = mdl_elements[key]
        assert units == element.units.strip(), name
        assert doc == element.documentation.strip(), name
        lo, hi = (list(element.limits) + [None, None])[:2]
        rng = var.find("x:range", NS)
        if lo is not None and hi is not None:
            assert rng is not None, f"'{name}' lost its range [{lo},{hi}]"
            assert (float(rng.get("min")), float(rng.get("max"))) == (lo, hi), name
        else:
            assert rng is None, name
    control = {"initial time", "final time", "time step", "saveper"}
    assert seen == set(mdl_elements) - control | set(net_flows)


# --------------------------------------------------------------------------- synthetic models

TINY_MDL = """{UTF-8}
Inventory = INTEG(production - shipments, initial inventory)
	~	widget [0,1000]
	~	Widgets in the warehouse.
	|
initial inventory = 100
	~	widget [0,1000]
	~	Inventory at INITIAL TIME.
	|
production = IF THEN ELSE(Inventory < target inventory, production capacity, 0.25 * production capacity)
	~	widget/Week
	~	Full production while below target, a trickle otherwise.
	|
production capacity = 30
	~	widget/Week [0,100]
	~	Most widgets made per week.
	|
target inventory = 120
	~	widget
	~	Inventory the plant aims for.
	|
shipments = MIN(Inventory / minimum shipping time, demand)
	~	widget/Week
	~	Widgets leaving.
	|
minimum shipping time = 2
	~	Week [0.5,10]
	~	Fastest the warehouse can empty.
	|
demand = 20 + XIDZ(Time, Time - 10, 5)
	~	widget/Week
	~	Orders.
	|
INITIAL TIME = 0
	~	Week
	~	Start.
	|
FINAL TIME = 30
	~	Week
	~	End.
	|
TIME STEP = 0.125
	~	Week [0,?]
	~	Step.
	|
SAVEPER = 0.5
	~	Week [0,?]
	~	Output step.
	|
"""

# Operator precedence, unary minus, logic, nested IF, every supported function, a stock whose
# rate is not a sum of flows and a flow already used as an inflow elsewhere.
ZOO_MDL = """{UTF-8}
Level = INTEG(inflow rate - outflow rate, 10) ~ widget [0,100] ~ A stock. |
inflow rate = IF THEN ELSE(Time > 5 :AND: :NOT: (Level < 2), 3, IF THEN ELSE(Level >= 8 :OR: Time = 1, 1.5, 0.5)) ~ widget/Month ~ In. |
outflow rate = Level / residence time ~ widget/Month ~ Out. |
residence time = 4 ~ Month [1,10,0.5] ~ Residence. |
zoo a = -Level^2 + (-Level)^2 - 2^-1 * -(Level - 3) / (Level * 2) - (1 - Level) ~ Dmnl ~ z |
zoo b = XIDZ(Level - 10, Time - 3, -1) + ZIDZ(1, Time - 2) + MIN(LN(Level), EXP(-Time/10)) * MAX(SQRT(Level), ABS(Time - 4)) ~ Dmnl ~ z |
zoo c = (IF THEN ELSE(Time < 3, 1, 2) + 1) * 2 ^ (Time / 4) - c neg ~ Dmnl ~ z |
c neg = -3.5e-2 ~ Dmnl ~ z |
Other = INTEG(-outflow rate * 0.5 + Level, 0) ~ widget ~ o |
Third = INTEG(-inflow rate, 100) ~ widget ~ t |
Fourth = INTEG(inflow rate, 0) ~ widget ~ f |
INITIAL TIME = 0 ~ Month ~ |
FINAL TIME = 10 ~ Month ~ |
TIME STEP = 0.25 ~ Month ~ |
SAVEPER = TIME STEP ~ Month ~ |
"""


def _convert_and_run(m2x, tmp_path, text, stem):
    src = tmp_path / "src"
    src.mkdir()
    mdl = src / f"{stem}.mdl"
    mdl.write_text(text, encoding="utf-8")
    xmile = m2x.write_xmile(mdl, src / f"{stem}.xmile")
    _, _, out_v, out_x = _run_twins(mdl, xmile, tmp_path / "run")
    return xmile, out_v, out_x


def test_converter_on_tiny_stock_flow_model(m2x, tmp_path):
    xmile, out_v, out_x = _convert_and_run(m2x, tmp_path, TINY_MDL, "tiny")
    root = ET.parse(xmile).getroot()
    stock = root.find("x:model/x:variables/x:stock[@name='Inventory']", NS)
    assert [e.text for e in stock.findall("x:inflow", NS)] == ["production"]
    assert [e.text for e in stock.findall("x:outflow", NS)] == ["shipments"]
    assert stock.findtext("x:eqn", namespaces=NS) == "initial_inventory"
    flows = {f.get("name"): f.findtext("x:eqn", namespaces=NS)
             for f in root.iterfind("x:model/x:variables/x:flow", NS)}
    assert flows == {
        "production": "IF Inventory < target_inventory THEN production_capacity "
                      "ELSE 0.25 * production_capacity",
        "shipments": "MIN(Inventory / minimum_shipping_time, demand)",
    }
    demand = root.find("x:model/x:variables/x:aux[@name='demand']", NS)
    assert demand.findtext("x:eqn", namespaces=NS) == "20 + SAFEDIV(TIME, TIME - 10, 5)"
    assert stock.find("x:range", NS).attrib == {"min": "0", "max": "1000"}
    assert stock.findtext("x:doc", namespaces=NS) == "Widgets in the warehouse."
    assert _save_interval(xmile) == 0.5
    _assert_twins_agree(out_v, out_x, {})
    # The IF THEN ELSE switches during the run, so both branches are compared.
    production = out_v["production"].to_numpy()
    assert {30.0, 7.5} <= set(production)


def test_converter_on_operator_zoo(m2x, tmp_path):
    xmile, out_v, out_x = _convert_and_run(m2x, tmp_path, ZOO_MDL, "zoo")
    net_flows = _net_flows(xmile)
    assert set(net_flows) == {"other net flow", "fourth net flow"}
    root = ET.parse(xmile).getroot()
    third = root.find("x:model/x:variables/x:stock[@name='Third']", NS)
    assert [e.text for e in third.findall("x:outflow", NS)] == ["inflow_rate"]
    zoo_a = root.find("x:model/x:variables/x:aux[@name='zoo a']", NS)
    assert zoo_a.findtext("x:eqn", namespaces=NS) == (
        "-(Level ^ 2) + (-Level) ^ 2 - 2 ^ (-1) * (-(Level - 3)) / (Level * 2) - (1 - Level)")
    _assert_twins_agree(out_v, out_x, net_flows)


@pytest.mark.parametrize("equation, construct", [
    ("DELAY FIXED(Inventory, 2, 0)", "DELAY FIXED"),
    ("SMOOTH(Inventory, 2)", "SMOOTH"),
    ("RAMP(1, 2, 5)", "RAMP"),
    ("Inventory ^ 2 ^ 0.5", "chained ^"),
])
def test_unsupported_construct_is_named(m2x, tmp_path, capsys, equation, construct):
    text = TINY_MDL.replace("demand = 20 + XIDZ(Time, Time - 10, 5)", f"demand = {equation}")
    mdl = tmp_path / "bad.mdl"
    mdl.write_text(text, encoding="utf-8")
    with pytest.raises(m2x.UnsupportedConstructError) as err:
        m2x.convert(mdl)
    message = str(err.value)
    assert construct in message and "'demand'" in message and "bad.mdl" in message
    # The command line reports the same error and writes nothing.
    assert m2x.main([str(mdl), str(tmp_path / "bad.xmile")]) == 1
    assert construct in capsys.readouterr().err
    assert not (tmp_path / "bad.xmile").exists()
