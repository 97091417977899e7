"""The offline simulator (`ambidex export-simulator`): one HTML file opened from file:// in a real
Chromium with the network disabled; its trajectories (JavaScript generated from the compiled
engine's IR, Dormand-Prince 5(4) in the page) against ``ambidex.simulate`` on the dual model and
two conformance models; the levers, scenarios and presenter mode as a facilitator uses them.
Screenshots at 1440x900 and 1280x720 go to tests/artifacts/ (git-ignored)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from _data import require
from typer.testing import CliRunner

import ambidex
from ambidex.cli import app as cli

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
ART = Path(__file__).parent / "artifacts"
CONF = Path(__file__).resolve().parent / "data" / "sdxorg-test-models"  # shipped (MIT), tests/data/README.md
REL = 1e-6

if not os.path.exists(CHROMIUM):
    pytest.skip(f"{CHROMIUM} not found (apt-get install chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


class Offline:
    """A page opened from file:// with the network off; counts any request leaving the file."""

    def __init__(self, browser, path: Path, size=(1440, 900), query=""):
        self.ctx = browser.new_context(offline=True, viewport={"width": size[0], "height": size[1]})
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.ctx.route("**/*", self._route)
        self.page = self.ctx.new_page()
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(path.resolve().as_uri() + query)
        self.page.wait_for_function("() => window.AMBIDEX && window.AMBIDEX.last", timeout=30000)

    def _route(self, route):
        if not route.request.url.startswith("file://"):
            self.requests.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    def run_all(self, params=None):
        return self.page.evaluate(
            """(params) => { const m = AMBIDEX.model, s = m.spec;
                 const r = m.run({params, te: s.te, rtol: s.rtol, atol: s.atol});
                 const v = {}; for (const k of s.outputs) v[k] = Array.from(r.values[k]);
                 return {time: r.time, v, status: r.status}; }""", params or {})

    def plotted(self, var, run="current"):
        return self.page.evaluate(
            """([v, run]) => { for (const g of document.querySelectorAll('.ax-plot')) {
                 for (const d of (g.data || [])) if (d.meta.var === v && d.meta.run === run)
                   return {x: Array.from(d.x), y: Array.from(d.y), scale: d.meta.scale}; } return null; }""",
            [var, run])

    def close(self):
        self.ctx.close()


def _max_rel(model, js: dict, ds) -> tuple[float, int]:
    """Largest |js - simulate| / max(|simulate|, tiny) over every compared variable."""
    worst, n = 0.0, 0
    for name, ys in js["v"].items():
        try:
            py = model.resolve(name)
        except ambidex.core.errors.ModelError:  # control variables and subscripted elements
            continue
        if py not in ds:
            continue
        ref = ds[py].isel(scenario=0).values
        y = np.asarray(ys, dtype=float)
        assert y.shape == ref.shape, name
        scale = np.maximum(np.abs(ref), 1e-12)
        worst = max(worst, float(np.max(np.abs(y - ref) / scale)))
        n += 1
    return worst, n


@pytest.fixture(scope="module")
def dual_html(model, tmp_path_factory):
    path = tmp_path_factory.mktemp("sim") / "dual.html"
    r = CliRunner().invoke(cli, ["export-simulator", "-o", str(path)])
    assert r.exit_code == 0, r.output
    return path


CONFORMANCE = ["samples/teacup/teacup.mdl", "tests/smooth/test_smooth.mdl"]


@pytest.mark.parametrize("which", ["dual"] + CONFORMANCE)
def test_offline_trajectories_equal_simulate(browser, model, which, tmp_path):
    if which == "dual":
        m = model
    else:
        require(CONF, "the SDXorg conformance suite")
        m = ambidex.load_model(CONF / which)
    from ambidex.export.simulator import write_simulator

    path = write_simulator(m, tmp_path / "sim.html", all_outputs=True)
    pg = Offline(browser, path)
    try:
        js = pg.run_all()
        assert js["status"] == 0
        ds = ambidex.simulate(m)
        np.testing.assert_allclose(js["time"], ds.time.values, rtol=0, atol=1e-9)
        worst, n = _max_rel(m, js, ds)
        print(f"{which}: {n} variables, max relative error {worst:.2e}")
        assert n >= (100 if which == "dual" else 2)
        assert worst <= REL
        if which == "dual":  # a changed lever too
            js = pg.run_all({"selectivity": 0.8, "contract length": 4})
            ds = ambidex.simulate(m, params={"selectivity": 0.8, "contract length": 4})
            assert _max_rel(m, js, ds)[0] <= REL
        assert pg.requests == [] and pg.errors == [], (pg.requests, pg.errors)
    finally:
        pg.close()


def test_scheduled_interventions_as_breakpoints(browser, model, dual_html):
    """transition_2005 steps three levers in 2005: the page integrates up to the step and
    restarts.  At tight tolerances (1e-10) the page and simulate (LSODA, PySD backend) converge
    to the same path."""
    pg = Offline(browser, dual_html)
    try:
        got = pg.page.evaluate(
            """() => { const m = AMBIDEX.model, s = m.spec;
                 const sc = s.scenarios.find(x => x.name === 'transition_2005');
                 const r = m.run({params: sc.params, interventions: sc.interventions, te: s.te, rtol: 1e-10, atol: 1e-10});
                 return {time: r.time, y: Array.from(r.values['collaboration_revenue'])}; }""")
        ds = ambidex.simulate(model, scenarios=["transition_2005"], variables=["collaboration_revenue"],
                              rtol=1e-10, atol=1e-10)
        ref = ds.collaboration_revenue.isel(scenario=0).values
        y = np.array(got["y"])
        err = np.abs(y - ref) / np.max(np.abs(ref))
        print("transition_2005 max error relative to the series maximum", err.max(), ds.time.values[err.argmax()])
        assert err.max() <= REL
        k = int(np.searchsorted(ds.time.values, 2005.0))
        assert abs(y[k + 8] - y[k - 1]) > 1e-3 * np.max(np.abs(ref))  # the step shows
    finally:
        pg.close()


