/* The offline simulator page: scenario selector, levers (live while dragging), key charts
 * against the unchanged scenario, reset, presenter mode, state in the URL hash. */
(function (root) {
"use strict";
const $ = (tag, attrs, ...kids) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "text") e.textContent = v; else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const k of kids) e.appendChild(typeof k === "string" ? document.createTextNode(k) : k);
  return e;
};

function start(opts) {
  const sim = root.AMBIDEX.model, spec = sim.spec;
  const scen = spec.scenarios;
  const st = {scenario: 0, levers: {}, baseline: null};
  const levers = spec.levers;
  const inputs = {};

  function scenarioLevers(i) {
    const s = scen[i], out = {};
    for (const l of levers) out[l.py] = l.name in s.params ? s.params[l.name] : l.default;
    return out;
  }
  function params() {
    const s = scen[st.scenario], p = Object.assign({}, s.params);
    for (const l of levers) p[l.name] = st.levers[l.py];
    return p;
  }
  function run(p) {
    return sim.run({params: p, interventions: scen[st.scenario].interventions, te: spec.te,
                    rtol: spec.rtol, atol: spec.atol});
  }

  document.title = opts.title;
  const sel = $("select", {id: "scenario"});
  scen.forEach((s, i) => sel.appendChild($("option", {value: String(i), text: s.name})));
  const desc = $("p", {id: "scenario-description", class: "ax-desc"});
  const presenter = $("button", {id: "presenter", type: "button", "aria-pressed": "false",
    onclick: () => setPresenter(!document.body.classList.contains("presenter"))}, "Presenter mode");
  const header = $("header", {class: "ax-header"},
    $("h1", {text: opts.title}),
    $("label", {for: "scenario"}, "Scenario "), sel,
    $("button", {id: "reset-all", type: "button", onclick: () => { st.levers = scenarioLevers(st.scenario); sync(); update(); }}, "Reset levers"),
    presenter,
    $("span", {class: "ax-key"}, "solid: your levers · dashed: the scenario unchanged"),
    $("span", {id: "status", class: "ax-status", role: "status"}));
  const charts = $("main", {id: "charts", class: "ax-charts"});
  const panel = $("section", {id: "levers", class: "ax-levers", "aria-label": "Levers"});
  let group = null;
  for (const l of levers) {
    if (l.group !== group) { group = l.group; panel.appendChild($("h2", {class: "ax-group", text: group})); }
    const id = `lever-${l.py}`;
    const inp = $("input", {type: "range", id, name: l.py, min: String(l.lower), max: String(l.upper),
                            step: String(l.step), value: String(l.default), "aria-describedby": `${id}-doc`});
    const out = $("output", {for: id, id: `${id}-value`, class: "ax-value"});
    const rst = $("button", {type: "button", class: "ax-reset", title: `reset ${l.label}`,
                             "aria-label": `reset ${l.label}`, onclick: () => { st.levers[l.py] = scenarioLevers(st.scenario)[l.py]; sync(); update(); }}, "↺");
    inp.addEventListener("input", () => { st.levers[l.py] = parseFloat(inp.value); out.textContent = inp.value; update(true); });
    inputs[l.py] = {inp, out};
    panel.appendChild($("div", {class: "ax-lever", "data-py": l.py},
      $("label", {for: id, title: l.label}, $("span", {class: "ax-long", text: l.label}),
        $("span", {class: "ax-short", text: l.short || l.label})), $("div", {class: "ax-row"}, inp, out, rst),
      $("small", {id: `${id}-doc`, text: l.doc})));
  }
  document.body.appendChild(header);
  document.body.appendChild(desc);
  document.body.appendChild($("div", {class: "ax-body"}, charts, panel));

  function sync() {
    for (const l of levers) {
      const v = st.levers[l.py];
      inputs[l.py].inp.value = String(v);
      inputs[l.py].out.textContent = String(+v.toPrecision(6));
    }
  }
  function setPresenter(on) {
    document.body.classList.toggle("presenter", on);
    presenter.setAttribute("aria-pressed", on ? "true" : "false");
    saveHash();
    window.dispatchEvent(new Event("resize"));
  }
  function saveHash() {
    const diff = {};
    const base = scenarioLevers(st.scenario);
    for (const l of levers) if (st.levers[l.py] !== base[l.py]) diff[l.py] = st.levers[l.py];
    const h = new URLSearchParams({s: scen[st.scenario].name});
    if (Object.keys(diff).length) h.set("levers", JSON.stringify(diff));
    if (document.body.classList.contains("presenter")) h.set("presenter", "1");
    history.replaceState(null, "", "#" + h.toString());
  }
  function selectScenario(i, keep) {
    st.scenario = i;
    sel.value = String(i);
    const s = scen[i];
    desc.textContent = `${s.name}: ${s.description || ""} Source: ${s.source || "–"}`;
    st.levers = Object.assign(scenarioLevers(i), keep || {});
    st.baseline = run(Object.assign({}, s.params));
    sync();
    update();
  }
  let pending = false;
  function update(moving) {
    const t0 = performance.now();
    const cur = run(params());
    const runs = [{label: "baseline", kind: "baseline", res: st.baseline},
                  {label: "current", kind: "current", res: cur}];
    let ms;
    if (moving && AmbidexViews.quick(charts, spec, runs)) {  // lines at once, axes when it rests
      ms = performance.now() - t0;
      AmbidexViews.settle(charts, spec, runs, {}, 250);
    } else {
      ms = AmbidexViews.render(charts, spec, runs);
    }
    root.AMBIDEX.last = {current: cur, baseline: st.baseline, ms: performance.now() - t0, draw: ms};
    document.getElementById("status").textContent = cur.status === 0 ? "" : `the run stopped at ${cur.fail_time}`;
    if (!pending) { pending = true; setTimeout(() => { pending = false; saveHash(); }, 200); }
  }
  sel.addEventListener("change", () => selectScenario(parseInt(sel.value, 10)));

  const h = new URLSearchParams(location.hash.slice(1));
  let i0 = Math.max(0, scen.findIndex((s) => s.name === (h.get("s") || "baseline_dual")));
  let keep = {};
  try { keep = JSON.parse(h.get("levers") || "{}"); } catch (e) { keep = {}; }
  for (const k of Object.keys(keep)) {
    const l = levers.find((x) => x.py === k);
    if (!l || !(keep[k] >= l.lower && keep[k] <= l.upper)) delete keep[k];  // refuse tampered values
  }
  if (h.get("presenter") === "1" || new URLSearchParams(location.search).get("presenter") === "1") setPresenter(true);
  selectScenario(i0, keep);
}
root.AmbidexSimulator = {start};
})(window);
