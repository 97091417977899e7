"""Plotly figures as plain dicts, written to HTML without plotly's validation.

Building a figure through ``plotly.graph_objects`` validates every property on each update:
``make_subplots``, ``update_layout`` and ``add_annotation`` re-validate the whole layout, which
made the scenario report's figures cost seconds.  The report's builders therefore assemble the
same JSON plotly would produce -- subplot domains and titles as :func:`plotly.subplots.
make_subplots` lays them out, numeric arrays as plotly's typed-array spec, the template
expanded -- and write it with ``plotly.io.to_html(..., validate=False)``.  A dict figure is
also what :mod:`ambidex.workshop` uses; ``go.Figure(fig)`` turns one into a graph object.
"""

from __future__ import annotations

import base64
import functools
import json
from pathlib import Path

import numpy as np

_SHORT = {"float64": "f8", "float32": "f4", "int32": "i4", "int16": "i2", "int8": "i1",
          "uint32": "u4", "uint16": "u2", "uint8": "u1"}


def array(values):
    """``values`` as plotly encodes a numpy array: ``{"dtype": "f8", "bdata": base64}`` for a
    float array (what validation makes of it); a list or scalar passes through."""
    if not isinstance(values, np.ndarray):
        return values
    v = np.ascontiguousarray(values)
    short = _SHORT.get(str(v.dtype))
    if short is None or v.ndim != 1:
        return v.tolist()
    return {"dtype": short, "bdata": base64.b64encode(v).decode("ascii")}


def values(spec) -> np.ndarray:
    """The numbers of a trace property: :func:`array`'s spec decoded, or a list as an array."""
    if isinstance(spec, dict) and "bdata" in spec:
        dtype = {v: k for k, v in _SHORT.items()}[spec["dtype"]]
        return np.frombuffer(base64.b64decode(spec["bdata"]), dtype=dtype)
    return np.asarray(spec)


@functools.cache
def _template_text(name: str) -> str:
    import plotly

    path = Path(plotly.__file__).parent / "package_data" / "templates" / f"{name}.json"
    return path.read_text(encoding="utf-8")


def template(name: str = "plotly_white") -> dict:
    """Plotly's named layout template as the dict validation would embed (a fresh copy)."""
    return json.loads(_template_text(name))


def _unset(d: dict) -> dict:
    """``d`` without None values, nested dicts too (plotly leaves a None property unset)."""
    return {k: _unset(v) if isinstance(v, dict) else v for k, v in d.items() if v is not None}


def figure(data=None, layout=None) -> dict:
    """A figure dict ``{"data": [...], "layout": {...}}``."""
    return {"data": list(data or []), "layout": dict(layout or {})}


def axis_ids(row: int, col: int, cols: int) -> tuple[str, str]:
    """The trace refs (``"x3"``, ``"y3"``) of subplot (row, col), 1-based, in a grid of
    ``cols`` columns (make_subplots numbers them row by row)."""
    k = (row - 1) * cols + col
    suffix = "" if k == 1 else str(k)
    return f"x{suffix}", f"y{suffix}"


def axis_key(ref: str) -> str:
    """Layout key of an axis ref: ``"x3"`` -> ``"xaxis3"``."""
    return f"{ref[0]}axis{ref[1:]}"


def subplots(rows: int, cols: int, titles=None, vertical_spacing: float | None = None,
             horizontal_spacing: float | None = None, shared_yaxes: bool = False) -> dict:
    """A figure dict laid out as ``make_subplots(rows, cols, subplot_titles=titles, ...)``
    lays it out (start cell top-left): axis domains and anchors, a title annotation per
    subplot, ``matches``/hidden tick labels for shared y axes."""
    hs = 0.2 / cols if horizontal_spacing is None else horizontal_spacing
    if vertical_spacing is None:  # make_subplots leaves room for subplot titles
        vertical_spacing = (0.5 if titles is not None else 0.3) / rows
    vs = vertical_spacing
    widths = [(1.0 - hs * (cols - 1)) / cols] * cols
    heights = [(1.0 - vs * (rows - 1)) / rows] * rows
    layout: dict = {}
    domains = []
    for r in range(rows):
        rr = rows - 1 - r  # grid row from the bottom (plotly's y runs upwards)
        y_s = sum(heights[:rr]) + rr * vs
        y_e = y_s + heights[-1 - r]
        y_s, y_e = (min(max(v, 0.0), 1.0) if -0.01 < v < 1.01 else v for v in (y_s, y_e))
        for c in range(cols):
            x_s = sum(widths[:c]) + c * hs
            x_dom, y_dom = [x_s, x_s + widths[c]], [y_s, y_e]
            xr, yr = axis_ids(r + 1, c + 1, cols)
            layout[axis_key(xr)] = {"anchor": yr, "domain": x_dom}
            layout[axis_key(yr)] = {"anchor": xr, "domain": y_dom}
            if shared_yaxes and c > 0:
                layout[axis_key(yr)].update(matches=axis_ids(r + 1, 1, cols)[1],
                                            showticklabels=False)
            domains.append((x_dom, y_dom))
    anns = [{"font": {"size": 16}, "showarrow": False, "text": t, "x": sum(x) / 2.0,
             "xanchor": "center", "xref": "paper", "y": y[1], "yanchor": "bottom",
             "yref": "paper"}
            for t, (x, y) in zip(titles or (), domains) if t]
    if anns:
        layout["annotations"] = anns
    return {"data": [], "layout": layout, "_grid": (rows, cols)}


