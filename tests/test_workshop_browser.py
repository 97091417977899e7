"""The workshop app in a real Chromium (Debian's /usr/bin/chromium driven by Playwright), used as
a facilitator would: levers dragged with the mouse, presenter mode on a 1280x720 projector,
snapshots compared, a game played to the end and replayed, links and session files shared.

The Dash server runs in a background thread on 127.0.0.1 and a free port; each test opens its own
browser context (fresh sessionStorage).  The key charts are drawn in the page by the model
itself (JavaScript generated from the compiled engine); their values are compared with
``ambidex.simulate``.  Screenshots go to tests/artifacts/ (git-ignored).
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
from pathlib import Path

import numpy as np
import pytest

import ambidex

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
ART = Path(__file__).parent / "artifacts"
REL = 1e-6
APP = {}  # the app under test (for what the server holds)

if not os.path.exists(CHROMIUM):
    pytest.skip(f"{CHROMIUM} not found: install Debian's chromium (apt-get install chromium) "
                "to run the workshop browser tests", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")

READ = """([sel, v, run]) => { for (const g of document.querySelectorAll(sel + ' .ax-plot')) {
  for (const d of (g.data || [])) if (d.meta.var === v && d.meta.run === run)
    return {x: Array.from(d.x), y: Array.from(d.y), scale: d.meta.scale}; } return null; }"""


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
    APP["app"] = app
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

    def __init__(self, browser, url, size=(1440, 900)):
        self.ctx = browser.new_context(accept_downloads=True,
                                       viewport={"width": size[0], "height": size[1]})
        self.page = self.ctx.new_page()
        self.errors = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(url)
        self.wait_charts()

    def wait_charts(self, run="current"):
        self.page.wait_for_function(
            "(run) => { const g = document.querySelector('#live-roa');"
            " return g && g.data && g.data.some(d => d.meta.run === run); }", arg=run, timeout=30000)

    def series(self, var, run="current", sel="#live-charts"):
        d = self.page.evaluate(READ, [sel, var, run])
        assert d is not None, f"no trace {var}/{run} in {sel}"
        return np.array(d["x"]), np.array(d["y"]) / d["scale"]

    def wait_change(self, var, before, run="current", timeout=30000):
        self.page.wait_for_function(
            "([v, run, y0]) => { for (const g of document.querySelectorAll('#live-charts .ax-plot'))"
            " for (const d of (g.data || [])) if (d.meta.var === v && d.meta.run === run)"
            "   return d.y.length !== y0.length || Array.from(d.y).some((y, i) => y !== y0[i]);"
            " return false; }", arg=[var, run, list(before)], timeout=timeout)

    def lever_value(self, py):
        return float(self.page.locator(f'input[name="{py}"]').input_value())

    def type_lever(self, py, value):
        box = self.page.locator(f'input[name="{py}"]')
        box.fill(str(value))
        box.press("Enter")

    def wait_lever(self, py, text):
        self.page.wait_for_function(
            "([py, v]) => document.querySelector(`input[name=\"${py}\"]`).value === v", arg=[py, text])

    def message(self):
        return self.page.locator("#message").inner_text()

    def wait_message(self, text):
        self.page.wait_for_function("(t) => { const m = document.querySelector('#message');"
                                    " return m && m.innerText.includes(t); }",
                                    arg=text, timeout=30000)

    def close(self):
        self.ctx.close()


@pytest.fixture
def open_page(browser, server):
    pages = []

    def _open(query="", size=(1440, 900)):
        pg = Page(browser, server + query, size)
        pages.append(pg)
        return pg

    yield _open
    for pg in pages:
        pg.close()


def _sim(model, params, var, scenario="baseline_dual"):
    ds = ambidex.simulate(model, scenarios=[scenario], params=params, variables=[var])
    return ds.time.values, ds[var].isel(scenario=0).values


def test_page_for_a_room_loads_clean(open_page, model):
    ART.mkdir(exist_ok=True)
    pg = open_page()
    p = pg.page
    assert p.evaluate("document.documentElement.lang") == "en"
    runs = p.evaluate("() => Array.from(document.querySelectorAll('#live-charts .ax-plot'))"
                      ".flatMap(g => g.data.map(d => d.meta.var + '/' + d.meta.run))")
    for var in ("collaboration_revenue", "market_revenue", "operating_margin", "roa",
                "relationship_trust", "tacit_knowledge", "codified_knowledge", "exploration_share",
                "myopia_index", "fragmentation_index", "polarization_index", "shared_offerings"):
        assert f"{var}/current" in runs and f"{var}/baseline" in runs, var
    # every chart's key is visible HTML text; risks and trust on fixed 0-1 axes; % shown as %
    assert "market-based" in p.locator("#live-revenue-legend").inner_text()
    assert p.evaluate("document.getElementById('live-risks').layout.yaxis.range") == [0, 1]
    assert p.evaluate("document.getElementById('live-roa').layout.yaxis.ticksuffix") == "%"
    # every lever number box has a label tied to it, in plain words with a unit
    untied = p.evaluate("""() => Array.from(document.querySelectorAll('.lever input[type=number]'))
        .filter(i => !Array.from(document.querySelectorAll('label')).some(l => l.htmlFor === i.id))
        .map(i => i.name)""")
    assert untied == []
    label = p.locator("#label-intended_exploration_share").inner_text()
    assert "Dmnl" not in label and "exploration" in label.lower() and "(" in label
    # the scenario description follows the selector
    assert "baseline_dual" in p.locator("#scenario-source").inner_text()
    p.click("#scenario")
    p.get_by_role("option", name="fragmentation", exact=True).click()
    p.wait_for_function("() => document.querySelector('#scenario-source').innerText.startsWith('fragmentation')")
    pg.wait_charts()
    p.screenshot(path=str(ART / "workshop_1440x900.png"))
    assert pg.errors == [], pg.errors


def test_charts_follow_a_dragged_slider(open_page, model):
    pg = open_page()
    p = pg.page
    _, before = pg.series("relationship_trust")
    thumb = p.locator('.lever[data-py="selectivity"] [role=slider]')
    thumb.scroll_into_view_if_needed()
    box = thumb.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    p.mouse.move(x, y)
    p.mouse.down()
    p.mouse.move(x + 40, y, steps=4)
    # still dragging: the chart and the number box have followed, the server has not been told
    pg.wait_change("relationship_trust", before, timeout=5000)
    assert pg.lever_value("selectivity") > 0.3
    assert p.evaluate("window.AMBIDEX.commits || 0") == 0
    assert p.evaluate("JSON.parse(sessionStorage.getItem('state')).levers.selectivity") == 0.3
    p.mouse.move(x + 80, y, steps=4)
    p.mouse.up()
    p.wait_for_function("() => parseFloat(document.querySelector('input[name=\"selectivity\"]').value) > 0.35")
    value = pg.lever_value("selectivity")
    p.wait_for_timeout(300)
    for var in ("relationship_trust", "roa", "myopia_index"):
        t, yv = pg.series(var)
        tt, ref = _sim(model, {"selectivity": value}, var)
        np.testing.assert_allclose(t, tt)
        np.testing.assert_allclose(yv, ref, rtol=REL, atol=1e-12)
    _, base = pg.series("relationship_trust", run="baseline")
    np.testing.assert_allclose(base, _sim(model, {}, "relationship_trust")[1], rtol=REL)
    # per-lever reset, reset all and undo
    p.click('.lever[data-py="selectivity"] button[aria-label^="reset"]')
    pg.wait_lever("selectivity", "0.3")
    pg.type_lever("network_breadth", 12)
    pg.wait_lever("network_breadth", "12")
    p.click("#undo")
    pg.wait_lever("network_breadth", "4")
    pg.type_lever("contract_length", 4)
    pg.wait_lever("contract_length", "4")
    p.click("#reset")
    pg.wait_lever("contract_length", "10")
    pg.wait_message("Levers back to the scenario")
    assert "ok" in p.get_attribute("#message", "class")
    assert pg.errors == [], pg.errors


def test_arrow_keys_redraw_from_the_page_then_tell_the_server_once(open_page, model):
    from ambidex.workshop import state as ws

    pg = open_page()
    p = pg.page
    _, before = pg.series("roa")
    thumb = p.locator('.lever[data-py="selectivity"] [role=slider]')
    thumb.focus()
    # one press: the chart changes while the server's state still holds the old value
    p.keyboard.press("ArrowRight")
    server_then = p.wait_for_function(
        """(y0) => { const d = document.getElementById('live-roa').data.find(d => d.meta.run === 'current');
            return Array.from(d.y).some((y, i) => y !== y0[i])
                && JSON.parse(sessionStorage.getItem('state')).levers.selectivity; }""",
        arg=list(before), timeout=5000, polling="raf").json_value()
    assert server_then == 0.3
    p.wait_for_function("() => JSON.parse(sessionStorage.getItem('state')).levers.selectivity > 0.3")
    assert p.evaluate("window.AMBIDEX.commits") == 1
    # two more presses in a row: both drawn, one request once the lever rests
    _, prev = pg.series("roa")
    p.evaluate("""async () => { const t = document.querySelector('.lever[data-py="selectivity"] [role=slider]');
        for (let k = 0; k < 2; k++) {  // one frame apart
          t.dispatchEvent(new KeyboardEvent('keydown', {key: 'ArrowRight', bubbles: true}));
          await new Promise(requestAnimationFrame); } }""")
    pg.wait_change("roa", prev, timeout=5000)
    p.wait_for_function("() => window.AMBIDEX.commits === 2 && !window.AMBIDEX.pending()")
    value = p.evaluate("JSON.parse(sessionStorage.getItem('state')).levers.selectivity")
    step = next(s["step"] for g in ws.lever_groups(model).values() for s in g if s["py"] == "selectivity")
    assert value == pytest.approx(0.3 + 3 * step)
    assert pg.lever_value("selectivity") == pytest.approx(value)
    assert float(thumb.get_attribute("aria-valuenow")) == pytest.approx(value)
    t, y = pg.series("roa")
    tt, ref = _sim(model, {"selectivity": value}, "roa")
    np.testing.assert_allclose(t, tt)
    np.testing.assert_allclose(y, ref, rtol=REL, atol=1e-12)
    assert not np.array_equal(y, before)
    assert pg.errors == [], pg.errors


def test_snapshots_compared_with_difference_cards(open_page, model):
    pg = open_page()
    p = pg.page
    p.get_by_text("Compare snapshots", exact=True).click()
    p.fill("#snapshot-name", "as is")
    p.click("#pin")
    pg.wait_message("as is")
    pg.type_lever("target_team_size", 60)
    pg.wait_lever("target_team_size", "60")
    p.fill("#snapshot-name", "bigger team")
    p.click("#pin")
    pg.wait_message("bigger team")
    p.wait_for_selector('.card[data-run="bigger team"]')
    card = p.locator('.card[data-run="bigger team"]').inner_text()
    assert "2035" in card and "change vs baseline" in card and "Return on assets" in card
    _, ref = _sim(model, {"target team size": 60}, "roa")
    _, b0 = _sim(model, {}, "roa")
    assert f"{100 * ref[-1]:.1f}%" in card or f"{100 * ref[-1]:.2f}%" in card
    diff = 100 * (ref[-1] - b0[-1])
    assert f"{abs(diff):.2f} pts" in card or f"{abs(diff):.3f} pts" in card
    _, y = pg.series("roa", run="bigger team", sel="#compare-charts")
    np.testing.assert_allclose(y, ref, rtol=REL)
    assert pg.errors == [], pg.errors


def test_saved_scenario_runs_with_the_cli(open_page, model, tmp_path):
    from typer.testing import CliRunner

    from ambidex.cli import app

    pg = open_page()
    pg.type_lever("contract_length", 5)
    pg.wait_lever("contract_length", "5")
    pg.page.fill("#save-name", "short_contracts")
    with pg.page.expect_download() as dl:
        pg.page.click("#save-toml")
    path = tmp_path / "short_contracts.toml"
    dl.value.save_as(path)
    sc = ambidex.load_scenario(path)
    assert sc.name == "short_contracts" and sc.parameters["contract length"] == 5
    pg.wait_message("Saved scenario")
    assert "ok" in pg.page.get_attribute("#message", "class")
    r = CliRunner().invoke(app, ["run", str(path), "--no-report", "--out", str(tmp_path / "out")])
    assert r.exit_code == 0, r.output


def test_game_to_the_end_score_and_replay_keep_the_path(open_page, model):
    pg = open_page()
    p = pg.page
    status = "() => document.querySelector('#game-status').innerText"
    p.click("#game-start")
    p.wait_for_function(f"() => ({status})().startsWith('year 2000')")
    pg.type_lever("intended_exploration_share", 0.4)
    p.wait_for_function(f"() => ({status})().includes('pending')")
    p.click("#game-advance")
    p.wait_for_function(f"() => ({status})().startsWith('year 2001')")
    pg.type_lever("selectivity", 0.5)
    p.wait_for_function(f"() => ({status})().includes('pending')")
    p.fill("#game-years", "3")
    p.click("#game-advance-n")
    p.wait_for_function(f"() => ({status})().startsWith('year 2004')")
    pg.wait_charts("game path")
    p.wait_for_function("() => { const d = document.getElementById('live-roa').data.find(d => d.meta.run === 'game path');"
                        " return d && d.x[d.x.length - 1] === 2004; }")
    x, y = pg.series("total_revenue" if False else "collaboration_revenue", run="game path")
    sc = ambidex.core.scenario.scenario_from_dict({
        "source": "direct", "parameters": {},
        "interventions": [
            {"parameter": "intended exploration share", "kind": "step", "time": 2000.0, "to": 0.4},
            {"parameter": "selectivity", "kind": "step", "time": 2001.0, "to": 0.5}]})
    ref = ambidex.simulate(model, scenarios=[sc], variables=["collaboration_revenue"],
                           rtol=1e-10, atol=1e-10)
    k = len(x)
    np.testing.assert_allclose(x, ref.time.values[:k])
    np.testing.assert_allclose(y, ref.collaboration_revenue.isel(scenario=0).values[:k], rtol=1e-6)
    # goals and score
    score = p.locator("#game-score").inner_text()
    assert "Return on assets" in score and "score" in score
    p.click("#game-end")
    p.wait_for_function(f"() => ({status})().startsWith('year 2035')")
    # replay, then end the game: the path stays (table and levers)
    p.click("#game-replay")
    p.wait_for_function(f"() => ({status})().includes('replaying')")
    p.click("#game-stop")
    pg.wait_message("decision path is kept")
    assert pg.lever_value("intended_exploration_share") == pytest.approx(0.4)
    assert pg.lever_value("selectivity") == pytest.approx(0.5)
    p.get_by_text("Game path and log", exact=True).click()
    p.wait_for_function("() => document.querySelector('#decision-table').innerText.includes('selectivity')")
    table = p.locator("#decision-table").inner_text()
    assert "2000" in table and "2001" in table
    assert pg.errors == [], pg.errors


def test_presenter_mode_fits_a_1280x720_projector(open_page):
    ART.mkdir(exist_ok=True)
    pg = open_page("?presenter=1", size=(1280, 720))
    p = pg.page
    p.wait_for_function("() => document.body.classList.contains('presenter')")
    p.wait_for_timeout(400)
    assert p.get_attribute("#presenter-toggle", "aria-pressed") == "true"
    sw, sh = p.evaluate("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
    assert sw <= 1280 and sh <= 720, (sw, sh)
    bottoms = p.evaluate("""() => Array.from(document.querySelectorAll('#live-charts .ax-plot, .lever'))
        .map(e => e.getBoundingClientRect().bottom)""")
    assert len(bottoms) >= 8 + 12 and max(bottoms) <= 720
    small = p.evaluate("""() => Array.from(document.querySelectorAll(
        '#live-charts h3, #live-charts .ax-legend, #live-charts text, .lever label, button'))
        .filter(e => e.getClientRects().length).map(e => parseFloat(getComputedStyle(e).fontSize))
        .filter(s => s < 14)""")
    assert small == []
    # nothing cut: no text wider than its box (clipped or ellipsised), titles and units whole
    cut = p.evaluate("""() => Array.from(document.querySelectorAll(
        '#live-charts h3, #live-charts .ax-legend, #live-charts .ax-key-item, .lever label, button, #tabs .tab, .bar *'))
        .filter(e => e.getClientRects().length)
        .filter(e => e.scrollWidth > e.clientWidth + 1 || e.getBoundingClientRect().right > innerWidth
                     || (getComputedStyle(e).textOverflow === 'ellipsis' && e.scrollWidth > e.clientWidth))
        .map(e => e.innerText.trim())""")
    assert cut == [], cut
    keys = p.evaluate("""() => Array.from(document.querySelectorAll('#live-charts .ax-chart')).map(c => {
        const r = c.getBoundingClientRect();
        return Array.from(c.querySelectorAll('.ax-key-item')).filter(k => k.getBoundingClientRect().right > r.right + 1)
          .map(k => k.innerText); }).flat()""")
    assert keys == [], keys  # every legend entry inside its chart ("polarization" included)
    assert "EUR m per year" in p.locator("#live-charts").inner_text()
    assert p.locator("#label-selectivity").inner_text() == "Saying no (share 0–1)"
    p.screenshot(path=str(ART / "workshop_presenter_1280x720.png"))
    p.click("#presenter-toggle")  # the visible control switches it off
    p.wait_for_function("() => !document.body.classList.contains('presenter')")
    p.screenshot(path=str(ART / "workshop_1280x720.png"))
    assert pg.errors == [], pg.errors


def test_share_link_and_session_file(open_page, tmp_path, server):
    a = open_page()
    a.type_lever("network_breadth", 12)
    a.wait_lever("network_breadth", "12")
    a.page.click("#share")
    a.page.wait_for_function("() => document.querySelector('#share-link').value.includes('levers')")
    link = a.page.locator("#share-link").input_value()
    b = open_page("?" + link.split("?", 1)[1])
    b.wait_lever("network_breadth", "12")
    with a.page.expect_download() as dl:
        a.page.click("#save-session")
    path = tmp_path / "session.json"
    dl.value.save_as(path)
    assert json.loads(path.read_text())["levers"]["network_breadth"] == 12
    c = open_page()
    assert c.lever_value("network_breadth") == 4  # tabs keep separate state
    c.page.locator("#session-upload input[type=file]").set_input_files(str(path))
    c.wait_lever("network_breadth", "12")
    c.wait_message("Opened session file")


def test_bad_and_tampered_input_is_refused(open_page):
    pg = open_page()
    p = pg.page
    _, before = pg.series("total_revenue" if False else "roa")
    pg.type_lever("selectivity", 7)
    pg.wait_message("outside its range")
    assert "error" in p.get_attribute("#message", "class")
    pg.wait_lever("selectivity", "0.3")
    np.testing.assert_array_equal(pg.series("roa")[1], before)
    p.locator("#upload input[type=file]").set_input_files(
        files=[{"name": "broken.toml", "mimeType": "application/toml",
                "buffer": b"name = 'x'\n[parameters\nselectivity = 0.9\n"}])
    pg.wait_message("broken.toml")
    assert "malformed TOML" in pg.message()
    p.locator("#upload input[type=file]").set_input_files(
        files=[{"name": "good.toml", "mimeType": "application/toml",
                "buffer": b"source = 'x'\n[parameters]\nselectivity = 0.6\n"}])
    pg.wait_lever("selectivity", "0.6")
    # a tampered store (lever out of range) is refused on the next request, never run
    p.evaluate("""() => { const s = JSON.parse(sessionStorage.getItem('state'));
        s.levers.selectivity = 7; sessionStorage.setItem('state', JSON.stringify(s)); }""")
    p.reload()
    pg.wait_message("Refused the session state")
    assert "selectivity" in pg.message()
    pg.wait_lever("selectivity", "0.3")


def test_named_loops_with_the_dominant_one_highlighted(open_page, model):
    import time

    from ambidex.workshop import loops_view
    from ambidex.workshop import state as ws
    from ambidex.workshop.tabs import no_horizon

    # the starting scenario's loops were measured in the background when the app started
    APP["app"].ambidex_prewarm.join(300)
    start = ws.state_from_scenario(model, APP["app"].layout["scenario"].value)
    assert json.dumps(no_horizon(model, start), sort_keys=True) in loops_view._CACHE
    pg = open_page()
    p = pg.page
    t0 = time.perf_counter()
    p.get_by_text("Loops", exact=True).click()
    p.wait_for_function("() => { const g = document.querySelector('#loops-diagram .js-plotly-plot');"
                        " return g && g.layout && g.layout.annotations && g.layout.annotations.length > 8; }",
                        timeout=120000)
    print(f"first Loops view drawn {time.perf_counter() - t0:.2f} s after the click")
    p.wait_for_timeout(300)
    # readable: no loop label over another loop label or a node name, no two node names overlap
    over = p.evaluate("""() => {
        const g = document.querySelector('#loops-diagram .js-plotly-plot');
        const box = (e) => e.getBoundingClientRect();
        const loops = Array.from(g.querySelectorAll('.annotation-text-g')).filter(e => e.textContent.trim())
          .map(e => [e.textContent, box(e)]);
        const names = Array.from(g.querySelectorAll('.textpoint text')).map(e => [e.textContent, box(e)]);
        const hit = (a, b) => a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1;
        const out = [];
        loops.forEach(([t, r], i) => { for (const [u, q] of loops.slice(i + 1).concat(names)) if (hit(r, q)) out.push(t + ' / ' + u); });
        names.forEach(([t, r], i) => { for (const [u, q] of names.slice(i + 1)) if (hit(r, q)) out.push(t + ' / ' + u); });
        return [loops.length, names.length, out]; }""")
    assert over[0] >= 8 and over[1] >= 10 and over[2] == [], over
    # a two-node loop (B4 obsolescence) is drawn as two curved arcs, not opposed straight arrows
    arcs = p.evaluate("document.querySelector('#loops-diagram .js-plotly-plot').data"
                      ".filter(d => d.mode === 'lines').length")
    assert arcs >= 2
    p.screenshot(path=str(ART / "workshop_loops_1440x900.png"), full_page=True)
    texts = p.evaluate("document.querySelector('#loops-diagram .js-plotly-plot').layout.annotations"
                       ".map(a => a.text || '')")
    for lid in ("R1", "R2", "B1", "B2", "B3", "B4", "B5"):
        assert any(t.startswith(lid) or t.startswith(f"<b>{lid}") for t in texts), lid
    scores = loops_view.named_scores(model, no_horizon(model, ws.state_from_scenario(model, "baseline_dual")))
    dom = loops_view.dominant_at(scores, 2005.0)
    title = p.evaluate("document.querySelector('#loops-diagram .js-plotly-plot').layout.title.text")
    assert f"dominant in 2005: {dom}" in title
    assert any(t.startswith(f"<b>{dom}</b>") for t in texts)
    assert p.evaluate("document.querySelector('#loops-diagram .js-plotly-plot').layout.annotations"
                      ".filter(a => a.arrowwidth === 5).length") >= 2
    assert dom in p.locator("#loops-periods").inner_text()
    # the feedback structure: signed stock-to-stock links, no '− nan' rows
    p.get_by_text("Feedback structure", exact=True).click()
    p.wait_for_function("() => document.querySelector('#feedback-table').innerText.includes('from stock')",
                        timeout=60000)
    table = p.locator("#feedback-table").inner_text()
    assert "nan" not in table.lower() and len(table.splitlines()) > 3
    assert pg.errors == [], pg.errors


def test_facilitator_sees_only_teams_that_opted_in(open_page):
    a = open_page()
    a.page.get_by_text("Room", exact=True).click()
    a.page.fill("#room-team", "Team A")
    a.page.get_by_label("Share my latest run with the facilitator").check()
    a.wait_message("as 'Team A'")
    a.type_lever("network_breadth", 12)
    a.wait_lever("network_breadth", "12")
    quiet = open_page()
    quiet.type_lever("network_breadth", 30)
    quiet.wait_lever("network_breadth", "30")
    f = open_page()
    f.page.get_by_text("Room", exact=True).click()
    f.page.wait_for_function("() => document.querySelector('#room-table').innerText.includes('Team A')")
    table = f.page.locator("#room-table").inner_text()
    assert "= 12" in table and "= 30" not in table and "%" in table
    a.page.get_by_label("Share my latest run with the facilitator").uncheck()
    a.wait_message("Stopped sharing")
    f.page.wait_for_function("() => !document.querySelector('#room-table').innerText.includes('Team A')",
                             timeout=15000)
