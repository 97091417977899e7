"""Plotly figures of the workshop, as plain dicts (fast to build and to send).

Every trace carries ``meta = {"var": py_name, "scale": factor, "run": label}`` so a test (or a
participant's script) can read the plotted values back from the page and map them to the model.
"""

from __future__ import annotations

import functools

import numpy as np
from plotly.colors import qualitative
from plotly.subplots import make_subplots

from ..core.profile import dataset_profile


def outcome_items(ds) -> list[tuple]:
    """(py name, scale, unit, subplot title[, legend label within a shared subplot]) of the
    outcome grid, from the model's profile (``[[workshop]]`` of NAME.profile.toml)."""
    return dataset_profile(ds)["workshop"]


COLS = 4
CURRENT_COLOR = "#1f77b4"
BASELINE_COLOR = "#7f7f7f"
PALETTE = ["#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2"] + qualitative.D3


@functools.lru_cache(maxsize=8)
def _layout(titles: tuple[str, ...], cols: int, height_per_row: int) -> dict:
    rows = (len(titles) + cols - 1) // cols
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=list(titles),
                        horizontal_spacing=0.06, vertical_spacing=0.09)
    lay = fig.to_plotly_json()["layout"]
    # the legend below the grid, inside the figure (never clipped), text at 14 px
    lay.update(height=height_per_row * rows + 140, margin={"l": 50, "r": 10, "t": 60, "b": 110},
               hovermode="closest", font={"size": 14},
               legend={"orientation": "h", "y": -0.04, "yanchor": "top", "x": 0, "xanchor": "left",
                       "font": {"size": 14}},
               uirevision="keep")
    for ann in lay.get("annotations", []):
        ann["font"] = {"size": 14}
    return lay


def _axis(k: int) -> tuple[str, str]:
    return ("x" if k == 0 else f"x{k + 1}"), ("y" if k == 0 else f"y{k + 1}")


def _series(ds, scen: str, py: str, scale: float, until: float | None = None):
    sub = ds[py].sel(scenario=scen)
    t = ds.time.values
    y = sub.values
    ok = np.isfinite(y)
    if until is not None:
        ok &= t <= until + 1e-9
    return t[ok].tolist(), (y[ok] * scale).tolist()


SECOND = {"current": "#ff7f0e", "baseline": "#c49c94"}  # second variable in a shared subplot


def grid(runs: list[tuple], title: str, items=None, cols: int = COLS,
         height_per_row: int = 210) -> dict:
    """A grid of subplots, one per outcome title (items with the same title share a subplot;
    default: :func:`outcome_items` of the first run); ``runs`` = [(ds, scenario, label, style)]
    where style has color, dash, until, width."""
    items = outcome_items(runs[0][0]) if items is None and runs else (items or [])
    items = [it for it in items if any(it[0] in r[0] for r in runs)]
    titles = []
    for it in items:
        if it[3] not in titles:
            titles.append(it[3])
    units = {it[3]: it[2] for it in items}
    lay = dict(_layout(tuple(f"{t} ({units[t]})" for t in titles), cols, height_per_row))
    lay["title"] = {"text": title, "x": 0, "font": {"size": 14}}
    data = []
    seen: dict[str, int] = {}
    for it in items:
        py, scale, unit, label = it[:4]
        sub = it[4] if len(it) > 4 else None
        k = titles.index(label)
        nth = seen.get(label, 0)
        seen[label] = nth + 1
        xa, ya = _axis(k)
        for ds, scen, name, style in runs:
            if py not in ds:
                continue
            x, y = _series(ds, scen, py, scale, style.get("until"))
            color = style.get("color")
            dash = style.get("dash", "solid")
            if nth and name in SECOND:
                color = SECOND[name]
            elif nth:
                dash = "dot"  # second variable of a shared subplot, same run colour
            shown = f"{name}: {sub}" if sub else name
            data.append({
                "type": "scatter", "mode": "lines", "x": x, "y": y, "name": shown,
                "legendgroup": shown, "showlegend": k == 0,
                "xaxis": xa, "yaxis": ya,
                "line": {"color": color, "dash": dash,
                         "width": style.get("width", 2)},
                "meta": {"var": py, "scale": scale, "run": name},
                "hovertemplate": f"{shown}<br>%{{x:.2f}}: %{{y:.4g}} {unit}<extra>{label}</extra>",
            })
    return {"data": data, "layout": lay}


def outcomes(current, baseline, current_label: str = "current", baseline_label: str = "baseline",
             until: float | None = None, title: str = "Key outcomes against the baseline") -> dict:
    """Key outcomes over time: the current levers (solid) against the baseline (dashed)."""
    runs = []
    if baseline is not None:
        runs.append((baseline, str(baseline.scenario.values[0]), baseline_label,
                     {"color": BASELINE_COLOR, "dash": "dash", "width": 1.5}))
    if current is not None:
        runs.append((current, str(current.scenario.values[0]), current_label,
                     {"color": CURRENT_COLOR, "until": until}))
    return grid(runs, title)


def compare(ds_list: list, labels: list[str], title="Snapshots side by side") -> dict:
    """One line per pinned snapshot (and the current run) on every key outcome."""
    runs = []
    for i, (ds, label) in enumerate(zip(ds_list, labels)):
        color = CURRENT_COLOR if label == "current" else (
            BASELINE_COLOR if label.startswith("baseline") else PALETTE[i % len(PALETTE)])
        runs.append((ds, str(ds.scenario.values[0]), label,
                     {"color": color, "dash": "dash" if label.startswith("baseline") else "solid"}))
    return grid(runs, title)


def final_values_table(ds_list: list, labels: list[str]) -> tuple[list[str], list[list[str]]]:
    """Header and rows: each key outcome at the last saved time, one column per run."""
    header = ["outcome"] + labels
    rows = []
    for it in (outcome_items(ds_list[0]) if ds_list else []):
        py, scale, unit, label = it[:4]
        row = [f"{label}{': ' + it[4] if len(it) > 4 else ''} ({unit})"]
        for ds in ds_list:
            if py in ds:
                y = ds[py].isel(scenario=0).values
                y = y[np.isfinite(y)]
                row.append(f"{y[-1] * scale:.4g}" if len(y) else "")
            else:
                row.append("")
        rows.append(row)
    return header, rows


def empty(message: str) -> dict:
    return {"data": [], "layout": {"title": {"text": message, "x": 0, "font": {"size": 14}},
                                   "xaxis": {"visible": False}, "yaxis": {"visible": False},
                                   "height": 300}}
