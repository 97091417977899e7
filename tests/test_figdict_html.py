"""The report writes its dict figures to HTML with :mod:`json` alone (``figdict.to_html``), not
through plotly's JSON writer; the fragment must be exactly the one plotly writes."""

import copy
import json
import subprocess
import sys

import numpy as np
import plotly.io as pio
import pytest

from ambidex import figdict as fd

CONFIG = {"displaylogo": False, "responsive": True}


def _figures():
    grid = fd.subplots(rows=1, cols=2, titles=["a/b", "c"])
    x = np.linspace(2000, 2035, 141)
    grid["data"].append({"type": "scatter", "x": fd.array(x), "y": fd.array(np.sin(x)),
                         "xaxis": "x", "yaxis": "y", "name": "sin"})
    grid["layout"]["height"] = 330
    odd = {"data": [{"type": "scatter", "x": [1, float("nan"), np.float64(3)],
                     "y": np.array([1.0, 2.0, np.inf]), "name": "a</script><b>"}],
           "layout": {"title": {"text": "x/y <b>t</b>"}, "width": 640}}
    return [grid, odd, {"data": [], "layout": {}}]


@pytest.mark.parametrize("include_plotlyjs", [True, False])
def test_fragment_is_plotlys(include_plotlyjs):
    for fig in _figures():
        ours = fd.to_html(copy.deepcopy(fig), include_plotlyjs, div_id="fig-1")
        theirs = pio.to_html(fd.finish(copy.deepcopy(fig)), full_html=False,
                             include_plotlyjs=include_plotlyjs, validate=False, config=CONFIG,
                             div_id="fig-1")
        assert ours == theirs


def test_non_finite_numbers_are_null_and_script_text_escaped():
    html = fd.to_html(_figures()[1], False, div_id="d")
    data, _ = json.JSONDecoder().raw_decode(html.split('"d",', 1)[1].lstrip())
    trace = data[0]
    assert trace["name"] == "a</script><b>"  # JSON's \u escapes read back as the text
    assert trace["x"] == [1, None, 3.0] and trace["y"] == [1.0, 2.0, None]
    assert "</script><b>" not in html.split("<script>", 1)[1].rsplit("</script>", 1)[0]


def test_fresh_id_per_figure():
    a, b = (fd.to_html(_figures()[2], False) for _ in range(2))
    assert a.split('id="')[1][:36] != b.split('id="')[1][:36]


def test_report_does_not_import_plotly_json_writer(tmp_path):
    code = ("import sys; from ambidex import figdict as fd; "
            "fd.to_html({'data': [], 'layout': {}}, True); "
            "print('plotly.io' in sys.modules, 'narwhals' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["False", "False"]
