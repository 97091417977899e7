#!/usr/bin/env python
"""Generate ``sd_models/README.md`` from the model itself, so the documentation cannot drift.

Usage::

    python tools/model_docs.py            # rewrite sd_models/README.md
    python tools/model_docs.py --check    # exit 1 if sd_models/README.md is out of date

Sources: the model (``ambidex.load_model()``: variables with units, documentation, kind, sector
and range; parameters with defaults and bounds; stocks with inflows and outflows), the equation
text of each variable (parsed from the ``.mdl``'s ``name = expression ~ units ~ doc |`` blocks),
the named feedback loops (``sd_models/dual_business_model.loops.toml``) and one Euler run of
each case scenario (``ambidex.simulate``) for the values the model gives against the case data.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import ambidex  # noqa: E402
from ambidex.core.model import normalise  # noqa: E402

MDL = ROOT / "sd_models" / "dual_business_model.mdl"
LOOPS = ROOT / "sd_models" / "dual_business_model.loops.toml"
README = ROOT / "sd_models" / "README.md"
SCENARIOS = ROOT / "scenarios"
ARROW = "→"

# MODEL.md section 4: measure -> model variables reporting it
MEASURES = [
    ("Exploration share of team effort", ["exploration share"]),
    ("Exploitation share of team effort", ["exploitation share"]),
    ("Ambidexterity, balance dimension (He & Wong 2004)", ["ambidexterity balance"]),
    ("Ambidexterity, combined dimension (He & Wong 2004)", ["ambidexterity combined"]),
    ("Revenue, collaboration-based business model", ["exclusive revenue"]),
    ("Revenue, market-based business model", ["market revenue", "co created market revenue",
                                              "legacy market revenue"]),
    ("Revenue from customer collaboration (either price)", ["collaboration revenue"]),
    ("Collaboration share of revenue", ["collaboration share of revenue"]),
    ("Operating margin", ["operating margin"]),
    ("Return on total assets", ["ROA"]),
    ("Unit cost", ["unit cost"]),
    ("Trust", ["Relationship Trust"]),
    ("Cognitive proximity", ["Cognitive Proximity"]),
    ("Risk of fragmentation", ["fragmentation index"]),
    ("Risk of polarization", ["polarization index"]),
    ("Risk of myopia", ["myopia index"]),
]

# seed 001 Table 1: explorative share of each Basque case
BASQUE = [("basque_case_a", "A", 0.93), ("basque_case_b", "B", 0.725),
          ("basque_case_c", "C", 0.72), ("basque_case_d", "D", 0.67)]


# --------------------------------------------------------------------------- parsing

def parse_mdl(path: Path = MDL) -> tuple[dict[str, str], list[str], list[str]]:
    """Equation text by normalised variable name, the variable names in file order, and the
    Vensim group names (``.Name`` headers) in file order.

    Splits the equation part of the file (before the sketch) on ``|``; each block is
    ``name = expression ~ units ~ doc``.  Line continuations and runs of white space in the
    expression collapse to one space.
    """
    text = path.read_text(errors="replace")
    body = text.split("\\\\\\---///")[0]
    body = re.sub(r"^\{UTF-8\}", "", body.lstrip())
    equations: dict[str, str] = {}
    order: list[str] = []
    groups: list[str] = []
    for block in body.split("|"):
        block = block.strip()
        if not block:
            continue
        g = re.match(r"\*{5,}\s*\n\s*\.([^\n]+)\n\*{5,}~", block)
        if g:
            groups.append(g.group(1).strip())
            continue
        head = block.split("~")[0]
        m = re.match(r'\s*("[^"]+"|[^=]+?)\s*=(.*)', head, re.S)
        if not m:
            continue
        name = m.group(1).strip().strip('"')
        expr = re.sub(r"\\\s*\n", " ", m.group(2))
        expr = re.sub(r"\s+", " ", expr).strip()
        equations[normalise(name)] = expr
        order.append(name)
    return equations, order, groups


def split_args(s: str) -> list[str]:
    """Split the top-level comma-separated arguments of a call's argument text."""
    out, depth, cur = [], 0, ""
    for ch in s:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
    out.append(cur.strip())
    return out


def integ_initial(expr: str) -> str:
    """The initial-value argument of ``INTEG(rate, initial)``."""
    m = re.match(r"INTEG\s*\((.*)\)\s*$", expr, re.S | re.I)
    return split_args(m.group(1))[-1] if m else ""


def load_loops(path: Path = LOOPS) -> list[dict]:
    with open(path, "rb") as f:
        return tomllib.load(f)["loop"]


