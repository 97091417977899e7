"""``sensitivity(model, spec)``: sample -> evaluate -> analyze, plus uncertainty bands, scenario
discovery and the written results (netCDF + HTML report)."""

from __future__ import annotations

import json
from dataclasses import asdict, replace
from pathlib import Path

from ..core.elements import resolve as resolve_element
from ..core.errors import ScenarioError
from .analysis import analyze
from .evaluate import evaluate
from .methods import sample
from .progress import bar
from .spec import Spec
from .spec_parse import load_spec

DEFAULT_CHUNK = 1024


def analyze_function(func, spec, progress: bool = False, chunk_size: int | None = None,
                     cluster=None):
    """Indices of any Python function ``func(X) -> Y`` (rows of ``X``: samples in the order
    of the spec's parameters) for ``spec`` (TOML path, dict or SALib problem dict)."""
    spec = load_spec(spec)
    X = sample(spec)
    with bar(progress, f"evaluating {X.shape[0]} samples") as upd:
        if cluster is not None:
            from .distributed import evaluate_dask
            Y = evaluate_dask(func, X, cluster=cluster, chunk_size=chunk_size or DEFAULT_CHUNK,
                              progress=upd)
        else:
            Y = evaluate(func, X, chunk_size=chunk_size, progress=upd)
    if spec.outputs and set(Y) == {f"y{j}" for j in range(len(spec.outputs))}:
        Y = {o.label: Y[f"y{j}"] for j, o in enumerate(spec.outputs)}
    elif len(spec.outputs) == 1 and list(Y) == ["y"]:
        Y = {spec.outputs[0].label: Y["y"]}
    with bar(progress, "analysing") as upd:
        return analyze(spec, X, Y, progress=upd)


def _resolve_relative(value: str | None, spec: Spec) -> str | None:
    if value is None:
        return None
    p = Path(value)
    if not p.is_absolute() and spec.path is not None and (spec.path.parent / p).exists():
        return str(spec.path.parent / p)
    return value


def _model_of(model, spec: Spec):
    from ..core.model import Model, load_model

    if isinstance(model, Model):
        return model
    if model is None:
        model = _resolve_relative(spec.model, spec)
    return load_model(model)


