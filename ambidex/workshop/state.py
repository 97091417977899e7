"""Per-session workshop state as plain JSON data, and the pure functions that change it.

The browser keeps one state dict per tab (``dcc.Store(storage_type="session")``); the server holds
no per-user state.  Every function here takes a state and returns a new one (or data derived from
it), so the same logic runs in the app and in tests without a browser.

State keys::

    scenario      name of the scenario the session started from
    source        its seed passage
    base          its parameter overrides (py name -> value)
    interventions its scheduled interventions (dicts as in the TOML file, model names)
    horizon       its horizon {"start", "end"} (may be empty)
    levers        current lever values (py name -> value), every lever
    snapshots     pinned runs (at most MAX_SNAPSHOTS): name, scenario dict, time
    log           provenance: every run with time, lever changes and snapshot name
    game          None, or {"t0", "t1", "year", "start", "decisions": [{"year", "changes"}]}
                  (changed by the functions of ``game.py``)
    commit        the last lever commit of the tab applied (see ``central.py``)
"""

from __future__ import annotations

import copy
import datetime as _dt
import math
import tomllib

import tomli_w

from ..core.errors import AmbidexError, ModelError, ScenarioError
from ..core.scenario import Scenario, load_scenario, scenario_from_dict, validate

MAX_SNAPSHOTS = 4
RESERVED_NAMES = ("current", "baseline")

# Levers grouped as the seeds group them; any other parameter documented "Lever: ..." or named
# in the profile's [levers] joins the group of its sector, else "Levers" (see lever_groups).
GROUPS = {
    "Boundary element (Innovation Management Team)": [
        "target_team_size", "maximum_integration_rate", "intended_exploration_share",
        "team_turnover_rate", "bridge_strength"],
    "Collaboration-based business model": [
        "target_lead_customers", "selectivity", "network_breadth", "contract_length",
        "requests_per_customer", "trust_build_time", "trust_erosion_time"],
    "Market-based business model": [
        "exclusivity_share", "reservation_price_premium", "progress_ratio"],
    "Culture and leadership": [
        "codification_culture", "leadership_proactiveness"],
}
SECTOR_GROUP = {
    "Boundary element": "Boundary element (Innovation Management Team)",
    "Collaboration based business model": "Collaboration-based business model",
    "Market based business model": "Market-based business model",
    "Revenue": "Market-based business model",
    "Products": "Market-based business model",
}


class WorkshopError(AmbidexError):
    """Invalid workshop input: the message is shown in the page, the state is kept."""


def now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="milliseconds")


def _is_lever(p) -> bool:
    return p.doc.strip().lower().startswith("lever")


def explanation(doc: str) -> str:
    """First sentence of a parameter's documentation, without the 'Lever:' tag."""
    text = doc.strip()
    if text.lower().startswith("lever:"):
        text = text[6:].strip()
    for stop in (". Source", ". Assumption", ". "):
        k = text.find(stop)
        if k > 0:
            return text[:k + 1]
    return text


def slider_step(lo: float, hi: float) -> float:
    span = hi - lo
    if span <= 0:
        return 1.0
    return 10.0 ** math.floor(math.log10(span / 100.0))


def lever_groups(model) -> dict[str, list[dict]]:
    """{group title: [lever spec]} where a spec has py, name, units, lower, upper, step, default,
    doc (one line)."""
    from ..core.profile import load_profile

    params = model.parameters
    named = load_profile(model).levers  # the profile's [levers] are levers too
    placed = {py for pys in GROUPS.values() for py in pys}
    groups: dict[str, list[str]] = {g: [py for py in pys if py in params] for g, pys in GROUPS.items()}
    for py, p in params.items():
        if py not in placed and (_is_lever(p) or py in named):
            groups.setdefault(SECTOR_GROUP.get(p.sector, "Levers"), []).append(py)
    out = {}
    for g, pys in groups.items():
        specs = []
        for py in pys:
            p = params[py]
            lo = p.lower if p.lower is not None else min(0.0, p.default)
            hi = p.upper if p.upper is not None else max(1.0, 2 * p.default)
            specs.append({"py": py, "name": p.name, "units": p.units, "lower": lo, "upper": hi,
                          "step": slider_step(lo, hi), "default": p.default,
                          "doc": explanation(p.doc)})
        if specs:
            out[g] = specs
    return out


def lever_names(model) -> list[str]:
    return [s["py"] for specs in lever_groups(model).values() for s in specs]


# --------------------------------------------------------------------------- scenario <-> state