# --------------------------------------------------------------------------- formatting

def md(text) -> str:
    """Text safe inside a markdown table cell."""
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("*", "\\*") \
        .replace("\n", " ")


def code(text) -> str:
    return "`" + str(text).replace("|", "\\|") + "`" if text else ""


def num(x, sig: int = 3) -> str:
    """A number to ``sig`` significant figures, without exponent for ordinary sizes."""
    if x is None:
        return "?"
    x = float(x)
    if x == 0 or not math.isfinite(x):
        return f"{x:g}"
    mag = math.floor(math.log10(abs(x)))
    if abs(x) >= 1e7 or abs(x) < 1e-4:
        return f"{x:.{sig - 1}e}".replace("e+0", "e").replace("e+", "e").replace("e-0", "e-")
    decimals = max(0, sig - 1 - mag)
    s = f"{round(x, decimals):,.{decimals}f}"
    return s


def value(x) -> str:
    """A parameter default: exact, as given in the model."""
    x = float(x)
    return f"{x:g}" if abs(x) < 1e7 else f"{x:.6g}"


def rng(lower, upper) -> str:
    if lower is None and upper is None:
        return ""
    return f"[{value(lower) if lower is not None else '?'}, {value(upper) if upper is not None else '?'}]"


def chain(names: list[str]) -> str:
    return f" {ARROW} ".join(names + names[:1])


def signed_chain(names: list[str], signs: list[str]) -> str:
    parts = [names[0]]
    for s, b in zip(signs, names[1:] + names[:1]):
        parts.append(f"{ARROW}({s}) {b}")
    return " ".join(parts)


def pct(x) -> str:
    return f"{100 * float(x):.1f} %"


# --------------------------------------------------------------------------- content

def baseline_values(model) -> dict:
    """One Euler run (the model's TIME STEP: Vensim's own integration, deterministic) of
    baseline_dual and of the Basque cases; the values the README reports."""
    names = ["baseline_dual"] + [s for s, _, _ in BASQUE]
    paths = [SCENARIOS / f"{n}.toml" for n in names]
    ds = ambidex.simulate(model, scenarios=paths, method="euler")
    b = ds.sel(scenario="baseline_dual")
    out = {
        "revenue_2021": float(b.total_revenue.sel(time=2021.0)),
        "roa_2017_2021": float(b.roa.sel(time=slice(2017.0, 2021.0)).mean()),
        "collab_share_2021": float(b.collaboration_share_of_revenue.sel(time=2021.0)),
        "exploration_2021": float(b.exploration_share.sel(time=2021.0)),
        "margin_2021": float(b.operating_margin.sel(time=2021.0)),
        "at_2021": {py: float(b[py].sel(time=2021.0)) for py in b.data_vars
                    if b[py].dims == ("time",)},
        "basque": {s: float(ds.sel(scenario=s).exploration_share.sel(time=2021.0))
                   for s, _, _ in BASQUE},
        "basque_overrides": sorted({k for sc in paths[1:]
                                    for k in ambidex.load_scenario(sc).parameters}),
        "cash_ratio_min": float((b.cash / b.desired_cash).min()),
        "budget_ratio_min": float((b.affordable_team_size / b.target_team_size).min()),
        "start": {k: (float(b[k].sel(time=float(b.time[0]))), float(b[k].sel(time=2010.0)))
                  for k in ("roa", "collaboration_share_of_revenue")},
    }
    return out


