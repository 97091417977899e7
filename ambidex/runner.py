"""What ``ambidex run`` and ``ambidex compare`` do, without the command line: pick the
scenarios, simulate them, build the report and write the files.  The CLI (:mod:`ambidex.cli`)
only parses options and prints; heavy libraries load here, inside the functions, so
``ambidex --help`` stays fast.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from pathlib import Path


def scenario_list(names, directory):
    """Scenarios by name or path (``names``), else every ``*.toml`` of ``directory`` (default
    ./scenarios); ScenarioError when there are none."""
    from .core.scenario import list_scenarios, load_scenario

    if names:
        return [load_scenario(n, directory) for n in names]
    paths = list_scenarios(directory)
    if not paths:
        from .core.errors import ScenarioError
        raise ScenarioError(f"no scenario files (*.toml) found in '{directory or 'scenarios'}'")
    return [load_scenario(p) for p in paths]


def model_scenarios(m):
    """``run --model M`` without scenario names: the default scenario of M's profile, else M's
    own defaults (the shipped scenarios belong to the dual model)."""
    from .core.profile import load_profile
    from .core.scenario import Scenario, load_scenario

    default = load_profile(m).default_scenario
    if default:
        return [load_scenario(default)]
    return [Scenario(name="default", source=f"{m.path.name}: the model's own defaults")]


def run_scenarios(model=None, names=None, scenarios_dir=None, method=None,
                  out_dir: Path = Path("results"), report: bool = True, loops: bool = True,
                  on_note=None, defer_loops: bool = False):
    """Simulate the scenarios (see :func:`scenario_list`; with ``model`` given and no names nor
    folder: :func:`model_scenarios`) and write ``out_dir/scenarios.nc`` and, with ``report``,
    ``out_dir/report.html`` (with the loop-dominance section when ``loops``).  Both files are
    written to temporary names first and renamed only when both are complete.  Returns
    ``(Dataset, [paths written])``; ``on_note(text)`` hears why a report part was left out.
    ``defer_loops``: a loop analysis or diagram layout not yet cached runs in the background
    (:mod:`ambidex.loop_background`, :mod:`ambidex.layout_background`), and the report says
    so."""
    from .core.results import atomic_path, to_netcdf
    from .simulate import simulate

    m = _load(model)
    with _frozen_heap():
        scens = (model_scenarios(m) if model is not None and not names and scenarios_dir is None
                 else scenario_list(names, scenarios_dir))
        ds = simulate(m, scens, method=method)
        html = _report_html(ds, m, scens, loops, on_note, defer_loops) if report else None
        nc_target, html_target = Path(out_dir) / "scenarios.nc", Path(out_dir) / "report.html"
        with atomic_path(nc_target) as tmp_nc:
            to_netcdf(ds, tmp_nc)
            if html is not None:
                with atomic_path(html_target) as tmp_html:
                    tmp_html.write_text(html, encoding="utf-8")
    return ds, [nc_target] + ([html_target] if html is not None else [])


def _load(model):
    """:func:`~ambidex.core.model.load_model` with the garbage collector paused: parsing a
    model on a cold cache allocates enough to trigger two full collections that find next to
    nothing (0.1-0.15 s of 1.3 s); what it leaves is frozen right after (:func:`_frozen_heap`)."""
    from .core.model import load_model

    if not gc.isenabled():
        return load_model(model)
    gc.disable()
    try:
        return load_model(model)
    finally:
        gc.enable()


@contextmanager
def _frozen_heap():
    """Within this block the objects that exist on entry sit in the garbage collector's
    permanent generation (:func:`gc.freeze`): a model loaded on a cold cache leaves a large
    heap (and the garbage of parsing it), and each full collection while the report imports
    networkx and scipy.optimize (or the results are written) traversed all of it again
    (0.1-0.25 s of a cold run).  Nothing
    is freed before the block ends; then the collector sees everything again.  A process that
    froze objects itself is left alone."""
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _report_html(ds, m, scens, loops: bool, on_note, defer: bool = False) -> str:
    from .loop_summary import report_loop_scores
    from .report import build_report
    from .structure import default_influences

    edges = default_influences(m)
    scores = report_loop_scores(m, scens, on_skip=on_note, defer=defer) if loops else None
    if not defer:
        return build_report(ds, m, edges, loop_scores=scores)
    from . import layout_background

    with layout_background.deferred() as pending:
        html = build_report(ds, m, edges, loop_scores=scores)
    if pending and layout_background.start(pending) and on_note is not None:
        on_note("the report's diagrams are being laid out in the background; the next report "
                "shows them")
    return html


def compare_scenarios(a: str, b: str, model=None, scenarios_dir=None, method=None,
                      out_dir: Path = Path("results")):
    """Simulate scenarios ``a`` and ``b``; write ``out_dir/compare_A_B.html`` (the report with
    a difference figure).  Returns ``(difference table B - A, names (A, B), path)``."""
    from .core.results import write_text
    from .report import build_report, difference_figure
    from .simulate import simulate
    from .summary import compare_table

    m = _load(model)
    with _frozen_heap():
        sa, sb = scenario_list([a, b], scenarios_dir)
        ds = simulate(m, [sa, sb], method=method)
        df = compare_table(ds, sa.name, sb.name)
        html = build_report(ds, m, title=f"{sa.name} vs {sb.name}",
                            extra_figures=[difference_figure(ds, sa.name, sb.name)])
        target = write_text(html, Path(out_dir) / f"compare_{sa.name}_{sb.name}.html")
    return df, (sa.name, sb.name), target
