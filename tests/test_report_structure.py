"""The report's stock-to-stock structure diagram is drawn from annotations alone, so its axes
must be given a range: plotly cannot autorange without data and would draw every box in a
corner of its default -1..6 range."""

import ambidex
from ambidex.report import structure_figure
from ambidex.structure import default_influences


def test_structure_diagram_axes_frame_every_box():
    m = ambidex.load_model()
    fig = structure_figure(default_influences(m), m)
    lay = fig["layout"]
    (x0, x1), (y0, y1) = lay["xaxis"]["range"], lay["yaxis"]["range"]
    boxes = [a for a in lay["annotations"] if not a.get("showarrow")]
    assert len(boxes) >= 5
    xs, ys = [a["x"] for a in boxes], [a["y"] for a in boxes]
    assert x0 < min(xs) and max(xs) < x1 and y0 < min(ys) and max(ys) < y1
    # the boxes span most of each axis (not a corner): padding is 12 % of the span per side
    assert (max(xs) - min(xs)) / (x1 - x0) > 0.75 and (max(ys) - min(ys)) / (y1 - y0) > 0.75