def _iv_dict(iv) -> dict:
    d = {"parameter": iv.parameter, "kind": iv.kind}
    if iv.kind == "step":
        d.update(time=iv.time, to=iv.to)
    elif iv.kind == "ramp":
        d.update(start=iv.time, end=iv.end, to=iv.to)
    else:
        d.update(time=iv.time, height=iv.height)
        if iv.width:
            d["width"] = iv.width
    return d


def state_from_scenario(model, scenario, previous: dict | None = None) -> dict:
    """A fresh state starting from ``scenario`` (name, path or Scenario; empty: the model's own
    values); snapshots and log of ``previous`` are kept.  Raises :class:`ScenarioError` if it
    does not fit the model."""
    sc = load_scenario(scenario) if scenario else Scenario(name="model defaults",
                                                            source=str(model.path))
    valid = validate(sc, model)  # checks names and ranges; maps to py names
    levers = {py: float(valid.parameters.get(py, model.parameters[py].default))
              for py in lever_names(model)}
    horizon = {}
    if sc.horizon[0] is not None:
        horizon["start"] = sc.horizon[0]
    if sc.horizon[1] is not None:
        horizon["end"] = sc.horizon[1]
    state = {
        "scenario": sc.name, "source": sc.source, "description": sc.description,
        "base": {py: float(v) for py, v in valid.parameters.items()},
        "interventions": [_iv_dict(iv) for iv in sc.interventions],
        "horizon": horizon,
        "levers": levers,
        "snapshots": list(previous["snapshots"]) if previous else [],
        "log": list(previous["log"]) if previous else [],
        "game": None,
    }
    return state


def state_from_toml(model, text: str | bytes, filename: str = "uploaded.toml",
                    previous: dict | None = None) -> dict:
    """A state from an uploaded scenario file's text; :class:`WorkshopError` naming the file if
    it is not a valid scenario for this model."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise WorkshopError(f"{filename}: not UTF-8 text ({exc})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise WorkshopError(f"{filename}: malformed TOML: {exc}") from None
    try:
        sc = scenario_from_dict(data, name=filename.rsplit(".", 1)[0])
        return state_from_scenario(model, sc, previous)
    except (ScenarioError, ModelError) as exc:
        raise WorkshopError(f"{filename}: {exc}".replace("<scenario>: ", "")) from None


def check_lever(model, py: str, value) -> float:
    """The value as float if it is a number inside the lever's range, else :class:`WorkshopError`."""
    p = model.parameters.get(py)
    if p is None:
        raise WorkshopError(f"unknown lever {py!r}")
    if value is None or isinstance(value, bool):
        raise WorkshopError(f"'{p.name}': enter a number in [{p.lower:g}, {p.upper:g}] {p.units}")
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise WorkshopError(f"'{p.name}': {value!r} is not a number; allowed [{p.lower:g}, {p.upper:g}] {p.units}") from None
    try:
        model.table.check(py, v, "lever")  # the parameter table's rule and wording
    except ValueError as exc:
        raise WorkshopError(str(exc).replace("lever: ", "")) from None
    return v


def set_levers(model, state: dict, changes: dict) -> tuple[dict, dict]:
    """Apply {py: value} (checked); return (new state, {py: [old, new]} of real changes)."""
    new = copy.deepcopy(state)
    diff = {}
    for py, value in changes.items():
        v = check_lever(model, py, value)
        old = new["levers"].get(py)
        if old is None or not math.isclose(old, v, rel_tol=0, abs_tol=1e-12):
            diff[py] = [old, v]
            new["levers"][py] = v
    return new, diff


def _model_name(model, py: str) -> str:
    return model.parameters[py].name if py in model.parameters else py


def parameters(model, state: dict, levers: dict | None = None) -> dict:
    """Scenario parameters (model names): the base scenario's overrides plus every lever that
    differs from the model default or that the base scenario sets."""
    levers = state["levers"] if levers is None else levers
    out = {py: v for py, v in state["base"].items()}
    for py, v in levers.items():
        if py in out or v != model.parameters[py].default:
            out[py] = v
    return {_model_name(model, py): float(v) for py, v in sorted(out.items())}


def baseline_dict(model, state: dict) -> dict:
    """The scenario the session started from, unchanged (the comparison baseline)."""
    d = {"name": f"baseline {state['scenario']}", "source": state["source"] or "workshop",
         "parameters": {_model_name(model, py): v for py, v in sorted(state["base"].items())},
         "interventions": copy.deepcopy(state["interventions"])}
    if state["horizon"]:
        d["horizon"] = dict(state["horizon"])
    return d


