/* ambidex model runtime for the browser: the scalar helpers of ambidex/compiled/_rt.py and the
 * Euler, RK4 and Dormand-Prince 5(4) kernels of ambidex/compiled/kernels.py, ported line by line
 * (same step control, same dense output), plus scheduled parameter interventions (step, ramp,
 * pulse as in ambidex/core/interventions.py) handled as breakpoints of the adaptive solver.
 * No dependencies; defines window.AmbidexRuntime. */
(function (root) {
"use strict";
const SMALL = 1e-6;
const R = {};
R._b = (x) => x !== 0 && x !== false;            // Python truthiness of a float (NaN is true)
R._min = (a, b) => (a <= b ? a : (b < a ? b : a + b));
R._max = (a, b) => (a >= b ? a : (b > a ? b : a + b));
R._sqrt = (x) => (x >= 0 ? Math.sqrt(x) : NaN);
R._ln = (x) => (x > 0 ? Math.log(x) : (x === 0 ? -Infinity : NaN));
R._asin = (x) => (x >= -1 && x <= 1 ? Math.asin(x) : NaN);
R._acos = (x) => (x >= -1 && x <= 1 ? Math.acos(x) : NaN);
R._pow = (a, b) => Math.pow(a, b);
R._log = (x, b) => R._ln(x) / R._ln(b);
R._zidz = (n, d) => (Math.abs(d) < SMALL ? 0 : n / d);
R._xidz = (n, d, x) => (Math.abs(d) < SMALL ? x : n / d);
R._quantum = (x, q) => (q < SMALL ? x : q * Math.trunc(x / q));
R._modulo = (x, q) => x - R._quantum(x, q);
R._delay_order = (order, dt, dtime) => { let n = order; while (n > 1 && n * dt > dtime) n -= 1; return n; };
R._step = (t, dt, v, ts) => (t + dt / 2 > ts ? v : 0);
R._ramp = (t, slope, start, finish) => (t + SMALL > start ? 1 : 0) * slope * (Math.min(finish, t) - start);
R._pulse = (t, start, width) => (start - SMALL <= t && t < start + width ? 1 : 0);
function pymod(a, b) { let r = a % b; if (r !== 0 && ((r < 0) !== (b < 0))) r += b; return r; }
R._pulse_train = (t, start, rep, width, end) => {
  if (rep === 0) return (start - SMALL <= t && t < start + width) ? 1 : 0;
  if (start <= t && t < end) return pymod(t - start + SMALL, rep) < width ? 1 : 0;
  return 0;
};
R._after = (tt, b, best) => (b > tt && b < best ? b : best);
R._bp_step = (tt, dt, ts) => R._after(tt, ts - dt / 2, Infinity);
R._bp_ramp = (tt, start, finish) => R._after(tt, finish, R._after(tt, start, Infinity));
R._bp_pulse = (tt, start, width) => R._after(tt, start + width, R._after(tt, start - SMALL, Infinity));
R._bp_pulse_train = (tt, start, rep, width, end) => {
  let best = R._after(tt, end, R._after(tt, start, R._after(tt, start - SMALL, Infinity)));
  if (rep > 0 && tt < end) {
    let k = Math.floor((tt - start + SMALL) / rep);
    if (k < 0) k = 0;
    for (let j = 0; j < 2; j++) {
      const base = start + (k + j) * rep - SMALL;
      best = R._after(tt, base, best);
      best = R._after(tt, base + width, best);
    }
  }
  return best;
};
R._lookup = (xs, ys, x) => {
  const n = xs.length;
  if (x >= xs[n - 1]) return ys[n - 1];
  if (x <= xs[0]) return ys[0];
  let lo = 0, hi = n - 1;
  while (hi - lo > 1) { const mid = (lo + hi) >> 1; if (xs[mid] <= x) lo = mid; else hi = mid; }
  if (xs[lo] === x) return ys[lo];
  return (ys[hi] - ys[lo]) / (xs[hi] - xs[lo]) * (x - xs[lo]) + ys[lo];
};
R._lookup_extra = (xs, ys, x) => {
  const n = xs.length;
  if (n >= 2 && x > xs[n - 1]) return ys[n - 1] + (ys[n - 1] - ys[n - 2]) / (xs[n - 1] - xs[n - 2]) * (x - xs[n - 1]);
  if (n >= 2 && x < xs[0]) return ys[0] + (ys[1] - ys[0]) / (xs[1] - xs[0]) * (x - xs[0]);
  return R._lookup(xs, ys, x);
};
R._lookup_hold = (xs, ys, x) => {
  const n = xs.length;
  if (x >= xs[n - 1]) return ys[n - 1];
  if (x <= xs[0]) return ys[0];
  let i = 0;
  while (xs[i + 1] <= x) i += 1;
  return ys[i];
};

/* ------------------------------------------------------------------ interventions */
/* ivs: [{index, kind: 'step'|'ramp'|'pulse', time, to, end, height, width}] folded in order
 * over the base value (ambidex.core.interventions.schedule). */
function schedule(p0, ivs) {
  if (!ivs || !ivs.length) return null;
  const bps = [];
  for (const iv of ivs) {
    if (iv.kind === "ramp") bps.push(iv.time, iv.end);
    else if (iv.kind === "pulse") bps.push(iv.time, iv.time + iv.width);
    else bps.push(iv.time);
  }
  const byIndex = new Map();
  for (const iv of ivs) { if (!byIndex.has(iv.index)) byIndex.set(iv.index, []); byIndex.get(iv.index).push(iv); }
  function value(i, t) {
    let f = () => p0[i];
    for (const iv of byIndex.get(i)) {
      const g = f;
      if (iv.kind === "step") f = (s) => (s >= iv.time ? iv.to : g(s));
      else if (iv.kind === "ramp") f = (s) => (s < iv.time ? g(s) : (s >= iv.end ? iv.to : g(iv.time) + (iv.to - g(iv.time)) * (s - iv.time) / (iv.end - iv.time)));
      else f = (s) => g(s) + (iv.time <= s && s < iv.time + iv.width ? iv.height : 0);
    }
    return f(t);
  }
  const p = Float64Array.from(p0);
  return {
    times: Array.from(new Set(bps)).sort((a, b) => a - b),
    at(t) { for (const i of byIndex.keys()) p[i] = value(i, t); return p; },
  };
}

/* ------------------------------------------------------------------ kernels */
function finite(v, n) { for (let i = 0; i < n; i++) if (!Number.isFinite(v[i])) return false; return true; }

function makeRun(M, spec) {
  const NY = spec.NY, NC = spec.NC, NO = M.NO, nonneg = spec.nonneg;
  const ob = new Float64Array(Math.max(NO, 1));
  function clamp(y) { for (const j of nonneg) if (y[j] < 0) y[j] = 0; }
  function save(t, y, p, c, o, k) {
    M.out(t, y, p, c, ob);
    let ok = true;
    for (let j = 0; j < NO; j++) { o[j][k] = ob[j]; if (!Number.isFinite(ob[j])) ok = false; }
    return finite(y, NY) && ok;
  }
  function alloc(T) { const o = []; for (let j = 0; j < NO; j++) o.push(new Float64Array(T)); return o; }

  function fixed(p0, ivs, method) {
    const sch = schedule(p0, ivs);
    const P = (t) => (sch ? sch.at(t) : p0);
    const times = spec.grid, flags = spec.save, dt = spec.time_step;
    let T = 0; for (const f of flags) if (f) T++;
    const o = alloc(T), m = Math.max(NY, 1);
    const y = new Float64Array(m), c = new Float64Array(NC), k1 = new Float64Array(m), k2 = new Float64Array(m),
      k3 = new Float64Array(m), k4 = new Float64Array(m), yt = new Float64Array(m);
    M.init(times[0], P(times[0]), y, c);
    let status = 0, ft = NaN, k = 0;
    const n = times.length, tout = [];
    for (let i = 0; i < n; i++) {
      const t = times[i];
      if (flags[i]) {
        tout.push(t);
        if (!save(t, y, P(t), c, o, k) && status === 0) { status = 1; ft = t; }
        k++;
      }
      if (i === n - 1) break;
      if (method === "euler") {
        M.rhs(t, y, P(t), c, k1);
        for (let j = 0; j < NY; j++) y[j] = y[j] + k1[j] * dt;
      } else {
        const h = dt;
        M.rhs(t, y, P(t), c, k1);
        for (let j = 0; j < NY; j++) yt[j] = y[j] + 0.5 * h * k1[j];
        M.rhs(t + 0.5 * h, yt, P(t + 0.5 * h), c, k2);
        for (let j = 0; j < NY; j++) yt[j] = y[j] + 0.5 * h * k2[j];
        M.rhs(t + 0.5 * h, yt, P(t + 0.5 * h), c, k3);
        for (let j = 0; j < NY; j++) yt[j] = y[j] + h * k3[j];
        M.rhs(t + h, yt, P(t + h), c, k4);
        for (let j = 0; j < NY; j++) y[j] = y[j] + h / 6.0 * (k1[j] + 2.0 * k2[j] + 2.0 * k3[j] + k4[j]);
      }
      clamp(y);
      if (!finite(y, NY)) {
        if (status === 0) { status = 1; ft = times[i + 1]; }
        for (let kk = k; kk < T; kk++) for (let j = 0; j < NO; j++) o[j][kk] = NaN;
        break;
      }
    }
    return {o, status, ft};
  }

  function norm(e, y0, y1, rtol, atol) {
    let s = 0;
    for (let j = 0; j < NY; j++) { const sk = atol + rtol * Math.max(Math.abs(y0[j]), Math.abs(y1[j])); s += (e[j] / sk) ** 2; }
    return Math.sqrt(s / Math.max(NY, 1));
  }

  function dopri(p0, ivs, te, rtol, atol, hmax, maxsteps) {
    const sch = schedule(p0, ivs);
    const t0 = spec.initial_time, tf = spec.final_time;
    const ivt = sch ? sch.times : [];
    const P = (t) => (sch ? sch.at(t) : p0);
    const m = Math.max(NY, 1), ne = te.length, o = alloc(ne);
    const A = () => new Float64Array(m);
    const y = A(), y1 = A(), yt = A(), k1 = A(), k2 = A(), k3 = A(), k4 = A(), k5 = A(), k6 = A(), k7 = A(),
      er = A(), q1 = A(), q2 = A(), q3 = A(), q4 = A();
    const c = new Float64Array(NC);
    M.init(t0, P(t0), y, c);
    let status = 0, ft = NaN, nfev = 0;
    const span = Math.max(1.0, Math.abs(t0), Math.abs(tf)), tiny = 1e-12 * span, delta = 1e-11 * span;
    let ie = 0;
    while (ie < ne && te[ie] <= t0 + tiny) {
      if (!save(te[ie], y, P(te[ie]), c, o, ie) && status === 0) { status = 1; ft = te[ie]; }
      ie++;
    }
    let t = t0;
    if (NY === 0) {
      while (ie < ne) { if (!save(te[ie], y, P(te[ie]), c, o, ie) && status === 0) { status = 1; ft = te[ie]; } ie++; }
      return {o, status, ft, nfev};
    }
    const nextBp = (tt) => {
      let bp = spec.has_bp ? M.nbp(t, y, P(t + delta), c, tt) : Infinity;
      for (const b of ivt) if (b > tt && b < bp) { bp = b; break; }
      return bp;
    };
    let bp = (spec.has_bp || ivt.length) ? nextBp(t + 2.0 * delta) : Infinity;
    let startBp = false;
    M.rhs(t, y, P(t), c, k1); nfev++;
    let h = 0;
    {
      let d0 = 0, d1 = 0;
      for (let j = 0; j < NY; j++) { const sk = atol + rtol * Math.abs(y[j]); d0 += (y[j] / sk) ** 2; d1 += (k1[j] / sk) ** 2; }
      d0 = Math.sqrt(d0 / NY); d1 = Math.sqrt(d1 / NY);
      let hh = (d0 < 1e-5 || d1 < 1e-5) ? 1e-6 : 0.01 * d0 / d1;
      hh = Math.min(hh, tf - t0, hmax);
      for (let j = 0; j < NY; j++) yt[j] = y[j] + hh * k1[j];
      M.rhs(Math.min(t + hh, bp - delta), yt, P(Math.min(t + hh, bp - delta)), c, k2); nfev++;
      let d2 = 0;
      for (let j = 0; j < NY; j++) { const sk = atol + rtol * Math.abs(y[j]); d2 += ((k2[j] - k1[j]) / sk) ** 2; }
      d2 = Math.sqrt(d2 / NY) / hh;
      const dm = Math.max(d1, d2);
      const h1 = dm <= 1e-15 ? Math.max(1e-6, hh * 1e-3) : (0.01 / dm) ** 0.2;
      h = Math.min(100.0 * hh, h1);
    }
    if (!Number.isFinite(h) || h <= 0) h = 1e-6 * (tf - t0);
    let reject = false, nsteps = 0, err = 0;
    while (t < tf - tiny) {
      if (nsteps >= maxsteps) { status = 2; ft = t; break; }
      nsteps++;
      h = Math.min(h, hmax, tf - t);
      let endBp = false;
      if (bp < t + h + tiny) { h = bp - t; endBp = true; }
      const tlo = startBp ? t + delta : t;
      const thi = endBp ? t + h - delta : t + h;
      const S = (x) => Math.min(Math.max(x, tlo), thi);
      for (let j = 0; j < NY; j++) yt[j] = y[j] + h * (0.2 * k1[j]);
      M.rhs(S(t + 0.2 * h), yt, P(S(t + 0.2 * h)), c, k2);
      for (let j = 0; j < NY; j++) yt[j] = y[j] + h * (3.0 / 40.0 * k1[j] + 9.0 / 40.0 * k2[j]);
      M.rhs(S(t + 0.3 * h), yt, P(S(t + 0.3 * h)), c, k3);
      for (let j = 0; j < NY; j++) yt[j] = y[j] + h * (44.0 / 45.0 * k1[j] - 56.0 / 15.0 * k2[j] + 32.0 / 9.0 * k3[j]);
      M.rhs(S(t + 0.8 * h), yt, P(S(t + 0.8 * h)), c, k4);
      for (let j = 0; j < NY; j++) yt[j] = y[j] + h * (19372.0 / 6561.0 * k1[j] - 25360.0 / 2187.0 * k2[j]
        + 64448.0 / 6561.0 * k3[j] - 212.0 / 729.0 * k4[j]);
      M.rhs(S(t + 8.0 / 9.0 * h), yt, P(S(t + 8.0 / 9.0 * h)), c, k5);
      for (let j = 0; j < NY; j++) yt[j] = y[j] + h * (9017.0 / 3168.0 * k1[j] - 355.0 / 33.0 * k2[j]
        + 46732.0 / 5247.0 * k3[j] + 49.0 / 176.0 * k4[j] - 5103.0 / 18656.0 * k5[j]);
      M.rhs(thi, yt, P(thi), c, k6);
      for (let j = 0; j < NY; j++) y1[j] = y[j] + h * (35.0 / 384.0 * k1[j] + 500.0 / 1113.0 * k3[j]
        + 125.0 / 192.0 * k4[j] - 2187.0 / 6784.0 * k5[j] + 11.0 / 84.0 * k6[j]);
      M.rhs(thi, y1, P(thi), c, k7);
      nfev += 6;
      for (let j = 0; j < NY; j++) er[j] = h * (71.0 / 57600.0 * k1[j] - 71.0 / 16695.0 * k3[j]
        + 71.0 / 1920.0 * k4[j] - 17253.0 / 339200.0 * k5[j] + 22.0 / 525.0 * k6[j] - 1.0 / 40.0 * k7[j]);
      err = norm(er, y, y1, rtol, atol);
      if (!Number.isFinite(err)) { h *= 0.25; reject = true; }
      else if (err <= 1.0) {
        const tnew = endBp ? bp : t + h;
        let dense = false;
        while (ie < ne && te[ie] <= tnew + tiny) {
          if (te[ie] >= tnew - tiny) { for (let j = 0; j < NY; j++) yt[j] = y1[j]; }
          else {
            if (!dense) {
              dense = true;
              for (let j = 0; j < NY; j++) {
                const ydiff = y1[j] - y[j], bspl = h * k1[j] - ydiff;
                q1[j] = ydiff; q2[j] = bspl; q3[j] = ydiff - h * k7[j] - bspl;
                q4[j] = h * (-12715105075.0 / 11282082432.0 * k1[j] + 87487479700.0 / 32700410799.0 * k3[j]
                  - 10690763975.0 / 1880347072.0 * k4[j] + 701980252875.0 / 199316789632.0 * k5[j]
                  - 1453857185.0 / 822651844.0 * k6[j] + 69997945.0 / 29380423.0 * k7[j]);
              }
            }
            const th = (te[ie] - t) / h, th1 = 1.0 - th;
            for (let j = 0; j < NY; j++) yt[j] = y[j] + th * (q1[j] + th1 * (q2[j] + th * (q3[j] + th1 * q4[j])));
          }
          if (!save(te[ie], yt, P(te[ie]), c, o, ie) && status === 0) { status = 1; ft = te[ie]; }
          ie++;
        }
        for (let j = 0; j < NY; j++) y[j] = y1[j];
        t = tnew;
        if (nonneg.length) clamp(y);
        if (endBp || nonneg.length) {
          startBp = endBp;
          const tk = endBp ? t + delta : t;
          M.rhs(tk, y, P(tk), c, k1); nfev++;
        } else {
          startBp = false;
          for (let j = 0; j < NY; j++) k1[j] = k7[j];
        }
        if (spec.has_bp || ivt.length) bp = nextBp(t + 2.0 * delta);
        let fac = err === 0 ? 10.0 : Math.min(10.0, Math.max(0.2, 0.9 * err ** -0.2));
        if (reject) fac = Math.min(1.0, fac);
        h = h * fac;
        reject = false;
      } else {
        h = h * Math.max(0.2, 0.9 * err ** -0.2);
        reject = true;
      }
      if (h < 1e-14 * span) { status = Number.isFinite(err) ? 3 : 1; ft = t; break; }
    }
    if (ie < ne) for (let kk = ie; kk < ne; kk++) for (let j = 0; j < NO; j++) o[j][kk] = NaN;
    return {o, status, ft, nfev};
  }

  const pkey = (k) => String(k).toLowerCase().replace(/[\s_]+/g, "_");
  let _names = null;
  function names() {
    if (!_names) {
      _names = new Map();
      spec.params.forEach((n, i) => _names.set(pkey(n), i));
      spec.param_py.forEach((n, i) => _names.set(pkey(n), i));
    }
    return _names;
  }

  /* run({params: {name: value}, interventions: [...], method, rtol, atol, te})
   * -> {time: [...], values: {output name: Float64Array}, status, fail_time} */
  return function run(opts) {
    opts = opts || {};
    const p0 = Float64Array.from(spec.defaults);
    const index = (k) => {
      let i = spec.params.indexOf(k);
      if (i < 0) i = spec.param_py.indexOf(k);
      if (i < 0) i = names().get(pkey(k)) ?? -1;
      if (i < 0) throw new Error("unknown parameter " + k);
      return i;
    };
    for (const [k, v] of Object.entries(opts.params || {})) p0[index(k)] = +v;
    const ivs = (opts.interventions || []).map((iv) => Object.assign({}, iv, {index: index(iv.parameter)}));
    const method = opts.method || spec.method || "dopri5";
    let res, time;
    if (method === "dopri5") {
      time = opts.te || spec.te;
      res = dopri(p0, ivs, time, opts.rtol || 1e-6, opts.atol || 1e-6, opts.hmax || Infinity, opts.max_steps || 200000);
    } else {
      time = spec.grid.filter((_, i) => spec.save[i]);
      res = fixed(p0, ivs, method);
    }
    const values = {};
    spec.outputs.forEach((name, j) => { values[name] = res.o[j]; values[spec.output_py[j]] = res.o[j]; });
    return {time: Array.from(time), values, status: res.status, fail_time: res.ft};
  };
}

root.AmbidexRuntime = {R, makeRun, schedule};
})(typeof window !== "undefined" ? window : globalThis);
