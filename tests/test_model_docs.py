"""The model documentation and the named feedback loops.

* ``sd_models/README.md`` is what ``tools/model_docs.py`` generates from the model now.
* ``sd_models/dual_business_model.loops.toml``: every loop of MODEL.md section 3 is there with
  its documented polarity; each is a cycle of direct dependencies in PySD's translation; its
  polarity is the product of its hand-derived link signs; and each link sign is confirmed
  numerically as the partial derivative of the target's equation with respect to the source (the
  target's other inputs held at their values) at the baseline state of 2021.
"""

from __future__ import annotations

import importlib.util
import math
import tomllib
from pathlib import Path

import numpy as np
import pytest

from ambidex.core.model import normalise
from ambidex.core.scenario import Scenario, validate
from ambidex.engines.pysd_backend import PysdRunner

ROOT = Path(__file__).resolve().parents[1]
TOOL = ROOT / "tools" / "model_docs.py"
LOOPS = ROOT / "sd_models" / "dual_business_model.loops.toml"
CHECK_TIME = 2021.0

# MODEL.md section 3
MODEL_MD_LOOPS = {
    "R1": ("trust engine", "R"),
    "R2": ("exploitation funds exploration", "R"),
    "R3": ("learning curve", "R"),
    "B1": ("capacity limit / fragmentation", "B"),
    "B2": ("competence trap (myopia)", "B"),
    "B3": ("attention trade-off", "B"),
    "B4": ("obsolescence", "B"),
    "B5": ("exclusivity vs scale", "B"),
}


def _tool():
    spec = importlib.util.spec_from_file_location("model_docs", TOOL)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _loops() -> list[dict]:
    with open(LOOPS, "rb") as f:
        return tomllib.load(f)["loop"]


def _links(loop: dict) -> list[tuple[str, str, str]]:
    names = loop["variables"]
    return list(zip(names, names[1:] + names[:1], loop["link_signs"]))


def _link_id(loop: dict, a: str, b: str) -> str:
    return f"{loop['id']}: {a} -> {b}"


LOOP_LIST = _loops()
ALL_LINKS = [(lp, a, b, s) for lp in LOOP_LIST for a, b, s in _links(lp)]


# ------------------------------------------------------------------ README


def test_readme_is_up_to_date(model):
    ok, _ = _tool().is_current(model=model)
    assert ok, "sd_models/README.md is out of date: run `python tools/model_docs.py`"


def test_readme_check_flag_detects_a_stale_file(model, tmp_path, monkeypatch):
    tool = _tool()
    text = tool.render(model=model)
    stale = tmp_path / "README.md"
    stale.write_text(text + "\nhand edit\n")
    monkeypatch.setattr(tool, "README", stale)
    monkeypatch.setattr(tool, "ROOT", tmp_path)
    monkeypatch.setattr(tool, "render", lambda **kw: text)
    assert tool.main(["--check"]) == 1
    assert stale.read_text().endswith("hand edit\n")       # --check writes nothing
    assert tool.main([]) == 0 and stale.read_text() == text
    assert tool.main(["--check"]) == 0


def test_readme_equations_are_the_model_file_equations(model):
    """The parsed equation text covers every variable and reads as in the .mdl."""
    equations, order, groups = _tool().parse_mdl(model.path)
    for v in model.variables.values():
        assert normalise(v.name) in equations, v.name
    assert equations[normalise("trust building")] == \
        "(1 - Relationship Trust) * success intensity / (1 + success intensity) / trust build time"
    assert groups[:2] == ["Boundary element", "Collaboration based business model"]


# ------------------------------------------------------------------ the loops file


def test_all_model_md_loops_present_with_documented_polarity():
    by_id = {lp["id"]: lp for lp in LOOP_LIST}
    assert len(by_id) == len(LOOP_LIST), "duplicate loop id"
    for lid, (name, pol) in MODEL_MD_LOOPS.items():
        assert lid in by_id, f"loop {lid} ({name}) of MODEL.md section 3 is missing"
        assert by_id[lid]["name"] == name
        assert by_id[lid]["polarity"] == pol, f"{lid}: MODEL.md says {pol}"
    for lp in LOOP_LIST:
        assert lp["polarity"] in ("R", "B")
        assert lp["id"][0] == lp["polarity"], f"{lp['id']}: id letter and polarity disagree"
        assert lp["id"] in MODEL_MD_LOOPS or lp.get("extra"), f"{lp['id']} not in MODEL.md: mark extra"
        for key in ("description", "source"):
            assert lp.get(key, "").strip(), f"{lp['id']}: no {key}"


@pytest.mark.parametrize("loop", LOOP_LIST, ids=lambda lp: lp["id"])
def test_polarity_is_product_of_link_signs(loop):
    signs = loop["link_signs"]
    assert len(signs) == len(loop["variables"]) >= 2
    assert set(signs) <= {"+", "-"}
    assert len(set(loop["variables"])) == len(loop["variables"]), "a cycle visits a variable once"
    product = math.prod(1 if s == "+" else -1 for s in signs)
    assert loop["polarity"] == ("R" if product > 0 else "B")


