"""Loop dominance of one run or of a parameter ensemble, in one process or on a Dask cluster.

:func:`loop_dominance` analyses the model (:func:`~ambidex.loops.ltm.analyse`) and scores its
loops along the base run; with ``samples`` it scores the same loops along every sampled run
(:func:`ensemble_scores`).  The sampled runs are scored in chunks by :class:`LoopScores`, a
picklable evaluator that runs its chunk's samples as one batched Euler run and scores each:
in one process the chunks run here, with ``cluster`` they are Dask tasks
(:func:`ambidex.sensitivity.distributed.evaluate_dask`), and the scores are identical either
way (each run of a batch is bitwise the run made alone).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import xarray as xr

from ..core.errors import ScenarioError
from .cycles import DEFAULT_MAX_LOOPS
from .elements import flat_env
from .ltm import Structure, _dataset, _env, analyse, dominant, loop_scores

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


def loop_dominance(model=None, scenario=None, samples: dict | None = None, *,
                   length_bound: int | None = None, max_loops: int = DEFAULT_MAX_LOOPS,
                   loops_toml=None, quantiles=QUANTILES, cluster=None, n_workers: int = 2,
                   chunk_size: int | None = None) -> xr.Dataset:
    """Loop dominance (Loops That Matter) of ``model`` along ``scenario`` (default: defaults).

    Returns an ``xarray.Dataset`` with dims ``loop`` and ``time`` and data variables
    ``loop_score``, ``relative_score`` and ``dominant``; per-loop coordinates ``variables``
    (the loop as a chain of model names), ``polarity`` (R/B/U from the measured link
    polarities), ``name`` and ``named_id`` (from ``<model>.loops.toml`` when present),
    ``length``, ``partition``.  ``attrs['time_convention']`` states the time labelling.
    A model without loops gives an empty ``loop`` dimension and ``attrs['message']`` saying so.
    (``variables`` shadows ``Dataset.variables`` as an attribute: read it as ``ds["variables"]``.)

    ``samples`` (parameter name -> array of N values) runs the ensemble: ``loop_score`` and
    ``relative_score`` gain a leading ``sample`` dim, and ``relative_score_quantile``
    (quantile, loop, time) and ``dominance_share`` (loop, time: the share of samples in which
    the loop is among the dominant ones) summarise it; the loops are those of the base run.
    ``cluster`` (``"local"`` with ``n_workers`` processes, a scheduler address or a
    ``distributed.Client``) scores the samples as Dask tasks of ``chunk_size`` samples
    (default N/8, at least 16), with results identical to one process.
    """
    st, run = analyse(model, scenario, length_bound, max_loops, loops_toml)
    return dominance(st, run, scenario, samples, quantiles, cluster=cluster,
                     n_workers=n_workers, chunk_size=chunk_size)


def dominance(st: Structure, run: xr.Dataset, scenario=None, samples: dict | None = None,
              quantiles=QUANTILES, *, cluster=None, n_workers: int = 2,
              chunk_size: int | None = None) -> xr.Dataset:
    """:func:`loop_dominance` for an analysed structure and its base run (see
    :func:`~ambidex.loops.ltm.analyse`)."""
    time = run.time.values
    if not st.loops:
        warnings.warn(st.loops.message, stacklevel=3)
        empty = np.zeros((0, len(time)))
        return _dataset(st, time, empty, empty, {"scenario": str(run.scenario.values)})
    if samples is None:
        score, rel = loop_scores(st, st.env(_env(run), time), time)
        return _dataset(st, time, score, rel, {"scenario": str(run.scenario.values)})
    return ensemble_scores(st, scenario, samples, quantiles, cluster=cluster,
                           n_workers=n_workers, chunk_size=chunk_size)


# ------------------------------------------------------------------ across samples
def _sample_table(samples: dict) -> tuple[list[str], np.ndarray]:
    names = list(samples)
    if not names:
        raise ScenarioError("samples: give at least one parameter with an array of values")
    cols = [np.atleast_1d(np.asarray(samples[k], dtype=float)) for k in names]
    n = {len(c) for c in cols}
    if len(n) != 1:
        raise ScenarioError(f"samples: every parameter needs the same number of values, got "
                            f"{dict(zip(names, (len(c) for c in cols)))}")
    return names, np.stack(cols, axis=1)


@dataclass
class LoopScores:
    """Loop scores of ``st``'s loops along the runs of a block of samples (rows of X, columns
    ``names``): one batched Euler run at TIME STEP through :func:`ambidex.solve.solve`, then
    :func:`~ambidex.loops.ltm.loop_scores` per run.  Picklable: a Dask worker gets the whole
    structure, so it needs no loop enumeration of its own.  ``engine`` is filled by a call."""

    st: Structure
    scenario: object
    names: list
    engine: str = field(default="", compare=False)

    def scores(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(time (T,), loop scores (n, loop, T), relative scores (n, loop, T))."""
        from ..solve import solve

        model = self.st.model
        pys = [model.resolve_parameter(k).py_name for k in self.names]  # unknown: ModelError
        dt = model.control["time_step"]
        runs = solve(model, self.scenario, samples=dict(zip(self.names, X.T)),
                     solver={"method": "euler", "time_step": dt}, saveat=dt).isel(scenario=0)
        self.engine = str(runs.attrs.get("backend", ""))
        time = runs.time.values
        scores, rels = [], []
        for i in range(X.shape[0]):
            env = flat_env(runs.isel(sample=i))
            env.update({py: float(X[i, j]) for j, py in enumerate(pys)})  # not in the runs
            s, r = loop_scores(self.st, self.st.env(env, time), time)
            scores.append(s)
            rels.append(r)
        return time, np.stack(scores), np.stack(rels)

    def __call__(self, X) -> dict:
        """The evaluator protocol of :mod:`ambidex.sensitivity.evaluate`: label -> (n, ...)."""
        _, score, rel = self.scores(np.asarray(X, dtype=float))
        return {"loop_score": score, "relative_score": rel}


