"""The workshop app in a real Chromium (Debian's /usr/bin/chromium driven by Playwright).

The Dash server runs in a background thread on 127.0.0.1 and a free port; each test opens its own
browser context (fresh sessionStorage).  Skipped with a message when Chromium or Playwright is
missing (install: ``apt-get install chromium``; ``pip install playwright`` -- the browser bundle
of ``playwright install`` is not needed).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time

import numpy as np
import pytest

import ambidex

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]

if not os.path.exists(CHROMIUM):
    pytest.skip(f"{CHROMIUM} not found: install Debian's chromium (apt-get install chromium) "
                "to run the workshop browser tests", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")

GRAPH = "#outcomes-graph .js-plotly-plot"
READ = """(sel) => { const g = document.querySelector(sel); if (!g || !g.data) return null;
  return g.data.map(d => ({var: d.meta && d.meta.var, run: d.meta && d.meta.run,
                           scale: d.meta && d.meta.scale, x: Array.from(d.x), y: Array.from(d.y)})); }"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(model):
    from werkzeug.serving import make_server

    from ambidex.workshop import create_app

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    app = create_app(model)
    port = _free_port()
    srv = make_server("127.0.0.1", port, app.server, threaded=True)
    th = threading.Thread(target=srv.serve_forever, daemon=True)
    th.start()
    yield f"http://127.0.0.1:{port}/"
    srv.shutdown()
    th.join(5)


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


class Page:
    """A page in a fresh browser context with helpers; collects console errors."""

    def __init__(self, browser, url):
        self.ctx = browser.new_context(accept_downloads=True)
        self.page = self.ctx.new_page()
        self.errors = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(url)
        self.wait_graph()

    def wait_graph(self, sel=GRAPH, run="current"):
        self.page.wait_for_function(
            "([sel, run]) => { const g = document.querySelector(sel);"
            " return g && g.data && g.data.some(d => d.meta && d.meta.run === run); }",
            arg=[sel, run], timeout=30000)

    def data(self, sel=GRAPH):
        return self.page.evaluate(READ, sel)

    def series(self, var, run="current", sel=GRAPH):
        for d in self.data(sel) or []:
            if d["var"] == var and d["run"] == run:
                return np.array(d["x"]), np.array(d["y"]) / d["scale"]
        raise AssertionError(f"no trace {var}/{run} in {sel}")

    def wait_change(self, var, before, run="current", sel=GRAPH, timeout=30000):
        self.page.wait_for_function(
            "([sel, v, run, y0]) => { const g = document.querySelector(sel); if (!g || !g.data) return false;"
            " const d = g.data.find(d => d.meta && d.meta.var === v && d.meta.run === run);"
            " return d && (d.y.length !== y0.length || Array.from(d.y).some((y, i) => y !== y0[i])); }",
            arg=[sel, var, run, list(before)], timeout=timeout)

    def lever_value(self, py):
        return float(self.page.locator(f'input[name="{py}"]').input_value())

    def type_lever(self, py, value):
        box = self.page.locator(f'input[name="{py}"]')
        box.fill(str(value))
        box.press("Enter")

    def message(self):
        return self.page.locator("#message").inner_text()

    def close(self):
        self.ctx.close()


@pytest.fixture
def open_page(browser, server):
    pages = []

    def _open():
        pg = Page(browser, server)
        pages.append(pg)
        return pg

    yield _open
    for pg in pages:
        pg.close()


def _sim(model, params, var, scenario="baseline_dual"):
    ds = ambidex.simulate(model, scenarios=[scenario], params=params, variables=[var])
    return ds.time.values, ds[var].isel(scenario=0).values


def test_page_loads_without_console_errors(open_page, model):
    pg = open_page()
    runs = {(d["var"], d["run"]) for d in pg.data()}
    for var in ("total_revenue", "collaboration_revenue", "market_revenue", "operating_margin",
                "roa", "relationship_trust", "tacit_knowledge", "codified_knowledge",
                "exploration_share", "exploitation_share", "myopia_index",
                "fragmentation_index", "polarization_index"):
        assert (var, "current") in runs and (var, "baseline") in runs, var
    assert pg.page.locator("[role=slider]").count() >= 12
    for group in ("Boundary element", "Collaboration-based", "Market-based", "Culture and leadership"):
        assert pg.page.get_by_text(group).count() >= 1
    assert pg.message() == ""
    # the feedback view: stock-to-stock causal structure with signed edges
    pg.page.get_by_text("Feedback structure", exact=True).click()
    pg.page.wait_for_function(
        "() => { const g = document.querySelector('#feedback-graph .js-plotly-plot');"
        " return g && g.layout && g.layout.annotations && g.layout.annotations.length > 3; }",
        timeout=30000)
    assert "Team Capacity" in pg.page.locator("#feedback-graph").inner_text()
    assert pg.errors == [], pg.errors


