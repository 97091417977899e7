"""The model profile: what is specific to one model, read from ``NAME.profile.toml`` beside the
model file, so generic code (ensemble, check, summary, report, workshop, CLI) holds no model's
names.  A model without a profile gets defaults: every stock as a key output (scale 1, its own
units), no default scenario, ``NAME.loops.toml`` / ``NAME.checks.toml`` when they exist.

Keys (all optional): ``name``, ``default_scenario``, ``loops_file``, ``checks_file`` (relative
to the model file), ``key_outputs`` and ``integration_outputs`` (variable names besides every
stock), ``[[summary]]`` (label, variable, scale), ``[[report]]`` (variable, scale, unit),
``[[workshop]]`` (variable, scale, unit, title, label), ``[workshop_extra] variables``,
``[sectors]`` (sector -> horizontal position 0-1 in the report's structure diagram),
``[[story]]`` (the workshop's presenter charts: id, title, unit, short, short_unit, percent,
range, series of {variable, label, scale}; a series whose variable the model lacks is dropped,
so a revised model keeps a working page), ``[levers]`` (lever -> {label, short}: plain words),
``[unit_words]`` (unit -> words in lever labels).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .errors import ModelError
from .model import normalise
from .tomlio import read_toml

TOP_KEYS = {"name", "default_scenario", "loops_file", "checks_file", "key_outputs",
            "integration_outputs", "summary", "report", "workshop", "workshop_extra", "sectors",
            "story", "levers", "unit_words"}


@dataclass(frozen=True)
class Profile:
    """A model's profile (see the module docstring); ``path`` None when defaulted."""

    name: str
    path: Path | None
    default_scenario: str | None
    loops_file: Path | None
    checks_file: Path | None
    key_outputs: tuple[str, ...]
    integration_outputs: tuple[str, ...]
    summary: tuple[tuple[str, str, float], ...]          # (label, py name, scale)
    report: tuple[tuple[str, float, str], ...]           # (py name, scale, unit)
    workshop: tuple[tuple, ...]                          # (py, scale, unit, title[, label])
    workshop_extra: tuple[str, ...] = ()
    sectors: dict = field(default_factory=dict)
    story: tuple[dict, ...] = ()                         # presenter charts (see _story)
    levers: dict = field(default_factory=dict)           # py name -> {"label", "short"}
    unit_words: dict = field(default_factory=dict)       # unit -> plain words


def profile_path(model_path) -> Path:
    """``NAME.profile.toml`` beside the model file."""
    p = Path(model_path)
    return p.with_name(p.stem + ".profile.toml")


def _beside(model_path: Path, stem_suffix: str, given) -> Path | None:
    if given:
        return (Path(model_path).parent / given).resolve()
    p = Path(model_path).with_name(Path(model_path).stem + stem_suffix)
    return p if p.is_file() else None


def _names(model, values, where: str) -> tuple[str, ...]:
    out = []
    for v in values or ():
        try:
            out.append(model.resolve(v))
        except ModelError as exc:
            raise ModelError(f"{where}: {exc}") from None
    return tuple(out)


def _story(model, rows) -> tuple[dict, ...]:
    """The presenter charts whose variables the model has (a chart with none is dropped)."""
    out = []
    for r in rows or ():
        series = [{"var": model.resolve(x["variable"]), "label": x.get("label", x["variable"]),
                   "scale": float(x.get("scale", 1))}
                  for x in r.get("series", ()) if normalise(x["variable"]) in model._index]
        if series:
            title, unit = r.get("title", r["id"]), r.get("unit", "")
            out.append({"id": r["id"], "title": title, "unit": unit, "range": r.get("range"),
                        "percent": bool(r.get("percent", False)), "series": series,
                        "short": r.get("short", title), "short_unit": r.get("short_unit", unit)})
    return tuple(out)


def _levers(model, table: dict, label: str) -> dict:
    return {_names(model, [k], f"{label}: levers")[0]: dict(v) for k, v in (table or {}).items()}


