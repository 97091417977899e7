"""Check results: one :class:`CheckResult` per finding, gathered in a :class:`CheckReport`.

Every result is ``pass``, ``warn`` or ``fail`` and carries its evidence (numbers, times,
equations) so a reader can verify the verdict without re-running anything.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

STATUSES = ("pass", "warn", "fail")
CATEGORIES = ("units", "structure", "parameters", "extremes", "battery", "integration", "reality")
TITLES = {
    "units": "Dimensional consistency",
    "structure": "Structure assessment",
    "parameters": "Parameter assessment",
    "extremes": "Extreme conditions",
    "battery": "Multi-parameter extreme battery",
    "integration": "Integration error",
    "reality": "Reality checks",
}


def _jsonable(x):
    """Evidence as plain JSON types (numpy scalars/arrays, NaN/inf as strings)."""
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple, set)):
        return [_jsonable(v) for v in x]
    if hasattr(x, "tolist"):
        return _jsonable(x.tolist())
    if isinstance(x, float) and not math.isfinite(x):
        return str(x)
    if isinstance(x, (str, int, float, bool)) or x is None:
        return x
    return str(x)


@dataclass
class CheckResult:
    """One verdict: ``category`` (units, structure, ...), ``test`` (e.g. ``units.equation``),
    ``subject`` (the variable, stock, parameter or reality check), ``status`` (pass / warn /
    fail), a one-line ``message`` and ``evidence`` (a JSON-able dict)."""

    category: str
    test: str
    subject: str
    status: str
    message: str
    evidence: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, not {self.status!r}")
        self.evidence = _jsonable(self.evidence)


@dataclass
class CheckReport:
    """All results of :func:`ambidex.check` on one model.

    ``passed`` is True when no result failed (warnings allowed); ``failures`` / ``warnings``
    list the results of that status; ``to_json()``, ``to_dataset()`` and ``table()`` export.
    """

    model: str
    results: list[CheckResult] = field(default_factory=list)
    checks_file: str | None = None
    elapsed: float = 0.0

    def add(self, *args, **kwargs) -> CheckResult:
        r = args[0] if args and isinstance(args[0], CheckResult) else CheckResult(*args, **kwargs)
        self.results.append(r)
        return r

    def extend(self, results) -> None:
        for r in results:
            self.add(r)

    @property
    def passed(self) -> bool:
        return not self.failures

    @property
    def failures(self) -> list[CheckResult]:
        return [r for r in self.results if r.status == "fail"]

    @property
    def warnings(self) -> list[CheckResult]:
        return [r for r in self.results if r.status == "warn"]

    def select(self, category: str | None = None, test: str | None = None,
               status: str | None = None, subject: str | None = None) -> list[CheckResult]:
        """Results matching every given field (``test`` may be a prefix such as ``units.``)."""
        return [r for r in self.results
                if (category is None or r.category == category)
                and (test is None or r.test == test or (test.endswith(".") and r.test.startswith(test)))
                and (status is None or r.status == status)
                and (subject is None or r.subject == subject)]

    def counts(self) -> dict[str, dict[str, int]]:
        """{category: {pass: n, warn: n, fail: n}} in category order."""
        out = {}
        for c in CATEGORIES:
            rs = [r for r in self.results if r.category == c]
            if rs:
                out[c] = {s: sum(r.status == s for r in rs) for s in STATUSES}
        for r in self.results:
            if r.category not in out:
                out[r.category] = {s: sum(x.status == s for x in self.results if x.category == r.category)
                                   for s in STATUSES}
        return out

    def status_of(self, category: str) -> str:
        rs = [r.status for r in self.results if r.category == category]
        return "fail" if "fail" in rs else "warn" if "warn" in rs else "pass" if rs else "n/a"

    def to_dict(self) -> dict:
        return {"model": self.model, "checks_file": self.checks_file, "passed": self.passed,
                "elapsed_seconds": round(self.elapsed, 3), "counts": self.counts(),
                "results": [asdict(r) for r in self.results]}

    def to_json(self, path: str | Path | None = None, indent: int = 2) -> str:
        """The report as JSON text; also written to ``path`` when given."""
        text = json.dumps(self.to_dict(), indent=indent, allow_nan=False)
        if path is not None:
            Path(path).write_text(text + "\n", encoding="utf-8")
        return text

    def to_dataset(self):
        """The results as an ``xarray.Dataset`` with dim ``check`` (evidence as JSON strings)."""
        import xarray as xr

        n = len(self.results)
        cols = {k: [getattr(r, k) for r in self.results]
                for k in ("category", "test", "subject", "status", "message")}
        cols["evidence"] = [json.dumps(r.evidence) for r in self.results]
        ds = xr.Dataset({k: (("check",), v) for k, v in cols.items()},
                        coords={"check": list(range(n))})
        ds.attrs = {"model": self.model, "checks_file": self.checks_file or "",
                    "passed": int(self.passed)}
        return ds

    def table(self, show: str = "problems"):
        """A rich renderable: one summary row per category, then the failing and warning
        results (``show='all'`` lists every result)."""
        from rich.console import Group
        from rich.table import Table
        from rich.text import Text  # styled cells: the consoles print with markup off

        style = {"pass": "green", "warn": "yellow", "fail": "bold red", "n/a": "dim"}
        summary = Table(title=f"SD model checks: {Path(self.model).name}")
        for c in ("check", "status", "pass", "warn", "fail"):
            summary.add_column(c, justify="left" if c in ("check", "status") else "right")
        for cat, cnt in self.counts().items():
            st = self.status_of(cat)
            summary.add_row(TITLES.get(cat, cat), Text(st, style=style[st]),
                            str(cnt["pass"]), str(cnt["warn"]), str(cnt["fail"]))
        rows = self.results if show == "all" else [r for r in self.results if r.status != "pass"]
        parts = [summary]
        if rows:
            detail = Table(title="Failures and warnings" if show != "all" else "All results",
                           show_lines=False)
            for c in ("status", "test", "subject", "message"):
                detail.add_column(c, overflow="fold")
            order = {"fail": 0, "warn": 1, "pass": 2}
            for r in sorted(rows, key=lambda r: order[r.status]):
                detail.add_row(Text(r.status, style=style[r.status]), r.test, r.subject, r.message)
            parts.append(detail)
        return Group(*parts)

    def __str__(self) -> str:
        lines = [f"{Path(self.model).name}: {'PASSED' if self.passed else 'FAILED'} "
                 f"({len(self.failures)} failures, {len(self.warnings)} warnings)"]
        for r in self.failures + self.warnings:
            lines.append(f"  {r.status.upper()} {r.test} [{r.subject}]: {r.message}")
        return "\n".join(lines)
