"""Command line: ``ambidex run | list | compare | params``.  No model logic lives here: every
command calls the public Python API and prints or writes what it returns."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from .errors import AmbidexError

app = typer.Typer(add_completion=False, no_args_is_help=False, pretty_exceptions_enable=False,
                  help="System-dynamics models of SMEs running two business models at once.")
out = Console()
err = Console(stderr=True)

ModelOpt = typer.Option(None, "--model", "-m", help="Model file (.mdl or .xmile); default: the dual model.")
DirOpt = typer.Option(None, "--scenarios-dir", help="Folder of scenario TOML files; default ./scenarios.")
MethodOpt = typer.Option(None, "--method", help="LSODA (default), RK45, RK23, DOP853, Radau, BDF, euler, rk4.")


def _fail(exc: Exception) -> None:
    err.print(f"[bold red]error:[/] {exc}", highlight=False, markup=True, soft_wrap=True)
    raise typer.Exit(code=getattr(exc, "exit_code", 2))


def _table(df, title: str, fmt: str = "{:.4g}") -> Table:
    t = Table(title=title)
    t.add_column(df.index.name or "scenario", no_wrap=True)
    for c in df.columns:
        t.add_column(str(c), justify="right")
    for idx, row in df.iterrows():
        t.add_row(str(idx), *[fmt.format(v) if isinstance(v, float) else str(v) for v in row])
    return t


def _scenario_paths(names, directory):
    from .scenario import list_scenarios, load_scenario
    if names:
        return [load_scenario(n, directory) for n in names]
    paths = list_scenarios(directory)
    if not paths:
        from .errors import ScenarioError
        raise ScenarioError(f"no scenario files (*.toml) found in '{directory or 'scenarios'}'")
    return [load_scenario(p) for p in paths]


def _model_scenarios(m):
    """``run --model M`` without scenario names: the default scenario of M's profile, else M's
    own defaults (the shipped scenarios belong to the dual model)."""
    from .core.profile import load_profile
    from .scenario import Scenario, load_scenario

    default = load_profile(m).default_scenario
    if default:
        return [load_scenario(default)]
    return [Scenario(name="default", source=f"{m.path.name}: the model's own defaults")]


def _loop_figures(model, scens):
    """Causal-loop diagram and relative loop scores of the first scenario without interventions
    (the baseline when present); nothing for a model whose loop scores cannot be computed."""
    from .loops.figures import cld_figure, relative_scores_figure
    from .loops.ltm import analyse, dominance

    from .core.profile import load_profile

    default = load_profile(model).default_scenario
    pick = [s for s in scens if s.name == default] or [s for s in scens if not s.interventions]
    if not pick:
        return ()
    try:
        st, run_ = analyse(model, pick[0])
        lds = dominance(st, run_)
    except Exception as exc:  # loop scores need scalar models; the report still gets written
        err.print(f"note: loop dominance left out of the report: {exc}")
        return ()
    if lds.sizes.get("loop", 0) == 0:
        return ()
    return (cld_figure(st), relative_scores_figure(
        lds, title=f"Loop dominance (Loops That Matter), scenario {pick[0].name}: relative loop scores"))


@app.command()
def run(names: list[str] | None = typer.Argument(None, help="Scenario names or TOML paths; default: all (with --model: the model profile's default scenario, else the model's own defaults)."),
        model: Path | None = ModelOpt, scenarios_dir: Path | None = DirOpt,
        method: str | None = MethodOpt,
        out_dir: Path = typer.Option(Path("results"), "--out", "-o", help="Output folder."),
        report: bool = typer.Option(True, "--report/--no-report", help="Write report.html."),
        loops: bool = typer.Option(True, "--loops/--no-loops",
                                   help="Add the loop-dominance figures (Loops That Matter) to the report.")):
    """Simulate scenarios; write OUT/scenarios.nc and OUT/report.html; print a summary."""
    from .model import load_model
    from .report import build_report
    from .results import atomic_path
    from .simulate import simulate
    from .structure import stock_influences
    from .summary import summary_table
    try:
        m = load_model(model)
        scens = (_model_scenarios(m) if model is not None and not names and scenarios_dir is None
                 else _scenario_paths(names, scenarios_dir))
        ds = simulate(m, scens, method=method)
        html = None
        if report:
            edges = stock_influences(m, t=None)
            html = build_report(ds, m, edges, extra_figures=_loop_figures(m, scens) if loops else ())
        # write both to temporary files first; rename only when both are complete
        nc_target, html_target = out_dir / "scenarios.nc", out_dir / "report.html"
        with atomic_path(nc_target) as tmp_nc:
            ds.to_netcdf(tmp_nc, engine="h5netcdf")
            if html is not None:
                with atomic_path(html_target) as tmp_html:
                    tmp_html.write_text(html, encoding="utf-8")
    except AmbidexError as exc:
        _fail(exc)
    out.print(_table(summary_table(ds), "Final year per scenario (revenue EUR M/year; ROA 1/year)"))
    out.print(f"wrote {nc_target}" + (f" and {html_target}" if report else ""))


@app.command(name="list")
def list_cmd(scenarios_dir: Path | None = DirOpt):
    """List the scenarios with the seed passage each represents."""
    from .scenario import list_scenarios, load_scenario
    try:
        paths = list_scenarios(scenarios_dir)
        t = Table(title=f"Scenarios ({len(paths)})")
        t.add_column("name")
        t.add_column("source")
        for p in paths:
            s = load_scenario(p)
            t.add_row(s.name, s.source)
    except AmbidexError as exc:
        _fail(exc)
    out.print(t)


@app.command()
def compare(a: str = typer.Argument(..., help="First scenario (name or path)."),
            b: str = typer.Argument(..., help="Second scenario (name or path)."),
            model: Path | None = ModelOpt, scenarios_dir: Path | None = DirOpt,
            method: str | None = MethodOpt,
            out_dir: Path = typer.Option(Path("results"), "--out", "-o", help="Output folder.")):
    """Print the difference (B − A) of the key outcomes and write OUT/compare_A_B.html."""
    from .model import load_model
    from .report import build_report, difference_figure
    from .results import write_text
    from .simulate import simulate
    from .summary import compare_table
    try:
        m = load_model(model)
        sa, sb = _scenario_paths([a, b], scenarios_dir)
        ds = simulate(m, [sa, sb], method=method)
        df = compare_table(ds, sa.name, sb.name)
        html = build_report(ds, m, title=f"{sa.name} vs {sb.name}",
                            extra_figures=[difference_figure(ds, sa.name, sb.name)])
        target = write_text(html,
                            out_dir / f"compare_{sa.name}_{sb.name}.html")
    except AmbidexError as exc:
        _fail(exc)
    out.print(_table(df.set_index("time"), f"{sb.name} − {sa.name}"))
    out.print(f"wrote {target}")


@app.command()
def params(model: Path | None = ModelOpt):
    """Print the parameter table: name, unit, default, range, source."""
    from .model import load_model
    try:
        m = load_model(model)
    except AmbidexError as exc:
        _fail(exc)
    t = Table(title=f"Parameters of {m.path.name}")
    for c in ("name", "sector", "units", "default", "range", "source"):
        t.add_column(c)
    for p in m.parameters.values():
        rng = f"[{'?' if p.lower is None else f'{p.lower:g}'}, {'?' if p.upper is None else f'{p.upper:g}'}]"
        t.add_row(p.name, p.sector, p.units, f"{p.default:g}", rng, p.doc)
    out.print(t)


@app.command()
def calibrate(targets: Path = typer.Argument(..., help="Targets TOML (e.g. scenarios/data/case_firm.toml)."),
              free: str | None = typer.Option(None, "--free", help="Free parameters, comma-separated; default: the file's 'free'."),
              method: str = typer.Option("least_squares", "--method", help="least_squares, differential_evolution or mcmc."),
              seed: int = typer.Option(0, "--seed", help="Random seed (reproducible fits)."),
              steps: int = typer.Option(1000, "--steps", help="MCMC steps per walker."),
              walkers: int | None = typer.Option(None, "--walkers", help="MCMC walkers."),
              model: Path | None = ModelOpt,
              out_dir: Path = typer.Option(Path("results"), "--out", "-o", help="Output folder."),
              report: bool = typer.Option(True, "--report/--no-report", help="Write the HTML fit report.")):
    """Calibrate free parameters against case data; write OUT/calibration_NAME.nc/.html and
    OUT/SCENARIO_calibrated.toml (runnable with `ambidex run PATH`)."""
    from .calibrate import calibrate as run_calibration
    from .model import load_model
    try:
        res = run_calibration(load_model(model), targets, free=free, method=method, seed=seed,
                              n_steps=steps, n_walkers=walkers, progress=True)
        paths = res.write(out_dir, report=report)
    except AmbidexError as exc:
        _fail(exc)
    out.print(_table(res.estimates_frame()[["estimate", "std_error", "lower95", "upper95"]],
                     f"Estimates ({method}, chi² {res.cost:.4g})"))
    out.print(_table(res.targets_table[["fitted", "normalised_residual", "contribution"]],
                     "Targets (fitted in the data's units)"))
    for w in res.warnings:
        err.print(f"[yellow]warning:[/] {w}", highlight=False, soft_wrap=True)
    out.print("wrote " + ", ".join(str(p) for p in paths.values()))


@app.command()
def loops(scenario: str | None = typer.Argument(None, help="Scenario (name or path); default: model defaults."),
          model: Path | None = ModelOpt, scenarios_dir: Path | None = DirOpt,
          out_dir: Path = typer.Option(Path("results"), "--out", "-o", help="Output folder."),
          period: float | None = typer.Option(None, "--period", help="Window length (model time unit); default: a seventh of the horizon."),
          max_loops: int | None = typer.Option(None, "--max-loops", help="Stop loop enumeration after this many loops."),
          length_bound: int | None = typer.Option(None, "--length-bound", help="Longest loop (variables) to look for.")):
    """Loop dominance (Loops That Matter): write OUT/loops_MODEL_SCENARIO.html, print the dominant loop per period."""
    from .loops import dominance_windows, write_loops_report
    from .model import load_model
    try:
        m = load_model(model)
        sc = _scenario_paths([scenario], scenarios_dir)[0] if scenario else None
        target, ds, _ = write_loops_report(m, sc, out_dir, length_bound=length_bound, max_loops=max_loops)
        windows = dominance_windows(ds, period)
    except AmbidexError as exc:
        _fail(exc)
    out.print(ds.attrs.get("message", ""))
    t = Table(title=f"Dominant loop per period ({m.path.name}, {ds.attrs.get('scenario', '')})")
    for c in ("from", "to", "dominant loop", "mean rel. score", "share dominant"):
        t.add_column(c)
    for w in windows:
        t.add_row(f"{w['start']:g}", f"{w['end']:g}", w["label"], f"{w['mean_relative_score']:+.3f}", f"{w['share']:.0%}")
    out.print(t)
    out.print(f"wrote {target}")


@app.command()
def workshop(model: Path | None = ModelOpt,
             port: int = typer.Option(8050, "--port", help="Port to listen on."),
             host: str = typer.Option("127.0.0.1", "--host", help="Address to bind (default: localhost only).")):
    """Start the strategy-workshop app in the browser (Dash) and print its address."""
    from .workshop import create_app, serve
    try:
        web = create_app(model)
    except AmbidexError as exc:
        _fail(exc)
    out.print(f"ambidex workshop running at http://{host}:{port}/  (Ctrl+C to stop)")
    serve(web, host=host, port=port)


@app.command(name="check")
def check_cmd(model: Path | None = ModelOpt,
              checks_file: Path | None = typer.Option(None, "--checks", help="Reality checks TOML; default: MODEL.checks.toml beside the model."),
              json_out: Path | None = typer.Option(None, "--json", help="Also write the full report (with evidence) as JSON here."),
              show_all: bool = typer.Option(False, "--all", help="List every result, not only failures and warnings.")):
    """SD validation tests (units, structure, parameters, extreme conditions, integration error,
    reality checks); exit code 1 when any fails."""
    from .check import run_checks
    try:
        report = run_checks(model, checks_file)
        if json_out is not None:
            report.to_json(json_out)
    except AmbidexError as exc:
        _fail(exc)
    out.print(report.table(show="all" if show_all else "problems"))
    out.print(f"{'PASSED' if report.passed else 'FAILED'}: {len(report.failures)} failures, "
              f"{len(report.warnings)} warnings ({report.elapsed:.1f} s)"
              + (f"; wrote {json_out}" if json_out is not None else ""))
    if not report.passed:
        raise typer.Exit(code=1)


@app.command(name="sensitivity")
def sensitivity_cmd(spec: Path = typer.Argument(..., help="Sensitivity spec TOML (e.g. scenarios/sensitivity/dual_model_sobol.toml)."),
                    model: Path | None = ModelOpt,
                    out_dir: Path = typer.Option(Path("results"), "--out", "-o", help="Output folder."),
                    cluster: str | None = typer.Option(None, "--cluster", help="Run on Dask: 'local' or a scheduler address (tcp://host:8786)."),
                    workers: int = typer.Option(2, "--workers", help="Worker processes of --cluster local."),
                    chunk_size: int | None = typer.Option(None, "--chunk-size", help="Samples per chunk (Dask task); default: the spec's or 1024."),
                    report: bool = typer.Option(True, "--report/--no-report", help="Write the HTML report.")):
    """Sensitivity analysis (Sobol, Morris, FAST, delta, PAWN), Monte Carlo bands and scenario
    discovery as SPEC says; write OUT/sensitivity_NAME.nc and .html; print the main indices."""
    import json

    from .sensitivity import run_sensitivity, summary_frame
    try:
        ds = run_sensitivity(model, spec, out=out_dir, cluster=cluster, progress=True,
                             chunk_size=chunk_size, report=report, n_workers=workers)
    except AmbidexError as exc:
        _fail(exc)
    df, name = summary_frame(ds)
    out.print(_table(df, f"{name} ({ds.attrs.get('method', '')}, {ds.attrs.get('runs', '?')} runs)"))
    out.print("wrote " + ", ".join(json.loads(ds.attrs.get("written", "{}")).values()))


def main() -> None:  # pragma: no cover - console entry
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
