"""The room's key charts and plain-word lever labels, shared by the workshop page and the offline
simulator (both draw them in the browser with ``views.js``).

A chart is ``{id, title, unit, range, percent, series: [{var, label, scale}]}``; ``var`` is a
model variable's Python name, ``scale`` multiplies the model value for display (1e-6 for EUR
millions, 100 for per cent), ``range`` fixes the y axis (risks and trust on 0-1).  Charts whose
variables the model does not have are dropped, so a revised model keeps a working page.
"""

from __future__ import annotations

PCT = 100.0
STORY = [  # the story of seed 000/001 in eight charts, read left to right, top to bottom
    ("revenue", "Revenue by business model", "EUR million per year", None, False,
     [("collaboration_revenue", "collaboration-based", 1e-6), ("market_revenue", "market-based", 1e-6)]),
    ("margin", "Operating margin", "% of revenue", None, True, [("operating_margin", "margin", PCT)]),
    ("roa", "Return on assets", "% per year", None, True, [("roa", "ROA", PCT)]),
    ("trust", "Relationship trust", "index 0–1", [0, 1], False, [("relationship_trust", "trust", 1)]),
    ("explore", "Exploration vs exploitation", "% of team attention", [0, 100], True,
     [("exploration_share", "exploration", PCT), ("exploitation_share", "exploitation", PCT)]),
    ("knowledge", "Knowledge stocks", "knowledge units", None, False,
     [("tacit_knowledge", "tacit", 1), ("codified_knowledge", "codified", 1)]),
    ("offerings", "Offerings on the market", "products", None, False,
     [("exclusive_products", "exclusive", 1), ("shared_offerings", "shared", 1),
      ("legacy_offerings", "legacy", 1)]),
    ("risks", "The three risks", "index 0–1", [0, 1], False,
     [("myopia_index", "myopia", 1), ("fragmentation_index", "fragmentation", 1),
      ("polarization_index", "polarization", 1)]),
]

UNIT_WORDS = {"Dmnl": "", "FTE": "people (FTE)", "FTE/Year": "people per year", "1/Year": "per year",
              "Year": "years", "customer": "customers", "KU": "knowledge units",
              "project/(customer*Year)": "projects per customer per year"}
LABELS = {  # plain words for the levers of the dual model; others fall back to the model name
    "target_team_size": "Innovation team size (target)",
    "maximum_integration_rate": "Hiring speed into the team",
    "intended_exploration_share": "Team attention on exploration",
    "team_turnover_rate": "Team turnover",
    "bridge_strength": "Bridge between exploration and exploitation",
    "imt_budget_share": "IMT budget: share of the market margin",
    "target_lead_customers": "Lead customers sought",
    "selectivity": "Saying no: share of opportunities renounced",
    "network_breadth": "Partner network breadth",
    "contract_length": "Collaboration contract length",
    "requests_per_customer": "Requests per trusting customer",
    "trust_build_time": "Time to build trust",
    "trust_erosion_time": "Time for trust to erode",
    "exclusivity_share": "Products kept exclusive by the customer",
    "reservation_price_premium": "Price premium for novel exclusives",
    "progress_ratio": "Learning curve (cost per doubling)",
    "codification_culture": "Codification culture",
    "leadership_proactiveness": "Proactive leadership",
}
SHARE_UNITS = ("Dmnl",)
SHORT_TITLES = {  # presenter mode (a quarter of 1280 px per chart): title, unit
    "revenue": ("Revenue", "EUR m per year"),
    "explore": ("Explore vs exploit", "% of attention"),
    "offerings": ("Offerings", "products"),
    "knowledge": ("Knowledge", "units"),
}
SHORT_LABELS = {  # presenter mode (a fifth of 1280 px per lever): plain words, unit
    "target_team_size": "Team size (people)",
    "maximum_integration_rate": "Hiring (people per year)",
    "intended_exploration_share": "Exploration share (0–1)",
    "team_turnover_rate": "Turnover (per year)",
    "bridge_strength": "Bridge strength (0–1)",
    "target_lead_customers": "Lead customers (number)",
    "imt_budget_share": "IMT budget (share 0–1)",
    "selectivity": "Saying no (share 0–1)",
    "network_breadth": "Partners (customers)",
    "contract_length": "Contract length (years)",
    "requests_per_customer": "Requests (per customer·yr)",
    "trust_build_time": "Trust build time (years)",
    "trust_erosion_time": "Trust erosion (years)",
    "exclusivity_share": "Kept exclusive (0–1)",
    "reservation_price_premium": "Price premium (0–1)",
    "progress_ratio": "Learning curve (ratio)",
    "codification_culture": "Codification (0–1)",
    "leadership_proactiveness": "Proactive leaders (0–1)",
}


def charts_for(model) -> list[dict]:
    """The story charts the model can fill (variables present); for a model that fills fewer
    than four of them, the outcome grid of its profile (``[[workshop]]`` of NAME.profile.toml,
    grouped by title; shares shown in %, 0-1 indices on fixed axes)."""
    out = []
    for cid, title, unit, rng, pct, series in STORY:
        ss = [{"var": v, "label": lab, "scale": sc} for v, lab, sc in series if v in model.variables]
        if ss:
            short, short_unit = SHORT_TITLES.get(cid, (title, unit))
            out.append({"id": cid, "title": title, "unit": unit, "range": rng, "percent": pct,
                        "series": ss, "short": short, "short_unit": short_unit})
    return out if len(out) >= 4 else from_profile(model)


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
            "id": f"c{len(charts)}", "title": title, "unit": "%" if pct else UNIT_WORDS.get(unit, unit),
            "range": [0, 1] if unit in ("0-1", "index 0-1") else None, "percent": pct, "series": []})
        c["series"].append({"var": py, "label": label, "scale": PCT * scale if pct else scale})
    return list(charts.values())


def lever_unit(model, py: str) -> str:
    p = model.parameters[py]
    if p.units in SHARE_UNITS and p.lower == 0 and p.upper == 1:
        return "share 0–1"
    return UNIT_WORDS.get(p.units, p.units)


def lever_label(model, py: str) -> str:
    """'Plain words (unit)' for a lever."""
    p = model.parameters[py]
    words = LABELS.get(py, p.name[:1].upper() + p.name[1:])
    unit = lever_unit(model, py)
    return f"{words} ({unit})" if unit else words


def lever_short(model, py: str) -> str:
    """A lever's label for presenter mode: fewer plain words, the unit shortest ('0–1')."""
    if py in SHORT_LABELS:
        return SHORT_LABELS[py]
    p = model.parameters[py]
    words = LABELS.get(py, p.name[:1].upper() + p.name[1:])
    unit = lever_unit(model, py).replace("share 0–1", "0–1")
    return f"{words} ({unit})" if unit else words