@pytest.mark.parametrize("loop", LOOP_LIST, ids=lambda lp: lp["id"])
def test_loop_is_a_cycle_of_direct_dependencies(model, pysd_deps, loop):
    stocks = {s.py_name for s in model.stocks}
    for a, b, _ in _links(loop):
        pa, pb = model.resolve(a), model.resolve(b)
        assert model.variables[pa].name == a and model.variables[pb].name == b, \
            "write names exactly as in the .mdl"
        if pb in stocks:
            inputs = pysd_deps[f"_integ_{pb}"]["step"]
        else:
            inputs = pysd_deps[pb]
        assert pa in inputs, f"{_link_id(loop, a, b)}: '{b}' does not depend directly on '{a}'"


def test_check_states_name_links_of_the_loop(model):
    for lp in LOOP_LIST:
        links = {f"{a} -> {b}" for a, b, _ in _links(lp)}
        for link, stocks in lp.get("check_states", {}).items():
            assert link in links, f"{lp['id']}: check_states names '{link}', not a link of the loop"
            assert lp.get("note"), f"{lp['id']}: explain in a note why '{link}' needs its own state"
            for name in stocks:
                model.stock(name)


# ------------------------------------------------------------------ numeric link signs


@pytest.fixture(scope="module")
def pysd_deps(model):
    return model.new_pysd().dependencies


@pytest.fixture(scope="module")
def runner(model):
    sc = validate(Scenario(name="baseline"), model)
    return PysdRunner(model, sc, model.control["time_step"], model.control["saveper"])


@pytest.fixture(scope="module")
def state_2021(model, runner):
    """The baseline state at CHECK_TIME by Euler at the model's TIME STEP (= PySD's run)."""
    dt = model.control["time_step"]
    t, y = runner.t0, runner.y0.copy()
    n = round((CHECK_TIME - t) / dt)
    for _ in range(n):
        y = y + runner.rhs(t, y) * dt
        t += dt
    return t, y


def numeric_sign(model, runner, deps, x: str, z: str, t: float, y: np.ndarray) -> int:
    """Sign of d z / d x with z's other direct inputs held at their values at (t, y).

    ``z``'s equation is evaluated with each of its inputs replaced by a constant (the input's
    value, or that value +- h for ``x``), so only the direct link counts.
    """
    base = runner.outputs(t, y)
    inputs = [d for d in deps[z] if d in base]
    assert x in inputs
    module = runner.pm.components._components

    def z_at(xval: float) -> float:
        runner._set(t, y)
        saved = {d: getattr(module, d) for d in inputs}
        try:
            for d in inputs:
                setattr(module, d, (lambda v=(xval if d == x else base[d]): v))
            runner.pm.clean_caches()
            return float(getattr(module, z)())
        finally:
            for d, f in saved.items():
                setattr(module, d, f)
            runner.pm.clean_caches()

    assert z_at(base[x]) == pytest.approx(base[z], rel=1e-12, abs=1e-12)
    h = 1e-6 * max(abs(base[x]), 1e-3)
    slope = (z_at(base[x] + h) - z_at(base[x] - h)) / (2 * h)
    # elasticity-like size: change of z relative to its scale per relative change of x
    scale = max(abs(base[x]), 1e-3) / max(abs(base[z]), 1e-6)
    return 0 if abs(slope) * scale < 1e-9 else int(np.sign(slope))


@pytest.mark.parametrize("loop,a,b,sign", ALL_LINKS,
                         ids=[_link_id(lp, a, b) for lp, a, b, _ in ALL_LINKS])
def test_link_sign_numerically(model, runner, pysd_deps, state_2021, loop, a, b, sign):
    expected = 1 if sign == "+" else -1
    pa, pb = model.resolve(a), model.resolve(b)
    stock_of = {s.py_name: s for s in model.stocks}
    if pb in stock_of:  # flow -> stock: + for an inflow, - for an outflow, by definition
        s = stock_of[pb]
        got = 1 if pa in s.inflows else -1 if pa in s.outflows else 0
        assert got == expected, f"'{a}' is {'an inflow' if got > 0 else 'an outflow' if got < 0 else 'no flow'} of '{b}'"
        return
    t, y = state_2021
    where = "the 2021 baseline state"
    override = loop.get("check_states", {}).get(f"{a} -> {b}")
    if override:
        y = y.copy()
        for name, val in override.items():
            y[runner.state_slice(model.resolve(name))] = val
        where += f" with {override}"
    got = numeric_sign(model, runner, pysd_deps, pa, pb, t, y)
    assert got != 0, (f"{_link_id(loop, a, b)} has sign 0 at {where}: a limit does not bind; "
                      "explain in the loop's note and add a check_states entry")
    assert got == expected, f"{_link_id(loop, a, b)}: numeric sign {got:+d} at {where}, TOML says {sign}"


def test_numeric_sign_detects_an_inactive_limit(model, runner, pysd_deps, state_2021):
    """Sanity check of the method: Cash -> hiring funding is zero when cash exceeds the buffer
    (MIN(1, ...) binds) and positive below it."""
    t, y = state_2021
    pc, ph = model.resolve("Cash"), model.resolve("hiring funding")
    out = runner.outputs(t, y)
    hi, lo = y.copy(), y.copy()
    hi[runner.state_slice(pc)] = 2 * out[model.resolve("desired cash")]
    lo[runner.state_slice(pc)] = 0.5 * out[model.resolve("desired cash")]
    assert numeric_sign(model, runner, pysd_deps, pc, ph, t, hi) == 0
    assert numeric_sign(model, runner, pysd_deps, pc, ph, t, lo) == 1
