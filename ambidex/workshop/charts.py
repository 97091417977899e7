"""The room's key charts and plain-word lever labels, shared by the workshop page and the offline
simulator (both draw them in the browser with ``views.js``).

A chart is ``{id, title, unit, range, percent, series: [{var, label, scale}]}``; ``var`` is a
model variable's Python name, ``scale`` multiplies the model value for display (1e-6 for EUR
millions, 100 for per cent), ``range`` fixes the y axis (risks and trust on 0-1).  Charts whose
variables the model does not have are dropped, so a revised model keeps a working page.
"""

from __future__ import annotations

PCT = 100.0
UNIT_WORDS = {"Dmnl": "", "FTE": "people (FTE)", "FTE/Year": "people per year", "1/Year": "per year",
              "Year": "years"}  # generic; a model's own units in its profile's [unit_words]
SHARE_UNITS = ("Dmnl",)


def _profile(model):
    from ..core.profile import load_profile

    return load_profile(model)


def charts_for(model) -> list[dict]:
    """The story charts of the model's profile (``[[story]]`` of NAME.profile.toml) whose
    variables it has; for a model with fewer than four, the outcome grid of its profile
    (``[[workshop]]``, grouped by title; shares shown in %, 0-1 indices on fixed axes)."""
    try:
        story = [dict(c, series=[dict(x) for x in c["series"]]) for c in _profile(model).story]
    except Exception:  # no profile support or a profile that does not fit: the grid below
        story = []
    return story if len(story) >= 4 else from_profile(model)


def from_profile(model) -> list[dict]:
    try:
        from ..core.profile import load_profile

        items = load_profile(model).workshop
    except Exception:  # no profile support or a profile that does not fit: the caller's default
        return []
    charts: dict[str, dict] = {}
    for it in items:
        py, scale, unit, title = it[:4]
        label = it[4] if len(it) > 4 else title
        pct = unit in ("share", "Dmnl share")
        c = charts.setdefault(title, {
            "id": f"c{len(charts)}", "title": title, "unit": "%" if pct else _words(model, unit),
            "range": [0, 1] if unit in ("0-1", "index 0-1") else None, "percent": pct, "series": []})
        c["series"].append({"var": py, "label": label, "scale": PCT * scale if pct else scale})
    return list(charts.values())


def _words(model, unit: str) -> str:
    try:
        own = _profile(model).unit_words
    except Exception:
        own = {}
    return own.get(unit, UNIT_WORDS.get(unit, unit))


def _lever_words(model, py: str) -> dict:
    try:
        return _profile(model).levers.get(py, {})
    except Exception:
        return {}


def lever_unit(model, py: str) -> str:
    p = model.parameters[py]
    if p.units in SHARE_UNITS and p.lower == 0 and p.upper == 1:
        return "share 0–1"
    return _words(model, p.units)


def lever_label(model, py: str) -> str:
    """'Plain words (unit)' for a lever (words from the profile's ``[levers]``, else its name)."""
    p = model.parameters[py]
    words = _lever_words(model, py).get("label", p.name[:1].upper() + p.name[1:])
    unit = lever_unit(model, py)
    return f"{words} ({unit})" if unit else words


def lever_short(model, py: str) -> str:
    """A lever's label for presenter mode: the profile's ``short`` (unit included), else the
    label's words with the shortest unit ('0–1')."""
    own = _lever_words(model, py)
    if "short" in own:
        return own["short"]
    p = model.parameters[py]
    words = own.get("label", p.name[:1].upper() + p.name[1:])
    unit = lever_unit(model, py).replace("share 0–1", "0–1")
    return f"{words} ({unit})" if unit else words
