"""The CLI end to end: run, list, compare, params; and every mistake a new user makes gets one
line, exit code 2, no traceback and nothing written."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import xarray as xr
from typer.testing import CliRunner

from ambidex.cli import app
from ambidex.core.scenario import list_scenarios as ambidex_list_scenarios


def test_run_subset_writes_netcdf_and_report_and_prints_table(tmp_path):
    out = tmp_path / "res"
    r = CliRunner().invoke(app, ["run", "baseline_dual", "market_only", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "baseline_dual" in r.output and "market_only" in r.output and "ROA" in r.output
    ds = xr.open_dataset(out / "scenarios.nc", engine="h5netcdf")
    assert list(ds.scenario.values) == ["baseline_dual", "market_only"]
    for key in ["model_sha256", "model_path", "solver", "versions", "scenarios"]:
        assert key in ds.attrs
    assert ds.total_revenue.attrs["units"] == "EUR/Year"
    assert "seed 000" in ds.total_revenue.attrs["description"]
    assert "seed 000" in str(ds.scenario_source.values[0])
    html = (out / "report.html").read_text()
    assert html.startswith("<!DOCTYPE html>") and "plotly" in html.lower()
    assert "Feedback structure" in html and "Revenue by business model" in html
    assert "Loops That Matter" in html
    # written for a manager: the story first, named loops, provenance folded away
    assert html.index("Key outcomes") < html.index("Feedback loops") < html.index("<details>")
    assert "Highest return on assets" in html and "R1 trust engine" in html and "L1 (B)" not in html
    assert re.search(r"<details><summary>Provenance[^<]*</summary><pre>", html)
    fig = json.loads(re.search(r'Plotly\.newPlot\(\s*"[^"]+",\s*(\[.*?\]),\s*\{', html, re.S).group(1))
    shown = [t for t in fig if t.get("showlegend")]
    assert {t["name"] for t in shown} == {"baseline_dual", "market_only"}  # every scenario in the legend
    assert len({t["line"]["color"] for t in shown}) == len(shown)          # no colour repeats
    assert '"title":{"text":"year"}' in html.replace(" ", "")                 # axis titles
    assert "<script src=\"http" not in html and "plotly.js v" in html  # inlined: opens offline
    ds.close()


def test_list_and_params_and_compare(tmp_path):
    r = CliRunner().invoke(app, ["list"])
    n = len(ambidex_list_scenarios())
    assert r.exit_code == 0 and "fragmentation" in r.output and f"Scenarios ({n})" in r.output
    r = CliRunner().invoke(app, ["params"])
    assert r.exit_code == 0 and "selectivity" in r.output
    r = CliRunner().invoke(app, ["compare", "baseline_dual", "fragmentation", "--out", str(tmp_path)])
    assert r.exit_code == 0, r.output
    assert "difference" in r.output
    html = (tmp_path / "compare_baseline_dual_fragmentation.html").read_text()
    assert "Difference: fragmentation" in html  # the minus sign may be JSON-escaped (\\u2212)


# --------------------------------------------------------------------------- a new user's mistakes
# Each: exit code 2, exactly one 'error:' line naming what is wrong, no traceback, nothing written.

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("pysd", "numba", "scipy", "pandas")


def one_error(r, *expect):
    assert r.exit_code == 2, (r.exit_code, r.output)
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), r.stderr
    for e in expect:
        assert e in lines[0], (e, lines[0])
    assert "Traceback" not in r.output
    return lines[0]


def invoke(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.mark.parametrize("cmd", [
    ["run", "baseline_dual"], ["compare", "baseline_dual", "market_only"],
    ["calibrate", "scenarios/data/case_firm.toml"],
    ["sensitivity", "scenarios/sensitivity/dual_model_sobol.toml"], ["loops"]])
def test_out_that_is_a_file_is_refused_before_computing(cmd, tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    afile = tmp_path / "results"
    afile.write_text("keep me")
    # nothing may be computed: a simulate/translate call would fail the test
    monkeypatch.setattr("ambidex.core.model.load_model", lambda *a, **k: pytest.fail("computed"))
    one_error(invoke(*cmd, "--out", afile), "--out", str(afile), "is a file, not a folder")
    assert afile.read_text() == "keep me" and sorted(tmp_path.iterdir()) == [afile]


def test_out_below_a_file_and_check_json_into_a_folder(tmp_path):
    afile = tmp_path / "f"
    afile.write_text("")
    one_error(invoke("run", "--out", afile / "sub"), "cannot create the folder", "is a file")
    one_error(invoke("check", "--json", tmp_path), "--json", "is a folder")
    assert sorted(tmp_path.iterdir()) == [afile]


def test_brackets_in_messages_are_printed_not_eaten_as_markup(tmp_path):
    p = tmp_path / "s.toml"
    p.write_text('name = "s"\nsource = "test"\n[parameters]\n"[mass] of things" = 1.0\n')
    line = one_error(invoke("run", p, "--out", tmp_path / "o"), "[mass] of things")
    assert not (tmp_path / "o").exists(), line


def test_horizon_ending_before_it_starts_is_refused(tmp_path):
    p = tmp_path / "h.toml"
    p.write_text('name = "h"\nsource = "test"\n[horizon]\nend = 1990.0\n')
    one_error(invoke("run", p, "--out", tmp_path / "o"), "horizon ends at 1990", "not after it starts at")
    assert not (tmp_path / "o").exists()


def test_check_with_a_missing_model_is_one_line_exit_2(tmp_path):
    one_error(invoke("check", "--model", tmp_path / "missing.mdl"), "model file not found", "missing.mdl")
    one_error(invoke("check", "--model", tmp_path), "is a folder")
    one_error(invoke("check", "--checks", tmp_path / "no.toml"), "--checks file not found")


def test_bad_format_is_refused():
    one_error(invoke("list", "--format", "xml"), "--format 'xml'", "table, csv, json")


def _cli(*args, env=None, cwd=None, **kw):
    return subprocess.run([sys.executable, "-m", "ambidex", *map(str, args)], capture_output=True,
                          text=True, timeout=600, cwd=cwd or ROOT, env={**os.environ, **(env or {})}, **kw)


def test_not_a_model_gives_one_line_without_pysd_warning(tmp_path):
    bad = tmp_path / "notes.mdl"
    bad.write_text("hello, this is not a Vensim model\n")
    r = _cli("params", "--model", bad)
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == [r.stderr.strip()] and "notes.mdl" in r.stderr
    assert "could not translate" in r.stderr or "could not be translated" in r.stderr
    assert "UserWarning" not in r.stderr and "site-packages" not in r.stderr


def test_warnings_print_once_as_one_line(capsys):
    import warnings

    from ambidex.cli_output import show_warning
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.showwarning = show_warning
        for _ in range(3):
            warnings.warn("parameter 'x' is not identified", UserWarning, stacklevel=1)
    assert capsys.readouterr().err.strip().splitlines() == ["warning: parameter 'x' is not identified"]


def test_calibration_warnings_print_once(tmp_path):
    r = invoke("calibrate", ROOT / "scenarios" / "data" / "case_firm.toml", "--no-report", "--out", tmp_path)
    assert r.exit_code == 0, r.output
    warns = [ln for ln in r.stderr.splitlines() if ln.startswith("warning:")]
    assert warns and len(warns) == len(set(warns)), warns  # the identifiability warnings, once each
    assert "CalibrationWarning" not in r.output and "Traceback" not in r.output
    assert "\r" not in r.stderr and "it/s" not in r.stderr  # no progress bar in a piped log


def test_ctrl_c_while_importing_exits_130_without_traceback(tmp_path):
    p = subprocess.Popen([sys.executable, "-m", "ambidex", "run", "--out", str(tmp_path / "o")],
                         cwd=ROOT, stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    # Interrupt once Python runs our code (numpy's extension mapped: the imports are under way), not
    # during interpreter start-up, which a fixed sleep cannot tell apart on a loaded machine.
    maps, deadline = Path(f"/proc/{p.pid}/maps"), time.monotonic() + 60
    while time.monotonic() < deadline and p.poll() is None and "numpy" not in maps.read_text():
        time.sleep(0.05)
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=120)
    assert p.returncode == 130, err
    assert "Traceback" not in err and "interrupted" in err
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").iterdir())


@pytest.mark.parametrize("args", [["--help"], ["list"], ["run", "--help"], ["--version"]])
def test_help_and_list_do_not_import_heavy_libraries(args):
    code = (f"import sys\nfrom ambidex.cli import app\nsys.argv = ['ambidex', *{args!r}]\n"
            "try:\n    app()\nexcept SystemExit as e:\n    assert e.code in (0, None), e.code\n"
            f"print('HEAVY', [m for m in {HEAVY!r} if m in sys.modules])")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().splitlines()[-1] == "HEAVY []"


def test_method_help_names_every_method_and_the_real_default():
    import typer.main

    from ambidex.core.scenario import METHODS
    r = invoke("run", "--help")
    text = " ".join(r.output.split())
    assert "dopri5 (default" in text and "LSODA (default)" not in text
    for m in METHODS:
        assert m in text, m
    import ambidex.cli
    for name in typer.main.get_command(app).list_commands(None):
        assert name in ambidex.cli.__doc__, name


def test_one_cache_setting_for_translations_and_compiled_code(tmp_path, monkeypatch):
    from ambidex.compiled.cache import cache_dir
    from ambidex.core.translate import cache_root
    monkeypatch.setenv("AMBIDEX_CACHE", str(tmp_path / "c"))
    monkeypatch.delenv("AMBIDEX_CACHE_DIR", raising=False)
    assert cache_root() == tmp_path / "c" and cache_dir() == tmp_path / "c" / "compiled"
    r = invoke("doctor")
    assert r.exit_code == 0 and f"{tmp_path / 'c'}" in r.output and f"{tmp_path / 'c' / 'compiled'}" in r.output
    assert "chromium" in r.output and "pysd" in r.output
    monkeypatch.delenv("AMBIDEX_CACHE")
    monkeypatch.setenv("AMBIDEX_CACHE_DIR", str(tmp_path / "old"))
    with pytest.warns(DeprecationWarning, match="AMBIDEX_CACHE"):
        assert cache_dir() == tmp_path / "old" / "compiled"


def test_piped_tables_are_not_cut_and_csv_json_are_complete():
    import csv
    import io

    from ambidex.core.scenario import list_scenarios, load_scenario
    sources = [load_scenario(p).source for p in list_scenarios()]
    longest = max(sources, key=len)
    r = invoke("list")  # not a terminal: full width
    assert r.exit_code == 0 and longest in r.output and "…" not in r.output
    rows = list(csv.DictReader(io.StringIO(invoke("list", "--format", "csv").stdout)))
    assert len(rows) == len(sources) and longest in [row["source"] for row in rows]
    recs = json.loads(invoke("params", "--format", "json").stdout)
    sel = next(p for p in recs if p["name"] == "selectivity")
    assert isinstance(sel["default"], float) and sel["source"]


def test_dopri5_runs_a_scenario_with_interventions(tmp_path):
    r = invoke("run", "transition_2005", "--method", "dopri5", "--no-report", "--out", tmp_path)
    assert r.exit_code == 0, r.output
    ds = xr.open_dataset(tmp_path / "scenarios.nc", engine="h5netcdf")
    assert json.loads(ds.attrs["solver"])[0]["method"] == "dopri5"
    import ambidex
    ref = ambidex.simulate(scenarios=["transition_2005"], method="LSODA", rtol=1e-8, atol=1e-8,
                           variables=["total_revenue"])
    # the step in 2005 is resolved, not stepped over: both integrators agree to 1e-4
    rel = abs(ds.total_revenue - ref.total_revenue).max() / abs(ref.total_revenue).max()
    assert float(rel) < 1e-4
    ds.close()


def test_public_api_functions_have_real_signatures():
    import inspect

    import ambidex
    for name in ("calibrate", "sensitivity", "check", "loop_dominance", "ensemble", "simulate"):
        assert name in ambidex.__all__
        f = getattr(ambidex, name)
        assert inspect.isfunction(f), name
        assert "args" not in inspect.signature(f).parameters, name
    assert "targets" in inspect.signature(ambidex.calibrate).parameters
    assert "spec" in inspect.signature(ambidex.sensitivity).parameters
    import importlib
    assert importlib.import_module("ambidex.calibrate").load_targets  # subpackage still reachable
    api = (ROOT / "docs" / "reference" / "api.md").read_text()
    for name in ambidex.__all__:
        if not name.startswith("__"):
            assert name in api, f"docs/reference/api.md does not cover ambidex.{name}"


def test_check_json_into_a_new_folder(tmp_path):
    teacup = ROOT / "tests" / "data" / "sdxorg-test-models" / "samples" / "teacup" / "teacup.mdl"
    target = tmp_path / "new" / "checks.json"
    r = invoke("check", "--model", teacup, "--json", target)
    assert r.exit_code in (0, 1), r.output  # 1: a check failed (teacup documents no sources)
    assert "Traceback" not in r.output and f"wrote {target}" in " ".join(r.output.split())
    assert json.loads(target.read_text())["results"]