def _on_cluster(ev: LoopScores, values: np.ndarray, cluster, n_workers: int,
                chunk_size: int | None) -> tuple[np.ndarray, np.ndarray]:
    from ..sensitivity.distributed import evaluate_in_chunks

    out = evaluate_in_chunks(ev, values, cluster, n_workers, chunk_size, least=16)
    return out["loop_score"], out["relative_score"]


def ensemble_scores(st, scenario, samples: dict, quantiles=QUANTILES, *, cluster=None,
                    n_workers: int = 2, chunk_size: int | None = None) -> xr.Dataset:
    """The ensemble form of :func:`loop_dominance` (see there)."""
    names, values = _sample_table(samples)
    model = st.model
    ev = LoopScores(st, scenario, names)
    time, score, rel = ev.scores(values[:1])  # checks names and bounds here, before any cluster
    if cluster is not None and len(values) > 1:
        score, rel = _on_cluster(ev, values, cluster, n_workers, chunk_size)
    elif len(values) > 1:
        time, score, rel = ev.scores(values)
    ds = _dataset(st, time, score, rel, {"scenario": str(getattr(scenario, "name", scenario or "default")),
                                        "samples": len(values), "engine": ev.engine})
    ds = ds.assign_coords(sample=np.arange(len(values)))
    for j, k in enumerate(names):
        ds = ds.assign_coords({f"param_{model.resolve_parameter(k).py_name}": ("sample", values[:, j])})
    parts = ds["partition"].values
    dom = np.stack([dominant(r, parts) for r in rel])
    ds["dominance_share"] = (("loop", "time"), dom.mean(axis=0))
    ds["dominance_share"].attrs = {"long_name": "share of samples in which the loop is among the "
                                                "dominant loops (explaining >= 50 % together)"}
    q = np.asarray(quantiles, dtype=float)
    ds["relative_score_quantile"] = (("quantile", "loop", "time"), np.quantile(rel, q, axis=0))
    ds = ds.assign_coords(quantile=q)
    ds["relative_score_quantile"].attrs = {"long_name": "quantiles of the relative loop score "
                                                        "across samples"}
    return ds