def render(model=None, loops: list[dict] | None = None, values: dict | None = None,
           mdl_path: Path | None = None) -> str:
    """The README text for ``model`` (default: the dual business model)."""
    model = model or ambidex.load_model()
    mdl_path = Path(mdl_path or model.path)
    loops = loops if loops is not None else load_loops()
    values = values or baseline_values(model)
    equations, order, groups = parse_mdl(mdl_path)
    by_name = {normalise(v.name): v for v in model.variables.values()}
    position = {normalise(n): i for i, n in enumerate(order)}

    def var(name: str):
        v = by_name.get(normalise(name))
        if v is None:
            raise KeyError(f"{LOOPS.name}/README: '{name}' is not a variable of {mdl_path.name}")
        return v

    def eq(name: str) -> str:
        return equations.get(normalise(name), "")

    def name_of(py: str) -> str:
        return model.variables[py].name

    def initial_cell(expr: str) -> str:
        v = by_name.get(normalise(expr))
        if v is not None and v.py_name in model.parameters:
            return f"{code(expr)} = {value(model.parameters[v.py_name].default)}"
        return code(expr)

    def qty(x: float, units: str) -> str:
        if units.startswith("EUR") and abs(x) >= 1e6:
            return f"{num(x / 1e6)} M"
        return num(x)

    ctl = model.control
    step = ctl["time_step"]
    step_txt = f"{value(step)} ({'1/' + value(1 / step) if step < 1 and float(1 / step).is_integer() else value(step)})"
    L: list[str] = []
    w = L.append
    w("# The dual business model")
    w("")
    w("<!-- Generated by tools/model_docs.py from dual_business_model.mdl and "
      "dual_business_model.loops.toml. Do not edit by hand: run `python tools/model_docs.py`. -->")
    w("")
    w("`dual_business_model.mdl` is a system-dynamics (stock-and-flow) model of a business-to-business "
      "SME that runs two business models at once: a **collaboration-based** one that explores with a "
      "few lead customers (long trust-based contracts, co-created products kept exclusive at a "
      "reservation price) and a **market-based** one that exploits the results (standardised "
      "offerings sold in volume at the market price, falling unit cost), joined by a cross-functional "
      "Innovation Management Team (IMT) that senses, seizes and transforms. It follows "
      "`../shared/MODEL.md` and the three seed papers in `../shared/seeds/`; every variable has units "
      "and a documentation string naming its source.")
    w("")
    w(f"- **Time unit:** {model.time_units}. **Horizon:** {value(ctl['initial_time'])}–"
      f"{value(ctl['final_time'])}. **TIME STEP:** {step_txt} {model.time_units.lower()}. "
      f"**Output (SAVEPER):** every {value(ctl['saveper'])} {model.time_units.lower()} "
      f"({'quarterly' if ctl['saveper'] == 0.25 else 'see SAVEPER'}).")
    w("- **Formats:** `dual_business_model.mdl` (Vensim text) is the source of truth; "
      "`dual_business_model.xmile` (XMILE 1.0, for Stella) is its twin, written by "
      "`python tools/mdl_to_xmile.py`. Edit the `.mdl`, then regenerate the `.xmile` and this file.")
    w(f"- **Size:** {len(model.stocks)} stocks, "
      f"{sum(v.kind == 'flow' for v in model.variables.values())} flows, "
      f"{sum(v.kind == 'auxiliary' for v in model.variables.values())} auxiliaries, "
      f"{len(model.parameters)} parameters, {len(loops)} named feedback loops.")
    w("")
    w("Contents: [Sectors](#sectors) · [Feedback loops](#feedback-loops) · "
      "[Parameters](#parameters) · [Measures](#measures) · [Case data](#case-data) · "
      "[Known limitations](#known-limitations)")
    w("")

    # ------------------------------------------------------------------ sectors
    w("## Sectors")
    w("")
    w("The Vensim groups of the model file. Stocks first (units, declared range, initial value, "
      "flows), then the flows and auxiliaries with their equations; the constants are in the "
      "[parameter table](#parameters).")
    w("")
    sector_names = [g for g in groups if g.lower() != "control"]
    stocks_by_py = {s.py_name: s for s in model.stocks}
    for sector in sector_names:
        members = sorted((v for v in model.variables.values() if v.sector == sector),
                         key=lambda v: position.get(normalise(v.name), 1e9))
        w(f"### {sector}")
        w("")
        st = [v for v in members if v.kind == "stock"]
        if st:
            w("| stock | units | range | initial | inflows | outflows | documentation |")
            w("|---|---|---|---|---|---|---|")
            for v in st:
                s = stocks_by_py[v.py_name]
                w(f"| **{md(v.name)}** | {md(v.units)} | {rng(v.lower, v.upper)} | "
                  f"{initial_cell(integ_initial(eq(v.name)))} | "
                  f"{md(', '.join(name_of(p) for p in s.inflows))} | "
                  f"{md(', '.join(name_of(p) for p in s.outflows))} | {md(v.doc)} |")
            w("")
        other = [v for v in members if v.kind in ("flow", "auxiliary")]
        if other:
            w("| variable | kind | units | equation | documentation |")
            w("|---|---|---|---|---|")
            for v in other:
                w(f"| {md(v.name)} | {v.kind} | {md(v.units)} | {code(eq(v.name))} | {md(v.doc)} |")
            w("")
        params = [v for v in members if v.py_name in model.parameters]
        if params:
            w("Parameters: " + ", ".join(md(v.name) for v in params) + ".")
            w("")

    # ------------------------------------------------------------------ loops
    w("## Feedback loops")
    w("")
    w("From `dual_business_model.loops.toml`: each loop is a cycle in the equations (every variable "
      "depends directly on the one before it, the first on the last); polarity is the product of the "
      "link signs (R reinforcing, B balancing). `tests/test_model_docs.py` checks each link against "
      "PySD's dependency graph and its sign numerically at the baseline state.")
    w("")
    w("| id | name | polarity | variables | source |")
    w("|---|---|---|---|---|")
    for lp in loops:
        for n in lp["variables"]:
            var(n)
        pol = "reinforcing (R)" if lp["polarity"] == "R" else "balancing (B)"
        label = md(lp["name"]) + (" (not in MODEL.md §3)" if lp.get("extra") else "")
        w(f"| {lp['id']} | {label} | {pol} | {md(chain(lp['variables']))} | {md(lp['source'])} |")
    w("")
    for lp in loops:
        w(f"**{lp['id']} {md(lp['name'])}.** {md(lp['description'])}")
        w("")
        w(f"- Links: {md(signed_chain(lp['variables'], lp['link_signs']))}")
        if lp.get("note"):
            w(f"- Note: {md(lp['note'])}")
        w("")

    # ------------------------------------------------------------------ parameters
    w("## Parameters")
    w("")
    w("Every constant a scenario may override (`ambidex params` prints the same table). The "
      "plausible range is the Vensim units range `[min,max]`; scenario values outside it are "
      "refused.")
    w("")
    w("| parameter | sector | units | default | plausible range | source |")
    w("|---|---|---|---|---|---|")
    sector_rank = {s: i for i, s in enumerate(sector_names)}
    for p in sorted(model.parameters.values(),
                    key=lambda p: (sector_rank.get(p.sector, 99), position.get(normalise(p.name), 1e9))):
        w(f"| {md(p.name)} | {md(p.sector)} | {md(p.units)} | {value(p.default)} | "
          f"{rng(p.lower, p.upper)} | {md(p.doc)} |")
    w("")

    # ------------------------------------------------------------------ measures
    at = values["at_2021"]
    w("## Measures")
    w("")
    w("The measures of MODEL.md §4 and the model variables that report them, with their value in "
      "`baseline_dual` at 2021.")
    w("")
    w("| measure (MODEL.md §4) | model variable | units | baseline 2021 | documentation |")
    w("|---|---|---|---|---|")
    for label, names in MEASURES:
        for n in names:
            v = var(n)
            w(f"| {md(label)} | {md(v.name)} | {md(v.units)} | {qty(at[v.py_name], v.units)} | {md(v.doc)} |")
    w("")

    # ------------------------------------------------------------------ case data
    w("## Case data")
    w("")
    w("The defaults were set by hand against the seed 000 case firm's figures (no formal "
      "calibration yet). Model values: `ambidex.simulate(model, scenarios=[...], method=\"euler\")` "
      "at the model's TIME STEP, read from the quarterly output.")
    w("")
    w("| figure | case value | source | model (`baseline_dual`) | how the model value is read |")
    w("|---|---|---|---|---|")
    w(f"| revenue in 2021 | ≈ EUR 75 M | seed 000 §4.2 | EUR {values['revenue_2021'] / 1e6:.1f} M | "
      "total revenue at t = 2021.0 |")
    w(f"| average ROA 2017–2021 | ≈ 12.7 % | seed 000 §4.2 | {pct(values['roa_2017_2021'])} | "
      "mean of quarterly ROA, t = 2017.0 … 2021.0 |")
    w(f"| share of revenue from customer collaboration | ≈ 2/3 (66.7 %) | seed 000 §3.1 | "
      f"{pct(values['collab_share_2021'])} | collaboration share of revenue at t = 2021.0 |")
    w(f"| share of innovation activity with customers | ≈ 70 % | seed 000 §4.3 | "
      f"{pct(values['exploration_2021'])} | exploration share at t = 2021.0 |")
    for scen, case, share in BASQUE:
        w(f"| Basque case {case}: explorative share | {pct(share)} | seed 001 Table 1 | "
          f"{pct(values['basque'][scen])} (`{scen}`) | exploration share at t = 2021.0 |")
    w("")
    w(f"Operating margin of `baseline_dual` in 2021: {pct(values['margin_2021'])}.")
    w("")

    # ------------------------------------------------------------------ limitations
    n_assump = sum("assumption" in p.doc.lower() for p in model.parameters.values())
    w("## Known limitations")
    w("")
    lims = [
        f"**Parameters are assumptions unless a seed gives them.** {n_assump} of the "
        f"{len(model.parameters)} parameter documentation strings say \"Assumption\"; the seeds give "
        "only a few values directly (contract length ≈ 10 years, ≈ 70 % of innovation activity with "
        "customers, one or two projects a year per customer, two or three people integrated every "
        "six months). Most functional forms (linear, saturating) are assumptions too.",
        "**No calibration yet.** The defaults were tuned by hand so that `baseline_dual` lands near "
        "three point and period figures of one firm (revenue 2021, mean ROA 2017–2021, collaboration "
        "share); e.g. `base volume per offering` was chosen to give ≈ EUR 75 M. There is no fit to a "
        "time series, no uncertainty or sensitivity analysis, and matching three figures does not "
        "identify the other parameters.",
        "**The Basque cases share the case firm's cost structure.** The four `basque_case_*` "
        "scenarios override only " + ", ".join(f"`{n}`" for n in values["basque_overrides"])
        + "; prices, volumes, unit costs, asset intensity and project economics are the "
        "Scandinavian surfactant producer's. Their explorative shares match seed 001 Table 1 by "
        "construction (intended exploration share set to the table's value with attention drift "
        "0), so that match is not evidence.",
        "**One aggregate firm and market.** One representative trust level for all lead customers, "
        "identical products (one price, one volume per offering), a constant rivals' price (no "
        "competitor dynamics, market growth or inflation; nominal EUR).",
        "**Customer choice of exclusivity is a simple rule.** `chosen exclusivity share` = "
        "`exclusivity share` ^ `sharing willingness`, with willingness rising exponentially with trust "
        "and the relative sharing advantage; the weights are assumptions, not estimates.",
        r2_text(values),
        "**Finance is simplified.** No tax; cash above a buffer is paid out; negative Cash is credit "
        "drawn at the interest rate (a credit line against fixed assets; investment and new projects "
        "are cut as liquidity runs out) but the firm never exits; working capital is proportional to "
        "revenue and its changes are not cash flows; ROA is reported against at least the minimum "
        "asset base.",
        "**Start-up transient.** Initial stocks in 2000 are assumptions, not an equilibrium; the "
        f"first decade is adjustment (ROA {pct(values['start']['roa'][0])} in 2000, "
        f"{pct(values['start']['roa'][1])} in 2010; collaboration share of revenue "
        f"{pct(values['start']['collaboration_share_of_revenue'][0])} in 2000, "
        f"{pct(values['start']['collaboration_share_of_revenue'][1])} in 2010). The seeds observe "
        "the case firm only in 2012–2021.",
        "**Risk indicators are partly reporting only.** `fragmentation index` feeds project failures, "
        "but `polarization index` and `myopia index` are indicators; the mechanisms behind them act "
        "through tacit knowledge loss, codification and the competence effect (polarization) and the "
        "novelty multiplier (myopia).",
    ]
    for item in lims:
        w(f"- {item}")
    w("")
    return "\n".join(L)