def add_trace(fig: dict, trace: dict, row: int | None = None, col: int | None = None) -> None:
    """Append ``trace`` (its numpy arrays encoded by :func:`array`), placed in subplot
    (row, col) of a :func:`subplots` figure."""
    t = {k: array(v) for k, v in _unset(trace).items()}
    if row is not None:
        t["xaxis"], t["yaxis"] = axis_ids(row, col, fig["_grid"][1])
    fig["data"].append(t)


def update_axes(fig: dict, xy: str, row: int | None = None, col: int | None = None,
                **props) -> None:
    """Set ``props`` on the ``xy`` ('x' or 'y') axes of subplot (row, col); a None row or
    column means every row or column (as ``fig.update_xaxes``)."""
    rows, cols = fig["_grid"]
    for r in range(1, rows + 1):
        for c in range(1, cols + 1):
            if (row is None or r == row) and (col is None or c == col):
                ref = axis_ids(r, c, cols)[0 if xy == "x" else 1]
                fig["layout"][axis_key(ref)].update(props)


def finish(fig: dict) -> dict:
    """The plain figure dict (without the grid bookkeeping of :func:`subplots`)."""
    if isinstance(fig, dict):
        fig.pop("_grid", None)
    return fig


def note_figure(title: str, text: str, height: int = 160) -> dict:
    """A figure without data: ``title`` and one centred line of ``text`` (a diagram's place
    while it is not there yet)."""
    return {"data": [], "layout": {
        "height": height, "template": template("plotly_white"), "title": {"text": title},
        "xaxis": {"visible": False}, "yaxis": {"visible": False},
        "annotations": [{"text": text, "showarrow": False, "xref": "paper", "yref": "paper",
                         "x": 0.5, "y": 0.5, "font": {"size": 15, "color": "#555"}}]}}


def to_html(fig: dict, include_plotlyjs: bool, div_id: str | None = None) -> str:
    """One figure (a dict, or a ``go.Figure``) as an HTML fragment, plotly.js inlined with
    ``include_plotlyjs``; not validated again; ``div_id``: the plot's element id (default a
    fresh UUID, as plotly).

    The fragment is the one ``plotly.io.to_html(fig, full_html=False, validate=False)`` writes
    (the same ``<div>`` and ``Plotly.newPlot`` call, the same JSON with ``<``, ``>`` and ``/``
    escaped, NaN and infinities as null), but a dict figure is written with :mod:`json` alone:
    plotly's JSON writer imports narwhals and pandas checks, a tenth of a second on every
    ``ambidex run``.  A ``go.Figure`` still goes through plotly."""
    if not isinstance(fig, dict):
        import plotly.io as pio

        return pio.to_html(fig, full_html=False, include_plotlyjs=include_plotlyjs,
                           validate=False, config=_CONFIG, div_id=div_id)
    import uuid

    fig = finish(fig)
    layout = fig.get("layout", {})
    tlayout = layout.get("template", {}).get("layout", {})
    width = _css(layout.get("width", tlayout.get("width", "100%")))
    height = _css(layout.get("height", tlayout.get("height", "100%")))
    div_id = div_id or str(uuid.uuid4())
    load = (f"        {_WINDOW_CONFIG}\n        <script>{_plotlyjs()}</script>    "
            if include_plotlyjs else "")
    script = (f'                if (document.getElementById("{div_id}")) {{'
              f'                    Plotly.newPlot(                        "{div_id}",'
              f'                        {_json(fig.get("data", []))},'
              f'                        {_json(layout)},'
              f'                        {json.dumps(_CONFIG)}                    )'
              f'                }}')
    return (f'<div style="height:{height}; width:{width};">                {load}'
            f'            <div id="{div_id}" class="plotly-graph-div" '
            f'style="height:100%; width:100%;"></div>            <script>'
            f'                window.PLOTLYENV=window.PLOTLYENV || {{}};'
            f'                {script};            </script>        </div>').strip()


_CONFIG = {"displaylogo": False, "responsive": True}
_WINDOW_CONFIG = "<script>window.PlotlyConfig = {MathJaxConfig: 'local'};</script>"
_HTML_SAFE = (("<", "\\u003c"), (">", "\\u003e"), ("/", "\\u002f"))


def _css(size) -> str:
    """A figure size as CSS: a number is pixels, a string (``"100%"``) as given."""
    try:
        float(size)
    except (TypeError, ValueError):
        return str(size)
    return f"{size}px"


def _plain(obj):
    """``obj`` as JSON-ready Python: numpy values as numbers/lists, NaN and infinities as None
    (what plotly's encoder writes as ``null``)."""
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _plain(obj.tolist())
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    return obj


def _json(obj) -> str:
    """Compact JSON of a figure part, safe inside a ``<script>`` (as plotly writes it).  Plain
    figures (lists, numbers, strings, typed-array specs) are written in one pass; only one
    holding NaN, infinities or numpy values is walked by :func:`_plain` first."""
    try:
        out = json.dumps(obj, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError):
        out = json.dumps(_plain(obj), separators=(",", ":"))
    for unsafe, safe in _HTML_SAFE:
        out = out.replace(unsafe, safe)
    return out


@functools.cache
def _plotlyjs() -> str:
    """The plotly.js bundle shipped with the plotly package (what ``include_plotlyjs=True``
    inlines)."""
    import importlib.util

    root = Path(importlib.util.find_spec("plotly").origin).parent
    return (root / "package_data" / "plotly.min.js").read_text(encoding="utf-8")
