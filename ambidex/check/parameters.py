"""Parameter assessment (Sterman 2000 ch. 21.4.2; Barlas 1996): every parameter has units, a
documented source, a plausible range, and a default inside that range."""

from __future__ import annotations

import re

from .report import CheckResult

SOURCE = re.compile(r"source\s*:|assumption|\bseed\b", re.I)


def check_parameters(model) -> list[CheckResult]:
    results = []
    for p in model.parameters.values():
        problems, warns = [], []
        units = (p.units or "").strip()
        if not units:
            problems.append("no units")
        if not SOURCE.search(p.doc or ""):
            problems.append("no documented source (its documentation names no 'Source:', "
                            "'Assumption' or seed passage)")
        if p.lower is None and p.upper is None:
            warns.append("no declared range")
        elif p.lower is None or p.upper is None:
            warns.append("a one-sided range "
                         f"[{'?' if p.lower is None else f'{p.lower:g}'}, {'?' if p.upper is None else f'{p.upper:g}'}]")
        if (p.lower is not None and p.default < p.lower) or (p.upper is not None and p.default > p.upper):
            problems.append(f"default {p.default:g} outside its range "
                            f"[{'?' if p.lower is None else f'{p.lower:g}'}, {'?' if p.upper is None else f'{p.upper:g}'}]")
        ev = {"units": units, "default": p.default, "lower": p.lower, "upper": p.upper,
              "doc": p.doc, "sector": p.sector}
        if problems:
            results.append(CheckResult("parameters", "parameters.assessment", p.name, "fail",
                                       f"parameter '{p.name}': " + "; ".join(problems + warns), ev))
        elif warns:
            results.append(CheckResult("parameters", "parameters.assessment", p.name, "warn",
                                       f"parameter '{p.name}': " + "; ".join(warns), ev))
        else:
            results.append(CheckResult("parameters", "parameters.assessment", p.name, "pass",
                                       f"{units}, default {p.default:g} in [{p.lower:g}, {p.upper:g}], "
                                       "source documented", ev))
    return results
