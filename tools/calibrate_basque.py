"""Calibrate the four Basque cases of seed 001 Table 1 and write their table (run after the model
or a case's targets change).

    python tools/calibrate_basque.py [--check]

Each case ``scenarios/data/basque_case_<x>.toml`` is fitted on its own scenario (its size and
industry) by least squares (seed 0): its intended exploration share is free; the drift toward
exploitation and the pre-transition orientation are fixed in the file, with reasons.  The
table puts each case's fitted exploitative / explorative shares and its direction of movement
beside Table 1, with χ², data, constraints, free parameters and degrees of freedom; a profile of
the shared drift strength over the four cases together says what the cases tell about it.
Writes ``docs/reference/basque_cases.csv``, ``docs/reference/basque_cases.md`` and the calibrated
cases as scenarios ``scenarios/basque_case_<x>_calibrated.toml`` (``ambidex run`` them);
``--check`` writes nothing and exits 1 when the shipped CSV or a calibrated scenario differs from
a fresh fit (a fitted value by more than 1e-3 relative, or any verdict).
"""

from __future__ import annotations

import argparse
import csv
import sys
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "scenarios" / "data"
CSV = ROOT / "docs" / "reference" / "basque_cases.csv"
PAGE = ROOT / "docs" / "reference" / "basque_cases.md"
SCENARIOS = ROOT / "scenarios"
CASES = "abcd"
#: seed 001 Table 1 ("CASE STUDIES SELECTED"): employees, industry, founded, exploitative %,
#: explorative %, trajectory toward exploration
TABLE_1 = {"a": (">200", "chemicals", ">20 years", 7.0, 93.0, "yes"),
           "b": (">200", "metal", ">50 years", 27.5, 72.5, "yes"),
           "c": ("10-50", "software", ">10 years", 28.0, 72.0, "yes"),
           "d": ("50-200", "equipment", ">20 years", 33.0, 67.0, "yes")}
SHARE_TOL = 5.0   # pp: the standard error the targets files give the explorative share
FLAT_TOL = 0.5    # pp: a change smaller than Table 1's resolution reads as no movement
DRIFT = "attention drift strength"
FREE = "intended exploration share"
DRIFT_GRID = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6)
COLUMNS = ["case", "industry", "employees", "table1_exploitative_pct", "table1_explorative_pct",
           "model_exploitative_pct", "model_explorative_pct", "share_residual_pp", "share_met",
           "moved_since_2000_pp", "moving_2014_2018_pp", "direction_met", "intended_share",
           "intended_lower95", "intended_upper95", "other_free", "other_data", "chi2", "n_data",
           "n_constraints", "n_free", "dof", "verdict"]


def fit_case(model, case: str, drift: float | None = None, profile: bool = True):
    """Least-squares fit of one case (``drift`` overrides the file's fixed drift strength)."""
    import ambidex
    from ambidex.calibrate import CalibrationWarning, load_targets

    ts = load_targets(DATA / f"basque_case_{case}.toml")
    if drift is not None:
        ts.fixed[DRIFT] = {"value": float(drift), "source": ts.fixed[DRIFT]["source"]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)  # reported in the table instead
        return ambidex.calibrate(model, ts, seed=0, profile=profile)