def run_sensitivity(model=None, spec=None, *, out=None, cluster=None, progress: bool = False,
                    chunk_size: int | None = None, report: bool = True, n_workers: int = 2):
    """Sensitivity analysis of ``model`` as ``spec`` says; returns an ``xarray.Dataset``.

    ``model``: a :class:`~ambidex.Model`, a model path, ``None`` (the spec's ``model`` or the
    dual model) -- or any Python callable ``f(X) -> Y`` over a sample matrix, which is analysed
    instead of the SD model (see :func:`analyze_function`).  ``spec``: a TOML path, a dict of
    the same shape, a SALib ``problem`` dict, or a :class:`Spec`.

    The Dataset holds the method's indices over ``parameter`` x ``output`` (Sobol'/FAST:
    ``S1``, ``ST``, ``S1_conf``, ``ST_conf``, Sobol' also ``S2``; Morris: ``mu``, ``mu_star``,
    ``mu_star_conf``, ``sigma``; delta: ``delta``, ``S1``; PAWN: ``pawn_*``), time-resolved ones
    (``*_t`` over ``parameter`` x ``series`` x ``time``) for trajectory outputs, the sample ``X``
    and scalar outputs ``Y``; with ``[uncertainty]`` the Monte Carlo percentile bands
    ``mc_band`` (percentile x variable x time); with ``[discovery]`` the PRIM peeling trajectory
    or CART boxes (``box_*``).  ``cluster``: ``"local"`` or a Dask scheduler address evaluates
    chunks of samples as Dask tasks (identical results).  ``out``: a folder to write
    ``sensitivity.nc`` and (``report``) ``sensitivity.html`` into.
    """
    from ..core.model import Model

    if spec is None:
        raise ScenarioError("sensitivity: no spec given (a TOML path or a dict)")
    if callable(model) and not isinstance(model, (Model, str, Path)):
        ds = analyze_function(model, spec, progress=progress, chunk_size=chunk_size,
                              cluster=cluster)
        if out is not None:
            write_results(ds, out, report=report)
        return ds
    spec = load_spec(spec)
    model = _model_of(model, spec)
    spec = load_spec(spec, model)
    if len({o.every for o in spec.trajectory_outputs}) > 1:
        raise ScenarioError(f"{spec.label}: trajectory outputs must share one 'every'")
    from ..core.provenance import stamp
    from .model_eval import _MODELS, ModelEvaluator

    _MODELS.setdefault(str(Path(model.path).resolve()), model)
    scenario = _resolve_relative(spec.scenario, spec)
    evaluator = ModelEvaluator(
        model_path=str(model.path), parameters=spec.names, outputs=list(spec.outputs),
        scenario=scenario, method=spec.solver.get("method", "dopri5"),
        rtol=float(spec.solver.get("rtol", 1e-6)), atol=float(spec.solver.get("atol", 1e-6)))
    if evaluator.method not in ("dopri5", "bs3", "euler", "rk4"):
        raise ScenarioError(f"{spec.label}: solver.method {evaluator.method!r} is not one of "
                            "dopri5, bs3, euler, rk4 (the compiled engine's)")
    chunk = chunk_size or int(spec.solver.get("chunk_size", DEFAULT_CHUNK))
    X = sample(spec)
    with bar(progress, f"simulating {X.shape[0]} runs") as upd:
        if cluster is not None:
            from .distributed import evaluate_dask
            store = Path(out) / f"sensitivity_{spec.name}.zarr" if out is not None else None
            Y = evaluate_dask(evaluator, X, cluster=cluster, chunk_size=chunk, store=store,
                              progress=upd, n_workers=n_workers)
        else:
            Y = evaluate(evaluator, X, chunk_size=chunk, progress=upd)
    with bar(progress, "analysing") as upd:
        ds = analyze(spec, X, Y, times=evaluator.output_times(), progress=upd)
    ds = _extras(ds, evaluator, spec, progress)
    attrs = dict(ds.attrs)
    ds.attrs = stamp(model, spec=json.dumps(_spec_json(spec), sort_keys=True, default=str),
                     spec_file=str(spec.path) if spec.path else "",
                     scenario=str(scenario or ""), solver=evaluator.method)
    ds.attrs.update(attrs)
    for o in spec.outputs:
        var = model.variables[resolve_element(model, o.variable)[0]]
        ds.attrs[f"output {o.label}"] = f"{o.statistic} of {o.variable} ({var.units})"
    if out is not None:
        written = {k: str(v) for k, v in write_results(ds, out, report=report).items()}
        if cluster is not None:
            written["samples"] = str(Path(out) / f"sensitivity_{spec.name}.zarr")
        ds.attrs["written"] = json.dumps(written)
    return ds


def _extras(ds, evaluator, spec: Spec, progress: bool):
    """``ds`` with the spec's optional parts merged in: Monte Carlo percentile bands
    (``[uncertainty]``) and scenario discovery boxes (``[discovery]``)."""
    if spec.uncertainty is not None:
        from .uncertainty import uncertainty_bands
        mc = uncertainty_bands(evaluator, spec, progress=progress)
        ds = ds.merge(mc)
        ds.attrs.update(mc.attrs)
    if spec.discovery is not None:
        from .discovery import discover
        disc = discover(spec, ds["X"].values,
                        ds["Y"].sel(output=spec.discovery["output"]).values)
        info = disc.attrs.pop("_discovery", {})
        ds = ds.merge(disc)
        ds.attrs.update({f"discovery_{k}": v for k, v in info.items()})
    return ds


def _spec_json(spec: Spec) -> dict:
    d = asdict(replace(spec, path=None))
    d.pop("label", None)
    return d


def write_results(ds, out, report: bool = True, model=None) -> dict:
    """Write ``OUT/sensitivity_NAME.nc`` (and ``.html``), NAME the spec's; return the paths."""
    from ..core.results import write_netcdf, write_text

    out = Path(out)
    stem = f"sensitivity_{ds.attrs.get('spec_name') or 'results'}"
    paths = {"netcdf": write_netcdf(ds, out / f"{stem}.nc")}
    if report:
        from .report import build_report
        paths["report"] = write_text(build_report(ds), out / f"{stem}.html")
    return paths


def summary_frame(ds):
    """The main index per parameter (rows) and output (columns) as a pandas DataFrame, with
    its name: ST (Sobol', FAST), mu_star (Morris), delta, or pawn_median."""
    v = next(v for v in ("ST", "mu_star", "delta", "pawn_median") if v in ds)
    if "output" not in ds.dims:
        v = next(f"{x}_t" for x in ("ST", "mu_star", "delta", "pawn_median") if f"{x}_t" in ds)
        df = ds[v].isel(time=-1).to_pandas()
    else:
        df = ds[v].to_pandas()
    df.index.name = "parameter"
    return df, v
