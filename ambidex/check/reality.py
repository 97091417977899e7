"""Declared reality checks (Sterman 2000 ch. 21.4.5 "reality check"; Barlas 1996 "behaviour
under extreme conditions" stated in advance): statements such as "without a team there are no
co-creation completions" written in a TOML file and tested by simulation.

Schema (``<model>.checks.toml``)::

    [defaults]                     # optional
    method = "euler"               # solver for every run (any ambidex.simulate method)
    rtol = 1e-3                    # comparison tolerance relative to the baseline's magnitude
    atol = 1e-9                    # absolute tolerance

    [[check]]
    name = "no team, no co-creation completions"     # required, unique
    sector = "Boundary element"                      # the model sector it covers
    source = "Sterman 2000 ch. 21: ..."              # why it must hold
    scenario = { parameters = { "target team size" = 0.0 } }   # an ambidex scenario dict:
    #   parameters, interventions (step / ramp / pulse), horizon -- see ambidex.core.scenario
    baseline = { parameters = { } }                  # optional; default: model defaults

    [[check.expect]]               # one or more assertions
    variable = "project completions"
    compare = "lower"              # vs baseline: lower | higher | equal | not_lower | not_higher
    # or absolute bounds: min = 0.0 / max = 0.0 (both allowed together)
    after = 2001.0                 # time window (default: the whole run)
    before = 2035.0
    how = "all"                    # all (every time in the window; 'lower'/'higher' also need a
                                   # strict difference somewhere) | mean | final

Each check gives one result: pass when every assertion holds, else fail naming the assertion,
the time and the values.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..core.errors import AmbidexError
from ..core.tomlio import read_toml
from .report import CheckResult

COMPARES = ("lower", "higher", "equal", "not_lower", "not_higher")
HOWS = ("all", "mean", "final")
CHECK_KEYS = {"name", "sector", "source", "description", "scenario", "baseline", "expect", "method"}
EXPECT_KEYS = {"variable", "compare", "min", "max", "after", "before", "how", "rtol", "atol"}


class ChecksFileError(AmbidexError):
    """A reality-checks file is malformed."""


def load_checks(path) -> tuple[dict, list[dict]]:
    """(defaults, checks) from a checks TOML file; ChecksFileError naming file and key."""
    p = Path(path)
    if not p.is_file():
        raise ChecksFileError(f"reality checks file '{p}' does not exist")
    data = read_toml(p, ChecksFileError)
    extra = set(data) - {"defaults", "check"}
    if extra:
        raise ChecksFileError(f"{p}: unknown top-level key(s) {sorted(extra)}; allowed: defaults, check")
    checks = data.get("check", [])
    if not isinstance(checks, list) or not checks:
        raise ChecksFileError(f"{p}: no [[check]] tables")
    names = set()
    for i, c in enumerate(checks):
        where = f"{p}: check[{i}]"
        if not isinstance(c, dict) or "name" not in c:
            raise ChecksFileError(f"{where}: needs a 'name'")
        where = f"{p}: check '{c['name']}'"
        if c["name"] in names:
            raise ChecksFileError(f"{where}: name used twice")
        names.add(c["name"])
        bad = set(c) - CHECK_KEYS
        if bad:
            raise ChecksFileError(f"{where}: unknown key(s) {sorted(bad)}; allowed: {sorted(CHECK_KEYS)}")
        exps = c.get("expect")
        if not isinstance(exps, list) or not exps:
            raise ChecksFileError(f"{where}: needs at least one [[check.expect]]")
        for j, e in enumerate(exps):
            w = f"{where}: expect[{j}]"
            bad = set(e) - EXPECT_KEYS
            if bad:
                raise ChecksFileError(f"{w}: unknown key(s) {sorted(bad)}; allowed: {sorted(EXPECT_KEYS)}")
            if "variable" not in e:
                raise ChecksFileError(f"{w}: needs 'variable'")
            if "compare" not in e and "min" not in e and "max" not in e:
                raise ChecksFileError(f"{w}: needs 'compare' ({' | '.join(COMPARES)}) or 'min'/'max'")
            if "compare" in e and e["compare"] not in COMPARES:
                raise ChecksFileError(f"{w}.compare: {e['compare']!r} is not one of {', '.join(COMPARES)}")
            if e.get("how", "all") not in HOWS:
                raise ChecksFileError(f"{w}.how: {e['how']!r} is not one of {', '.join(HOWS)}")
    return data.get("defaults", {}), checks


def _scenario(d: dict | None, name: str, label: str):
    from ..core.scenario import scenario_from_dict

    d = dict(d or {})
    d.setdefault("name", name)
    return scenario_from_dict(d, name=name, path=Path(label) if label else None)


def _window(times, e, t0, t1):
    lo = e.get("after", t0)
    hi = e.get("before", t1)
    return (times >= lo - 1e-9) & (times <= hi + 1e-9), lo, hi


def evaluate(e: dict, times, x, base=None) -> tuple[bool, str, dict]:
    """Whether expectation ``e`` holds for series ``x`` (and ``base``); (ok, message, evidence)."""
    sel, lo, hi = _window(times, e, times[0], times[-1])
    how = e.get("how", "all")
    t, xv = times[sel], x[sel]
    ref = None if base is None else base[sel]
    mag = max(float(np.max(np.abs(xv))) if xv.size else 0.0,
              float(np.max(np.abs(ref))) if ref is not None and ref.size else 0.0)
    tol = e.get("atol", 1e-9) + e.get("rtol", 1e-3) * mag
    win = f"over [{lo:g}, {hi:g}]"
    ev = {"window": [lo, hi], "how": how, "tolerance": tol}

    def pick(a):
        return a if how == "all" else np.array([a.mean()]) if how == "mean" else a[-1:]

    xs = pick(xv)
    ts = t if how == "all" else np.array([t[-1]])
    if "compare" in e:
        bs = pick(ref)
        d = xs - bs
        ev.update({"test_final": xv[-1], "baseline_final": ref[-1], "max_difference": float(np.max(d)),
                   "min_difference": float(np.min(d))})
        cmp = e["compare"]
        if cmp in ("lower", "not_higher"):
            over = d > tol
            if over.any():
                k = int(np.argmax(over))
                return False, (f"expected {cmp.replace('_', ' ')} than baseline {win} but at "
                               f"t={ts[k]:g} it is {xs[k]:.6g} vs {bs[k]:.6g}"), ev
            if cmp == "lower" and not (d < -tol).any():
                return False, f"expected lower than baseline {win} but it never falls below it", ev
        elif cmp in ("higher", "not_lower"):
            under = d < -tol
            if under.any():
                k = int(np.argmax(under))
                return False, (f"expected {cmp.replace('_', ' ')} than baseline {win} but at "
                               f"t={ts[k]:g} it is {xs[k]:.6g} vs {bs[k]:.6g}"), ev
            if cmp == "higher" and not (d > tol).any():
                return False, f"expected higher than baseline {win} but it never rises above it", ev
        else:
            off = np.abs(d) > tol
            if off.any():
                k = int(np.argmax(off))
                return False, (f"expected equal to baseline {win} but at t={ts[k]:g} it is "
                               f"{xs[k]:.6g} vs {bs[k]:.6g}"), ev
        return True, f"{cmp.replace('_', ' ')} than baseline {win}" if cmp != "equal" else f"equal to baseline {win}", ev
    atol = e.get("atol", 1e-9)  # absolute bounds: absolute tolerance only
    ev.update({"min": float(np.min(xv)), "max": float(np.max(xv))})
    if "min" in e:
        below = xs < e["min"] - max(atol, 1e-9 * abs(e["min"]))
        if below.any():
            k = int(np.argmax(below))
            return False, f"expected >= {e['min']:g} {win} but at t={ts[k]:g} it is {xs[k]:.6g}", ev
    if "max" in e:
        above = xs > e["max"] + max(atol, 1e-9 * abs(e["max"]))
        if above.any():
            k = int(np.argmax(above))
            return False, f"expected <= {e['max']:g} {win} but at t={ts[k]:g} it is {xs[k]:.6g}", ev
    bounds = " and ".join(s for s in (f">= {e['min']:g}" if "min" in e else "",
                                       f"<= {e['max']:g}" if "max" in e else "") if s)
    return True, f"{bounds} {win}", ev


def run_check(model, c: dict, defaults: dict, label: str, cache: dict) -> CheckResult:
    """Simulate one declared check (and its baseline, cached) and evaluate its assertions."""
    from ..simulate import simulate

    method = c.get("method", defaults.get("method", "euler"))
    name = c["name"]
    ev = {"sector": c.get("sector", ""), "source": c.get("source", ""),
          "scenario": c.get("scenario", {}), "method": method, "assertions": []}
    try:
        for e in c["expect"]:
            model.resolve(e["variable"])  # an unknown name fails here, naming close matches
        test = simulate(model, [_scenario(c.get("scenario"), "test", label)], method=method)
        bkey = (repr(c.get("baseline")), method)
        if bkey not in cache and any("compare" in e for e in c["expect"]):
            cache[bkey] = simulate(model, [_scenario(c.get("baseline"), "baseline", label)],
                                           method=method)
        base = cache.get(bkey)
    except AmbidexError as exc:
        return CheckResult("reality", "reality.check", name, "fail", f"could not run: {exc}", ev)
    times = test["time"].values
    failed = []
    for e in c["expect"]:
        py = model.resolve(e["variable"])
        x = test[py].values[0]
        b = None
        if "compare" in e:
            b = base[py].interp(time=times).values[0] if len(base.time) != len(times) else base[py].values[0]
        for p in ("rtol", "atol"):
            if p in defaults and p not in e:
                e = {**e, p: defaults[p]}
        ok, msg, evx = evaluate(e, times, x, b)
        evx.update({"variable": model.variables[py].name, "ok": ok, "message": msg,
                    **{k: e[k] for k in ("compare", "min", "max") if k in e}})
        ev["assertions"].append(evx)
        if not ok:
            failed.append(f"'{model.variables[py].name}' {msg}")
    if failed:
        return CheckResult("reality", "reality.check", name, "fail", "; ".join(failed), ev)
    return CheckResult("reality", "reality.check", name, "pass",
                       "; ".join(f"'{a['variable']}' {a['message']}" for a in ev["assertions"]), ev)


def check_reality(model, checks_file) -> list[CheckResult]:
    try:
        defaults, checks = load_checks(checks_file)
    except ChecksFileError as exc:
        return [CheckResult("reality", "reality.file", Path(checks_file).name, "fail", str(exc), {})]
    cache: dict = {}
    results = [run_check(model, c, defaults, str(checks_file), cache) for c in checks]
    sectors = sorted({v.sector for v in model.variables.values() if v.sector} - {"Control"})
    covered = {c.get("sector") for c in checks}
    missing = [s for s in sectors if s not in covered]
    results.append(CheckResult(
        "reality", "reality.coverage", model.name, "warn" if missing else "pass",
        (f"no reality check for sector(s) {', '.join(missing)}" if missing else
         f"{len(checks)} reality checks cover every sector ({', '.join(sectors)})" if sectors else
         f"{len(checks)} reality checks (the model declares no sectors)"),
        {"sectors": sectors, "missing": missing, "checks": len(checks)}))
    return results
