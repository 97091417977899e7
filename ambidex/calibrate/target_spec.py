"""One ``[targets.NAME]`` table of a targets file, checked and turned into a :class:`Target`.

Also the CSV reader of series targets.  Every mistake is a :class:`CalibrationError` naming the
file and the key.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np

from .errors import CalibrationError
from .targetset import KEYS, KINDS, Target


def number(value, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise CalibrationError(f"{where}: expected a number, got {type(value).__name__} {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise CalibrationError(f"{where}: expected a finite number, got {value!r}")
    return value


def nonempty(value, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise CalibrationError(f"{where}: expected a non-empty string, got {value!r}")
    return value


def read_csv(path: Path, time_col: str, value_col: str, se_col: str | None, where: str):
    """Read (times, values, se or None) from a CSV; clear errors for every malformed cell."""
    if not path.is_file():
        raise CalibrationError(f"{where}: data file '{path}' does not exist")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CalibrationError(f"{where}: data file '{path}' is not UTF-8 text: {exc}") from None
    rows = [r for r in csv.reader(text.splitlines()) if any(c.strip() for c in r)]
    if not rows:
        raise CalibrationError(f"{where}: data file '{path}' is empty")
    header = [h.strip() for h in rows[0]]
    cols = {}
    for name, what in ((time_col, "time_column"), (value_col, "value_column"), (se_col, "se_column")):
        if name is None:
            continue
        if name not in header:
            raise CalibrationError(f"{where}.{what}: '{path}' has no column '{name}'; "
                                   f"columns: {', '.join(header)}")
        cols[what] = header.index(name)
    if len(rows) < 2:
        raise CalibrationError(f"{where}: data file '{path}' has a header but no data rows")
    out = {k: [] for k in cols}
    for i, row in enumerate(rows[1:], start=2):
        for what, j in cols.items():
            cell = row[j].strip() if j < len(row) else ""
            try:
                v = float(cell)
            except ValueError:
                raise CalibrationError(
                    f"{where}: '{path}' line {i}, column '{header[j]}': {cell!r} is not a number"
                ) from None
            if not math.isfinite(v):
                raise CalibrationError(f"{where}: '{path}' line {i}, column '{header[j]}': "
                                       f"{cell!r} is not a finite number")
            out[what].append(v)
    t = np.asarray(out["time_column"])
    if np.any(np.diff(t) <= 0):
        raise CalibrationError(f"{where}: '{path}' times must be strictly increasing")
    se = np.asarray(out["se_column"]) if "se_column" in out else None
    if se is not None and np.any(se <= 0):
        raise CalibrationError(f"{where}: '{path}' column '{se_col}': standard errors must be > 0")
    return t, np.asarray(out["value_column"]), se


def parse_target(key: str, spec: dict, label: str, base: Path | None, default_scenario) -> Target:
    """The :class:`Target` of table ``[targets.<key>]`` (``spec``) of file ``label``; relative
    CSV paths resolve against ``base``; ``default_scenario`` is the file's ``scenario``."""
    where = f"{label}: targets.{key}"
    if not isinstance(spec, dict):
        raise CalibrationError(f"{where}: must be a table ([targets.{key}])")
    kind = spec.get("kind")
    if kind not in KINDS:
        raise CalibrationError(f"{where}.kind: {kind!r} is not one of {', '.join(KINDS)}")
    extra = set(spec) - KEYS[kind]
    if extra:
        raise CalibrationError(f"{where}: unknown key(s) {', '.join(sorted(extra))} for a {kind} "
                               f"target; allowed: {', '.join(sorted(KEYS[kind]))}")
    scenario = spec.get("scenario", default_scenario)
    if scenario is None:
        raise CalibrationError(f"{where}: no scenario (set 'scenario' in the target or the file)")
    t = Target(key=key, kind="ratio" if kind == "share" else kind, label=where,
               scenario=nonempty(scenario, f"{where}.scenario"),
               source=spec.get("source", ""), units=spec.get("units", "Dmnl"))
    if not isinstance(t.units, str):
        raise CalibrationError(f"{where}.units: expected a units string, got {t.units!r}")
    if not isinstance(t.source, str) or not t.source.strip():
        raise CalibrationError(f"{where}.source: every target needs a source (seed file and "
                               "section, or your reference)")
    _scales(t, spec, where)
    _names(t, spec, where)
    _data(t, spec, where)
    _when(t, spec, where)
    if t.kind == "series":
        _series(t, spec, where, base)
    return t


