/* Workshop page: the model runs in the browser (generated from the compiled engine, see
 * ambidex/export) and the key charts follow the levers while they are dragged.  Dash clientside
 * callbacks call these functions; the server keeps the session state, the log and the exports. */
(function () {
"use strict";
const GOALS = [  // game goals at the end of the horizon (seed 000: ROA about 12.7 % in 2017-2021)
  {var: "roa", label: "Return on assets", op: ">=", value: 0.10, fmt: (v) => (100 * v).toFixed(1) + "% per year"},
  {var: "relationship_trust", label: "Relationship trust", op: ">=", value: 0.6, fmt: (v) => v.toFixed(2)},
  {var: "fragmentation_index", label: "Fragmentation risk", op: "<=", value: 0.3, fmt: (v) => v.toFixed(2)},
];
const CARDS = ["roa", "operating_margin", "relationship_trust", "collaboration_revenue", "market_revenue",
               "myopia_index", "fragmentation_index", "polarization_index"];

function sim() { return window.AMBIDEX.model; }
function ivs(list) {
  return (list || []).map((iv) => Object.assign({}, iv, {time: iv.time != null ? iv.time : iv.start}));
}
function run(params, interventions) {
  const m = sim(), s = m.spec;
  const tight = interventions && interventions.length;
  return m.run({params, interventions: ivs(interventions), te: s.te,
                rtol: tight ? 1e-9 : s.rtol, atol: tight ? 1e-9 : s.atol});
}
const cache = new Map();
function cached(key, f) {
  if (cache.has(key)) return cache.get(key);
  const v = f();
  if (cache.size > 40) cache.delete(cache.keys().next().value);
  cache.set(key, v);
  return v;
}
function baseline(state) {
  return cached(JSON.stringify(["b", state.base, state.interventions]),
                () => run(Object.assign({}, state.base), state.interventions));
}
function gamePath(state) {
  const g = state.game;
  const extra = [];
  for (const d of g.decisions) for (const [py, v] of Object.entries(d.changes))
    extra.push({parameter: py, kind: "step", time: d.year, to: v});
  const key = JSON.stringify(["g", state.base, g.start, state.interventions, g.decisions]);
  return cached(key, () => run(Object.assign({}, state.base, g.start), (state.interventions || []).concat(extra)));
}
function current(state, levers) {
  return run(Object.assign({}, state.base, levers), state.interventions);
}
function until(state) { return state.horizon && state.horizon.end != null ? state.horizon.end : null; }

function score(state, res, el) {
  if (!el) return;
  if (!state.game) { el.innerHTML = ""; return; }
  const g = state.game, k = res.time.length - 1;
  let met = 0;
  const parts = GOALS.filter((x) => res.values[x.var]).map((x) => {
    const v = res.values[x.var][k];
    const ok = x.op === ">=" ? v >= x.value : v <= x.value;
    if (ok) met++;
    return `<span class="${ok ? "met" : "missed"}">${x.label} ${x.op === ">=" ? "≥" : "≤"} ${x.fmt(x.value)}: ${x.fmt(v)} ${ok ? "✓" : "✗"}</span>`;
  });
  el.innerHTML = `<b>Goals for ${g.t1} if today's decisions stay:</b> ${parts.join(" · ")} — <b>score ${met} of ${parts.length}</b>`;
  el.dataset.score = String(met);
}

function draw(state, levers) {
  const t0 = performance.now();
  const spec = sim().spec, base = baseline(state);
  let runs;
  if (state.game) {
    const g = state.game;
    runs = [{label: "baseline", kind: "baseline", res: base},
            {label: "game path", kind: "current", res: gamePath(state), until: g.year}];
    // the score: where the path leads if today's levers stay to the end
    const eff = Object.assign({}, g.start);
    const steps = [];
    for (const d of g.decisions) for (const [py, v] of Object.entries(d.changes)) {
      eff[py] = v;
      steps.push({parameter: py, kind: "step", time: d.year, to: v});
    }
    for (const [py, v] of Object.entries(levers)) if (v !== eff[py]) steps.push({parameter: py, kind: "step", time: g.year, to: v});
    const ahead = cached(JSON.stringify(["a", state.base, g.start, state.interventions, steps]),
      () => run(Object.assign({}, state.base, g.start), (state.interventions || []).concat(steps)));
    score(state, ahead, document.getElementById("game-score"));
  } else {
    runs = [{label: "baseline", kind: "baseline", res: base, until: until(state)},
            {label: "current", kind: "current", res: current(state, levers), until: until(state)}];
    score(state, null, document.getElementById("game-score"));
  }
  const el = document.getElementById("live-charts");
  if (el) {
    // lines at once (quick); the axes follow when the levers rest (full Plotly redraw)
    window.AMBIDEX.mode = "full";
    if (AmbidexViews.quick(el, spec, runs, {prefix: "live"})) {
      window.AMBIDEX.mode = "quick";
      AmbidexViews.settle(el, spec, runs, {prefix: "live"}, 300);
    } else {
      AmbidexViews.render(el, spec, runs, {prefix: "live"});
    }
  }
  const ms = performance.now() - t0;
  window.AMBIDEX.lastLive = {ms, at: performance.now()};
  return ms.toFixed(1);
}

/* Lever moves in this tab the server has not answered yet: py -> {v, seq} (seq 0: not sent).
 * Every request of the page carries the latest commit (see ambidex/workshop/central.py).
 * They are drawn at once from the model in the page; the server is told afterwards (at pointer
 * release, or LEVER_REST ms after the last key press) so that Dash's request and its reply never
 * sit between a key press and the redraw. */
const LEVER_REST = 250;
const local = new Map();
let seq = 0, timer = null, pointer = false;

function overlay(state) {
  const levers = Object.assign({}, state.levers);
  for (const [py, e] of local) if (py in levers) levers[py] = e.v;
  return levers;
}
/* The server's state says which commit of this tab it has applied (state.commit): moves sent
 * up to it are answered (applied or refused) and dropped here. */
function acked(state) {
  const done = state.commit || 0;
  seq = Math.max(seq, done);
  for (const [py, e] of local) if (e.seq && e.seq <= done) local.delete(py);
}
function numBox(py) { return document.querySelector(`.lever[data-py="${py}"] input[type=number]`); }

/* Send every unanswered lever move in one request (the central callback's lever-commit input). */
function commit() {
  timer = null;
  if (!local.size || !window.dash_clientside.set_props) return;
  const levers = {};
  seq += 1;
  for (const [py, e] of local) { levers[py] = e.v; e.seq = seq; }
  window.AMBIDEX.commits = (window.AMBIDEX.commits || 0) + 1;
  window.dash_clientside.set_props("lever-commit", {data: {levers, seq}});
}
function schedule(delay) {
  if (timer) clearTimeout(timer);
  timer = pointer ? null : setTimeout(commit, delay);
}

/* A lever being dragged or stepped by keyboard: the slider's thumb reports its value in
 * aria-valuenow as it moves; a MutationObserver redraws from it at once over the last state the
 * server confirmed, and schedules telling the server. */
function watchLevers() {
  const root = document.getElementById("levers");
  if (!root || window.AMBIDEX.watching) return;
  window.AMBIDEX.watching = true;
  root.addEventListener("pointerdown", (e) => { if (e.target.closest("[role=slider], .dash-slider-root")) pointer = true; }, true);
  document.addEventListener("pointerup", () => { if (pointer) { pointer = false; schedule(0); } }, true);
  root.addEventListener("focusout", () => { if (timer) schedule(0); }, true);
  new MutationObserver((records) => {
    const state = window.AMBIDEX.state;
    if (!state) return;
    let moved = false;
    for (const r of records) {
      const lever = r.target.closest && r.target.closest(".lever");
      const v = parseFloat(r.target.getAttribute("aria-valuenow"));
      const py = lever && lever.dataset.py;
      if (!py || !Number.isFinite(v) || !(py in state.levers)) continue;
      const shown = local.has(py) ? local.get(py).v : state.levers[py];
      if (v === shown) continue;
      local.set(py, {v, seq: 0});
      const box = numBox(py);
      if (box && document.activeElement !== box) box.value = String(v);
      moved = true;
    }
    if (!moved) return;
    window.AMBIDEX.moved = performance.now();
    draw(state, overlay(state));
    schedule(LEVER_REST);
  }).observe(root, {subtree: true, attributes: true, attributeFilter: ["aria-valuenow"]});
}

/* The state the server confirmed (or restored): remembered, drawn with the lever moves it has
 * not answered yet on top; nothing redrawn when what the charts show is unchanged. */
function liveState(state) {
  if (!state || !window.AMBIDEX) return window.dash_clientside.no_update;
  window.AMBIDEX.state = state;
  acked(state);
  watchLevers();
  const levers = overlay(state);
  const key = JSON.stringify([state.base, state.interventions, state.horizon, state.game, levers]);
  if (key === window.AMBIDEX.drawn) return window.dash_clientside.no_update;
  window.AMBIDEX.drawn = key;
  return draw(state, levers);
}

/* Slider and number box of every lever set from the confirmed state (only those that differ and
 * have no unanswered move of this tab). */
function syncLevers(state, sliders, nums) {
  const nu = window.dash_clientside.no_update;
  const ids = window.dash_clientside.callback_context.states_list[0].map((x) => x.id.py);
  if (!state) return [ids.map(() => nu), ids.map(() => nu)];
  window.AMBIDEX.state = state;
  acked(state);
  const tidy = (v) => (v == null ? v : Math.round(v * 1e10) / 1e10);
  const want = ids.map((py) => (local.has(py) ? null : tidy(state.levers[py])));
  ids.forEach((py, k) => {  // a box written while the lever moved, then the move refused
    const box = numBox(py);
    if (want[k] != null && box && document.activeElement !== box && nums[k] === want[k] &&
        parseFloat(box.value) !== want[k]) box.value = String(want[k]);
  });
  return [want.map((v, k) => (v == null || sliders[k] === v ? nu : v)),
          want.map((v, k) => (v == null || nums[k] === v ? nu : v))];
}

function cards(state, year) {
  const spec = sim().spec, base = baseline(state);
  const runs = [{label: "baseline", kind: "baseline", res: base}];
  if (!state.game) runs.push({label: "current", kind: "snapshot", res: current(state, state.levers)});
  for (const s of state.snapshots || []) {
    const sc = s.scenario;
    runs.push({label: s.name, kind: "snapshot", until: sc.horizon && sc.horizon.end,
               res: cached(JSON.stringify(["s", sc]), () => run(sc.parameters, sc.interventions))});
  }
  return runs;
}

function compare(state, tab) {
  if (!state || tab !== "compare" || !window.AMBIDEX) return window.dash_clientside.no_update;
  const spec = sim().spec, runs = cards(state);
  const year = spec.final_time;
  AmbidexViews.render(document.getElementById("compare-charts"), spec, runs, {prefix: "cmp", compare: true});
  const b = AmbidexViews.valuesAt(spec, runs[0].res, year);
  const html = runs.slice(1).map((r) => {
    const v = AmbidexViews.valuesAt(spec, r.res, year);
    const rows = v.filter((x) => CARDS.includes(x.var)).map((x) => {
      const ref = b.find((y) => y.var === x.var).value, d = x.value - ref;
      const cls = Math.abs(d) < 1e-9 ? "" : (d > 0 ? "up" : "down");
      const unit = x.percent ? " pts" : "";
      return `<tr><td>${x.chart}${x.label && x.chart.indexOf(x.label) < 0 ? ": " + x.label : ""}</td><td>${AmbidexViews.fmt(x.value, x.percent)}</td>` +
             `<td class="${cls}">${d >= 0 ? "+" : "−"}${AmbidexViews.fmt(Math.abs(d), false)}${unit}</td></tr>`;
    }).join("");
    return `<div class="card" data-run="${r.label}"><h4>${r.label} in ${year}</h4><table><tr><th>outcome</th><th>value</th><th>change vs baseline</th></tr>${rows}</table></div>`;
  }).join("");
  document.getElementById("diff-cards").innerHTML = runs.length > 1 ? html : "<p>Pin snapshots to compare them.</p>";
  return String(runs.length);
}

function presenter(n, search) {
  const fromUrl = new URLSearchParams(search || "").get("presenter") === "1";
  const on = n ? (n % 2 === 1) !== fromUrl : fromUrl;
  document.body.classList.toggle("presenter", on);
  window.dispatchEvent(new Event("resize"));
  return on ? "true" : "false";
}

function share(n, state) {
  if (!n || !state) return window.dash_clientside.no_update;
  const diff = {};
  for (const [py, v] of Object.entries(state.levers)) {
    const b = state.base[py];
    const l = sim().spec.levers.find((x) => x.py === py);
    if (v !== (b != null ? b : l && l.default)) diff[py] = v;
  }
  const q = new URLSearchParams({scenario: state.scenario});
  if (Object.keys(diff).length) q.set("levers", JSON.stringify(diff));
  const url = location.origin + location.pathname + "?" + q.toString();
  if (navigator.clipboard) navigator.clipboard.writeText(url).catch(() => {});
  return url;
}

window.AMBIDEX = window.AMBIDEX || {};
window.AMBIDEX.pending = () => local.size;  // lever moves the server has not answered yet
window.dash_clientside = Object.assign({}, window.dash_clientside, {ambidex: {liveState, syncLevers, compare, presenter, share}});
})();