def test_slider_redraws_and_matches_simulate(open_page, model):
    pg = open_page()
    _, before = pg.series("total_revenue")
    thumb = pg.page.locator('.lever[data-py="selectivity"] [role=slider]')
    thumb.focus()
    thumb.press("PageUp")  # one large step of the slider
    pg.wait_change("total_revenue", before)
    pg.page.wait_for_function(
        "() => { const s = document.querySelector('.lever[data-py=\"selectivity\"] [role=slider]');"
        " const i = document.querySelector('input[name=\"selectivity\"]');"
        " return Math.abs(parseFloat(s.getAttribute('aria-valuenow')) - parseFloat(i.value)) < 1e-9; }")
    value = pg.lever_value("selectivity")
    assert value != pytest.approx(0.3)
    time.sleep(0.3)  # let any further redraw land
    for var in ("total_revenue", "relationship_trust", "myopia_index"):
        x, y = pg.series(var)
        tt, ref = _sim(model, {"selectivity": value}, var)
        np.testing.assert_allclose(x, tt)
        np.testing.assert_allclose(y, ref, rtol=1e-9, atol=1e-12)
    _, base = pg.series("total_revenue", run="baseline")
    _, ref0 = _sim(model, {}, "total_revenue")
    np.testing.assert_allclose(base, ref0, rtol=1e-9)
    assert pg.errors == [], pg.errors


def test_pin_two_snapshots_and_compare(open_page, model):
    pg = open_page()
    p = pg.page
    p.fill("#snapshot-name", "as is")
    p.click("#pin")
    p.wait_for_function("() => document.querySelector('#message').innerText.includes('as is')")
    _, before = pg.series("total_revenue")
    pg.type_lever("target_team_size", 60)
    pg.wait_change("total_revenue", before)
    p.fill("#snapshot-name", "bigger team")
    p.click("#pin")
    p.wait_for_function("() => document.querySelector('#message').innerText.includes('bigger team')")
    p.get_by_text("Compare snapshots", exact=True).click()
    sel = "#compare-graph .js-plotly-plot"
    pg.wait_graph(sel, run="bigger team")
    data = pg.data(sel)
    runs = {d["run"] for d in data}
    assert {"as is", "bigger team", "current", "baseline"} <= runs
    a = next(np.array(d["y"]) for d in data if d["run"] == "as is" and d["var"] == "total_revenue")
    b = next(np.array(d["y"]) for d in data if d["run"] == "bigger team" and d["var"] == "total_revenue")
    _, ref = _sim(model, {"target team size": 60}, "total_revenue")
    np.testing.assert_allclose(b / 1e-6, ref, rtol=1e-9)
    assert not np.allclose(a, b)
    table = p.locator("#compare-table").inner_text()
    assert "as is" in table and "bigger team" in table
    assert pg.errors == [], pg.errors


def test_saved_scenario_runs_with_the_cli(open_page, model, tmp_path):
    from typer.testing import CliRunner

    from ambidex.cli import app

    pg = open_page()
    _, before = pg.series("total_revenue")
    pg.type_lever("contract_length", 5)
    pg.wait_change("total_revenue", before)
    pg.page.fill("#save-name", "short_contracts")
    with pg.page.expect_download() as dl:
        pg.page.click("#save-toml")
    path = tmp_path / "short_contracts.toml"
    dl.value.save_as(path)
    sc = ambidex.load_scenario(path)
    assert sc.name == "short_contracts" and sc.parameters["contract length"] == 5
    r = CliRunner().invoke(app, ["run", str(path), "--no-report", "--out", str(tmp_path / "out")])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "out" / "scenarios.nc").exists()