def row(case: str, res) -> dict:
    """The case's line of the table from its calibration result ``res``."""
    emp, industry, _, exploit, explore, _ = TABLE_1[case]
    tt = res.targets_table
    share = float(tt.loc["explorative_share", "fitted"])
    since = float(tt.loc["moved_toward_exploration", "fitted"])
    survey = float(tt.loc["moving_toward_exploration_at_survey", "fitted"])
    share_met = abs(share - explore) <= SHARE_TOL
    direction_met = since > 0 and survey >= -FLAT_TOL
    lo, hi = res.intervals[FREE]
    other_free = "; ".join(f"{n} {res.estimates[n]:.3g} ({res.intervals[n][0]:.3g}–"
                           f"{res.intervals[n][1]:.3g})" for n in res.parameters if n != FREE)
    others, problems = [], []
    for t in res.problem.targets:  # the case's other data (Gaussian), each with its z
        if t.key in ("explorative_share", "moved_toward_exploration",
                     "moving_toward_exploration_at_survey"):
            continue
        fitted, datum = float(tt.loc[t.key, "fitted"]), float(t.data[0])
        z = (fitted - datum) / float(t.sigma[0])
        others.append(f"{t.key}: {fitted:.2f} vs {datum:g} ± {float(t.sigma[0]):g} (z {z:+.1f})")
        if abs(z) > 1.96:
            problems.append(f"{t.key} {fitted:.2f} vs {datum:g} (z {z:+.1f})")
    if not share_met:
        problems.append(f"share off by {share - explore:+.1f} pp")
    if not direction_met:
        problems.append(f"direction not met ({since:+.1f} pp since 2000, {survey:+.2f} pp "
                        "in 2014-2018)")
    return {"case": case.upper(), "industry": industry, "employees": emp,
            "table1_exploitative_pct": exploit, "table1_explorative_pct": explore,
            "model_exploitative_pct": round(100.0 - share, 3),
            "model_explorative_pct": round(share, 3),
            "share_residual_pp": round(share - explore, 3), "share_met": share_met,
            "moved_since_2000_pp": round(since, 3), "moving_2014_2018_pp": round(survey, 3),
            "direction_met": direction_met, "intended_share": round(res.estimates[FREE], 5),
            "intended_lower95": round(lo, 4), "intended_upper95": round(hi, 4),
            "other_free": other_free, "other_data": "; ".join(others), "chi2": round(res.cost, 4), "n_data": res.n_data,
            "n_constraints": res.n_constraints, "n_free": res.problem.k, "dof": res.dof,
            "verdict": "met" if not problems else "NOT met: " + "; ".join(problems)}


def scenario_text(case: str, res) -> str:
    """The calibrated case as a scenario ``basque_case_<case>_calibrated`` (the case's scenario
    with the fitted and the file's fixed values), for ``ambidex run``."""
    import re

    text = res.scenario_tomls()[f"basque_case_{case}_calibrated"]
    text = re.sub(r'^description = .*$', (
        f'description = "Case {case.upper()} of seed 001 Table 1 as calibrated: scenario '
        f'basque_case_{case} with {", ".join(res.parameters)} estimated by ambidex.calibrate '
        f'(least squares, seed 0; chi² {res.cost:.3g} with {res.dof} degrees of freedom) and the '
        f'fixed values of scenarios/data/basque_case_{case}.toml. Regenerate: python '
        'tools/calibrate_basque.py."'), text, count=1, flags=re.M)
    return (f"# Generated by tools/calibrate_basque.py from scenarios/data/basque_case_{case}.toml;"
            " do not edit by hand.\n" + text)


def stale_scenarios(texts: dict[str, str]) -> list[str]:
    """Cases whose shipped calibrated scenario differs from ``texts`` (case: TOML text) by more
    than 1e-3 relative in any parameter, or is missing."""
    import tomllib

    bad = []
    for case, text in texts.items():
        path = SCENARIOS / f"basque_case_{case}_calibrated.toml"
        if not path.is_file():
            bad.append(case.upper())
            continue
        old, new = tomllib.loads(path.read_text())["parameters"], tomllib.loads(text)["parameters"]
        if set(old) != set(new) or any(abs(old[k] - v) > 1e-3 * max(abs(v), 1e-9)
                                       for k, v in new.items()):
            bad.append(case.upper())
    return bad


def default_selectivity(model) -> tuple[float, float, float, int]:
    """Case A as fitted before its selectivity was freed: selectivity at the model's default,
    the renouncements datum left out, the intended share alone free.  Returns (project rate a
    year, its z, χ², degrees of freedom)."""
    import ambidex
    from ambidex.calibrate import CalibrationWarning, load_targets
    from ambidex.calibrate.holdout import split

    ts, _ = split(load_targets(DATA / "basque_case_a.toml"), "renounces_many_proposals")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        res = ambidex.calibrate(model, ts, free=[FREE], seed=0, profile=False)
    t = next(t for t in res.problem.targets if t.key == "projects_per_year")
    rate = float(res.targets_table.loc["projects_per_year", "fitted"])
    return rate, (rate - float(t.data[0])) / float(t.sigma[0]), res.cost, res.dof


