"""Command line: ``ambidex run | list | compare | params | calibrate | sensitivity | loops |
check | workshop | export-simulator | doctor``.

No model logic lives here: every command calls the public Python API and prints or writes what
it returns.  Heavy libraries (PySD, numba, scipy, pandas) load inside the commands, so
``ambidex --help`` and ``ambidex list`` answer at once.  Bad input gives one ``error:`` line on
stderr and exit code 2; output paths are checked before anything is computed; Ctrl-C exits 130
without a traceback.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import click
import typer

from .cli_output import (
    check_format,
    check_out_dir,
    check_out_file,
    emit,
    emit_frame,
    fail,
    note,
    say,
    show_warning,
    warn,
)
from .core.errors import AmbidexError


class _App(typer.Typer):
    """Typer app whose entry point prints Python warnings as one ``warning:`` line each and
    turns Ctrl-C into ``interrupted`` with exit code 130 (no traceback)."""

    def __call__(self, *args, **kwargs):
        warnings.showwarning = show_warning
        try:
            return super().__call__(*args, **kwargs)
        except (KeyboardInterrupt, click.exceptions.Abort):
            sys.stderr.write("\ninterrupted\n")
            sys.exit(130)
        except SystemExit as exc:
            if exc.code == 130:
                sys.stderr.write("\ninterrupted\n")
            raise


app = _App(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
           rich_markup_mode=None)

ModelOpt = typer.Option(None, "--model", "-m", help="Model file (.mdl or .xmile); default: the dual model.")
DirOpt = typer.Option(None, "--scenarios-dir", help="Folder of scenario TOML files; default ./scenarios.")
MethodOpt = typer.Option(
    None, "--method",
    help="dopri5 (default: adaptive Dormand-Prince in the compiled engine), bs3 (adaptive "
         "Bogacki-Shampine 3(2), cheaper where flows have MIN/MAX kinks), euler, rk4 (fixed "
         "step, the model's TIME STEP), or scipy's LSODA, RK45, RK23, DOP853, Radau, BDF (PySD "
         "backend). Scenarios with interventions run piecewise between their change times.")
OutOpt = typer.Option(Path("results"), "--out", "-o", help="Output folder (created if missing).")
FormatOpt = typer.Option("table", "--format", help="How to print the result table: table, csv or json.")


def _version(value: bool) -> None:
    if value:
        from . import __version__
        say(f"ambidex {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                       help="Print the version and exit.")):
    """System-dynamics models of SMEs running two business models at once.

    Commands that read a model take --model PATH (any .mdl / .xmile PySD translates).  Bad input
    stops with one 'error:' line and exit code 2, before anything is written.  `ambidex doctor`
    prints what a bug report needs."""


def _progress(fmt: str) -> bool:
    """Progress bars only for a person watching: table output and a terminal on stderr."""
    return fmt == "table" and sys.stderr.isatty()


def _wrote(paths, fmt: str) -> None:
    text = "wrote " + ", ".join(str(p) for p in paths)
    (say if fmt == "table" else note)(text)


@app.command()
def run(names: list[str] | None = typer.Argument(None, help="Scenario names or TOML paths; default: all (with --model: the model profile's default scenario, else the model's own defaults)."),
        model: Path | None = ModelOpt, scenarios_dir: Path | None = DirOpt,
        method: str | None = MethodOpt, out_dir: Path = OutOpt,
        report: bool = typer.Option(True, "--report/--no-report", help="Write report.html."),
        loops: bool = typer.Option(True, "--loops/--no-loops",
                                   help="Add the loop-dominance figures (Loops That Matter) to the report."),
        fmt: str = FormatOpt):
    """Simulate scenarios; write OUT/scenarios.nc and OUT/report.html; print a summary."""
    try:
        check_format(fmt)
        check_out_dir(out_dir)
        from .compiled.pytier import preferring_interpreted
        from .loop_background import enabled as defer_loops
        from .runner import run_scenarios
        from .summary import summary_table

        with preferring_interpreted():  # a few runs cost less interpreted than loading numba
            ds, written = run_scenarios(model, names, scenarios_dir, method, out_dir, report,
                                        loops, on_note=note, defer_loops=defer_loops())
    except AmbidexError as exc:
        fail(exc)
    emit_frame(summary_table(ds), "Final year per scenario (columns from the model's profile)", fmt)
    _wrote(written, fmt)


@app.command(name="list")
def list_cmd(scenarios_dir: Path | None = DirOpt, fmt: str = FormatOpt):
    """List the scenarios with the seed passage each represents."""
    from .core.scenario import list_scenarios, load_scenario
    try:
        check_format(fmt)
        rows = [[s.name, s.source] for s in (load_scenario(p) for p in list_scenarios(scenarios_dir))]
    except AmbidexError as exc:
        fail(exc)
    emit(["name", "source"], rows, f"Scenarios ({len(rows)})", fmt)


@app.command()
def compare(a: str = typer.Argument(..., help="First scenario (name or path)."),
            b: str = typer.Argument(..., help="Second scenario (name or path)."),
            model: Path | None = ModelOpt, scenarios_dir: Path | None = DirOpt,
            method: str | None = MethodOpt, out_dir: Path = OutOpt, fmt: str = FormatOpt):
    """Print the difference (B − A) of the key outcomes and write OUT/compare_A_B.html."""
    try:
        check_format(fmt)
        check_out_dir(out_dir)
        from .runner import compare_scenarios

        df, (na, nb), target = compare_scenarios(a, b, model, scenarios_dir, method, out_dir)
    except AmbidexError as exc:
        fail(exc)
    emit_frame(df.set_index("time"), f"{nb} − {na}", fmt)
    _wrote([target], fmt)


@app.command()
def params(model: Path | None = ModelOpt, fmt: str = FormatOpt):
    """Print the parameter table: name, unit, default, range, source."""
    try:
        check_format(fmt)
        from .core.model import load_model
        m = load_model(model)
    except AmbidexError as exc:
        fail(exc)
    rows = [[p.name, p.sector, p.units, p.default, p.lower, p.upper, p.doc] for p in m.parameters.values()]
    if fmt == "table":
        rows = [[n, s, u, f"{d:g}", f"[{'?' if lo is None else f'{lo:g}'}, {'?' if hi is None else f'{hi:g}'}]", doc]
                for n, s, u, d, lo, hi, doc in rows]
        emit(["name", "sector", "units", "default", "range", "source"], rows, f"Parameters of {m.path.name}")
    else:
        emit(["name", "sector", "units", "default", "lower", "upper", "source"], rows, "", fmt)


@app.command()
def calibrate(targets: Path = typer.Argument(..., help="Targets TOML (e.g. scenarios/data/case_firm.toml)."),
              free: str | None = typer.Option(None, "--free", help="Free parameters, comma-separated; default: the file's 'free'."),
              method: str = typer.Option("least_squares", "--method", help="least_squares, differential_evolution or mcmc."),
              seed: int = typer.Option(0, "--seed", help="Random seed (reproducible fits)."),
              steps: int | None = typer.Option(None, "--steps", help="MCMC steps per walker; default: run until 50 autocorrelation times (or 20,000 steps, reported as not converged)."),
              hold_out: str | None = typer.Option(None, "--hold-out", help="Leave this target out of the fit and report its prediction beside the datum."),
              walkers: int | None = typer.Option(None, "--walkers", help="MCMC walkers."),
              model: Path | None = ModelOpt, out_dir: Path = OutOpt,
              report: bool = typer.Option(True, "--report/--no-report", help="Write the HTML fit report."),
              fmt: str = FormatOpt):
    """Calibrate free parameters against case data; write OUT/calibration_NAME.nc/.html and
    OUT/SCENARIO_calibrated.toml (runnable with `ambidex run PATH`)."""
    try:
        check_format(fmt)
        check_out_dir(out_dir)
        from .calibrate.core import calibrate as run_calibration
        from .calibrate.errors import CalibrationWarning
        from .core.model import load_model

        with warnings.catch_warnings():  # listed once below, from the result
            warnings.simplefilter("ignore", CalibrationWarning)
            res = run_calibration(load_model(model), targets, free=free, method=method, seed=seed,
                                  n_steps=steps, n_walkers=walkers, progress=_progress(fmt),
                                  hold_out=hold_out)
        paths = res.write(out_dir, report=report)
    except AmbidexError as exc:
        fail(exc)
    emit_frame(res.estimates_frame()[["estimate", "std_error", "lower95", "upper95"]],
               f"Estimates ({method}, chi² {res.cost:.4g})", fmt)
    if fmt == "table":
        emit_frame(res.targets_table[["fitted", "normalised_residual", "contribution"]],
                   "Targets (fitted in the data's units)")
    (say if fmt == "table" else note)(f"chi² {res.cost:.4g} with {res.dof} degrees of freedom")
    if res.hold_out:
        from .calibrate.holdout import describe
        (say if fmt == "table" else note)(describe(res.hold_out))
    for w in res.warnings:
        warn(w)
    _wrote(paths.values(), fmt)


@app.command()
def loops(scenario: str | None = typer.Argument(None, help="Scenario (name or path); default: model defaults."),
          model: Path | None = ModelOpt, scenarios_dir: Path | None = DirOpt, out_dir: Path = OutOpt,
          period: float | None = typer.Option(None, "--period", help="Window length (model time unit); default: a seventh of the horizon."),
          max_loops: int | None = typer.Option(None, "--max-loops", help="Stop loop enumeration after this many loops."),
          length_bound: int | None = typer.Option(None, "--length-bound", help="Longest loop (variables) to look for."),
          fmt: str = FormatOpt):
    """Loop dominance (Loops That Matter): write OUT/loops_MODEL_SCENARIO.html, print the dominant loop per period."""
    try:
        check_format(fmt)
        check_out_dir(out_dir)
        from .core.model import load_model
        from .loops import dominance_windows, write_loops_report
        from .runner import scenario_list

        m = load_model(model)
        sc = scenario_list([scenario], scenarios_dir)[0] if scenario else None
        target, ds, _ = write_loops_report(m, sc, out_dir, length_bound=length_bound, max_loops=max_loops)
        windows = dominance_windows(ds, period)
    except AmbidexError as exc:
        fail(exc)
    if ds.attrs.get("message"):
        (say if fmt == "table" else note)(ds.attrs["message"])
    rows = [[w["start"], w["end"], w["label"], w["mean_relative_score"], w["share"]] for w in windows]
    if fmt == "table":
        rows = [[f"{a:g}", f"{b:g}", lab, f"{s:+.3f}", f"{sh:.0%}"] for a, b, lab, s, sh in rows]
    emit(["from", "to", "dominant loop", "mean rel. score", "share dominant"], rows,
         f"Dominant loop per period ({m.path.name}, {ds.attrs.get('scenario', '')})", fmt)
    _wrote([target], fmt)


@app.command()
def workshop(model: Path | None = ModelOpt,
             port: int = typer.Option(8050, "--port", help="Port to listen on."),
             host: str = typer.Option("127.0.0.1", "--host", help="Address to bind (default: localhost only).")):
    """Start the strategy-workshop app in the browser (Dash) and print its address."""
    from .workshop import create_app, serve
    try:
        web = create_app(model)
    except AmbidexError as exc:
        fail(exc)
    say(f"ambidex workshop running at http://{host}:{port}/  (Ctrl+C to stop)")
    serve(web, host=host, port=port)


@app.command(name="export-simulator")
def export_simulator(model: Path | None = ModelOpt,
                     output: Path = typer.Option(Path("simulator.html"), "--output", "-o",
                                                 help="The HTML file to write (one self-contained file).")):
    """Write an offline simulator: one HTML file (no server, no network) with the levers, key
    charts and scenarios, the model evaluated in the browser (JavaScript generated from the
    compiled engine; same solver and results as `ambidex run`)."""
    try:
        check_out_file(output, "--output")
        from .export.simulator import write_simulator
        path = write_simulator(model, output)
    except AmbidexError as exc:
        fail(exc)
    say(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB); open it in any browser")


@app.command(name="check")
def check_cmd(model: Path | None = ModelOpt,
              checks_file: Path | None = typer.Option(None, "--checks", help="Reality checks TOML; default: MODEL.checks.toml beside the model."),
              json_out: Path | None = typer.Option(None, "--json", help="Also write the full report (with evidence) as JSON here."),
              show_all: bool = typer.Option(False, "--all", help="List every result, not only failures and warnings.")):
    """SD validation tests (units, structure, parameters, extreme conditions, integration error,
    reality checks); exit code 1 when any fails, 2 on bad input."""
    try:
        if json_out is not None:
            check_out_file(json_out, "--json")
        if model is not None:
            from .core.translate import model_file
            model_file(model)
        if checks_file is not None and not checks_file.is_file():
            from .core.errors import ScenarioError
            raise ScenarioError(f"--checks file not found: '{checks_file}'")
        from .check import run_checks
        report = run_checks(model, checks_file)
        if json_out is not None:
            from .core.results import write_text
            write_text(report.to_json(), json_out)  # atomic; creates the folder
    except AmbidexError as exc:
        fail(exc)
    from rich.console import Console
    Console(width=None if sys.stdout.isatty() else 100_000, soft_wrap=True, markup=False,
            highlight=False).print(
        report.table(show="all" if show_all else "problems"))
    say(f"{'PASSED' if report.passed else 'FAILED'}: {len(report.failures)} failures, "
        f"{len(report.warnings)} warnings ({report.elapsed:.1f} s)"
        + (f"; wrote {json_out}" if json_out is not None else ""))
    if not report.passed:
        raise typer.Exit(code=1)


@app.command(name="sensitivity")
def sensitivity_cmd(spec: Path = typer.Argument(..., help="Sensitivity spec TOML (e.g. scenarios/sensitivity/dual_model_sobol.toml)."),
                    model: Path | None = ModelOpt, out_dir: Path = OutOpt,
                    cluster: str | None = typer.Option(None, "--cluster", help="Run on Dask: 'local' or a scheduler address (tcp://host:8786)."),
                    workers: int = typer.Option(2, "--workers", help="Worker processes of --cluster local."),
                    chunk_size: int | None = typer.Option(None, "--chunk-size", help="Samples per chunk (Dask task); default: the spec's or 1024."),
                    report: bool = typer.Option(True, "--report/--no-report", help="Write the HTML report."),
                    fmt: str = FormatOpt):
    """Sensitivity analysis (Sobol, Morris, FAST, delta, PAWN), Monte Carlo bands and scenario
    discovery as SPEC says; write OUT/sensitivity_NAME.nc and .html; print the main indices."""
    import json
    try:
        check_format(fmt)
        check_out_dir(out_dir)
        from .sensitivity.api import run_sensitivity, summary_frame

        ds = run_sensitivity(model, spec, out=out_dir, cluster=cluster, progress=_progress(fmt),
                             chunk_size=chunk_size, report=report, n_workers=workers)
    except AmbidexError as exc:
        fail(exc)
    df, name = summary_frame(ds)
    emit_frame(df, f"{name} ({ds.attrs.get('method', '')}, {ds.attrs.get('runs', '?')} runs)", fmt)
    _wrote(json.loads(ds.attrs.get("written", "{}")).values(), fmt)


@app.command()
def doctor():
    """Versions, cache locations and optional tools (Chromium) -- paste this into a bug report."""
    from .doctor import report
    for label, value in report():
        say(f"{label + ':':22} {value}")


def main() -> None:  # pragma: no cover - console entry
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