def r2_text(values: dict) -> str:
    """The limitation about loop R2, from where the IMT budget binds in baseline_dual."""
    ratio = values["budget_ratio_min"]
    if ratio >= 1:
        return ("**R2 (exploitation funds exploration) does not bind in the baseline.** The IMT "
                "budget (a share of the market-based model's gross margin) pays for at least "
                f"{ratio:.2f} times the target team in `baseline_dual`, so the team is limited by "
                "its target and the integration rate; the budget binds in scenarios with thin market "
                "earnings (see tests/test_seed_claims.py).")
    return ("**R2 (exploitation funds exploration) binds in the baseline.** The IMT budget pays "
            f"for as little as {ratio:.2f} times the target team in `baseline_dual`.")


def is_current(readme: Path | None = None, **kw) -> tuple[bool, str]:
    """(README equals what render() produces now, the rendered text)."""
    readme = readme or README
    text = render(**kw)
    return (readme.exists() and readme.read_text() == text), text


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true",
                    help="exit 1 if sd_models/README.md is out of date, write nothing")
    args = ap.parse_args(argv)
    ok, text = is_current()
    if args.check:
        if not ok:
            print(f"{README.relative_to(ROOT)} is out of date: run `python tools/model_docs.py`",
                  file=sys.stderr)
            return 1
        print(f"{README.relative_to(ROOT)} is up to date")
        return 0
    if ok:
        print(f"{README.relative_to(ROOT)} already up to date")
    else:
        README.write_text(text)
        print(f"wrote {README.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
