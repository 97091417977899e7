"""The model file's own integration method is the default (Vensim settings line, XMILE sim_specs)."""

from __future__ import annotations

import json

import ambidex
from ambidex.core.translate import saved_method

GROWTH = """
Stock = INTEG(rate, 1)
	~	widgets
	~	|
rate = Stock
	~	widgets/Year
	~	|
"""
SKETCH = "\n\\\\\\---/// Sketch information\nV300  Do not put anything below this section\n"


def _with_settings(write_mdl, code: int):
    path = write_mdl(GROWTH, final=1, step=0.25)
    path.write_text(path.read_text() + SKETCH + f"///---\\\\\\\n:L<%^E!@\n15:0,0,0,{code},0,0\n")
    return path


def test_vensim_rk4_setting_is_the_default_and_provenance_says_so(write_mdl):
    path = _with_settings(write_mdl, 1)
    assert saved_method(path)[0] == "rk4"
    ds = ambidex.simulate(path)
    used = json.loads(ds.attrs["solver"])[0]
    assert used["method"] == "rk4"
    assert "Vensim settings line" in used["method_source"]
    # dy/dt = y, one year at dt 1/4: RK4 gives (1 + h + h^2/2 + h^3/6 + h^4/24)^4 (hand-derived)
    h = 0.25
    expected = (1 + h + h**2 / 2 + h**3 / 6 + h**4 / 24) ** 4
    assert abs(float(ds["stock"].isel(scenario=0, time=-1)) - expected) < 1e-12


def test_vensim_euler_setting_and_a_caller_method_wins(write_mdl):
    path = _with_settings(write_mdl, 0)
    ds = ambidex.simulate(path)
    assert abs(float(ds["stock"].isel(scenario=0, time=-1)) - 1.25 ** 4) < 1e-12
    ds = ambidex.simulate(path, method="rk4")
    assert json.loads(ds.attrs["solver"])[0]["method_source"] == "given by the caller"


def test_xmile_sim_specs_method_is_read(tmp_path):
    p = tmp_path / "m.xmile"
    p.write_text('<xmile><header/><sim_specs method="RK4" time_units="Year"><start>0</start>'
                 '</sim_specs></xmile>')
    assert saved_method(p)[0] == "rk4"