def drift_profile(model) -> list[tuple[float, float]]:
    """(drift strength, total χ² of the four cases, each re-fitted) over DRIFT_GRID."""
    return [(d, sum(fit_case(model, c, drift=d, profile=False).cost for c in CASES))
            for d in DRIFT_GRID]


def markdown(rows: list[dict], prof: list[tuple[float, float]], fixed: float,
             before: tuple[float, float, float, int]) -> str:
    """The generated docs page (``before``: :func:`default_selectivity`)."""
    best = min(c for _, c in prof)
    inside = [d for d, c in prof if c - best < 3.84]
    lines = [
        "# The Basque cases against seed 001 Table 1",
        "",
        "Generated by `python tools/calibrate_basque.py` from `scenarios/data/basque_case_a.toml`"
        " … `basque_case_d.toml`; do not edit by hand. The same table is "
        "[basque_cases.csv](basque_cases.csv).",
        "",
        "Each case is fitted on its own scenario (`basque_case_a` … `d`: its size and industry as "
        "the model v2 issue set them) by least squares. Free: the case's **intended exploration "
        "share** (the CEO's strategic choice, seed 001 section 6.1) and, for Case A, its "
        "**selectivity** (the share of proposals renounced). Data: the explorative share,"
        " mean over 2014–2018 (Table 1; the survey was around 2016; se 5 pp; the exploitative "
        "share is its complement in the model, so Table 1's two numbers are one datum) and, for "
        "Case A, 'one or two innovation projects a year in collaboration' (1.5 ± 0.5 project "
        "starts a year) and 'they had to actively renounce many proposals that they received' "
        "(section 5.1; selectivity 0.5 ± 0.2, 'many' read loosely as about half). Seed 001 "
        "states nothing else about cases B–D that a model variable measures (their other "
        "passages are qualitative; Case C's 'two or three people every six months' is a "
        "parameter of its scenario, not a datum), so they have **0 degrees of freedom**: their "
        "level is met by construction. Constraints (range targets, no penalty when met, not counted as data): "
        "Table 1's 'trajectory toward exploration: yes' as the exploration share's change since "
        "2000 (when all four were exploitation-oriented) and over 2014–2018 (tolerance 0.5 pp, "
        "Table 1's resolution). Fixed, stated as such: attention drift strength "
        f"{fixed:g} and initial exploration orientation 0.3 (assumptions; reasons in the files).",
        "",
        "| case | industry, employees | Table 1 exploitative / explorative | model | "
        "direction: since 2000 / 2014–2018 (pp) | intended share (95 %) | other free (95 %) | "
        "other data | χ² | data, constraints, free, dof | verdict |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['case']} | {r['industry']}, {r['employees']} | "
            f"{r['table1_exploitative_pct']:g} / {r['table1_explorative_pct']:g} | "
            f"{r['model_exploitative_pct']:.1f} / {r['model_explorative_pct']:.1f} | "
            f"{r['moved_since_2000_pp']:+.1f} / {r['moving_2014_2018_pp']:+.2f} | "
            f"{r['intended_share']:.3f} ({r['intended_lower95']:.3f}–{r['intended_upper95']:.3f})"
            f" | {r['other_free'] or '—'} | {r['other_data'] or '—'} | {r['chi2']:.3g} | {r['n_data']}, "
            f"{r['n_constraints']}, {r['n_free']}, {r['dof']} | {r['verdict']} |")
    total = sum(r["chi2"] for r in rows)
    dof = sum(r["dof"] for r in rows)
    lines += [
        "",
        f"All four together: χ² {total:.3g} with {dof} degrees of freedom "
        f"({sum(r['n_data'] for r in rows)} data, {sum(r['n_constraints'] for r in rows)} "
        f"constraints, {sum(r['n_free'] for r in rows)} free parameters).",
        "",
        "Read it for what it is. For cases B–D one share fits one free parameter (0 degrees of "
        "freedom): the level is met because the intended share is free; what the model adds is "
        "the gap between intended and realised attention (the pull of each case's own market "
        "portfolio, larger for the metal maker B whose portfolio grows) and the direction of "
        "movement, which the dynamics could violate — the constraints are not imposed, they are "
        "checked. Case A has two more data, its project rate and its renouncements: at the "
        f"model's default selectivity (0.3) its scenario launches {before[0]:.2f} projects a "
        f"year, {before[1]:.1f} standard errors above the CEO's 'one or two' (χ² {before[2]:.3g} "
        f"on {before[3]} degree of freedom, the intended share alone free), and freeing the intended share alone cannot fix that, because more exploration also means "
        "more scouting. With selectivity free the project rate asks for a selectivity the "
        "seed's own words about Case A agree with (the 'other free' and 'other data' columns): "
        "the one degree of freedom left tests that agreement. The intended share stays near its "
        "bound 1 (not identified above), as Table 1's 93 % asks once the drift pulls realised "
        "attention below intended.",
        "",
        "The calibrated cases ship as scenarios, `scenarios/basque_case_a_calibrated.toml` … "
        "`_d_calibrated.toml` (`ambidex run scenarios/basque_case_a_calibrated.toml`): each "
        "case's scenario with the fitted values and the fixed ones above. The hand-set scenarios "
        "`basque_case_a` … `d` of the model v2 issue (no drift, intended share = Table 1 share) "
        "stay as they were; they are the starting point of the fits.",
        "",
        "## The shared drift strength",
        "",
        "The drift toward exploitation is a behavioural constant the four cases share. Fixing it "
        "at each value below and re-fitting every case's free parameters gives the cases' total "
        "χ² (the profile of the shared parameter):",
        "",
        "| attention drift strength | total χ² | Δχ² |",
        "|---|---|---|",
    ]
    lines += [f"| {d:g} | {c:.3g} | {c - best:.3g} |" for d, c in prof]
    lines += [
        "",
        f"Values with Δχ² < 3.84 (95 %): {', '.join(f'{d:g}' for d in inside)}. "
        + ("The cases do not identify the drift over this range; it stays fixed at the model's "
           "default, an assumption." if len(inside) == len(prof) else
           "The cases together reject the larger values (Δχ² ≥ 3.84); the fixed value "
           f"{fixed:g} is {'inside' if fixed in inside else 'OUTSIDE'} the range."),
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    import ambidex
    from ambidex.calibrate import load_targets

    model = ambidex.load_model()
    fits = {c: fit_case(model, c) for c in CASES}
    rows = [row(c, res) for c, res in fits.items()]
    texts = {c: scenario_text(c, res) for c, res in fits.items()}
    if args.check:
        with CSV.open() as fh:
            old = {r["case"]: r for r in csv.DictReader(fh)}
        bad = [r["case"] for r in rows if r["case"] not in old
               or abs(float(old[r["case"]]["intended_share"]) - r["intended_share"]) > 1e-3
               or old[r["case"]]["verdict"] != r["verdict"]]
        bad = sorted(set(bad) | set(stale_scenarios(texts)))
        print("shipped table and scenarios up to date" if not bad
              else f"out of date: cases {', '.join(bad)}")
        return 1 if bad else 0
    fixed = load_targets(DATA / "basque_case_a.toml").fixed[DRIFT]["value"]
    prof = drift_profile(model)
    with CSV.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=COLUMNS)
        w.writeheader()
        w.writerows(rows)
    PAGE.write_text(markdown(rows, prof, fixed, default_selectivity(model)), encoding="utf-8")
    for c, text in texts.items():
        (SCENARIOS / f"basque_case_{c}_calibrated.toml").write_text(text, encoding="utf-8")
    for r in rows:
        print(f"Case {r['case']}: Table 1 {r['table1_exploitative_pct']:g} / "
              f"{r['table1_explorative_pct']:g}, model {r['model_exploitative_pct']:.1f} / "
              f"{r['model_explorative_pct']:.1f}; direction {r['moved_since_2000_pp']:+.1f} / "
              f"{r['moving_2014_2018_pp']:+.2f} pp; chi² {r['chi2']:.3g}, dof {r['dof']}: "
              f"{r['verdict']}")
    print("drift profile:", ", ".join(f"{d:g}: {c:.3g}" for d, c in prof))
    print(f"wrote {CSV}, {PAGE} and scenarios/basque_case_[abcd]_calibrated.toml")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
