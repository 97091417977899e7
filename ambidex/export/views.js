/* ambidex key charts in the browser: one small Plotly figure per chart, redrawn with
 * Plotly.react (only the chart data changes while a lever is dragged).  Used by the offline
 * simulator and by the workshop page.  Every trace carries meta {var, scale, run} so tests can
 * read the plotted values back and map them to model variables. */
(function (root) {
"use strict";
const COLORS = ["#1f5fbf", "#d9480f", "#2b8a3e", "#862e9c", "#c2255c", "#5c940d"];
const RUN_COLORS = ["#1f5fbf", "#d9480f", "#2b8a3e", "#862e9c", "#c2255c", "#e67700"];
const FONT = {family: "system-ui, sans-serif", size: 14, color: "#222"};
const CONFIG = {displaylogo: false, responsive: true, displayModeBar: false};

function layoutFor(chart, spec, opts) {
  const y = {title: {text: ""}, automargin: false, zeroline: false, gridcolor: "#e6e6e6",
             tickfont: {size: 14}, fixedrange: true};
  if (chart.range) {
    const k = chart.percent && chart.range[1] <= 1 ? 100 : 1;
    y.range = [chart.range[0] * k, chart.range[1] * k];
    y.autorange = false;
    y.dtick = (y.range[1] - y.range[0]) / 4;
  } else {
    y.autorange = true;
    y.rangemode = chart.percent ? "normal" : "tozero";
  }
  if (chart.percent) y.ticksuffix = "%";
  return {
    font: FONT, margin: {l: 46, r: 10, t: 6, b: 24}, showlegend: false, hovermode: "x unified",
    xaxis: {range: [spec.initial_time, spec.final_time], tickfont: {size: 14}, gridcolor: "#eee",
            fixedrange: true, automargin: false, dtick: 10, tickangle: 0},
    yaxis: y, uirevision: chart.id, paper_bgcolor: "white", plot_bgcolor: "white",
  };
}

/* runs: [{label, res: {time, values}, kind: 'current'|'baseline'|'snapshot', until}] */
function traces(chart, runs, compare) {
  const data = [];
  if (!compare) runs = runs.slice().sort((a, b) => (a.kind === "baseline") - (b.kind === "baseline"));
  runs.forEach((run, ri) => {
    chart.series.forEach((s, si) => {
      const ys = run.res.values[s.var];
      if (!ys) return;
      const x = [], y = [];
      for (let k = 0; k < run.res.time.length; k++) {
        const t = run.res.time[k];
        if (run.until != null && t > run.until + 1e-9) break;
        if (Number.isFinite(ys[k])) { x.push(t); y.push(ys[k] * s.scale); }
      }
      const base = run.kind === "baseline";
      const color = compare ? RUN_COLORS[ri % RUN_COLORS.length] : COLORS[si % COLORS.length];
      const dash = compare ? ["solid", "dot", "dash"][si % 3] : (base ? "dash" : "solid");
      const name = compare ? (chart.series.length > 1 ? `${run.label}: ${s.label}` : run.label)
                           : (base ? `${s.label} (baseline)` : s.label);
      data.push({
        type: "scatter", mode: "lines", x, y, name,
        showlegend: compare ? si === 0 || chart.series.length > 1 : !base,
        line: {color: base && !compare && chart.series.length === 1 ? "#444" : color, dash, width: base && !compare ? 1.5 : 2.8},
        opacity: base && !compare ? 0.8 : 1,
        meta: {var: s.var, scale: s.scale, run: run.label},
        hovertemplate: `${name}: %{y:.3~f}${chart.percent ? "%" : ""}<extra></extra>`,
      });
    });
  });
  return data;
}

/* The chart's key as HTML above the plot (never clipped): one entry per shown trace. */
function legend(el, data) {
  const items = data.filter((d) => d.showlegend).map((d) =>
    `<span class="ax-key-item"><svg width="20" height="10" aria-hidden="true"><line x1="0" y1="5" x2="20" y2="5" stroke="${d.line.color}" stroke-width="3" stroke-dasharray="${d.line.dash === "solid" ? "" : d.line.dash === "dot" ? "2,3" : "6,4"}"/></svg>${d.name}</span>`);
  const html = items.join(" ");
  if (el.innerHTML !== html) el.innerHTML = html;
}

function ensure(container, spec, charts, prefix) {
  if (container.dataset.built === prefix) return;
  container.innerHTML = "";
  for (const c of charts) {
    const card = document.createElement("section");
    card.className = "ax-chart";
    card.setAttribute("aria-label", c.title);
    const h = document.createElement("h3");
    h.innerHTML = `<span class="ax-long">${c.title} <span class="ax-unit">(${c.unit})</span></span>` +
      `<span class="ax-short">${c.short || c.title} <span class="ax-unit">(${c.short_unit || c.unit})</span></span>`;
    h.title = `${c.title} (${c.unit})`;
    const key = document.createElement("div");
    key.className = "ax-legend";
    key.id = `${prefix}-${c.id}-legend`;
    const div = document.createElement("div");
    div.className = "ax-plot";
    div.id = `${prefix}-${c.id}`;
    div.dataset.chart = c.id;
    div.addEventListener("pointerenter", () => {  // hover values of lines drawn by quick()
      if (div._stale) { const [data, layout] = div._stale; div._stale = null; Plotly.react(div, data, layout, CONFIG); }
    });
    card.appendChild(h);
    card.appendChild(key);
    card.appendChild(div);
    container.appendChild(card);
  }
  container.dataset.built = prefix;
}

/* Draw every chart of spec.charts in container; returns the time spent (ms). */
function render(container, spec, runs, opts) {
  opts = opts || {};
  const t0 = performance.now();
  const prefix = opts.prefix || "ax";
  const charts = opts.charts || spec.charts;
  ensure(container, spec, charts, prefix);
  container._settle = null;
  for (const c of charts) {
    const div = document.getElementById(`${prefix}-${c.id}`);
    const data = traces(c, runs, !!opts.compare);
    div._stale = null;
    Plotly.react(div, data, layoutFor(c, spec, opts), CONFIG);
    legend(document.getElementById(`${prefix}-${c.id}-legend`), data);
  }
  return performance.now() - t0;
}

/* Fast redraw while a lever moves: the new lines written straight into the SVG paths of the
 * existing plots through Plotly's own axis mapping (no relayout, no autorange), ~1 ms for all
 * charts.  Returns false (nothing changed) when the plots do not match the runs' traces; then
 * call render().  A later render() rescales the axes. */
function quick(container, spec, runs, opts) {
  opts = opts || {};
  const prefix = opts.prefix || "ax";
  const charts = opts.charts || spec.charts;
  if (container.dataset.built !== prefix) return false;
  const plan = [];
  for (const c of charts) {
    const gd = document.getElementById(`${prefix}-${c.id}`);
    if (!gd || !gd._fullLayout || !gd.data) return false;
    const data = traces(c, runs, !!opts.compare);
    const paths = gd.querySelectorAll(".scatterlayer .trace path.js-line");
    if (data.length !== gd.data.length || paths.length !== data.length) return false;
    for (let i = 0; i < data.length; i++) {
      const a = gd.data[i].meta, b = data[i].meta;
      if (a.var !== b.var || a.run !== b.run || data[i].x.length < 2) return false;
    }
    plan.push([gd, data, paths, c]);
  }
  for (const [gd, data, paths, c] of plan) {
    gd._stale = [data, layoutFor(c, spec, opts)];  // hover data catches up on pointer entry
    const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
    data.forEach((d, i) => {
      const old = gd.data[i];
      if (old.y.length === d.y.length && old.y.every((v, k) => v === d.y[k])) return;
      old.x = d.x;
      old.y = d.y;
      const parts = new Array(d.x.length);
      for (let k = 0; k < d.x.length; k++) parts[k] = xa.c2p(d.x[k]).toFixed(1) + "," + ya.c2p(d.y[k]).toFixed(1);
      paths[i].setAttribute("d", "M" + parts.join("L"));
    });
  }
  return true;
}

/* Whether a chart's y axis still shows `data` well: fixed-range charts always; autoranged ones
 * while every point lies inside the range and the lines span at least half of it. */
function axisFits(gd, chart, data) {
  if (chart.range) return true;
  const r = gd._fullLayout.yaxis.range;
  let lo = Infinity, hi = -Infinity;
  for (const d of data) for (const y of d.y) { if (y < lo) lo = y; if (y > hi) hi = y; }
  if (!(hi >= lo)) return true;
  if (!chart.percent) lo = Math.min(lo, 0);  // rangemode "tozero"
  return lo >= r[0] && hi <= r[1] && hi - lo >= 0.5 * (r[1] - r[0]);
}

/* The full redraw once the levers rest, only for charts whose axes no longer fit the lines (one
 * chart per task, so that a lever moved meanwhile is not kept waiting behind eight Plotly
 * redraws; a newer call cancels it).  The other charts already show the right lines; their
 * hover data is brought up to date when the pointer enters them (see ensure()). */
function settle(container, spec, runs, opts, delay) {
  opts = opts || {};
  const prefix = opts.prefix || "ax";
  const charts = opts.charts || spec.charts;
  const token = {};
  container._settle = token;
  let i = 0;
  const step = () => {
    if (container._settle !== token || i >= charts.length) return;
    const c = charts[i++];
    const div = document.getElementById(`${prefix}-${c.id}`);
    if (div) {
      const data = traces(c, runs, !!opts.compare), layout = layoutFor(c, spec, opts);
      if (div._fullLayout && axisFits(div, c, data)) {
        div._stale = [data, layout];
        return step();
      }
      div._stale = null;
      Plotly.react(div, data, layout, CONFIG);
    }
    setTimeout(step, 0);
  };
  setTimeout(step, delay == null ? 300 : delay);
}

/* The value of each chart's series at year `t` for a run: [{chart, label, value, unit}] */
function valuesAt(spec, res, t) {
  let k = res.time.findIndex((x) => x >= t - 1e-9);
  if (k < 0) k = res.time.length - 1;
  const out = [];
  for (const c of spec.charts) for (const s of c.series) {
    const v = res.values[s.var];
    if (v) out.push({chart: c.title, label: s.label, value: v[k] * s.scale, percent: c.percent, unit: c.unit, var: s.var});
  }
  return out;
}

function fmt(v, percent) {
  if (!Number.isFinite(v)) return "–";
  const a = Math.abs(v);
  const s = a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : a >= 1 ? v.toFixed(2) : v.toFixed(3);
  return percent ? s + "%" : s;
}

root.AmbidexViews = {render, quick, settle, axisFits, valuesAt, fmt, traces, layoutFor};
})(typeof window !== "undefined" ? window : globalThis);