def scenario_dict(model, state: dict, name: str = "current", until: float | None = None) -> dict:
    """The scenario of the current levers (or, in game mode, of the decision path played so far,
    simulated up to the current year or ``until``) as a dict shaped like a scenario TOML file."""
    g = state.get("game")
    src = f"ambidex workshop, starting from scenario '{state['scenario']}'"
    if state["source"]:
        src += f" ({state['source']})"
    d = {"name": name, "source": src, "interventions": copy.deepcopy(state["interventions"])}
    if g is None:
        d["parameters"] = parameters(model, state)
        if state["horizon"]:
            d["horizon"] = dict(state["horizon"])
        return d
    d["parameters"] = parameters(model, state, g["start"])
    end = g["year"] if until is None else until
    for dec in g["decisions"]:
        if dec["year"] > end:
            continue
        for py, v in sorted(dec["changes"].items()):
            d["interventions"].append({"parameter": _model_name(model, py), "kind": "step",
                                       "time": float(dec["year"]), "to": float(v)})
    d["interventions"] = [iv for iv in d["interventions"] if _iv_time(iv) <= end]
    d["horizon"] = {"start": g["t0"], "end": float(end)}
    d["description"] = "game decision path: " + "; ".join(
        f"{dec['year']:g}: " + ", ".join(f"{_model_name(model, k)}={v:g}" for k, v in dec["changes"].items())
        for dec in g["decisions"] if dec["changes"]) if g["decisions"] else "game, no decisions yet"
    return d


def _iv_time(iv: dict) -> float:
    """The last time an intervention dict refers to (a ramp's end)."""
    return float(iv.get("end", iv.get("time", iv.get("start", 0.0))))


def scenario_toml(model, state: dict, name: str) -> str:
    """The current levers (and game path, played to the end) as scenario TOML text that
    ``ambidex run PATH`` accepts."""
    name = safe_name(name)
    d = scenario_dict(model, state, name=name)
    if state.get("game"):
        d["horizon"] = dict(state["horizon"]) if state["horizon"] else {}
        if not d["horizon"]:
            del d["horizon"]
    d = {k: v for k, v in d.items() if v not in ({}, [], None, "")}
    d.setdefault("parameters", {})
    scenario_from_dict(d)  # form check
    return tomli_w.dumps(d)


def safe_name(name: str | None) -> str:
    name = (name or "").strip()
    if not name:
        raise WorkshopError("give the scenario or snapshot a name")
    bad = set(name) - set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-. ")
    if bad or len(name) > 60:
        raise WorkshopError(f"name {name!r}: use at most 60 letters, digits, spaces, '-', '_' or '.'")
    return name


# --------------------------------------------------------------------------- snapshots and log

def pin(model, state: dict, name: str) -> dict:
    """Pin the current run as a named snapshot (at most MAX_SNAPSHOTS)."""
    name = safe_name(name)
    if name.lower() in RESERVED_NAMES or name.lower().startswith("baseline"):
        raise WorkshopError(f"snapshot name {name!r} is reserved; choose another")
    if any(s["name"] == name for s in state["snapshots"]):
        raise WorkshopError(f"a snapshot named {name!r} exists already")
    if len(state["snapshots"]) >= MAX_SNAPSHOTS:
        raise WorkshopError(f"at most {MAX_SNAPSHOTS} snapshots; remove one first")
    new = copy.deepcopy(state)
    new["snapshots"].append({"name": name, "time": now(),
                             "scenario": scenario_dict(model, state, name=name)})
    return new


def unpin(state: dict, name: str) -> dict:
    new = copy.deepcopy(state)
    new["snapshots"] = [s for s in new["snapshots"] if s["name"] != name]
    return new


def log(state: dict, event: str, changes: dict | None = None, snapshot: str | None = None,
        model=None, **extra) -> dict:
    """Append a provenance entry (time, event, scenario, lever changes, snapshot name)."""
    new = dict(state)
    ch = {}
    for py, (old, v) in (changes or {}).items():
        ch[_model_name(model, py) if model else py] = {"from": old, "to": v}
    entry = {"time": now(), "event": event, "scenario": state["scenario"], "changes": ch,
             "snapshot": snapshot}
    if state.get("game"):
        entry["game_year"] = state["game"]["year"]
    entry.update(extra)
    new["log"] = list(state["log"]) + [entry]
    return new