def _scales(t: Target, spec: dict, where: str) -> None:
    """``se`` (data units) or ``weight`` (on the relative error), and ``scale``."""
    if "se" in spec and "weight" in spec:
        raise CalibrationError(f"{where}: give either 'se' or 'weight', not both")
    for key in ("weight", "scale", "se"):
        if key in spec:
            v = number(spec[key], f"{where}.{key}")
            if v <= 0:
                raise CalibrationError(f"{where}.{key}: must be > 0")
            if key == "se":
                t.se = np.asarray([v])
            else:
                setattr(t, key, v)


def _names(t: Target, spec: dict, where: str) -> None:
    """The model name(s) the target is about: a parameter, a numerator and denominator, or a
    variable."""
    if t.kind == "parameter":
        t.parameter = nonempty(spec.get("parameter"), f"{where}.parameter")
    elif t.kind == "ratio":
        num = spec.get("numerator", spec.get("variable"))
        t.variable = nonempty(num, f"{where}.numerator")
        t.denominator = nonempty(spec.get("denominator"), f"{where}.denominator")
    else:
        t.variable = nonempty(spec.get("variable"), f"{where}.variable")


def _data(t: Target, spec: dict, where: str) -> None:
    """The datum: ``value`` or, for a range, ``between = [lower, upper]``."""
    if t.kind in ("value", "mean", "sum", "ratio", "parameter"):
        if "value" not in spec:
            raise CalibrationError(f"{where}: a {spec['kind']} target needs 'value'")
        t.data = np.asarray([number(spec["value"], f"{where}.value")])
    if t.kind == "range":
        b = spec.get("between")
        if not isinstance(b, list) or len(b) != 2:
            raise CalibrationError(f"{where}.between: expected [lower, upper], got {b!r}")
        lo, hi = (number(v, f"{where}.between") for v in b)
        if hi < lo:
            raise CalibrationError(f"{where}.between: lower {lo:g} is above upper {hi:g}")
        t.data = np.asarray([lo, hi])


def _when(t: Target, spec: dict, where: str) -> None:
    """``time``, a period ``start``/``end``, or a change ``since`` one time until ``time``."""
    kind = t.kind
    if "time" in spec:
        t.time = number(spec["time"], f"{where}.time")
    if "start" in spec or "end" in spec:
        if "start" not in spec or "end" not in spec:
            raise CalibrationError(f"{where}: a period needs both 'start' and 'end'")
        t.start, t.end = number(spec["start"], f"{where}.start"), number(spec["end"], f"{where}.end")
        if t.end <= t.start:
            raise CalibrationError(f"{where}: end ({t.end:g}) must be after start ({t.start:g})")
    if t.time is not None and t.start is not None:
        raise CalibrationError(f"{where}: give either 'time' or 'start'/'end', not both")
    if kind == "value" and t.time is None:
        raise CalibrationError(f"{where}: a value target needs 'time'")
    if kind in ("mean", "sum") and t.start is None:
        raise CalibrationError(f"{where}: a {kind} target needs 'start' and 'end'")
    if kind in ("ratio", "range") and t.time is None and t.start is None:
        raise CalibrationError(f"{where}: a {kind} target needs 'time' or 'start'/'end'")
    if "since" in spec:
        t.since = number(spec["since"], f"{where}.since")
        if t.time is None:
            raise CalibrationError(f"{where}.since: a change needs 'time' (its end), not a period")
        if t.since >= t.time:
            raise CalibrationError(f"{where}.since: {t.since:g} must be before time {t.time:g}")


def _series(t: Target, spec: dict, where: str, base: Path | None) -> None:
    """A series' times and values: from a CSV ``file`` or inline ``times``/``values``."""
    if "file" in spec:
        if "times" in spec or "values" in spec:
            raise CalibrationError(f"{where}: give either 'file' or 'times'/'values'")
        f = Path(nonempty(spec["file"], f"{where}.file"))
        if not f.is_absolute() and base is not None:
            f = base / f
        t.file = f
        se_col = spec.get("se_column")
        t.times, t.data, se = read_csv(f, spec.get("time_column", "time"),
                                       spec.get("value_column", "value"), se_col,
                                       f"{where}.file")
        if se is not None:
            if t.se is not None:
                raise CalibrationError(f"{where}: give either 'se' or 'se_column'")
            t.se = se
        return
    times, values = spec.get("times"), spec.get("values")
    if not isinstance(times, list) or not isinstance(values, list):
        raise CalibrationError(f"{where}: a series target needs 'file' (CSV) or lists "
                               "'times' and 'values'")
    if len(times) != len(values) or not times:
        raise CalibrationError(f"{where}: 'times' and 'values' must be non-empty and of "
                               "equal length")
    t.times = np.asarray([number(v, f"{where}.times") for v in times])
    t.data = np.asarray([number(v, f"{where}.values") for v in values])
    if np.any(np.diff(t.times) <= 0):
        raise CalibrationError(f"{where}.times: must be strictly increasing")