def test_levers_scenarios_and_presenter_mode(browser, model, dual_html):
    ART.mkdir(exist_ok=True)
    pg = Offline(browser, dual_html)
    p = pg.page
    try:
        assert p.evaluate("document.documentElement.lang") == "en"
        # every lever input has a label tied to it, in plain words with a unit
        bad = p.evaluate("""() => Array.from(document.querySelectorAll('input[type=range]'))
            .filter(i => !document.querySelector(`label[for="${i.id}"]`)).map(i => i.id)""")
        assert bad == []
        label = p.locator('label[for="lever-selectivity"]').inner_text()
        assert "Dmnl" not in label and "(" in label
        # scenario description follows the selector
        d0 = p.locator("#scenario-description").inner_text()
        p.select_option("#scenario", label="fragmentation")
        p.wait_for_function("() => document.querySelector('#scenario-description').innerText.startsWith('fragmentation')")
        assert p.locator("#scenario-description").inner_text() != d0
        p.select_option("#scenario", label="baseline_dual")
        # a lever moved (input events as while dragging) redraws at once, equal to simulate
        p.evaluate("""() => { const i = document.getElementById('lever-selectivity');
            for (const v of ['0.4', '0.5', '0.6']) { i.value = v; i.dispatchEvent(new Event('input')); } }""")
        tr = pg.plotted("relationship_trust")
        ds = ambidex.simulate(model, scenarios=["baseline_dual"], params={"selectivity": 0.6},
                              variables=["relationship_trust"])
        ref = ds.relationship_trust.isel(scenario=0).values
        np.testing.assert_allclose(np.array(tr["y"]) / tr["scale"], ref, rtol=REL)
        base = pg.plotted("relationship_trust", "baseline")
        assert not np.allclose(base["y"], tr["y"])
        # risk and trust charts on fixed 0-1 axes; percentages in %
        ax = p.evaluate("""() => { const g = document.getElementById('ax-risks');
            return [g.layout.yaxis.range, document.getElementById('ax-margin').layout.yaxis.ticksuffix]; }""")
        assert ax == [[0, 1], "%"]
        # every chart's key is visible text above its plot
        keys = p.locator("#ax-revenue-legend").inner_text()
        assert "collaboration-based" in keys and "market-based" in keys
        p.screenshot(path=str(ART / "simulator_1440x900.png"))
        # shareable: the levers are in the URL
        # the hash is written 200 ms after the last change (debounced): wait for it, do not race it
        p.wait_for_function("() => decodeURIComponent(location.hash).includes('selectivity')", timeout=15000)
        assert "selectivity" in p.evaluate("decodeURIComponent(location.hash)")
    finally:
        pg.close()
    # presenter mode at 1280x720 from the URL parameter: charts and levers without scrolling
    pg = Offline(browser, dual_html, size=(1280, 720), query="?presenter=1")
    p = pg.page
    try:
        p.wait_for_timeout(300)
        assert p.get_attribute("#presenter", "aria-pressed") == "true"
        sw, sh = p.evaluate("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
        assert sw <= 1280 and sh <= 720, (sw, sh)
        boxes = p.evaluate("""() => Array.from(document.querySelectorAll('.ax-plot, .ax-lever'))
            .map(e => e.getBoundingClientRect()).map(r => [r.bottom, r.right])""")
        assert all(b <= 720 and r <= 1280 for b, r in boxes)
        small = p.evaluate("""() => Array.from(document.querySelectorAll('h3, label, .ax-legend, .ax-value, text'))
            .filter(e => e.getClientRects().length).map(e => parseFloat(getComputedStyle(e).fontSize))
            .filter(s => s < 14)""")
        assert small == []
        cut = p.evaluate("""() => Array.from(document.querySelectorAll('h3, label, .ax-legend, .ax-key-item, button'))
            .filter(e => e.getClientRects().length)
            .filter(e => e.scrollWidth > e.clientWidth + 1 || e.getBoundingClientRect().right > innerWidth)
            .map(e => e.innerText.trim())""")
        assert cut == [], cut  # no title, unit, legend entry or lever label cut off
        p.screenshot(path=str(ART / "simulator_presenter_1280x720.png"))
        assert pg.requests == [] and pg.errors == [], (pg.requests, pg.errors)
    finally:
        pg.close()


def test_export_simulator_bad_output_is_one_line_exit_2(tmp_path):
    r = CliRunner().invoke(cli, ["export-simulator", "-o", str(tmp_path / "sim.txt")])
    assert r.exit_code == 2 and "*.html" in r.output and "Traceback" not in r.output
    assert not list(tmp_path.iterdir())
    r = CliRunner().invoke(cli, ["export-simulator", "-o", str(tmp_path / "no" / "sim.html")])
    assert r.exit_code == 2 and "does not exist" in r.output