def load_profile(model) -> Profile:
    """The profile of ``model`` (cached on it); ModelError naming the file and key when the
    profile names a variable the model lacks or has an unknown key."""
    cached = model.__dict__.get("_profile")
    if cached is not None:
        return cached
    path = profile_path(model.path)
    data = read_toml(path, ModelError) if path.is_file() else {}
    label = str(path)
    unknown = set(data) - TOP_KEYS
    if unknown:
        raise ModelError(f"{label}: unknown key(s) {', '.join(sorted(unknown))}; allowed: "
                         f"{', '.join(sorted(TOP_KEYS))}")
    stocks = [s.py_name for s in model.stocks]
    units = {py: model.variables[py].units for py in stocks}
    key = _names(model, data.get("key_outputs"), f"{label}: key_outputs")
    summary = tuple((r.get("label", r["variable"]), _names(model, [r["variable"]], f"{label}: "
                     f"summary")[0], float(r.get("scale", 1))) for r in data.get("summary", ()))
    report = tuple((_names(model, [r["variable"]], f"{label}: report")[0],
                    float(r.get("scale", 1)), r.get("unit", "")) for r in data.get("report", ()))
    workshop = tuple(
        (_names(model, [r["variable"]], f"{label}: workshop")[0], float(r.get("scale", 1)),
         r.get("unit", ""), r.get("title", r["variable"])) + ((r["label"],) if "label" in r else ())
        for r in data.get("workshop", ()))
    prof = Profile(
        name=data.get("name", model.name), path=path if data else None,
        default_scenario=data.get("default_scenario"),
        loops_file=_beside(model.path, ".loops.toml", data.get("loops_file")),
        checks_file=_beside(model.path, ".checks.toml", data.get("checks_file")),
        key_outputs=key,
        integration_outputs=_names(model, data.get("integration_outputs"),
                                   f"{label}: integration_outputs") or key,
        summary=summary or tuple((model.variables[py].name, py, 1.0) for py in stocks),
        report=report or tuple((py, 1.0, units[py]) for py in stocks),
        workshop=workshop or tuple((py, 1.0, units[py], model.variables[py].name)
                                   for py in stocks),
        workshop_extra=_names(model, data.get("workshop_extra", {}).get("variables"),
                              f"{label}: workshop_extra"),
        sectors=dict(data.get("sectors", {})),
        story=_story(model, data.get("story")),
        levers=_levers(model, data.get("levers"), label),
        unit_words=dict(data.get("unit_words", {})),
    )
    model.__dict__["_profile"] = prof
    return prof


def dataset_profile(ds) -> dict:
    """The display part of a profile for a result Dataset, without loading the model: the TOML
    beside the Dataset's ``model_path`` attr, its variables matched to the Dataset's (Python)
    names; defaults from the variables whose ``kind`` attr is 'stock'.

    Returns {"summary": [(label, py, scale)], "report": [(py, scale, unit)], "workshop":
    [(py, scale, unit, title[, label])], "sectors": {...}, "default_scenario": str | None}.
    """
    from .model import normalise

    data = _read_cached(str(ds.attrs.get("model_path", "")))
    names = {normalise(v): v for v in ds.data_vars}

    def py(name):
        return names.get(normalise(name))

    attrs = {v: ds.variables[v].attrs for v in ds.data_vars}  # ds[v] builds a DataArray each
    stocks = [v for v in ds.data_vars if attrs[v].get("kind") == "stock"]
    summary = [(r.get("label", r["variable"]), py(r["variable"]), float(r.get("scale", 1)))
               for r in data.get("summary", ()) if py(r["variable"])]
    report = [(py(r["variable"]), float(r.get("scale", 1)), r.get("unit", ""))
              for r in data.get("report", ()) if py(r["variable"])]
    workshop = [(py(r["variable"]), float(r.get("scale", 1)), r.get("unit", ""),
                 r.get("title", r["variable"])) + ((r["label"],) if "label" in r else ())
                for r in data.get("workshop", ()) if py(r["variable"])]
    return {
        "workshop": workshop or [(v, 1.0, attrs[v].get("units", ""),
                                  attrs[v].get("long_name", v)) for v in stocks],
        "summary": summary or [(attrs[v].get("long_name", v), v, 1.0) for v in stocks],
        "report": report or [(v, 1.0, attrs[v].get("units", "")) for v in stocks],
        "sectors": dict(data.get("sectors", {})),
        "default_scenario": data.get("default_scenario"),
    }


def _read_cached(model_path: str) -> dict:
    """The profile TOML beside ``model_path`` ({} when none), re-read only when it changes."""
    p = profile_path(model_path) if model_path else None
    if p is None or not p.is_file():
        return {}
    return _read(str(p), p.stat().st_mtime_ns)


@lru_cache(maxsize=32)
def _read(path: str, mtime_ns: int) -> dict:
    return read_toml(Path(path), ModelError)