def test_game_mode_advances_years_and_records_decisions(open_page, model):
    pg = open_page()
    p = pg.page
    p.click("#game-start")
    p.wait_for_function("() => document.querySelector('#game-status').innerText.startsWith('year 2000')")
    pg.type_lever("intended_exploration_share", 0.4)
    p.wait_for_function("() => document.querySelector('#game-status').innerText.includes('pending')")
    p.click("#game-advance")
    p.wait_for_function("() => document.querySelector('#game-status').innerText.startsWith('year 2001')")
    pg.wait_graph(run="game path")
    pg.type_lever("selectivity", 0.5)
    p.wait_for_function("() => document.querySelector('#game-status').innerText.includes('pending')")
    p.click("#game-advance")
    p.wait_for_function("() => document.querySelector('#game-status').innerText.startsWith('year 2002')")
    assert "2 decision(s)" in p.locator("#game-status").inner_text()
    p.wait_for_function(
        "() => { const g = document.querySelector('#outcomes-graph .js-plotly-plot');"
        " const d = g.data.find(d => d.meta.run === 'game path' && d.meta.var === 'total_revenue');"
        " return d && d.x[d.x.length - 1] === 2002; }")
    x, y = pg.series("total_revenue", run="game path")
    sc = ambidex.scenario.scenario_from_dict({
        "source": "direct", "parameters": {}, "horizon": {"end": 2002.0},
        "interventions": [
            {"parameter": "intended exploration share", "kind": "step", "time": 2000.0, "to": 0.4},
            {"parameter": "selectivity", "kind": "step", "time": 2001.0, "to": 0.5}]})
    ref = ambidex.simulate(model, scenarios=[sc], variables=["total_revenue"])
    np.testing.assert_allclose(x, ref.time.values)
    np.testing.assert_allclose(y, ref.total_revenue.isel(scenario=0).values, rtol=1e-9)
    p.get_by_text("Game path and log", exact=True).click()
    p.wait_for_function("() => document.querySelector('#decision-table').innerText.includes('selectivity')")
    table = p.locator("#decision-table").inner_text()
    assert "2000" in table and "2001" in table and "intended exploration share" in table
    # replay: the recorded path is played again year by year
    p.click("#game-replay")
    p.wait_for_function("() => document.querySelector('#game-status').innerText.includes('replaying')")
    p.click("#game-advance")
    p.wait_for_function("() => document.querySelector('#game-status').innerText.startsWith('year 2001')")
    assert pg.lever_value("intended_exploration_share") == pytest.approx(0.4)
    assert pg.errors == [], pg.errors


def test_two_browser_contexts_keep_separate_state(open_page, server):
    a = open_page()
    b = open_page()
    _, before = a.series("total_revenue")
    a.type_lever("network_breadth", 12)
    a.wait_change("total_revenue", before)
    b.page.reload()
    b.wait_graph()
    assert a.lever_value("network_breadth") == 12
    assert b.lever_value("network_breadth") == 4
    a.page.reload()  # the session survives a reload of the same tab
    a.wait_graph()
    a.page.wait_for_function("() => document.querySelector('input[name=\"network_breadth\"]').value === '12'")


def test_invalid_input_shows_message_and_keeps_state(open_page):
    pg = open_page()
    _, before = pg.series("total_revenue")
    pg.type_lever("selectivity", 7)
    pg.page.wait_for_function("() => document.querySelector('#message').innerText.includes('outside its range')")
    assert "selectivity" in pg.message()
    pg.page.wait_for_function("() => document.querySelector('input[name=\"selectivity\"]').value === '0.3'")
    _, after = pg.series("total_revenue")
    np.testing.assert_array_equal(after, before)
    # a malformed uploaded scenario
    pg.page.locator("#upload input[type=file]").set_input_files(
        files=[{"name": "broken.toml", "mimeType": "application/toml",
                "buffer": b"name = 'x'\n[parameters\nselectivity = 0.9\n"}])
    pg.page.wait_for_function("() => document.querySelector('#message').innerText.includes('broken.toml')")
    assert "malformed TOML" in pg.message()
    pg.page.locator("#upload input[type=file]").set_input_files(
        files=[{"name": "badrange.toml", "mimeType": "application/toml",
                "buffer": b"source = 'x'\n[parameters]\nselectivity = 3.0\n"}])
    pg.page.wait_for_function("() => document.querySelector('#message').innerText.includes('badrange.toml')")
    assert pg.lever_value("selectivity") == pytest.approx(0.3)
    np.testing.assert_array_equal(pg.series("total_revenue")[1], before)
    # a good upload then replaces the levers
    pg.page.locator("#upload input[type=file]").set_input_files(
        files=[{"name": "good.toml", "mimeType": "application/toml",
                "buffer": b"source = 'x'\n[parameters]\nselectivity = 0.6\n"}])
    pg.page.wait_for_function("() => document.querySelector('input[name=\"selectivity\"]').value === '0.6'")
    assert pg.message() == ""
